"""Forms of the gap-assessment pages: the plan (new, or changed), one answer, a workflow step, evidence files
and the window of the live figures. Each carries only what its service takes; the services say what is wrong
with it (ValidationFailed goes back onto these fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput, NumberInput

from auditkit.actions.labels import PRIORITY_LABELS
from auditkit.assessments.labels import KIND_LABELS, WINDOWS
from auditkit.assessments.models import KINDS, PRIORITIES
from auditkit.web.forms import choices


class PlanForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    scope = TextAreaField(_l("Scope"), validators=[Length(max=5000)], render_kw={"rows": 3},
                          description=_l("What the assessment covers: sites, products, channels, teams."))
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    target_maturity = FloatField(_l("Target maturity"), validators=[Optional()],
                                 widget=NumberInput(step="0.5", min=0, max=4),
                                 description=_l("The level on the scale the organisation aims for; the gaps are "
                                                "measured to it."))
    lead_id = SelectField(_l("Lead assessor"), coerce=str, default="", validate_choice=False)
    assessor_ids = SelectMultipleField(_l("Assessors"), coerce=str, default=[], validate_choice=False)
    evidence_window_days = SelectField(
        _l("Window of the live figures"), coerce=str, default="365", validate_choice=False,
        choices=lambda: choices((str(days), label) for days, label in WINDOWS.items()),
        description=_l("The figures beside the questions count the complaints of this many days up to today."))


class EditPlanForm(PlanForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NewAssessmentForm(PlanForm):
    checklist_version_id = SelectField(_l("Checklist"), coerce=str, default="", validate_choice=False)
    kind = SelectField(_l("Kind"), coerce=str, default="baseline", validate_choice=False,
                       choices=lambda: choices((kind, KIND_LABELS[kind]) for kind in KINDS),
                       description=_l("A follow-up compares every clause with a final assessment."))
    baseline_id = SelectField(_l("Baseline (for a follow-up)"), coerce=str, default="", validate_choice=False)


class AnswerForm(FlaskForm):
    """One question's answer. The page draws the inputs itself (one set per question, ids made unique)."""

    rating = IntegerField(_l("Rating"), validators=[Optional()])
    not_applicable = BooleanField(_l("Not applicable"))
    justification = TextAreaField(_l("Why it does not apply"), validators=[Length(max=5000)])
    notes = TextAreaField(_l("Notes and evidence seen"), validators=[Length(max=20000)])
    gap = TextAreaField(_l("Gap"), validators=[Length(max=5000)])
    recommendation = TextAreaField(_l("Recommendation"), validators=[Length(max=5000)])
    priority = SelectField(_l("Priority"), coerce=str, default="", validate_choice=False,
                           choices=lambda: choices([("", "—")] + [(p, PRIORITY_LABELS[p]) for p in PRIORITIES]))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class StepForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class EvidenceForm(FlaskForm):
    files = MultipleFileField(_l("Evidence files"))


class WindowForm(FlaskForm):
    evidence_window_days = SelectField(_l("Window of the live figures"), coerce=str, validate_choice=False,
                                       choices=lambda: choices((str(d), label) for d, label in WINDOWS.items()))
