"""The generic tenancy and permission walk over every registered route.

As a member of organisation A in each role, every route is called against organisation B (B's slug, or
B's record ids under A's slug, or through an API token of A): it must answer exactly as for a record that
does not exist (404 when the role may take the action), and B's audit trail must not move. Every
organisation and API route must declare the action it needs, and a role without it gets 403.
New features inherit this by registering their routes' parameters in tenancy_registry.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from auditkit.accounts.tokens import create_token
from auditkit.core.audit_trail import AuditEntry
from auditkit.core.security import PERMISSIONS, Role
from auditkit.extensions import db
from tests.conftest import actor_of
from tests.tenancy_registry import OBJECT_MAKERS, PUBLIC_ENDPOINTS

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987654321
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _rules(app, prefix: str):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith(prefix) and rule.endpoint not in PUBLIC_ENDPOINTS]


def _methods(rule):
    return [m for m in METHODS if m in rule.methods]


def _url(rule, values: dict) -> str:
    return _PARAM.sub(lambda m: str(values[m.group(1)]), rule.rule)


def _required_action(app, rule, method: str) -> str | None:
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return getattr(view, "required_actions", {}).get(method)


def _missing(objects: dict) -> dict:
    """The same values with every record id or key replaced by one that exists nowhere (other parameters,
    such as a step name or a file format, stay: they choose the route, not the record)."""
    return {name: MISSING_ID if name.endswith(("_id", "_key")) else value for name, value in objects.items()}


def _objects(make, organisation, rule) -> dict:
    return {name: OBJECT_MAKERS[name](make, organisation) for name in rule.arguments if name != "slug"}


def _request(client, method: str, url: str, **kwargs):
    if method in ("POST", "PUT", "PATCH"):
        kwargs.setdefault("json" if url.startswith("/api/") else "data", {})
    return client.open(url, method=method, **kwargs)


def _chain_length(organisation_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == organisation_id)
    ).scalar_one()


def test_every_route_parameter_is_registered(app):
    unknown = {(rule.rule, name) for rule in app.url_map.iter_rules() for name in rule.arguments
               if name not in OBJECT_MAKERS and name not in ("slug", "filename")}
    assert not unknown, f"register these route parameters in tests/tenancy_registry.py: {sorted(unknown)}"


def test_every_organisation_and_api_route_declares_its_action(app):
    undeclared = []
    for rule in _rules(app, "/o/") + _rules(app, "/api/v1/"):
        for method in _methods(rule):
            action = _required_action(app, rule, method)
            if action is None:
                undeclared.append(f"{method} {rule.rule}")
            else:
                assert action in PERMISSIONS, f"{method} {rule.rule} needs unknown action {action}"
    assert not undeclared, f"declare the action with @requires(...): {undeclared}"


@pytest.mark.parametrize("role", list(Role))
def test_no_route_reaches_another_organisation(app, make, org, other_org, role):
    user = make.member(org, role)
    token = create_token(actor_of(user, org), name="walk")[1]
    other_before = _chain_length(other_org.id)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    leaks = []

    def check(method, url, missing_url, allowed, **kwargs):
        # B's record must answer exactly as a record that exists nowhere: 404, or the 403 of a role
        # without the action, or the 422 of an empty body checked before the lookup.
        response = _request(client, method, url, **kwargs)
        missing = _request(client, method, missing_url, **kwargs)
        expected = {404, 422} if allowed else {403, 404, 422}
        if response.status_code != missing.status_code or missing.status_code not in expected:
            leaks.append(f"{method} {url}: {response.status_code} (missing id: {missing.status_code})")

    for rule in _rules(app, "/o/"):
        for method in _methods(rule):
            action = _required_action(app, rule, method)
            allowed = action is not None and role in PERMISSIONS[action]
            # B's slug, with B's own records: not a member, so exactly like an unknown organisation.
            values = {"slug": other_org.slug, **_objects(make, other_org, rule)}
            response = _request(client, method, _url(rule, values))
            if response.status_code != 404:
                leaks.append(f"{method} {_url(rule, values)}: {response.status_code}")
            # A's slug with B's record ids, compared with ids that exist nowhere (routes that name a record).
            if any(name.endswith(("_id", "_key")) or name == "token" for name in rule.arguments):
                objects = _objects(make, other_org, rule)
                url = _url(rule, {"slug": org.slug, **objects})
                missing_url = _url(rule, {"slug": org.slug, **_missing(objects)})
                check(method, url, missing_url, allowed)
    auth = {"headers": {"Authorization": f"Bearer {token}"}}
    for rule in _rules(app, "/api/v1/"):
        if not rule.arguments:
            continue
        for method in _methods(rule):
            action = _required_action(app, rule, method)
            allowed = action is not None and role in PERMISSIONS[action]
            objects = _objects(make, other_org, rule)
            missing_url = _url(rule, _missing(objects))
            check(method, _url(rule, objects), missing_url, allowed, **auth)
    assert not leaks, "another organisation's data answered:\n" + "\n".join(leaks)
    # The walk creates B's records itself, outside any request; no request by A's member may change B.
    by_member = db.session.execute(
        select(AuditEntry.action, AuditEntry.table_name)
        .where(AuditEntry.chain == other_org.id, AuditEntry.actor_user_id == user.id)
    ).all()
    assert by_member == [], f"a request by A's member changed B's data: {by_member}"
    assert _chain_length(other_org.id) > other_before  # the check above looked at a live chain


@pytest.mark.parametrize("role", list(Role))
def test_roles_get_403_for_actions_they_lack(app, make, org, role):
    user = make.member(org, role)
    token = create_token(actor_of(user, org), name="walk")[1]
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    wrong = []
    for prefix, extra in (("/o/", {}), ("/api/v1/", {"headers": {"Authorization": f"Bearer {token}"}})):
        for rule in _rules(app, prefix):
            for method in _methods(rule):
                action = _required_action(app, rule, method)
                values = {"slug": org.slug, **_objects(make, org, rule)}
                response = _request(client, method, _url(rule, values), **extra)
                allowed = role in PERMISSIONS[action]
                if (response.status_code == 403) == allowed or response.status_code >= 500:
                    wrong.append(f"{role} {method} {_url(rule, values)} ({action}): {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_system_administration_is_for_system_administrators_only(app, make, org, admin):
    rules = _rules(app, "/admin/")
    assert rules
    members = [make.member(org, role) for role in Role]
    for user in [*members, admin]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        for rule in rules:
            for method in _methods(rule):
                response = _request(client, method, _url(rule, _objects(make, org, rule)))
                status = response.status_code
                if user is admin:
                    assert status < 400 or status in (400, 422), f"admin {method} {rule.rule}: {status}"
                else:
                    assert status == 403, f"{user.email} {method} {rule.rule}: {status}"


def test_anonymous_visitors_are_sent_to_sign_in_or_refused(app, make, org):
    client = app.test_client()
    for rule in [*_rules(app, "/o/"), *_rules(app, "/admin/"), *_rules(app, "/api/v1/")]:
        for method in _methods(rule):
            url = _url(rule, {"slug": org.slug, **_objects(make, org, rule)})
            response = _request(client, method, url)
            if url.startswith("/api/"):
                assert response.status_code == 401, f"{method} {url}"
                assert response.get_json()["error"]["code"] == "unauthorized"
            else:
                assert response.status_code == 302, f"{method} {url}: {response.status_code}"
                assert "/login?next=" in response.location
