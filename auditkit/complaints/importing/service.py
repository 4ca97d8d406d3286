"""Importing complaints from a CSV or .xlsx file: the streamed readers, the column mapping, the rules every
row must pass, and the batched writing.

Pass 1 reads the whole file and checks every row; the rows that pass go to a temporary spool file, never into
memory. Pass 2 runs only when nothing is wrong (or the caller chose to skip invalid rows): it reserves the
references in one counter update per year (`reserve_block`) and the ids per batch, then writes complaints and
their "receive" events 5,000 at a time at the driver (COPY on PostgreSQL, executemany on SQLite) inside the
caller's one transaction; the caller commits once. Line numbers are where a row starts in the file (the header
is line 1; a quoted field with line breaks spans lines); in a workbook, the row number.

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
import pickle
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO
from xml.etree.ElementTree import ParseError

from flask_babel import gettext as _
from sqlalchemy import String, any_, literal, select
from sqlalchemy.dialects import postgresql

from auditkit.complaints.importing.rules import (
    BATCH,
    EVENT,
    INSERTED,
    MAX_PROBLEMS,
    RECEIVE_CLAUSE,
    Problem,
    RowRules,
    resolve_mapping,
)
from auditkit.complaints.importing.tables import Table, UnreadableFile, open_table
from auditkit.complaints.importing.writing import insert_rows, reserve_ids
from auditkit.complaints.models import CHANNELS, Complaint, ComplaintEvent
from auditkit.complaints.references import format_reference, reserve_block
from auditkit.complaints.states import Status
from auditkit.core.db import utcnow
from auditkit.core.errors import NotFound
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

Progress = Callable[[str, int, int], None]  # (phase "check" | "write", done, total)

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
        with tempfile.TemporaryFile() as spool:
            years = _check(organisation, table, rules, report, spool, rejected, progress)
            if report.refused or dry_run or not report.to_write:
                return report
            spool.seek(0)
            _write(actor, organisation, rules, spool, years, report, progress, file_name[:200])
    finally:
        table.close()
    return report


def _check(organisation: Organisation, table: Table, rules: RowRules, report: ImportReport, spool,
           rejected: TextIO | None, progress: Progress) -> Counter:
    """Pass 1: every row checked, the valid new ones spooled in batches; returns the rows per year."""
    years: Counter = Counter()
    seen: dict[str, int] = {}
    writer = csv.writer(rejected, delimiter=table.delimiter) if rejected is not None and report.skip_invalid else None
    if writer:
        writer.writerow([*table.header, "line", "problems"])
    pending: list[tuple[int, list[str], str, int]] = []  # line, values, external id, its earlier line or 0

    def flush() -> None:
        existing = _existing(organisation.id, [p[2] for p in pending if p[2] and not p[3]])
        valid = []
        for line, values, external_id, earlier in pending:
            if external_id in existing and not earlier:
                report.already_there += 1  # left as it is, whatever the row says now
                continue
            record, errors = rules.check(values)
            if earlier:
                errors.append(("external_id", _("The external id %(id)s is already on line %(line)d of this file.",
                                                id=external_id, line=earlier)))
            if errors:
                report.invalid += 1
                for name, message in errors:
                    report.add(Problem(line, rules.column_of.get(name), name, message))
                if writer:
                    padding = [""] * (len(table.header) - len(values))
                    writer.writerow([*values, *padding, line, "; ".join(f"{n or '-'}: {m}" for n, m in errors)])
            else:
                valid.append(record)
                years[record[-1]] += 1
        report.to_write += len(valid)
        if valid and (report.skip_invalid or not report.invalid):
            pickle.dump(valid, spool, protocol=pickle.HIGHEST_PROTOCOL)
        pending.clear()
        progress("check", *table.position())

    rows, line, index = iter(table.rows), 1, rules.external_index
    while True:
        try:
            line, values = next(rows)
        except StopIteration:
            break
        except (UnicodeDecodeError, csv.Error, ValueError, KeyError, zipfile.BadZipFile, ParseError):
            report.file_problem = True
            report.add(Problem(None, None, None, _("The file could not be read after line %(line)d: save it again "
                                                   "as CSV in UTF-8 or as .xlsx.", line=line)))
            return years
        report.read += 1
        external_id = values[index].strip() if index is not None and index < len(values) else ""
        earlier = seen.setdefault(external_id, line) if external_id else line
        pending.append((line, values, external_id, 0 if earlier == line else earlier))
        if len(pending) >= BATCH:
            flush()
    flush()
    if not report.read:
        report.file_problem = True
        report.add(Problem(None, None, None, _("The file holds no rows below its header.")))
    return years


def _existing(organisation_id: int, external_ids: list[str]) -> set[str]:
    """Which of these external ids the organisation's register holds (on PostgreSQL one array parameter, which
    plans far faster than thousands)."""
    if not external_ids:
        return set()
    column = Complaint.external_id
    among = (column == any_(literal(external_ids, postgresql.ARRAY(String)))
             if db.session.get_bind().dialect.name == "postgresql" else column.in_(external_ids))
    return set(db.session.execute(select(column).where(Complaint.organisation_id == organisation_id, among))
               .scalars())


def _write(actor: Actor, organisation: Organisation, rules: RowRules, spool, years: Counter, report: ImportReport,
           progress: Progress, file_name: str) -> None:
    """Pass 2: references reserved per year, then complaints and their receive events in batches."""
    following = {year: reserve_block(organisation.id, year, count) for year, count in sorted(years.items())}
    connection = db.session.connection()
    data = {channel: {"channel": channel, "source": "import", "file": file_name} for channel in CHANNELS}
    now, pattern, received = utcnow(), rules.settings.pattern, Status.RECEIVED.value
    while True:
        try:
            batch = pickle.load(spool)  # noqa: S301 - our own temporary spool of this import, never a user's file
        except EOFError:
            break
        ids, rows, events = reserve_ids(connection, len(batch)), [], []
        for ident, (*values, year) in zip(ids, batch, strict=True):
            seq, following[year] = following[year], following[year] + 1
            rows.append((*values, ident, organisation.id, format_reference(pattern, year, seq), received,
                         rules.due(values[1], "acknowledge"), rules.due(values[1], "respond"), now, now, 1, 0, 0))
            events.append((organisation.id, ident, values[1], actor.user_id, actor.label, "receive", received,
                           RECEIVE_CLAUSE, data[values[2]]))
        insert_rows(connection, Complaint.__table__, INSERTED, rows)
        insert_rows(connection, ComplaintEvent.__table__, EVENT, events)
        report.written += len(rows)
        progress("write", report.written, report.to_write)
