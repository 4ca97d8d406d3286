"""Forms of the staff pages: the register's filter, recording a complaint taken by phone or in person, each
lifecycle step and assignment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from auditkit.complaints.lifecycle import CONTACT_METHODS, EXTERNAL_OUTCOMES, LEVELS, OUTCOMES, REFERRAL_METHODS
from auditkit.complaints.models import CHANNELS, SEVERITIES
from auditkit.complaints.states import Status
from auditkit.web.forms import choices

STATUS_LABELS = {
    "received": _l("Received"), "acknowledged": _l("Acknowledged"), "assessed": _l("Assessed"),
    "under_investigation": _l("Under investigation"), "response_decided": _l("Response decided"),
    "decision_communicated": _l("Decision communicated"), "referred_external": _l("Referred externally"),
    "closed": _l("Closed"), "withdrawn": _l("Withdrawn"), "rejected": _l("Rejected"),
}
CHANNEL_LABELS = {"web_form": _l("Web form"), "email": _l("Email"), "phone": _l("Phone"),
                  "in_person": _l("In person"), "letter": _l("Letter"), "social_media": _l("Social media"),
                  "api": _l("API"), "other": _l("Other")}
SEVERITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"), "critical": _l("Critical")}
LEVEL_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")}
METHOD_LABELS = {"email": _l("Email"), "letter": _l("Letter"), "phone": _l("Phone"), "sms": _l("Text message"),
                 "in_person": _l("In person"), "portal": _l("Complaint portal")}
OUTCOME_LABELS = {"upheld": _l("Upheld"), "partly_upheld": _l("Partly upheld"), "not_upheld": _l("Not upheld")}
REFERRAL_LABELS = {"facilitative": _l("Facilitative (mediation)"), "advisory": _l("Advisory"),
                   "determinative": _l("Determinative (binding decision)")}
EXTERNAL_OUTCOME_LABELS = {
    "settled": _l("Settled by agreement"), "for_complainant": _l("Decided for the complainant"),
    "partly_for_complainant": _l("Decided partly for the complainant"),
    "for_organisation": _l("Decided for the organisation"), "withdrawn": _l("Withdrawn by the complainant")}


def _options(labels, values, blank=None):
    pairs = [(value, labels[value]) for value in values]
    return lambda: choices(([("", blank)] if blank else []) + pairs)


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Reference or text"))
    status = SelectField(_l("Status"), choices=_options(STATUS_LABELS, [s.value for s in Status], _l("Any")),
                         default="")
    channel = SelectField(_l("Channel"), choices=_options(CHANNEL_LABELS, CHANNELS, _l("Any")), default="")
    category_id = SelectField(_l("Category"), coerce=str, default="")
    severity = SelectField(_l("Severity"), choices=_options(SEVERITY_LABELS, SEVERITIES, _l("Any")), default="")
    assignee = SelectField(_l("Assignee"), coerce=str, default="")
    overdue = BooleanField(_l("Overdue only"))
    due_soon = BooleanField(_l("Due within 24 hours"))
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received to"), validators=[Optional()])
    sort = SelectField(_l("Sort"), choices=lambda: choices([("newest", _l("Newest first")),
                                                            ("oldest", _l("Oldest first")),
                                                            ("due", _l("Response due first"))]),
                       default="newest")


class NewComplaintForm(FlaskForm):
    channel = SelectField(_l("Channel"), choices=_options(CHANNEL_LABELS, CHANNELS))
    complainant_name = StringField(_l("Complainant's name"), validators=[Length(max=200)])
    complainant_organisation = StringField(_l("Organisation (if any)"), validators=[Length(max=200)])
    email = EmailField(_l("Email"), validators=[Length(max=320)])
    phone = StringField(_l("Phone"), validators=[Length(max=50)])
    address = TextAreaField(_l("Postal address"), validators=[Length(max=500)])
    product = StringField(_l("Product or service"), validators=[Length(max=200)])
    category_id = SelectField(_l("Category"), coerce=str, default="")
    occurred_on = DateField(_l("When the problem occurred"), validators=[Optional()])
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=20000)])
    remedy_wanted = TextAreaField(_l("What the complainant wants done"), validators=[Length(max=5000)])
    consent = BooleanField(_l("The complainant agrees that their details are used to handle the complaint"))


class StepForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class AcknowledgeForm(StepForm):
    method = SelectField(_l("How it was acknowledged"), choices=_options(METHOD_LABELS, CONTACT_METHODS))
    note = StringField(_l("Note"), validators=[Length(max=500)])


class AssessForm(StepForm):
    severity = SelectField(_l("Severity"), choices=_options(SEVERITY_LABELS, SEVERITIES))
    safety_implication = BooleanField(_l("Safety implication"))
    complexity = SelectField(_l("Complexity"), choices=_options(LEVEL_LABELS, LEVELS))
    impact = SelectField(_l("Impact"), choices=_options(LEVEL_LABELS, LEVELS))
    immediate_action = TextAreaField(_l("Immediate action taken"), validators=[Length(max=5000)])


class InvestigateForm(StepForm):
    notes = TextAreaField(_l("Investigation notes"), validators=[Length(max=20000)])


class DecideForm(StepForm):
    remedy = TextAreaField(_l("Decided remedy or answer"), validators=[Length(max=5000)])
    outcome = SelectField(_l("Outcome"), choices=_options(OUTCOME_LABELS, OUTCOMES))
    root_cause = TextAreaField(_l("Root cause"), validators=[Length(max=5000)])
    findings = TextAreaField(_l("Findings"), validators=[Length(max=20000)])


class CommunicateForm(AcknowledgeForm):
    method = SelectField(_l("How the decision was communicated"), choices=_options(METHOD_LABELS, CONTACT_METHODS))


class CloseForm(StepForm):
    accepted = SelectField(_l("Did the complainant accept the decision?"),
                           choices=lambda: choices([("yes", _l("Yes")), ("no", _l("No")),
                                                    ("unknown", _l("No answer"))]))
    options_exhausted = BooleanField(_l("Internal escalation and external options are used up"))
    note = StringField(_l("Note"), validators=[Length(max=500)])
    # Shown only for a complaint referred to external dispute resolution (EXTERNAL_FIELDS).
    external_outcome = SelectField(_l("External outcome"), choices=_options(EXTERNAL_OUTCOME_LABELS,
                                                                              EXTERNAL_OUTCOMES, blank="—"),
                                   default="")
    outcome_on = DateField(_l("Date of the external outcome"), validators=[Optional()])
    implemented_on = DateField(_l("Carried out by the organisation on"), validators=[Optional()])


EXTERNAL_FIELDS = ("external_outcome", "outcome_on", "implemented_on")


class ReasonForm(StepForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=5000)])


class EscalateForm(ReasonForm):
    escalated_to = StringField(_l("Escalated to"), validators=[Length(max=200)])


class ReferForm(StepForm):
    provider = StringField(_l("Dispute-resolution provider"), validators=[Length(max=200)])
    method = SelectField(_l("Method"), choices=_options(REFERRAL_LABELS, REFERRAL_METHODS))
    referred_on = DateField(_l("Referred on"), validators=[InputRequired()])


STEP_FORMS = {"acknowledge": AcknowledgeForm, "assess": AssessForm, "investigate": InvestigateForm,
              "decide": DecideForm, "communicate": CommunicateForm, "close": CloseForm, "escalate": EscalateForm,
              "refer_external": ReferForm, "reopen": ReasonForm, "withdraw": ReasonForm, "reject": ReasonForm}


class AssignForm(FlaskForm):
    """One complaint, on its page: the version it was shown at comes back, and a stale one is refused."""

    assignee_id = SelectField(_l("Assign to"), coerce=str, default="")
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class BulkAssignForm(FlaskForm):
    """The complaints ticked in the register. Each box's value is "id:version" as the register showed the row,
    read by `selected_versions`; `back` is the register's query, to return to the same filters and page."""

    assignee_id = SelectField(_l("Assign the selected to"), coerce=str, default="")
    back = StringField(widget=HiddenInput(), validators=[Length(max=2000)])


def selected_versions(values: list[str], limit: int = 500) -> dict[int, int | None]:
    """The register's ticked boxes, "id:version", as {id: version}; a box without a readable version maps to
    None, which the assignment refuses as stale rather than assign unseen."""
    selected: dict[int, int | None] = {}
    for value in values[:limit]:
        id_, _sep, version = value.partition(":")
        if id_.strip().isdigit():
            selected[int(id_)] = int(version) if version.strip().isdigit() else None
    return selected
