"""A complaint's page as the person reading it sees it: the complainant's details and the timeline masked
for roles that do not handle complaints, the clocks, the survey's answer, the forms for exactly the next
allowed steps and for assignment (as submitted, with their errors, or fresh at the complaint's version), and
the tracking code of a complaint just recorded, once (`TRACKING_CODE`: only its hash is kept). A form sent
from an outdated page answers with the page as the complaint is now (`stale_page`)."""

from __future__ import annotations

import time

from flask import render_template, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField

from auditkit.accounts.models import User
from auditkit.complaints import assignment, lifecycle
from auditkit.complaints.forms import (
    CHANNEL_LABELS,
    EXTERNAL_FIELDS,
    EXTERNAL_OUTCOME_LABELS,
    LEVEL_LABELS,
    METHOD_LABELS,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    STEP_FORMS,
    AssignForm,
)
from auditkit.complaints.masking import event_data, mask_text, personal_data
from auditkit.complaints.metric_specs import overdue_now
from auditkit.complaints.models import Complaint
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.complaints.states import OPEN, allowed_from
from auditkit.core import backlinks
from auditkit.core.db import utcnow
from auditkit.core.security import current_actor
from auditkit.extensions import db
from auditkit.web.forms import choices

# The session's note of a complaint just recorded here, with its tracking code: read (and removed) by the
# complaint's page, which shows the code this once. The database keeps only the code's hash.
TRACKING_CODE = "recorded_tracking_code"
TRACKING_CODE_SECONDS = 30 * 60


def people_of(organisation_id: int) -> dict[int, str]:
    members = assignment.handlers(organisation_id)
    users = db.session.execute(select(User).where(User.id.in_([m.user_id for m in members]))).scalars()
    return {user.id: user.display_name for user in users}


def labels() -> dict:
    return {"status": STATUS_LABELS, "channel": CHANNEL_LABELS, "severity": SEVERITY_LABELS,
            "method": METHOD_LABELS, "outcome": OUTCOME_LABELS, "level": LEVEL_LABELS,
            "external_outcome": EXTERNAL_OUTCOME_LABELS, "referral": REFERRAL_LABELS}


def errors_of(form) -> list[str]:
    return [*form.form_errors, *(m for ms in form.errors.values() for m in ms)]


def assign_form_for(organisation_id: int, complaint: Complaint | None = None, *,
                 people: dict[int, str] | None = None) -> AssignForm:
    """The complaint page's assignment form: as submitted, or (given `complaint`) showing it as it is.
    `people`: the organisation's handlers, when the caller has read them already."""
    form = (AssignForm() if complaint is None else
            AssignForm(formdata=None, version=complaint.version, assignee_id=str(complaint.assignee_id or "")))
    form.assignee_id.choices = choices([("", _("Nobody"))] + [
        (str(i), n) for i, n in (people if people is not None else people_of(organisation_id)).items()])
    return form


def _survey(complaint: Complaint, actor) -> dict | None:
    """The satisfaction survey (8.3) as this actor may see it: the comment is the complainant's own words,
    personal data, masked for a role that sees the complainant's details masked."""
    if complaint.survey_sent_at is None and complaint.survey_answered_at is None and \
            complaint.satisfaction_rating is None:
        return None
    comment = complaint.satisfaction_comment
    return {"sent_at": complaint.survey_sent_at, "answered_at": complaint.survey_answered_at,
            "rating": complaint.satisfaction_rating,
            "comment": comment if actor.can("complaint.view_personal") else mask_text(comment)}


def note_tracking_code(complaint: Complaint, code: str) -> None:
    """Keep the tracking code of a complaint just recorded for its page to show once."""
    session[TRACKING_CODE] = {"complaint": complaint.id, "code": code, "at": int(time.time())}


def _tracking_code(complaint: Complaint) -> str | None:
    """The tracking code of the complaint just recorded here, once: the note leaves the session as it is read."""
    note = session.pop(TRACKING_CODE, None)
    if (isinstance(note, dict) and note.get("complaint") == complaint.id
            and time.time() - note.get("at", 0) < TRACKING_CODE_SECONDS):
        return note.get("code")
    return None


def page(complaint: Complaint, forms: dict | None = None, status: int = 200, *, assign_form: AssignForm | None = None,
          conflict: str | None = None, unsaved: list | None = None):
    """The complaint's page. `forms` and `assign_form` are forms as submitted (kept, with their errors); a
    `conflict` names what was refused as stale (a step's name or "assign") and `unsaved` lists what the person
    had typed into a step that is no longer on offer."""
    actor = current_actor()
    steps = [t.name for t in allowed_from(complaint.status_enum)] if actor.can("complaint.transition") else []
    forms = forms or {}
    # A refused step that is not on offer any more (or never was) still says why, above the page.
    refused = [message for name, form in forms.items() if name not in steps for message in errors_of(form)]
    for name in steps:
        forms.setdefault(name, STEP_FORMS[name](formdata=None, version=complaint.version))
    can_assign, assign_open = actor.can("complaint.assign"), complaint.status_enum in OPEN
    people = people_of(actor.organisation_id)
    assign = (assign_form if assign_form is not None
              else assign_form_for(actor.organisation_id, complaint, people=people))
    if assign_form is not None and not (can_assign and assign_open):
        refused += errors_of(assign_form)
    files = db.session.execute(select(ComplaintAttachment).where(
        ComplaintAttachment.complaint_id == complaint.id).order_by(ComplaintAttachment.id)).scalars().all()
    return render_template("complaints/complaint.html", complaint=complaint, attachments=files,
                           personal=personal_data(complaint, actor), survey=_survey(complaint, actor),
                           tracking_code=_tracking_code(complaint),
                           steps=steps, forms=forms, assign_form=assign, people=people,
                           timeline=[(event, event_data(event.data, actor)) for event in complaint.events],
                           overdue=db.session.execute(select(Complaint.id).where(
                               Complaint.id == complaint.id, overdue_now(utcnow()))).first() is not None,
                           labels=labels(), step_labels=lifecycle.STEP_LABELS, refused=refused,
                           external_fields=EXTERNAL_FIELDS,
                           conflict=conflict, unsaved=unsaved or [],
                           can_assign=can_assign, assign_open=assign_open,
                           backlinks=backlinks.for_record("complaint", complaint.organisation_id, complaint.id)), status


def stale_page(found: Complaint, *, step: str | None = None, form=None, assign_form: AssignForm | None = None):
    """A form sent from an outdated page (someone changed the complaint meanwhile): nothing was saved. The page
    again, 409, as the complaint is now, with what the person typed kept in their form and its version brought
    up to date, so that, having read the change, they can send it again on purpose."""
    db.session.rollback()
    db.session.refresh(found)
    submitted = form if form is not None else assign_form
    submitted.version.data, submitted.version.raw_data = found.version, [str(found.version)]
    unsaved = []
    if step is not None and step not in {t.name for t in allowed_from(found.status_enum)}:
        # The step is not on offer any more: its form is not shown, so its typed text is, to copy from.
        unsaved = [(f.label.text, f.data) for f in form
                   if isinstance(f, StringField) and f.name != "csrf_token" and (f.data or "").strip()]
        form.form_errors.append(_("“%(step)s” is not possible any more: the complaint is now %(status)s.",
                                  step=lifecycle.STEP_LABELS[step], status=STATUS_LABELS[found.status]))
    return page(found, {step: form} if step is not None else None, 409, assign_form=assign_form,
                 conflict=step or "assign", unsaved=unsaved)


EVENT_FIELD_LABELS = {
    "channel": _l("Channel"), "method": _l("Method"), "note": _l("Note"), "severity": _l("Severity"),
    "safety_implication": _l("Safety implication"), "complexity": _l("Complexity"), "impact": _l("Impact"),
    "immediate_action": _l("Immediate action taken"), "notes": _l("Investigation notes"),
    "remedy": _l("Decided remedy or answer"), "outcome": _l("Outcome"), "root_cause": _l("Root cause"),
    "findings": _l("Findings"), "accepted": _l("Accepted by the complainant"),
    "options_exhausted": _l("Options used up"), "reason": _l("Reason"), "escalated_to": _l("Escalated to"),
    "level": _l("Level"), "provider": _l("Dispute-resolution provider"), "referred_on": _l("Referred on"),
    "rating": _l("Satisfaction"), "external_outcome": _l("External outcome"),
    "outcome_on": _l("Date of the external outcome"), "implemented_on": _l("Carried out by the organisation on"),
}


def step_field_label(key: str) -> str:
    """The label of a timeline event's field (its key when it has none)."""
    return str(EVENT_FIELD_LABELS.get(key, key))
