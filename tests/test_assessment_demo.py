"""The demo gap assessments (auditkit.assessments.demo), seeded with the demo: demo-telecom's final baseline of
about fourteen months ago and its final follow-up of about two months ago, better overall but worse in some
clauses; demo-insurance's final baseline of about four months ago; every question answered, the not applicable
ones with a reason, the weak ones with a gap and a recommendation, in the organisation's language; actions
raised from the recommendations, on coherent timelines; the live figures of the final window stored and
quoted; seeding again adds nothing."""

from __future__ import annotations

import itertools
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from auditkit.actions.demo import seed_actions
from auditkit.actions.models import ActionEvent, ActionLink, ActionTask, CorrectiveAction
from auditkit.actions.services import today
from auditkit.assessments import evidence, links, scoring
from auditkit.assessments.demo import PROGRAMMES, checklist_version, seed_assessments
from auditkit.assessments.demo_texts import WORDS
from auditkit.assessments.models import Answer, Assessment
from auditkit.core.db import utcnow
from auditkit.core.security import Role
from auditkit.demo import SEEDERS, seed_demo
from auditkit.extensions import db
from auditkit.orgs.models import Membership
from auditkit.orgs.services import organisation_by_slug
from auditkit.standard.models import Question

PASSWORD = "demo assessments password"
CJK, ARABIC = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[\u0600-\u06ff]")
SCRIPTS = {"demo-telecom": (CJK, ARABIC), "demo-insurance": (ARABIC, CJK)}
# Latin letters allowed in the organisation's language: references and the standard's name.
ALLOWED_LATIN = re.compile(r"GAP-\d{4}-\d{2}( rev\. \d+)?|ACT-\d{4}-\d{4}|ISO 10002(:2018)?")
TELECOM, INSURANCE = "demo-telecom", "demo-insurance"


def seeded(app, monkeypatch, complaints: int = 0) -> dict:
    monkeypatch.setitem(app.config, "DEMO_COMPLAINTS", complaints)
    seed_demo(PASSWORD)
    return {slug: organisation_by_slug(slug) for slug in PROGRAMMES}


def assessments_of(organisation) -> list[Assessment]:
    return list(db.session.execute(select(Assessment).where(Assessment.organisation_id == organisation.id)
                                   .order_by(Assessment.id)).scalars())


def answers_of(assessment) -> dict[str, Answer]:
    rows = db.session.execute(select(Question.key, Answer).join(Question, Question.id == Answer.question_id)
                              .where(Answer.assessment_id == assessment.id))
    return {key: answer for key, answer in rows}


def days_ago(organisation, moment) -> int:
    return (today(organisation) - moment.astimezone(ZoneInfo(organisation.timezone)).date()).days


def totals() -> tuple[int, ...]:
    models = (Assessment, Answer, CorrectiveAction, ActionTask, ActionEvent, ActionLink)
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one() for model in models)


def in_language(slug: str, text: str) -> bool:
    script, other = SCRIPTS[slug]
    return bool(script.search(text)) and not other.search(text) and "~" not in text \
        and not re.search(r"[A-Za-z]", ALLOWED_LATIN.sub("", text))


def timeline_problems(organisation, action: CorrectiveAction, finalised_at) -> list[str]:
    """What in an action raised from an assessment breaks the rules of a coherent history."""
    zone = ZoneInfo(organisation.timezone)
    raised_on = action.created_at.astimezone(zone).date()
    events = list(db.session.execute(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                     .order_by(ActionEvent.id)).scalars())
    steps = [event.to_status for event in events if event.to_status]
    checks = {
        "raised after the assessment was finalised": action.created_at > finalised_at,
        "raised by the first event": events[0].kind == "raise" and events[0].at == action.created_at,
        "events in time order, none ahead": all(a.at <= b.at for a, b in itertools.pairwise(events))
        and events[-1].at <= utcnow() and action.updated_at == events[-1].at,
        "status is the last step's": steps[-1] == action.status,
        "due after raising": action.due_on >= raised_on and all(t.due_on >= raised_on for t in action.tasks),
        "tasks done after being added": all(t.done_at is None or t.done_at >= t.created_at for t in action.tasks),
        "numbered in the year raised": action.reference.startswith(f"ACT-{raised_on.year}-"),
        "owner is not the verifier": action.verified_by_id is None or action.verified_by_id != action.owner_id,
    }
    plans = [event for event in events if event.kind == "plan"]
    if plans:
        checks["check date on the plan event, not before it"] = (
            plans[-1].data["check_on"] == action.check_on.isoformat()
            and action.check_on >= plans[-1].at.astimezone(zone).date())
    if action.implemented_at is not None:
        checks["implemented after its tasks"] = all(t.done_at and t.done_at <= action.implemented_at
                                                    for t in action.tasks)
    if action.closed_at is not None:
        checks["closed after verification"] = action.closed_at >= action.verified_at >= action.implemented_at
    return [rule for rule, kept in checks.items() if not kept]


def telecom_has_a_final_baseline_and_a_final_follow_up_that_improved(organisations) -> None:
    organisation = organisations[TELECOM]
    programme = PROGRAMMES[TELECOM]
    baseline, follow_up = assessments_of(organisation)
    questions = db.session.execute(select(func.count()).select_from(Question).where(
        Question.checklist_version_id == checklist_version().id)).scalar_one()
    assert questions == 156
    assert (baseline.kind, baseline.status, baseline.baseline_id) == ("baseline", "final", None)
    assert (follow_up.kind, follow_up.status, follow_up.baseline_id) == ("follow_up", "final", baseline.id)
    for assessment in (baseline, follow_up):
        answers = answers_of(assessment)
        assert len(answers) == questions and all(answer.is_answered for answer in answers.values())
        assert assessment.final_scores == scoring.compute(assessment).as_record()  # frozen as computed
        assert assessment.created_at.date() <= assessment.starts_on <= assessment.ends_on
        assert all(assessment.created_at < answer.created_at < assessment.finalised_at for answer in answers.values())
        assert {a.answered_by_id for a in answers.values()} == {assessment.lead_id} | {
            a.user_id for a in assessment.assessors}
    assert 410 <= days_ago(organisation, baseline.finalised_at) <= 450  # about fourteen months ago
    assert 40 <= days_ago(organisation, follow_up.finalised_at) <= 75  # about two months ago
    assert baseline.reference.startswith(f"GAP-{baseline.starts_on.year}-")

    before, after = scoring.current(baseline), scoring.current(follow_up)
    assert 1.6 <= before.overall.score <= 1.9
    assert 2.5 <= after.overall.score <= 2.8
    changes = {clause.number: (clause.score, after.clause(clause.key).score) for clause in before.clauses}
    lower = [number for number, (was, now) in changes.items() if now < was]
    assert set(lower) == set(programme.worse)
    assert all(changes[number][0] == changes[number][1] for number in programme.unchanged)
    acted = {key.split("-")[1] for key in programme.courses}
    assert all(changes[number][1] >= changes[number][0] + .8 for number in acted)  # clearly better
    # Operation stronger than leadership, auditing and management review.
    section = {score.number: score.score for score in before.sections}
    clause = {number: was for number, (was, _now) in changes.items()}
    assert section["7"] > section["5"] and section["7"] > max(clause["8.5"], clause["8.6"]) + 1


def insurance_has_a_final_baseline_written_in_persian(organisations) -> None:
    organisation = organisations[INSURANCE]
    (baseline,) = assessments_of(organisation)
    assert (baseline.kind, baseline.status) == ("baseline", "final")
    assert 95 <= days_ago(organisation, baseline.finalised_at) <= 135  # about four months ago
    assert 1.85 <= scoring.current(baseline).overall.score <= 2.15
    answers = answers_of(baseline)
    assert len(answers) == 156 and all(answer.is_answered for answer in answers.values())
    texts = [text for answer in answers.values() for text in (answer.notes, answer.recommendation) if text]
    assert texts and all(ARABIC.search(text) for text in texts)


def answers_read_as_a_consultants_in_the_organisations_language(organisations) -> None:
    """Weak answers carry a gap and a recommendation with a priority, not applicable ones a reason, every rated
    one notes; recommendations are varied; every text is in the organisation's language."""
    for slug, organisation in organisations.items():
        recommendations = set()
        for assessment in assessments_of(organisation):
            answers = list(answers_of(assessment).values())
            texts = [assessment.title, assessment.scope]
            for answer in answers:
                texts += [answer.notes, answer.gap, answer.recommendation, answer.justification]
            for action, _key in links.roadmap(assessment):
                texts += [action.title, action.problem, action.root_cause, action.effectiveness_criteria,
                          action.verdict_comment, *(action.rca or []), *(task.title for task in action.tasks)]
            for text in filter(None, texts):
                assert in_language(slug, text), (slug, text)
            skipped = [answer for answer in answers if answer.not_applicable]
            assert skipped and len(skipped) <= .06 * len(answers), slug
            assert all(a.rating is None and a.justification and not a.recommendation for a in skipped)
            for answer in (a for a in answers if not a.not_applicable):
                assert answer.notes and answer.justification is None
                weak = answer.rating <= 2
                assert bool(answer.gap) == bool(answer.recommendation) == bool(answer.priority) == weak
                recommendations.add(answer.recommendation)
        assert len(recommendations - {None}) >= 30, slug  # varied, not one phrase pasted everywhere



def recommendations_became_actions_on_coherent_timelines_numbered_in_their_year(organisations) -> None:
    for slug, organisation in organisations.items():
        programme = PROGRAMMES[slug]
        baseline = assessments_of(organisation)[0]
        roadmap = links.roadmap(baseline)
        assert sorted(key for _action, key in roadmap) == sorted(programme.courses)
        answers = answers_of(baseline)
        for action, key in roadmap:
            course = programme.courses[key]
            source = next(link for link in action.links if link.is_source)
            assert (source.kind, source.target_id) == ("assessment_answer", answers[key].id)
            assert action.status == course.state and action.priority == answers[key].priority == course.priority
            assert action.title == answers[key].recommendation.splitlines()[0]
            assert timeline_problems(organisation, action, baseline.finalised_at) == [], (slug, key)
            assert db.session.execute(select(Membership.role).where(
                Membership.organisation_id == organisation.id, Membership.user_id == action.owner_id)
            ).scalar_one() == course.owner.value
    # In the telecom's follow-up, what the actions addressed is better, and the notes name the action.
    telecom = organisations[TELECOM]
    baseline, follow_up = assessments_of(telecom)
    before, after = answers_of(baseline), answers_of(follow_up)
    for action, key in links.roadmap(baseline):
        assert after[key].rating >= 3 > before[key].rating and action.reference in after[key].notes
    closed = [action for action, _key in links.roadmap(baseline) if action.status == "closed"]
    assert len(closed) == 5 and all(action.closed_at < follow_up.created_at for action in closed)

    # Each record is numbered in its own year: the baseline and the follow-up a year and more apart, the actions
    # consecutively in the year they were raised.
    assert baseline.starts_on.year < follow_up.starts_on.year
    assert (baseline.reference, follow_up.reference) == (f"GAP-{baseline.starts_on.year}-01",
                                                         f"GAP-{follow_up.starts_on.year}-01")
    for organisation in organisations.values():
        actions = [action for action, _key in links.roadmap(assessments_of(organisation)[0])]
        zone = ZoneInfo(organisation.timezone)
        for year in {action.created_at.astimezone(zone).year for action in actions}:
            numbers = sorted(int(a.reference.rsplit("-", 1)[1]) for a in actions
                             if a.reference.startswith(f"ACT-{year}-"))
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def stored_figures_are_the_final_windows_and_the_notes_quote_them(organisations) -> None:
    for organisation in organisations.values():
        for assessment in assessments_of(organisation):
            questions = list(db.session.execute(select(Question).where(
                Question.checklist_version_id == assessment.checklist_version_id, Question.metric.is_not(None))
            ).scalars())
            # As they stood when it was finalised: a final assessment's window ends then.
            live = evidence.figures(organisation, assessment, questions, now=assessment.finalised_at)
            answers = answers_of(assessment)
            assert all(answers[q.key].figure == live[q.id].as_record() for q in questions if not
                       answers[q.key].not_applicable)
            assert all(answers[q.key].figure["end"] == assessment.finalised_at.isoformat() for q in questions
                       if answers[q.key].figure)
    telecom_baseline = assessments_of(organisations[TELECOM])[0]
    answer = answers_of(telecom_baseline)["ga-7.4-01"]
    value = answer.figure["value"]
    assert f"{int(value) if float(value).is_integer() else value}%" in answer.notes
    insurance_baseline = assessments_of(organisations[INSURANCE])[0]
    answer = answers_of(insurance_baseline)["ga-7.2-01"]  # complaints received in the window
    received = f"{answer.figure['value']:,}".translate(str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹٬"))
    assert f" {received} شکایت" in answer.notes


def test_the_demo_assessments_seeded_once_and_only_once(app, monkeypatch):
    """One seeding (the whole demo, with a few complaints for the live figures) checked from every side, then
    seeded again: each check re-seeding the demo cost a minute of the suite."""
    organisations = seeded(app, monkeypatch, complaints=400)
    telecom_has_a_final_baseline_and_a_final_follow_up_that_improved(organisations)
    insurance_has_a_final_baseline_written_in_persian(organisations)
    answers_read_as_a_consultants_in_the_organisations_language(organisations)
    recommendations_became_actions_on_coherent_timelines_numbered_in_their_year(organisations)
    stored_figures_are_the_final_windows_and_the_notes_quote_them(organisations)
    before = totals()
    seed_demo(PASSWORD)
    assert totals() == before
    statuses = {a.status for organisation in organisations.values() for a in assessments_of(organisation)}
    assert statuses == {"final"}
    assert {a.title for a in assessments_of(organisations[INSURANCE])} == {WORDS[INSURANCE].baseline[0]}


def test_the_seeder_runs_after_the_actions_and_only_where_it_can(make):
    assert SEEDERS.index(seed_assessments) > SEEDERS.index(seed_actions)
    organisation = make.organisation(slug="demo-insurance", locale="fa", timezone="Asia/Tehran")
    make.member(organisation, Role.MANAGER)
    make.member(organisation, Role.CONSULTANT)
    seed_assessments({"demo-insurance": organisation})  # no auditor to assess with: nothing seeded
    assert assessments_of(organisation) == []

