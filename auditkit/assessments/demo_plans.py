"""The plans of the demo gap assessments (auditkit.assessments.demo seeds them): in demo-telecom a baseline
about fourteen months old (overall about 1.75 on the 0–4 scale), eight of whose recommendations became
corrective actions, most of them since closed, and a follow-up of it about two months old (about 2.65), clearly
better in the clauses the actions addressed, unchanged in some and worse in two; in demo-insurance a baseline
about four months old (about 2.0) with five actions at their first steps. Each plan gives its days in days
from today: an assessment's fieldwork (`Fieldwork`), each action's steps (`Course`).

Ratings are deterministic (random.Random seeded by the organisation): each clause has a typical level for the
organisation (`levels`: operation, 7.x, stronger than leadership, 5.x, auditing, 8.5, and management review,
8.6), each question varies around it, and the few ratings that bring the overall score to the plan's are
then moved one step at a time, the one furthest from its clause's level first. A follow-up starts from the
baseline's ratings: up by one or two in the clauses whose recommendations became actions (to at least
"partly in place"), a little in most others, not at all in `unchanged`, down in `worse`.

Pure data and arithmetic: nothing here reads or writes the database."""

from __future__ import annotations

import random
from dataclasses import dataclass

from auditkit.core.security import Role
from auditkit.standard.models import Question

TOP = 4
A, M = Role.AUDITOR, Role.MANAGER


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

    @property
    def acted(self) -> set[str]:
        """The clauses whose recommendations became actions."""
        return {key.split("-")[1] for key in self.courses}


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


def number_of(question: Question) -> str:
    return question.clause_key.rsplit(":", 1)[1]


def section(number: str) -> str:
    return number.split(".", 1)[0]


def _clamp(value: float) -> int:
    return min(max(round(value), 0), TOP)


def priority(rating: int, weight: float) -> str:
    """How urgent a recommendation is, from how far the practice is from being in place and how firmly the
    standard points at it."""
    if rating == 0:
        return "critical" if weight >= 5 else "high"
    if rating == 1:
        return "high" if weight >= 4 else "medium"
    return "medium" if weight >= 4 else "low"


def spread(days: tuple[int, int], count: int) -> list[int]:
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


def baseline_ratings(programme: Programme, questions: list[Question], not_applicable: dict[str, str], seed: str
                     ) -> dict[str, int | None]:
    """The baseline's ratings (None: not applicable): the actions' own, the others around their clause's level,
    calibrated to the plan's overall score."""
    rng, weights = random.Random(f"{seed}:baseline-ratings"), {q.key: q.weight for q in questions}
    levels = {q.key: programme.levels[number_of(q)] for q in questions}
    ratings: dict[str, int | None] = {}
    for question in questions:
        key = question.key
        if key in not_applicable:
            ratings[key] = None
        elif key in programme.courses:
            ratings[key] = programme.courses[key].rating
        else:
            ratings[key] = _clamp(levels[key] + rng.gauss(0, .6))
    movable = [q.key for q in questions if ratings[q.key] is not None and q.key not in programme.courses]
    rng.shuffle(movable)
    calibrate(ratings, weights, levels, movable, programme.overall)
    return ratings


def follow_up_ratings(programme: Programme, questions: list[Question], before: dict[str, int | None],
                      not_applicable: dict[str, str], seed: str) -> dict[str, int | None]:
    """The follow-up's ratings (None: not applicable), from the baseline's (`before`), calibrated to the plan's
    follow-up score."""
    rng, acted = random.Random(f"{seed}:follow-up-ratings"), programme.acted
    weights = {q.key: q.weight for q in questions}
    ratings: dict[str, int | None] = {}
    levels: dict[str, float] = {}
    movable: list[str] = []
    for question in questions:
        key, number, was = question.key, number_of(question), before.get(question.key)
        level = programme.levels[number]
        if key in not_applicable:
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
        inside = [q.key for q in questions if number_of(q) == number and before.get(q.key)]
        if inside and all(ratings[key] == before[key] for key in inside):
            ratings[inside[0]] = before[inside[0]] - 1
    rng.shuffle(movable)
    floor = {key: max(before.get(key) or 0, 2 if number_of(q) in acted else 0)
             for q in questions if (key := q.key) in movable}
    calibrate(ratings, weights, levels, movable, programme.follow_up_overall, floor)
    return ratings
