"""Keeps the day tallies (tally_models.py) in step with the complaints, and reads them.

Every change to a complaint refreshes, in the same transaction, the tallies of the local days it touches
(the day it was received and the day it was closed, before and after the change): through the ORM by the
flush hook below, and by `refresh()` from writers that insert rows in bulk (the import, the demo). On
PostgreSQL a refresh first locks the days' rows, so two writers of the same day take turns and the second
counts the first one's change. An organisation's tallies are used only once `rebuild()` has built them all
(the first refresh of an organisation does it) and only for its current time zone; until then the KPI
engine reads the complaints themselves, which gives the same figures, more slowly.

Refuses nothing; it only ever recounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, bindparam, case, cast, delete, event, extract, func, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from auditkit.complaints.metric_specs import DURATIONS, TALLIED_KEYS, aggregates, group_columns
from auditkit.complaints.models import Complaint
from auditkit.complaints.states import Status
from auditkit.complaints.tally_models import CLOSED, COUNTS, DIMENSIONS, Tally, TallyDay, TallyState
from auditkit.core.db import utcnow
from auditkit.orgs.models import Organisation

C = Complaint
DAY_SECONDS = 86400
RUN = 31  # days counted per query at most


def zone_of(timezone: str | None) -> ZoneInfo:
    return ZoneInfo(timezone or "UTC")


def day_start(zone: ZoneInfo, day: date) -> datetime:
    """The UTC instant a local day begins."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def local_day(zone: ZoneInfo, at: datetime) -> date:
    return at.astimezone(zone).date()


def local_days(timezone: str | None, instants: Iterable[datetime | None]) -> set[date]:
    """The local days of these times (None skipped), for refresh()."""
    zone = zone_of(timezone)
    return {local_day(zone, _aware(at)) for at in instants if at is not None}


def _whole_days_since(column, start: datetime, dialect: str):
    """Whole days from `start` to a later time, in integer seconds on either engine."""
    if dialect == "sqlite":
        # Whole seconds of the stored text (strftime would round a time within half a millisecond of the
        # next second up to it, and so a time just before midnight into the next day).
        seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger) - int(start.timestamp())
    else:
        seconds = cast(func.floor(extract("epoch", column - start)), BigInteger)
    return seconds // DAY_SECONDS


def position(column, uppers: list) -> Any:
    """How many of the ascending `uppers` a value is at or past: 0 below the first. For a time or day, the
    index of its period among periods ending at `uppers` (SQLite cannot shift a time into a time zone); a
    constant when there is one period."""
    if not uppers:
        return literal_column("0")
    return case(*((column < upper, literal_column(str(i))) for i, upper in enumerate(uppers)),
                else_=literal_column(str(len(uppers))))


def day_index(column, run: list[date], start: datetime, dialect: str):
    """The position of a time among the days of a run (see _runs), for a time already within them: whole
    days since the run began, or 0 in a run of one day."""
    return _whole_days_since(column, start, dialect) if len(run) > 1 else literal_column("0")


# --- writing ----------------------------------------------------------------------------------------------

def _zones(connection, organisation_id: int) -> tuple[str, str | None] | None:
    """The organisation's time zone and the one its tallies are in (None: not built); None if it is gone."""
    row = connection.execute(select(Organisation.timezone, TallyState.timezone)
                             .outerjoin(TallyState, TallyState.organisation_id == Organisation.id)
                             .where(Organisation.id == organisation_id)).first()
    return None if row is None else (row[0] or "UTC", row[1])


def refresh(connection, organisation_id: int, days: Iterable[date] = (),
            instants: Iterable[datetime | None] = ()) -> None:
    """Recount the tallies of these local days of the organisation, and of the local days of these times,
    in the caller's transaction; the whole organisation's if its tallies were never built or were built in
    another time zone."""
    zones = _zones(connection, organisation_id)
    if zones is None:
        return  # the organisation is being deleted with its complaints
    timezone, built_in = zones
    days = sorted(set(days) | local_days(timezone, instants))
    if not days:
        return
    if built_in != timezone:
        rebuild(connection, organisation_id)
    else:
        _count_days(connection, organisation_id, zone_of(timezone), days)


def rebuild(connection, organisation_id: int) -> None:
    """Count every day of the organisation's complaints afresh and mark its tallies complete."""
    timezone = connection.execute(select(Organisation.timezone).where(
        Organisation.id == organisation_id)).scalar_one() or "UTC"
    zone = zone_of(timezone)
    owned = C.organisation_id == organisation_id
    # Three statements, not one: each reads a single end of an index.
    first, last_received, last_closed = (connection.execute(select(aggregate).where(owned)).scalar() for aggregate in (
        func.min(C.received_at), func.max(C.received_at), func.max(C.closed_at)))
    connection.execute(delete(Tally).where(Tally.organisation_id == organisation_id))
    connection.execute(delete(TallyDay).where(TallyDay.organisation_id == organisation_id))
    if first is not None:
        first_day = local_day(zone, _aware(first))
        last_day = local_day(zone, max(_aware(at) for at in (last_received, last_closed) if at is not None))
        _count_days(connection, organisation_id, zone,
                    [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)])
    connection.execute(delete(TallyState).where(TallyState.organisation_id == organisation_id))
    connection.execute(insert(TallyState).values(organisation_id=organisation_id, timezone=timezone,
                                                 built_at=utcnow()))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _runs(zone: ZoneInfo, days: list[date]) -> list[list[date]]:
    """Consecutive days in runs of up to RUN days that all last 24 hours, so that a time's day in its run is
    whole days since the run began; a day the clocks change on is a run of its own. A run's counts are held
    in memory until written: RUN keeps them small however many days are recounted."""
    runs: list[list[date]] = []
    extendable = False
    for day in days:
        whole = day_start(zone, day + timedelta(days=1)) - day_start(zone, day) == timedelta(days=1)
        if runs and extendable and whole and day - runs[-1][-1] == timedelta(days=1) and len(runs[-1]) < RUN:
            runs[-1].append(day)
        else:
            runs.append([day])
        extendable = whole
    return runs


def _lock(connection, organisation_id: int, run: list[date]) -> None:
    """The days' rows, inserted if new; on PostgreSQL locked until the transaction ends."""
    rows = [{"organisation_id": organisation_id, "day": day, "durations": {}} for day in run]
    dialect = connection.dialect.name
    statement = (postgresql.insert(TallyDay) if dialect == "postgresql" else sqlite.insert(TallyDay))
    connection.execute(statement.on_conflict_do_nothing(index_elements=["organisation_id", "day"]), rows)
    if dialect == "postgresql":
        connection.execute(select(TallyDay.id).where(TallyDay.organisation_id == organisation_id,
                                                     TallyDay.day.between(run[0], run[-1]))
                           .order_by(TallyDay.day).with_for_update())


def _count_days(connection, organisation_id: int, zone: ZoneInfo, days: list[date]) -> None:
    dialect = connection.dialect.name
    for run in _runs(zone, days):
        _lock(connection, organisation_id, run)
        start, end = day_start(zone, run[0]), day_start(zone, run[-1] + timedelta(days=1))
        owned = C.organisation_id == organisation_id
        counts: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        received = day_index(C.received_at, run, start, dialect).label("d")
        for row in connection.execute(
                select(received, *(getattr(C, name) for name in DIMENSIONS), *aggregates(list(TALLIED_KEYS)))
                .where(owned, C.received_at >= start, C.received_at < end)
                .group_by(*group_columns(received, *(getattr(C, name) for name in DIMENSIONS)))).mappings():
            counts[(int(row["d"]), *(row[name] for name in DIMENSIONS))].update(
                {name: int(row[name] or 0) for name in COUNTS if name in row})
        closed = day_index(C.closed_at, run, start, dialect).label("d")
        for row in connection.execute(
                select(closed, *(getattr(C, name) for name in DIMENSIONS), func.count().label(CLOSED))
                .where(owned, C.closed_at >= start, C.closed_at < end, C.status == Status.CLOSED.value)
                .group_by(*group_columns(closed, *(getattr(C, name) for name in DIMENSIONS)))).mappings():
            counts[(int(row["d"]), *(row[name] for name in DIMENSIONS))][CLOSED] = int(row[CLOSED])
        durations: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: {name: {} for name in DURATIONS})
        for name, duration in DURATIONS.items():
            for d, value, n in connection.execute(duration.histogram(
                    dialect, [owned, C.received_at >= start, C.received_at < end], received)):
                durations[int(d)][name][str(int(value))] = int(n)
        connection.execute(delete(Tally).where(Tally.organisation_id == organisation_id,
                                         Tally.day.between(run[0], run[-1])))
        if counts:
            connection.execute(insert(Tally), [
                {"organisation_id": organisation_id, "day": run[key[0]],
                 **dict(zip(DIMENSIONS, key[1:], strict=True)), **values} for key, values in counts.items()])
        table = TallyDay.__table__
        connection.execute(
            table.update().where(table.c.organisation_id == organisation_id, table.c.day == bindparam("the_day"))
            .values(durations=bindparam("the_durations")),
            [{"the_day": day, "the_durations": durations[i] if i in durations else {name: {} for name in DURATIONS}}
             for i, day in enumerate(run)])


TOUCHED = "auditkit.tallies.touched"  # session.info: {organisation id: UTC instants} a flush is changing


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    """Note the received and closed times of the complaints this flush changes, as stored before it (read
    from the database: an expired instance does not know its old values) and as they will be after it."""
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Complaint)
               and (obj not in session.dirty or session.is_modified(obj))]
    if not changed:
        return
    touched: dict[int, set[datetime]] = session.info.setdefault(TOUCHED, defaultdict(set))
    stored = [obj.id for obj in changed if obj not in session.new and obj.id is not None]
    if stored:
        for organisation_id, *instants in session.connection().execute(
                select(C.organisation_id, C.received_at, C.closed_at).where(C.id.in_(stored))):
            touched[organisation_id].update(_aware(at) for at in instants if at is not None)
    for obj in changed:
        if obj not in session.deleted:
            touched[obj.organisation_id].update(_aware(at) for at in (obj.received_at, obj.closed_at) if at)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    touched = session.info.pop(TOUCHED, None)
    for organisation_id, instants in (touched or {}).items():
        refresh(session.connection(), organisation_id, instants=instants)


# --- reading ----------------------------------------------------------------------------------------------

def complete(connection, organisation: Organisation) -> bool:
    """Whether the organisation's tallies cover all its complaints in its current time zone."""
    state = connection.execute(select(TallyState.timezone).where(
        TallyState.organisation_id == organisation.id)).scalar_one_or_none()
    return state is not None and state == (organisation.timezone or "UTC")


def sums(connection, organisation: Organisation, days: tuple[date, date], given: dict[str, Any],
         groups: dict[str, Any]) -> dict[tuple, dict[str, int]]:
    """The tallies of days [first, last) summed by `groups` (label → an expression over Tally), with
    equality on the dimensions given."""
    columns = [func.sum(getattr(Tally, name)).label(name) for name in COUNTS]
    labelled = [expression.label(label) for label, expression in groups.items()]
    statement = (select(*labelled, *columns)
                 .where(Tally.organisation_id == organisation.id, Tally.day >= days[0], Tally.day < days[1],
                        *(getattr(Tally, name) == value for name, value in given.items()))
                 .group_by(*group_columns(*labelled)))
    result: dict[tuple, dict[str, int]] = {}
    for row in connection.execute(statement).mappings():
        result[tuple(row[label] for label in groups)] = {name: int(row[name] or 0) for name in COUNTS}
    return result


def histograms(connection, organisation: Organisation, days: tuple[date, date]) -> dict[str, Counter]:
    """The durations of the complaints received on days [first, last): {"ack"|"resolve": Counter(tenths)}."""
    merged: dict[str, Counter] = {name: Counter() for name in DURATIONS}
    for (durations,) in connection.execute(select(TallyDay.durations).where(
            TallyDay.organisation_id == organisation.id, TallyDay.day >= days[0], TallyDay.day < days[1])):
        for name, counts in (durations or {}).items():
            merged[name].update({int(tenths): n for tenths, n in counts.items()})
    return merged


def month_of_day(months: list[tuple[str, date]]):
    """The position of a tally's day among months starting on the given local days (label, first day)."""
    return position(Tally.day, [first for _, first in months[1:]])
