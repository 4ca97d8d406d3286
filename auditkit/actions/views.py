"""The corrective-action register under /o/<slug>/actions: the list with its filters and quick views, raising
an action (from a complaint, a complaint trend, or nothing), editing it, and the action's page with its
analysis, plan, live effectiveness evidence, timeline and the forms for exactly the next allowed steps. The
steps and tasks are posted to step_views.py, which renders this page again when a service refuses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from auditkit.actions import evidence, labels, links, queries
from auditkit.actions.forms import (
    STEP_FORMS,
    ActionForm,
    EditActionForm,
    NewActionForm,
    RegisterFilterForm,
    TaskDoneForm,
    TaskForm,
)
from auditkit.actions.models import FISHBONE, ActionEvent, CorrectiveAction
from auditkit.actions.services import TASKS_OPEN_IN, ActionData, Source, edit_action, raise_action, today
from auditkit.actions.states import ActionStatus, allowed_from
from auditkit.complaints.categories import category_choices
from auditkit.complaints.models import Category, Complaint
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.i18n import pick
from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs.services import member_names, with_former_members
from auditkit.standard.queries import clause_keys, framework_by_key, latest_framework_version
from auditkit.web.forms import choices, show_errors
from auditkit.web.template_helpers import digits

bp = Blueprint("actions", __name__, url_prefix="/o/<slug>/actions", template_folder="templates")

PER_PAGE = 50
# Who may take each step: the owner's work needs action.edit; verifying and closing need action.verify.
STEP_PERMISSIONS = {"find_root_cause": "action.edit", "plan": "action.edit", "implement": "action.edit",
                    "request_check": "action.edit", "verify": "action.verify", "close": "action.verify"}
AWAITING_VERDICT = frozenset({ActionStatus.IMPLEMENTED, ActionStatus.CHECK_DUE})




def clause_groups(organisation_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The clauses an action may address, by library: (library title, [(clause key, "7.4 Title")])."""
    groups = []
    for library in sorted(clause_keys(organisation_id)):
        framework = framework_by_key(library, organisation_id)
        version = latest_framework_version(framework) if framework else None
        if version is not None:
            groups.append((pick(version.title) or library,
                           [(c.key, f"{c.number} {pick(c.title)}") for c in version.clauses]))
    return groups


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _person_choices(people: dict[int, str], blank) -> list:
    return choices([("", blank)] + [(str(i), name) for i, name in people.items()])


def _action_form_choices(form: ActionForm, organisation_id: int, people: dict[int, str]) -> None:
    form.owner_id.choices = _person_choices(people, "—")
    form.category_id.choices = choices([("", "—")] + [(str(i), n) for i, n in category_choices(organisation_id)])
    form.clause_keys.choices = {group: choices(pairs) for group, pairs in clause_groups(organisation_id)}


def _action_data(form: ActionForm) -> ActionData:
    return ActionData(title=form.title.data or "", problem=form.problem.data or "", kind=form.kind.data or "",
                      priority=form.priority.data or "", owner_id=_int(form.owner_id.data), due_on=form.due_on.data,
                      containment=form.containment.data or "", containment_done=bool(form.containment_done.data),
                      category_id=_int(form.category_id.data), product=form.product.data or "",
                      clause_keys=[key for key in form.clause_keys.data or [] if key])


def _filter_from(form: RegisterFilterForm, actor) -> queries.ActionFilter:
    owner = form.owner.data or ""
    return queries.ActionFilter(
        status=form.status.data or None, source=form.source.data or None,
        owner_id=actor.user_id if owner == "me" else _int(owner), clause=form.clause.data or None,
        overdue=bool(form.overdue.data), due_soon=bool(form.due_soon.data), text=form.q.data or None)


@bp.route("/")
@requires("action.view")
def register():
    actor = current_actor()
    people = member_names(actor.organisation_id)
    form = RegisterFilterForm(request.args)
    form.source.choices = choices([("", _("Any")), *links.source_kinds().items()])
    form.owner.choices = choices([("", _("Anyone")), ("me", _("Me")), *((str(i), n) for i, n in people.items())])
    form.clause.choices = choices([("", _("Any")), *(pair for _group, pairs in clause_groups(actor.organisation_id)
                                                     for pair in pairs)])
    found = _filter_from(form, actor) if form.validate() else queries.ActionFilter()
    on = today(g.organisation)
    page = db.paginate(queries.register(actor, found, on), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    ids = [action.id for action in page.items]
    overdue = set(db.session.execute(select(CorrectiveAction.id).where(
        CorrectiveAction.id.in_(ids), queries.overdue(on))).scalars()) if ids else set()
    args = {k: v for k, v in request.args.items() if k != "page"}
    view = "overdue" if found.overdue else "due_soon" if found.due_soon else "all"
    return render_template("actions/register.html", form=form, page=page, overdue=overdue,
                           people=with_former_members(people, [a.owner_id for a in page.items]), args=args, view=view)


def _prefill(actor) -> dict:
    """The new action's fields from the page it was raised from: ?source=complaint&complaint_id=N, or
    ?source=complaint_trend&category_id=N (or &product=...); and what the source is, as the page names it."""
    source = request.args.get("source", "")
    data = {"source_kind": links.NO_SOURCE, "owner_id": str(actor.user_id or ""),
            "due_on": today(g.organisation) + timedelta(days=30)}
    if source == "complaint" and _int(request.args.get("complaint_id")):
        complaint = load_for(actor, Complaint, request.args["complaint_id"], "complaint.view")
        data.update(source_kind="complaint", source_record=complaint.id, product=complaint.product or "",
                    category_id=str(complaint.category_id or ""))
    elif source == links.COMPLAINT_TREND:
        category = _int(request.args.get("category_id"))
        if category and db.session.execute(scoped(actor, Category).where(Category.id == category)).first():
            data["category_id"] = str(category)
        data.update(source_kind=links.COMPLAINT_TREND, product=request.args.get("product", "")[:200])
    return data


def _source_choices(form: NewActionForm) -> links.Found | None:
    """Offer no source, a trend, and the record the action was raised from (if any); returns that record as
    the page names it."""
    pairs = [(links.NO_SOURCE, links.SOURCE_LABELS[links.NO_SOURCE]),
             (links.COMPLAINT_TREND, links.SOURCE_LABELS[links.COMPLAINT_TREND])]
    record = None
    kind = links.KINDS.get(form.source_kind.data or "")
    if kind is not None and form.source_record.data:
        found = kind.find(g.organisation, form.source_record.data, None)
        if found is not None:
            pairs.insert(1, (kind.name, kind.label))
            record = found
    form.source_kind.choices = choices(pairs)
    return record


@bp.route("/new", methods=["GET", "POST"])
@requires("action.create")
def new():
    actor = current_actor()
    people = member_names(actor.organisation_id)
    form = NewActionForm() if request.method == "POST" else NewActionForm(formdata=None, **_prefill(actor))
    _action_form_choices(form, actor.organisation_id, people)
    record = _source_choices(form)
    if form.validate_on_submit():
        kind = form.source_kind.data or links.NO_SOURCE
        source = Source(kind, form.source_record.data if kind in links.KINDS else None)
        try:
            action = raise_action(actor, g.organisation, _action_data(form), source)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Corrective action %(reference)s raised.", reference=action.reference), "success")
            return redirect(url_for(".action", action_id=action.id))
    failed = bool(form.errors or form.form_errors)
    return render_template("actions/new.html", form=form, record=record), 422 if failed else 200


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@requires("action.edit")
def edit(action_id: int):
    actor = current_actor()
    action = load_for(actor, CorrectiveAction, action_id, "action.edit")
    status = 200
    if request.method == "POST":
        form = EditActionForm()
    else:
        form = EditActionForm(formdata=None, obj=action, owner_id=str(action.owner_id),
                              category_id=str(action.category_id or ""), product=action.product or "",
                              containment=action.containment or "",
                              clause_keys=[link.target_key for link in action.links if link.kind == "clause"])
    _action_form_choices(form, actor.organisation_id, member_names(actor.organisation_id))
    if form.validate_on_submit():
        try:
            edit_action(actor, g.organisation, action, form.version.data, _action_data(form))
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 409
        else:
            db.session.commit()
            flash(_("The action was changed."), "success")
            return redirect(url_for(".action", action_id=action.id))
    db.session.refresh(action)
    if status == 200 and (form.errors or form.form_errors):
        status = 422
    return render_template("actions/edit.html", form=form, action=action), status


@bp.route("/<int:action_id>")
@requires("action.view")
def action(action_id: int):
    return action_page(load_for(current_actor(), CorrectiveAction, action_id, "action.view"))


def _recurrences(organisation_id: int, references: list[str]) -> list[tuple[str, str | None]]:
    ids = dict(db.session.execute(select(Complaint.reference, Complaint.id).where(
        Complaint.organisation_id == organisation_id, Complaint.reference.in_(references))).all()) \
        if references else {}
    return [(ref, url_for("complaints.complaint", complaint_id=ids[ref]) if ref in ids else None)
            for ref in references]


def _evidence_view(record: dict | None, organisation_id: int) -> dict | None:
    """Evidence (live, or frozen on the action) as the page shows it: times parsed, recurrences linked, and
    the change in the rate per 30 days."""
    if not record:
        return None
    sides = {name: {**record[name], "start": datetime.fromisoformat(record[name]["start"]),
                    "end": datetime.fromisoformat(record[name]["end"])} for name in ("before", "after")}
    before, after = record["before"]["per_30_days"], record["after"]["per_30_days"]
    return {**record, **sides, "change_pct": round(100 * (after - before) / before) if before else None,
            "recurrences": _recurrences(organisation_id, record.get("recurrences") or [])}


def _tasks_by_round(action: CorrectiveAction) -> list[tuple[int, str, list]]:
    """(round, heading, tasks), the plan being prepared first, then the current plan, then earlier ones."""
    rounds: dict[int, list] = {}
    for task in action.tasks:
        rounds.setdefault(task.round, []).append(task)
    if action.status_enum in TASKS_OPEN_IN and action.status_enum is not ActionStatus.PLANNED:
        rounds.setdefault(action.plan_round + 1, [])
    shown = []
    for number in sorted(rounds, reverse=True):
        if number > action.plan_round:
            heading = _("Plan %(n)s, being prepared", n=digits(number))
        elif number == action.plan_round:
            heading = _("Plan %(n)s, approved", n=digits(number))
        else:
            heading = _("Plan %(n)s, earlier", n=digits(number))
        shown.append((number, heading, rounds[number]))
    return shown


def action_page(action: CorrectiveAction, forms: dict | None = None, status: int = 200, refused=()):
    """The action's page. `forms` holds a posted form that a service refused (by step name, or "task"); a
    refused form that is not on offer (any more) says why above the page, as do `refused` messages."""
    actor, organisation = current_actor(), g.organisation
    forms = dict(forms or {})
    owner_verifies = actor.user_id is not None and actor.user_id == action.owner_id
    steps = [t.name for t in allowed_from(action.status_enum) if actor.can(STEP_PERMISSIONS[t.name])]
    shown = [name for name in steps if not (name == "verify" and owner_verifies)]
    tasks_open = action.status_enum in TASKS_OPEN_IN and actor.can("action.edit")
    offered = [*shown, *(["task"] if tasks_open else [])]
    refused = [*refused, *(message for name, form in forms.items() if name not in offered
                           for message in [*form.form_errors, *(m for ms in form.errors.values() for m in ms)])]
    for name in shown:
        forms.setdefault(name, STEP_FORMS[name](formdata=None, version=action.version))
    people = member_names(organisation.id)
    task_form = forms.get("task") or TaskForm(formdata=None, version=action.version, due_on=action.due_on)
    task_form.owner_id.choices = _person_choices(people, "—")
    people = with_former_members(people, [action.owner_id, action.verified_by_id, *(t.owner_id for t in action.tasks)])
    events = db.session.execute(select(ActionEvent).where(ActionEvent.action_id == action.id)
                                .order_by(ActionEvent.id)).scalars().all()
    source = next((link for link in action.links if link.is_source), None)
    category = db.session.get(Category, action.category_id) if action.category_id else None
    live = None
    if action.status_enum in AWAITING_VERDICT:
        found = evidence.gather(organisation, action)
        live = _evidence_view(found.as_record() if found else None, organisation.id)
    overdue = db.session.execute(select(CorrectiveAction.id).where(
        CorrectiveAction.id == action.id, queries.overdue(today(organisation)))).first() is not None
    return render_template(
        "actions/action.html", action=action, forms=forms, steps=shown, owner_verifies=owner_verifies,
        verify_due=action.status_enum in AWAITING_VERDICT, refused=refused, people=people, events=events,
        source=links.describe(organisation, source) if source else None, category=category,
        clauses=[(link.target_key, links.describe(organisation, link)) for link in action.links
                 if link.kind == "clause"],
        rounds=_tasks_by_round(action), tasks_open=tasks_open, task_form=task_form,
        preparing=sum(1 for task in action.tasks if task.round == action.plan_round + 1),
        done_form=TaskDoneForm(formdata=None, version=action.version), live=live,
        frozen=_evidence_view(action.evidence, organisation.id) if action.verdict else None,
        overdue=overdue, can_edit=actor.can("action.edit") and action.status_enum is not ActionStatus.CLOSED,
        fishbone=FISHBONE), status


EVENT_FIELD_LABELS = {
    "source": _l("Source"), "method": _l("Method"), "root_cause": _l("Root cause"), "round": _l("Plan"),
    "check_on": _l("Effectiveness check date"), "note": _l("Note"), "verdict": _l("Verdict"),
    "comment": _l("Comment"), "suggestion": _l("Suggested verdict"), "title": _l("Task"), "due_on": _l("Due date"),
    "fields": _l("Changed"),
}
FIELD_LABELS = {
    "title": _l("Title"), "problem": _l("Problem statement"), "kind": _l("Type"), "priority": _l("Priority"),
    "owner_id": _l("Owner"), "due_on": _l("Due date"), "containment": _l("Containment"),
    "containment_done": _l("Containment done"), "category_id": _l("Complaint category"),
    "product": _l("Product or service"), "clauses": _l("Clauses addressed"),
}


def day(value) -> str:
    """A calendar day in the reader's language and digits; ISO text (from the timeline) is read first."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return digits(format_date(value, "medium")) if value else ""


def event_value(key: str, value) -> str:
    """A timeline entry's value as people read it."""
    if key == "method":
        return str(labels.RCA_LABELS.get(value, value))
    if key in ("verdict", "suggestion"):
        return str(labels.VERDICT_LABELS.get(value, value))
    if key == "source":
        return str(links.source_kinds().get(value, value))
    if key in ("check_on", "due_on"):
        return day(value)
    if key == "round":
        return digits(value)
    if key == "fields":
        return ", ".join(str(FIELD_LABELS.get(name, name)) for name in value)
    return str(value)


@bp.context_processor
def action_context() -> dict:
    return {"labels": labels, "sources": links.source_kinds(), "day": day, "event_value": event_value,
            "event_field_label": lambda key: str(EVENT_FIELD_LABELS.get(key, key))}
