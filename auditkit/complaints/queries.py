"""The register's scoped, filtered, keyset-paginated select: the page after a cursor is as fast at page
10,000 as at page 1, because it seeks on the (organisation, received_at, id) index instead of counting
OFFSET rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, or_, tuple_

from auditkit.complaints import metric_specs
from auditkit.complaints.models import Complaint
from auditkit.core.db import utcnow
from auditkit.core.security import Actor, scoped
from auditkit.extensions import db

SORTS = {"newest": (Complaint.received_at, False), "oldest": (Complaint.received_at, True),
         "due": (Complaint.response_due_at, True)}
PAGE_SIZE = 50


@dataclass
class RegisterFilter:
    status: str | None = None
    channel: str | None = None
    category_id: int | None = None
    severity: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    sort: str = "newest"
    ids: list[int] = field(default_factory=list)




def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def filtered(actor: Actor, f: RegisterFilter, now: datetime | None = None) -> Select:
    statement = scoped(actor, Complaint)
    conditions = []
    if f.status:
        conditions.append(Complaint.status == f.status)
    if f.channel:
        conditions.append(Complaint.channel == f.channel)
    if f.category_id:
        conditions.append(Complaint.category_id == f.category_id)
    if f.severity:
        conditions.append(Complaint.severity == f.severity)
    if f.unassigned:
        conditions.append(Complaint.assignee_id.is_(None))
    elif f.assignee_id:
        conditions.append(Complaint.assignee_id == f.assignee_id)
    if f.overdue:
        conditions.append(metric_specs.overdue_now(now or utcnow()))  # the KPI engine's rule
    if f.received_from:
        conditions.append(Complaint.received_at >= _day_start(f.received_from))
    if f.received_to:
        conditions.append(Complaint.received_at < _day_start(f.received_to) + timedelta(days=1))
    if f.q.strip():
        needle = f"%{f.q.strip().lower()}%"
        conditions.append(or_(Complaint.reference.ilike(needle), Complaint.description.ilike(needle)))
    if f.ids:
        conditions.append(Complaint.id.in_(f.ids))
    return statement.where(*conditions)


@dataclass
class RegisterPage:
    items: list[Complaint]
    next_cursor: str | None


def _cursor(complaint: Complaint, column) -> str:
    value = getattr(complaint, column.key)
    return f"{int(value.timestamp() * 1_000_000)}.{complaint.id}"


def _decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        micros, _, ident = cursor.partition(".")
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(ident)
    except (ValueError, OverflowError, OSError):
        return None


def register_page(actor: Actor, f: RegisterFilter, after: str | None = None, size: int = PAGE_SIZE,
                  now: datetime | None = None) -> RegisterPage:
    column, ascending = SORTS.get(f.sort, SORTS["newest"])
    statement = filtered(actor, f, now)
    position = _decode(after) if after else None
    if position is not None:
        key = tuple_(column, Complaint.id)
        statement = statement.where(key > position if ascending else key < position)
    order = (column.asc(), Complaint.id.asc()) if ascending else (column.desc(), Complaint.id.desc())
    rows = db.session.execute(statement.order_by(*order).limit(size + 1)).scalars().all()
    return RegisterPage(rows[:size], _cursor(rows[size - 1], column) if len(rows) > size else None)
