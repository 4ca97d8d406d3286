"""Home (sends a person to their organisation), the language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import text
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, DataRequired

from auditkit.accounts.services import set_preferred_locale
from auditkit.core.i18n import LOCALES
from auditkit.extensions import db
from auditkit.orgs.services import memberships_of
from auditkit.web.forms import choices
from auditkit.web.redirects import safe_next

bp = Blueprint("web", __name__)


class LanguageForm(FlaskForm):
    locale = SelectField(choices=choices(LOCALES.items()), validators=[DataRequired(), AnyOf(list(LOCALES))])
    next = HiddenField()


@bp.route("/")
@login_required
def home():
    memberships = memberships_of(current_user)
    last = session.get("last_organisation")
    for membership in memberships:
        if membership.organisation.slug == last:
            return redirect(url_for("orgs.dashboard", slug=last))
    if len(memberships) == 1:
        return redirect(url_for("orgs.dashboard", slug=memberships[0].organisation.slug))
    return render_template("web/home.html", memberships=memberships)


@bp.route("/organisations")
@login_required
def organisations():
    """Every organisation of the signed-in person: the switcher's page when JavaScript is off."""
    return render_template("web/home.html", memberships=memberships_of(current_user))


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            set_preferred_locale(current_user, form.locale.data)
            db.session.commit()
    return redirect(safe_next(form.next.data or request.referrer, url_for("web.home")))


@bp.route("/healthz")
def healthz():
    engine = db.engine.dialect.name
    try:
        db.session.execute(text("SELECT 1"))
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        body = {"status": "error", "database": {"status": "unreachable", "engine": engine}}
        return jsonify(body), 503
    body = {"status": "ok", "database": {"status": "ok", "engine": engine, "revision": revision}}
    if revision is None:
        body = {"status": "error", "database": {"status": "not migrated", "engine": engine}}
        return jsonify(body), 503
    return jsonify(body)


@bp.app_context_processor
def layout_context() -> dict:
    from auditkit.core.i18n import LOCALE_LABELS, html_lang, text_direction

    return {"text_direction": text_direction(), "html_lang": html_lang(), "locales": LOCALES,
            "locale_labels": LOCALE_LABELS, "language_form": LanguageForm}
