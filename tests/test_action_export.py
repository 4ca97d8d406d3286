"""Exporting the corrective-action register as CSV and .xlsx, through the API and the page's download: one row
per action with its owner, overdue flag, source, clauses, root cause, task counts, verdict and verifier; the
register's filters; formulas neutralised; queries that do not grow with the rows; roles and organisations."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from auditkit.accounts.tokens import create_token
from auditkit.actions import workflow
from auditkit.actions.exporting import COLUMNS
from auditkit.actions.services import ActionData, Source, add_task, raise_action, set_task_done, today
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of

API = "/api/v1/actions/export"


def bearer(user, organisation) -> dict:
    return {"Authorization": f"Bearer {create_token(actor_of(user, organisation), name='test')[1]}"}


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def raised(org, owner, **values):
    source = values.pop("source", None)
    data = ActionData(**{"title": "Stop double billing", "problem": "Billed twice.", "owner_id": owner.id,
                         "due_on": today(org) + timedelta(days=30), **values})
    return raise_action(actor_of(owner, org), org, data, source)


@pytest.fixture
def register(org, handler, manager):
    """A closed action from a complaint, verified by the manager; an overdue one whose title is a formula."""
    org.timezone = "Asia/Tehran"
    source = receive_complaint(org, NewComplaint(description="Billed twice", email="a@example.org"), actor_id=None,
                               actor_label="test")[0]
    h, m = actor_of(handler, org), actor_of(manager, org)
    closed = raised(org, handler, source=Source("complaint", source.id), kind="preventive", priority="high",
                    clause_keys=["iso10002:2018:8.7", "iso10002:2018:7.7"])
    workflow.find_root_cause(h, closed, closed.version, method="five_whys", analysis=["a"],
                             root_cause="-1 guard missing")
    tasks = [add_task(h, org, closed, closed.version, title=t, owner_id=None, due_on=today(org)) for t in "ab"]
    workflow.plan(h, org, closed, closed.version, effectiveness_criteria="No repeats", check_on=today(org))
    for task in tasks:
        set_task_done(h, closed, closed.version, task.id, True)
    workflow.implement(h, closed, closed.version)
    workflow.verify(m, org, closed, closed.version, verdict="effective", comment="")
    workflow.close(m, closed, closed.version)
    late = raised(org, manager, title='=HYPERLINK("http://evil.example","click")', priority="low")
    add_task(m, org, late, late.version, title="Open task", owner_id=None, due_on=today(org))
    late.due_on = today(org) - timedelta(days=1)
    db.session.flush()
    return closed, late, source


def test_the_api_exports_one_row_per_action_as_csv(client, org, handler, manager, register):
    closed, late, source = register
    rows = csv_rows(client.get(f"{API}?format=csv", headers=bearer(handler, org)))
    assert list(rows[0]) == list(COLUMNS)
    assert [row["reference"] for row in rows] == [late.reference, closed.reference]  # newest first
    late_row, closed_row = rows
    assert late_row["title"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert (late_row["status"], late_row["priority"], late_row["overdue"], late_row["owner"]) == (
        "open", "low", "true", manager.name)
    assert (late_row["source"], late_row["clauses"], late_row["tasks_done"], late_row["tasks_total"]) == (
        "none", "", "0", "1")
    assert late_row["due_on"] == (today(org) - timedelta(days=1)).isoformat()
    assert (closed_row["kind"], closed_row["status"], closed_row["overdue"]) == ("preventive", "closed", "false")
    assert closed_row["source"] == f"complaint {source.reference}"
    assert closed_row["clauses"] == "iso10002:2018:8.7; iso10002:2018:7.7"
    assert closed_row["root_cause"] == "'-1 guard missing"  # would be a formula too
    assert (closed_row["tasks_done"], closed_row["tasks_total"]) == ("2", "2")
    assert (closed_row["verdict"], closed_row["verified_by"], closed_row["check_on"]) == (
        "effective", manager.name, today(org).isoformat())
    # Times in the organisation's zone (Tehran: +03:30).
    assert closed_row["verified_at"].endswith("+03:30") and closed_row["closed_at"].endswith("+03:30")
    closed_at = datetime.fromisoformat(closed_row["closed_at"])
    assert abs(closed_at - closed.closed_at) < timedelta(seconds=1)


def test_the_api_exports_xlsx_by_default_with_no_formulas(client, org, viewer, register):
    closed, late, _source = register
    response = client.get(API, headers=bearer(viewer, org))  # every role may export
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"actions-{org.slug}-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Actions"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0] == list(COLUMNS)
    header = cells[0]
    assert [row[0] for row in cells[1:]] == [late.reference, closed.reference]
    assert cells[1][header.index("title")].startswith("'=HYPERLINK(")
    assert cells[2][header.index("tasks_done")] == 2  # numbers stay numbers
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_export_follows_the_register_filters(client, org, handler, manager, register):
    closed, late, _source = register
    headers = bearer(handler, org)

    def references(query: str) -> list[str]:
        return [row["reference"] for row in csv_rows(client.get(f"{API}?format=csv&{query}", headers=headers))]

    assert references("overdue=true") == [late.reference]
    assert references("status=closed") == [closed.reference]
    assert references("source=complaint") == [closed.reference]
    assert references(f"owner_id={manager.id}") == [late.reference]
    assert references("clause=iso10002:2018:7.7") == [closed.reference]
    assert references("q=HYPERLINK") == [late.reference]
    assert references("due_soon=true") == []
    response = client.get(f"{API}?format=pdf", headers=headers)
    assert response.status_code == 422 and "format" in response.get_json()["error"]["fields"]


def test_the_page_download_takes_the_register_arguments(login, org, other_org, viewer, manager, register):
    closed, late, _source = register
    client = login(viewer)
    base = f"/o/{org.slug}/actions/export"
    assert [r["reference"] for r in csv_rows(client.get(f"{base}?format=csv"))] == [late.reference, closed.reference]
    assert [r["reference"] for r in csv_rows(client.get(f"{base}?format=csv&overdue=y"))] == [late.reference]
    assert [r["reference"] for r in csv_rows(client.get(f"{base}?format=csv&status=nonsense"))] == [
        late.reference, closed.reference]  # not understood: left out
    mine = login(manager)
    assert [r["reference"] for r in csv_rows(mine.get(f"{base}?format=csv&owner=me"))] == [late.reference]
    workbook = client.get(base)
    assert workbook.status_code == 200 and workbook.headers["Cache-Control"] == "no-store"
    assert load_workbook(io.BytesIO(workbook.data))["Actions"].max_row == 3
    assert client.get(f"{base}?format=pdf").status_code == 404
    assert client.get(f"/o/{other_org.slug}/actions/export?format=csv").status_code == 404


def test_the_export_needs_no_more_queries_for_more_rows(client, org, handler, register):
    headers = bearer(handler, org)
    url = f"{API}?format=csv"

    def statements() -> int:
        seen = []

        def note(*_args):
            seen.append(1)

        connection = db.session.get_bind()
        event.listen(connection, "before_cursor_execute", note)
        try:
            csv_rows(client.get(url, headers=headers))
        finally:
            event.remove(connection, "before_cursor_execute", note)
        return len(seen)

    statements()  # the token's first use is written once
    before = statements()
    for n in range(5):
        action = raised(org, handler, title=f"More {n}", clause_keys=["iso10002:2018:8.7"])
        add_task(actor_of(handler, org), org, action, action.version, title="t", owner_id=None, due_on=today(org))
    assert statements() == before
    assert len(csv_rows(client.get(url, headers=headers))) == 7


def test_another_organisations_actions_are_not_exported(client, org, other_org, handler, make, register):
    stranger = make.member(other_org, Role.MANAGER)
    raised(other_org, stranger, title="Theirs")
    rows = csv_rows(client.get(f"{API}?format=csv", headers=bearer(handler, org)))
    assert "Theirs" not in {row["title"] for row in rows} and len(rows) == 2
