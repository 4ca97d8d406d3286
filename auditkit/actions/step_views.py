"""What an action's page posts, on the actions blueprint: one endpoint per workflow step, adding a task to
the plan and marking a task done or open again. Each loads the action through the gate, calls its one
service with the version the form was built from, and commits once; a refusal renders the page again with
the messages (422), a stale version with the conflict message and the page as it is now (409)."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _

from auditkit.actions import services, workflow
from auditkit.actions.forms import STEP_FORMS, StepForm, TaskDoneForm, TaskForm
from auditkit.actions.labels import STEP_LABELS
from auditkit.actions.models import FISHBONE, CorrectiveAction
from auditkit.actions.views import STEP_PERMISSIONS, action_page, bp
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, current_actor, load_for, requires
from auditkit.extensions import db
from auditkit.orgs.services import member_names
from auditkit.web.forms import choices, show_errors


def _analysis(form) -> list[str] | dict[str, list[str]] | None:
    """Five whys in their order, or the fishbone's causes by 6M category (one per line)."""
    if form.method.data == "five_whys":
        return [answer or "" for answer in form.whys.data]  # an input left out of the post reads as None
    if form.method.data == "fishbone":
        return {name: (form[f"fishbone_{name}"].data or "").splitlines() for name in FISHBONE}
    return None


def _call(name: str, actor: Actor, action: CorrectiveAction, form) -> None:
    version = form.version.data
    if name == "find_root_cause":
        workflow.find_root_cause(actor, action, version, method=form.method.data or None, analysis=_analysis(form),
                                 root_cause=form.root_cause.data)
    elif name == "plan":
        workflow.plan(actor, g.organisation, action, version, effectiveness_criteria=form.effectiveness_criteria.data,
                      check_on=form.check_on.data)
    elif name == "implement":
        workflow.implement(actor, action, version, note=form.note.data)
    elif name == "request_check":
        workflow.request_check(actor, action, version)
    elif name == "verify":
        workflow.verify(actor, g.organisation, action, version, verdict=form.verdict.data or None,
                        comment=form.comment.data)
    else:
        workflow.close(actor, action, version)


def _posted(action_id: int, permission: str, key: str, form: StepForm, carry_out, done_message: str,
            anchor: str | None = None):
    """Load, check the form, act, commit once; or show the page again with why not."""
    actor = current_actor()
    action = load_for(actor, CorrectiveAction, action_id, permission)
    if form.validate_on_submit():
        try:
            carry_out(actor, action, form)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            db.session.refresh(action)
            return action_page(action, refused=[error.message], status=409)
        else:
            db.session.commit()
            flash(done_message, "success")
            return redirect(url_for(".action", action_id=action.id, _anchor=anchor))
    db.session.refresh(action)
    return action_page(action, {key: form}, 422)


def _step(action_id: int, name: str):
    return _posted(action_id, STEP_PERMISSIONS[name], name, STEP_FORMS[name](),
                   lambda actor, action, form: _call(name, actor, action, form),
                   _("%(step)s: recorded.", step=STEP_LABELS[name]))


@bp.route("/<int:action_id>/steps/find_root_cause", methods=["POST"])
@requires("action.edit")
def find_root_cause(action_id: int):
    return _step(action_id, "find_root_cause")


@bp.route("/<int:action_id>/steps/plan", methods=["POST"])
@requires("action.edit")
def plan(action_id: int):
    return _step(action_id, "plan")


@bp.route("/<int:action_id>/steps/implement", methods=["POST"])
@requires("action.edit")
def implement(action_id: int):
    return _step(action_id, "implement")


@bp.route("/<int:action_id>/steps/request_check", methods=["POST"])
@requires("action.edit")
def request_check(action_id: int):
    return _step(action_id, "request_check")


@bp.route("/<int:action_id>/steps/verify", methods=["POST"])
@requires("action.verify")
def verify(action_id: int):
    return _step(action_id, "verify")


@bp.route("/<int:action_id>/steps/close", methods=["POST"])
@requires("action.verify")
def close(action_id: int):
    return _step(action_id, "close")


@bp.route("/<int:action_id>/tasks", methods=["POST"])
@requires("action.edit")
def add_task(action_id: int):
    form = TaskForm()
    form.owner_id.choices = choices([("", "—")] + [(str(i), n) for i, n in member_names(g.organisation.id).items()])

    def carry_out(actor, action, form):
        owner = form.owner_id.data or ""
        services.add_task(actor, g.organisation, action, form.version.data, title=form.title.data or "",
                          owner_id=int(owner) if owner.isdigit() else None, due_on=form.due_on.data)

    return _posted(action_id, "action.edit", "task", form, carry_out, _("Task added to the plan."), "tasks")


@bp.route("/<int:action_id>/tasks/<int:task_id>/done", methods=["POST"])
@requires("action.edit")
def task_done(action_id: int, task_id: int):
    form = TaskDoneForm()

    def carry_out(actor, action, form):
        services.set_task_done(actor, action, form.version.data, task_id, form.done.data == "1")

    message = _("Task marked done.") if form.done.data == "1" else _("Task open again.")
    return _posted(action_id, "action.edit", "task_done", form, carry_out, message, "tasks")
