"""Raising and editing corrective actions, their plan's tasks and their links.

Refuses (ValidationFailed naming the field, nothing written): no title or problem statement; a kind,
priority or source kind not offered; an owner or task owner who is not a member of the organisation; a due
date before the day the action was raised; a source record that is not in the organisation; a trend
without a category or product; a category of another organisation; an unknown clause. A role without
`action.create` or `action.edit`: Forbidden. A stale version: Conflict (someone changed the action since
the editor loaded it). Tasks are added and changed only while the action is being worked on (open, root
cause found, planned, not effective); a task of an implemented plan stays as it was."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.actions import links
from auditkit.actions.models import (
    KINDS,
    PRIORITIES,
    ActionCounter,
    ActionEvent,
    ActionLink,
    ActionTask,
    CorrectiveAction,
)
from auditkit.actions.states import ActionStatus
from auditkit.complaints.models import Category, Complaint
from auditkit.core import counters
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.standard.queries import clause_keys

REFERENCE = "ACT-{year}-{seq:04}"
TASKS_OPEN_IN = frozenset({ActionStatus.OPEN, ActionStatus.ROOT_CAUSE_FOUND, ActionStatus.PLANNED,
                           ActionStatus.NOT_EFFECTIVE})


@dataclass
class ActionData:
    title: str = ""
    problem: str = ""
    kind: str = "corrective"
    priority: str = "medium"
    owner_id: int | None = None
    due_on: date | None = None
    containment: str = ""
    containment_done: bool = False
    category_id: int | None = None
    product: str = ""
    clause_keys: list[str] = field(default_factory=list)


@dataclass
class Source:
    kind: str = links.NO_SOURCE
    target_id: int | None = None


def record_event(actor: Actor, action: CorrectiveAction, kind: str, data: dict | None = None,
                 from_status: str | None = None, to_status: str | None = None) -> ActionEvent:
    event = ActionEvent(organisation_id=action.organisation_id, action_id=action.id, at=utcnow(),
                        actor_id=actor.user_id, actor_label=actor.label, kind=kind, from_status=from_status,
                        to_status=to_status, data={k: v for k, v in (data or {}).items() if v not in (None, "", [])})
    db.session.add(event)
    return event


def check_version(action: CorrectiveAction, version: int | None) -> None:
    if version != action.version:
        raise Conflict()


def _is_member(organisation_id: int, user_id: int | None) -> bool:
    return user_id is not None and db.session.execute(select(Membership.id).where(
        Membership.organisation_id == organisation_id, Membership.user_id == user_id)).first() is not None


def today(organisation: Organisation) -> date:
    """The date in the organisation's time zone: due dates are its calendar days."""
    return datetime.now(ZoneInfo(organisation.timezone or "UTC")).date()


def _raised_on(action: CorrectiveAction, organisation: Organisation) -> date:
    return action.created_at.astimezone(ZoneInfo(organisation.timezone or "UTC")).date()


def _check(organisation: Organisation, data: ActionData, raised_on: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    data.title, data.problem = data.title.strip(), data.problem.strip()
    data.product = (data.product or "").strip()
    if not data.title:
        errors["title"] = [_("Give the action a title.")]
    elif len(data.title) > 200:
        errors["title"] = [_("Keep the title under %(n)d characters.", n=200)]
    if not data.problem:
        errors["problem"] = [_("Say what the problem is.")]
    if data.kind not in KINDS:
        errors["kind"] = [_("Choose one of the values offered.")]
    if data.priority not in PRIORITIES:
        errors["priority"] = [_("Choose one of the values offered.")]
    if not _is_member(organisation.id, data.owner_id):
        errors["owner_id"] = [_("The owner must be a member of this organisation.")]
    if data.due_on is None:
        errors["due_on"] = [_("Give a due date.")]
    elif data.due_on < raised_on:
        errors["due_on"] = [_("The due date cannot be before the day the action was raised (%(day)s).",
                              day=raised_on.isoformat())]
    if data.category_id is not None and db.session.execute(select(Category.id).where(
            Category.id == data.category_id, Category.organisation_id == organisation.id)).first() is None:
        errors["category_id"] = [_("Choose one of this organisation's categories.")]
    known = set().union(*clause_keys(organisation.id).values()) if data.clause_keys else set()
    unknown = [key for key in data.clause_keys if key not in known]
    if unknown:
        errors["clause_keys"] = [_("Unknown clause: %(keys)s.", keys=", ".join(unknown))]
    return errors


def raise_action(actor: Actor, organisation: Organisation, data: ActionData, source: Source | None = None
                 ) -> CorrectiveAction:
    """A new action in state open, with its source link and clause links, numbered ACT-<year>-<n>."""
    require(actor, "action.create")
    source = source or Source()
    errors = _check(organisation, data, today(organisation))
    if source.kind not in links.source_kinds():
        errors["source_kind"] = [_("Choose one of the values offered.")]
    elif source.kind in links.KINDS:
        found = links.KINDS[source.kind].find(organisation, source.target_id, None)
        if found is None:
            errors["source_id"] = [_("There is no such record in this organisation.")]
        elif source.kind == "complaint" and data.category_id is None and not data.product:
            complaint = db.session.get(Complaint, source.target_id)  # the evidence follows its category
            data.category_id, data.product = complaint.category_id, complaint.product or ""
    elif source.kind == links.COMPLAINT_TREND and data.category_id is None and not data.product:
        errors["category_id"] = [_("A trend needs a category or a product.")]
    if errors:
        raise ValidationFailed(errors)
    year = today(organisation).year
    number = counters.reserve(ActionCounter.__table__, organisation.id, year)
    action = CorrectiveAction(
        organisation_id=organisation.id, reference=REFERENCE.format(year=year, seq=number), title=data.title,
        problem=data.problem, kind=data.kind, priority=data.priority, owner_id=data.owner_id,
        raised_by_id=actor.user_id, due_on=data.due_on, containment=data.containment.strip() or None,
        containment_done=data.containment_done, source_kind=source.kind, category_id=data.category_id,
        product=data.product or None, status=ActionStatus.OPEN.value)
    db.session.add(action)
    db.session.flush()
    if source.kind in links.KINDS:
        db.session.add(ActionLink(organisation_id=organisation.id, action_id=action.id, kind=source.kind,
                                  target_id=source.target_id, is_source=True))
    for key in dict.fromkeys(data.clause_keys):
        db.session.add(ActionLink(organisation_id=organisation.id, action_id=action.id, kind="clause",
                                  target_key=key))
    record_event(actor, action, "raise", {"source": source.kind}, to_status=action.status)
    db.session.flush()
    return action


def edit_action(actor: Actor, organisation: Organisation, action: CorrectiveAction, version: int,
                data: ActionData) -> CorrectiveAction:
    """Change what the action is about, its owner, due date, containment and clauses."""
    require(actor, "action.edit")
    check_version(action, version)
    if action.status_enum is ActionStatus.CLOSED:
        raise ValidationFailed({"_": _("A closed action cannot be changed.")})
    errors = _check(organisation, data, _raised_on(action, organisation))
    if errors:
        raise ValidationFailed(errors)
    changed = {}
    for name in ("title", "problem", "kind", "priority", "owner_id", "due_on", "containment_done", "category_id"):
        if getattr(action, name) != getattr(data, name):
            changed[name] = True
            setattr(action, name, getattr(data, name))
    for name, value in (("containment", data.containment.strip() or None), ("product", data.product or None)):
        if getattr(action, name) != value:
            changed[name] = True
            setattr(action, name, value)
    current = {link.target_key for link in action.links if link.kind == "clause"}
    wanted = list(dict.fromkeys(data.clause_keys))
    for link in [link for link in action.links if link.kind == "clause" and link.target_key not in wanted]:
        action.links.remove(link)
    for key in wanted:
        if key not in current:
            action.links.append(ActionLink(organisation_id=action.organisation_id, kind="clause", target_key=key))
    if set(wanted) != current:
        changed["clauses"] = True
    if changed:
        record_event(actor, action, "edit", {"fields": sorted(changed)})
    db.session.flush()
    return action


def _task_fields(organisation: Organisation, action: CorrectiveAction, title: str, owner_id: int | None,
                 due_on: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Say what is to be done.")]
    if owner_id is not None and not _is_member(organisation.id, owner_id):
        errors["owner_id"] = [_("The owner must be a member of this organisation.")]
    raised_on = _raised_on(action, organisation)
    if due_on is None:
        errors["due_on"] = [_("Give a due date.")]
    elif due_on < raised_on:
        errors["due_on"] = [_("The due date cannot be before the day the action was raised (%(day)s).",
                              day=raised_on.isoformat())]
    return errors


def _tasks_editable(action: CorrectiveAction) -> None:
    if action.status_enum not in TASKS_OPEN_IN:
        raise ValidationFailed({"_": _("Tasks can be changed only while the action is being worked on, not "
                                       "when it is “%(status)s”.", status=_status_label(action))})


def _status_label(action: CorrectiveAction) -> str:
    from auditkit.actions.labels import STATUS_LABELS

    return str(STATUS_LABELS[action.status])


def add_task(actor: Actor, organisation: Organisation, action: CorrectiveAction, version: int, *, title: str,
             owner_id: int | None, due_on: date | None) -> ActionTask:
    """A task of the plan being made: the next round's while the action is not yet planned (or planned
    again), the current plan's once it is planned."""
    require(actor, "action.edit")
    check_version(action, version)
    _tasks_editable(action)
    errors = _task_fields(organisation, action, title, owner_id, due_on)
    if errors:
        raise ValidationFailed(errors)
    round = action.plan_round if action.status_enum is ActionStatus.PLANNED else action.plan_round + 1
    task = ActionTask(organisation_id=action.organisation_id, round=round, title=title.strip(),
                      owner_id=owner_id, due_on=due_on, position=len(action.tasks))
    action.tasks.append(task)
    action.updated_at = utcnow()  # the action's version moves: a second editor's stale form is refused
    record_event(actor, action, "task", {"title": task.title, "due_on": due_on.isoformat()})
    db.session.flush()
    return task


def set_task_done(actor: Actor, action: CorrectiveAction, version: int, task_id: int, done: bool) -> ActionTask:
    require(actor, "action.edit")
    check_version(action, version)
    _tasks_editable(action)
    task = next((task for task in action.tasks if task.id == task_id), None)
    if task is None:
        raise ValidationFailed({"task_id": [_("There is no such task on this action.")]})
    if bool(task.done_at) != done:
        task.done_at = utcnow() if done else None
        action.updated_at = utcnow()
        record_event(actor, action, "task_done" if done else "task_reopened", {"title": task.title})
    db.session.flush()
    return task
