"""Demo corrective actions: fifteen in each demo organisation, written in its language (demo_texts), in every
state of the workflow, from a demo complaint, a complaint trend or no source, each linked to the ISO 10002
clauses it answers; some overdue, some due within the week.

Each action goes through the real services (raise_action, add_task, set_task_done, the workflow's steps)
with the demo members acting in their roles, so its timeline, its reference and the rules are the
application's own. After each step, what the services stamp with the present is set back to the day its plot
says (PLOTS, in days from today): the step's events, the action's created, implemented, verified and closed
times, the tasks' created and done times; and the due and check dates the services refuse in the past are
put in place after them. A verdict freezes the evidence as it stood on its day.

The actions the register's evidence measures are plotted around the organisation's latest price change
(demo_profiles), after which complaints of some categories surge for five weeks: one, fixed as the surge
ended, was checked and closed as effective (its frozen evidence shows the fall); another, implemented just
before the surge, was found not effective, planned again and, its second round done, awaits its check (the
live evidence shows the surge falling away).

Idempotent: nothing happens in an organisation that has corrective actions. Deterministic for a given day
(random.Random seeded by the organisation and the action)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select, update

from auditkit.accounts.models import User
from auditkit.actions import evidence, links, workflow
from auditkit.actions.demo_story import Story
from auditkit.actions.demo_texts import STORIES
from auditkit.actions.models import ActionCounter, ActionEvent, CorrectiveAction
from auditkit.actions.services import REFERENCE, ActionData, Source, add_task, raise_action, set_task_done, today
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.demo_profiles import PROFILES, Profile
from auditkit.complaints.models import Category, Complaint
from auditkit.complaints.settings import settings_of
from auditkit.core import counters
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.standard.queries import clause_keys

CLAUSE = "iso10002:2018:{}"
AFTER_SURGE = 80  # days after a price change by which its surge and the actions about it are all past
COMPLAINT, TREND, NONE = "complaint", links.COMPLAINT_TREND, links.NO_SOURCE
H, M, A, C = Role.HANDLER, Role.MANAGER, Role.AUDITOR, Role.CONSULTANT


@dataclass(frozen=True)
class Round:
    """One plan: the days its tasks were added, due (the first task's and the last's) and done (the first
    and the last done; `done_count` of them, default all); the days it was approved, is checked, was
    implemented, the check asked for and the verdict given. None: not reached."""

    added: int
    due: tuple[int, int]
    planned: int | None = None
    check: int | None = None
    done: tuple[int, int] | None = None
    done_count: int | None = None
    implemented: int | None = None
    requested: int | None = None
    verified: int | None = None
    verdict: str | None = None


@dataclass(frozen=True)
class Plot:
    """One action's story: the state it ends in, its source, who owns and who raised it, the days (from
    today, or from the latest price change when `surge`) of its steps. The owner does the work; a manager
    verifies and closes, or an auditor when the manager owns the action."""

    state: str
    source: str
    owner: Role
    raiser: Role
    raised: int
    due: int
    analysed: int | None = None
    rounds: tuple[Round, ...] = ()
    closed: int | None = None
    surge: bool = False


PLOTS: dict[str, Plot] = {
    "closed_trend": Plot("closed", TREND, M, H, raised=12, due=40, analysed=16, surge=True, closed=70, rounds=(
        Round(added=18, due=(25, 34), planned=19, check=65, done=(24, 34), implemented=35, requested=66,
              verified=68, verdict="effective"),)),
    "replanned": Plot("check_due", TREND, H, M, raised=-50, due=40, analysed=-44, surge=True, rounds=(
        Round(added=-42, due=(-20, -14), planned=-41, check=21, done=(-21, -14), implemented=-12, requested=22,
              verified=23, verdict="not_effective"),
        Round(added=25, due=(30, 36), planned=26, check=67, done=(29, 36), implemented=37, requested=68))),
    "closed_complaint": Plot("closed", COMPLAINT, M, H, raised=-170, due=-120, analysed=-165, closed=-54, rounds=(
        Round(added=-163, due=(-150, -125), planned=-162, check=-60, done=(-151, -126), implemented=-125,
              requested=-59, verified=-55, verdict="effective"),)),
    "closed_internal": Plot("closed", NONE, C, A, raised=-200, due=-160, analysed=-192, closed=-104, rounds=(
        Round(added=-189, due=(-172, -165), planned=-188, check=-110, done=(-173, -166), implemented=-165,
              requested=-109, verified=-105, verdict="effective"),)),
    "verified": Plot("verified_effective", NONE, M, C, raised=-120, due=-75, analysed=-110, rounds=(
        Round(added=-107, due=(-88, -80), planned=-106, check=-10, done=(-87, -81), implemented=-80, requested=-9,
              verified=-4, verdict="effective"),)),
    "not_effective": Plot("not_effective", NONE, H, M, raised=-100, due=21, analysed=-90, rounds=(
        Round(added=-88, due=(-70, -65), planned=-87, check=-14, done=(-69, -65), implemented=-64, requested=-13,
              verified=-6, verdict="not_effective"),)),
    "check_due": Plot("check_due", TREND, H, M, raised=-110, due=-60, analysed=-98, rounds=(
        Round(added=-95, due=(-72, -65), planned=-94, check=-3, done=(-72, -66), implemented=-63, requested=-2),)),
    "implemented_trend": Plot("implemented", TREND, H, H, raised=-75, due=-10, analysed=-62, rounds=(
        Round(added=-58, due=(-30, -15), planned=-57, check=48, done=(-40, -16), implemented=-12),)),
    "implemented": Plot("implemented", NONE, A, H, raised=-60, due=-20, analysed=-50, rounds=(
        Round(added=-47, due=(-35, -28), planned=-46, check=5, done=(-33, -27), implemented=-25),)),
    "planned_trend": Plot("planned", TREND, M, H, raised=-50, due=20, analysed=-38, rounds=(
        Round(added=-34, due=(-8, 18), planned=-33, check=70, done=(-9, -9), done_count=1),)),
    "planned_due_soon": Plot("planned", TREND, H, M, raised=-26, due=3, analysed=-16, rounds=(
        Round(added=-14, due=(-2, 3), planned=-13, check=45, done=(-3, -3), done_count=1),)),
    "root_cause_due_soon": Plot("root_cause_found", TREND, M, C, raised=-30, due=4, analysed=-12, rounds=(
        Round(added=-10, due=(2, 4)),)),  # the plan's tasks drafted, not yet approved
    "root_cause_overdue": Plot("root_cause_found", COMPLAINT, H, M, raised=-40, due=-10, analysed=-22),
    "open_complaint": Plot("open", COMPLAINT, H, H, raised=-3, due=25),
    "open_overdue": Plot("open", NONE, C, A, raised=-20, due=-5),
}


def has_actions(organisation_id: int) -> bool:
    return db.session.execute(select(CorrectiveAction.id).where(
        CorrectiveAction.organisation_id == organisation_id).limit(1)).first() is not None


def latest_surge(profile: Profile, day: date) -> date:
    """The latest price change whose surge of complaints, and the demo actions about it, are all past."""
    changes = [date(year, month, dom) for year in range(day.year - 2, day.year + 1)
               for month, dom in profile.price_changes]
    return max((change for change in changes if change + timedelta(days=AFTER_SURGE) <= day),
               default=day - timedelta(days=AFTER_SURGE + 60))


def _cast(organisation_id: int) -> dict[Role, Actor] | None:
    """The first member of each role (a handler's work falls to the manager, a consultant's to the auditor,
    when there is none); None without a manager and an auditor, who verify."""
    rows = db.session.execute(select(User.id, User.email, Membership.role)
                              .join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == organisation_id).order_by(User.id))
    cast: dict[Role, Actor] = {}
    for user_id, email, role in rows:
        cast.setdefault(Role(role), Actor(user_id, organisation_id, Role(role), email))
    for role, instead in ((H, M), (C, A)):
        if role not in cast and instead in cast:
            cast[role] = cast[instead]
    return cast if {H, M, A, C} <= cast.keys() else None


def _spread(days: tuple[int, int], count: int) -> list[int]:
    first, last = days
    return [first + round(i * (last - first) / (count - 1)) if count > 1 else first for i in range(count)]


class _Clock:
    """The times of one action's steps: on the plot's day (the working day before, at a weekend or holiday),
    in office hours, each after the one before."""

    def __init__(self, seeder: _Seeder, plot: Plot, rng: random.Random):
        self.seeder, self.plot, self.rng = seeder, plot, rng
        self.last = datetime.min.replace(tzinfo=UTC)

    def at(self, offset: int) -> datetime:
        day = self.seeder.day(self.plot, offset)
        for _ in range(7):
            if self.seeder.calendar.is_working_day(day):
                break
            day -= timedelta(days=1)
        local = datetime.combine(day, time(self.rng.randint(9, 16), self.rng.randrange(60)), self.seeder.zone)
        self.last = max(local.astimezone(UTC), self.last + timedelta(minutes=self.rng.randint(3, 40)))
        return self.last


class _Seeder:
    def __init__(self, organisation: Organisation, profile: Profile, cast: dict[Role, Actor]):
        self.organisation, self.cast = organisation, cast
        self.zone = ZoneInfo(organisation.timezone or "UTC")
        self.today = today(organisation)
        self.calendar = settings_of(organisation).calendar
        self.surge = latest_surge(profile, self.today)
        self.categories = dict(db.session.execute(select(Category.code, Category.id).where(
            Category.organisation_id == organisation.id)).all())
        self.clauses = set().union(*clause_keys(organisation.id).values())
        self.seen = 0  # the last event stamped

    def day(self, plot: Plot, offset: int) -> date:
        return (self.surge if plot.surge else self.today) + timedelta(days=offset)

    def tell(self, name: str, plot: Plot, story: Story) -> CorrectiveAction:
        """Raise the action and take it through its plot's steps, each set back to its day."""
        organisation = self.organisation
        clock = _Clock(self, plot, random.Random(f"auditkit-demo-actions:{organisation.slug}:{name}"))
        owner, manager, handler = self.cast[plot.owner], self.cast[M], self.cast[H]
        verifier = self.cast[A] if owner.user_id == manager.user_id else manager
        helper = handler if owner.user_id != handler.user_id else manager  # owns every other task
        raised = clock.at(plot.raised)
        source, category_id, product = self._source(plot, story, raised)
        due = self.day(plot, plot.due)
        data = ActionData(title=story.title, problem=story.problem, kind=story.kind, priority=story.priority,
                          owner_id=owner.user_id, due_on=max(due, self.today), containment=story.containment,
                          containment_done=bool(story.containment), category_id=category_id, product=product or "",
                          clause_keys=[key for key in map(CLAUSE.format, story.clauses) if key in self.clauses])
        action = raise_action(self.cast[plot.raiser], organisation, data, source)
        action.created_at, action.due_on = raised, due
        for link in action.links:
            link.created_at = raised
        self._number(action, raised)
        self._stamp(action, raised)
        if plot.analysed is not None:
            at = clock.at(plot.analysed)
            method, analysis = (("five_whys", list(story.whys)) if story.whys else
                                ("fishbone", {name: list(causes) for name, causes in story.fishbone.items()}))
            workflow.find_root_cause(owner, action, action.version, method=method, analysis=analysis,
                                     root_cause=story.root_cause)
            self._stamp(action, at)
        for plan, words in zip(plot.rounds, story.rounds, strict=True):
            tasks = []
            for index, (title, task_due) in enumerate(zip(words.tasks, _spread(plan.due, len(words.tasks)),
                                                          strict=True)):
                at, doer = clock.at(plan.added), (owner, helper)[index % 2]
                task = add_task(owner, organisation, action, action.version, title=title, owner_id=doer.user_id,
                                due_on=self.day(plot, task_due))
                task.created_at = at
                self._stamp(action, at)
                tasks.append((task, doer))
            if plan.planned is None:
                continue
            at, check = clock.at(plan.planned), self.day(plot, plan.check)
            workflow.plan(owner, organisation, action, action.version, effectiveness_criteria=words.criteria,
                          check_on=max(check, self.today))
            action.check_on = check
            self._stamp(action, at, check_on=check.isoformat())
            count = (plan.done_count or len(tasks)) if plan.done else 0
            for (task, doer), done in zip(tasks[:count], _spread(plan.done or (0, 0), count), strict=True):
                at = clock.at(done)
                set_task_done(doer, action, action.version, task.id, True)
                task.done_at = at
                self._stamp(action, at)
            if plan.implemented is not None:
                at = clock.at(plan.implemented)
                workflow.implement(owner, action, action.version, note=words.note)
                action.implemented_at = at
                self._stamp(action, at)
            if plan.requested is not None:
                at = clock.at(plan.requested)
                workflow.request_check(owner, action, action.version)
                self._stamp(action, at)
            if plan.verified is not None:
                at = clock.at(plan.verified)
                workflow.verify(verifier, organisation, action, action.version, verdict=plan.verdict,
                                comment=words.verdict)
                found = evidence.gather(organisation, action, now=at)  # as it stood on the day
                action.verified_at, action.evidence = at, found.as_record() if found else None
                self._stamp(action, at, suggestion=found.suggestion if found else None)
        if plot.closed is not None:
            at = clock.at(plot.closed)
            workflow.close(verifier, action, action.version)
            action.closed_at = at
            self._stamp(action, at)
        action.updated_at = clock.last
        db.session.flush()
        if action.status != plot.state:
            raise RuntimeError(f"demo action {name} ended {action.status}, not {plot.state}")
        return action

    def _source(self, plot: Plot, story: Story, raised: datetime) -> tuple[Source, int | None, str | None]:
        """The action's source and subject; without a complaint or a category to follow, no source."""
        category_id = self.categories.get(story.category) if story.category else None
        if plot.source == COMPLAINT:
            complaint = self._complaint(story, category_id, raised)
            if complaint is not None:
                return Source(COMPLAINT, complaint.id), None, None  # raising follows its category and product
        elif plot.source == TREND and (category_id or story.product):
            return Source(TREND), category_id, story.product
        return Source(NONE), category_id, story.product

    def _complaint(self, story: Story, category_id: int | None, raised: datetime) -> Complaint | None:
        """The latest complaint of the story's category received before the day the action was raised, saying
        the story's words if one does."""
        if category_id is None:
            return None
        before = datetime.combine(raised.astimezone(self.zone).date(), time.min, self.zone)
        conditions = [Complaint.organisation_id == self.organisation.id, Complaint.category_id == category_id,
                      Complaint.received_at < before]
        for words in ([Complaint.description.contains(story.complaint)] if story.complaint else [], []):
            found = db.session.execute(select(Complaint).where(*conditions, *words)
                                       .order_by(Complaint.received_at.desc()).limit(1)).scalar_one_or_none()
            if found is not None:
                return found
        return None

    def _number(self, action: CorrectiveAction, raised: datetime) -> None:
        """An action raised in an earlier year takes that year's next number and gives back the one it took
        from this year's counter (the last one taken: actions are raised oldest first)."""
        year = raised.astimezone(self.zone).year
        if year == self.today.year:
            return
        table, organisation_id = ActionCounter.__table__, self.organisation.id
        taken = int(action.reference.rsplit("-", 1)[1])
        db.session.execute(update(table).where(
            table.c.organisation_id == organisation_id, table.c.year == self.today.year, table.c.last == taken)
            .values(last=taken - 1))
        action.reference = REFERENCE.format(year=year, seq=counters.reserve(table, organisation_id, year))

    def _stamp(self, action: CorrectiveAction, at: datetime, **data: str | None) -> None:
        """Set the events of the step just taken back to its time; `data` corrects what they say of dates the
        step took as the present."""
        db.session.flush()
        events = db.session.execute(select(ActionEvent).where(
            ActionEvent.action_id == action.id, ActionEvent.id > self.seen).order_by(ActionEvent.id)).scalars().all()
        for event in events:
            event.at = at
            self.seen = max(self.seen, event.id)
        corrected = {key: value for key, value in data.items() if value is not None}
        if events and corrected:
            events[-1].data = {**events[-1].data, **corrected}
        db.session.flush()


def seed_organisation_actions(organisation: Organisation, profile: Profile, stories: dict[str, Story]) -> int:
    """Seed one organisation's demo actions; returns how many were raised (0: it had actions already, or
    lacks a manager or an auditor to verify them)."""
    if has_actions(organisation.id):
        return 0
    cast = _cast(organisation.id)
    if cast is None:
        return 0
    with force_locale(profile.language):
        ensure_default_categories(organisation.id)
    seeder = _Seeder(organisation, profile, cast)
    oldest_first = sorted(PLOTS, key=lambda name: (seeder.day(PLOTS[name], PLOTS[name].raised), name))
    for name in oldest_first:
        seeder.tell(name, PLOTS[name], stories[name])
    return len(oldest_first)


def seed_actions(organisations: dict[str, Organisation]) -> None:
    """The demo seeder (auditkit.demo.SEEDERS): each demo organisation's corrective actions, once."""
    for slug, stories in STORIES.items():
        if slug in organisations:
            seed_organisation_actions(organisations[slug], PROFILES[slug], stories)
