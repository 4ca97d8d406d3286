"""The register and a complaint's page under /o/<slug>/complaints: filters, keyset pages, recording a
complaint taken by phone or in person, the forms for exactly the next allowed steps, assignment.

Lost updates: every step and assignment form carries the version of what it showed (the register, each ticked
row's). A stale one changes nothing: on the complaint's page it answers 409 with the page as the complaint is
now and what the person typed kept in the form (`complaint_page.stale_page`); from the register, a message
naming the references that changed. The tracking code of a complaint recorded here is shown once on its page
(`complaint_page`), to pass on: only its hash is kept.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import StringField

from auditkit.complaints import assignment, complaint_page, lifecycle
from auditkit.complaints.categories import category_choices, ensure_default_categories
from auditkit.complaints.forms import (
    STEP_FORMS,
    BulkAssignForm,
    NewComplaintForm,
    RegisterFilterForm,
    selected_versions,
)
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.metric_specs import due_soon, overdue_now
from auditkit.complaints.models import Complaint
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.complaints.queries import RegisterFilter, register_page
from auditkit.complaints.saved_filters import delete_filter, save_filter, saved_filters
from auditkit.complaints.surveys import send_survey
from auditkit.core import storage
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, NotFound, ValidationFailed
from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.web.forms import ConfirmForm, choices, flash_refusal, show_errors

bp = Blueprint("complaints", __name__, url_prefix="/o/<slug>/complaints", template_folder="templates")


def _filter_from(form: RegisterFilterForm, actor) -> RegisterFilter:
    assignee = form.assignee.data or ""
    return RegisterFilter(
        status=form.status.data or None, channel=form.channel.data or None,
        category_id=int(form.category_id.data) if (form.category_id.data or "").isdigit() else None,
        severity=form.severity.data or None,
        assignee_id=actor.user_id if assignee == "me" else (int(assignee) if assignee.isdigit() else None),
        unassigned=assignee == "none", overdue=bool(form.overdue.data), due_soon=bool(form.due_soon.data),
        received_from=form.received_from.data, received_to=form.received_to.data, q=form.q.data or "",
        sort=form.sort.data or "newest")


# What the register's address may hold, to return to after assigning from it: its filters and page.
REGISTER_ARGS = frozenset(("q", "status", "channel", "category_id", "severity", "assignee", "overdue", "due_soon",
                           "received_from", "received_to", "sort", "after"))


@bp.route("/")
@requires("complaint.view")
def register():
    actor = current_actor()
    form = RegisterFilterForm(request.args)
    form.category_id.choices = choices([("", _("Any"))] + [
        (str(i), n) for i, n in category_choices(actor.organisation_id)])
    people = complaint_page.people_of(actor.organisation_id)
    form.assignee.choices = choices([("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))]
                                    + [(str(i), n) for i, n in people.items()])
    f = _filter_from(form, actor) if form.validate() else RegisterFilter()
    page = register_page(actor, f, after=request.args.get("after"))
    ids = [c.id for c in page.items]
    now = utcnow()
    overdue = set(db.session.execute(select(Complaint.id).where(Complaint.id.in_(ids), overdue_now(now))).scalars())
    soon = set(db.session.execute(select(Complaint.id).where(Complaint.id.in_(ids), due_soon(now))).scalars())
    args = {k: v for k, v in request.args.items() if k != "after"}
    categories = dict(category_choices(actor.organisation_id))
    return render_template("complaints/register.html", form=form, page=page, overdue=overdue, soon=soon, people=people,
                           categories=categories, saved=saved_filters(actor), confirm=ConfirmForm(),
                           args=args, labels=complaint_page.labels(),
                           assign_form=BulkAssignForm(formdata=None, back=request.query_string.decode()),
                           can_assign=actor.can("complaint.assign"))

@bp.route("/filters", methods=["POST"])
@requires("complaint.view")
def save_current_filter():
    actor = current_actor()
    if not ConfirmForm().validate_on_submit():
        raise ValidationFailed({"_": _("The form had expired. Please submit it again.")})
    query = request.form.get("query", "")
    try:
        save_filter(actor, request.form.get("name", ""), query)
    except ValidationFailed as error:
        db.session.rollback()
        flash_refusal(error.fields)
    else:
        db.session.commit()
        flash(_("Filter saved."), "success")
    return redirect(url_for(".register") + (f"?{query}" if query else ""))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@requires("complaint.view")
def delete_saved_filter(filter_id: int):
    if not ConfirmForm().validate_on_submit():
        raise ValidationFailed({"_": _("The form had expired. Please submit it again.")})
    delete_filter(current_actor(), filter_id)
    db.session.commit()
    return redirect(url_for(".register"))


@bp.route("/new", methods=["GET", "POST"])
@requires("complaint.create")
def new():
    actor = current_actor()
    ensure_default_categories(actor.organisation_id)
    form = NewComplaintForm()
    form.category_id.choices = choices([("", "—")] + [
        (str(i), n) for i, n in category_choices(actor.organisation_id)])
    if form.validate_on_submit():
        data = NewComplaint(**{name: form[name].data or "" for name in (
            "channel", "complainant_name", "complainant_organisation", "email", "phone", "address", "product",
            "description", "remedy_wanted")}, consent=form.consent.data, occurred_on=form.occurred_on.data,
            category_id=int(form.category_id.data) if (form.category_id.data or "").isdigit() else None)
        try:
            complaint, code = receive_complaint(g.organisation, data, actor_id=actor.user_id,
                                                actor_label=actor.label)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Complaint %(reference)s recorded.", reference=complaint.reference), "success")
            if code:
                complaint_page.note_tracking_code(complaint, code)
            return redirect(url_for(".complaint", complaint_id=complaint.id))
    else:
        db.session.commit()  # keeps a default category tree made for this page
    return render_template("complaints/new.html", form=form), 422 if form.errors or form.form_errors else 200

@bp.route("/<int:complaint_id>")
@requires("complaint.view")
def complaint(complaint_id: int):
    found = load_for(current_actor(), Complaint, complaint_id, "complaint.view")
    return complaint_page.page(found)


def _call_step(name: str, actor, found: Complaint, form) -> str | None:
    """Carry out the step; closing returns the satisfaction survey's token."""
    version = form.version.data
    # Text inputs left out of the submission read as empty text, as the services expect.
    data = {k: ("" if v is None and isinstance(form[k], StringField) else v)
            for k, v in form.data.items() if k not in ("version", "csrf_token")}
    if name == "assess":
        lifecycle.assess_complaint(actor, found, g.organisation, version=version, **data)
    elif name == "close":
        accepted = {"yes": True, "no": False}.get(data.pop("accepted"))
        _event, token = lifecycle.close_complaint(actor, found, version=version, accepted=accepted, **data)
        return token
    else:
        service = {"acknowledge": lifecycle.acknowledge_complaint, "investigate": lifecycle.investigate_complaint,
                   "decide": lifecycle.decide_response, "communicate": lifecycle.communicate_decision,
                   "escalate": lifecycle.escalate_complaint, "refer_external": lifecycle.refer_external,
                   "reopen": lifecycle.reopen_complaint, "withdraw": lifecycle.withdraw_complaint,
                   "reject": lifecycle.reject_complaint}[name]
        service(actor, found, version=version, **data)
    return None


@bp.route("/<int:complaint_id>/steps/<any(acknowledge, assess, investigate, decide, communicate, close, escalate, "
          "refer_external, reopen, withdraw, reject):step>", methods=["POST"])
@requires("complaint.transition")
def step(complaint_id: int, step: str):
    actor = current_actor()
    found = load_for(actor, Complaint, complaint_id, "complaint.transition")
    form = STEP_FORMS[step]()
    if form.validate_on_submit():
        try:
            survey_token = _call_step(step, actor, found, form)
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        except (Conflict, StaleDataError):  # a stale version, or a write that raced this one
            return complaint_page.stale_page(found, step=step, form=form)
        else:
            flash(_("%(step)s: recorded.", step=lifecycle.STEP_LABELS[step]), "success")
            if survey_token:
                _offer_survey(found, survey_token)
            return redirect(url_for(".complaint", complaint_id=found.id))
    db.session.refresh(found)
    return complaint_page.page(found, {step: form}, 422)


def _offer_survey(found: Complaint, token: str) -> None:
    """Send the complainant the survey link (8.3) when mail is on and they gave an email; else give the link
    to the handler to pass on. The link is shown this once: only its hash is kept."""
    link = url_for("portal.survey", slug=g.organisation.slug, token=token, _external=True)
    if send_survey(found, link, config=current_app.config):
        flash(_("The satisfaction survey was sent to the complainant."), "info")
    else:
        flash(_("Give the complainant this satisfaction survey link (shown once): %(link)s", link=link), "info")


@bp.route("/<int:complaint_id>/attachments/<int:attachment_id>")
@requires("complaint.view_personal")
def attachment(complaint_id: int, attachment_id: int):
    """A complaint's attachment, as a download (attachments may hold personal data)."""
    found = load_for(current_actor(), ComplaintAttachment, attachment_id, "complaint.view_personal")
    if found.complaint_id != complaint_id:
        raise NotFound()
    return send_file(io.BytesIO(storage.open(found.storage_key)), mimetype=found.media_type, as_attachment=True,
                     download_name=found.filename)


def _assignee(form) -> int | None:
    value = form.assignee_id.data or ""
    return int(value) if value.isdigit() else None


@bp.route("/<int:complaint_id>/assign", methods=["POST"])
@requires("complaint.assign")
def assign(complaint_id: int):
    actor = current_actor()
    found = load_for(actor, Complaint, complaint_id, "complaint.assign")
    form = complaint_page.assign_form_for(actor.organisation_id)
    if form.validate_on_submit():
        try:
            changed = assignment.assign_complaints(actor, [found], _assignee(form),
                                                   versions={found.id: form.version.data})
            db.session.commit()
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        except (Conflict, StaleDataError):
            return complaint_page.stale_page(found, assign_form=form)
        else:
            flash(_("%(count)d complaint(s) assigned.", count=changed), "success")
            return redirect(url_for(".complaint", complaint_id=found.id))
    db.session.refresh(found)
    return complaint_page.page(found, status=422, assign_form=form)


@bp.route("/assign", methods=["POST"])
@requires("complaint.assign")
def assign_many():
    """Assign the complaints ticked in the register, each as its row showed it: when any changed since the
    register was shown, none is assigned and the message names those that changed."""
    actor = current_actor()
    form = BulkAssignForm()
    people = complaint_page.people_of(actor.organisation_id)
    form.assignee_id.choices = choices([("", "")] + [(str(i), n) for i, n in people.items()])
    back = url_for(".register", **{key: value for key, value in parse_qsl(form.back.data or "")
                                   if key in REGISTER_ARGS})
    versions = selected_versions(request.form.getlist("ids"))
    found = db.session.execute(scoped(actor, Complaint).where(Complaint.id.in_(versions))).scalars().all()
    if not found:
        flash(_("Select the complaints to assign first."), "warning")
        return redirect(back)
    if not form.validate_on_submit():
        errors = complaint_page.errors_of(form)
        expired = "csrf_token" in form.errors or not errors
        flash(_("The form had expired. Please submit it again.") if expired else " ".join(errors), "danger")
        return redirect(back)
    try:
        changed = assignment.assign_complaints(actor, list(found), _assignee(form), versions=versions)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        flash_refusal(error.fields)
    except (Conflict, StaleDataError) as error:  # stale versions, or a write that raced this one after the check
        db.session.rollback()
        flash(error.message if isinstance(error, Conflict) else Conflict().message, "danger")
    else:
        flash(_("%(count)d complaint(s) assigned.", count=changed), "success")
    return redirect(back)

@bp.app_context_processor
def complaint_context() -> dict:
    return {"step_field_label": complaint_page.step_field_label}
