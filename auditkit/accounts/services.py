"""Account rules: creating users, signing in with throttling, changing and resetting passwords.

Refuses: a malformed or taken email, a weak password, a wrong current password, anyone but a system
administrator creating users or resetting others' passwords, sign-ins to an inactive account, and more
than the configured number of failed sign-ins per account or per address within the window (429).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from auditkit.accounts.models import LoginFailure, User
from auditkit.accounts.passwords import hash_password, needs_rehash, password_problems, verify_password
from auditkit.core.db import utcnow
from auditkit.core.errors import Forbidden, TooManyRequests, ValidationFailed
from auditkit.extensions import db


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed({"email": _("Enter a valid email address.")}) from None


def find_user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def _require_admin(admin: User | None) -> None:
    if admin is not None and not admin.is_system_admin:
        raise Forbidden()


def create_user(admin: User | None, *, email: str, password: str, name: str = "",
                is_system_admin: bool = False, must_change_password: bool = False) -> User:
    """Create an account. `admin` is the system administrator doing it, or None for the CLI and seeders."""
    _require_admin(admin)
    email = normalise_email(email)
    errors: dict[str, list[str]] = {}
    if find_user(email) is not None:
        errors["email"] = [_("An account with this email address already exists.")]
    if problems := password_problems(password, email):
        errors["password"] = problems
    if len(name) > 200:
        errors["name"] = [_("Use at most 200 characters.")]
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                is_system_admin=is_system_admin, must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    return user


# For one-time passwords read out or copied by hand: no 0/O, 1/l/I look-alikes.
_UNAMBIGUOUS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password() -> str:
    return "".join(secrets.choice(_UNAMBIGUOUS) for _ in range(16))


def _recent_failures(column, value: str) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return db.session.execute(
        select(func.count()).select_from(LoginFailure).where(column == value, LoginFailure.at >= since)
    ).scalar_one()


def _check_throttle(email: str, address: str) -> None:
    minutes = max(1, current_app.config["LOGIN_WINDOW_SECONDS"] // 60)
    if _recent_failures(LoginFailure.email, email) >= current_app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        raise TooManyRequests(_("Too many failed sign-ins for this account. Wait %(minutes)d minutes and "
                                "try again, or ask an administrator to reset your password.",
                                minutes=minutes))
    per_address = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    if _recent_failures(LoginFailure.address, address) >= per_address:
        raise TooManyRequests(_("Too many failed sign-ins from your network address. Wait %(minutes)d "
                                "minutes and try again.", minutes=minutes))


def authenticate(email: str, password: str, address: str) -> User:
    """The user these credentials belong to. A failure is recorded (the caller commits it) and raises
    ValidationFailed; too many recent failures raise TooManyRequests before the password is checked."""
    email = email.strip().lower()
    _check_throttle(email, address)
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        now = utcnow()
        # Failures older than a day count for nothing; dropping them here keeps the table small.
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
        db.session.add(LoginFailure(email=email, address=address, at=now))
        raise ValidationFailed({"_": _("The email address or password is not correct.")})
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1  # ends every other session of this user


def change_password(user: User, *, current: str, new: str) -> None:
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = [_("This is not your current password.")]
    if problems := password_problems(new, user.email):
        errors["new_password"] = problems
    elif current == new:
        errors["new_password"] = [_("Choose a password different from the current one.")]
    if errors:
        raise ValidationFailed(errors)
    _set_password(user, new)
    user.must_change_password = False
    db.session.flush()


def reset_password(admin: User, user: User) -> str:
    """Give `user` a new one-time password (returned, to hand over) that must be changed at next sign-in."""
    _require_admin(admin)
    temporary = generate_password()
    _set_password(user, temporary)
    user.must_change_password = True
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    db.session.flush()
    return temporary


def set_active(admin: User, user: User, active: bool) -> None:
    _require_admin(admin)
    if admin is not None and admin.id == user.id and not active:
        raise ValidationFailed({"_": _("You cannot deactivate your own account.")})
    user.active = active
    if not active:
        user.session_version += 1
    db.session.flush()


def set_preferred_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()
