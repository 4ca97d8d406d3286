"""Who may do what, and the one gate every view and API endpoint goes through.

`Actor` is the person acting within one organisation (from a session or an API token). The permission
table maps each action to the roles that may take it. `load_for()` loads one record of the actor's
organisation or answers 404 (another organisation's ids look exactly like missing ones) and then 403
for an action the role lacks; `scoped()` starts every list query with the organisation filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import Select, or_, select

from auditkit.core.errors import Forbidden, NotFound

T = TypeVar("T")


class Role(StrEnum):
    CONSULTANT = "consultant"
    AUDITOR = "auditor"
    MANAGER = "manager"
    HANDLER = "handler"
    VIEWER = "viewer"


ALL_ROLES = frozenset(Role)
C, A, M, H, V = Role.CONSULTANT, Role.AUDITOR, Role.MANAGER, Role.HANDLER, Role.VIEWER

# The permission table: action -> roles that may take it. Features add their actions here, in one place,
# so a reviewer reads every grant at once. System administrators stand apart (see Actor.is_system_admin).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "organisation.view": ALL_ROLES,
    "organisation.edit_settings": frozenset({M}),
    "member.view": ALL_ROLES,
    "member.manage": frozenset({M}),
    "audit_trail.view": frozenset({C, A, M}),
    "api_token.manage_own": ALL_ROLES,
    "standard.view": ALL_ROLES,
    "checklist.manage": frozenset({C, A}),
    "complaint.view": ALL_ROLES,
    "complaint.view_personal": frozenset({M, H}),  # the others see complainants' details masked
    "complaint.create": frozenset({M, H}),
    "complaint.transition": frozenset({M, H}),
    "complaint.assign": frozenset({M, H}),
    "complaint.anonymise": frozenset({M}),
    "complaint.import": frozenset({M, H}),
    "complaint.export": ALL_ROLES,  # personal data masked for roles without complaint.view_personal
    "complaint.settings": frozenset({M}),
    "action.view": ALL_ROLES,
    "action.create": frozenset({C, A, M, H}),  # a handler raises one from a complaint trend
    "action.edit": frozenset({C, A, M, H}),  # root cause, plan, tasks, implementation
    "action.verify": frozenset({A, M}),  # effectiveness verified, and closed, by someone who is not the owner
    "action.export": ALL_ROLES,
    "assessment.view": ALL_ROLES,
    "assessment.create": frozenset({C, A, M}),  # plan one; change its plan
    "assessment.answer": frozenset({C, A, M}),
    "assessment.finalise": frozenset({C, M}),  # review, finalise, revise
    "assessment.export": ALL_ROLES,
    "document.view": ALL_ROLES,  # the register of generated documents: download, verify
    "document.generate": frozenset({C, A, M}),
}


@dataclass(frozen=True)
class Actor:
    """Someone acting within one organisation with one role; `label` is what the audit trail shows."""

    user_id: int | None
    organisation_id: int
    role: Role
    label: str
    is_system_admin: bool = False

    def can(self, action: str) -> bool:
        try:
            return self.role in PERMISSIONS[action]
        except KeyError:
            raise LookupError(f"unknown action {action!r}: add it to PERMISSIONS") from None


def require(actor: Actor, action: str) -> None:
    if not actor.can(action):
        raise Forbidden()


def tenant_column(model: type) -> Any:
    """The column that names a record's organisation: `organisation_id`, or the model's own
    `__tenant_key__` (the Organisation itself is keyed by its id)."""
    return getattr(model, getattr(model, "__tenant_key__", "organisation_id"))


def scoped(actor: Actor, model: type[T]) -> Select[tuple[T]]:
    """Rows of the actor's organisation, and the shared rows (organisation NULL: the shipped library) of a
    model that declares `__shared_actions__`."""
    column = tenant_column(model)
    if getattr(model, "__shared_actions__", None):
        return select(model).where(or_(column == actor.organisation_id, column.is_(None)))
    return select(model).where(column == actor.organisation_id)


def load_for(actor: Actor, model: type[T], id: Any, action: str) -> T:
    from auditkit.extensions import db

    try:
        key = int(id)
    except (TypeError, ValueError):
        raise NotFound() from None
    record = db.session.execute(scoped(actor, model).where(model.id == key)).scalar_one_or_none()
    if record is None:
        raise NotFound()
    require(actor, action)
    if getattr(record, "organisation_id", 0) is None and action not in model.__shared_actions__:
        raise Forbidden()  # shared rows are read by everyone and changed by no organisation
    return record


def current_actor() -> Actor:
    """The actor bound to this request by the organisation URL or the API token."""
    actor = g.get("actor")
    if actor is None:
        raise NotFound()
    return actor


_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def requires(action: str, **per_method: str) -> Callable:
    """Guard an organisation view: the actor needs `action` (or the action named for the request's method,
    e.g. POST="member.manage"). The actions are kept on the view so the generic permission tests can walk
    every route as every role."""
    overrides = {method.upper(): name for method, name in per_method.items()}
    actions = {method: overrides.get(method, action) for method in _HTTP_METHODS}

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            require(current_actor(), actions.get(request.method, action))
            return view(*args, **kwargs)

        guarded.required_actions = actions  # type: ignore[attr-defined]
        return guarded

    return decorate


def system_admin_required(view: Callable) -> Callable:
    """Guard a system administration view (signed in, and a system administrator)."""
    from flask_login import current_user, login_required

    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if not current_user.is_system_admin:
            raise Forbidden()
        return view(*args, **kwargs)

    guarded.system_admin_only = True  # type: ignore[attr-defined]
    return guarded
