"""Assignment carries versions: a stale assignment, from a complaint's page or the register, changes nothing
and says what changed meanwhile; the complaint's page keeps the person's choice for them to send again."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from auditkit.complaints import lifecycle
from auditkit.complaints.assignment import assign_complaints
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.core.errors import Conflict
from auditkit.extensions import db
from tests.conftest import actor_of


def receive(org, **values) -> Complaint:
    data = NewComplaint(**{"description": "No signal at home since Monday.", "email": "sara.ahmadi@example.org",
                           "complainant_name": "Sara Ahmadi", **values})
    return receive_complaint(org, data, actor_id=None, actor_label="test")[0]


def assign_events(complaint: Complaint) -> int:
    return db.session.execute(select(func.count()).select_from(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "assign")).scalar_one()


def changed_meanwhile(complaint: Complaint, org, manager) -> None:
    """Someone else acknowledges the complaint: its version moves on."""
    lifecycle.acknowledge_complaint(actor_of(manager, org), complaint, version=complaint.version, method="email")
    db.session.flush()


# The service


def test_an_assignment_at_the_version_seen_goes_through(org, manager, handler):
    complaint = receive(org)
    assert assign_complaints(actor_of(manager, org), [complaint], handler.id, versions={complaint.id: 1}) == 1
    assert complaint.assignee_id == handler.id and complaint.version == 2 and assign_events(complaint) == 1


@pytest.mark.parametrize("seen", [1, None])  # an old version, or none at all
def test_a_stale_or_missing_version_is_refused_and_nothing_written(org, manager, handler, seen):
    complaint = receive(org)
    changed_meanwhile(complaint, org, manager)
    with pytest.raises(Conflict) as refused:
        assign_complaints(actor_of(manager, org), [complaint], handler.id,
                          versions={} if seen is None else {complaint.id: seen})
    assert refused.value.status == 409 and complaint.reference in refused.value.message
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee_id is None and assign_events(complaint) == 0


def test_one_stale_complaint_refuses_the_whole_batch_and_is_named(org, manager, handler):
    fresh, stale = receive(org), receive(org)
    changed_meanwhile(stale, org, manager)
    with pytest.raises(Conflict) as refused:
        assign_complaints(actor_of(manager, org), [fresh, stale], handler.id, versions={fresh.id: 1, stale.id: 1})
    assert stale.reference in refused.value.message and fresh.reference not in refused.value.message
    db.session.expire_all()
    assert [db.session.get(Complaint, c.id).assignee_id for c in (fresh, stale)] == [None, None]


# The complaint's page


def test_the_assign_form_sends_the_version_shown(login, manager, org):
    complaint = receive(org)
    changed_meanwhile(complaint, org, manager)
    page = login(manager).get(f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="assign".*?</form>', page, re.S).group(0)
    assert re.search(r'<input[^>]*name="version"[^>]*value="2"', form)


def test_an_assignment_without_a_version_is_refused(login, manager, handler, org):
    complaint = receive(org)
    response = login(manager).post(f"/o/{org.slug}/complaints/{complaint.id}/assign",
                                   data={"assignee_id": str(handler.id)})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee_id is None


def test_a_stale_assignment_answers_with_the_page_as_it_is_and_keeps_the_choice(login, make, manager, handler, org):
    complaint = receive(org)
    other = make.member(org, "handler")
    assign_complaints(actor_of(manager, org), [complaint], other.id, versions={complaint.id: 1})  # meanwhile
    db.session.flush()
    response = login(manager).post(f"/o/{org.slug}/complaints/{complaint.id}/assign",
                                   data={"assignee_id": str(handler.id), "version": "1"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this complaint while you were working on it, so nothing was saved." in page
    assert f'id="current-assignee">Assigned to {other.display_name}<' in page  # what is true now
    form = re.search(r'<form[^>]*id="assign".*?</form>', page, re.S).group(0)
    assert re.search(rf'<option selected value="{handler.id}">', form)  # what the manager chose, kept
    assert re.search(r'name="version"[^>]*value="2"', form)  # ready to send again, on purpose
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee_id == other.id
    again = login(manager).post(f"/o/{org.slug}/complaints/{complaint.id}/assign",
                                data={"assignee_id": str(handler.id), "version": "2"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee_id == handler.id


# The register


def test_the_register_sends_each_rows_version(login, manager, org):
    complaint = receive(org)
    changed_meanwhile(complaint, org, manager)
    page = login(manager).get(f"/o/{org.slug}/complaints/?channel=web_form").get_data(as_text=True)
    assert f'name="ids" value="{complaint.id}:2"' in page
    assert 'name="back" type="hidden" value="channel=web_form"' in page


def test_a_bulk_assignment_with_a_row_changed_meanwhile_assigns_nothing(login, manager, handler, org):
    fresh, stale = receive(org), receive(org)
    client = login(manager)
    client.get(f"/o/{org.slug}/complaints/?channel=web_form")  # the register, as the manager sees it
    changed_meanwhile(stale, org, manager)
    response = client.post(f"/o/{org.slug}/complaints/assign", data={
        "ids": [f"{fresh.id}:1", f"{stale.id}:1"], "assignee_id": str(handler.id),
        "back": "channel=web_form&slug=beta&_external=1&_scheme=javascript"})  # only the register's own arguments
    assert response.status_code == 302 and response.location == f"/o/{org.slug}/complaints/?channel=web_form"
    page = client.get(response.location).get_data(as_text=True)
    message = re.search(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "Nothing was assigned" in message and stale.reference in message and fresh.reference not in message
    db.session.expire_all()
    assert [db.session.get(Complaint, c.id).assignee_id for c in (fresh, stale)] == [None, None]
    assert assign_events(fresh) == 0


def test_a_bulk_assignment_of_bare_ids_is_refused(login, manager, handler, org):
    complaint = receive(org)
    response = login(manager).post(f"/o/{org.slug}/complaints/assign",
                                   data={"ids": [str(complaint.id)], "assignee_id": str(handler.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee_id is None
