"""Exporting the complaint register, with the register's filters, as CSV or .xlsx: one query (the scoped,
filtered select joined to the category names), read in chunks and written out as it comes — CSV as a stream
of text, .xlsx through openpyxl's write-only workbook into a temporary file.

Complainants' details are masked (masking.personal_data) for anyone without `complaint.view_personal`.
A text that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage return) is
kept from running: in CSV it gets an apostrophe in front (`neutralise`, the OWASP defence; the importer takes
that apostrophe off again), in .xlsx it is written as it is, as a text cell marked "quote prefix", which Excel
shows and edits as text. The header uses the importer's field names (external_id, received_at, channel,
category, the complainant's details, consent, preferred_language, product, description, remedy_wanted,
occurred_on; the other columns it leaves out), so an export maps back onto an import, and importing it again
finds every complaint that has an external id already there. Times are ISO 8601 in the organisation's time
zone; consent is true or false.

Refuses: a role without `complaint.export` (Forbidden).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from auditkit.complaints.masking import MASKS, personal_data
from auditkit.complaints.models import PERSONAL_FIELDS, Category, Complaint
from auditkit.complaints.queries import SORTS, RegisterFilter, filtered
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

PERSONAL = tuple(f for f in PERSONAL_FIELDS if f in MASKS)
COLUMNS = ("reference", "external_id", "received_at", "status", "channel", "category", "severity", "product",
           "description", "remedy_wanted", "occurred_on", *PERSONAL, "consent", "preferred_language", "ack_due_at",
           "acknowledged_at", "response_due_at", "communicated_at", "closed_at", "accepted", "satisfaction_rating")
_SELECTED = ("id", "reference", "external_id", "received_at", "status", "channel", "severity", "product",
             "description", "remedy_wanted", "occurred_on", *PERSONAL, "consent", "preferred_language",
             "ack_due_at", "acknowledged_at", "response_due_at", "communicated_at", "closed_at", "accepted",
             "satisfaction_rating")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000


def neutralise(value: str) -> str:
    """A text a spreadsheet must show as text, not run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def plain(value: Any, zone: ZoneInfo) -> Any:
    """A value as an export writes it: ISO dates and times in the zone, true/false, "" for none, text as it is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def cell(value: Any, zone: ZoneInfo) -> Any:
    """`plain`, with text a spreadsheet will not run (`neutralise`): for files that are not written through
    csv_chunks or write_xlsx."""
    value = plain(value, zone)
    return neutralise(value) if isinstance(value, str) else value


def rows(actor: Actor, organisation: Organisation, register_filter: RegisterFilter) -> Iterator[list[Any]]:
    """The header, then one list of cells per complaint of the filtered register, in the register's order:
    `plain` values, which csv_chunks and write_xlsx each keep from running as formulas."""
    require(actor, "complaint.export")  # now, not when the first row is read
    zone = ZoneInfo(organisation.timezone or "UTC")
    base = filtered(actor, register_filter, zone=zone)
    column, ascending = SORTS.get(register_filter.sort, SORTS["newest"])
    order = (column.asc(), Complaint.id.asc()) if ascending else (column.desc(), Complaint.id.desc())
    statement = (select(*(getattr(Complaint, name) for name in _SELECTED), Category.name.label("category"))
                 .outerjoin(Category, Category.id == Complaint.category_id)
                 .where(base.whereclause).order_by(*order).execution_options(yield_per=CHUNK))
    return _cells(actor, statement, zone)


def _cells(actor: Actor, statement, zone: ZoneInfo) -> Iterator[list[Any]]:
    yield list(COLUMNS)
    for row in db.session.execute(statement):
        values = {**row._mapping, **personal_data(row, actor)}
        yield [plain(values[name], zone) for name in COLUMNS]


def csv_chunks(table: Iterator[list[Any]]) -> Iterator[str]:
    """CSV text (with a byte-order mark, so spreadsheets read it as UTF-8) in pieces of CHUNK rows, every text
    neutralised (again: a neutralised text stays as it is)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for count, cells in enumerate(table, start=1):
        writer.writerow([neutralise(c) if isinstance(c, str) else c for c in cells])
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(table: Iterator[list[Any]], target: IO[bytes]) -> None:
    """The rows as a one-sheet workbook ("Complaints"), written row by row; a text that would run as a formula
    is a text cell with a quote prefix, its value unchanged."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Complaints")
    for cells in table:
        sheet.append([_xlsx_value(sheet, c) if isinstance(c, str) else c for c in cells])
    workbook.save(target)


def _xlsx_value(sheet, text: str) -> Any:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)  # control characters but tab and line breaks cannot be stored
    if not text.startswith(FORMULA_START):
        return text
    written = WriteOnlyCell(sheet, value=text)  # openpyxl takes a text starting with = for a formula
    written.data_type = "s"
    written.quotePrefix = True
    return written


def xlsx_file(table: Iterator[list[Any]]) -> IO[bytes]:
    """A temporary file holding the workbook, positioned at its start (removed when closed)."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        write_xlsx(table, target)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target
