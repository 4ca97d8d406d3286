"""How a browser session becomes a signed-in user: Flask-Login's loader (a session ends when its user's
password changes or the account is deactivated), the sign-in page as the place to go back from, and the
forced password change after a reset."""

from __future__ import annotations

from flask import Flask, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from auditkit.accounts.models import User
from auditkit.extensions import db

# Pages a user who must change their password may still open.
_OPEN_DURING_FORCED_CHANGE = frozenset({"accounts.change_password", "accounts.logout", "static",
                                        "web.set_language", "web.healthz"})


def load_user(session_id: str) -> User | None:
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def force_password_change():
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in _OPEN_DURING_FORCED_CHANGE and not request.path.startswith("/api/")):
        return redirect(url_for("accounts.change_password", next=request.full_path))
    return None


def keep_session_alive() -> None:
    # A permanent session expires PERMANENT_SESSION_LIFETIME after the last request, not after sign-in.
    session.permanent = True


def init_app(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(keep_session_alive)
    app.before_request(force_password_change)
