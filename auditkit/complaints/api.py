"""API: the token's organisation's complaint register — recording (idempotent on external id), the filtered
register in keyset pages, one complaint as the actor may see it, each lifecycle transition with the version
the client read, the timeline, and attachments. Same services and gate as the pages."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from flask import current_app, send_file, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auditkit.api import ErrorSchema
from auditkit.complaints import attachments, lifecycle
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.masking import event_data, mask_text, personal_data
from auditkit.complaints.metric_specs import overdue_now
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.complaints.queries import RegisterFilter, register_page
from auditkit.complaints.schemas import (
    AcknowledgeStepSchema,
    AssessStepSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    CloseResultSchema,
    CloseStepSchema,
    CommunicateStepSchema,
    ComplaintCreatedSchema,
    ComplaintCreateSchema,
    ComplaintSchema,
    DecideStepSchema,
    EscalateStepSchema,
    EventSchema,
    InvestigateStepSchema,
    ReasonStepSchema,
    ReferExternalStepSchema,
    RegisterPageSchema,
    RegisterQuerySchema,
    StepResultSchema,
)
from auditkit.complaints.states import TRANSITIONS, allowed_from
from auditkit.complaints.surveys import send_survey
from auditkit.core import storage
from auditkit.core.db import utcnow
from auditkit.core.errors import DomainError, NotFound, ValidationFailed
from auditkit.core.security import Actor, current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

log = logging.getLogger(__name__)

blp = Blueprint("complaint", __name__, url_prefix="/complaints",
                description="The complaint register: record, list, follow the lifecycle, attach files")


class Shown:
    """A record as the actor may see it: the given values (masked personal data, figures computed for the
    response) in place of the record's own, every other attribute read from the record."""

    def __init__(self, record, **values):
        self._record = record
        self.__dict__.update(values)

    def __getattr__(self, name: str):
        return getattr(self._record, name)


def _overdue_ids(ids: list[int]) -> set[int]:
    """Which of these complaints are overdue now: one query for a whole page."""
    if not ids:
        return set()
    return set(db.session.execute(
        select(Complaint.id).where(Complaint.id.in_(ids), overdue_now(utcnow()))).scalars())


def _shown(complaint: Complaint, actor: Actor, overdue: bool | None = None, **values) -> Shown:
    if overdue is None:
        overdue = complaint.id in _overdue_ids([complaint.id])
    return Shown(complaint, **personal_data(complaint, actor), overdue=overdue,
                 allowed_steps=[t.name for t in allowed_from(complaint.status_enum)], **values)


def _organisation(actor: Actor) -> Organisation:
    return load_for(actor, Organisation, actor.organisation_id, "organisation.view")


@blp.route("")
class Complaints(MethodView):
    @requires("complaint.view")
    @blp.arguments(RegisterQuerySchema, location="query")
    @blp.response(200, RegisterPageSchema)
    def get(self, args: dict):
        """The register, newest first unless sorted otherwise, a page at a time: follow `next` with `after`."""
        actor = current_actor()
        after, limit = args.pop("after", None), args.pop("limit")
        page = register_page(actor, RegisterFilter(**args), after=after, size=limit)
        overdue = _overdue_ids([c.id for c in page.items])
        return {"items": [_shown(c, actor, c.id in overdue) for c in page.items], "next": page.next_cursor}

    @requires("complaint.create")
    @blp.arguments(ComplaintCreateSchema, location="json")
    @blp.response(201, ComplaintCreatedSchema, description="Recorded; the tracking code is given this once")
    @blp.alt_response(200, schema=ComplaintCreatedSchema,
                      description="A complaint with this external_id was recorded before: it is returned "
                                  "unchanged, without a tracking code")
    def post(self, data: NewComplaint):
        """Record a complaint (clause 7.2). Its channel is `api` unless given."""
        actor = current_actor()
        organisation = _organisation(actor)
        try:
            complaint, code = receive_complaint(organisation, data, actor_id=actor.user_id, actor_label=actor.label)
            db.session.commit()
        except ValidationFailed:
            db.session.rollback()
            raise
        except IntegrityError:
            # Two requests with one external id at once: the later insert breaks the unique constraint, and
            # its client gets the complaint the earlier one recorded, as a retry after it would.
            db.session.rollback()
            complaint, code = _by_external_id(actor, data.external_id), None
            if complaint is None:
                raise
        return _shown(complaint, actor, tracking_code=code), 201 if code else 200


def _by_external_id(actor: Actor, external_id: str) -> Complaint | None:
    if not external_id.strip():
        return None
    return db.session.execute(scoped(actor, Complaint).where(
        Complaint.external_id == external_id.strip())).scalar_one_or_none()


@blp.route("/<int:complaint_id>")
class ComplaintResource(MethodView):
    @requires("complaint.view")
    @blp.response(200, ComplaintSchema)
    def get(self, complaint_id: int):
        """One complaint, with its clocks, the steps allowed next and the version to send with them."""
        actor = current_actor()
        return _shown(load_for(actor, Complaint, complaint_id, "complaint.view"), actor)


@blp.route("/<int:complaint_id>/events")
class Events(MethodView):
    @requires("complaint.view")
    @blp.response(200, EventSchema(many=True))
    def get(self, complaint_id: int):
        """The timeline, oldest first: each step with who, when, the clause it evidences and what it recorded
        (attachments' file names masked for roles that do not handle complaints)."""
        actor = current_actor()
        complaint = load_for(actor, Complaint, complaint_id, "complaint.view")
        events = db.session.execute(scoped(actor, ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)).scalars()
        return [Shown(event, data=event_data(event.data, actor)) for event in events]


# The lifecycle -------------------------------------------------------------------------------------------

def _carry_out(name: str, complaint: Complaint, step: Callable):
    """Run the step's service; a refusal rolls back, and a step the state does not allow names the steps
    that are, by the names this API uses."""
    try:
        return step()
    except ValidationFailed as error:
        status = complaint.status_enum
        db.session.rollback()
        if status in TRANSITIONS[name].sources:
            raise
        allowed = ", ".join(t.name for t in allowed_from(status)) or _("none")
        raise ValidationFailed(error.fields, _("“%(step)s” is not possible now; the next steps allowed are: "
                                               "%(allowed)s.", step=name, allowed=allowed)) from None
    except DomainError:
        db.session.rollback()
        raise


def _assess(actor: Actor, complaint: Complaint, **data):
    return lifecycle.assess_complaint(actor, complaint, _organisation(actor), **data)


STALE = "The complaint changed since its `version` was read: nothing was written; read it again."
REFUSED = "A field is missing or wrong (named in `fields`), or the state does not allow the step (the message " \
    "names the steps that are): nothing was written."


def _transition_docs(name: str) -> str:
    transition = TRANSITIONS[name]
    sources = ", ".join(sorted(transition.sources))
    return (f"{name.replace('_', ' ').capitalize()} (clause {transition.clause.rsplit(':', 1)[1]}): from "
            f"{sources} to {transition.target}.\n\nSend the complaint's `version`; a stale one gets 409, a step "
            "the state does not allow gets 422 naming the steps that are.")


def _transition(name: str, schema: type[Schema], service: Callable) -> None:
    class Transition(MethodView):
        @requires("complaint.transition")
        @blp.arguments(schema, location="json")
        @blp.response(200, StepResultSchema)
        @blp.alt_response(409, schema=ErrorSchema, description=STALE)
        @blp.alt_response(422, schema=ErrorSchema, description=REFUSED)
        def post(self, data: dict, complaint_id: int):
            actor = current_actor()
            complaint = load_for(actor, Complaint, complaint_id, "complaint.transition")
            event = _carry_out(name, complaint, lambda: service(actor, complaint, **data))
            db.session.commit()
            return {"complaint": _shown(complaint, actor), "event": event}

    Transition.post.__doc__ = _transition_docs(name)
    Transition.__name__ = Transition.__qualname__ = f"{name.title().replace('_', '')}Transition"
    blp.route(f"/<int:complaint_id>/transitions/{name}", endpoint=f"transition_{name}")(Transition)


for _name, _schema, _service in (
        ("acknowledge", AcknowledgeStepSchema, lifecycle.acknowledge_complaint),
        ("assess", AssessStepSchema, _assess),
        ("investigate", InvestigateStepSchema, lifecycle.investigate_complaint),
        ("decide", DecideStepSchema, lifecycle.decide_response),
        ("communicate", CommunicateStepSchema, lifecycle.communicate_decision),
        ("escalate", EscalateStepSchema, lifecycle.escalate_complaint),
        ("refer_external", ReferExternalStepSchema, lifecycle.refer_external),
        ("reopen", ReasonStepSchema, lifecycle.reopen_complaint),
        ("withdraw", ReasonStepSchema, lifecycle.withdraw_complaint),
        ("reject", ReasonStepSchema, lifecycle.reject_complaint)):
    _transition(_name, _schema, _service)


@blp.route("/<int:complaint_id>/transitions/close", endpoint="transition_close")
class CloseTransition(MethodView):
    @requires("complaint.transition")
    @blp.arguments(CloseStepSchema, location="json")
    @blp.response(200, CloseResultSchema)
    @blp.alt_response(409, schema=ErrorSchema, description=STALE)
    @blp.alt_response(422, schema=ErrorSchema, description=REFUSED)
    def post(self, data: dict, complaint_id: int):
        actor = current_actor()
        complaint = load_for(actor, Complaint, complaint_id, "complaint.transition")
        event, token = _carry_out("close", complaint, lambda: lifecycle.close_complaint(actor, complaint, **data))
        db.session.commit()
        url = url_for("portal.survey", slug=_organisation(actor).slug, token=token, _external=True)
        send_survey(complaint, url, config=current_app.config)  # as the page does; the link is also returned once
        return {"complaint": _shown(complaint, actor), "event": event, "survey_token": token, "survey_url": url}

    post.__doc__ = _transition_docs("close") + (
        "\n\nOpens the satisfaction survey (clause 8.3): its token and link are in this response only.")


# Attachments ---------------------------------------------------------------------------------------------

def attach_file(actor: Actor, complaint: Complaint, upload: attachments.Upload, written: list[str]
                ) -> ComplaintAttachment:
    """Attach one file to the complaint and record it on the timeline; the stored key goes into `written`
    (see attachments.removed_on_error). Refuses a file attachments.check_uploads refuses (empty, too large,
    a program, a type not accepted), and any file once the complaint's personal data has been removed."""
    if complaint.anonymised_at is not None:
        raise ValidationFailed({"file": _("The complainant's details were removed from this complaint; "
                                          "files cannot be attached to it any more.")})
    files, problems = attachments.check_uploads([upload])
    if problems:
        raise ValidationFailed({"file": problems})
    stored = attachments.save_files(files, written)[0]
    row = ComplaintAttachment(organisation_id=complaint.organisation_id, complaint_id=complaint.id,
                              storage_key=stored.key, filename=stored.filename, media_type=stored.media_type,
                              size=stored.size, sha256=stored.sha256)
    db.session.add(row)
    db.session.add(ComplaintEvent(
        organisation_id=complaint.organisation_id, complaint_id=complaint.id, at=utcnow(), actor_id=actor.user_id,
        actor_label=actor.label, kind="attachment", data={"filename": row.filename, "size": row.size}))
    db.session.flush()
    return row


def _attachment_shown(row: ComplaintAttachment, actor: Actor) -> Shown:
    visible = actor.can("complaint.view_personal")
    return Shown(row, filename=row.filename if visible else mask_text(row.filename))


@blp.route("/<int:complaint_id>/attachments")
class Attachments(MethodView):
    @requires("complaint.view")
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, complaint_id: int):
        """The complaint's files, oldest first (names masked for roles that do not handle complaints)."""
        actor = current_actor()
        complaint = load_for(actor, Complaint, complaint_id, "complaint.view")
        rows = db.session.execute(scoped(actor, ComplaintAttachment).where(
            ComplaintAttachment.complaint_id == complaint.id).order_by(ComplaintAttachment.id)).scalars().all()
        return [_attachment_shown(row, actor) for row in rows]

    @requires("complaint.transition")
    @blp.arguments(AttachmentUploadSchema, location="files")
    @blp.response(201, AttachmentSchema)
    def post(self, files: dict, complaint_id: int):
        """Attach a file (multipart/form-data, field `file`); its type is read from its content."""
        actor = current_actor()
        complaint = load_for(actor, Complaint, complaint_id, "complaint.transition")
        upload = files["file"]
        # One byte past the limit is enough to refuse an oversized file without reading all of it.
        content = upload.stream.read(attachments.DEFAULT_LIMITS.per_file + 1)
        try:
            with attachments.removed_on_error() as written:
                row = attach_file(actor, complaint, attachments.Upload(upload.filename or "", content), written)
                db.session.commit()
        except DomainError:
            db.session.rollback()
            raise
        return _attachment_shown(row, actor)


@blp.route("/<int:complaint_id>/attachments/<int:attachment_id>")
class AttachmentFile(MethodView):
    @requires("complaint.view_personal")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
                  description="The file, as a download, with the type read from its content")
    def get(self, complaint_id: int, attachment_id: int):
        """Download one attachment (files may hold personal data: handlers and managers only)."""
        actor = current_actor()
        complaint = load_for(actor, Complaint, complaint_id, "complaint.view_personal")
        row = load_for(actor, ComplaintAttachment, attachment_id, "complaint.view_personal")
        if row.complaint_id != complaint.id:
            raise NotFound()
        try:
            content = storage.open(row.storage_key)
        except FileNotFoundError:
            log.error("attachment %s of complaint %s is missing from storage (%s)", row.id, complaint.id,
                      row.storage_key)
            raise NotFound(_("The file is no longer in storage.")) from None
        return send_file(io.BytesIO(content), mimetype=row.media_type, as_attachment=True,
                         download_name=row.filename)
