"""API: the token's organisation's corrective actions — the filtered register in keyset pages and as a CSV or
.xlsx export, raising an action, one action with its plan, links, timeline and effectiveness evidence, editing
it, its tasks, and each workflow step. Every change carries the version the client read (a stale one gets 409).
Same services and gate as the pages: the endpoints load, check, call the service and commit once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from auditkit.accounts.models import User
from auditkit.actions import evidence, exporting, links, queries, workflow
from auditkit.actions.labels import STATUS_LABELS, STEP_LABELS
from auditkit.actions.models import ActionEvent, ActionTask, CorrectiveAction
from auditkit.actions.queries import ActionFilter
from auditkit.actions.schemas import (
    ActionCreateSchema,
    ActionEditSchema,
    ActionExportQuerySchema,
    ActionImplementStepSchema,
    ActionPageSchema,
    ActionPlanStepSchema,
    ActionQuerySchema,
    ActionRootCauseStepSchema,
    ActionSchema,
    ActionStepResultSchema,
    ActionStepSchema,
    ActionTaskCreateSchema,
    ActionTaskDoneSchema,
    ActionTaskResultSchema,
    ActionVerifyStepSchema,
)
from auditkit.actions.services import ActionData, Source, add_task, edit_action, raise_action, set_task_done, today
from auditkit.actions.states import TRANSITIONS, ActionStatus, allowed_from
from auditkit.core.errors import DomainError, NotFound, ValidationFailed
from auditkit.core.security import Actor, current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

A = CorrectiveAction
AWAITING_VERDICT = frozenset({ActionStatus.IMPLEMENTED, ActionStatus.CHECK_DUE})

blp = Blueprint("action", __name__, url_prefix="/actions",
                description="Corrective actions: raise, list, export, edit, plan and verify (ISO 10002 clause 8.7)")
ACTION_ID = {"in": "path", "name": "action_id", "description": "The action's id."}
TASK_ID = {"in": "path", "name": "task_id", "description": "The id of one of the action's tasks."}


class Shown:
    """A record as the API shows it: the given values in place of the record's own, every other attribute read
    from the record."""

    def __init__(self, record, **values):
        self._record = record
        self.__dict__.update(values)

    def __getattr__(self, name: str):
        return getattr(self._record, name)


def _organisation(actor: Actor) -> Organisation:
    return load_for(actor, Organisation, actor.organisation_id, "organisation.view")


def _filter(args: dict) -> ActionFilter:
    return ActionFilter(status=args.get("status"), source=args.get("source"), owner_id=args.get("owner_id"),
                        clause=args.get("clause"), overdue=args.get("overdue", False),
                        due_soon=args.get("due_soon", False), text=args.get("q") or None)


def _flag(condition) -> Any:
    return case((condition, True), else_=False)


def _summary(action: CorrectiveAction, *, overdue: bool, due_soon: bool, owner: str | None, **values) -> Shown:
    return Shown(action, status_label=str(STATUS_LABELS[action.status]), owner_name=owner or "",
                 overdue=bool(overdue), due_soon=bool(due_soon),
                 clause_keys=[link.target_key for link in action.links if link.kind == "clause"],
                 tasks_done=sum(1 for task in action.tasks if task.done_at is not None),
                 tasks_total=len(action.tasks), **values)


def _absolute(url: str | None) -> str | None:
    return request.host_url.rstrip("/") + url if url and url.startswith("/") else url


def _evidence(organisation: Organisation, action: CorrectiveAction) -> dict | None:
    """Live while the current plan awaits its verdict; afterwards the evidence frozen with the last verdict."""
    if action.status_enum in AWAITING_VERDICT and evidence.applies(action):
        return {**evidence.gather(organisation, action).as_record(), "live": True}
    if action.evidence:
        return {**action.evidence, "live": False}
    return None


def _task(task: ActionTask) -> Shown:
    return Shown(task, done=task.done_at is not None)


def _event(event: ActionEvent) -> Shown:
    return Shown(event, label=str(STEP_LABELS.get(event.kind, event.kind)))


def _detail(actor: Actor, organisation: Organisation, action: CorrectiveAction) -> Shown:
    day = today(organisation)
    overdue, due_soon, name, email = db.session.execute(
        select(_flag(queries.overdue(day)), _flag(queries.due_soon(day)), User.name, User.email)
        .select_from(A).outerjoin(User, User.id == A.owner_id).where(A.id == action.id)).one()
    events = db.session.execute(scoped(actor, ActionEvent).where(ActionEvent.action_id == action.id)
                                .order_by(ActionEvent.id)).scalars().all()
    shown_links = []
    for link in action.links:
        found = links.describe(organisation, link)
        shown_links.append({"kind": link.kind, "target_id": link.target_id, "target_key": link.target_key,
                            "is_source": link.is_source, "label": found.label, "url": _absolute(found.url)})
    return _summary(action, overdue=overdue, due_soon=due_soon, owner=name or email,
                    tasks=[_task(task) for task in action.tasks],
                    links=shown_links, events=[_event(event) for event in events],
                    evidence=_evidence(organisation, action),
                    allowed_steps=[t.name for t in allowed_from(action.status_enum)])


def _rolled_back(step: Callable):
    try:
        return step()
    except DomainError:
        db.session.rollback()
        raise


# The register ------------------------------------------------------------------------------------------------

@blp.route("")
class Actions(MethodView):
    @requires("action.view")
    @blp.arguments(ActionQuerySchema, location="query")
    @blp.response(200, ActionPageSchema)
    def get(self, args: dict):
        """The register, newest first, a page at a time

        Filter by state, source, owner, clause, overdue or due soon, and text in the reference or title. Follow
        `next` with `after` (and the same filters) for the next page."""
        actor = current_actor()
        organisation = _organisation(actor)
        day = today(organisation)
        statement = queries.register(actor, _filter(args), day)
        if args.get("after"):
            statement = statement.where(A.id < int(args["after"]))
        limit = args["limit"]
        rows = db.session.execute(
            statement.outerjoin(User, User.id == A.owner_id)
            .add_columns(_flag(queries.overdue(day)), _flag(queries.due_soon(day)), User.name, User.email)
            .options(selectinload(A.tasks), selectinload(A.links)).limit(limit + 1)).all()
        items = [_summary(action, overdue=overdue, due_soon=due_soon, owner=name or email)
                 for action, overdue, due_soon, name, email in rows[:limit]]
        return {"items": items, "next": str(rows[limit - 1][0].id) if len(rows) > limit else None}

    @requires("action.create")
    @blp.arguments(ActionCreateSchema, location="json")
    @blp.response(201, ActionSchema, description="Raised, in state open; its address is in the Location header")
    def post(self, data: dict):
        """Raise a corrective action

        From a complaint (`source_kind` complaint and `source_id`; the evidence follows the complaint's category
        unless a category or product is given), from a complaint trend (`source_kind` complaint_trend with a
        `category_id` or `product`), or from nothing. It is numbered ACT-<year>-<n> and starts open."""
        actor = current_actor()
        organisation = _organisation(actor)
        source = Source(data.pop("source_kind"), data.pop("source_id"))
        data["containment"], data["product"] = data["containment"] or "", data["product"] or ""
        action = _rolled_back(lambda: raise_action(actor, organisation, ActionData(**data), source))
        db.session.commit()
        location = url_for("action.ActionResource", action_id=action.id, _external=True)
        return _detail(actor, organisation, action), 201, {"Location": location}


@blp.route("/export")
class Export(MethodView):
    @requires("action.export")
    @blp.arguments(ActionExportQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=exporting.FORMATS["xlsx"],
                  description="The register as an .xlsx workbook, or as CSV (text/csv) with format=csv")
    def get(self, args: dict):
        """The register as a spreadsheet

        One row per action of the filtered register (the list's filters), newest first: reference, title, kind,
        priority, status, owner, due date, overdue, source, clauses, root cause, tasks done and in all, check
        date, verdict, verified by and at, closed at. Text that a spreadsheet would run as a formula is prefixed
        with an apostrophe."""
        actor = current_actor()
        fmt = args.pop("format")
        return exporting.response(actor, _organisation(actor), _filter(args), fmt)


@blp.route("/<int:action_id>", parameters=[ACTION_ID])
class ActionResource(MethodView):
    @requires("action.view")
    @blp.response(200, ActionSchema)
    def get(self, action_id: int):
        """One action

        With its tasks, its source and linked records, its timeline, the before/after complaint evidence, the
        steps allowed next and the version to send with a change."""
        actor = current_actor()
        return _detail(actor, _organisation(actor), load_for(actor, A, action_id, "action.view"))

    @requires("action.edit")
    @blp.arguments(ActionEditSchema, location="json")
    @blp.response(200, ActionSchema)
    def patch(self, data: dict, action_id: int):
        """Edit an action

        Change what the action is about, its owner, due date, containment, category, product and clauses; the
        fields not given stay as they are. Send the `version` you read: a stale one gets 409 and nothing is
        changed. A closed action cannot be edited (422)."""
        actor = current_actor()
        organisation = _organisation(actor)
        action = load_for(actor, A, action_id, "action.edit")
        version = data.pop("version")
        changed = ActionData(
            title=action.title, problem=action.problem, kind=action.kind, priority=action.priority,
            owner_id=action.owner_id, due_on=action.due_on, containment=action.containment or "",
            containment_done=action.containment_done, category_id=action.category_id, product=action.product or "",
            clause_keys=[link.target_key for link in action.links if link.kind == "clause"])
        for name, value in data.items():
            setattr(changed, name, "" if value is None and name in ("containment", "product") else value)
        _rolled_back(lambda: edit_action(actor, organisation, action, version, changed))
        db.session.commit()
        return _detail(actor, organisation, action)


# Tasks -------------------------------------------------------------------------------------------------------

@blp.route("/<int:action_id>/tasks", parameters=[ACTION_ID])
class Tasks(MethodView):
    @requires("action.edit")
    @blp.arguments(ActionTaskCreateSchema, location="json")
    @blp.response(201, ActionTaskResultSchema)
    def post(self, data: dict, action_id: int):
        """Add a task to the plan

        While the action is being worked on (open, root cause found, planned, not effective): before the plan is
        approved the task joins the next plan, once it is approved the current one. Send the action's `version`;
        the response carries the new one."""
        actor = current_actor()
        organisation = _organisation(actor)
        action = load_for(actor, A, action_id, "action.edit")
        task = _rolled_back(lambda: add_task(actor, organisation, action, data.pop("version"), **data))
        db.session.commit()
        return {"action": _detail(actor, organisation, action), "task": _task(task)}


@blp.route("/<int:action_id>/tasks/<int:task_id>", parameters=[ACTION_ID, TASK_ID])
class TaskResource(MethodView):
    @requires("action.edit")
    @blp.arguments(ActionTaskDoneSchema, location="json")
    @blp.response(200, ActionTaskResultSchema)
    def post(self, data: dict, action_id: int, task_id: int):
        """Mark a task done, or reopen it

        While the action is being worked on; a task of an implemented plan stays as it was. Send the action's
        `version`."""
        actor = current_actor()
        organisation = _organisation(actor)
        action = load_for(actor, A, action_id, "action.edit")
        task = load_for(actor, ActionTask, task_id, "action.edit")
        if task.action_id != action.id:
            raise NotFound()
        _rolled_back(lambda: set_task_done(actor, action, data["version"], task.id, data["done"]))
        db.session.commit()
        return {"action": _detail(actor, organisation, action), "task": _task(task)}


# The workflow ------------------------------------------------------------------------------------------------

def _carry_out(name: str, action: CorrectiveAction, step: Callable):
    """Run the step's service; a refusal rolls back, and a step the state does not allow names the steps that
    are, by the names this API uses."""
    status = action.status_enum
    try:
        return step()
    except ValidationFailed as error:
        db.session.rollback()
        if status in TRANSITIONS[name].sources:
            raise
        allowed = ", ".join(t.name for t in allowed_from(status)) or _("none")
        raise ValidationFailed(error.fields, _("“%(step)s” is not possible now; the next steps allowed are: "
                                               "%(allowed)s.", step=name, allowed=allowed)) from None
    except DomainError:
        db.session.rollback()
        raise


STEP_DOCS = {
    "find_root_cause": ("Record the root cause",
                        "The analysis, by five whys (the answers in order) or fishbone ({6M category: [causes]}), "
                        "and the root cause it found."),
    "plan": ("Approve the plan",
             "The tasks added since the root cause was found (at least one), how effectiveness will be judged and "
             "the day of the check (not in the past). After a “not effective” verdict this starts the next round."),
    "implement": ("Mark implemented", "Refused while a task of the current plan is open."),
    "request_check": ("Ask for the effectiveness check",
                      "The check date has come: the action now awaits its verdict (`auditkit actions remind` does "
                      "this on the check date)."),
    "verify": ("Verify effectiveness",
               "By someone who is not the action's owner (auditors and managers). The before/after evidence from "
               "the register is frozen with the verdict; “not effective” needs a comment and sends the action back "
               "to planning."),
    "close": ("Close", "Once verified effective, with no task open (auditors and managers)."),
}
def _find_root_cause(actor, organisation, action, version, data):
    return workflow.find_root_cause(actor, action, version, **data)


def _plan(actor, organisation, action, version, data):
    return workflow.plan(actor, organisation, action, version, **data)


def _implement(actor, organisation, action, version, data):
    return workflow.implement(actor, action, version, **data)


def _request_check(actor, organisation, action, version, data):
    return workflow.request_check(actor, action, version)


def _verify(actor, organisation, action, version, data):
    return workflow.verify(actor, organisation, action, version, **data)


def _close(actor, organisation, action, version, data):
    return workflow.close(actor, action, version)


# Each step: its body, the permission it needs, and its service called with the API's arguments.
STEPS: dict[str, tuple[type[Schema], str, Callable]] = {
    "find_root_cause": (ActionRootCauseStepSchema, "action.edit", _find_root_cause),
    "plan": (ActionPlanStepSchema, "action.edit", _plan),
    "implement": (ActionImplementStepSchema, "action.edit", _implement),
    "request_check": (ActionStepSchema, "action.edit", _request_check),
    "verify": (ActionVerifyStepSchema, "action.verify", _verify),
    "close": (ActionStepSchema, "action.verify", _close),
}


def _step_docs(name: str) -> str:
    transition = TRANSITIONS[name]
    summary, detail = STEP_DOCS[name]
    sources = ", ".join(sorted(transition.sources))
    target = transition.target.value if transition.target else "verified_effective or not_effective, by the verdict"
    return (f"{summary}\n\n{detail} From {sources} to {target}.\n\nSend the action's `version`; a stale one gets "
            "409, a step the state does not allow gets 422 naming the steps that are.")


def _step(name: str, schema: type[Schema], permission: str, service: Callable) -> None:
    class Step(MethodView):
        @requires(permission)
        @blp.arguments(schema, location="json")
        @blp.response(200, ActionStepResultSchema)
        def post(self, data: dict, action_id: int):
            actor = current_actor()
            organisation = _organisation(actor)
            action = load_for(actor, A, action_id, permission)
            version = data.pop("version")
            _carry_out(name, action, lambda: service(actor, organisation, action, version, data))
            db.session.commit()
            event = db.session.execute(scoped(actor, ActionEvent).where(ActionEvent.action_id == action.id)
                                       .order_by(ActionEvent.id.desc()).limit(1)).scalar_one()
            return {"action": _detail(actor, organisation, action), "event": _event(event)}

    Step.post.__doc__ = _step_docs(name)
    Step.__name__ = Step.__qualname__ = f"{name.title().replace('_', '')}Step"
    blp.route(f"/<int:action_id>/steps/{name}", endpoint=f"step_{name}", parameters=[ACTION_ID])(Step)


for _name, (_schema, _permission, _service) in STEPS.items():
    _step(_name, _schema, _permission, _service)
