"""Forms of the standard pages: uploading a checklist file and revising an organisation's checklist."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from auditkit.web.forms import choices

IMPORTANCE_LABELS = {"essential": _l("Essential"), "recommended": _l("Recommended"),
                     "good_practice": _l("Good practice")}
WEIGHT = NumberRange(min=0.1, max=10, message=_l("Give a weight from 0.1 to 10."))


def _importance_choices():
    return choices(IMPORTANCE_LABELS.items())


class ImportForm(FlaskForm):
    file = FileField(_l("Checklist file"), validators=[FileRequired(_l("Choose a file to import."))],
                     description=_l("An .xlsx workbook made from the template, a CISO Assistant framework "
                                    "library (.yaml) or a checklist in AuditKit's YAML format."))


class QuestionEditForm(Form):
    key = HiddenField()
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    weight = FloatField(_l("Weight"), validators=[InputRequired(), WEIGHT])
    importance = SelectField(_l("Importance"), choices=_importance_choices)
    retire = BooleanField(_l("Retire"))


class RevisionForm(FlaskForm):
    based_on = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    questions = FieldList(FormField(QuestionEditForm))
    new_clause = SelectField(_l("Clause"), validators=[Optional()])
    new_text = TextAreaField(_l("New question"), validators=[Optional(), Length(max=2000)])
    new_guidance = TextAreaField(_l("Guidance for the assessor"), validators=[Optional(), Length(max=4000)])
    new_evidence = TextAreaField(_l("Typical evidence"), validators=[Optional(), Length(max=4000)])
    new_importance = SelectField(_l("Importance"), choices=_importance_choices, default="recommended")
    new_weight = FloatField(_l("Weight"), default=1, validators=[Optional(), WEIGHT])
    note = StringField(_l("What changed and why"), validators=[Length(max=500)])
