"""Gap assessments at the service level: planning, the workflow, answering with every refusal leaving the
assessment as it was, scores against a hand-computed fixture, revisions, follow-ups and actions raised from
recommendations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from auditkit.assessments import links, scoring, workflow
from auditkit.assessments.answering import AnswerData, answer_question, attach_evidence
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.services import PlanData, create_assessment, edit_plan
from auditkit.complaints.attachments import Upload
from auditkit.core.errors import Conflict, Forbidden, ValidationFailed
from auditkit.extensions import db
from auditkit.standard.models import Checklist, ChecklistVersion, Question
from tests.conftest import actor_of

TODAY = datetime.now(UTC).date()  # the organisations here keep UTC


def gap_version() -> ChecklistVersion:
    return db.session.execute(
        select(ChecklistVersion).join(Checklist).where(Checklist.key == "iso10002-2018-gap-assessment",
                                                       Checklist.organisation_id.is_(None))
        .order_by(ChecklistVersion.number.desc())).scalars().first()


def questions(version: ChecklistVersion) -> list[Question]:
    return list(db.session.execute(select(Question).where(Question.checklist_version_id == version.id)
                                   .order_by(Question.position)).scalars())


def plan(**values) -> PlanData:
    return PlanData(**{"title": "Baseline 2026", "scope": "All channels, head office", "starts_on": TODAY,
                       "target_maturity": 3, **values})


@pytest.fixture
def assessment(org, consultant) -> Assessment:
    actor = actor_of(consultant, org)
    found = create_assessment(actor, org, plan(), checklist_version_id=gap_version().id)
    workflow.start(actor, found, found.version)
    return found


def answer_all(actor, org, assessment, rating: int = 2) -> None:
    for question in questions(gap_version()):
        answer_question(actor, org, assessment, question.id, AnswerData(rating=rating), None)


def test_an_assessment_is_planned_in_draft_on_the_default_scale(org, consultant):
    found = create_assessment(actor_of(consultant, org), org, plan(assessor_ids=[consultant.id]),
                              checklist_version_id=gap_version().id)
    assert found.reference == f"GAP-{TODAY.year}-01" and found.status == "draft" and found.revision == 1
    assert [level["value"] for level in found.scale] == [0, 1, 2, 3, 4]
    assert found.scale[4]["label"]["en"] == "Fully in place and reviewed"
    assert found.scale[0]["label"]["fa"] and found.scale[0]["label"]["zh_Hans"]
    assert [a.user_id for a in found.assessors] == [consultant.id] and found.lead_id == consultant.id


@pytest.mark.parametrize(("values", "fields"), [
    ({"title": " "}, {"title"}),
    ({"scope": ""}, {"scope"}),
    ({"target_maturity": 5}, {"target_maturity"}),
    ({"target_maturity": -1}, {"target_maturity"}),
    ({"ends_on": TODAY - timedelta(days=1)}, {"ends_on"}),
    ({"evidence_window_days": 2}, {"evidence_window_days"}),
])
def test_a_bad_plan_is_refused_naming_the_field(org, consultant, values, fields):
    with pytest.raises(ValidationFailed) as refused:
        create_assessment(actor_of(consultant, org), org, plan(**values), checklist_version_id=gap_version().id)
    assert set(refused.value.fields) == fields
    assert db.session.execute(select(func.count()).select_from(Assessment)).scalar_one() == 0


def test_assessors_and_checklist_must_belong_to_the_organisation(org, other_org, consultant, make):
    stranger = make.member(other_org, "consultant")
    with pytest.raises(ValidationFailed) as refused:
        create_assessment(actor_of(consultant, org), org, plan(assessor_ids=[stranger.id]),
                          checklist_version_id=999999)
    assert set(refused.value.fields) == {"assessor_ids", "checklist_version_id"}


def test_handlers_and_viewers_cannot_plan_or_answer(org, handler, viewer, assessment):
    for user in (handler, viewer):
        with pytest.raises(Forbidden):
            create_assessment(actor_of(user, org), org, plan(), checklist_version_id=gap_version().id)
        with pytest.raises(Forbidden):
            answer_question(actor_of(user, org), org, assessment, questions(gap_version())[0].id,
                            AnswerData(rating=1), None)


def test_each_answer_saves_and_a_stale_one_is_refused(org, consultant, auditor, assessment):
    question = questions(gap_version())[0]
    first = answer_question(actor_of(consultant, org), org, assessment, question.id,
                            AnswerData(rating=3, notes="Policy seen", recommendation="Name an owner"), None)
    assert (first.rating, first.notes, first.clause_key) == (3, "Policy seen", question.clause_key)
    seen = first.version
    answer_question(actor_of(auditor, org), org, assessment, question.id, AnswerData(rating=2), seen)
    with pytest.raises(Conflict):  # the consultant's page still shows the first version
        answer_question(actor_of(consultant, org), org, assessment, question.id, AnswerData(rating=4), seen)
    assert db.session.get(Answer, first.id).rating == 2


@pytest.mark.parametrize(("data", "field"), [
    (AnswerData(rating=5), "rating"),
    (AnswerData(rating=-1), "rating"),
    (AnswerData(not_applicable=True), "justification"),
    (AnswerData(not_applicable=True, justification="  "), "justification"),
    (AnswerData(rating=2, not_applicable=True, justification="No shops"), "rating"),
    (AnswerData(rating=2, priority="urgent"), "priority"),
])
def test_a_bad_answer_is_refused_naming_the_field_and_nothing_is_written(org, consultant, assessment, data, field):
    with pytest.raises(ValidationFailed) as refused:
        answer_question(actor_of(consultant, org), org, assessment, questions(gap_version())[0].id, data, None)
    assert field in refused.value.fields
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0


def test_not_applicable_needs_a_justification_and_is_left_out_of_scores(org, consultant, assessment):
    actor = actor_of(consultant, org)
    first, second = [q for q in questions(gap_version()) if q.clause_key.endswith(":4.1")][:2]
    answer_question(actor, org, assessment, first.id, AnswerData(not_applicable=True, justification="No shops"), None)
    answer_question(actor, org, assessment, second.id, AnswerData(rating=1), None)
    clause = scoring.compute(assessment).clause(first.clause_key)
    assert (clause.answered, clause.not_applicable, clause.score, clause.gap) == (2, 1, 1.0, 2.0)


def test_a_question_of_another_checklist_is_refused(org, consultant, assessment):
    other = db.session.execute(select(Question).where(
        Question.checklist_version_id != assessment.checklist_version_id)).scalars().first()
    with pytest.raises(ValidationFailed) as refused:
        answer_question(actor_of(consultant, org), org, assessment, other.id, AnswerData(rating=1), None)
    assert "question_id" in refused.value.fields


def test_scores_are_weighted_means_by_clause_section_and_overall(org, consultant, assessment):
    actor = actor_of(consultant, org)
    by_clause: dict[str, list[Question]] = {}
    for question in questions(gap_version()):
        by_clause.setdefault(question.clause_key, []).append(question)
    q74, q75 = by_clause["iso10002:2018:7.4"], by_clause["iso10002:2018:7.5"]
    ratings = {q74[0].id: 4, q74[1].id: 1, q75[0].id: 2}
    for question_id, rating in ratings.items():
        answer_question(actor, org, assessment, question_id, AnswerData(rating=rating), None)
    weights = {q.id: q.weight for q in q74 + q75}
    scores = scoring.compute(assessment)
    expected_74 = (4 * weights[q74[0].id] + 1 * weights[q74[1].id]) / (weights[q74[0].id] + weights[q74[1].id])
    clause = scores.clause("iso10002:2018:7.4")
    assert clause.score == round(expected_74, 2) and clause.answered == 2 and clause.questions == len(q74)
    assert clause.gap == round(max(3 - round(expected_74, 2), 0), 2)
    assert scores.clause("iso10002:2018:7.5").score == 2.0
    assert scores.clause("iso10002:2018:4.1").score is None  # nothing rated: no score, no gap
    section = next(s for s in scores.sections if s.number == "7")
    total = sum(weights[i] * r for i, r in ratings.items()) / sum(weights[i] for i in ratings)
    assert section.score == round(total, 2) and scores.overall.score == round(total, 2)
    assert [s.number for s in scores.sections] == ["4", "5", "6", "7", "8"]
    assert scores.overall.questions == len(questions(gap_version()))
    assert scores.overall.percent == round(100 * round(total, 2) / 4, 1)


def test_scores_take_three_queries_whatever_the_number_of_answers(org, consultant, assessment, count_queries):
    answer_all(actor_of(consultant, org), org, assessment)
    with count_queries() as counted:
        scoring.compute(assessment)
    assert len(counted) <= 4


def test_the_workflow_to_final_locks_the_answers(org, consultant, manager, assessment):
    actor = actor_of(consultant, org)
    with pytest.raises(ValidationFailed) as refused:
        workflow.submit(actor, assessment, assessment.version)
    assert "156 questions are not answered" in str(refused.value)
    answer_all(actor, org, assessment)
    workflow.submit(actor, assessment, assessment.version)
    with pytest.raises(ValidationFailed) as refused:  # in review: answers wait for the review
        answer_question(actor, org, assessment, questions(gap_version())[0].id, AnswerData(rating=4), None)
    assert "in review" in str(refused.value)
    workflow.finalise(actor_of(manager, org), assessment, assessment.version)
    assert assessment.status == "final" and assessment.final_scores["overall"]["score"] == 2.0
    with pytest.raises(ValidationFailed) as refused:
        answer_question(actor, org, assessment, questions(gap_version())[0].id, AnswerData(rating=4), 1)
    assert "final and locked" in str(refused.value)
    with pytest.raises(ValidationFailed) as refused:
        edit_plan(actor, org, assessment, assessment.version, plan(title="Renamed"))
    assert assessment.title == "Baseline 2026"


def test_a_step_the_state_does_not_allow_names_the_allowed_ones(org, consultant, assessment):
    with pytest.raises(ValidationFailed) as refused:
        workflow.finalise(actor_of(consultant, org), assessment, assessment.version)
    assert "Submit for review" in str(refused.value) and assessment.status == "in_progress"


def test_an_auditor_answers_but_cannot_finalise(org, consultant, auditor, assessment):
    answer_all(actor_of(auditor, org), org, assessment)
    workflow.submit(actor_of(auditor, org), assessment, assessment.version)
    with pytest.raises(Forbidden):
        workflow.finalise(actor_of(auditor, org), assessment, assessment.version)


def test_a_correction_is_a_new_revision_and_the_final_one_stays(org, consultant, assessment):
    actor = actor_of(consultant, org)
    answer_all(actor, org, assessment)
    workflow.submit(actor, assessment, assessment.version)
    workflow.finalise(actor, assessment, assessment.version)
    revision = workflow.revise(actor, assessment)
    assert (revision.reference, revision.revision, revision.status) == (assessment.reference, 2, "in_progress")
    first = questions(gap_version())[0]
    answer = db.session.execute(select(Answer).where(Answer.assessment_id == revision.id,
                                                     Answer.question_id == first.id)).scalar_one()
    answer_question(actor, org, revision, first.id, AnswerData(rating=4), answer.version)
    original = db.session.execute(select(Answer).where(Answer.assessment_id == assessment.id,
                                                       Answer.question_id == first.id)).scalar_one()
    assert original.rating == 2 and assessment.status == "final"
    with pytest.raises(ValidationFailed):
        workflow.revise(actor, assessment)  # revised already: correct the revision


def test_a_follow_up_needs_a_final_baseline(org, consultant, assessment):
    actor = actor_of(consultant, org)
    with pytest.raises(ValidationFailed) as refused:
        create_assessment(actor, org, plan(), checklist_version_id=gap_version().id, kind="follow_up",
                          baseline_id=assessment.id)
    assert "baseline_id" in refused.value.fields
    answer_all(actor, org, assessment)
    workflow.submit(actor, assessment, assessment.version)
    workflow.finalise(actor, assessment, assessment.version)
    follow_up = create_assessment(actor, org, plan(title="Follow-up"), checklist_version_id=gap_version().id,
                                  kind="follow_up", baseline_id=assessment.id)
    assert follow_up.baseline_id == assessment.id and follow_up.reference.endswith("-02")


def test_a_recommendation_becomes_an_action_once_linked_both_ways(org, consultant, assessment):
    actor = actor_of(consultant, org)
    question = questions(gap_version())[0]
    answer = answer_question(actor, org, assessment, question.id, AnswerData(
        rating=1, gap="No written principles", recommendation="Write the principles into the policy\nwith owners",
        priority="high"), None)
    action = links.raise_from_answer(actor, org, assessment, answer)
    assert action.title == "Write the principles into the policy" and action.kind == "corrective"
    assert action.priority == "high" and (action.due_on - TODAY).days == 60
    assert {(link.kind, link.target_id or link.target_key) for link in action.links} == {
        ("assessment_answer", answer.id), ("clause", question.clause_key)}
    assert [a.id for a, _key in links.roadmap(assessment)] == [action.id]
    assert links.actions_by_question(assessment)[question.id][0].id == action.id
    with pytest.raises(ValidationFailed) as refused:
        links.raise_from_answer(actor, org, assessment, answer)
    assert action.reference in str(refused.value)


def test_evidence_files_are_checked_before_anything_is_stored(org, consultant, assessment):
    actor = actor_of(consultant, org)
    question = questions(gap_version())[0]
    with pytest.raises(ValidationFailed) as refused:
        attach_evidence(actor, assessment, question.id, [Upload("tool.exe", b"MZ\x90\x00" * 10)], [])
    assert "files" in refused.value.fields
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0
    written: list[str] = []
    stored = attach_evidence(actor, assessment, question.id, [Upload("policy.txt", b"Our policy")], written)
    assert stored[0].file_name == "policy.txt" and len(written) == 1
