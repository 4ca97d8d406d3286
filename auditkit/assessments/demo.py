"""Demo gap assessments, seeded with the demo (auditkit.demo.seed_demo) after the corrective actions: in
demo-telecom a baseline about fourteen months old (overall about 1.75 on the 0–4 scale), eight of whose
recommendations became corrective actions, most of them since closed, and a follow-up of it about two months
old (about 2.65), clearly better in the clauses the actions addressed, unchanged in some and worse in two; in
demo-insurance a baseline about four months old (about 2.0) with five actions at their first steps. All are
final; every question of the shipped ISO 10002 gap-assessment checklist is answered, in the organisation's
language (demo_texts). A few (2–5 %) are not applicable, each with its reason: the question's premise does not
hold (no self-declaration made, no cost a complaint puts on the complainant, a process designed by the group),
or it asks about a practice that does not exist yet (how audits are run, when nothing was ever audited).

Everything goes through the services, with the demo members in their roles: create_assessment and the
assessment workflow (the consultant leads and submits, the auditor answers the operation clauses 7.x, the
manager finalises), answer_question for every question, links.raise_from_answer for the actions, and the
actions' own services and workflow for their steps. What the services stamp with the present is then set
back to the day the plans below say (in days from today, moved to the working day before when the
organisation's calendar says it is off): the assessments' created and finalised times, each answer's time
during the fieldwork, each action's raising, steps, events and tasks; an action raised in an earlier year
takes that year's number. Dates the services refuse in the past (an action's check) are put in place after
them. A final assessment's live figures end when it was finalised, so each answer's stored figure is the one
over that window, and the notes quote it (when the register has complaints).

Ratings are deterministic (random.Random seeded by the organisation): each clause has a typical level for the
organisation (`levels`: operation, 7.x, stronger than leadership, 5.x, auditing, 8.5, and management review,
8.6), each question varies around it, and the few ratings that bring the overall score to the plan's are
then moved one step at a time, the one furthest from its clause's level first. A follow-up starts from the
baseline's ratings: up by one or two in the clauses whose recommendations became actions (to at least
"partly in place"), a little in most others, not at all in `unchanged`, down in `worse`. Its notes open with
the comparison and, where an action was raised, what became of it by then; a finding unchanged since the
baseline keeps the baseline's gap and recommendation.

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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
from auditkit.assessments.answering import AnswerData, answer_question
from auditkit.assessments.demo_texts import QUESTION_TOPICS, TOPICS, WORDS, ActionWords, Words
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.services import PlanData, create_assessment
from auditkit.complaints.settings import settings_of
from auditkit.core import counters
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.standard.models import Checklist, ChecklistVersion, Clause, Question

CHECKLIST = "iso10002-2018-gap-assessment"
CONSULTANT_EMAIL = "consultant@demo.example"  # auditkit.demo's consultant, who serves both organisations
TOP = 4
C, A, M, H = Role.CONSULTANT, Role.AUDITOR, Role.MANAGER, Role.HANDLER
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Fieldwork:
    """When an assessment was planned, worked on, submitted and finalised (days from today), and the window of
    its live figures."""

    planned: int
    starts: int
    ends: int
    submitted: int
    finalised: int
    window: int = 365


@dataclass(frozen=True)
class Course:
    """An action raised from a baseline recommendation: the state it ends in, its owner, the priority and the
    rating of the answer it comes from, the follow-up's rating of that question, and the days of its steps
    (None: not reached). Tasks are added the day before the plan is approved, the first and the last due and
    done on the days given (`done_count` of them done, default all)."""

    state: str
    owner: Role
    priority: str
    rating: int
    raised: int
    after: int | None = None
    analysed: int | None = None
    planned: int | None = None
    tasks_due: tuple[int, int] | None = None
    done: tuple[int, int] | None = None
    done_count: int | None = None
    implemented: int | None = None
    check: int | None = None
    requested: int | None = None
    verified: int | None = None
    closed: int | None = None

    def status_on(self, offset: int) -> str:
        """The action's state on a day."""
        steps = (("open", self.raised), ("root_cause_found", self.analysed), ("planned", self.planned),
                 ("implemented", self.implemented), ("check_due", self.requested),
                 ("verified_effective", self.verified), ("closed", self.closed))
        reached = [state for state, day in steps if day is not None and day <= offset]
        return reached[-1] if reached else "open"


@dataclass(frozen=True)
class Programme:
    """One organisation's demo assessments."""

    baseline: Fieldwork
    levels: dict[str, float]  # the baseline's typical level of each clause, by number
    overall: float  # the baseline's overall score
    courses: dict[str, Course]  # the actions raised from its recommendations, by question key
    follow_up: Fieldwork | None = None
    follow_up_overall: float = 0.0
    unchanged: tuple[str, ...] = ()  # clauses the follow-up rates as the baseline did
    worse: tuple[str, ...] = ()  # clauses that slipped


PROGRAMMES: dict[str, Programme] = {
    "demo-telecom": Programme(
        baseline=Fieldwork(planned=-450, starts=-444, ends=-432, submitted=-431, finalised=-427, window=180),
        levels={"4.1": 1.5, "4.2": 1.5, "4.3": 2.0, "4.4": 2.0, "4.5": 2.8, "4.6": 2.3, "4.7": 1.6, "4.8": 3.0,
                "4.9": 2.0, "4.10": 2.2, "4.11": 1.6, "4.12": 1.5, "4.13": 1.2, "4.14": 1.6, "4.15": 2.0,
                "5.1": 1.0, "5.2": 1.2, "5.3": 1.5, "5.4": 1.0, "6.1": 1.2, "6.2": 1.5, "6.3": 1.6, "6.4": 1.7,
                "7.1": 2.4, "7.2": 2.6, "7.3": 2.5, "7.4": 2.6, "7.5": 1.6, "7.6": 2.0, "7.7": 2.2, "7.8": 2.4,
                "7.9": 2.0, "8.1": 2.0, "8.2": 1.4, "8.3": 1.6, "8.4": 1.6, "8.5": 0.3, "8.6": 0.6, "8.7": 1.0},
        overall=1.75,
        courses={
            "ga-8.5-01": Course("closed", A, "critical", 0, raised=-424, after=3, analysed=-418, planned=-414,
                                tasks_due=(-395, -335), done=(-397, -337), implemented=-335, check=-255,
                                requested=-257, verified=-253, closed=-251),
            "ga-8.6-01": Course("closed", M, "high", 1, raised=-424, after=3, analysed=-416, planned=-411,
                                tasks_due=(-380, -315), done=(-382, -317), implemented=-315, check=-225,
                                requested=-227, verified=-222, closed=-220),
            "ga-5.4-01": Course("closed", M, "high", 1, raised=-423, after=4, analysed=-417, planned=-415,
                                tasks_due=(-400, -365), done=(-403, -367), implemented=-365, check=-275,
                                requested=-277, verified=-273, closed=-272),
            "ga-6.2-02": Course("closed", M, "medium", 1, raised=-423, after=3, analysed=-414, planned=-410,
                                tasks_due=(-375, -345), done=(-377, -346), implemented=-344, check=-250,
                                requested=-252, verified=-248, closed=-247),
            "ga-7.5-01": Course("closed", M, "high", 1, raised=-422, after=3, analysed=-416, planned=-413,
                                tasks_due=(-390, -355), done=(-392, -357), implemented=-355, check=-265,
                                requested=-267, verified=-263, closed=-261),
            "ga-8.2-05": Course("verified_effective", M, "high", 1, raised=-422, after=3, analysed=-412,
                                planned=-408, tasks_due=(-375, -215), done=(-377, -217), implemented=-215,
                                check=-30, requested=-32, verified=-25),
            "ga-8.3-02": Course("check_due", M, "medium", 2, raised=-421, after=3, analysed=-411, planned=-406,
                                tasks_due=(-355, -165), done=(-360, -167), implemented=-165, check=-5,
                                requested=-7),
            "ga-4.14-02": Course("implemented", M, "medium", 2, raised=-421, after=3, analysed=-410,
                                 planned=-404, tasks_due=(-315, -85), done=(-320, -87), implemented=-85, check=30),
        },
        follow_up=Fieldwork(planned=-80, starts=-72, ends=-63, submitted=-62, finalised=-58),
        follow_up_overall=2.65, unchanged=("4.8", "5.1", "7.1"), worse=("4.10", "6.4")),
    "demo-insurance": Programme(
        baseline=Fieldwork(planned=-132, starts=-125, ends=-114, submitted=-113, finalised=-110),
        levels={"4.1": 1.8, "4.2": 1.6, "4.3": 1.8, "4.4": 2.2, "4.5": 2.4, "4.6": 2.4, "4.7": 2.2, "4.8": 3.2,
                "4.9": 2.2, "4.10": 2.6, "4.11": 1.8, "4.12": 1.8, "4.13": 1.4, "4.14": 2.0, "4.15": 1.6,
                "5.1": 1.8, "5.2": 1.4, "5.3": 1.8, "5.4": 2.0, "6.1": 1.3, "6.2": 1.6, "6.3": 1.8, "6.4": 1.8,
                "7.1": 2.4, "7.2": 2.2, "7.3": 2.4, "7.4": 2.8, "7.5": 1.8, "7.6": 2.4, "7.7": 2.0, "7.8": 2.6,
                "7.9": 2.6, "8.1": 2.2, "8.2": 1.6, "8.3": 1.2, "8.4": 2.0, "8.5": 0.0, "8.6": 0.6, "8.7": 1.2},
        overall=2.0,
        courses={
            "ga-8.6-01": Course("planned", M, "high", 0, raised=-106, analysed=-98, planned=-92,
                                tasks_due=(-60, 15), done=(-62, -62), done_count=1),
            "ga-4.15-03": Course("implemented", M, "high", 1, raised=-106, analysed=-99, planned=-95,
                                 tasks_due=(-70, -22), done=(-72, -24), implemented=-20, check=40),
            "ga-7.5-03": Course("planned", M, "low", 1, raised=-105, analysed=-96, planned=-88, tasks_due=(-30, 40)),
            "ga-8.5-01": Course("root_cause_found", A, "medium", 0, raised=-105, analysed=-80),
            "ga-4.4-02": Course("open", M, "low", 2, raised=-102),
        }),
}


def _number_of(question: Question) -> str:
    return question.clause_key.rsplit(":", 1)[1]


def _section(number: str) -> str:
    return number.split(".", 1)[0]


def _clamp(value: float) -> int:
    return min(max(round(value), 0), TOP)


def _priority(rating: int, weight: float) -> str:
    """How urgent a recommendation is, from how far the practice is from being in place and how firmly the
    standard points at it."""
    if rating == 0:
        return "critical" if weight >= 5 else "high"
    if rating == 1:
        return "high" if weight >= 4 else "medium"
    return "medium" if weight >= 4 else "low"


def _spread(days: tuple[int, int], count: int) -> list[int]:
    first, last = days
    return [first + round(i * (last - first) / (count - 1)) if count > 1 else first for i in range(count)]


def calibrate(ratings: dict[str, int | None], weights: dict[str, float], levels: dict[str, float],
              movable: list[str], target: float, floor: dict[str, int] | None = None) -> None:
    """Move ratings one step at a time until the weighted mean is within 0.03 of the target: up, the one
    furthest below its level first; down, the one furthest above (never under its floor)."""
    floor = floor or {}
    for _ in range(4 * len(movable) * TOP):
        rated = [(weights[key], value) for key, value in ratings.items() if value is not None]
        mean = sum(w * v for w, v in rated) / sum(w for w, _ in rated)
        if abs(mean - target) <= 0.03:
            return
        up = mean < target
        candidates = [key for key in movable if ratings[key] is not None
                      and (ratings[key] < TOP if up else ratings[key] > floor.get(key, 0))]
        if not candidates:
            return
        if up:
            key = min(candidates, key=lambda k: ratings[k] - levels[k])
            ratings[key] += 1
        else:
            key = max(candidates, key=lambda k: ratings[k] - levels[k])
            ratings[key] -= 1


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


@dataclass
class _Sitting:
    """One assessment being answered: what its notes need besides the question."""

    kind: str
    rng: random.Random
    figures: dict[int, evidence.Figure]
    days: int
    quote: bool  # whether the register had complaints to quote
    compare: Callable[[Question, int], list[str]] | None = None
    previous: dict[str, Answer] = field(default_factory=dict)  # the baseline's answers, by question key
    used: set[tuple[str, ...]] = field(default_factory=set)


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


def _evidence_items(text: str | None, skip_words: tuple[str, ...]) -> list[str]:
    """The documents and records a question names as typical evidence, in its order (figures of the register,
    which the note quotes itself, conditional items and items written with Latin letters left out)."""
    items = [item.strip().rstrip("。.").strip() for item in re.split(r"[；;؛]", text or "")]
    return [item for item in items
            if item and not _LATIN.search(item) and not any(word in item for word in skip_words)]


class _Seeder:
    def __init__(self, organisation: Organisation, programme: Programme, words: Words, cast: dict[Role, Actor],
                 version: ChecklistVersion):
        self.organisation, self.programme, self.words, self.cast, self.version = (
            organisation, programme, words, cast, version)
        self.seed = f"auditkit-demo-assessments:{organisation.slug}"
        self.questions = list(db.session.execute(select(Question).where(
            Question.checklist_version_id == version.id).order_by(Question.position)).scalars())
        self.weights = {q.key: q.weight for q in self.questions}
        self.titles = dict(db.session.execute(select(Clause.key, Clause.title).where(
            Clause.framework_version_id == version.framework_version_id)).all())
        self.raised: dict[str, CorrectiveAction] = {}
        self.acted = {key.split("-")[1] for key in programme.courses}  # clauses whose recommendations became actions

    # Words

    def digits(self, text: str) -> str:
        return text.translate(_PERSIAN_DIGITS) if self.words.language == "fa" else text

    def number(self, value: float) -> str:
        """A figure as the organisation writes it (Persian: its digits, its decimal and thousands separators)."""
        if self.words.language != "fa":
            return str(int(value)) if float(value).is_integer() else str(value)
        text = f"{int(value):,}" if float(value).is_integer() else str(value)
        return self.digits(text).replace(",", "٬").replace(".", "٫")

    def level(self, value: int) -> str:
        return self.words.level.format(n=self.number(value))

    def clause(self, question: Question) -> str:
        """The clause's number and title; a clause titled "General" goes by its section's title."""
        title = self.titles.get(question.clause_key, {})
        if title.get("en") == "General":
            title = self.titles.get(question.clause_key.rsplit(".", 1)[0], title)
        return self.words.clause.format(number=self.digits(_number_of(question)),
                                        title=title.get(self.words.language) or title.get("en", ""))

    def pick(self, sitting: _Sitting, scope: tuple[str, ...], options: tuple[str, ...]) -> str:
        """One of the options, not one already used in the same scope (a clause) when there is another."""
        fresh = [option for option in options if (*scope, option) not in sitting.used] or list(options)
        chosen = sitting.rng.choice(fresh)
        sitting.used.add((*scope, chosen))
        return chosen

    def topic(self, sitting: _Sitting, question: Question) -> str:
        """The topic of the question's gap and recommendation: its own when it has one, else its tags' in order,
        the first with a recommendation not yet made in its clause when there is one."""
        if question.key in QUESTION_TOPICS:
            return QUESTION_TOPICS[question.key]
        topics = list(dict.fromkeys(TOPICS[tag] for tag in question.tags or [] if tag in TOPICS)) or ["improvement"]
        scope = (question.clause_key, "recommendation")
        return next((topic for topic in topics if any(
            (*scope, text) not in sitting.used for text in self.words.recommendations[topic])), topics[0])

    def notes(self, sitting: _Sitting, question: Question, rating: int) -> str:
        words, clause = self.words, self.clause(question)
        parts = sitting.compare(question, rating) if sitting.compare else []
        observed = self.pick(sitting, (question.clause_key, "observed"), words.observed[rating])
        parts.append(observed.format(clause=clause))
        items = _evidence_items((question.evidence or {}).get(words.language), words.skip_words)
        if len(items) >= 2:
            a, b = (items[i] for i in sorted(sitting.rng.sample(range(len(items)), 2)))
            parts.append(self.pick(sitting, (question.clause_key, "sighted"), words.sighted[rating]).format(a=a, b=b))
        figure = sitting.figures.get(question.id)
        template = words.figures.get(figure.key) if figure else None
        if sitting.quote and template and isinstance(figure.value, int | float) and figure.value is not None:
            parts.append(template.format(value=self.number(figure.value), days=self.number(sitting.days)))
        return words.separator.join(parts)

    def answer(self, sitting: _Sitting, question: Question, rating: int | None, justification: str) -> AnswerData:
        if rating is None:
            return AnswerData(not_applicable=True, justification=justification)
        data = AnswerData(rating=rating, notes=self.notes(sitting, question, rating))
        if rating <= 2:
            course = self.programme.courses.get(question.key) if sitting.kind == "baseline" else None
            acted: ActionWords | None = self.words.actions.get(question.key) if course else None
            previous = sitting.previous.get(question.key)
            clause = self.clause(question)
            if acted is not None:
                data.gap, data.recommendation, data.priority = acted.gap, acted.recommendation, course.priority
            elif previous is not None and previous.rating == rating and previous.recommendation:
                data.gap, data.recommendation, data.priority = previous.gap, previous.recommendation, previous.priority
            else:
                if sitting.kind == "follow_up" and _number_of(question) in self.acted and self.words.settling[0]:
                    gaps, recommendations = self.words.settling
                else:
                    topic = self.topic(sitting, question)
                    gaps = (self.words.gaps[topic][0 if rating <= 1 else 1],)
                    recommendations = self.words.recommendations[topic]
                data.gap = self.pick(sitting, (question.clause_key, "gap"), gaps).format(clause=clause)
                data.recommendation = self.pick(sitting, (question.clause_key, "recommendation"),
                                                recommendations).format(clause=clause)
                data.priority = _priority(rating, question.weight)
        return data

    # Ratings

    def baseline_ratings(self) -> dict[str, int | None]:
        programme, rng = self.programme, random.Random(f"{self.seed}:baseline-ratings")
        levels = {q.key: programme.levels[_number_of(q)] for q in self.questions}
        ratings: dict[str, int | None] = {}
        for question in self.questions:
            key = question.key
            if key in self.words.not_applicable:
                ratings[key] = None
            elif key in programme.courses:
                ratings[key] = programme.courses[key].rating
            else:
                ratings[key] = _clamp(levels[key] + rng.gauss(0, .6))
        movable = [q.key for q in self.questions if ratings[q.key] is not None and q.key not in programme.courses]
        rng.shuffle(movable)
        calibrate(ratings, self.weights, levels, movable, programme.overall)
        return ratings

    def follow_up_ratings(self, before: dict[str, int | None]) -> dict[str, int | None]:
        programme, rng, acted = self.programme, random.Random(f"{self.seed}:follow-up-ratings"), self.acted
        ratings: dict[str, int | None] = {}
        levels: dict[str, float] = {}
        movable: list[str] = []
        for question in self.questions:
            key, number, was = question.key, _number_of(question), before.get(question.key)
            level = programme.levels[number]
            if key in self.words.follow_up_not_applicable:
                ratings[key] = None
            elif key in programme.courses:
                ratings[key] = programme.courses[key].after
            elif number in programme.unchanged and was is not None:
                ratings[key] = was
            elif number in programme.worse and was is not None:
                ratings[key] = was - 1 if was > 0 and rng.random() < .5 else was
            else:
                gain = 1.5 if number in acted else .8
                ratings[key] = (_clamp(level + gain + rng.gauss(0, .5)) if was is None else
                                min(was + rng.choice((1, 1, 2, 2, 2) if number in acted else (0, 0, 1, 1, 1, 2)), TOP))
                if number in acted:  # the action put the practice at least partly in place
                    ratings[key] = max(ratings[key], 2)
                levels[key] = level + gain
                movable.append(key)
        for number in programme.worse:  # at least one step down in each
            inside = [q.key for q in self.questions if _number_of(q) == number and before.get(q.key)]
            if inside and all(ratings[key] == before[key] for key in inside):
                ratings[inside[0]] = before[inside[0]] - 1
        rng.shuffle(movable)
        floor = {key: max(before.get(key) or 0, 2 if _number_of(q) in acted else 0)
                 for q in self.questions if (key := q.key) in movable}
        calibrate(ratings, self.weights, levels, movable, programme.follow_up_overall, floor)
        return ratings

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
        sitting = _Sitting(kind, random.Random(f"{self.seed}:{kind}:words"), figures, fieldwork.window,
                           bool(received), compare, previous or {})
        workflow.start(cast[C], assessment, assessment.version)
        answers: dict[str, Answer] = {}
        for question in self.questions:
            actor = cast[A] if _section(_number_of(question)) == "7" else cast[C]
            given = self.answer(sitting, question, ratings[question.key], not_applicable.get(question.key, ""))
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

    def comparison(self, baseline: Assessment, before: dict[str, int | None]) -> Callable[[Question, int], list[str]]:
        """The opening of a follow-up's notes: how the question stands against the baseline, and what became of
        the action raised from its recommendation."""
        words, rng = self.words, random.Random(f"{self.seed}:compare")
        explained: set[str] = set()
        on = self.programme.follow_up.ends

        def compare(question: Question, rating: int) -> list[str]:
            was, number = before.get(question.key), _number_of(question)
            values = {"reference": baseline.label, "before": self.level(was) if was is not None else "",
                      "after": self.level(rating)}
            parts = []
            action = self.raised.get(question.key)
            if action is not None:
                course = self.programme.courses[question.key]
                parts.append(words.compared["action"][0].format(
                    action=action.reference, status=words.statuses[course.status_on(on)]))
                parts.append(words.actions[question.key].after)
            if was is None:
                parts.append(rng.choice(words.compared["new"]))
            elif rating > was:
                parts.append(rng.choice(words.compared["better"]).format(**values))
            elif rating == was:
                parts.append(rng.choice(words.compared["pending" if rating <= 2 else "same"]).format(**values))
            else:
                parts.append(rng.choice(words.compared["worse"]).format(**values))
                if number in words.worse and number not in explained:
                    explained.add(number)
                    parts.append(words.worse[number])
            return parts

        return compare

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
            for index, (title, due) in enumerate(zip(acted.tasks, _spread(course.tasks_due, len(acted.tasks)),
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
            for (task, doer), done in zip(tasks[:count], _spread(course.done or (0, 0), count), strict=True):
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
        before = self.baseline_ratings()
        baseline, answers = self.conduct("baseline", programme.baseline, before, words.not_applicable)
        for key, course in sorted(programme.courses.items(), key=lambda item: (item[1].raised, item[0])):
            self.raised[key] = self.raise_action(baseline, answers[key], course, words.actions[key])
        if programme.follow_up is None:
            return 1
        self.conduct("follow_up", programme.follow_up, self.follow_up_ratings(before), words.follow_up_not_applicable,
                     baseline=baseline, compare=self.comparison(baseline, before), previous=answers)
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
