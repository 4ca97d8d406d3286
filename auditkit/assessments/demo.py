"""Demo gap assessments, seeded with the demo (auditkit.demo.seed_demo) after the corrective actions, as
demo_plans plans them: two in demo-telecom (a baseline and its follow-up, with eight actions raised from the
baseline's recommendations), one in demo-insurance (with five). All are final; every question of the shipped
ISO 10002 gap-assessment checklist is answered, in the organisation's language (demo_texts, worded by
demo_notes). A few (2–5 %) are not applicable, each with its reason: the question's premise does not hold (no
self-declaration made, no cost a complaint puts on the complainant, a process designed by the group), or it
asks about a practice that does not exist yet (how audits are run, when nothing was ever audited).

Everything goes through the services, with the demo members in their roles: create_assessment and the
assessment workflow (the consultant leads and submits, the auditor answers the operation clauses 7.x, the
manager finalises), answer_question for every question, links.raise_from_answer for the actions, and the
actions' own services and workflow for their steps. What the services stamp with the present is then set
back to the day the plans (demo_plans) say (in days from today, moved to the working day before when the
organisation's calendar says it is off): the assessments' created and finalised times, each answer's time
during the fieldwork, each action's raising, steps, events and tasks; an action raised in an earlier year
takes that year's number. Dates the services refuse in the past (an action's check) are put in place after
them. A final assessment's live figures end when it was finalised, so each answer's stored figure is the one
over that window, and the notes quote it (when the register has complaints).

Speed: answering a question that names a metric computes its live figure (metrics.compute over the
organisation's complaints), about fifty per assessment. Measured with 5,000 demo complaints each, that costs
about 3 ms a figure on SQLite and 14 ms on PostgreSQL, about 1.5 s of demo-telecom's 7.5 s there (two
assessments, eight actions; SQLite: 2 s, and demo-insurance 2 s and 1 s); the rest is the services' own work
and their audit trail, answer by answer. So answer_question is called as it is for every question, and the
stored figures over the final window come from one more evidence.figures call per assessment.

Idempotent: nothing happens in an organisation that has an assessment with a demo title. Nothing happens
either where a consultant, a manager or an auditor is missing, or the checklist is not loaded."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select, update

from auditkit.accounts.models import User
from auditkit.actions import workflow as action_workflow
from auditkit.actions.models import ActionCounter, ActionEvent, CorrectiveAction
from auditkit.actions.services import REFERENCE as ACTION_REFERENCE
from auditkit.actions.services import add_task, set_task_done, today
from auditkit.assessments import evidence, links, workflow
from auditkit.assessments.answering import answer_question
from auditkit.assessments.demo_notes import Sitting, Writer
from auditkit.assessments.demo_plans import (
    PROGRAMMES,
    Course,
    Fieldwork,
    Programme,
    baseline_ratings,
    follow_up_ratings,
    number_of,
    section,
    spread,
)
from auditkit.assessments.demo_texts import WORDS
from auditkit.assessments.demo_words import ActionWords, Words
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.services import PlanData, create_assessment
from auditkit.complaints.settings import settings_of
from auditkit.core import counters
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.standard.models import Checklist, ChecklistVersion, Clause, Question

__all__ = ["PROGRAMMES", "Course", "Fieldwork", "Programme", "checklist_version", "has_demo_assessments",
           "seed_assessments", "seed_organisation_assessments"]

CHECKLIST = "iso10002-2018-gap-assessment"
CONSULTANT_EMAIL = "consultant@demo.example"  # auditkit.demo's consultant, who serves both organisations
C, A, M, H = Role.CONSULTANT, Role.AUDITOR, Role.MANAGER, Role.HANDLER


class _Clock:
    """Times on the organisation's working days, in office hours, each after the one before."""

    def __init__(self, organisation: Organisation, rng: random.Random):
        self.zone = ZoneInfo(organisation.timezone or "UTC")
        self.today = today(organisation)
        self.calendar = settings_of(organisation).calendar
        self.rng = rng
        self.last = datetime.min.replace(tzinfo=UTC)

    def day(self, offset: int) -> date:
        day = self.today + timedelta(days=offset)
        for _ in range(10):
            if self.calendar.is_working_day(day):
                break
            day -= timedelta(days=1)
        return day

    def at(self, offset: int, hour: tuple[int, int] = (9, 17)) -> datetime:
        local = datetime.combine(self.day(offset), time(self.rng.randint(*hour), self.rng.randrange(60)), self.zone)
        self.last = max(local.astimezone(UTC), self.last + timedelta(minutes=self.rng.randint(3, 25)))
        return self.last

    def follow(self, minutes: tuple[int, int]) -> datetime:
        self.last += timedelta(minutes=self.rng.randint(*minutes))
        return self.last


class _Timeline:
    """An action's events, each set back to the time of the step that recorded it."""

    def __init__(self, action: CorrectiveAction):
        self.action, self.seen, self.last = action, 0, action.created_at

    def stamp(self, at: datetime, **data: str) -> None:
        db.session.flush()
        events = db.session.execute(select(ActionEvent).where(
            ActionEvent.action_id == self.action.id, ActionEvent.id > self.seen).order_by(ActionEvent.id)
        ).scalars().all()
        for event in events:
            event.at = at
            self.seen = max(self.seen, event.id)
        if events and data:
            events[-1].data = {**events[-1].data, **data}
        self.last = at
        db.session.flush()


def _cast(organisation_id: int) -> dict[Role, Actor] | None:
    """The demo consultant (else the first consultant) and the first member of each other role; a handler's
    tasks fall to the manager when there is none. None without a consultant, a manager and an auditor."""
    rows = db.session.execute(select(User.id, User.email, Membership.role)
                              .join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == organisation_id).order_by(User.id))
    cast: dict[Role, Actor] = {}
    for user_id, email, role in rows:
        actor = Actor(user_id, organisation_id, Role(role), email)
        if Role(role) is C and email == CONSULTANT_EMAIL:
            cast[C] = actor
        cast.setdefault(Role(role), actor)
    if H not in cast and M in cast:
        cast[H] = cast[M]
    return cast if {C, M, A} <= cast.keys() else None


def checklist_version() -> ChecklistVersion | None:
    """The newest version of the shipped gap-assessment checklist."""
    return db.session.execute(
        select(ChecklistVersion).join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(Checklist.key == CHECKLIST, Checklist.organisation_id.is_(None))
        .order_by(ChecklistVersion.number.desc()).limit(1)).scalar_one_or_none()


def has_demo_assessments(organisation_id: int, words: Words) -> bool:
    titles = [title for title in (words.baseline[0], words.follow_up[0]) if title]
    return db.session.execute(select(Assessment.id).where(
        Assessment.organisation_id == organisation_id, Assessment.title.in_(titles)).limit(1)).first() is not None


class _Seeder:
    def __init__(self, organisation: Organisation, programme: Programme, words: Words, cast: dict[Role, Actor],
                 version: ChecklistVersion):
        self.organisation, self.programme, self.words, self.cast, self.version = (
            organisation, programme, words, cast, version)
        self.seed = f"auditkit-demo-assessments:{organisation.slug}"
        self.questions = list(db.session.execute(select(Question).where(
            Question.checklist_version_id == version.id).order_by(Question.position)).scalars())
        titles = dict(db.session.execute(select(Clause.key, Clause.title).where(
            Clause.framework_version_id == version.framework_version_id)).all())
        self.writer = Writer(programme, words, titles)
        self.raised: dict[str, CorrectiveAction] = {}

    # Assessments

    def conduct(self, kind: str, fieldwork: Fieldwork, ratings: dict[str, int | None],
                not_applicable: dict[str, str], baseline: Assessment | None = None,
                compare: Callable[[Question, int], list[str]] | None = None,
                previous: dict[str, Answer] | None = None) -> tuple[Assessment, dict[str, Answer]]:
        """Plan, answer, submit and finalise one assessment, then set its times back to the fieldwork's."""
        organisation, cast, words = self.organisation, self.cast, self.words
        clock = _Clock(organisation, random.Random(f"{self.seed}:{kind}:clock"))
        title, scope = words.baseline if kind == "baseline" else words.follow_up
        planned_at = clock.at(fieldwork.planned)
        plan = PlanData(title=title, scope=scope, starts_on=clock.day(fieldwork.starts),
                        ends_on=clock.day(fieldwork.ends), target_maturity=3, lead_id=cast[C].user_id,
                        assessor_ids=[cast[C].user_id, cast[A].user_id], evidence_window_days=fieldwork.window)
        assessment = create_assessment(cast[C], organisation, plan, checklist_version_id=self.version.id, kind=kind,
                                       baseline_id=baseline.id if baseline else None)
        days = [day for day in (plan.starts_on + timedelta(days=i)
                                for i in range((plan.ends_on - plan.starts_on).days + 1))
                if clock.calendar.is_working_day(day)] or [plan.starts_on]
        answered_at = []
        for index in range(len(self.questions)):
            day = days[index * len(days) // len(self.questions)]
            if index == 0 or day != days[(index - 1) * len(days) // len(self.questions)]:
                answered_at.append(clock.at((day - clock.today).days, hour=(9, 10)))
            else:
                answered_at.append(clock.follow((4, 18)))
        submitted_at, finalised_at = clock.at(fieldwork.submitted), clock.at(fieldwork.finalised, hour=(14, 17))
        figures = evidence.figures(organisation, assessment, self.questions, now=finalised_at)
        received = next((f.value for f in figures.values() if f.key == "received"), None)
        sitting = Sitting(kind, random.Random(f"{self.seed}:{kind}:words"), figures, fieldwork.window,
                          bool(received), compare, previous or {})
        workflow.start(cast[C], assessment, assessment.version)
        answers: dict[str, Answer] = {}
        for question in self.questions:
            actor = cast[A] if section(number_of(question)) == "7" else cast[C]
            given = self.writer.answer(sitting, question, ratings[question.key], not_applicable.get(question.key, ""))
            answers[question.key] = answer_question(actor, organisation, assessment, question.id, given, None)
        workflow.submit(cast[C], assessment, assessment.version)
        workflow.finalise(cast[M], assessment, assessment.version)
        assessment.created_at, assessment.finalised_at, assessment.updated_at = planned_at, finalised_at, finalised_at
        for question, at in zip(self.questions, answered_at, strict=True):
            answer = answers[question.key]
            answer.created_at = answer.updated_at = min(at, submitted_at)
            if question.id in figures:
                answer.figure = figures[question.id].as_record()
        db.session.flush()
        return assessment, answers

    # Actions

    def raise_action(self, assessment: Assessment, answer: Answer, course: Course, acted: ActionWords
                     ) -> CorrectiveAction:
        """Raise the action from the answer and take it through its course's steps, each set back to its day."""
        organisation, cast = self.organisation, self.cast
        owner = cast[course.owner]
        verifier = cast[A] if owner.user_id == cast[M].user_id else cast[M]
        helper = cast[H] if owner.user_id != cast[H].user_id else cast[M]
        clock = _Clock(organisation, random.Random(f"{self.seed}:action:{answer.question_id}"))
        clock.last = assessment.finalised_at
        raised = clock.at(course.raised)
        action = links.raise_from_answer(owner, organisation, assessment, answer)
        action.created_at, action.due_on = raised, clock.day(course.raised) + timedelta(
            days=links.DUE_IN_DAYS[course.priority])
        for link in action.links:
            link.created_at = raised
        self._number(action, raised, clock)
        timeline = _Timeline(action)
        timeline.stamp(raised)
        if course.analysed is not None:
            at = clock.at(course.analysed)
            action_workflow.find_root_cause(owner, action, action.version, method="five_whys",
                                            analysis=list(acted.whys), root_cause=acted.root_cause)
            timeline.stamp(at)
        if course.tasks_due is not None:
            tasks = []
            for index, (title, due) in enumerate(zip(acted.tasks, spread(course.tasks_due, len(acted.tasks)),
                                                     strict=True)):
                at, doer = clock.at(course.planned - 1), (owner, helper)[index % 2]
                task = add_task(owner, organisation, action, action.version, title=title, owner_id=doer.user_id,
                                due_on=clock.day(due))
                task.created_at = at
                timeline.stamp(at)
                tasks.append((task, doer))
            at, check = clock.at(course.planned), clock.day(course.check or course.tasks_due[1] + 60)
            action_workflow.plan(owner, organisation, action, action.version, effectiveness_criteria=acted.criteria,
                                 check_on=max(check, clock.today))
            action.check_on = check
            timeline.stamp(at, check_on=check.isoformat())
            count = (course.done_count or len(tasks)) if course.done else 0
            for (task, doer), done in zip(tasks[:count], spread(course.done or (0, 0), count), strict=True):
                at = clock.at(done)
                set_task_done(doer, action, action.version, task.id, True)
                task.done_at = at
                timeline.stamp(at)
        if course.implemented is not None:
            at = clock.at(course.implemented)
            action_workflow.implement(owner, action, action.version, note=acted.note)
            action.implemented_at = at
            timeline.stamp(at)
        if course.requested is not None:
            at = clock.at(course.requested)
            action_workflow.request_check(owner, action, action.version)
            timeline.stamp(at)
        if course.verified is not None:
            at = clock.at(course.verified)
            action_workflow.verify(verifier, organisation, action, action.version, verdict="effective",
                                   comment=acted.verdict)
            action.verified_at = at
            timeline.stamp(at)
        if course.closed is not None:
            at = clock.at(course.closed)
            action_workflow.close(verifier, action, action.version)
            action.closed_at = at
            timeline.stamp(at)
        action.updated_at = timeline.last
        db.session.flush()
        if action.status != course.state:
            raise RuntimeError(f"demo action from {answer.question_id} ended {action.status}, not {course.state}")
        return action

    def _number(self, action: CorrectiveAction, raised: datetime, clock: _Clock) -> None:
        """An action raised in an earlier year takes that year's next number and gives back the one it took from
        this year's counter (the last one taken)."""
        year = raised.astimezone(clock.zone).year
        if year == clock.today.year:
            return
        table, organisation_id = ActionCounter.__table__, self.organisation.id
        taken = int(action.reference.rsplit("-", 1)[1])
        db.session.execute(update(table).where(
            table.c.organisation_id == organisation_id, table.c.year == clock.today.year, table.c.last == taken)
            .values(last=taken - 1))
        action.reference = ACTION_REFERENCE.format(year=year, seq=counters.reserve(table, organisation_id, year))
    def run(self) -> int:
        programme, words = self.programme, self.words
        before = baseline_ratings(programme, self.questions, words.not_applicable, self.seed)
        baseline, answers = self.conduct("baseline", programme.baseline, before, words.not_applicable)
        for key, course in sorted(programme.courses.items(), key=lambda item: (item[1].raised, item[0])):
            self.raised[key] = self.raise_action(baseline, answers[key], course, words.actions[key])
        if programme.follow_up is None:
            return 1
        after = follow_up_ratings(programme, self.questions, before, words.follow_up_not_applicable, self.seed)
        compare = self.writer.comparison(baseline, before, self.raised, self.seed)
        self.conduct("follow_up", programme.follow_up, after, words.follow_up_not_applicable,
                     baseline=baseline, compare=compare, previous=answers)
        return 2


def seed_organisation_assessments(organisation: Organisation, programme: Programme, words: Words) -> int:
    """Seed one organisation's demo assessments; returns how many were written (0: it had them already, or
    lacks a consultant, a manager or an auditor, or the checklist is not loaded)."""
    if has_demo_assessments(organisation.id, words):
        return 0
    cast, version = _cast(organisation.id), checklist_version()
    if cast is None or version is None:
        return 0
    with force_locale(words.language):
        return _Seeder(organisation, programme, words, cast, version).run()


def seed_assessments(organisations: dict[str, Organisation]) -> None:
    """The demo seeder (auditkit.demo.SEEDERS): each demo organisation's gap assessments, once."""
    for slug, programme in PROGRAMMES.items():
        if slug in organisations:
            seed_organisation_assessments(organisations[slug], programme, WORDS[slug])
