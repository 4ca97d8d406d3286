"""The organisation's complaint-handling settings page and its category tree, under
/o/<slug>/complaints/settings (managers change them; everyone may read them)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from auditkit.complaints import categories as category_service
from auditkit.complaints.forms import SEVERITY_LABELS
from auditkit.complaints.models import Category
from auditkit.complaints.settings import DEFAULT_TARGETS, settings_of
from auditkit.complaints.settings_services import SettingsChange, update_complaint_settings
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import current_actor, load_for, requires
from auditkit.extensions import db
from auditkit.web.forms import ConfirmForm, choices, flash_refusal, show_errors

bp = Blueprint("complaint_settings", __name__, url_prefix="/o/<slug>/complaints/settings",
               template_folder="templates")
DAYS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday")]
UNIT_LABELS = {"hours": _l("hours"), "business_days": _l("business days")}
SEVERITY_ORDER = list(DEFAULT_TARGETS)


class SettingsForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    reference_pattern = StringField(_l("Reference pattern"), validators=[InputRequired(), Length(max=40)],
                                    description=_l("{year} and {seq}, such as CMP-{year}-{seq:06}."))
    working_days = SelectMultipleField(_l("Working days"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput(),
                                       choices=lambda: choices((i, day) for i, day in enumerate(DAYS)))
    holidays = TextAreaField(_l("Holidays"), description=_l("One date per line, such as 2026-03-21."))
    customers = IntegerField(_l("Number of customers"), validators=[Optional(), NumberRange(min=0)],
                             description=_l("For the rate of complaints per 1,000 customers."))


for _severity in SEVERITY_ORDER:  # the targets: value and unit per severity and step
    for _step in ("acknowledge", "respond"):
        setattr(SettingsForm, f"{_severity}_{_step}", IntegerField(validators=[Optional()]))  # the service checks
        setattr(SettingsForm, f"{_severity}_{_step}_unit",
                SelectField(choices=lambda: choices(UNIT_LABELS.items())))


class CategoryForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    parent_id = SelectField(_l("Under"), coerce=str, default="")


@bp.route("/", methods=["GET", "POST"])
@requires("complaint.view", POST="complaint.settings")
def settings():
    actor, organisation = current_actor(), g.organisation
    current = settings_of(organisation)
    data = {"version": organisation.version, "reference_pattern": current.pattern,
            "working_days": sorted(current.calendar.working_days),
            "holidays": "\n".join(sorted(d.isoformat() for d in current.calendar.holidays)),
            "customers": (organisation.settings or {}).get("complaints", {}).get("customers")}
    for severity, steps in current.targets.items():
        for step, duration in steps.items():
            data[f"{severity}_{step}"], data[f"{severity}_{step}_unit"] = duration.value, duration.unit
    form = SettingsForm(data=None if request.method == "POST" else data)
    if form.validate_on_submit():
        change = SettingsChange(
            version=form.version.data, reference_pattern=form.reference_pattern.data,
            working_days=form.working_days.data, customers=form.customers.data,
            holidays=[line for line in (form.holidays.data or "").splitlines() if line.strip()],
            targets={s: {st: (form[f"{s}_{st}"].data, form[f"{s}_{st}_unit"].data) for st in ("acknowledge", "respond")}
                     for s in SEVERITY_ORDER})
        try:
            update_complaint_settings(actor, organisation, change)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Settings saved. New due dates follow them; existing ones stay."), "success")
            return redirect(url_for(".settings"))
    category_service.ensure_default_categories(organisation.id)
    db.session.commit()
    return render_template("complaints/settings.html", form=form, severities=SEVERITY_ORDER,
                           categories=category_service.category_tree(organisation.id),
                           category_form=_category_form(organisation.id),
                           parents=category_service.category_choices(organisation.id, retired=True),
                           confirm=ConfirmForm(), can_edit=actor.can("complaint.settings"),
                           labels_severity=lambda value: str(SEVERITY_LABELS[value])), \
        422 if form.errors or form.form_errors else 200


class CategoryChangeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    parent_id = SelectField(_l("Under"), coerce=str, default="")


def _category_form(organisation_id: int, formdata=None, *, change: bool = False) -> CategoryForm:
    form = (CategoryChangeForm if change else CategoryForm)(formdata=formdata)
    form.parent_id.choices = choices([("", "—")] + [(str(i), n) for i, n in category_service.category_choices(
        organisation_id, retired=change)])  # a retired parent can keep its subcategories
    return form


@bp.route("/categories", methods=["POST"])
@requires("complaint.settings")
def add_category():
    actor = current_actor()
    form = _category_form(actor.organisation_id, request.form)
    return _saved(form, lambda parent: category_service.add_category(
        actor.organisation_id, code=form.code.data, name=form.name.data, parent_id=parent), _("Category added."))


@bp.route("/categories/<int:category_id>", methods=["POST"])
@requires("complaint.settings")
def change_category(category_id: int):
    """Rename a category or move it under another parent (or to the top)."""
    category = load_for(current_actor(), Category, category_id, "complaint.settings")
    form = _category_form(category.organisation_id, request.form, change=True)
    return _saved(form, lambda parent: category_service.change_category(
        category, name=form.name.data, parent_id=parent), _("Category changed."))


def _saved(form, save: Callable[[int | None], object], done: str):
    """A category form sent: `save(parent id)` when the form is valid, then back to the settings, saying what
    was done or what was refused (nothing written then)."""
    if not form.validate_on_submit():
        flash_refusal(form.errors)
        return redirect(url_for(".settings"))
    try:
        save(int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None)
    except ValidationFailed as error:
        db.session.rollback()
        flash_refusal(error.fields)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".settings"))


@bp.route("/categories/<int:category_id>/active", methods=["POST"])
@requires("complaint.settings")
def toggle_category(category_id: int):
    category = load_for(current_actor(), Category, category_id, "complaint.settings")
    if ConfirmForm().validate_on_submit():
        category_service.set_category_active(category, not category.active)
        db.session.commit()
    return redirect(url_for(".settings"))
