"""The register's scoped, filtered, keyset-paginated select: the page after a cursor is as fast at page
10,000 as at page 1, because it seeks on the (organisation, received_at, id) index instead of counting
OFFSET rows.

The filter's days (received_from, received_to, both included) are local days of the organisation, as the KPI
overview's are (`tallies.day_start`): a complaint counted in March there is listed in a March filter here. A
category stands for itself and every category below it in the tree: an IN list of their ids in `filtered`
(the export's whole list), and in a page one ordered index range per category, merged (`register_page`). The
search box finds its text literally in the reference or the description:
% and _ are not wildcards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, literal_column, or_, select, tuple_, union_all
from sqlalchemy.orm import aliased

from auditkit.complaints import metric_specs
from auditkit.complaints.categories import subtree
from auditkit.complaints.models import Category, Complaint
from auditkit.complaints.tallies import day_start, zone_of
from auditkit.core.db import utcnow
from auditkit.core.security import Actor, scoped
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

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
    due_soon: bool = False
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""
    sort: str = "newest"
    ids: list[int] = field(default_factory=list)


LIKE_ESCAPE = "/"


def literal_pattern(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, its own %, _ and the escape character matched as themselves."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


def with_subcategories(organisation_id: int, category_id: int) -> list[int]:
    """The category and every category below it in the organisation's tree (retired ones too: complaints
    keep them), the category first; just the id when it is not one of the organisation's."""
    return subtree(db.session.execute(select(Category.id, Category.parent_id).where(
        Category.organisation_id == organisation_id)), category_id)


def _off_index(column):
    """The column as SQLite's planner will not lead with its index (a unary +, SQLite's way). With a category
    asked, SQLite (without statistics) may walk the status or channel index instead of the category's, and for
    a category with few complaints (a subcategory) that walks every closed complaint of the register: 0.9 s at
    a million, against a few ms along the category's own range."""
    return literal_column(f"+{Complaint.__tablename__}.{column.key}", type_=column.type)


def _zone(actor: Actor) -> ZoneInfo:
    """The organisation's time zone (the session's copy of it, when it has one: no query)."""
    organisation = db.session.get(Organisation, actor.organisation_id)
    return zone_of(organisation.timezone if organisation is not None else None)


def _start(zone: ZoneInfo, day: date, following: bool = False) -> datetime | None:
    """The instant the local day (or the day after it) begins; None at the ends of the calendar (no bound)."""
    try:
        return day_start(zone, day + timedelta(days=1) if following else day)
    except OverflowError:
        return None


def filtered(actor: Actor, f: RegisterFilter, now: datetime | None = None, zone: ZoneInfo | None = None,
             categories: list[int] | None = None) -> Select:
    """The actor's complaints that pass the filter, unordered. `zone`: the organisation's time zone, when the
    caller has it at hand (else it is looked up, only if the filter has days); `categories`: the ids the
    category filter stands for, when the caller has them (else `with_subcategories`)."""
    statement = scoped(actor, Complaint)
    conditions = []
    status, channel = Complaint.status, Complaint.channel
    if f.category_id and db.session.get_bind().dialect.name == "sqlite":
        status, channel = _off_index(status), _off_index(channel)
    if f.status:
        conditions.append(status == f.status)
    if f.channel:
        conditions.append(channel == f.channel)
    if f.category_id:
        ids = categories if categories is not None else with_subcategories(actor.organisation_id, f.category_id)
        conditions.append(Complaint.category_id == ids[0] if len(ids) == 1 else Complaint.category_id.in_(ids))
    if f.severity:
        conditions.append(Complaint.severity == f.severity)
    if f.unassigned:
        conditions.append(Complaint.assignee_id.is_(None))
    elif f.assignee_id:
        conditions.append(Complaint.assignee_id == f.assignee_id)
    if f.overdue:
        conditions.append(metric_specs.overdue_now(now or utcnow()))  # the KPI engine's rule
    if f.due_soon:
        conditions.append(metric_specs.due_soon(now or utcnow()))
    if f.received_from or f.received_to:
        zone = zone or _zone(actor)  # local days, as the KPI overview's
        first = _start(zone, f.received_from) if f.received_from else None
        end = _start(zone, f.received_to, following=True) if f.received_to else None
        if first is not None:
            conditions.append(Complaint.received_at >= first)
        if end is not None:
            conditions.append(Complaint.received_at < end)
    if f.q.strip():
        needle = literal_pattern(f.q.strip().lower())
        conditions.append(or_(Complaint.reference.ilike(needle, escape=LIKE_ESCAPE),
                              Complaint.description.ilike(needle, escape=LIKE_ESCAPE)))
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
    """The page after the cursor `after` (from the start without one) and the cursor of the page after it.

    A category with categories below it is read one category at a time, each from its own range of
    ix_complaint_category in the page's order, and the pages merged: an IN list of the categories would lose
    that order, and the page of a category few complaints have would walk the whole register to fill up."""
    column, ascending = SORTS.get(f.sort, SORTS["newest"])
    position, now = (_decode(after) if after else None), now or utcnow()
    zone = _zone(actor) if f.received_from or f.received_to else None

    def ordered(row) -> tuple:
        value = getattr(row, column.key)
        return (value.asc(), row.id.asc()) if ascending else (value.desc(), row.id.desc())

    def page_of(categories: list[int]) -> Select:
        statement = filtered(actor, f, now, zone, categories)
        if position is not None:
            key = tuple_(column, Complaint.id)
            statement = statement.where(key > position if ascending else key < position)
        return statement.order_by(*ordered(Complaint)).limit(size + 1)

    categories = with_subcategories(actor.organisation_id, f.category_id) if f.category_id else []
    if len(categories) > 1:
        pages = union_all(*(select(page_of([ident]).subquery()) for ident in categories))
        merged = aliased(Complaint, pages.subquery())
        statement = select(merged).order_by(*ordered(merged)).limit(size + 1)
    else:
        statement = page_of(categories)
    rows = db.session.execute(statement).scalars().all()
    return RegisterPage(rows[:size], _cursor(rows[size - 1], column) if len(rows) > size else None)
