"""Functions and filters every template may use: the organisation switcher, role and action labels, and
locale-aware numbers and dates (Persian digits in Persian)."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Flask, g, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from auditkit.core.i18n import pick, picked_language
from auditkit.core.security import Role
from auditkit.orgs.forms import ROLE_LABELS
from auditkit.orgs.services import memberships_of

ACTION_LABELS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}
# What the audit trail calls each table; a feature adds its own tables here.
RECORD_LABELS = {"organisation": _l("Organisation"), "membership": _l("Membership"),
                 "user_account": _l("User account"), "api_token": _l("API token"),
                 "framework": _l("Clause library"), "framework_version": _l("Clause library version"),
                 "checklist": _l("Checklist"), "checklist_version": _l("Checklist version"),
                 "complaint": _l("Complaint"), "complaint_category": _l("Complaint category"),
                 "complaint_attachment": _l("Complaint attachment"), "corrective_action": _l("Corrective action"),
                 "corrective_action_task": _l("Task of a corrective action"),
                 "corrective_action_link": _l("Link of a corrective action"),
                 "generated_document": _l("Generated document"), "assessment": _l("Gap assessment"),
                 "assessment_answer": _l("Answer of a gap assessment"),
                 "assessment_assessor": _l("Assessor of a gap assessment"),
                 "assessment_attachment": _l("Evidence file of a gap assessment")}
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def user_memberships():
    if "user_memberships" not in g:
        g.user_memberships = memberships_of(current_user) if current_user.is_authenticated else []
    return g.user_memberships


def switch_url(slug: str) -> str:
    """The same page in another organisation when the page needs nothing but the organisation,
    else that organisation's dashboard: switching keeps a consultant where they were."""
    rule = request.url_rule
    if rule is not None and rule.rule.startswith("/o/<slug>") and set(rule.arguments) == {"slug"}:
        return url_for(rule.endpoint, slug=slug)
    return url_for("orgs.dashboard", slug=slug)


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(Role(role), role))


def current_locale_code() -> str:
    return str(get_locale())


def number(value) -> str:
    if value is None:
        return ""
    # Babel's "default" numbering gives Persian separators but Latin digits; the digits follow here.
    return digits(format_decimal(value, locale=get_locale(), numbering_system="default"))


def digits(value) -> str:
    """Text with its digits in the reader's script (Persian digits in Persian)."""
    text = str(value)
    return text.translate(_PERSIAN_DIGITS) if str(get_locale()) == "fa" else text


def actor_name(label: str) -> str:
    """An audit-trail actor as people read it: changes made by the application itself say so."""
    return str(_l("the system")) if label == "system" else label


def localised_datetime(value, fmt: str = "medium") -> str:
    # Babel writes Latin digits in every locale's date patterns; Persian readers expect their own.
    return digits(format_datetime(value, fmt)) if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(user_memberships=user_memberships, switch_url=switch_url,
                                 role_label=role_label, current_locale_code=current_locale_code,
                                 action_label=lambda action: ACTION_LABELS.get(action, action),
                                 record_label=lambda table: RECORD_LABELS.get(table, table))
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["digits"] = digits
    app.jinja_env.filters["actor"] = actor_name
    app.jinja_env.filters["tr"] = pick
    app.jinja_env.filters["tr_lang"] = picked_language
    app.jinja_env.filters["datetime"] = localised_datetime
