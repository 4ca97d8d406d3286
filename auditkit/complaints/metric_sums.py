"""The counts the KPI engine divides, and the durations it ranks, over a window and a filter: read from the
day tallies for the whole local days of the window and from the complaints for the rest (the partial days
at its edges, and everything when the tallies cannot answer: a filter on product or assignee, or tallies
not built). What depends on the time asked (overdue steps) is counted from the pending complaints through
their partial index, and the durations of a filtered population from the complaints. Both ways give the
same numbers (tests compare them)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, or_, select, union_all
from sqlalchemy.sql import ColumnElement

from auditkit.complaints import metric_specs, tallies
from auditkit.complaints.metric_specs import (
    DURATIONS,
    PENDING,
    TALLIED,
    TALLIED_KEYS,
    Filter,
    Window,
    aggregates,
    group_columns,
    overdue_aggregates,
    scopes,
)
from auditkit.complaints.models import Complaint
from auditkit.complaints.states import Status
from auditkit.complaints.tally_models import CLOSED, DIMENSIONS, Tally
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

C = Complaint
GROUPS = ("month", *DIMENSIONS)
LONG_WINDOW = timedelta(days=31)
Months = list[tuple[str, datetime, datetime]]


def months_of(organisation: Organisation, window: Window) -> Months:
    """The calendar months the window touches in the organisation's time zone: (label, start, end) in UTC,
    clipped to the window."""
    zone = tallies.zone_of(organisation.timezone)
    local = window.start.astimezone(zone)
    year, month, lower = local.year, local.month, window.start
    months = []
    while lower < window.end:
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        upper = min(window.end, datetime(next_year, next_month, 1, tzinfo=zone).astimezone(UTC))
        months.append((f"{year:04d}-{month:02d}", lower, upper))
        year, month, lower = next_year, next_month, upper
    return months


def month_index(months: Months) -> ColumnElement[Any]:
    """The position of a complaint's month among `months`, for a population already within them."""
    return tallies.position(C.received_at, [upper for _, _, upper in months[:-1]])


def population(organisation: Organisation, filter: Filter | None) -> list[ColumnElement[bool]]:
    """The organisation's complaints that match the filter (received whenever)."""
    return [C.organisation_id == organisation.id, *(filter.conditions() if filter else [])]


def _received_in(windows: list[Window]) -> ColumnElement[bool]:
    return or_(*(scopes(window)["window"] for window in windows))


@dataclass
class Counted:
    """Counts per group (a tuple of the grouped values), and the complaints closed in the window."""

    groups: dict[tuple, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(TALLIED, 0)))
    closed: int = 0

    def add(self, rows: dict[tuple, dict[str, int]]) -> None:
        for group, values in rows.items():
            target = self.groups[group]
            for name, value in values.items():
                target[name] += int(value or 0)

    def total(self) -> dict[str, int]:
        whole = dict.fromkeys(TALLIED, 0)
        for values in self.groups.values():
            for name, value in values.items():
                whole[name] += value
        return whole


@dataclass
class Reading:
    """One organisation's complaints over a window and filter at a moment: what the KPI engine reads."""

    organisation: Organisation
    window: Window
    filter: Filter | None
    now: datetime
    _complete: bool | None = None

    def where(self) -> list[ColumnElement[bool]]:
        return population(self.organisation, self.filter)

    def parts(self, tallied_fields: tuple[str, ...]) -> tuple[tuple[date, date] | None, list[Window]]:
        """The local days [first, last) the tallies answer for, and the windows the complaints must: the
        tallies only when they are complete and every filter field is among `tallied_fields`."""
        given = self.filter.given() if self.filter else {}
        if not set(given) <= set(tallied_fields):
            return None, [self.window]
        if self._complete is None:
            self._complete = tallies.complete(db.session.connection(), self.organisation)
        zone = tallies.zone_of(self.organisation.timezone)
        first = tallies.local_day(zone, self.window.start)
        if tallies.day_start(zone, first) < self.window.start:
            first += timedelta(days=1)
        last = tallies.local_day(zone, self.window.end)
        if not self._complete or first >= last:
            return None, [self.window]
        edges = [Window(self.window.start, tallies.day_start(zone, first)),
                 Window(tallies.day_start(zone, last), self.window.end)]
        return (first, last), [edge for edge in edges if edge.start < edge.end]


def sums(reading: Reading, by: tuple[str, ...] = (), months: Months | None = None) -> Counted:
    """Per group of `by` (names in GROUPS; "month" needs `months`): every count in metric_specs.TALLIED over
    the complaints received in the window, with the overdue members at the reading's moment added to their
    figures' counts; and the complaints closed in the window."""
    unknown = set(by) - set(GROUPS)
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}")
    counted = Counted()
    organisation, where = reading.organisation, reading.where()
    days, raw = reading.parts(DIMENSIONS)
    if days is not None:
        zone = tallies.zone_of(organisation.timezone)
        local = [(label, tallies.local_day(zone, start)) for label, start, _ in months or []]
        expressions = {"month": tallies.month_of_day(local), **{name: getattr(Tally, name) for name in DIMENSIONS}}
        tallied = tallies.sums(db.session.connection(), organisation, days,
                               reading.filter.given() if reading.filter else {},
                               {name: expressions[name] for name in by})
        for values in tallied.values():
            counted.closed += values.pop(CLOSED)
        counted.add(tallied)
    groups = _groups(by, months)
    grouping = group_columns(*groups.values())
    if raw:
        statement = (select(*groups.values(), *aggregates(list(TALLIED_KEYS)))
                     .where(*where, _received_in(raw)).group_by(*grouping))
        counted.add({tuple(row[name] for name in by): {name: row[name] for name in TALLIED}
                     for row in db.session.execute(statement).mappings()})
        counted.closed += db.session.execute(select(func.count()).where(
            *where, or_(*(scopes(part)["closed"] for part in raw)), C.status == Status.CLOSED.value)).scalar_one()
    overdue = (select(*groups.values(), *overdue_aggregates(list(TALLIED_KEYS), reading.now))
               .where(*where, scopes(reading.window)["window"], PENDING).group_by(*grouping))
    counted.add({tuple(row[name] for name in by): {name: value for name, value in row.items() if name not in by}
                 for row in db.session.execute(overdue).mappings()})
    return counted


def _groups(by: tuple[str, ...], months: Months | None) -> dict[str, ColumnElement[Any]]:
    columns = {"month": month_index(months) if months else literal_column("0"),
               **{name: getattr(C, name) for name in DIMENSIONS}}
    return {name: columns[name].label(name) for name in by}


def overdue_now(reading: Reading) -> int:
    """Open complaints, whenever received, with an overdue acknowledgement or response at the moment."""
    return db.session.execute(select(func.count()).where(
        *reading.where(), PENDING, metric_specs.overdue_now(reading.now))).scalar_one()


def durations(reading: Reading, names: list[str]) -> dict[str, Counter]:
    """The durations (DURATIONS' names) of the window's complaints that have them, as Counters of tenths:
    from the tallies when there is no filter, else from the complaints."""
    days, raw = reading.parts(())
    counted = tallies.histograms(db.session.connection(), reading.organisation, days) if days else {}
    result = {name: Counter(counted.get(name, {})) for name in names}
    if raw and names:
        dialect = db.session.get_bind().dialect.name
        parts = [DURATIONS[name].histogram(dialect, [*reading.where(), _received_in(raw)],
                                           literal_column(str(tag)).label("tag")) for tag, name in enumerate(names)]
        for tag, tenths, n in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
            result[names[int(tag)]][int(tenths)] += int(n)
    return result


def ranked(histogram: Counter, kind: str) -> float | None:
    """The median (the middle value, or the mean of the middle two) or the 90th percentile (nearest rank:
    the ceil(0.9 n)-th smallest) of a histogram of tenths, in the unit, to 1 decimal."""
    n = sum(histogram.values())
    if not n:
        return None
    ranks = [(n + 1) // 2, (n + 2) // 2] if kind == "median" else [(9 * n + 9) // 10]
    values, seen = [], 0
    for tenths in sorted(histogram):
        seen += histogram[tenths]
        while ranks and ranks[0] <= seen:
            values.append(tenths)
            ranks.pop(0)
    return round(sum(values) / len(values) / 10, 1)


def repeat_complainants(reading: Reading) -> tuple[int, int]:
    """(members whose lower-cased email is on more than one member, members with an email). Over a window
    of a month or more, SQLite is led to walk the organisation's emails in order (ix_complaint_email) rather
    than sort the window's: ten times faster at a year of a million. Its planner, without statistics, would
    take the window's range; a unary + on the received time is SQLite's way of keeping an index out."""
    email = func.lower(C.email)
    received = C.received_at
    if reading.window.end - reading.window.start >= LONG_WINDOW and db.session.get_bind().dialect.name == "sqlite":
        received = literal_column("+complaint.received_at", type_=C.received_at.type)
    grouped = (select(email.label("email"), func.count().label("n"))
               .where(*reading.where(), received >= reading.window.start, received < reading.window.end,
                      C.email.is_not(None)).group_by(email))
    groups = grouped.subquery()
    repeated, total = db.session.execute(
        select(func.sum(case((groups.c.n > 1, groups.c.n), else_=0)), func.sum(groups.c.n))).one()
    return int(repeated or 0), int(total or 0)


__all__ = ["GROUPS", "Counted", "Reading", "durations", "month_index", "months_of", "overdue_now", "population",
           "ranked", "repeat_complainants", "sums"]
