"""API schemas of the complaint register: recording a complaint (loaded into intake.NewComplaint), the
register's filters and keyset page, a complaint as one actor may see it, its timeline and attachments, and one
body per lifecycle step mirroring the step's service in lifecycle.py. The schemas check types, choices and
lengths (and document them in the OpenAPI document); the services decide everything else."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, post_load, validate

from auditkit.complaints.intake import LIMITS, NewComplaint
from auditkit.complaints.lifecycle import CONTACT_METHODS, EXTERNAL_OUTCOMES, LEVELS, OUTCOMES, REFERRAL_METHODS
from auditkit.complaints.models import CHANNELS, SEVERITIES
from auditkit.complaints.queries import SORTS
from auditkit.complaints.states import TRANSITIONS, Status
from auditkit.core.i18n import LOCALES

STATUSES = [status.value for status in Status]
MAX_PAGE = 200
# What queries.register_page hands out: microseconds since the epoch, a dot, the complaint's id.
CURSOR = r"-?\d{1,19}\.\d{1,19}"


def _text(limit: int, **kwargs) -> fields.Str:
    return fields.Str(load_default="", validate=validate.Length(max=limit), **kwargs)


def _choice(values, **kwargs) -> fields.Str:
    return fields.Str(validate=validate.OneOf(list(values)), **kwargs)


def _moment(description: str) -> fields.AwareDateTime:
    # Aware only: a time without its offset would be read in some zone the client never named.
    return fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": f"{description} ISO 8601 with its UTC offset; defaults to now."})


# Recording -------------------------------------------------------------------------------------------------

class ComplaintCreateSchema(Schema):
    """What intake.receive_complaint takes; loads into a NewComplaint."""

    description = fields.Str(required=True, validate=validate.Length(max=LIMITS["description"]))
    channel = _choice(CHANNELS, load_default="api")
    received_at = _moment("When the complaint was received.")
    complainant_name = _text(LIMITS["complainant_name"])
    complainant_organisation = _text(LIMITS["complainant_organisation"])
    email = _text(320, metadata={"description": "At least one of email, phone and address is required."})
    phone = _text(LIMITS["phone"])
    address = _text(LIMITS["address"])
    postcode = _text(LIMITS["postcode"])
    country = _text(LIMITS["country"])
    representative = _text(LIMITS["representative"])
    preferred_language = _choice(LOCALES, load_default="")
    consent = fields.Bool(load_default=False, metadata={
        "description": "The complainant agreed that their details are used to handle the complaint."})
    product = _text(LIMITS["product"])
    category_id = fields.Int(load_default=None, allow_none=True)
    remedy_wanted = _text(LIMITS["remedy_wanted"])
    occurred_on = fields.Date(load_default=None, allow_none=True)
    external_id = _text(LIMITS["external_id"], metadata={
        "description": "Your system's id for this complaint. Sending it again returns the complaint recorded "
                       "first (200) instead of recording another."})

    @post_load
    def to_new_complaint(self, data: dict, **_kwargs) -> NewComplaint:
        return NewComplaint(**data)


# Reading ---------------------------------------------------------------------------------------------------

class RegisterQuerySchema(Schema):
    status = _choice(STATUSES)
    channel = _choice(CHANNELS)
    category_id = fields.Int(metadata={"description": "The category and the categories below it."})
    severity = _choice(SEVERITIES)
    assignee_id = fields.Int()
    unassigned = fields.Bool(load_default=False)
    overdue = fields.Bool(load_default=False, metadata={
        "description": "Only open complaints past their acknowledgement or response due time."})
    due_soon = fields.Bool(load_default=False, metadata={
        "description": "Only open complaints not overdue whose acknowledgement or response is due within 24 hours."})
    received_from = fields.Date(metadata={"description": "First day received, in the organisation's time zone, "
                                                         "inclusive."})
    received_to = fields.Date(metadata={"description": "Last day received, in the organisation's time zone, "
                                                       "inclusive."})
    q = _text(200, metadata={"description": "Text in the reference or the description, matched literally."})
    sort = _choice(SORTS, load_default="newest")
    after = fields.Str(validate=validate.Regexp(CURSOR), metadata={
        "description": "The `next` cursor of the previous page; keep the same filters and sort."})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class ComplaintSchema(Schema):
    """One complaint; the complainant's details are masked for roles that do not handle complaints."""

    id = fields.Int()
    reference = fields.Str()
    external_id = fields.Str(allow_none=True)
    status = _choice(STATUSES)
    channel = _choice(CHANNELS)
    received_at = fields.DateTime()
    complainant_name = fields.Str(allow_none=True)
    complainant_organisation = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    address = fields.Str(allow_none=True)
    postcode = fields.Str(allow_none=True)
    country = fields.Str(allow_none=True)
    representative = fields.Str(allow_none=True)
    preferred_language = fields.Str(allow_none=True)
    consent = fields.Bool()
    anonymised_at = fields.DateTime(allow_none=True)
    product = fields.Str(allow_none=True)
    category_id = fields.Int(allow_none=True)
    description = fields.Str()
    remedy_wanted = fields.Str(allow_none=True)
    occurred_on = fields.Date(allow_none=True)
    severity = fields.Str(allow_none=True)
    safety_implication = fields.Bool(allow_none=True)
    complexity = fields.Str(allow_none=True)
    impact = fields.Str(allow_none=True)
    immediate_action = fields.Str(allow_none=True)
    assignee_id = fields.Int(allow_none=True)
    escalation_level = fields.Int()
    reopen_count = fields.Int()
    ack_due_at = fields.DateTime(allow_none=True)
    response_due_at = fields.DateTime(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    assessed_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    communicated_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    overdue = fields.Bool(metadata={"description": "Open and past its acknowledgement or response due time."})
    accepted = fields.Bool(allow_none=True)
    outcome = fields.Str(allow_none=True)
    referral = fields.Dict(allow_none=True)
    survey_sent_at = fields.DateTime(allow_none=True)
    survey_answered_at = fields.DateTime(allow_none=True)
    satisfaction_rating = fields.Int(allow_none=True)
    allowed_steps = fields.List(_choice(TRANSITIONS), metadata={
        "description": "The transitions the complaint's state allows next."})
    version = fields.Int(metadata={"description": "Send it back with a transition; a stale one gets 409."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ComplaintCreatedSchema(ComplaintSchema):
    tracking_code = fields.Str(allow_none=True, metadata={
        "description": "For the complainant to follow the complaint on the portal. Given once, when the "
                       "complaint is recorded; null when an earlier request recorded it."})


class RegisterPageSchema(Schema):
    items = fields.List(fields.Nested(ComplaintSchema))
    next = fields.Str(allow_none=True, metadata={"description": "Pass as `after` for the next page; null at "
                                                                "the end."})


class EventSchema(Schema):
    id = fields.Int()
    kind = fields.Str(metadata={"description": "receive, a transition's name, assign, attachment or survey."})
    at = fields.DateTime()
    actor_label = fields.Str()
    from_status = fields.Str(allow_none=True)
    to_status = fields.Str(allow_none=True)
    clause_key = fields.Str(allow_none=True, metadata={"description": "The ISO 10002 clause it evidences."})
    data = fields.Dict()


class AttachmentSchema(Schema):
    id = fields.Int()
    filename = fields.Str(metadata={"description": "As uploaded; masked for roles that do not handle complaints."})
    media_type = fields.Str(metadata={"description": "The type read from the content."})
    size = fields.Int()
    sha256 = fields.Str()
    created_at = fields.DateTime()


class AttachmentUploadSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "PDF, PNG, JPEG, plain text, Word .docx or Excel .xlsx, at most 10 MB; the type is "
                       "read from the content."})


# The lifecycle's steps, one body each (the arguments of the step's service) --------------------------------

class StepSchema(Schema):
    version = fields.Int(required=True, metadata={"description": "The complaint's version you read."})


class AcknowledgeStepSchema(StepSchema):
    method = _choice(CONTACT_METHODS, required=True)
    at = _moment("When the complainant was told.")
    note = _text(500)


class CommunicateStepSchema(AcknowledgeStepSchema):
    pass


class AssessStepSchema(StepSchema):
    severity = _choice(SEVERITIES, required=True)
    safety_implication = fields.Bool(required=True)
    complexity = _choice(LEVELS, required=True)
    impact = _choice(LEVELS, required=True)
    immediate_action = _text(5000)


class InvestigateStepSchema(StepSchema):
    notes = _text(20000)


class DecideStepSchema(StepSchema):
    remedy = fields.Str(required=True, validate=validate.Length(max=5000))
    outcome = _choice(OUTCOMES, required=True)
    root_cause = _text(5000)
    findings = _text(20000)


class CloseStepSchema(StepSchema):
    accepted = fields.Bool(required=True, allow_none=True, metadata={
        "description": "Whether the complainant accepted the decision; null when they did not answer."})
    options_exhausted = fields.Bool(load_default=False, metadata={
        "description": "Internal escalation and external options are used up (needed to close when the "
                       "decision was not accepted)."})
    note = _text(500)
    external_outcome = fields.Str(load_default="", validate=validate.OneOf(("", *EXTERNAL_OUTCOMES)), metadata={
        "description": "How external dispute resolution ended (ISO 10003): needed to close a referred "
                       "complaint, refused for any other."})
    outcome_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "The date of the external outcome (a referred complaint)."})
    implemented_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "When the organisation carried the external outcome out, if it has."})


class ReasonStepSchema(StepSchema):
    reason = fields.Str(required=True, validate=validate.Length(max=5000))


class EscalateStepSchema(ReasonStepSchema):
    escalated_to = _text(200)


class ReferExternalStepSchema(StepSchema):
    provider = fields.Str(required=True, validate=validate.Length(max=200))
    method = _choice(REFERRAL_METHODS, required=True)
    referred_on = fields.Date(required=True)


class StepResultSchema(Schema):
    complaint = fields.Nested(ComplaintSchema)
    event = fields.Nested(EventSchema)


class CloseResultSchema(StepResultSchema):
    survey_token = fields.Str(metadata={"description": "The satisfaction survey's token, given this once: only "
                                                       "its hash is kept."})
    survey_url = fields.Str(metadata={"description": "The survey page on the portal, for the complainant."})
