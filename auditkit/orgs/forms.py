"""Forms for organisation settings, members and API tokens."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length
from wtforms.widgets import HiddenInput

from auditkit.core.i18n import LOCALE_LABELS
from auditkit.core.security import Role
from auditkit.web.forms import choices

ROLE_LABELS = {
    Role.CONSULTANT: _l("Consultant"),
    Role.AUDITOR: _l("Internal auditor"),
    Role.MANAGER: _l("Manager"),
    Role.HANDLER: _l("Complaint handler"),
    Role.VIEWER: _l("Viewer"),
}


def _role_choices():
    return choices((role.value, label) for role, label in ROLE_LABELS.items())


def _timezone_choices():
    return choices((zone, zone) for zone in sorted(available_timezones()) if "/" in zone or zone == "UTC")


class OrganisationSettingsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=lambda: choices(LOCALE_LABELS.items()),
                         description=_l("The language of the organisation's documents and of its "
                                        "members' pages unless they choose another."))
    timezone = SelectField(_l("Time zone"), choices=_timezone_choices)
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class OrganisationCreateForm(OrganisationSettingsForm):
    version = None  # a new organisation has no version yet
    slug = StringField(_l("Short name in addresses (slug)"), validators=[DataRequired(), Length(max=63)],
                       description=_l("Lower-case letters, digits and hyphens, such as acme-insurance."))


class MemberAddForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=320), Email()])
    name = StringField(_l("Name (for a new account)"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=_role_choices)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices)


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What the token is for, such as “CRM import”."))

