"""What each live figure counts, as SQL expressions over the complaint table: the KPI engine
(metrics.py), its day tallies (tallies.py) and their sums (metric_sums.py) all build their SQL from here,
so a figure means the same whichever way it is computed.

A figure's members split into a part that changes only when a complaint changes (`base`, kept in the day
tallies) and a part that also changes as time passes (`overdue`: complaints whose due time has gone by,
counted at the moment asked from the few pending complaints). Durations are counted in tenths of their
unit (6 minutes for hours, 2.4 hours for days), rounded to the nearest tenth, so that a day's durations
keep as a small histogram and an order statistic picked from it is exact on both engines."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
)

from auditkit.complaints.models import ANSWERED_SQL, PENDING_SQL, Complaint
from auditkit.complaints.states import OPEN, Status

C = Complaint
HOUR, DAY = 3600, 86400
OPEN_STATUSES = tuple(sorted(s.value for s in OPEN))
EVERYONE = true()  # the base of a figure over the whole population: count(*)

ANSWERED = text(f"({ANSWERED_SQL})")  # models.ANSWERED_SQL: what the durations' partial index holds
PENDING = text(f"({PENDING_SQL})")  # models.PENDING_SQL: the complaints the partial index ix_complaint_pending holds


@dataclass(frozen=True)
class Window:
    """[start, end) in aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window takes aware datetimes")
        if self.end < self.start:
            raise ValueError("a window cannot end before it starts")


@dataclass(frozen=True)
class Filter:
    """Equality on each field given; None leaves the field free."""

    channel: str | None = None
    category_id: int | None = None
    severity: str | None = None
    product: str | None = None
    assignee_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        return [getattr(C, name) == value for name, value in self.given().items()]

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


class CategoryLabel(NamedTuple):
    id: int
    name: str

    def __str__(self) -> str:
        return self.name


def group_columns(*columns) -> list:
    """The columns to GROUP BY: a constant (the index of a lone day or month, a tag) is left out, as SQL
    would read it as a position."""
    return [column for column in columns if not getattr(getattr(column, "element", column), "is_literal", False)]


@dataclass(frozen=True)
class Duration:
    """A span between two of a complaint's times, in tenths of `unit` seconds."""

    later: Any
    earlier: Any
    unit: int

    def tenths(self, dialect: str) -> ColumnElement[Any]:
        """Whole tenths of the unit, rounded half up from whole seconds (SQLite keeps timestamps as text,
        PostgreSQL as timestamptz); integer arithmetic on both engines."""
        if dialect == "sqlite":
            seconds = func.round((func.julianday(self.later) - func.julianday(self.earlier)) * DAY)
        else:
            seconds = func.round(extract("epoch", self.later - self.earlier))
        tenth = self.unit // 10
        return (cast(seconds, BigInteger) + tenth // 2) // tenth

    def histogram(self, dialect: str, conditions: list[ColumnElement[bool]], first=None) -> Select:
        """(first,) tenths, count: how many complaints matching the conditions took each number of tenths,
        grouped by `first` too when given (a constant `first` is selected, not grouped)."""
        tenths = self.tenths(dialect)
        leading = [first] if first is not None else []
        return (select(*leading, tenths.label("tenths"), func.count())
                .where(*conditions, ANSWERED, self.later.is_not(None)).group_by(*group_columns(*leading, tenths)))


DURATIONS = {"ack": Duration(C.acknowledged_at, C.received_at, HOUR),
             "resolve": Duration(C.communicated_at, C.received_at, DAY)}


@dataclass(frozen=True)
class Spec:
    kind: str  # count | pct | mean | median | p90 | per_1000 | repeat
    scope: str  # window | closed | current: see scopes()
    base: ColumnElement[bool]  # the members that do not depend on the time asked
    hit: ColumnElement[bool] | None = None  # the numerator of a percentage, within base
    duration: str | None = None  # a key of DURATIONS, for a median or percentile
    overdue: tuple[str, ...] = ()  # "ack" / "response": members too while that step is overdue at the time asked


def overdue_condition(step: str, now: datetime) -> ColumnElement[bool]:
    """Not acknowledged with the acknowledgement due before `now`; or open without a communicated decision
    with the response due before `now`. Both only ever hold for PENDING complaints."""
    if step == "ack":
        return and_(C.acknowledged_at.is_(None), C.ack_due_at < now)
    return and_(C.communicated_at.is_(None), C.status.in_(OPEN_STATUSES), C.response_due_at < now)


def overdue_now(now: datetime) -> ColumnElement[bool]:
    """Open, with the acknowledgement or the response overdue at `now`: the figure "overdue", and the
    register's overdue filter and badge."""
    return and_(C.status.in_(OPEN_STATUSES), or_(overdue_condition("ack", now), overdue_condition("response", now)))


DUE_SOON = timedelta(hours=24)  # the register's "due soon" list: the next due time within a day


def due_soon(now: datetime, within: timedelta = DUE_SOON) -> ColumnElement[bool]:
    """Open, nothing overdue yet at `now`, and the acknowledgement or the response due within `within`: the
    register's due-soon list and badge, what needs doing before it turns overdue."""
    end = now + within
    return and_(C.status.in_(OPEN_STATUSES), not_(overdue_now(now)), or_(
        and_(C.acknowledged_at.is_(None), C.ack_due_at >= now, C.ack_due_at < end),
        and_(C.communicated_at.is_(None), C.response_due_at >= now, C.response_due_at < end)))


def members(spec: Spec, now: datetime) -> ColumnElement[bool]:
    """Everything a figure counts at `now`: its base and its overdue members."""
    if not spec.overdue:
        return spec.base
    return or_(spec.base, *(overdue_condition(step, now) for step in spec.overdue))


def _pct(base, hit) -> Spec:
    return Spec("pct", "window", base, hit)


_is_open = C.status.in_(OPEN_STATUSES)
_acknowledged, _communicated = C.acknowledged_at.is_not(None), C.communicated_at.is_not(None)
_answered = C.survey_answered_at.is_not(None)

SPECS: dict[str, Spec] = {
    "received": Spec("count", "window", EVERYONE),
    "open": Spec("count", "window", _is_open),
    "closed": Spec("count", "closed", C.status == Status.CLOSED.value),
    "overdue": Spec("count", "current", false(), overdue=("ack", "response")),
    "ack_within_target_pct": Spec("pct", "window", _acknowledged, C.acknowledged_at <= C.ack_due_at,
                                  overdue=("ack",)),
    "ack_median_hours": Spec("median", "window", _acknowledged, duration="ack"),
    "resolve_within_target_pct": Spec("pct", "window", _communicated, C.communicated_at <= C.response_due_at,
                                      overdue=("response",)),
    "resolve_median_days": Spec("median", "window", _communicated, duration="resolve"),
    "resolve_p90_days": Spec("p90", "window", _communicated, duration="resolve"),
    "assessment_recorded_pct": _pct(C.status.not_in([Status.REJECTED.value, Status.WITHDRAWN.value]),
                                    C.assessed_at.is_not(None)),
    "decision_communicated_pct": _pct(C.decided_at.is_not(None), _communicated),
    "closure_accepted_pct": _pct(C.status == Status.CLOSED.value, C.accepted.is_(True)),
    "reopen_rate_pct": _pct(or_(C.closed_at.is_not(None), C.reopen_count > 0), C.reopen_count > 0),
    "escalated_internal": Spec("count", "window", C.escalation_level > 0),
    # JSON columns may hold JSON null as well as SQL NULL; neither is a referral.
    "referred_external_pct": _pct(EVERYONE, and_(C.referral.is_not(None), cast(C.referral, String) != "null")),
    "survey_response_pct": _pct(C.survey_sent_at.is_not(None), _answered),
    "satisfaction_avg": Spec("mean", "window", and_(_answered, C.satisfaction_rating.is_not(None))),
    "satisfied_pct": _pct(_answered, C.satisfaction_rating >= 4),
    "categorised_pct": _pct(EVERYONE, C.category_id.is_not(None)),
    "per_1000_customers": Spec("per_1000", "window", EVERYONE),
    "repeat_complainant_pct": Spec("repeat", "window", C.email.is_not(None)),
}
ADDITIVE = ("count", "pct", "mean", "per_1000")  # kinds whose aggregates add up across days and months
ORDERED = ("median", "p90")


def scopes(window: Window) -> dict[str, ColumnElement[bool]]:
    return {
        "window": and_(C.received_at >= window.start, C.received_at < window.end),
        "closed": and_(C.closed_at >= window.start, C.closed_at < window.end),
        "current": _is_open,
    }


def aggregates(keys: list[str]) -> list[ColumnElement[Any]]:
    """The time-independent conditional counts (and the sum of a mean) behind the keys, named `key__n`,
    `key__hit` and `key__sum`, within one scope's WHERE. These are what a day tally keeps."""
    columns = []
    for key in keys:
        spec = SPECS[key]
        count = func.count() if spec.base is EVERYONE else func.count(case((spec.base, 1)))
        columns.append(count.label(f"{key}__n"))
        if spec.hit is not None:
            columns.append(func.count(case((and_(spec.base, spec.hit), 1))).label(f"{key}__hit"))
        if spec.kind == "mean":
            columns.append(func.sum(case((spec.base, C.satisfaction_rating))).label(f"{key}__sum"))
    return columns


def overdue_aggregates(keys: list[str], now: datetime) -> list[ColumnElement[Any]]:
    """The overdue members at `now` that the keys add to their `key__n`, named the same: counted over PENDING
    complaints only."""
    return [func.count(case((or_(*(overdue_condition(step, now) for step in SPECS[key].overdue)), 1)))
            .label(f"{key}__n") for key in keys if SPECS[key].overdue]


TALLIED_KEYS = tuple(key for key, spec in SPECS.items() if spec.scope == "window" and spec.kind in ADDITIVE)
TALLIED = tuple(column.name for column in aggregates(list(TALLIED_KEYS)))  # the day tally's counts
