"""The API base: OpenAPI document, local docs page, bearer tokens and the one error shape."""

from __future__ import annotations

import re

import pytest

from auditkit.accounts.tokens import create_token
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of


@pytest.fixture
def bearer(make, org):
    def token_for(user) -> dict:
        return {"Authorization": f"Bearer {create_token(actor_of(user, org), name='test')[1]}"}

    return token_for


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_the_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/organisation", "/api/v1/members"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_page_uses_local_assets_only(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in source for source in sources)
    assert all(source.startswith("/") or source.startswith("#") for source in sources), sources


def test_me_answers_for_a_valid_token(client, bearer, handler, org):
    response = client.get("/api/v1/me", headers=bearer(handler))
    assert response.status_code == 200
    assert response.get_json() == {"id": handler.id, "email": handler.email, "name": handler.name,
                                   "organisation": org.slug, "role": "handler"}


def test_missing_wrong_and_revoked_tokens_get_401(client, make, org, handler):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer ak_nope"}), 401, "unauthorized")
    token, secret = create_token(actor_of(handler, org), name="soon revoked")
    token.revoked_at = token.created_at
    db.session.flush()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_ends_with_its_membership(client, bearer, make, org):
    user = make.member(org, Role.VIEWER)
    headers = bearer(user)
    db.session.delete(user.memberships[0])
    db.session.flush()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_revoking_a_token_in_the_browser(login, make, org, viewer):
    token, secret = create_token(actor_of(viewer, org), name="laptop")
    client = login(viewer)
    assert "laptop" in client.get(f"/o/{org.slug}/tokens").get_data(as_text=True)
    assert client.post(f"/o/{org.slug}/tokens/{token.id}/revoke").status_code == 302
    anonymous = client.application.test_client()
    assert anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_creating_a_token_in_the_browser_shows_it_once(login, org, viewer):
    client = login(viewer)
    page = client.post(f"/o/{org.slug}/tokens", data={"name": "CRM import"}).get_data(as_text=True)
    secret = re.search(r'id="new-token"[^>]*>(ak_[^<]+)<', page).group(1)
    assert secret not in client.get(f"/o/{org.slug}/tokens").get_data(as_text=True)
    me = client.application.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["role"] == "viewer"


def test_a_forbidden_action_is_403(client, bearer, viewer):
    response = client.put("/api/v1/organisation", headers=bearer(viewer),
                          json={"name": "X", "locale": "en", "timezone": "UTC", "version": 1})
    assert_error(response, 403, "forbidden")


def test_bad_json_names_the_field_and_writes_nothing(client, bearer, manager, org):
    response = client.put("/api/v1/organisation", headers=bearer(manager),
                          json={"name": "", "locale": "klingon", "version": 1})
    error = assert_error(response, 422, "unprocessable_entity")
    assert {"name", "locale", "timezone"} <= set(error["fields"])
    response = client.put("/api/v1/organisation", headers=bearer(manager),
                          json={"name": "Ok", "locale": "en", "timezone": "Mars/Base", "version": 1})
    assert assert_error(response, 422, "validation_failed")["fields"]["timezone"]
    response = client.put("/api/v1/organisation", headers={**bearer(manager), "Content-Type": "application/json"},
                          data="{not json")
    assert response.status_code in (400, 422) and "error" in response.get_json()
    db.session.refresh(org)
    assert org.name == "Alpha Telecom"


def test_a_stale_version_is_409(client, bearer, manager, org):
    headers = bearer(manager)
    body = {"name": "Alpha", "locale": "en", "timezone": "UTC", "version": org.version}
    assert client.put("/api/v1/organisation", headers=headers, json=body).status_code == 200
    assert_error(client.put("/api/v1/organisation", headers=headers, json=body), 409, "conflict")


def test_members_are_paginated_and_managed(client, bearer, manager, org, make):
    for _ in range(3):
        make.member(org, Role.VIEWER)
    headers = bearer(manager)
    response = client.get("/api/v1/members?page=1&page_size=2", headers=headers)
    assert response.status_code == 200 and len(response.get_json()) == 2
    assert '"total": 4' in response.headers["X-Pagination"]
    created = client.post("/api/v1/members", headers=headers, json={"email": "api@example.org", "role": "auditor"})
    assert created.status_code == 201 and created.get_json()["temporary_password"]
    member_id = created.get_json()["id"]
    assert client.patch(f"/api/v1/members/{member_id}", headers=headers, json={"role": "viewer"}).get_json()[
        "role"] == "viewer"
    assert client.delete(f"/api/v1/members/{member_id}", headers=headers).status_code == 204
    assert_error(client.get(f"/api/v1/members/{member_id}", headers=headers), 404, "not_found")


def test_unknown_api_paths_answer_json_404(client, bearer, viewer):
    assert_error(client.get("/api/v1/nothing-here", headers=bearer(viewer)), 404, "not_found")


def test_the_cli_prints_a_working_token(app, client, handler, org):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--user", handler.email, "--org", org.slug])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["role"] == "handler"
    result = app.test_cli_runner().invoke(args=["tokens", "create", "--user", handler.email, "--org", "nope"])
    assert result.exit_code == 2 and "is not a member" in result.output
