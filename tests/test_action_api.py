"""The corrective-action API: the journey from a complaint trend to a verified, closed action (raise, root cause,
task, plan, implement, the live evidence, verify, close), the register's filters and keyset pages, PATCH with the
version read, tasks, refusals (a due date before raising, the owner verifying, closing with a task open, a step
the state does not allow, a stale version, a viewer raising, another organisation's action), and the OpenAPI
document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from auditkit.accounts.tokens import create_token
from auditkit.actions import workflow
from auditkit.actions.models import ActionEvent, CorrectiveAction
from auditkit.actions.services import ActionData, Source, add_task, raise_action, set_task_done, today
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.models import Category, Complaint
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of

API = "/api/v1/actions"
NOW = datetime.now(UTC)


def bearer(user, organisation) -> dict:
    return {"Authorization": f"Bearer {create_token(actor_of(user, organisation), name='test')[1]}"}


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["code"] == code and error["message"]
    return error


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def billing(org) -> Category:
    ensure_default_categories(org.id)
    return db.session.execute(select(Category).where(Category.organisation_id == org.id,
                                                     Category.code == "billing")).scalar_one()


def complaint(org, at: datetime, category: Category | None = None, n: list[int] = [0]) -> Complaint:  # noqa: B006
    n[0] += 1
    found = Complaint(organisation_id=org.id, reference=f"A-{n[0]:05}", received_at=at, channel="email",
                      email="a@example.org", description="Billed twice.", category_id=category.id if category else None)
    db.session.add(found)
    db.session.flush()
    return found


def raised(org, owner, raiser=None, **values) -> CorrectiveAction:
    data = ActionData(**{"title": "Stop double billing", "problem": "Customers billed twice.", "owner_id": owner.id,
                         "due_on": today(org) + timedelta(days=30), **values})
    return raise_action(actor_of(raiser or owner, org), org, data)


def implemented(org, owner, **values) -> CorrectiveAction:
    """An action of `owner` through to implemented, by the services."""
    actor = actor_of(owner, org)
    action = raised(org, owner, **values)
    workflow.find_root_cause(actor, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    task = add_task(actor, org, action, action.version, title="Fix it", owner_id=None, due_on=today(org))
    workflow.plan(actor, org, action, action.version, effectiveness_criteria="No repeats", check_on=today(org))
    set_task_done(actor, action, action.version, task.id, True)
    workflow.implement(actor, action, action.version)
    return action


def step(client, headers, action_id: int, name: str, version: int, **data):
    return client.post(f"{API}/{action_id}/steps/{name}", headers=headers, json={"version": version, **data})


# The journey --------------------------------------------------------------------------------------------------

def test_from_a_complaint_trend_to_a_verified_closed_action(client, org, handler, manager, billing):
    for days in (35, 38, 40, 45, 50, 52, 55, 58):  # eight in the month before the implementation
        complaint(org, NOW - timedelta(days=days), billing)
    complaint(org, NOW - timedelta(days=10), billing)  # one after it
    as_handler, as_manager = bearer(handler, org), bearer(manager, org)
    day = today(org)

    created = client.post(API, headers=as_handler, json={
        "title": "Stop double billing", "problem": "Customers on plan changes are billed twice.",
        "kind": "corrective", "priority": "high", "owner_id": handler.id,
        "due_on": (day + timedelta(days=30)).isoformat(),
        "containment": "Refund the double charges", "containment_done": True, "source_kind": "complaint_trend",
        "category_id": billing.id, "clause_keys": ["iso10002:2018:8.7"]})
    action = ok(created, 201)
    assert urlsplit(created.headers["Location"]).path == f"{API}/{action['id']}"
    assert (action["reference"], action["status"], action["source_kind"], action["category_id"]) == (
        f"ACT-{day.year}-0001", "open", "complaint_trend", billing.id)
    assert action["allowed_steps"] == ["find_root_cause"] and action["owner_name"] == handler.name
    assert [(link["kind"], link["target_key"], link["label"].split()[0]) for link in action["links"]] == [
        ("clause", "iso10002:2018:8.7", "8.7")]
    assert [e["kind"] for e in action["events"]] == ["raise"] and action["evidence"] is None
    action_id, version = action["id"], action["version"]

    # The owner analyses, plans and implements.
    body = ok(step(client, as_handler, action_id, "find_root_cause", version, method="fishbone",
                   analysis={"methods": ["No guard on re-runs"], "people": ["New staff", " "]},
                   root_cause="The billing run has no guard against re-runs."))
    assert body["action"]["status"] == "root_cause_found" and body["event"]["kind"] == "find_root_cause"
    assert body["action"]["rca"] == {"methods": ["No guard on re-runs"], "people": ["New staff"]}
    assert body["event"]["actor_label"].startswith(handler.email)
    version = body["action"]["version"]
    added = ok(client.post(f"{API}/{action_id}/tasks", headers=as_handler, json={
        "version": version, "title": "Add a re-run guard", "owner_id": handler.id,
        "due_on": (day + timedelta(days=7)).isoformat()}), 201)
    task = added["task"]
    assert (task["title"], task["round"], task["done"]) == ("Add a re-run guard", 1, False)
    assert added["action"]["version"] > version
    version = added["action"]["version"]
    body = ok(step(client, as_handler, action_id, "plan", version, effectiveness_criteria="Billing complaints halve",
                   check_on=day.isoformat()))
    assert (body["action"]["status"], body["action"]["plan_round"], body["action"]["check_on"]) == (
        "planned", 1, day.isoformat())
    version = body["action"]["version"]
    done = ok(client.post(f"{API}/{action_id}/tasks/{task['id']}", headers=as_handler,
                          json={"version": version, "done": True}))
    assert done["task"]["done"] is True and done["action"]["tasks_done"] == 1
    version = done["action"]["version"]
    body = ok(step(client, as_handler, action_id, "implement", version, note="Guard deployed"))
    assert body["action"]["status"] == "implemented" and body["event"]["data"] == {"note": "Guard deployed"}

    # A month later (as if implemented then), the manager reads the live evidence, verifies and closes.
    record = db.session.get(CorrectiveAction, action_id)
    record.implemented_at = NOW - timedelta(days=30)
    db.session.flush()
    shown = ok(client.get(f"{API}/{action_id}", headers=as_manager))
    evidence = shown["evidence"]
    assert evidence["live"] is True and evidence["suggestion"] == "effective"
    assert (evidence["before"]["count"], evidence["after"]["count"]) == (8, 1)
    assert len(evidence["recurrences"]) == 1
    assert shown["allowed_steps"] == ["request_check", "verify"]
    body = ok(step(client, as_manager, action_id, "verify", shown["version"], verdict="effective",
                   comment="Down from 8 to 1 a month"))
    assert body["action"]["status"] == "verified_effective" and body["action"]["verified_by_id"] == manager.id
    assert body["action"]["evidence"]["live"] is False and body["action"]["evidence"]["after"]["count"] == 1
    body = ok(step(client, as_manager, action_id, "close", body["action"]["version"]))
    assert body["action"]["status"] == "closed" and body["action"]["closed_at"]
    assert [e["kind"] for e in body["action"]["events"]] == [
        "raise", "find_root_cause", "task", "plan", "task_done", "implement", "verify", "close"]
    assert body["action"]["events"][-1]["label"] == "Close"
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, action_id).status == "closed"


def test_an_action_from_a_complaint_links_it_and_takes_its_category(client, org, handler, billing):
    source = complaint(org, NOW - timedelta(days=2), billing)
    body = ok(client.post(API, headers=bearer(handler, org), json={
        "title": "Train the billing team", "problem": "Wrong plan applied.", "owner_id": handler.id,
        "due_on": (today(org) + timedelta(days=5)).isoformat(), "source_kind": "complaint",
        "source_id": source.id}), 201)
    assert body["category_id"] == billing.id and body["kind"] == "corrective" and body["priority"] == "medium"
    link = body["links"][0]
    assert (link["kind"], link["target_id"], link["is_source"], link["label"]) == (
        "complaint", source.id, True, source.reference)
    assert urlsplit(link["url"]).path == f"/o/{org.slug}/complaints/{source.id}"


# Refusals -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "code", "fields"), [
    ({"due_on": "yesterday"}, "unprocessable_entity", {"due_on"}),
    ({"title": None}, "unprocessable_entity", {"title"}),
    ({"kind": "miracle", "source_kind": "horoscope"}, "unprocessable_entity", {"kind", "source_kind"}),
    ({"owner": 1}, "unprocessable_entity", {"owner"}),
    ({"title": "  ", "problem": ""}, "validation_failed", {"title", "problem"}),
    ({"source_kind": "complaint_trend"}, "validation_failed", {"category_id"}),
    ({"source_kind": "complaint", "source_id": 987654}, "validation_failed", {"source_id"}),
    ({"clause_keys": ["iso10002:2018:99.9"]}, "validation_failed", {"clause_keys"}),
])
def test_raising_refuses_bad_input_naming_the_fields(client, org, handler, values, code, fields):
    body = {"title": "Fix", "problem": "Broken", "owner_id": handler.id,
            "due_on": (today(org) + timedelta(days=3)).isoformat(), **values}
    body = {name: value for name, value in body.items() if value is not None}
    error = error_of(client.post(API, headers=bearer(handler, org), json=body), 422, code)
    assert set(error["fields"]) == fields
    assert db.session.execute(select(func.count()).select_from(CorrectiveAction)).scalar_one() == 0


def test_a_due_date_before_the_action_was_raised_is_refused(client, org, handler):
    headers = bearer(handler, org)
    yesterday = (today(org) - timedelta(days=1)).isoformat()
    error = error_of(client.post(API, headers=headers, json={
        "title": "Fix", "problem": "Broken", "owner_id": handler.id, "due_on": yesterday}), 422, "validation_failed")
    assert "cannot be before the day the action was raised" in error["fields"]["due_on"][0]
    action = raised(org, handler)
    error = error_of(client.patch(f"{API}/{action.id}", headers=headers,
                                  json={"version": action.version, "due_on": yesterday}), 422, "validation_failed")
    assert set(error["fields"]) == {"due_on"}
    db.session.refresh(action)
    assert action.due_on == today(org) + timedelta(days=30)


def test_the_owner_cannot_verify_their_own_action(client, org, manager, auditor, handler):
    action = implemented(org, manager)  # a manager may verify, but not what they own
    error = error_of(step(client, bearer(manager, org), action.id, "verify", action.version, verdict="effective"),
                     422, "validation_failed")
    assert "owner cannot verify" in error["fields"]["_"][0]
    db.session.refresh(action)
    assert action.status == "implemented" and action.verdict is None
    body = ok(step(client, bearer(auditor, org), action.id, "verify", action.version, verdict="not_effective",
                   comment="Repeats went on"))
    assert body["action"]["status"] == "not_effective" and body["action"]["allowed_steps"] == ["plan"]
    # A handler works on actions but neither verifies nor closes them.
    error_of(step(client, bearer(handler, org), action.id, "verify", body["action"]["version"], verdict="effective"),
             403, "forbidden")


def test_closing_with_a_task_open_is_refused(client, org, handler, manager):
    action = implemented(org, handler)
    workflow.verify(actor_of(manager, org), org, action, action.version, verdict="effective", comment="")
    action.tasks[0].done_at = None  # reopened behind the workflow's back: closing still checks
    db.session.flush()
    error = error_of(step(client, bearer(manager, org), action.id, "close", action.version), 422,
                     "validation_failed")
    assert "still open: Fix it" in error["fields"]["tasks"][0]
    db.session.refresh(action)
    assert action.status == "verified_effective" and action.closed_at is None


def test_a_step_the_state_does_not_allow_is_422_naming_the_allowed_steps(client, org, handler):
    action = raised(org, handler)
    headers = bearer(handler, org)
    error = error_of(step(client, headers, action.id, "implement", action.version), 422, "validation_failed")
    assert error["message"] == "“implement” is not possible now; the next steps allowed are: find_root_cause."
    error = error_of(step(client, headers, action.id, "plan", action.version, effectiveness_criteria="x",
                          check_on=today(org).isoformat()), 422, "validation_failed")
    assert "find_root_cause" in error["message"]
    error = error_of(step(client, headers, action.id, "find_root_cause", action.version, method="five_whys",
                          analysis=[], root_cause=""), 422, "validation_failed")
    assert set(error["fields"]) == {"analysis", "root_cause"}
    error_of(step(client, headers, action.id, "fly", action.version), 404, "not_found")
    db.session.refresh(action)
    assert action.status == "open"
    assert db.session.execute(select(func.count()).select_from(ActionEvent)
                              .where(ActionEvent.action_id == action.id)).scalar_one() == 1


def test_a_stale_version_is_409_and_nothing_is_overwritten(client, org, handler):
    action = raised(org, handler)
    headers = bearer(handler, org)
    seen = action.version
    body = ok(client.patch(f"{API}/{action.id}", headers=headers, json={"version": seen, "title": "First edit"}))
    assert body["version"] > seen and body["title"] == "First edit"
    error_of(client.patch(f"{API}/{action.id}", headers=headers, json={"version": seen, "title": "Second edit"}),
             409, "conflict")
    error_of(step(client, headers, action.id, "find_root_cause", seen, method="five_whys", analysis=["a"],
                  root_cause="b"), 409, "conflict")
    error_of(client.post(f"{API}/{action.id}/tasks", headers=headers, json={
        "version": seen, "title": "Late", "due_on": today(org).isoformat()}), 409, "conflict")
    db.session.expire_all()
    action = db.session.get(CorrectiveAction, action.id)
    assert (action.title, action.status, action.tasks) == ("First edit", "open", [])


def test_patch_changes_only_the_fields_given(client, org, handler, billing):
    action = raised(org, handler, clause_keys=["iso10002:2018:8.7"], product="Fibre", containment="Refunds")
    body = ok(client.patch(f"{API}/{action.id}", headers=bearer(handler, org), json={
        "version": action.version, "priority": "critical", "category_id": billing.id,
        "clause_keys": ["iso10002:2018:7.7", "iso10002:2018:8.7"], "containment": None}))
    assert (body["priority"], body["category_id"], body["product"], body["title"], body["containment"]) == (
        "critical", billing.id, "Fibre", "Stop double billing", None)
    assert sorted(body["clause_keys"]) == ["iso10002:2018:7.7", "iso10002:2018:8.7"]
    assert body["events"][-1]["kind"] == "edit"
    assert body["events"][-1]["data"] == {"fields": ["category_id", "clauses", "containment", "priority"]}


def test_a_task_of_another_action_is_404(client, org, handler):
    first, second = raised(org, handler), raised(org, handler)
    task = add_task(actor_of(handler, org), org, first, first.version, title="Fix", owner_id=None,
                    due_on=today(org))
    error_of(client.post(f"{API}/{second.id}/tasks/{task.id}", headers=bearer(handler, org),
                         json={"version": second.version, "done": True}), 404, "not_found")
    db.session.refresh(task)
    assert task.done_at is None


def test_a_viewer_reads_but_cannot_raise_or_change(client, org, viewer, handler):
    headers = bearer(viewer, org)
    body = {"title": "Fix", "problem": "Broken", "owner_id": handler.id, "due_on": today(org).isoformat()}
    error_of(client.post(API, headers=headers, json=body), 403, "forbidden")
    action = raised(org, handler)
    assert ok(client.get(f"{API}/{action.id}", headers=headers))["reference"] == action.reference
    error_of(client.patch(f"{API}/{action.id}", headers=headers, json={"version": action.version, "title": "X"}),
             403, "forbidden")
    error_of(step(client, headers, action.id, "find_root_cause", action.version, method="five_whys",
                  analysis=["a"], root_cause="b"), 403, "forbidden")


def test_another_organisations_action_is_404_everywhere(client, org, other_org, handler, make):
    stranger = make.member(other_org, Role.HANDLER)
    theirs = raised(other_org, stranger)
    task = add_task(actor_of(stranger, other_org), other_org, theirs, theirs.version, title="Theirs",
                    owner_id=None, due_on=today(other_org))
    headers = bearer(handler, org)
    version = theirs.version
    for method, url, body in (
            ("GET", f"{API}/{theirs.id}", None),
            ("PATCH", f"{API}/{theirs.id}", {"version": version, "title": "Mine now"}),
            ("POST", f"{API}/{theirs.id}/tasks", {"version": version, "title": "x", "due_on": "2030-01-01"}),
            ("POST", f"{API}/{theirs.id}/tasks/{task.id}", {"version": version, "done": True}),
            ("POST", f"{API}/{theirs.id}/steps/find_root_cause",
             {"version": version, "method": "five_whys", "analysis": ["a"], "root_cause": "b"})):
        error_of(client.open(url, method=method, headers=headers, json=body), 404, "not_found")
    assert ok(client.get(API, headers=headers))["items"] == []
    error = error_of(client.post(API, headers=headers, json={
        "title": "Fix", "problem": "Broken", "owner_id": stranger.id, "due_on": today(org).isoformat(),
        "source_kind": "complaint", "source_id": complaint(other_org, NOW).id}), 422, "validation_failed")
    assert set(error["fields"]) == {"owner_id", "source_id"}
    db.session.expire_all()
    assert db.session.get(CorrectiveAction, theirs.id).title == "Stop double billing"


# The register -------------------------------------------------------------------------------------------------

def test_filters_flags_and_keyset_pages(client, org, handler, auditor, billing):
    day = today(org)
    late = raised(org, handler, title="Late one")
    late.due_on = day - timedelta(days=2)  # raised earlier, as it were
    soon = raised(org, auditor, raiser=handler, title="Soon one", due_on=day + timedelta(days=3),
                  clause_keys=["iso10002:2018:8.7"])
    trend = raise_action(actor_of(handler, org), org, ActionData(
        title="Trend one", problem="Billing", owner_id=handler.id, due_on=day + timedelta(days=60),
        category_id=billing.id), Source("complaint_trend"))
    checking = implemented(org, handler, title="Checking one")
    checking.check_on = day - timedelta(days=1)  # its effectiveness check is overdue
    db.session.flush()
    headers = bearer(handler, org)

    def ids(query: str = "") -> list[int]:
        return [item["id"] for item in ok(client.get(f"{API}?{query}", headers=headers))["items"]]

    everything = [checking.id, trend.id, soon.id, late.id]
    assert ids() == everything
    seen, cursor, pages = [], None, 0
    while True:
        body = ok(client.get(f"{API}?limit=3" + (f"&after={cursor}" if cursor else ""), headers=headers))
        seen, cursor, pages = seen + [item["id"] for item in body["items"]], body["next"], pages + 1
        if cursor is None:
            break
    assert seen == everything and pages == 2
    assert ids("overdue=true") == [checking.id, late.id]
    assert ids("due_soon=true") == [soon.id]
    assert ids(f"owner_id={auditor.id}") == [soon.id]
    assert ids("source=complaint_trend") == [trend.id]
    assert ids("clause=iso10002:2018:8.7") == [soon.id]
    assert ids("status=implemented") == [checking.id]
    assert ids("q=TREND") == [trend.id]
    items = {item["id"]: item for item in ok(client.get(API, headers=headers))["items"]}
    assert (items[late.id]["overdue"], items[late.id]["due_soon"]) == (True, False)
    assert (items[soon.id]["overdue"], items[soon.id]["due_soon"]) == (False, True)
    assert items[soon.id]["owner_name"] == auditor.name and items[soon.id]["clause_keys"] == ["iso10002:2018:8.7"]
    assert (items[checking.id]["tasks_done"], items[checking.id]["tasks_total"]) == (1, 1)
    assert items[checking.id]["status_label"] == "Implemented"


@pytest.mark.parametrize(("query", "field"), [
    ("limit=201", "limit"), ("limit=0", "limit"), ("after=page-two", "after"), ("status=lost", "status"),
    ("source=horoscope", "source"), ("overdue=perhaps", "overdue"),
])
def test_bad_filters_are_named(client, org, viewer, query, field):
    error = error_of(client.get(f"{API}?{query}", headers=bearer(viewer, org)), 422, "unprocessable_entity")
    assert field in error["fields"]


def test_a_page_takes_the_same_queries_for_two_rows_as_for_twenty(client, org, handler):
    for n in range(20):
        action = raised(org, handler, title=f"Action {n}", clause_keys=["iso10002:2018:8.7"])
        add_task(actor_of(handler, org), org, action, action.version, title="Task", owner_id=None,
                 due_on=today(org))
    headers = bearer(handler, org)
    connection = db.session.get_bind()

    def statements(limit: int) -> int:
        seen: list[str] = []

        def note(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", note)
        try:
            assert len(ok(client.get(f"{API}?limit={limit}", headers=headers))["items"]) == limit
        finally:
            event.remove(connection, "before_cursor_execute", note)
        return len(seen)

    statements(1)  # the token's first use is written once
    assert statements(2) == statements(20)


# The OpenAPI document -----------------------------------------------------------------------------------------

def test_the_openapi_document_describes_every_endpoint_and_field(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = {path: operations for path, operations in spec["paths"].items() if path.startswith(API)}
    steps = {f"{API}/{{action_id}}/steps/{name}" for name in workflow.TRANSITIONS}
    assert {API, f"{API}/export", f"{API}/{{action_id}}", f"{API}/{{action_id}}/tasks",
            f"{API}/{{action_id}}/tasks/{{task_id}}", *steps} == set(paths)
    for path, operations in paths.items():
        for parameter in operations.get("parameters", []):
            assert parameter.get("description"), f"{path} {parameter['name']}"
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary") and operation.get("description"), f"{method} {path}"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("description"), f"{method} {path} ?{parameter['name']}"
    schemas = spec["components"]["schemas"]
    ours = {name: schema for name, schema in schemas.items() if name.startswith("Action")}
    assert {"Action", "ActionSummary", "ActionPage", "ActionCreate", "ActionEdit", "ActionTask", "ActionTaskCreate",
            "ActionTaskDone", "ActionTaskResult", "ActionLink", "ActionEvent", "ActionEvidence", "ActionStepResult",
            "ActionStep", "ActionRootCauseStep", "ActionPlanStep", "ActionImplementStep",
            "ActionVerifyStep"} <= set(ours)
    undescribed = [f"{name}.{field}" for name, schema in ours.items()
                   for field, spec_field in schema.get("properties", {}).items() if not spec_field.get("description")]
    assert not undescribed, undescribed
    patch = paths[f"{API}/{{action_id}}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ActionEdit")
    assert "version" in schemas["ActionEdit"]["required"]
    assert schemas["ActionVerifyStep"]["properties"]["verdict"]["enum"] == ["effective", "not_effective"]
    assert "201" in paths[API]["post"]["responses"]
