"""Form helpers shared by every feature: a button-only form (CSRF token only), putting a service's
ValidationFailed onto the form fields it names, or flashing its messages when the page redirects."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from auditkit.core.errors import ValidationFailed


def choices(pairs) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs; labels may be lazy strings, read at render time."""
    return [SelectChoice(value, label) for value, label in pairs]


class ConfirmForm(FlaskForm):
    """For POST buttons that carry no data (revoke, remove, reset): the CSRF token is the whole form."""


def flash_refusal(fields: Mapping[str, list[str]]) -> None:
    """A refused form's or service's messages (a form's `errors`, a ValidationFailed's `fields`), flashed as one
    message, for pages that answer a POST with a redirect."""
    flash(" ".join(message for messages in fields.values() for message in messages), "danger")


def show_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Put each message on the field it names; messages for unknown fields or "_" go above the form."""
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, *messages] if isinstance(field.errors, list) else list(messages)
        else:
            form.form_errors.extend(messages)
