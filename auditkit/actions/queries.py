"""The action register's lists: scoped to the actor's organisation, filtered by status, source, owner,
clause, overdue and due soon, newest first. Shared by the pages, the API and the export.

Overdue: still being worked on (open, root cause found, planned, not effective) past its due date, or
implemented with its effectiveness check date passed and no verdict yet. Due soon: the same within
DUE_SOON_DAYS and not yet overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql import ColumnElement, Select

from auditkit.actions.models import ActionLink, CorrectiveAction
from auditkit.actions.states import IN_WORK, ActionStatus
from auditkit.core.security import Actor, scoped

A = CorrectiveAction
DUE_SOON_DAYS = 7
AWAITING_CHECK = (ActionStatus.IMPLEMENTED.value, ActionStatus.CHECK_DUE.value)


@dataclass
class ActionFilter:
    status: str | None = None
    source: str | None = None
    owner_id: int | None = None
    clause: str | None = None  # a clause key: actions linked to it
    overdue: bool = False
    due_soon: bool = False
    text: str | None = None  # in the reference and the title


def overdue(today: date) -> ColumnElement[bool]:
    return or_(and_(A.status.in_(sorted(s.value for s in IN_WORK)), A.due_on < today),
               and_(A.status.in_(AWAITING_CHECK), A.check_on < today))


def due_soon(today: date) -> ColumnElement[bool]:
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    return or_(and_(A.status.in_(sorted(s.value for s in IN_WORK)), A.due_on >= today, A.due_on <= horizon),
               and_(A.status.in_(AWAITING_CHECK), A.check_on >= today, A.check_on <= horizon))


def register(actor: Actor, filter: ActionFilter, today: date) -> Select[tuple[CorrectiveAction]]:
    statement = scoped(actor, A)
    if filter.status:
        statement = statement.where(A.status == filter.status)
    if filter.source:
        statement = statement.where(A.source_kind == filter.source)
    if filter.owner_id:
        statement = statement.where(A.owner_id == filter.owner_id)
    if filter.clause:
        statement = statement.where(exists(select(ActionLink.id).where(
            ActionLink.action_id == A.id, ActionLink.kind == "clause", ActionLink.target_key == filter.clause)))
    if filter.overdue:
        statement = statement.where(overdue(today))
    if filter.due_soon:
        statement = statement.where(due_soon(today))
    if filter.text and filter.text.strip():
        pattern = f"%{filter.text.strip().replace('%', '').replace('_', '')}%"
        statement = statement.where(or_(A.reference.ilike(pattern), A.title.ilike(pattern)))
    return statement.order_by(A.id.desc())
