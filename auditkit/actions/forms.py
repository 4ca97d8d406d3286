"""Forms of the corrective-action pages: the register's filter, raising and editing an action, a task of the
plan, and one form per workflow step. Each carries only what its service takes; the services say what is
wrong with it (ValidationFailed goes back onto these fields)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from auditkit.actions.labels import (
    FISHBONE_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    RCA_LABELS,
    STATUS_LABELS,
    VERDICT_LABELS,
)
from auditkit.actions.models import FISHBONE, KINDS, PRIORITIES, RCA_METHODS, VERDICTS
from auditkit.actions.states import ActionStatus
from auditkit.actions.workflow import MAX_WHYS
from auditkit.web.forms import choices


def _options(labels, values, blank=None):
    pairs = [(value, labels[value]) for value in values]
    return lambda: choices(([("", blank)] if blank else []) + pairs)


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Reference or title"))
    status = SelectField(_l("Status"), choices=_options(STATUS_LABELS, [s.value for s in ActionStatus], _l("Any")),
                         default="")
    source = SelectField(_l("Source"), coerce=str, default="")
    owner = SelectField(_l("Owner"), coerce=str, default="")
    clause = SelectField(_l("Clause"), coerce=str, default="")
    overdue = BooleanField(_l("Overdue only"))
    due_soon = BooleanField(_l("Due soon only"))


class ActionForm(FlaskForm):
    """What an action is about; raising one adds its source (NewActionForm)."""

    title = StringField(_l("Title"), validators=[Length(max=200)])
    problem = TextAreaField(_l("Problem statement"), validators=[Length(max=20000)], render_kw={"rows": 5},
                            description=_l("What went wrong, where and how often: the facts, not the cause."))
    kind = SelectField(_l("Type"), choices=_options(KIND_LABELS, KINDS), default="corrective", validate_choice=False)
    priority = SelectField(_l("Priority"), choices=_options(PRIORITY_LABELS, PRIORITIES), default="medium",
                           validate_choice=False)
    owner_id = SelectField(_l("Owner"), coerce=str, default="", validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[Optional()])
    containment = TextAreaField(_l("Containment"), validators=[Length(max=5000)], render_kw={"rows": 2},
                                description=_l("What was done at once to contain the problem, if anything."))
    containment_done = BooleanField(_l("Containment done"))
    category_id = SelectField(_l("Complaint category"), coerce=str, default="", validate_choice=False,
                              description=_l("The complaints this action should reduce: the evidence of its "
                                             "effectiveness counts them before and after."))
    product = StringField(_l("Product or service"), validators=[Length(max=200)])
    clause_keys = SelectMultipleField(_l("Clauses addressed"), coerce=str, default=[], validate_choice=False,
                                      render_kw={"size": 12},
                                      description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))


class EditActionForm(ActionForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NewActionForm(ActionForm):
    source_kind = SelectField(_l("Source"), coerce=str, default="none", validate_choice=False)
    # The source record's id, carried from the page the action was raised from (a complaint's).
    source_record = IntegerField(widget=HiddenInput(), validators=[Optional()])


class StepForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class RootCauseForm(StepForm):
    method = SelectField(_l("Method"), choices=_options(RCA_LABELS, RCA_METHODS, "—"), default="",
                         validate_choice=False)
    whys = FieldList(StringField(validators=[Length(max=1000)]), min_entries=MAX_WHYS, max_entries=MAX_WHYS)
    root_cause = TextAreaField(_l("Root cause"), validators=[Length(max=5000)])


# One text area per 6M category of the fishbone, one cause per line: fishbone_people, fishbone_methods...
for _name in FISHBONE:
    setattr(RootCauseForm, f"fishbone_{_name}", TextAreaField(FISHBONE_LABELS[_name], validators=[Length(max=5000)],
                                                              render_kw={"rows": 2}))


class PlanForm(StepForm):
    effectiveness_criteria = TextAreaField(_l("Effectiveness criteria"), validators=[Length(max=5000)],
                                           description=_l("How you will know the action worked, e.g. “billing "
                                                          "complaints halve within 90 days”."))
    check_on = DateField(_l("Effectiveness check date"), validators=[Optional()])


class ImplementForm(StepForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=5000)], render_kw={"rows": 2})


class VerifyForm(StepForm):
    verdict = SelectField(_l("Verdict"), choices=_options(VERDICT_LABELS, VERDICTS, "—"), default="",
                          validate_choice=False)
    comment = TextAreaField(_l("Comment"), validators=[Length(max=5000)],
                            description=_l("Required when it was not effective: the next plan starts from it."))


STEP_FORMS: dict[str, type[StepForm]] = {
    "find_root_cause": RootCauseForm, "plan": PlanForm, "implement": ImplementForm, "request_check": StepForm,
    "verify": VerifyForm, "close": StepForm,
}


class TaskForm(StepForm):
    title = StringField(_l("Task"), validators=[Length(max=300)])
    owner_id = SelectField(_l("Task owner"), coerce=str, default="", validate_choice=False)
    due_on = DateField(_l("Due date"), validators=[Optional()])


class TaskDoneForm(StepForm):
    done = HiddenField(validators=[AnyOf(["1", "0"])], default="1")  # 1: mark done, 0: reopen
