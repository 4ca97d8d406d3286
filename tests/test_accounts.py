"""Signing in and out, throttling, passwords, sessions, CSRF and the security headers."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from auditkit.accounts.models import LoginFailure, User
from auditkit.accounts.services import reset_password
from auditkit.extensions import db
from tests.conftest import PASSWORD


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_sign_in_goes_back_to_where_the_user_was(client, manager, org):
    response = client.get(f"/o/{org.slug}/members")
    assert response.status_code == 302 and "/login?next=" in response.location
    response = sign_in(client, manager.email, next=f"/o/{org.slug}/members")
    assert response.status_code == 302 and response.location.endswith(f"/o/{org.slug}/members")
    assert client.get(f"/o/{org.slug}/members").status_code == 200


def test_sign_in_never_redirects_off_site(client, manager):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = sign_in(client, manager.email, next=target)
        assert response.status_code == 302 and "evil" not in response.location
        client.post("/logout")


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, manager):
    wrong = sign_in(client, manager.email, "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "The email address or password is not correct." in response.get_data(as_text=True)


def test_an_empty_form_names_the_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and 'id="password-error"' in page


def test_repeated_failures_for_an_account_answer_429(app, client, manager):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert sign_in(client, manager.email, "wrong password!").status_code == 422
    response = sign_in(client, manager.email)  # even the right password waits now
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.get_data(as_text=True)


def test_repeated_failures_from_one_address_answer_429(app, client, make):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for n in range(limit):
        sign_in(client, f"guess{n}@example.org", "wrong password!")
    user = make.user()
    response = sign_in(client, user.email)
    assert response.status_code == 429
    assert "network address" in response.get_data(as_text=True)


def test_success_clears_the_accounts_failures(client, manager):
    sign_in(client, manager.email, "wrong password!")
    assert sign_in(client, manager.email).status_code == 302
    count = db.session.execute(select(func.count()).select_from(LoginFailure)
                               .where(LoginFailure.email == manager.email)).scalar_one()
    assert count == 0


def test_a_deactivated_account_cannot_sign_in(client, manager):
    manager.active = False
    db.session.flush()
    assert sign_in(client, manager.email).status_code == 422


def test_change_password_ends_other_sessions(app, manager, org):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert sign_in(client, manager.email).status_code == 302
    response = first.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert first.get(f"/o/{org.slug}/").status_code == 200
    assert second.get(f"/o/{org.slug}/").status_code == 302  # signed out
    assert sign_in(app.test_client(), manager.email, "a brand new secret").status_code == 302


def test_change_password_refuses_bad_input_and_changes_nothing(login, manager):
    before = manager.password_hash
    client = login(manager)
    response = client.post("/account/password", data={
        "current_password": "wrong", "new_password": "short", "confirm": "short"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This is not your current password." in page and "at least 10 characters" in page
    db.session.expire_all()
    assert db.session.get(User, manager.id).password_hash == before


def test_reset_by_an_administrator_forces_a_new_password(client, admin, manager, org):
    temporary = reset_password(admin, manager)
    db.session.flush()
    assert sign_in(client, manager.email, temporary).status_code == 302
    response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 302 and "/account/password" in response.location
    client.post("/account/password", data={"current_password": temporary,
                                           "new_password": "my own password", "confirm": "my own password"})
    assert client.get(f"/o/{org.slug}/").status_code == 200


def test_admin_reset_page_shows_the_one_time_password_once(login, admin, manager):
    client = login(admin)
    response = client.post(f"/admin/users/{manager.id}/reset-password")
    assert response.status_code == 200
    assert 'id="temporary-password"' in response.get_data(as_text=True)
    assert 'id="temporary-password"' not in client.get(f"/admin/users/{manager.id}").get_data(as_text=True)


def test_an_expired_session_goes_to_sign_in_and_back(app, client, manager, org):
    assert sign_in(client, manager.email).status_code == 302
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    try:
        time.sleep(2.1)
        response = client.get(f"/o/{org.slug}/settings")
        assert response.status_code == 302 and f"next=%2Fo%2F{org.slug}%2Fsettings" in response.location
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=8)
    response = sign_in(client, manager.email, next=f"/o/{org.slug}/settings")
    assert response.location.endswith(f"/o/{org.slug}/settings")


def test_sign_out(login, manager, org):
    client = login(manager)
    assert client.post("/logout").status_code == 302
    assert client.get(f"/o/{org.slug}/").status_code == 302


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_forms_refuse_a_post_without_the_csrf_token(csrf_on, client, login, manager, org):
    assert sign_in(client, manager.email).status_code == 400
    client = login(manager)
    response = client.post(f"/o/{org.slug}/members", data={"email": "x@example.org", "role": "viewer"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_session_cookie_and_security_headers(client, manager):
    response = sign_in(client, manager.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/login")
    policy = page.headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in page.get_data(as_text=True)  # no inline script anywhere


def test_no_stack_trace_reaches_a_user(login, manager, monkeypatch):
    def boom(_user):
        raise RuntimeError("internal detail")

    monkeypatch.setattr("auditkit.web.views.memberships_of", boom)
    response = login(manager).get("/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "internal detail" not in page and "Traceback" not in page
    assert "Something went wrong on our side" in page
