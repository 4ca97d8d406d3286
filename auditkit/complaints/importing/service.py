"""Importing complaints from a CSV or .xlsx file: the streamed readers, the column mapping, the rules every
row must pass, and the batched writing.

Pass 1 reads the whole file and checks every row; the rows that pass go to a sorted spool (`spool`: a
temporary file, never the whole import in memory). Pass 2 runs only when nothing is wrong (or the caller chose
to skip invalid rows): in the order the complaints were received, it reserves the references in one counter
update per year (`reserve_block`) and the ids in one go, then writes complaints 5,000 at a time at the driver
(binary COPY on PostgreSQL, executemany on SQLite), each batch's "receive" events copied from them by the
database, inside the caller's one transaction; the caller commits once. On PostgreSQL each batch is made ready
in a worker thread while the one before is written (`ahead`): the server works in its own process, so this
hides most of that Python work. Not on SQLite, whose writing is this process's own: there a second thread
only contends with it for the interpreter at every row (the writing took a tenth longer with one). Speed: on
SQLite the connection's page cache is enlarged while writing (`writing.page_cache`, 112 MB: at a million rows
as fast as 128 MB and 20 MB less memory; 256 MB writes ~8% faster but takes the process past 400 MB; 64 MB
writes a quarter slower), and Python's cycle collector is paused during both passes. Line numbers are where a
row starts in the file (the header is line 1; a quoted field with line breaks spans lines); in a workbook, the
row number.

The rules are intake's (`intake.LIMITS`, its messages), restated per row without queries: the category tree
is read once, the external ids already in the register are looked up per batch. Only receipt fields are
imported: every complaint starts as received, its clock computed from its received time as intake does.

Audit trail: bulk inserts bypass the session listener, so an import writes no audit entries — the documented
exception to "changes go through the unit of work". An import is recorded by each complaint's "receive"
event (clause 7.2, the importing actor, data {"channel", "source": "import", "file"}) and by the update of
the reference counter.

Refuses (writes nothing; each problem named by line, column and field): a file that is neither UTF-8 CSV nor
.xlsx; a mapping naming an unknown column or field, or two columns for one field; no column for received_at,
description or any contact field; any invalid row, unless `skip_invalid` (the valid rows are written, the
others handed to `rejected` as CSV). A role without `complaint.import`: Forbidden."""

from __future__ import annotations

import csv
import gc
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from operator import itemgetter
from typing import Any, BinaryIO, TextIO
from xml.etree.ElementTree import ParseError

from flask_babel import gettext as _
from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects import postgresql

from auditkit.complaints import tallies
from auditkit.complaints.exporting import neutralise
from auditkit.complaints.importing.ahead import made_ahead
from auditkit.complaints.importing.rules import (
    BATCH,
    MAX_PROBLEMS,
    RECEIVE_CLAUSE,
    ROW,
    Problem,
    RowRules,
    resolve_mapping,
    unquoted,
)
from auditkit.complaints.importing.spool import SortedSpool
from auditkit.complaints.importing.tables import Table, UnreadableFile, open_table
from auditkit.complaints.importing.writing import (
    Rows,
    insert_receive_events,
    page_cache,
    prepared_rows,
    reserve_ids,
    write_rows,
)
from auditkit.complaints.models import CHANNELS, Complaint
from auditkit.complaints.references import format_reference, reserve_block
from auditkit.complaints.states import Status
from auditkit.core.db import utcnow
from auditkit.core.errors import NotFound
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

Progress = Callable[[str, int, int], None]  # (phase "check" | "write", done, total)

ANALYZE_AFTER = 10_000  # rows written


@dataclass
class ImportReport:
    read: int = 0  # data rows in the file
    already_there: int = 0  # their external id is in the register: skipped
    invalid: int = 0
    to_write: int = 0
    written: int = 0
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    file_problem: bool = False
    skip_invalid: bool = False
    dry_run: bool = False
    ignored: list[str] = field(default_factory=list)  # their columns left out
    days: set[date] = field(default_factory=set)  # the local days written to, whose tallies are recounted

    @property
    def refused(self) -> bool:
        return self.file_problem or (self.invalid > 0 and not self.skip_invalid)

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)



def import_complaints(actor: Actor, organisation: Organisation, source: BinaryIO, *,
                      mapping: dict[Any, str | None] | None = None, dry_run: bool = False,
                      skip_invalid: bool = False, rejected: TextIO | None = None, progress: Progress | None = None,
                      file_name: str = "") -> ImportReport:
    """Check the whole file, then (unless refused or a dry run) write its new complaints; see the module."""
    require(actor, "complaint.import")
    if actor.organisation_id != organisation.id:
        raise NotFound()
    report = ImportReport(skip_invalid=skip_invalid, dry_run=dry_run)
    try:
        table = open_table(source)
    except UnreadableFile as error:
        report.file_problem = True
        report.add(Problem(None, None, None, str(error)))
        return report
    try:
        columns, problems = resolve_mapping(table.header, mapping)
        report.ignored = [name for i, name in enumerate(table.header) if name and i not in columns]
        if not any(table.header):
            problems = [Problem(1, None, None, _("The first line must name the columns."))]
        if problems:
            report.file_problem = True
            for problem in problems:
                report.add(problem)
            return report
        rules, progress = RowRules(organisation, table.header, columns), progress or (lambda *_: None)
        with SortedSpool(itemgetter(ROW.index("received_at"))) as spool, _no_cycle_collection():
            years = _check(organisation, table, rules, report, spool, rejected, progress)
            if report.refused or dry_run or not report.to_write:
                return report
            _write(actor, organisation, rules, spool, years, report, progress, file_name[:200])
            _refresh_statistics(report.written)
            tallies.refresh(db.session.connection(), organisation.id, report.days)
    finally:
        table.close()
    return report


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while the rows are checked and written. They make no reference cycles,
    but their millions of short-lived tuples and lists keep setting off collections, each of which walks every
    object the process holds: a quarter of the import's own time. Resumed afterwards (unless it was off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check(organisation: Organisation, table: Table, rules: RowRules, report: ImportReport, spool: SortedSpool,
           rejected: TextIO | None, progress: Progress) -> Counter:
    """Pass 1: every row checked, the valid new ones spooled in batches; returns the rows per year."""
    years: Counter = Counter()
    seen: dict[str, int] = {}
    writer = csv.writer(rejected, delimiter=table.delimiter) if rejected is not None and report.skip_invalid else None
    if writer:  # their own values, neutralised as an export's: people open this file in a spreadsheet
        writer.writerow([*map(neutralise, table.header), "line", "problems"])
    pending: list[tuple[int, list[str], str, int]] = []  # line, values, external id, its earlier line or 0

    def flush() -> None:
        existing = _existing(organisation.id, [p[2] for p in pending if p[2] and not p[3]])
        results = None  # when no row is already there or a repeat: every row's check, at once
        if not existing and not any(map(itemgetter(3), pending)):
            results = list(map(rules.check, map(itemgetter(1), pending)))
            if not any(map(itemgetter(1), results)):  # and none has a problem: no row needs a second look
                spool_valid(list(map(itemgetter(0), results)))
                return
        valid = []
        for position, (line, values, external_id, earlier) in enumerate(pending):
            if external_id in existing and not earlier:
                report.already_there += 1  # left as it is, whatever the row says now
                continue
            record, errors = results[position] if results else rules.check(values)
            if earlier:
                errors.append(("external_id", _("The external id %(id)s is already on line %(line)d of this file.",
                                                id=external_id, line=earlier)))
            if errors:
                report.invalid += 1
                for name, message in errors:
                    report.add(Problem(line, rules.column_of.get(name), name, message))
                if writer:
                    padding = [""] * (len(table.header) - len(values))
                    writer.writerow([*map(neutralise, values), *padding, line,
                                     neutralise("; ".join(f"{n or '-'}: {m}" for n, m in errors))])
            else:
                valid.append(record)
        spool_valid(valid)

    def spool_valid(valid: list[tuple]) -> None:
        years.update(map(itemgetter(-1), valid))
        report.to_write += len(valid)
        if valid and (report.skip_invalid or not report.invalid):
            spool.add(valid)
        pending.clear()
        progress("check", *table.position())

    # Rows are read a batch at a time; a file that turns out unreadable midway is named by the last line read.
    rows, line, index, reading = iter(table.rows), 1, rules.external_index, True
    while reading:
        try:
            for line, values in rows:
                external_id = unquoted(values[index].strip()) if index is not None and index < len(values) else ""
                earlier = seen.setdefault(external_id, line) if external_id else line
                pending.append((line, values, external_id, 0 if earlier == line else earlier))
                if len(pending) >= BATCH:
                    break
            else:
                reading = False
        except (UnicodeDecodeError, csv.Error, ValueError, KeyError, zipfile.BadZipFile, ParseError):
            report.read += len(pending)
            report.file_problem = True
            report.add(Problem(None, None, None, _("The file could not be read after line %(line)d: save it again "
                                                   "as CSV in UTF-8 or as .xlsx.", line=line)))
            return years
        report.read += len(pending)
        flush()
    if not report.read:
        report.file_problem = True
        report.add(Problem(None, None, None, _("The file holds no rows below its header.")))
    return years


def _existing(organisation_id: int, external_ids: list[str]) -> set[str]:
    """Which of these external ids the organisation's register holds, asked only if it holds any external id
    at all (a first import: one look at the index, not thousands). On PostgreSQL one array parameter, which
    plans far faster than thousands; on SQLite the list at the driver (SQLAlchemy's expanding of thousands of
    parameters costs more than the query)."""
    if not external_ids:
        return set()
    column = Complaint.external_id
    if db.session.execute(select(literal(1)).where(Complaint.organisation_id == organisation_id,
                                                   column.is_not(None)).limit(1)).first() is None:
        return set()
    if db.session.get_bind().dialect.name == "postgresql":
        return set(db.session.execute(select(column).where(
            Complaint.organisation_id == organisation_id,
            column == any_(literal(external_ids, postgresql.ARRAY(String))))).scalars())
    marks = ", ".join(["?"] * len(external_ids))
    return set(db.session.connection().exec_driver_sql(
        f"SELECT external_id FROM complaint WHERE organisation_id = ? AND external_id IN ({marks})",  # noqa: S608
        (organisation_id, *external_ids)).scalars())


def _refresh_statistics(written: int) -> None:
    """After a large import on PostgreSQL, fresh planner statistics in the same transaction: autovacuum comes
    later, and until it does the planner takes a million new rows for none (the KPI overview of a freshly
    imported million ran 31 s instead of under 2 s)."""
    connection = db.session.connection()
    if written >= ANALYZE_AFTER and connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE complaint, complaint_event")


def _write(actor: Actor, organisation: Organisation, rules: RowRules, spool: SortedSpool, years: Counter,
           report: ImportReport, progress: Progress, file_name: str) -> None:
    """Pass 2: references reserved per year, then complaints and their receive events in batches in the order
    received. Each batch is made ready (due dates, references, values converted), on PostgreSQL in a worker
    thread ahead of its writing (`made_ahead`, see the module); this thread gives it its ids and writes it."""
    pattern = rules.settings.pattern
    following = {year: count(reserve_block(organisation.id, pattern, year, number))
                 for year, number in sorted(years.items())}
    connection = db.session.connection()
    dialect, table, zone = connection.dialect, Complaint.__table__, organisation.timezone
    data = {channel: {"channel": channel, "source": "import", "file": file_name} for channel in CHANNELS}
    now, received = utcnow(), Status.RECEIVED.value
    shared = {"organisation_id": organisation.id, "status": received, "created_at": now, "updated_at": now,
              "version": 1, "escalation_level": 0, "reopen_count": 0}
    event = {"organisation_id": organisation.id, "actor_id": actor.user_id, "actor_label": actor.label,
             "kind": "receive", "to_status": received, "clause_key": RECEIVE_CLAUSE}

    def batches() -> Iterator[tuple[Rows, set[date]]]:  # maybe in a worker thread: no database, no session
        for rows in spool.batches(BATCH):
            columns = dict(zip((*ROW, "year"), zip(*rows, strict=True), strict=True))
            at = columns["received_at"]
            columns["ack_due_at"], columns["response_due_at"] = rules.due_columns(at)
            columns["reference"] = [format_reference(pattern, year, next(following[year]))
                                    for year in columns.pop("year")]
            yield prepared_rows(dialect, table, columns, shared), tallies.local_days(zone, at)

    reserved = reserve_ids(connection, spool.count)
    ahead = made_ahead if dialect.name == "postgresql" else nullcontext
    with page_cache(connection), ahead(batches()) as ready:
        for rows, days in ready:
            ids = reserved[report.written:report.written + rows.count]
            rows.add("id", ids)
            write_rows(connection, rows)
            insert_receive_events(connection, ids, event, data)
            report.written += rows.count
            report.days.update(days)
            progress("write", report.written, report.to_write)
