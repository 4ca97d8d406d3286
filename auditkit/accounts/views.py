"""Sign in, sign out and change password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from auditkit.accounts import services
from auditkit.accounts.forms import ChangePasswordForm, LoginForm
from auditkit.core.errors import TooManyRequests, ValidationFailed
from auditkit.extensions import db
from auditkit.web.forms import ConfirmForm, show_errors
from auditkit.web.redirects import safe_next

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, url_for("web.home")))
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr or "?")
        except ValidationFailed as error:
            db.session.commit()  # keep the failure: throttling counts it
            show_errors(form, error)
            status = 422
        except TooManyRequests as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 429
        else:
            login_user(user)
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("web.home")))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if ConfirmForm().validate_on_submit():
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            services.change_password(current_user, current=form.current_password.data,
                                     new=form.new_password.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            login_user(current_user._get_current_object())  # the session id carries the new session version
            db.session.commit()
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(safe_next(form.next.data, url_for("web.home")))
    return render_template("accounts/change_password.html", form=form), 422 if form.errors else 200
