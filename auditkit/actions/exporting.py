"""Exporting the corrective-action register, with the register's filters, as CSV or .xlsx: one row per action
(reference, title, kind, priority, status, owner, due date, overdue, source, clauses, root cause, tasks done and
in all, check date, verdict, who verified it and when, when it was closed), in the register's order.

One query for the actions (joined to their owner and verifier, with the task counts and the overdue flag as
columns), read in chunks; per chunk, one query for their links (the source complaint's reference joined in), so
the number of queries does not grow with the rows. CSV is streamed as text; .xlsx goes through openpyxl's
write-only workbook into a temporary file. Codes (kind, status, verdict) are written as the API names them, and
the header uses field names, as the complaint export does; dates are ISO 8601, times in the organisation's time
zone. Every text cell a spreadsheet would read as a formula (=, +, -, @, a tab or a carriage return first) gets
an apostrophe in front.

Refuses: a role without `action.export` (Forbidden)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask import Response, send_file, stream_with_context
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from auditkit.accounts.models import User
from auditkit.actions import queries
from auditkit.actions.models import ActionLink, ActionTask, CorrectiveAction
from auditkit.actions.queries import ActionFilter
from auditkit.actions.services import today
from auditkit.complaints.attachments import XLSX
from auditkit.complaints.exporting import cell, csv_chunks
from auditkit.complaints.models import Complaint
from auditkit.core.db import utcnow
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

A = CorrectiveAction
COLUMNS = ("reference", "title", "kind", "priority", "status", "owner", "due_on", "overdue", "source", "clauses",
           "root_cause", "tasks_done", "tasks_total", "check_on", "verdict", "verified_by", "verified_at",
           "closed_at")
FORMATS = {"csv": "text/csv", "xlsx": XLSX.media_type}
SHEET = "Actions"
CHUNK = 1000


def _person(user) -> Any:
    return func.coalesce(func.nullif(user.name, ""), user.email)


def _count(*conditions) -> Any:
    return (select(func.count(ActionTask.id)).where(ActionTask.action_id == A.id, *conditions)
            .correlate(A).scalar_subquery())


def rows(actor: Actor, organisation: Organisation, action_filter: ActionFilter) -> Iterator[list[Any]]:
    """The header, then one list of cells per action of the filtered register, in the register's order."""
    require(actor, "action.export")  # now, not when the first row is read
    day = today(organisation)
    owner, verifier = aliased(User), aliased(User)
    statement = (queries.register(actor, action_filter, day)
                 .with_only_columns(A.id, A.reference, A.title, A.kind, A.priority, A.status, A.due_on,
                                    A.source_kind, A.root_cause, A.check_on, A.verdict, A.verified_at, A.closed_at,
                                    _person(owner).label("owner"), _person(verifier).label("verified_by"),
                                    case((queries.overdue(day), True), else_=False).label("overdue"),
                                    _count(ActionTask.done_at.is_not(None)).label("tasks_done"),
                                    _count().label("tasks_total"), maintain_column_froms=True)
                 .outerjoin(owner, owner.id == A.owner_id)
                 .outerjoin(verifier, verifier.id == A.verified_by_id)
                 .execution_options(yield_per=CHUNK))
    return _cells(statement, ZoneInfo(organisation.timezone or "UTC"))


def _links(ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """For each action, its clause keys and its source record as people know it."""
    found: dict[int, dict[str, list[str]]] = {ident: {"clauses": [], "source": []} for ident in ids}
    statement = (select(ActionLink.action_id, ActionLink.kind, ActionLink.target_id, ActionLink.target_key,
                        ActionLink.is_source, Complaint.reference)
                 .outerjoin(Complaint, and_(ActionLink.kind == "complaint", Complaint.id == ActionLink.target_id,
                                            Complaint.organisation_id == ActionLink.organisation_id))
                 .where(ActionLink.action_id.in_(ids)).order_by(ActionLink.id))
    for link in db.session.execute(statement):
        if link.kind == "clause":
            found[link.action_id]["clauses"].append(link.target_key)
        elif link.is_source:
            found[link.action_id]["source"].append(link.reference or f"{link.target_key or link.target_id}")
    return found


def _cells(statement, zone: ZoneInfo) -> Iterator[list[Any]]:
    yield list(COLUMNS)
    for chunk in db.session.execute(statement).partitions(CHUNK):
        links = _links([row.id for row in chunk])
        for row in chunk:
            linked = links[row.id]
            source = row.source_kind if not linked["source"] else f"{row.source_kind} {linked['source'][0]}"
            values = {**row._mapping, "overdue": bool(row.overdue), "source": source,
                      "clauses": "; ".join(linked["clauses"])}
            yield [cell(values[name], zone) for name in COLUMNS]


def write_xlsx(table: Iterator[list[Any]], target: IO[bytes]) -> None:
    """The rows as a one-sheet workbook ("Actions"), written row by row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
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


def download_name(organisation: Organisation, fmt: str) -> str:
    return f"actions-{organisation.slug}-{utcnow().date().isoformat()}.{fmt}"


def response(actor: Actor, organisation: Organisation, action_filter: ActionFilter, fmt: str) -> Response:
    """The filtered register as a download in `fmt` (csv or xlsx), for the API and the pages alike."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    table = rows(actor, organisation, action_filter)
    if fmt == "csv":
        answer = Response(stream_with_context(csv_chunks(table)), mimetype=FORMATS["csv"])
        answer.headers["Content-Disposition"] = f'attachment; filename="{download_name(organisation, "csv")}"'
    else:
        answer = send_file(xlsx_file(table), mimetype=FORMATS["xlsx"], as_attachment=True,
                           download_name=download_name(organisation, "xlsx"))
    answer.headers["Cache-Control"] = "no-store"
    return answer
