"""Exporting the complaint register, with the register's filters, as CSV or .xlsx: one query (the scoped,
filtered select joined to the category names), read in chunks and written out as it comes — CSV as a stream
of text, .xlsx through openpyxl's write-only workbook into a temporary file.

Complainants' details are masked (masking.personal_data) for anyone without `complaint.view_personal`.
Every text cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) gets an apostrophe in front; the header uses the field names, so an export maps back onto an import.
Times are ISO 8601 in the organisation's time zone.

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
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from auditkit.complaints.masking import MASKS, personal_data
from auditkit.complaints.models import PERSONAL_FIELDS, Category, Complaint
from auditkit.complaints.queries import SORTS, RegisterFilter, filtered
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

PERSONAL = tuple(f for f in PERSONAL_FIELDS if f in MASKS)
COLUMNS = ("reference", "received_at", "status", "channel", "category", "severity", "product", "description",
           "remedy_wanted", *PERSONAL, "ack_due_at", "acknowledged_at", "response_due_at", "communicated_at",
           "closed_at", "accepted", "satisfaction_rating")
_SELECTED = ("id", "reference", "received_at", "status", "channel", "severity", "product", "description",
             "remedy_wanted", *PERSONAL, "ack_due_at", "acknowledged_at", "response_due_at", "communicated_at",
             "closed_at", "accepted", "satisfaction_rating")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000


def neutralise(value: str) -> str:
    """A text a spreadsheet must show as text, not run as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def cell(value: Any, zone: ZoneInfo) -> Any:
    """A value as an export writes it: ISO dates and times in the zone, true/false, text a spreadsheet will not run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def rows(actor: Actor, organisation: Organisation, register_filter: RegisterFilter) -> Iterator[list[Any]]:
    """The header, then one list of cells per complaint of the filtered register, in the register's order."""
    require(actor, "complaint.export")  # now, not when the first row is read
    base = filtered(actor, register_filter)
    column, ascending = SORTS.get(register_filter.sort, SORTS["newest"])
    order = (column.asc(), Complaint.id.asc()) if ascending else (column.desc(), Complaint.id.desc())
    statement = (select(*(getattr(Complaint, name) for name in _SELECTED), Category.name.label("category"))
                 .outerjoin(Category, Category.id == Complaint.category_id)
                 .where(base.whereclause).order_by(*order).execution_options(yield_per=CHUNK))
    return _cells(actor, statement, ZoneInfo(organisation.timezone))


def _cells(actor: Actor, statement, zone: ZoneInfo) -> Iterator[list[Any]]:
    yield list(COLUMNS)
    for row in db.session.execute(statement):
        values = {**row._mapping, **personal_data(row, actor)}
        yield [cell(values[name], zone) for name in COLUMNS]


def csv_chunks(table: Iterator[list[Any]]) -> Iterator[str]:
    """CSV text (with a byte-order mark, so spreadsheets read it as UTF-8) in pieces of CHUNK rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for count, cells in enumerate(table, start=1):
        writer.writerow(cells)
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(table: Iterator[list[Any]], target: IO[bytes]) -> None:
    """The rows as a one-sheet workbook ("Complaints"), written row by row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Complaints")
    for cells in table:
        # Control characters other than tab and line breaks cannot be stored in a workbook.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
    workbook.save(target)


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
