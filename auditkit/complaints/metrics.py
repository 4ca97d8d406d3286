"""The KPI engine: every live figure named in standard.metric_keys, computed by SQL aggregates over a window
of time [start, end) and a filter, with the same SQL text and the same results on SQLite and PostgreSQL.
Gap analyses, audit tests, action checks, dashboards and management reviews all ask it; `records()` gives
the complaints behind a figure so a page can list them.

Population = the organisation's complaints received in the window and matching the filter, unless said
otherwise. "Open" = any status but closed, withdrawn and rejected. `now` = the moment asked (default: now).

  received                   count of the population.
  open                       population members whose status is open now.
  closed                     complaints (any received date, filter applies) with status closed, closed_at in the window.
  overdue                    complaints open now (any received date, filter applies) either not acknowledged with
                             ack_due_at < now, or without a communicated decision with response_due_at < now.
  ack_within_target_pct      among members acknowledged, or not acknowledged with ack_due_at < now:
                             % acknowledged_at <= ack_due_at.
  ack_median_hours           median of acknowledged_at - received_at in hours (1 decimal) over acknowledged members.
  resolve_within_target_pct  among members with communicated_at, or without it, open and response_due_at < now:
                             % communicated_at <= response_due_at.
  resolve_median_days        median of communicated_at - received_at in days (1 decimal) over members with it.
  resolve_p90_days           90th percentile (nearest rank: the ceil(0.9 n)-th smallest) of the same durations.
  assessment_recorded_pct    among members not rejected nor withdrawn: % with assessed_at.
  decision_communicated_pct  among members with decided_at: % with communicated_at.
  closure_accepted_pct       among members with status closed: % with accepted true.
  reopen_rate_pct            among members with closed_at or reopen_count > 0: % with reopen_count > 0.
  escalated_internal         members with escalation_level > 0.
  referred_external_pct      % of the population with a referral (SQL NULL and JSON null both count as none).
  survey_response_pct        among members with survey_sent_at: % with survey_answered_at.
  satisfaction_avg           average satisfaction_rating (2 decimals) of members who answered the survey.
  satisfied_pct              among members who answered the survey: % with a rating of 4 or 5.
  categorised_pct            % of the population with a category.
  per_1000_customers         received x 1000 / settings["complaints"]["customers"] (2 decimals); None when not set or 0.
  repeat_complainant_pct     among members with an email: % whose lower-cased email is on more than one member.
  by_channel                 [(channel, count)] of the channels present, most frequent first.
  by_category                [(CategoryLabel(id, name) | None for uncategorised, count)], most frequent first.
  by_severity                [(severity, count)] low to critical, zero-filled, then (None, count) for the unassessed.
  by_product                 [(product | None, count)] the 20 most frequent, then ("other", count of the rest).
  by_month                   [("YYYY-MM", count)] every calendar month of the window in the organisation's time zone,
                             zero-filled, oldest first.

Percentages are floats of 1 decimal, None when the denominator is 0; counts come from SQL, the division and
rounding happen once in Python, so both engines give the same float. Durations are counted in SQL in whole
seconds; an order statistic is picked in SQL by row_number() over the durations, never by loading them. Ties
in a breakdown are ordered by label in code-point order on both engines. `compute()` of every key issues 10
queries: one per scope (window, closed, current) for the counts and ratios, each reading only its scope's
rows; one for the order statistics, one for repeat complainants and one per breakdown. `series()` gives the
figures that add up month by month (counts, ratios, means, the rate per customers), per month and split by a
field, in one grouped query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, extract, func, literal_column, or_, select, true, union_all
from sqlalchemy.sql import ColumnElement, Select

from auditkit.complaints.models import SEVERITIES, Category, Complaint
from auditkit.complaints.states import OPEN, Status
from auditkit.core.db import utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.metric_keys import BREAKDOWNS, METRIC_KEYS

C = Complaint
TOP_PRODUCTS = 20
OTHER = "other"
HOUR, DAY = 3600, 86400
_EVERYONE = true()  # the base of a figure over the whole population: count(*)


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
        return [getattr(C, f.name) == getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None]


class CategoryLabel(NamedTuple):
    id: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class _Spec:
    kind: str  # count | pct | mean | median | p90 | per_1000 | repeat
    scope: str  # window | closed | current: see _scopes
    base: ColumnElement[bool]  # the records behind the figure: the rows counted, or the denominator
    hit: ColumnElement[bool] | None = None  # the numerator of a percentage, within base
    span: tuple[Any, Any, int] | None = None  # (later, earlier, seconds per unit) of a duration


def _specs(now: datetime) -> dict[str, _Spec]:
    is_open = C.status.in_(sorted(s.value for s in OPEN))
    acknowledged, communicated = C.acknowledged_at.is_not(None), C.communicated_at.is_not(None)
    ack_overdue = and_(C.acknowledged_at.is_(None), C.ack_due_at < now)
    response_overdue = and_(C.communicated_at.is_(None), is_open, C.response_due_at < now)
    answered = C.survey_answered_at.is_not(None)
    everyone = _EVERYONE

    def pct(base, hit) -> _Spec:
        return _Spec("pct", "window", base, hit)

    resolve = (C.communicated_at, C.received_at, DAY)
    return {
        "received": _Spec("count", "window", everyone),
        "open": _Spec("count", "window", is_open),
        "closed": _Spec("count", "closed", C.status == Status.CLOSED.value),
        "overdue": _Spec("count", "current", or_(ack_overdue, response_overdue)),
        "ack_within_target_pct": pct(or_(acknowledged, ack_overdue), C.acknowledged_at <= C.ack_due_at),
        "ack_median_hours": _Spec("median", "window", acknowledged, span=(C.acknowledged_at, C.received_at, HOUR)),
        "resolve_within_target_pct": pct(or_(communicated, response_overdue), C.communicated_at <= C.response_due_at),
        "resolve_median_days": _Spec("median", "window", communicated, span=resolve),
        "resolve_p90_days": _Spec("p90", "window", communicated, span=resolve),
        "assessment_recorded_pct": pct(C.status.not_in([Status.REJECTED.value, Status.WITHDRAWN.value]),
                                       C.assessed_at.is_not(None)),
        "decision_communicated_pct": pct(C.decided_at.is_not(None), communicated),
        "closure_accepted_pct": pct(C.status == Status.CLOSED.value, C.accepted.is_(True)),
        "reopen_rate_pct": pct(or_(C.closed_at.is_not(None), C.reopen_count > 0), C.reopen_count > 0),
        "escalated_internal": _Spec("count", "window", C.escalation_level > 0),
        # JSON columns may hold JSON null as well as SQL NULL; neither is a referral.
        "referred_external_pct": pct(everyone, and_(C.referral.is_not(None),
                                                    cast(C.referral, String) != "null")),
        "survey_response_pct": pct(C.survey_sent_at.is_not(None), answered),
        "satisfaction_avg": _Spec("mean", "window", and_(answered, C.satisfaction_rating.is_not(None))),
        "satisfied_pct": pct(answered, C.satisfaction_rating >= 4),
        "categorised_pct": pct(everyone, C.category_id.is_not(None)),
        "per_1000_customers": _Spec("per_1000", "window", everyone),
        "repeat_complainant_pct": _Spec("repeat", "window", C.email.is_not(None)),
    }


def _scopes(window: Window) -> dict[str, ColumnElement[bool]]:
    return {
        "window": and_(C.received_at >= window.start, C.received_at < window.end),
        "closed": and_(C.closed_at >= window.start, C.closed_at < window.end),
        "current": C.status.in_(sorted(s.value for s in OPEN)),
    }


def _where(organisation: Organisation, filter: Filter | None) -> list[ColumnElement[bool]]:
    return [C.organisation_id == organisation.id, *(filter.conditions() if filter else [])]


def _check(keys: Iterable[str]) -> None:
    unknown = [key for key in keys if key not in METRIC_KEYS]
    if unknown:
        raise KeyError(f"unknown metric key(s): {', '.join(unknown)}")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _seconds(later, earlier) -> ColumnElement[Any]:
    """Whole seconds from `earlier` to `later`: SQLite keeps timestamps as text, PostgreSQL as timestamptz."""
    if _dialect() == "sqlite":
        return func.round((func.julianday(later) - func.julianday(earlier)) * DAY)
    return func.round(extract("epoch", later - earlier))


def _by_label(column) -> ColumnElement[Any]:
    """Code-point order on both engines: PostgreSQL would otherwise follow the database's locale."""
    return column.collate("C") if _dialect() == "postgresql" else column


def _pct(hit: int, n: int) -> float | None:
    return round(100 * hit / n, 1) if n else None


# --- figures ----------------------------------------------------------------------------------------------

def _aggregates(specs: dict[str, _Spec], keys: list[str]) -> list[ColumnElement[Any]]:
    """The conditional counts (and the sum of a mean) behind the keys, within one scope's WHERE."""
    columns = []
    for key in keys:
        spec = specs[key]
        columns.append(func.count() if spec.base is _EVERYONE else func.count(case((spec.base, 1))))
        columns[-1] = columns[-1].label(f"{key}__n")
        if spec.hit is not None:
            columns.append(func.count(case((and_(spec.base, spec.hit), 1))).label(f"{key}__hit"))
        if spec.kind == "mean":
            columns.append(func.sum(case((spec.base, C.satisfaction_rating))).label(f"{key}__sum"))
    return columns


def _totals(where, scopes, specs: dict[str, _Spec], keys: list[str]) -> dict[str, Any]:
    """One SELECT of conditional aggregates per scope the keys need: each reads only its scope's rows."""
    totals: dict[str, Any] = {}
    for scope in sorted({specs[key].scope for key in keys}):
        columns = _aggregates(specs, [key for key in keys if specs[key].scope == scope])
        totals.update(db.session.execute(select(*columns).where(*where, scopes[scope])).one()._asdict())
    return totals


def _value(organisation: Organisation, spec: _Spec, key: str, sums: dict[str, Any]) -> Any:
    """A count, percentage, mean or rate from its aggregates."""
    n = sums[f"{key}__n"]
    if spec.kind == "pct":
        return _pct(sums[f"{key}__hit"], n)
    if spec.kind == "mean":
        return round(int(sums[f"{key}__sum"]) / n, 2) if n else None
    if spec.kind == "per_1000":
        return _per_1000(organisation, n)
    return n


def _order_statistics(where, scopes, specs: dict[str, _Spec], keys: list[str]) -> dict[str, float | None]:
    """Medians and 90th percentiles, all in one UNION ALL: each ranks its durations with row_number() beside
    their count and keeps the one or two rows at the rank it needs."""
    parts = []
    for tag, key in enumerate(keys):
        spec = specs[key]
        later, earlier, _unit = spec.span
        seconds = _seconds(later, earlier)
        ranked = (select(seconds.label("seconds"), func.row_number().over(order_by=seconds).label("rank"),
                         func.count().over().label("n"))
                  .where(*where, scopes[spec.scope], spec.base).subquery())
        if spec.kind == "median":  # the middle one, or the middle two of an even count
            wanted = ranked.c.rank.between((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
        else:  # nearest rank: the ceil(0.9 n)-th
            wanted = ranked.c.rank == (9 * ranked.c.n + 9) // 10
        parts.append(select(literal_column(str(tag)).label("tag"), ranked.c.seconds).where(wanted))
    values: dict[int, list[float]] = defaultdict(list)
    if parts:
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        for tag, seconds in db.session.execute(statement):
            values[int(tag)].append(float(seconds))
    return {key: round(sum(values[tag]) / len(values[tag]) / specs[key].span[2], 1) if values[tag] else None
            for tag, key in enumerate(keys)}


def _repeat_complainants(population) -> float | None:
    email = func.lower(C.email)
    groups = (select(email.label("email"), func.count().label("n"))
              .where(*population, C.email.is_not(None)).group_by(email).subquery())
    repeated, total = db.session.execute(
        select(func.sum(case((groups.c.n > 1, groups.c.n), else_=0)), func.sum(groups.c.n))).one()
    return _pct(int(repeated or 0), int(total or 0))


def _per_1000(organisation: Organisation, received: int) -> float | None:
    customers = ((organisation.settings or {}).get("complaints") or {}).get("customers")
    return round(received * 1000 / customers, 2) if customers else None


# --- breakdowns -------------------------------------------------------------------------------------------

def _by_channel(_organisation, _window, population) -> list[tuple[str, int]]:
    n = func.count().label("n")
    statement = (select(C.channel, n).where(*population).group_by(C.channel)
                 .order_by(n.desc(), _by_label(C.channel)))
    return [(channel, count) for channel, count in db.session.execute(statement)]


def _by_category(_organisation, _window, population) -> list[tuple[CategoryLabel | None, int]]:
    n = func.count().label("n")
    statement = (select(C.category_id, Category.name, n).select_from(C)
                 .outerjoin(Category, Category.id == C.category_id).where(*population)
                 .group_by(C.category_id, Category.name)
                 .order_by(n.desc(), C.category_id.is_(None), _by_label(Category.name), C.category_id))
    return [(CategoryLabel(id, name) if id is not None else None, count)
            for id, name, count in db.session.execute(statement)]


def _by_severity(_organisation, _window, population) -> list[tuple[str | None, int]]:
    counts = dict(db.session.execute(select(C.severity, func.count()).where(*population).group_by(C.severity)).all())
    unassessed = counts.get(None, 0)
    scale = [(severity, counts.get(severity, 0)) for severity in SEVERITIES]
    return scale + ([(None, unassessed)] if unassessed else [])


def _by_product(_organisation, _window, population) -> list[tuple[str | None, int]]:
    n = func.count().label("n")
    everyone = func.sum(func.count()).over().label("everyone")  # computed before LIMIT: the whole population
    statement = (select(C.product, n, everyone).where(*population).group_by(C.product)
                 .order_by(n.desc(), C.product.is_(None), _by_label(C.product)).limit(TOP_PRODUCTS))
    rows = db.session.execute(statement).all()
    top = [(product, count) for product, count, _ in rows]
    rest = int(rows[0][2]) - sum(count for _, count in top) if rows else 0
    return top + ([(OTHER, rest)] if rest else [])


def months_of(organisation: Organisation, window: Window) -> list[tuple[str, datetime, datetime]]:
    """The calendar months the window touches in the organisation's time zone: (label, start, end) in UTC,
    clipped to the window."""
    zone = ZoneInfo(organisation.timezone or "UTC")
    local = window.start.astimezone(zone)
    year, month, lower = local.year, local.month, window.start
    months = []
    while lower < window.end:
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        upper = min(window.end, datetime(next_year, next_month, 1, tzinfo=zone).astimezone(UTC))
        months.append((f"{year:04d}-{month:02d}", lower, upper))
        year, month, lower = next_year, next_month, upper
    return months


def _month_index(months: list[tuple[str, datetime, datetime]]) -> ColumnElement[Any]:
    """The position of a complaint's month among `months`, for a population already within them. Month
    boundaries in a time zone cannot be computed in SQLite: the CASE picks the first month whose end is later
    than the received time."""
    return case(*((C.received_at < upper, literal_column(str(i))) for i, (_, _, upper) in enumerate(months[:-1])),
                else_=literal_column(str(len(months) - 1)))


def _by_month(organisation, window, population) -> list[tuple[str, int]]:
    months = months_of(organisation, window)
    if not months:
        return []
    tagged = select(_month_index(months).label("month")).where(*population).subquery()
    counts = dict(db.session.execute(select(tagged.c.month, func.count()).group_by(tagged.c.month)).all())
    return [(label, counts.get(i, 0)) for i, (label, _, _) in enumerate(months)]


_BREAKDOWNS: dict[str, Callable[..., list]] = {
    "by_channel": _by_channel, "by_category": _by_category, "by_severity": _by_severity,
    "by_product": _by_product, "by_month": _by_month,
}
assert set(_BREAKDOWNS) == set(BREAKDOWNS)


# --- the interface ----------------------------------------------------------------------------------------

def compute(organisation: Organisation, keys: Iterable[str], window: Window, filter: Filter | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """The asked figures and breakdowns, by key. Raises KeyError naming any unknown key."""
    keys = list(dict.fromkeys(keys))
    _check(keys)
    specs, scopes = _specs(now or utcnow()), _scopes(window)
    where = _where(organisation, filter)
    population = [*where, scopes["window"]]
    totals = _totals(where, scopes, specs, [key for key in keys if key in specs and specs[key].kind in _ADDITIVE])
    ranked = _order_statistics(where, scopes, specs, [key for key in keys
                                                      if key in specs and specs[key].kind in ("median", "p90")])
    result: dict[str, Any] = {}
    for key in keys:
        if key in _BREAKDOWNS:
            result[key] = _BREAKDOWNS[key](organisation, window, population)
            continue
        kind = specs[key].kind
        if kind in _ADDITIVE:
            result[key] = _value(organisation, specs[key], key, totals)
        elif kind in ("median", "p90"):
            result[key] = ranked[key]
        else:
            result[key] = _repeat_complainants(population)
    return result


@dataclass(frozen=True)
class Series:
    """Figures month by month: `values[key]` holds one value per month of `months`; with a split,
    `split[value][key]` holds the same for the complaints with that value of the split field; `total[key]`
    is the figure over the whole window, as compute() gives it."""

    months: list[str]
    values: dict[str, list[Any]]
    split: dict[Any, dict[str, list[Any]]]
    total: dict[str, Any]


SPLITS = ("channel", "category_id", "severity")
_ADDITIVE = ("count", "pct", "mean", "per_1000")  # kinds whose aggregates add up across months


def monthly(key: str) -> bool:
    """Whether series() can give the figure month by month."""
    spec = _specs(utcnow()).get(key)
    return spec is not None and spec.scope == "window" and spec.kind in _ADDITIVE


def series(organisation: Organisation, keys: Iterable[str], window: Window, filter: Filter | None = None,
           now: datetime | None = None, split: str | None = None) -> Series:
    """The counts, percentages, means and rates of the window's population for every calendar month of the
    window (in the organisation's time zone), each month's value as compute() would give it for that month
    alone, and the whole window's; with `split` ("channel", "category_id" or "severity"), also per value of
    that field. One grouped query. Refuses (ValueError) keys that are not counted over the window's
    population (see monthly()), and an unknown split."""
    keys = list(dict.fromkeys(keys))
    _check(keys)
    specs = _specs(now or utcnow())
    unfit = [key for key in keys if not monthly(key)]
    if unfit:
        raise ValueError(f"not a monthly figure: {', '.join(unfit)}")
    if split is not None and split not in SPLITS:
        raise ValueError(f"cannot split by {split}")
    months = months_of(organisation, window)
    labels = [label for label, _, _ in months]
    nothing = defaultdict(int)
    if not months or not keys:
        return Series(labels, {key: [_value(organisation, specs[key], key, nothing) for _ in months]
                               for key in keys}, {}, {key: _value(organisation, specs[key], key, nothing)
                                                      for key in keys})
    month = _month_index(months).label("month")
    groups = [month] + ([getattr(C, split).label("split")] if split else [])
    statement = (select(*groups, *_aggregates(specs, keys))
                 .where(*_where(organisation, filter), _scopes(window)["window"]).group_by(*groups))
    per_month: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_split: dict[Any, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    whole: dict[str, int] = defaultdict(int)
    for row in db.session.execute(statement).mappings():
        index = int(row["month"])
        for name, amount in row.items():
            if name not in ("month", "split"):
                per_month[index][name] += amount or 0
                whole[name] += amount or 0
                if split:
                    per_split[row["split"]][index][name] += amount or 0

    def values(sums: dict[int, dict[str, int]]) -> dict[str, list[Any]]:
        return {key: [_value(organisation, specs[key], key, sums[i]) for i in range(len(months))] for key in keys}

    return Series(labels, values(per_month), {value: values(sums) for value, sums in per_split.items()},
                  {key: _value(organisation, specs[key], key, whole) for key in keys})


def figure(organisation: Organisation, key: str, window: Window, filter: Filter | None = None,
           now: datetime | None = None) -> Any:
    """One figure or breakdown."""
    return compute(organisation, [key], window, filter, now)[key]


def records(organisation: Organisation, key: str, window: Window, filter: Filter | None = None,
            now: datetime | None = None) -> Select[tuple[Complaint]]:
    """The complaints behind a figure, newest first: the rows counted, the denominator of a percentage, the
    members measured by a duration or an average; for a breakdown, the population."""
    _check([key])
    scopes = _scopes(window)
    if key in _BREAKDOWNS:
        scope, base = "window", true()
    else:
        spec = _specs(now or utcnow())[key]
        scope, base = spec.scope, spec.base
    return (select(C).where(*_where(organisation, filter), scopes[scope], base)
            .order_by(C.received_at.desc(), C.id.desc()))
