"""Forms for signing in, changing a password, and the administrator's user management."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=320)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired()],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    next = HiddenField()


class UserCreateForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=320), Email()])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired()],
                             description=_l("The person must change it at first sign-in."),
                             render_kw={"autocomplete": "new-password"})
    is_system_admin = BooleanField(_l("System administrator"))
