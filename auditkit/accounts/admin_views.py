"""System administration of user accounts: list, create, reset a password, deactivate and reactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from auditkit.accounts import services
from auditkit.accounts.forms import UserCreateForm
from auditkit.accounts.models import User
from auditkit.core.audit_trail import history_for
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import system_admin_required
from auditkit.extensions import db
from auditkit.web.forms import ConfirmForm, flash_refusal, show_errors

bp = Blueprint("account_admin", __name__, url_prefix="/admin/users")


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/", methods=["GET", "POST"])
@system_admin_required
def users():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user, email=form.email.data, password=form.password.data,
                                        name=form.name.data or "", is_system_admin=form.is_system_admin.data,
                                        must_change_password=True)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for(".user", user_id=user.id))
    query = request.args.get("q", "").strip()
    statement = select(User).order_by(User.email)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(or_(User.email.like(pattern), User.name.ilike(pattern)))
    page = db.paginate(statement, per_page=50, max_per_page=200)
    status = 422 if form.errors else 200
    return render_template("accounts/admin_users.html", form=form, page=page, query=query), status


@bp.route("/<int:user_id>", methods=["GET"])
@system_admin_required
def user(user_id: int):
    account = _user_or_404(user_id)
    return render_template("accounts/admin_user.html", account=account, confirm=ConfirmForm(),
                           history=list(history_for(db.session, account)))


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
@system_admin_required
def reset_password(user_id: int):
    account = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    temporary = services.reset_password(current_user, account)
    db.session.commit()
    # Shown on this response only, never stored in the session or a log.
    return render_template("accounts/admin_user.html", account=account, confirm=ConfirmForm(),
                           temporary_password=temporary, history=list(history_for(db.session, account)))


@bp.route("/<int:user_id>/active", methods=["POST"])
@system_admin_required
def set_active(user_id: int):
    account = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_active(current_user, account, request.form.get("active") == "1")
    except ValidationFailed as error:
        db.session.rollback()
        flash_refusal(error.fields)
    else:
        db.session.commit()
        flash(_("Account updated."), "success")
    return redirect(url_for(".user", user_id=account.id))
