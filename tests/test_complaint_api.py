"""The complaint register's API: recording (idempotent on external id, also under concurrent retries), the
fields named on refusal, filters and keyset pages, masking by role, every lifecycle transition with its
version, stale and illegal steps, the timeline, attachments checked by content, another organisation's ids,
and the OpenAPI document."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from auditkit.accounts.tokens import create_token
from auditkit.complaints import lifecycle
from auditkit.complaints.intake import NewComplaint, hash_code, receive_complaint
from auditkit.complaints.models import Category, Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.complaints.states import TRANSITIONS
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of

API = "/api/v1/complaints"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00" + bytes(64)


@pytest.fixture(autouse=True)
def uploads_folder(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def stored_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def bearer(user, organisation) -> dict:
    return {"Authorization": f"Bearer {create_token(actor_of(user, organisation), name='test')[1]}"}


@pytest.fixture
def as_handler(handler, org) -> dict:
    return bearer(handler, org)


def receive(org, **values) -> Complaint:
    data = NewComplaint(**{"description": "No signal at home since Monday.", "email": "sara.ahmadi@example.org",
                           "complainant_name": "Sara Ahmadi", "phone": "+98 912 345 6789", **values})
    return receive_complaint(org, data, actor_id=None, actor_label="test")[0]


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["code"] == code and error["message"]
    return error


# Recording ------------------------------------------------------------------------------------------------

def test_recording_returns_the_tracking_code_once_and_a_repeat_returns_the_same_complaint(
        client, as_handler, handler, org, other_org, make):
    body = {"description": "Billed twice for March.", "email": "reza@example.org", "complainant_name": "Reza",
            "external_id": "crm-42", "occurred_on": "2025-03-01"}
    created = client.post(API, headers=as_handler, json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    first = created.get_json()
    assert (first["channel"], first["status"], first["version"], first["external_id"]) == (
        "api", "received", 1, "crm-42")
    assert first["allowed_steps"] == ["acknowledge", "assess", "withdraw", "reject"]
    assert first["ack_due_at"] and first["response_due_at"] and first["overdue"] is False
    complaint = db.session.get(Complaint, first["id"])
    assert complaint.tracking_code_hash == hash_code(first["tracking_code"])
    assert [(e.kind, e.actor_id) for e in complaint.events] == [("receive", handler.id)]
    assert complaint.events[0].actor_label.startswith(f"{handler.email} (API token ")

    again = client.post(API, headers=as_handler, json={**body, "description": "Something else entirely"})
    assert again.status_code == 200
    repeat = again.get_json()
    assert repeat["id"] == first["id"] and repeat["tracking_code"] is None
    assert repeat["description"] == "Billed twice for March."
    assert count(Complaint, organisation_id=org.id) == 1
    # External ids are per organisation: another organisation's same id is its own complaint.
    theirs = client.post(API, headers=bearer(make.member(other_org, Role.HANDLER), other_org), json=body)
    assert theirs.status_code == 201 and theirs.get_json()["id"] != first["id"]


@pytest.mark.parametrize(("body", "code", "fields"), [
    ({"email": "a@example.org"}, "unprocessable_entity", {"description"}),
    ({"description": "Billed twice"}, "validation_failed", {"email"}),
    ({"description": "  ", "phone": "", "email": ""}, "validation_failed", {"description", "email"}),
    ({"description": "Billed twice", "email": "not-an-address"}, "validation_failed", {"email"}),
    ({"description": "x", "email": "a@example.org", "channel": "pigeon"}, "unprocessable_entity", {"channel"}),
    ({"description": "x", "email": "a@example.org", "received_at": "2025-01-01T10:00:00"},
     "unprocessable_entity", {"received_at"}),
    ({"description": "x", "email": "a@example.org", "category_id": 987654},
     "validation_failed", {"category_id"}),
    ({"descripton": "typo", "email": "a@example.org"}, "unprocessable_entity", {"description", "descripton"}),
])
def test_refusals_name_the_fields_and_write_nothing(client, as_handler, org, body, code, fields):
    error = error_of(client.post(API, headers=as_handler, json=body), 422, code)
    assert set(error["fields"]) == fields
    assert count(Complaint, organisation_id=org.id) == 0


@pytest.mark.committed
def test_concurrent_retries_with_one_external_id_record_one_complaint(app, make):
    organisation = make.organisation(name="Busy", slug="busy")
    headers = bearer(make.member(organisation, Role.HANDLER), organisation)
    db.session.commit()
    threads, results = 6, []
    barrier = threading.Barrier(threads)
    body = {"description": "Sent by a CRM that retries.", "email": "a@example.org", "external_id": "crm-7"}

    def post() -> None:
        barrier.wait(timeout=10)
        response = app.test_client().post(API, headers=headers, json=body)
        results.append((response.status_code, (response.get_json() or {}).get("id")))

    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(status for status, _id in results) == [200] * (threads - 1) + [201], results
    assert len({ident for _status, ident in results}) == 1
    assert count(Complaint, organisation_id=organisation.id) == 1


# The register ---------------------------------------------------------------------------------------------

def test_filters_and_keyset_pages(client, as_handler, handler, org, other_org):
    now = datetime.now(UTC)
    billing = Category(organisation_id=org.id, code="billing", name="Billing")
    db.session.add(billing)
    db.session.flush()
    recent = [receive(org, received_at=now - timedelta(hours=n), channel=("email", "phone")[n % 2])
              for n in range(1, 7)]
    old = receive(org, received_at=now - timedelta(days=60), description="An old one about the router")
    receive(other_org)
    recent[0].category_id, recent[1].assignee_id = billing.id, handler.id
    lifecycle.assess_complaint(actor_of(handler, org), recent[2], org, version=1, severity="high",
                               safety_implication=False, complexity="low", impact="low")
    db.session.flush()

    def ids(query: str) -> list[int]:
        response = client.get(f"{API}?{query}", headers=as_handler)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["id"] for item in response.get_json()["items"]]

    newest_first = [c.id for c in [*recent, old]]
    seen, cursor, pages = [], None, 0
    while True:
        body = client.get(f"{API}?limit=3" + (f"&after={cursor}" if cursor else ""), headers=as_handler).get_json()
        seen += [item["id"] for item in body["items"]]
        pages, cursor = pages + 1, body["next"]
        if cursor is None:
            break
    assert seen == newest_first and pages == 3
    assert ids("sort=oldest&limit=2") == [old.id, recent[-1].id]
    assert ids("channel=phone") == [c.id for c in recent if c.channel == "phone"]
    assert ids(f"category_id={billing.id}") == [recent[0].id]
    assert ids(f"assignee_id={handler.id}") == [recent[1].id]
    assert recent[1].id not in ids("unassigned=true")
    assert ids("severity=high") == ids("status=assessed") == [recent[2].id]
    assert ids("overdue=true") == [old.id]
    assert ids("q=ROUTER") == [old.id]
    day = (now - timedelta(days=60)).date().isoformat()
    assert ids(f"received_from={day}&received_to={day}") == [old.id]


def test_the_due_soon_filter(client, as_handler, org):
    now = datetime.now(UTC)
    soon, later = receive(org), receive(org)
    soon.ack_due_at, later.ack_due_at = now + timedelta(hours=5), now + timedelta(hours=40)
    db.session.commit()
    items = client.get(f"{API}?due_soon=true", headers=as_handler).get_json()["items"]
    assert [item["reference"] for item in items] == [soon.reference]


@pytest.mark.parametrize(("query", "field"), [
    ("limit=201", "limit"), ("limit=0", "limit"), ("after=page-two", "after"), ("status=lost", "status"),
    ("received_from=yesterday", "received_from"),
])
def test_bad_filters_are_named(client, as_handler, query, field):
    error = error_of(client.get(f"{API}?{query}", headers=as_handler), 422, "unprocessable_entity")
    assert field in error["fields"]


def test_a_page_takes_the_same_queries_for_two_rows_as_for_twenty(client, as_handler, org):
    for n in range(20):
        receive(org, received_at=datetime.now(UTC) - timedelta(minutes=n))
    db.session.flush()
    connection = db.session.get_bind()

    def statements(limit: int) -> int:
        seen: list[str] = []

        def note(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", note)
        try:
            response = client.get(f"{API}?limit={limit}", headers=as_handler)
        finally:
            event.remove(connection, "before_cursor_execute", note)
        assert len(response.get_json()["items"]) == limit
        return len(seen)

    statements(1)  # the token's first use is written once
    assert statements(2) == statements(20)


@pytest.mark.parametrize(("role", "clear"), [(Role.HANDLER, True), (Role.MANAGER, True), (Role.VIEWER, False),
                                             (Role.AUDITOR, False), (Role.CONSULTANT, False)])
def test_personal_data_is_masked_for_roles_that_do_not_handle_complaints(client, make, org, role, clear):
    complaint = receive(org)
    headers = bearer(make.member(org, role), org)
    one = client.get(f"{API}/{complaint.id}", headers=headers).get_json()
    listed = client.get(API, headers=headers).get_json()["items"][0]
    for shown in (one, listed):
        if clear:
            assert (shown["email"], shown["complainant_name"], shown["phone"]) == (
                "sara.ahmadi@example.org", "Sara Ahmadi", "+98 912 345 6789")
        else:
            assert (shown["email"], shown["complainant_name"], shown["phone"]) == (
                "s•••@example.org", "S••• A•••••", "••••••••••89")
        assert shown["description"] == "No signal at home since Monday." and shown["version"] == 1


# The lifecycle --------------------------------------------------------------------------------------------

def step(client, headers, complaint_id: int, name: str, version: int, **data):
    return client.post(f"{API}/{complaint_id}/transitions/{name}", headers=headers,
                       json={"version": version, **data})


def test_every_transition_through_the_api(client, as_handler, handler, org):
    main, withdrawn, rejected = receive(org), receive(org), receive(org)
    today = datetime.now(UTC).date().isoformat()
    path = [
        ("acknowledge", {"method": "email", "note": "Called back"}),
        ("assess", {"severity": "high", "safety_implication": False, "complexity": "low", "impact": "medium"}),
        ("investigate", {"notes": "Checked the mast"}),
        ("escalate", {"reason": "Second outage", "escalated_to": "Network director"}),
        ("decide", {"remedy": "Credit one month", "outcome": "partly_upheld", "root_cause": "Mast fault"}),
        ("communicate", {"method": "phone"}),
        ("refer_external", {"provider": "Telecom ombudsman", "method": "facilitative", "referred_on": today}),
        ("close", {"accepted": False, "options_exhausted": True, "external_outcome": "partly_for_complainant",
                   "outcome_on": today}),
        ("reopen", {"reason": "The ombudsman asked us to look again"}),
        ("decide", {"remedy": "Credit two months", "outcome": "upheld"}),
        ("communicate", {"method": "letter"}),
        ("close", {"accepted": True}),
    ]
    version, tokens = 1, []
    for name, data in path:
        response = step(client, as_handler, main.id, name, version, **data)
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        body = response.get_json()
        transition = TRANSITIONS[name]
        assert body["complaint"]["status"] == transition.target.value
        assert (body["event"]["kind"], body["event"]["clause_key"]) == (name, transition.clause)
        assert body["event"]["actor_label"].startswith(handler.email)
        assert body["complaint"]["version"] > version
        version = body["complaint"]["version"]
        if name == "close":
            tokens.append(body["survey_token"])
            assert urlsplit(body["survey_url"]).path == f"/p/{org.slug}/survey/{body['survey_token']}"
    db.session.expire_all()
    closed = db.session.get(Complaint, main.id)
    assert (closed.status, closed.accepted, closed.outcome, closed.escalation_level, closed.reopen_count) == (
        "closed", True, "upheld", 1, 1)
    assert closed.survey_token_hash == hash_code(tokens[-1]) and closed.referral == {
        "provider": "Telecom ombudsman", "method": "facilitative", "referred_on": today,
        "external_outcome": "partly_for_complainant", "outcome_on": today}
    assert "survey_token" not in client.get(f"{API}/{main.id}", headers=as_handler).get_json()
    assert client.get(f"/p/{org.slug}/survey/{tokens[-1]}").status_code == 200
    for complaint, name in ((withdrawn, "withdraw"), (rejected, "reject")):
        response = step(client, as_handler, complaint.id, name, 1, reason="As the complainant said")
        assert response.get_json()["complaint"]["status"] == TRANSITIONS[name].target.value
    covered = {name for name, _data in path} | {"withdraw", "reject"}
    assert covered == set(TRANSITIONS)


def test_a_stale_version_is_409_and_nothing_is_overwritten(client, as_handler, org):
    complaint = receive(org)
    assert step(client, as_handler, complaint.id, "acknowledge", 1, method="email").status_code == 200
    error_of(step(client, as_handler, complaint.id, "reject", 1, reason="Not ours"), 409, "conflict")
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "acknowledged"


def test_a_step_the_state_does_not_allow_is_422_naming_the_allowed_steps(client, as_handler, org):
    complaint = receive(org)
    error = error_of(step(client, as_handler, complaint.id, "close", 1, accepted=True), 422, "validation_failed")
    assert "acknowledge, assess, withdraw, reject" in error["message"]
    assert "“close” is not possible now" in error["message"]
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "received"
    assert count(ComplaintEvent, complaint_id=complaint.id) == 1


def test_each_step_names_what_it_lacks(client, as_handler, handler, org):
    complaint = receive(org)
    error = error_of(step(client, as_handler, complaint.id, "assess", 1, severity="dire"), 422,
                     "unprocessable_entity")
    assert set(error["fields"]) == {"severity", "safety_implication", "complexity", "impact"}
    error = error_of(step(client, as_handler, complaint.id, "reject", 1, reason="  "), 422, "validation_failed")
    assert set(error["fields"]) == {"reason"}
    error = error_of(step(client, as_handler, complaint.id, "acknowledge", 1, method="email",
                          at="2020-01-01T00:00:00+00:00"), 422, "validation_failed")
    assert set(error["fields"]) == {"at"}
    error_of(client.post(f"{API}/{complaint.id}/transitions/fly", headers=as_handler, json={"version": 1}),
             404, "not_found")
    actor = actor_of(handler, org)
    lifecycle.assess_complaint(actor, complaint, org, version=1, severity="low", safety_implication=False,
                               complexity="low", impact="low")
    lifecycle.investigate_complaint(actor, complaint, version=complaint.version)
    lifecycle.decide_response(actor, complaint, version=complaint.version, remedy="Apology", outcome="upheld")
    lifecycle.communicate_decision(actor, complaint, version=complaint.version, method="phone")
    db.session.flush()
    error = error_of(step(client, as_handler, complaint.id, "close", complaint.version, accepted=False), 422,
                     "validation_failed")
    assert set(error["fields"]) == {"accepted"}


def test_the_timeline(client, as_handler, handler, org):
    complaint = receive(org, channel="phone")
    step(client, as_handler, complaint.id, "acknowledge", 1, method="sms", note="Texted")
    events = client.get(f"{API}/{complaint.id}/events", headers=as_handler).get_json()
    assert [(e["kind"], e["from_status"], e["to_status"], e["clause_key"]) for e in events] == [
        ("receive", None, "received", "iso10002:2018:7.2"),
        ("acknowledge", "received", "acknowledged", "iso10002:2018:7.4")]
    assert events[0]["data"] == {"channel": "phone"} and events[1]["data"] == {"method": "sms", "note": "Texted"}
    assert events[1]["actor_label"].startswith(handler.email) and events[1]["at"]


# Attachments ----------------------------------------------------------------------------------------------

def upload(client, headers, complaint_id: int, content: bytes, name: str):
    return client.post(f"{API}/{complaint_id}/attachments", headers=headers,
                       data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_a_pdf_is_attached_listed_and_downloaded(client, as_handler, handler, make, org, uploads_folder):
    complaint = receive(org)
    response = upload(client, as_handler, complaint.id, PDF, "receipt.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    attached = response.get_json()
    assert (attached["filename"], attached["media_type"], attached["size"]) == ("receipt.pdf", "application/pdf",
                                                                              len(PDF))
    row = db.session.get(ComplaintAttachment, attached["id"])
    assert stored_files(uploads_folder) == [row.storage_key] and row.storage_key.endswith(".pdf")
    assert [a["id"] for a in client.get(f"{API}/{complaint.id}/attachments", headers=as_handler).get_json()] == [
        row.id]
    download = client.get(f"{API}/{complaint.id}/attachments/{row.id}", headers=as_handler)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment") and "receipt.pdf" in \
        download.headers["Content-Disposition"]
    timeline = client.get(f"{API}/{complaint.id}/events", headers=as_handler).get_json()
    assert (timeline[-1]["kind"], timeline[-1]["data"]) == ("attachment", {"filename": "receipt.pdf", "size": len(PDF)})
    assert timeline[-1]["actor_label"].startswith(handler.email)

    viewer = bearer(make.member(org, Role.VIEWER), org)
    assert [a["filename"] for a in client.get(f"{API}/{complaint.id}/attachments", headers=viewer).get_json()] == [
        "r•••••"]
    seen = client.get(f"{API}/{complaint.id}/events", headers=viewer).get_json()[-1]["data"]
    assert seen == {"filename": "r•••••", "size": len(PDF)}  # a file name can name the complainant
    error_of(client.get(f"{API}/{complaint.id}/attachments/{row.id}", headers=viewer), 403, "forbidden")
    error_of(upload(client, viewer, complaint.id, PDF, "again.pdf"), 403, "forbidden")
    other = receive(org)  # the attachment through another complaint's URL
    error_of(client.get(f"{API}/{other.id}/attachments/{row.id}", headers=as_handler), 404, "not_found")


@pytest.mark.parametrize(("content", "name", "says"), [
    (PROGRAM, "invoice.pdf", "“invoice.pdf” is a program"),
    (b"#!/bin/sh\nrm -rf ~\n", "notes.txt", "“notes.txt” is a program"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo.png", "“photo.png” is not a type of file we accept"),
    (b"", "empty.pdf", "“empty.pdf” is empty"),
])
def test_programs_and_other_types_are_refused_by_content(client, as_handler, org, uploads_folder, content, name,
                                                         says):
    complaint = receive(org)
    error = error_of(upload(client, as_handler, complaint.id, content, name), 422, "validation_failed")
    assert any(says in message for message in error["fields"]["file"])
    assert count(ComplaintAttachment) == 0 and stored_files(uploads_folder) == []
    assert count(ComplaintEvent, complaint_id=complaint.id, kind="attachment") == 0


def test_a_file_over_the_limit_and_a_missing_file_are_named(client, as_handler, org, uploads_folder):
    complaint = receive(org)
    big = PDF + bytes(10 * 1024 * 1024)
    error = error_of(upload(client, as_handler, complaint.id, big, "scan.pdf"), 422, "validation_failed")
    assert "“scan.pdf” is larger than 10 MB" in error["fields"]["file"][0]
    error = error_of(client.post(f"{API}/{complaint.id}/attachments", headers=as_handler, data={},
                                 content_type="multipart/form-data"), 422, "unprocessable_entity")
    assert set(error["fields"]) == {"file"}
    complaint.anonymised_at = datetime.now(UTC)
    db.session.flush()
    error = error_of(upload(client, as_handler, complaint.id, PDF, "late.pdf"), 422, "validation_failed")
    assert "files cannot be attached" in error["fields"]["file"][0]
    assert stored_files(uploads_folder) == []


# Tenancy and the document ---------------------------------------------------------------------------------

def test_another_organisations_complaint_is_404_everywhere(client, as_handler, other_org):
    theirs = receive(other_org)
    for method, url, kwargs in (
            ("GET", f"{API}/{theirs.id}", {}), ("GET", f"{API}/{theirs.id}/events", {}),
            ("GET", f"{API}/{theirs.id}/attachments", {}),
            ("POST", f"{API}/{theirs.id}/transitions/acknowledge", {"json": {"version": 1, "method": "email"}})):
        error_of(client.open(url, method=method, headers=as_handler, **kwargs), 404, "not_found")
    error_of(upload(client, as_handler, theirs.id, PDF, "a.pdf"), 404, "not_found")
    assert all(theirs.id != item["id"] for item in client.get(API, headers=as_handler).get_json()["items"])
    db.session.expire_all()
    assert db.session.get(Complaint, theirs.id).status == "received"


def test_the_openapi_document_has_every_path_and_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {API, f"{API}/{{complaint_id}}", f"{API}/{{complaint_id}}/events",
                f"{API}/{{complaint_id}}/attachments", f"{API}/{{complaint_id}}/attachments/{{attachment_id}}",
                *(f"{API}/{{complaint_id}}/transitions/{name}" for name in TRANSITIONS)}
    assert expected <= set(paths)
    schemas = spec["components"]["schemas"]
    assert {"Complaint", "ComplaintCreate", "ComplaintCreated", "RegisterPage", "Event", "Attachment",
            "AttachmentUpload", "StepResult", "CloseResult", "AcknowledgeStep", "AssessStep", "InvestigateStep",
            "DecideStep", "CommunicateStep", "CloseStep", "EscalateStep", "ReferExternalStep",
            "ReasonStep"} <= set(schemas)
    close = paths[f"{API}/{{complaint_id}}/transitions/close"]["post"]
    for name in TRANSITIONS:  # a stale version and a refused step are declared, in the one error shape
        responses = paths[f"{API}/{{complaint_id}}/transitions/{name}"]["post"]["responses"]
        assert {"200", "409", "422"} <= set(responses), name
        assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert set(schemas["Error"]["properties"]) == {"error"}
    assert set(schemas["ErrorDetail"]["properties"]) == {"status", "code", "message", "fields"}
    assert close["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CloseStep")
    attach = paths[f"{API}/{{complaint_id}}/attachments"]["post"]["requestBody"]["content"]
    assert attach["multipart/form-data"]["schema"]["$ref"].endswith("/AttachmentUpload")
    assert {"200", "201"} <= set(paths[API]["post"]["responses"])
    assert {p["name"] for p in paths[API]["get"]["parameters"]} >= {
        "status", "channel", "category_id", "severity", "assignee_id", "overdue", "received_from", "received_to",
        "q", "after", "limit"}
    assert schemas["AssessStep"]["properties"]["severity"]["enum"] == ["low", "medium", "high", "critical"]
