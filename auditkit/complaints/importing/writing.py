"""Writing checked rows fast: references reserved in one counter update per year, ids at once, rows at
the driver (COPY on PostgreSQL, executemany on SQLite) inside the caller's transaction, and each complaint's
receive event copied from its row by the database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from itertools import repeat
from operator import is_
from typing import Any

from sqlalchemy import Integer, any_, case, func, insert, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.core.db import UTCDateTime

# Times _UTCTexts must write exactly as UTCDateTime's bind processor on SQLite does: other zones, a day and a
# time of day seen before, no microseconds, a year below 1000.
_PROBES = (datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC), datetime(2025, 3, 9, 5, 6, 7, 123456, tzinfo=UTC),
           datetime(2025, 3, 9, 23, 59, 59, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
           datetime(2026, 3, 21, 0, 30, 1, 5, tzinfo=timezone(timedelta(hours=3, minutes=30))),
           datetime(2026, 3, 20, 21, 0, 1, 5, tzinfo=UTC), datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=UTC), None)
_PLAIN = re.compile(r"[0-9A-Za-z_ .:+-]{0,100}")


def reserve_ids(connection, count: int) -> Sequence[int]:
    """Ids for `count` new complaints, so their events can name them without reading them back. On SQLite the
    next ones after the largest (this transaction already holds the database's only write lock: reserve_block
    wrote). On PostgreSQL taken from the id sequence at once, as a range when no other session took ids
    meanwhile (nearly always), else fetched as a list. The sequence is looked up once: named in the select
    list, it would be looked up for every value, eight times slower."""
    if connection.dialect.name == "postgresql":
        first, last, ids = connection.exec_driver_sql(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence('complaint', 'id')::regclass AS seq), "
            "taken AS (SELECT nextval(s.seq) AS id FROM s, generate_series(1, %(n)s)) "
            "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
            "ELSE array_agg(id ORDER BY id) END FROM taken", {"n": count}).one()
        return range(first, last + 1) if ids is None else ids
    last = connection.execute(select(func.coalesce(func.max(Complaint.id), 0))).scalar_one()
    return range(last + 1, last + 1 + count)


@contextmanager
def page_cache(connection, size_kib: int = 114688) -> Iterator[None]:
    """On SQLite, a page cache of at least `size_kib` while the rows are written, the connection's own
    setting back afterwards. Each row goes into every index of complaint, most of them ordered by the received
    time, so a batch touches pages all over them: with the indexes of a million complaints out of the cache,
    the writing takes half as long again. The cache grows only as pages are read (a small import uses little
    of it), and the setting is the connection's, not the database's: safe inside the transaction."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    page = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
    if (-before if before < 0 else before * page // 1024) >= size_kib:
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(size_kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


class _UTCTexts:
    """For UTCDateTime on SQLite, whose processor converts to naive UTC and then formats "YYYY-MM-DD
    HH:MM:SS.ffffff": the same text, its date and its time of day each formatted once (the due times of a batch
    share their received times' time of day, and the days are few)."""

    def __init__(self, process: Callable[[Any], Any]):
        self.process = process
        self.days: dict[int, str] = {}  # date ordinal -> "YYYY-MM-DD"
        self.times: dict[time, str] = {}  # time of day -> "HH:MM:SS.ffffff"

    def __call__(self, value: datetime | None) -> str | None:
        return self.many((value,))[0]

    def many(self, values: Sequence[datetime | None]) -> list[str | None]:
        days, times, process, out = self.days, self.times, self.process, []
        for value in values:
            if value is None or value.tzinfo is None:
                out.append(process(value))  # None, or the processor's own error for a naive time
                continue
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            at, ordinal = value.time(), value.toordinal()
            clock = times.get(at)
            if clock is None:
                clock = times[at] = at.isoformat("microseconds")
            day = days.get(ordinal)
            if day is None:
                day = days[ordinal] = value.date().isoformat()
            out.append(f"{day} {clock}")
        return out

    def agrees(self, process: Callable[[Any], Any]) -> bool:
        """Whether it writes what `process` writes for every probe (twice: formatting, then from memory)."""
        return self.many(_PROBES * 2) == [process(probe) for probe in _PROBES * 2]


def _processors(table, names, dialect) -> dict[str, Callable[[Any], Any] | None]:
    """Each column's bind processor (None if it has none), one _UTCTexts for the UTCDateTime columns on SQLite
    where it agrees with their processor."""
    processors: dict[str, Callable[[Any], Any] | None] = {}
    texts: _UTCTexts | None = None
    for name in names:
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
            texts = texts or _UTCTexts(process)
            if texts.agrees(process):
                process = texts
        processors[name] = process
    return processors


def _column_types(connection, table: str) -> dict[str, int]:
    """The type of each of a PostgreSQL table's columns (its oid), as binary COPY needs them."""
    return dict(connection.exec_driver_sql(
        "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %(t)s::regclass AND attnum > 0 "
        "AND NOT attisdropped", {"t": table}).all())


def _converted(process: Callable[[Any], Any], values: Sequence) -> list:
    """process(value) for each value, once per object when the values repeat (True, None, a channel). The
    values are held while this runs, so no id is reused."""
    objects = dict(zip(map(id, values), values, strict=True))
    if len(objects) * 2 > len(values):
        return list(map(process, values))
    done = {key: process(value) for key, value in objects.items()}
    return list(map(done.__getitem__, map(id, values)))


def _literal(value: Any) -> str | None:
    """The value as SQL text that SQLite stores exactly as the bound value: NULL, an integer, or a short text
    of plain characters (the import's time, a status; never anything that would need quoting). Else None."""
    if value is None:
        return "NULL"
    if type(value) is int and -(2 ** 63) <= value < 2 ** 63:
        return str(value)
    if type(value) is str and _PLAIN.fullmatch(value):
        return f"'{value}'"
    return None


@dataclass
class Rows:
    """Rows made ready for the database by prepared_rows: each column's values converted by its type, the
    values every row shares apart. Columns added afterwards (`add`) must need no conversion (ids)."""

    table: Any
    count: int
    varying: dict[str, Sequence]  # name -> a value per row, as the driver takes it
    same: dict[str, Any]  # name -> the value of every row, as the driver takes it
    literals: dict[str, str]  # on SQLite, the shared values written into the statement as SQL text

    def add(self, name: str, values: Sequence) -> None:
        self.varying = {name: values, **self.varying}


def prepared_rows(dialect, table, columns: dict[str, Sequence], fixed: dict[str, Any] | None = None) -> Rows:
    """Rows given by column, made ready for write_rows without the database (a worker thread may do it):
    `columns` maps names to their values (one per row, all as long), `fixed` names the values that are the
    same in every row. Each value goes through its column type's own bind processor (for UTCDateTime on SQLite
    a shortcut proven to write the same text), so the stored values are exactly what SQLAlchemy writes."""
    count = len(next(iter(columns.values())))
    same: dict[str, Any] = {}
    varying: dict[str, Sequence] = {}
    processors = _processors(table, (*columns, *(fixed or {})), dialect)
    for name, value in (fixed or {}).items():
        process = processors[name]
        same[name] = process(value) if process else value
    for name, values in columns.items():
        process = processors[name]
        if values and all(map(is_, values, repeat(values[0]))):  # one object in every row: convert it once
            same[name] = process(values[0]) if process else values[0]
            continue
        if process is None:
            varying[name] = values
        else:
            varying[name] = process.many(values) if isinstance(process, _UTCTexts) else _converted(process, values)
    literals: dict[str, str] = {}
    if dialect.name == "sqlite":  # the shared values SQLite stores exactly as bound go into the statement
        for name, value in list(same.items()):
            if (text_of := _literal(value)) is None:
                varying[name] = [same.pop(name)] * count
            else:
                literals[name] = text_of
    if not varying:  # every column the same: one of them bound in each row, which says how many rows
        name = next(iter(same))
        literals.pop(name, None)
        varying[name] = [same.pop(name)] * count
    return Rows(table, count, varying, same, literals)


def write_rows(connection, rows: Rows) -> None:
    """Prepared rows written at the driver's speed inside the connection's transaction: binary COPY on
    PostgreSQL, one prepared INSERT on SQLite."""
    quote, table = connection.dialect.identifier_preparer.quote, rows.table
    if connection.dialect.name == "postgresql":
        names = ", ".join(quote(name) for name in (*rows.varying, *rows.same))
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT BINARY)"
        types = _column_types(connection, table.name)
        try:
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
                copy.set_types([types[name] for name in (*rows.varying, *rows.same)])
                shared = tuple(rows.same.values())
                for values in zip(*rows.varying.values(), strict=True):
                    copy.write_row((*values, *shared))
        except connection.dialect.loaded_dbapi.IntegrityError as error:  # as SQLAlchemy would raise it
            raise IntegrityError(statement, None, error) from error
        return
    names = ", ".join(quote(name) for name in (*rows.varying, *rows.literals))
    marks = ", ".join(["?"] * len(rows.varying) + list(rows.literals.values()))
    connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",  # noqa: S608
                               list(zip(*rows.varying.values(), strict=True)))


def insert_receive_events(connection, ids: Sequence[int], event: dict[str, Any], data: dict[str, dict]) -> None:
    """The receive event of each complaint just written with these ids, copied from its row by the database in
    one INSERT … SELECT: at its received time, with `event`'s values and the `data` of its channel. Nothing of
    it passes through Python row by row. The batch's ids are named as a range when they are one (always on
    SQLite, where reserve_ids takes them under the database's write lock; nearly always on PostgreSQL), else as
    an array (PostgreSQL, when other sessions took ids between them). Either names exactly the batch's rows, so
    nothing else is asked: a condition on the organisation would lead SQLite's planner to its rows by
    another index, all of them, once per batch."""
    events, complaint = ComplaintEvent.__table__, Complaint.__table__
    shared = {name: literal(value, events.c[name].type) for name, value in event.items()}
    chosen = case({channel: literal(value, events.c.data.type) for channel, value in data.items()},
                  value=complaint.c.channel)
    if max(ids) - min(ids) + 1 == len(ids):
        members = complaint.c.id.between(min(ids), max(ids))
    else:
        members = complaint.c.id == any_(literal(list(ids), postgresql.ARRAY(Integer)))
    connection.execute(insert(events).from_select(
        [*shared, "complaint_id", "at", "data"],
        select(*shared.values(), complaint.c.id, complaint.c.received_at, chosen)
        .where(members).order_by(complaint.c.id)))
