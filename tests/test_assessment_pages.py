"""The gap-assessment pages: planning from the form (and a bad plan refused naming its fields, nothing
written), the workflow's buttons, answering one question at a time through htmx (the question's block comes
back) or a plain form (a redirect to the question), every refusal answered with its message and nothing
changed, evidence files, an action raised from a recommendation, the records behind a figure and their
reproducible sample, the consultant's view across organisations, permissions, the page's query count, charts,
escaping, and Persian right to left."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from auditkit.actions.models import ActionLink, CorrectiveAction
from auditkit.assessments import links, workflow
from auditkit.assessments.answering import AnswerData, answer_question, attach_evidence
from auditkit.assessments.models import Answer, AnswerAttachment, Assessment
from auditkit.assessments.services import PlanData, create_assessment
from auditkit.complaints.attachments import Upload
from auditkit.complaints.models import Complaint
from auditkit.core import storage
from auditkit.core.security import PERMISSIONS, Role
from auditkit.extensions import db
from auditkit.standard.models import Checklist, ChecklistVersion, Question
from tests.conftest import actor_of

NOW = datetime.now(UTC)
TODAY = NOW.date()  # the organisations here keep UTC
HTMX = {"HX-Request": "true"}


def gap_version() -> ChecklistVersion:
    return db.session.execute(
        select(ChecklistVersion).join(Checklist).where(Checklist.key == "iso10002-2018-gap-assessment",
                                                       Checklist.organisation_id.is_(None))
        .order_by(ChecklistVersion.number.desc())).scalars().first()


def questions() -> list[Question]:
    return list(db.session.execute(select(Question).where(Question.checklist_version_id == gap_version().id)
                                   .order_by(Question.position)).scalars())


def planned(org, user, **values) -> Assessment:
    data = PlanData(**{"title": "Baseline 2026", "scope": "All channels, head office", "starts_on": TODAY,
                       "target_maturity": 3, **values})
    return create_assessment(actor_of(user, org), org, data, checklist_version_id=gap_version().id)


def started(org, user, **values) -> Assessment:
    assessment = planned(org, user, **values)
    return workflow.start(actor_of(user, org), assessment, assessment.version)


def answer_all(org, user, assessment, rating: int = 2, count: int | None = None) -> None:
    for question in questions()[:count]:
        answer_question(actor_of(user, org), org, assessment, question.id, AnswerData(rating=rating), None)


def finalised(org, user, rating: int = 2, **values) -> Assessment:
    assessment = started(org, user, **values)
    answer_all(org, user, assessment, rating)
    actor = actor_of(user, org)
    workflow.submit(actor, assessment, assessment.version)
    return workflow.finalise(actor, assessment, assessment.version)


def answer_of(assessment: Assessment, question: Question) -> Answer | None:
    db.session.expire_all()
    return db.session.execute(select(Answer).where(Answer.assessment_id == assessment.id,
                                                   Answer.question_id == question.id)).scalar_one_or_none()


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def url(org, assessment: Assessment, rest: str = "") -> str:
    return f"/o/{org.slug}/assessments/{assessment.id}{rest}"


@pytest.mark.parametrize("role", list(Role))
def test_the_pages_render_for_each_role(login, make, org, consultant, role):
    user = make.member(org, role)
    assessment = started(org, consultant)
    client = login(user)
    register = client.get(f"/o/{org.slug}/assessments/")
    text = register.get_data(as_text=True)
    assert register.status_code == 200 and assessment.reference in text and "Baseline 2026" in text
    assert 'href="/o/alpha/assessments/"' in text  # the navbar's link, "Gap assessments"
    assert ('id="new-assessment"' in text) is (role in PERMISSIONS["assessment.create"])
    page = client.get(url(org, assessment))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert questions()[0].text["en"] in text and "Fully in place and reviewed" in text
    can_answer = role in PERMISSIONS["assessment.answer"]
    assert (f'hx-post="{url(org, assessment)}/questions/' in text) is can_answer
    assert ('id="step-submit"' in text) is can_answer
    assert client.get(f"/o/{org.slug}/assessments/new").status_code == (
        200 if role in PERMISSIONS["assessment.create"] else 403)


def test_a_viewer_sees_the_answers_but_cannot_answer(login, org, consultant, viewer):
    assessment = started(org, consultant)
    question = questions()[0]
    answer_question(actor_of(consultant, org), org, assessment, question.id, AnswerData(rating=3, notes="Seen"),
                    None)
    client = login(viewer)
    text = client.get(url(org, assessment)).get_data(as_text=True)
    block = text[text.index(f'id="q-{question.key}"'):]
    assert re.search(r'value="3"[^>]*checked', block[:4000]) and "disabled" in block[:4000]
    response = client.post(url(org, assessment, f"/questions/{question.id}"), data={"rating": "1", "version": "1"},
                           headers=HTMX)
    assert response.status_code == 403
    assert answer_of(assessment, question).rating == 3


def _plan_form(consultant, **values) -> dict:
    return {"title": "Baseline 2026", "scope": "Head office and the web channel",
            "checklist_version_id": str(gap_version().id), "kind": "baseline", "baseline_id": "",
            "starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=30)).isoformat(),
            "target_maturity": "3.5", "lead_id": str(consultant.id), "assessor_ids": [str(consultant.id)],
            "evidence_window_days": "180", **values}


def test_an_assessment_is_planned_from_the_form(login, org, consultant, auditor):
    client = login(consultant)
    form = client.get(f"/o/{org.slug}/assessments/new").get_data(as_text=True)
    assert "ISO 10002:2018 gap assessment" in form or "gap assessment" in form.lower()
    assert f'value="{gap_version().id}"' in form
    response = client.post(f"/o/{org.slug}/assessments/new",
                           data=_plan_form(consultant, assessor_ids=[str(consultant.id), str(auditor.id)]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    found = db.session.execute(select(Assessment).where(Assessment.organisation_id == org.id)).scalar_one()
    assert response.location.endswith(url(org, found))
    assert (found.title, found.target_maturity, found.evidence_window_days) == ("Baseline 2026", 3.5, 180)
    assert {a.user_id for a in found.assessors} == {consultant.id, auditor.id} and found.status == "draft"
    page = client.get(response.location).get_data(as_text=True)
    assert "Head office and the web channel" in page and 'id="step-start"' in page


def test_a_bad_plan_is_refused_naming_the_fields_and_nothing_is_written(login, org, consultant, other_org, make):
    stranger = make.member(other_org, Role.CONSULTANT)
    response = login(consultant).post(f"/o/{org.slug}/assessments/new", data=_plan_form(
        consultant, title="", scope=" ", target_maturity="7", ends_on=(TODAY - timedelta(days=3)).isoformat(),
        assessor_ids=[str(stranger.id)]))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for message in ("Give the assessment a title.", "Say what the assessment covers",
                    "The target must be on the scale, from 0 to 4.", "The end date cannot be before the start date.",
                    "Every assessor must be a member of this organisation."):
        assert message in text, message
    assert 'id="title" ' in text and 'aria-invalid="true"' in text
    assert count(Assessment) == 0


def test_a_follow_up_starts_from_a_final_assessment(login, org, consultant):
    baseline = finalised(org, consultant)
    client = login(consultant)
    page = client.get(url(org, baseline)).get_data(as_text=True)
    assert f'href="/o/{org.slug}/assessments/new?baseline={baseline.id}"' in page and 'id="revise"' in page
    assert 'hx-post' not in page  # final: nothing to answer
    form = client.get(f"/o/{org.slug}/assessments/new?baseline={baseline.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{baseline.id}">|<option value="{baseline.id}" selected>', form)
    assert re.search(r'<option selected value="follow_up">|<option value="follow_up" selected>', form)
    response = client.post(f"/o/{org.slug}/assessments/new", data=_plan_form(
        consultant, title="Follow-up 2026", kind="follow_up", baseline_id=str(baseline.id)))
    assert response.status_code == 302
    follow_up = db.session.execute(select(Assessment).where(Assessment.title == "Follow-up 2026")).scalar_one()
    assert follow_up.baseline_id == baseline.id
    workflow.start(actor_of(consultant, org), follow_up, follow_up.version)
    answer_all(org, consultant, follow_up, rating=3, count=5)
    page = client.get(url(org, follow_up)).get_data(as_text=True)
    assert f'href="/o/{org.slug}/assessments/{baseline.id}"' in page and 'id="chart-change"' in page
    assert 'data-change="1.0"' in page  # a clause rated 2 then 3
    assert client.get(url(org, follow_up, "/charts/change.svg")).status_code == 200


def test_the_buttons_offer_exactly_the_allowed_steps(login, org, consultant, auditor, manager):
    assessment = planned(org, consultant)
    client = login(auditor)
    steps = lambda: set(re.findall(r'id="step-([a-z]+)"', client.get(url(org, assessment)).get_data(as_text=True)))  # noqa: E731
    assert steps() == {"start"}
    response = client.post(url(org, assessment, "/steps/start"), data={"version": str(assessment.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).status == "in_progress"
    assert steps() == {"submit"}
    # Submitting with questions unanswered is refused, with the count.
    response = client.post(url(org, assessment, "/steps/submit"), data={"version": str(assessment.version)})
    assert response.status_code == 422 and "156 questions are not answered yet" in response.get_data(as_text=True)
    # A stale version: the page as it is now, with the message.
    response = client.post(url(org, assessment, "/steps/submit"), data={"version": "1"})
    assert response.status_code == 409 and "Someone else changed this record" in response.get_data(as_text=True)
    answer_all(org, consultant, assessment)
    client.post(url(org, assessment, "/steps/submit"), data={"version": str(assessment.version)})
    assert steps() == set()  # an auditor neither returns nor finalises
    client = login(manager)
    assert steps() == {"reopen", "finalise"}


def _question_with(metric: str | None = None) -> Question:
    return next(q for q in questions() if q.metric == metric) if metric else questions()[0]


def test_answering_through_htmx_returns_the_block_with_the_new_version(login, org, consultant):
    assessment = started(org, consultant)
    question = questions()[1]
    client = login(consultant)
    target = url(org, assessment, f"/questions/{question.id}")
    response = client.post(target, data={"rating": "2", "version": "", "notes": "Policy seen"}, headers=HTMX)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith("<article") and f'id="q-{question.key}"' in text
    answer = answer_of(assessment, question)
    assert (answer.rating, answer.notes) == (2, "Policy seen")
    assert f'name="version" value="{answer.version}"' in text and "Saved" in text
    assert 'id="answer-progress" hx-swap-oob="true"' in text and "1/156" in text
    assert 'id="count-s4" hx-swap-oob="true">1/56<' in text  # the count beside the section's link
    assert "<html" not in text
    response = client.post(target, data={"rating": "3", "version": str(answer.version)}, headers=HTMX)
    assert response.status_code == 200
    assert f'name="version" value="{answer.version + 1}"' in response.get_data(as_text=True)
    assert answer_of(assessment, question).rating == 3


def test_a_plain_post_saves_and_goes_back_to_the_question(login, org, consultant):
    assessment = started(org, consultant)
    question = questions()[0]
    response = login(consultant).post(url(org, assessment, f"/questions/{question.id}"),
                                      data={"rating": "4", "version": ""})
    assert response.status_code == 302
    assert response.location.endswith(f"{url(org, assessment)}?saved={question.id}&section=4#q-{question.key}")
    assert answer_of(assessment, question).rating == 4
    page = login(consultant).get(response.location.split("#")[0]).get_data(as_text=True)
    block = page[page.index(f'id="q-{question.key}"'):]
    assert "✓ Saved" in block[:block.index("</article>")]  # said in the block, where the reader is


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(("data", "message"), [
    ({"rating": "7"}, "Choose a level of the scale, from 0 to 4."),
    ({"not_applicable": "y", "justification": " "}, "Say why the question does not apply."),
    ({"rating": "2", "not_applicable": "y", "justification": "No shops"},
     "A question is either rated or not applicable, not both."),
    ({"rating": "2", "priority": "urgent"}, "Choose one of the values offered."),
])
def test_a_bad_answer_comes_back_with_its_message_and_nothing_is_written(login, org, consultant, htmx, data,
                                                                         message):
    assessment = started(org, consultant)
    question = questions()[0]
    response = login(consultant).post(url(org, assessment, f"/questions/{question.id}"),
                                      data={**data, "version": ""}, headers=HTMX if htmx else {})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and "Not saved" in text
    assert text.lstrip().startswith("<article") is htmx
    assert count(Answer) == 0


def test_a_stale_answer_is_refused_with_the_answer_as_it_stands(login, org, consultant, auditor):
    assessment = started(org, consultant)
    question = questions()[0]
    answer_question(actor_of(auditor, org), org, assessment, question.id,
                    AnswerData(rating=1, notes="The auditor's notes"), None)
    response = login(consultant).post(url(org, assessment, f"/questions/{question.id}"),
                                      data={"rating": "4", "notes": "Mine", "version": ""}, headers=HTMX)
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Someone else changed this answer meanwhile" in text
    assert "The auditor&#39;s notes" in text and "Mine" in text  # as it stands, and what was not saved
    answer = answer_of(assessment, question)
    assert (answer.rating, answer.notes) == (1, "The auditor's notes")
    assert f'name="version" value="{answer.version}"' in text  # saving again now overwrites knowingly


def test_a_final_assessment_refuses_answers(login, org, consultant):
    assessment = finalised(org, consultant)
    question = questions()[0]
    version = answer_of(assessment, question).version
    response = login(consultant).post(url(org, assessment, f"/questions/{question.id}"),
                                      data={"rating": "4", "version": str(version)}, headers=HTMX)
    assert response.status_code == 422
    assert "The assessment is final and locked: correct it with a new revision." in response.get_data(as_text=True)
    assert answer_of(assessment, question).rating == 2


def test_notes_are_shown_escaped(login, org, consultant):
    assessment = started(org, consultant)
    question = questions()[0]
    answer_question(actor_of(consultant, org), org, assessment, question.id,
                    AnswerData(rating=1, notes="<script>alert(1)</script>"), None)
    text = login(consultant).get(url(org, assessment)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def _in_section(number: str) -> list[Question]:
    return [q for q in questions() if q.key.startswith(f"ga-{number}.")]


def test_the_page_shows_one_section_at_a_time(login, org, consultant):
    assessment = started(org, consultant)
    client = login(consultant)
    text = client.get(url(org, assessment, "?section=7")).get_data(as_text=True)
    assert _in_section("7") and all(f'id="q-{q.key}"' in text for q in _in_section("7"))
    assert not any(f'id="q-{q.key}"' in text for q in questions() if not q.key.startswith("ga-7."))
    assert f'/questions/{_in_section("4")[0].id}"' not in text  # no 4.x answer form
    nav = text[text.index('id="section-nav"'):text.index("</nav>", text.index('id="section-nav"'))]
    for number in ("4", "5", "6", "7", "8"):
        assert f'href="?section={number}#questions"' in nav and f'id="count-s{number}"' in nav
    assert 'data-section-link="7" aria-current="page"' in nav and nav.count('aria-current="page"') == 1
    assert ">0/56<" in nav
    # The scores table still lists every clause, each linking to its section.
    assert 'href="?section=4#c-' in text and 'href="?section=8#c-' in text and 'href="?section=5#s-5"' in text
    # An unknown section shows the default one.
    assert f'id="q-{questions()[0].key}"' in client.get(url(org, assessment, "?section=x")).get_data(as_text=True)


def test_the_page_opens_on_the_section_of_the_first_unanswered_question(login, org, consultant):
    assessment = started(org, consultant)
    client = login(consultant)
    first = questions()[0]
    text = client.get(url(org, assessment)).get_data(as_text=True)
    assert f'id="q-{first.key}"' in text and 'data-section-link="4" aria-current="page"' in text
    assert f'href="?section=4#q-{first.key}" id="next-unanswered"' in text
    answer_all(org, consultant, assessment, count=len(questions()) - len(_in_section("8")))
    following = _in_section("8")[0]
    text = client.get(url(org, assessment)).get_data(as_text=True)
    assert 'data-section-link="8" aria-current="page"' in text and f'id="q-{following.key}"' in text
    assert f'id="q-{first.key}"' not in text
    assert f'href="?section=8#q-{following.key}" id="next-unanswered"' in text
    for question in _in_section("8"):  # all answered: the first section
        answer_question(actor_of(consultant, org), org, assessment, question.id, AnswerData(rating=2), None)
    text = client.get(url(org, assessment)).get_data(as_text=True)
    assert 'data-section-link="4" aria-current="page"' in text and 'id="all-answered"' in text


def test_a_plain_post_goes_back_to_the_question_in_its_section(login, org, consultant):
    assessment = started(org, consultant)
    question = _in_section("7")[2]
    client = login(consultant)
    response = client.post(url(org, assessment, f"/questions/{question.id}"), data={"rating": "3", "version": ""})
    assert response.status_code == 302
    assert response.location.endswith(f"?saved={question.id}&section=7#q-{question.key}")
    page = client.get(response.location.split("#")[0]).get_data(as_text=True)
    block = page[page.index(f'id="q-{question.key}"'):]
    assert "✓ Saved" in block[:block.index("</article>")]
    # A refused one is drawn again in its section, with its message, whatever the next unanswered question.
    version = str(answer_of(assessment, question).version)
    response = client.post(url(org, assessment, f"/questions/{question.id}"), data={"rating": "9", "version": version})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-section-link="7" aria-current="page"' in text
    block = text[text.index(f'id="q-{question.key}"'):]
    assert "Choose a level of the scale" in block[:block.index("</article>")]
    # An htmx save still gets the question's block back, with the count beside its section's link out of band.
    response = client.post(url(org, assessment, f"/questions/{_in_section('7')[0].id}"),
                           data={"rating": "2", "version": ""}, headers=HTMX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and re.search(r'id="count-s7" hx-swap-oob="true">2/\d+<', text)


def _stored_files() -> set[str]:
    return {path.name for path in storage.folder().glob("*") if path.is_file()} if storage.folder().exists() else set()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("big.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), "is larger than 10 MB"),
    ("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 60, "is a program"),
])
def test_a_refused_evidence_file_is_not_stored(login, org, consultant, name, content, message):
    assessment = started(org, consultant)
    question = questions()[0]
    before = _stored_files()
    response = login(consultant).post(url(org, assessment, f"/questions/{question.id}/attachments"),
                                      data={"files": (io.BytesIO(content), name)},
                                      content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(AnswerAttachment) == 0 and count(Answer) == 0 and _stored_files() == before


def test_evidence_files_are_attached_downloaded_and_removed(login, org, consultant, viewer):
    assessment = started(org, consultant)
    question = questions()[0]
    client = login(consultant)
    response = client.post(url(org, assessment, f"/questions/{question.id}/attachments"),
                           data={"files": (io.BytesIO(b"Our complaints policy, signed."), "policy.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith(f"?section=4#q-{question.key}")
    stored = db.session.execute(select(AnswerAttachment)).scalar_one()
    assert (stored.file_name, stored.media_type) == ("policy.txt", "text/plain")
    link = url(org, assessment, f"/questions/{question.id}/attachments/{stored.id}")
    assert link in client.get(url(org, assessment)).get_data(as_text=True)
    download = login(viewer).get(link)
    assert download.status_code == 200 and download.data == b"Our complaints policy, signed."
    assert download.mimetype == "text/plain" and "attachment" in download.headers["Content-Disposition"]
    assert login(viewer).post(f"{link}/delete").status_code == 403
    response = login(consultant).post(f"{link}/delete")
    assert response.status_code == 302 and count(AnswerAttachment) == 0
    assert not storage.exists(stored.storage_key)


def test_a_recommendation_becomes_an_action(login, org, consultant):
    assessment = started(org, consultant)
    question = questions()[0]
    client = login(consultant)
    target = url(org, assessment, f"/questions/{question.id}")
    block = client.post(target, data={"rating": "1", "gap": "No written principles", "priority": "high",
                                      "recommendation": "Write the principles into the policy", "version": ""},
                        headers=HTMX).get_data(as_text=True)
    assert "Raise an action" in block
    response = client.post(f"{target}/action")
    assert response.status_code == 302 and response.location.endswith(f"?section=4#q-{question.key}")
    action = db.session.execute(select(CorrectiveAction)).scalar_one()
    assert action.title == "Write the principles into the policy" and action.priority == "high"
    link = db.session.execute(select(ActionLink).where(ActionLink.action_id == action.id,
                                                       ActionLink.kind == links.KIND)).scalar_one()
    assert link.target_id == answer_of(assessment, question).id
    page = client.get(response.location.split("#")[0]).get_data(as_text=True)
    assert f"Action {action.reference} raised from the recommendation." in page  # the flash, with its link
    assert f'<a href="/o/{org.slug}/actions/{action.id}">Open the action</a>' in page
    assert 'id="roadmap-table"' in page and f'href="?section=4#q-{question.key}"' in page
    action_page = client.get(f"/o/{org.slug}/actions/{action.id}").get_data(as_text=True)
    assert f'{url(org, assessment)}?section=4#q-{question.key}' in action_page  # the action names its answer
    # A second one is refused, naming the first.
    response = client.post(f"{target}/action")
    assert response.status_code == 422 and action.reference in response.get_data(as_text=True)
    assert count(CorrectiveAction) == 1


def _complaints(org, n: int) -> list[Complaint]:
    made = []
    for i in range(n):
        complaint = Complaint(organisation_id=org.id, reference=f"C-{i:04}", received_at=NOW - timedelta(days=i + 1),
                              channel="email" if i % 2 else "phone", email=f"p{i}@example.org",
                              complainant_name=f"Person {i}", description="Charged twice.")
        db.session.add(complaint)
        made.append(complaint)
    db.session.flush()
    return made


def test_the_records_behind_a_figure_and_a_reproducible_sample(login, org, consultant):
    _complaints(org, 60)
    assessment = started(org, consultant)
    question = _question_with("received")
    client = login(consultant)
    section = question.key.removeprefix("ga-").split(".")[0]  # the page shows one section's questions
    page = client.get(url(org, assessment, f"?section={section}")).get_data(as_text=True)
    base = url(org, assessment, f"/questions/{question.id}/records")
    assert f'href="{base}"' in page and f'href="{base}?sample=10"' in page
    first = client.get(base).get_data(as_text=True)
    assert len(re.findall(r'data-complaint="', first)) == 50 and "60 records" in first
    assert "Person 0" not in first and "p0@example.org" not in first  # no personal data
    second = client.get(f"{base}?page=2").get_data(as_text=True)
    assert len(re.findall(r'data-complaint="', second)) == 10
    redirected = client.get(f"{base}?sample=10")
    assert redirected.status_code == 302 and re.search(r"sample=10&seed=\d+", redirected.location)
    drawn = client.get(f"{base}?sample=10&seed=42").get_data(as_text=True)
    again = client.get(f"{base}?sample=10&seed=42").get_data(as_text=True)
    picked = re.findall(r'data-complaint="(\d+)"', drawn)
    assert len(picked) == 10 and picked == re.findall(r'data-complaint="(\d+)"', again)
    assert "Sample of 10 from 60 records, seed 42." in drawn
    other = re.findall(r'data-complaint="(\d+)"', client.get(f"{base}?sample=10&seed=43").get_data(as_text=True))
    assert other != picked


def test_the_consultants_view_lists_the_organisations_they_belong_to(login, make, org, other_org, consultant):
    third = make.organisation(name="Gamma Bank", slug="gamma")
    make.member(other_org, Role.CONSULTANT, user=consultant)
    stranger = make.member(third, Role.CONSULTANT)
    mine = finalised(org, consultant, rating=2, title="Alpha baseline")
    follow = create_assessment(actor_of(consultant, org), org, PlanData(
        title="Alpha follow-up", scope="All", starts_on=TODAY + timedelta(days=1), target_maturity=3),
        checklist_version_id=gap_version().id, kind="follow_up", baseline_id=mine.id)
    workflow.start(actor_of(consultant, org), follow, follow.version)
    answer_all(org, consultant, follow, rating=3)
    workflow.submit(actor_of(consultant, org), follow, follow.version)
    workflow.finalise(actor_of(consultant, org), follow, follow.version)
    started(other_org, consultant, title="Beta baseline")
    started(third, stranger, title="Gamma baseline")
    text = login(consultant).get("/assessments/").get_data(as_text=True)
    assert "Alpha baseline" in text and "Beta baseline" in text and "Gamma baseline" not in text
    assert "Alpha Telecom" in text and "Beta Insurance" in text and "Gamma Bank" not in text
    trend = re.search(r'data-organisation="alpha".*?data-trend>(.*?)</p>', text, re.S).group(1)
    assert re.search(r">2</span> → <span[^>]*>3</span>", trend) and "↑" in trend
    assert 'href="/o/beta/assessments/"' in text
    assert 'id="portfolio-link"' in text  # two organisations: the user menu links here


def test_the_consultants_view_needs_a_sign_in(client):
    response = client.get("/assessments/")
    assert response.status_code == 302 and "/login" in response.location


def test_the_page_takes_as_many_queries_for_3_answers_as_for_156(login, org, consultant, count_queries):
    few, many = started(org, consultant, title="Few"), started(org, consultant, title="Many")
    answer_all(org, consultant, few, count=3)
    answer_all(org, consultant, many)
    for assessment in (few, many):  # each with evidence and an action, so every part of the page has rows
        question = questions()[0]
        attach_evidence(actor_of(consultant, org), assessment, question.id, [Upload("a.txt", b"a")], [])
        answer = answer_question(actor_of(consultant, org), org, assessment, question.id,
                                 AnswerData(rating=1, recommendation="Do it"), answer_of(assessment, question).version)
        links.raise_from_answer(actor_of(consultant, org), org, assessment, answer)
    client = login(consultant)
    client.get(url(org, few))  # warm up whatever is loaded once per process
    counts = {}
    for name, assessment in (("few", few), ("many", many)):
        for section in ("", "?section=7"):  # the default section (4 for both), and one with live figures
            with count_queries() as seen:
                response = client.get(url(org, assessment, section))
            assert response.status_code == 200
            counts[name + section] = len(seen)
    # Another section loads its own questions' answers the same way (one query fewer with none answered: no
    # evidence files to load).
    assert counts["few"] == counts["many"] and counts["many?section=7"] <= counts["many"], counts
    assert max(counts.values()) <= 40, counts


def test_the_register_lists_progress_and_final_scores(login, org, consultant, count_queries):
    final = finalised(org, consultant, rating=3, title="Done")
    going = started(org, consultant, title="Going")
    answer_all(org, consultant, going, count=39)
    client = login(consultant)
    text = client.get(f"/o/{org.slug}/assessments/").get_data(as_text=True)
    row = re.search(rf'data-assessment="{final.id}".*?</tr>', text, re.S).group(0)
    assert "<strong>3</strong>" in row and "156/156" in row and "Final" in row
    row = re.search(rf'data-assessment="{going.id}".*?</tr>', text, re.S).group(0)
    assert "39/156" in row and "In progress" in row
    assert text.index("Going") < text.index("Done")  # newest first
    with count_queries() as few:
        client.get(f"/o/{org.slug}/assessments/")
    for n in range(3):
        answer_all(org, consultant, started(org, consultant, title=f"More {n}"), count=2)
    with count_queries() as more:
        client.get(f"/o/{org.slug}/assessments/")
    assert len(more) == len(few)


def test_the_charts_are_svg_images(login, org, consultant):
    assessment = started(org, consultant)
    client = login(consultant)
    assert 'id="chart-radar"' not in client.get(url(org, assessment)).get_data(as_text=True)  # nothing rated yet
    answer_all(org, consultant, assessment, count=20)
    page = client.get(url(org, assessment)).get_data(as_text=True)
    for name in ("radar", "clauses", "heat"):
        assert f'src="{url(org, assessment)}/charts/{name}.svg"' in page
        response = client.get(url(org, assessment, f"/charts/{name}.svg"))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
    assert client.get(url(org, assessment, "/charts/change.svg")).status_code == 404  # not a follow-up


def test_the_window_of_the_live_figures_is_chosen_on_the_page(login, org, consultant):
    assessment = started(org, consultant)
    client = login(consultant)
    response = client.post(url(org, assessment, "/window"), data={"evidence_window_days": "90"})
    assert response.status_code == 302 and response.location.endswith("#questions")
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).evidence_window_days == 90
    response = client.post(url(org, assessment, "/window"), data={"evidence_window_days": "2"})
    assert response.status_code == 422 and "Choose a window from 7 to 1098 days." in response.get_data(as_text=True)


def test_a_final_assessment_is_corrected_by_a_new_revision(login, org, consultant, manager):
    assessment = finalised(org, consultant)
    client = login(manager)
    response = client.post(url(org, assessment, "/revise"))
    assert response.status_code == 302
    revision = db.session.execute(select(Assessment).where(Assessment.revises_id == assessment.id)).scalar_one()
    assert response.location.endswith(url(org, revision)) and revision.status == "in_progress"
    page = client.get(url(org, assessment)).get_data(as_text=True)
    assert 'id="revised-by"' in page and 'id="revise"' not in page


def test_the_plan_is_changed_until_the_review(login, org, consultant):
    assessment = started(org, consultant)
    client = login(consultant)
    form = client.get(url(org, assessment, "/plan")).get_data(as_text=True)
    assert 'value="Baseline 2026"' in form
    data = {**_plan_form(consultant, title="Renamed"), "version": str(assessment.version)}
    response = client.post(url(org, assessment, "/plan"), data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).title == "Renamed"
    response = client.post(url(org, assessment, "/plan"), data=data)  # the version it was built from is gone
    assert response.status_code == 409


def test_the_page_in_persian_is_right_to_left(login, make):
    persian = make.organisation(name="بیمه", slug="bimeh", locale="fa", timezone="Asia/Tehran")
    consultant = make.member(persian, Role.CONSULTANT)
    assessment = started(persian, consultant, title="ارزیابی پایه")
    text = login(consultant).get(url(persian, assessment)).get_data(as_text=True)
    assert 'dir="rtl"' in text.split(">", 2)[1] and 'lang="fa"' in text
    assert questions()[0].text["fa"] in text and "ارزیابی پایه" in text
    assert "bootstrap.rtl.min.css" in text


def test_another_organisations_assessment_is_not_found(login, org, other_org, consultant, make):
    theirs = started(other_org, make.member(other_org, Role.CONSULTANT))
    client = login(consultant)
    assert client.get(f"/o/{org.slug}/assessments/{theirs.id}").status_code == 404
    response = client.post(f"/o/{org.slug}/assessments/{theirs.id}/questions/{questions()[0].id}",
                           data={"rating": "1"}, headers=HTMX)
    assert response.status_code == 404 and count(Answer) == 0


def test_the_consultants_view_takes_three_queries_whatever_the_number_of_assessments(login, make, org, other_org,
                                                                                   consultant, count_queries):
    make.member(other_org, Role.AUDITOR, user=consultant)
    started(org, consultant)
    client = login(consultant)
    client.get("/assessments/")
    with count_queries() as few:
        client.get("/assessments/")
    for n in range(3):
        answer_all(other_org, consultant, started(other_org, consultant, title=f"More {n}"), count=2)
    with count_queries() as more:
        text = client.get("/assessments/").get_data(as_text=True)
    assert "More 2" in text and len(more) == len(few)


def test_the_report_links_follow_the_reports_blueprint(app, login, org, consultant):
    assessment = started(org, consultant)
    page = login(consultant).get(url(org, assessment)).get_data(as_text=True)
    registered = "assessment_reports.report_docx" in app.view_functions
    assert ('id="report-docx"' in page) is registered
    assert ('id="answers-xlsx"' in page) is ("assessment_reports.answers_xlsx" in app.view_functions)
    if registered:
        assert f'href="{url(org, assessment)}/report.docx"' in page

