"""The staff pages of the register: recording, the complaint's page with the next allowed steps, masking,
filters, keyset pages and assignment."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.core.security import Role
from auditkit.extensions import db


def receive(org, **values) -> Complaint:
    data = NewComplaint(**{"description": "No signal at home since Monday.", "email": "sara.ahmadi@example.org",
                           "complainant_name": "Sara Ahmadi", "phone": "+98 912 345 6789", **values})
    return receive_complaint(org, data, actor_id=None, actor_label="test")[0]


def test_a_handler_records_a_complaint_taken_by_phone(login, handler, org):
    client = login(handler)
    page = client.get(f"/o/{org.slug}/complaints/new").get_data(as_text=True)
    assert "Faulty or not as described" in page  # the default category tree
    response = client.post(f"/o/{org.slug}/complaints/new", data={
        "channel": "phone", "complainant_name": "Reza", "phone": "0912", "description": "Billed twice",
        "consent": "y"})
    assert response.status_code == 302
    complaint = db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)).scalar_one()
    assert complaint.channel == "phone" and complaint.events[0].actor_label == handler.email


def test_recording_without_a_way_to_reach_the_complainant_names_the_field(login, handler, org):
    response = login(handler).post(f"/o/{org.slug}/complaints/new", data={"channel": "phone",
                                                                          "description": "Billed twice"})
    assert response.status_code == 422
    assert "Give at least one way to reach the complainant" in response.get_data(as_text=True)
    assert db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)).first() is None


def test_the_page_offers_exactly_the_next_allowed_steps(login, handler, org):
    complaint = receive(org)
    page = login(handler).get(f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)
    offered = set(re.findall(r'id="step-([a-z_]+)"', page))
    assert offered == {"acknowledge", "assess", "withdraw", "reject"}


def test_stepping_through_the_forms(login, handler, org):
    complaint = receive(org)
    client = login(handler)
    url = f"/o/{org.slug}/complaints/{complaint.id}"
    steps = [("acknowledge", {"method": "email"}),
             ("assess", {"severity": "high", "complexity": "low", "impact": "medium"}),
             ("investigate", {"notes": "Checked the mast"}),
             ("decide", {"remedy": "Credit one month", "outcome": "upheld"}),
             ("communicate", {"method": "phone"}),
             ("close", {"accepted": "yes"})]
    for version, (name, data) in enumerate(steps, start=1):
        response = client.post(f"{url}/steps/{name}", data={"version": str(version), **data})
        assert response.status_code == 302, (name, response.get_data(as_text=True)[:2000])
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "closed"
    page = client.get(url).get_data(as_text=True)
    assert "Credit one month" in page and "clause 7.9" in page


def test_a_step_the_state_does_not_allow_is_refused_with_the_allowed_ones(login, handler, org):
    complaint = receive(org)
    response = login(handler).post(f"/o/{org.slug}/complaints/{complaint.id}/steps/close",
                                   data={"version": "1", "accepted": "yes"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "is not possible now" in text and "Acknowledge" in text


def test_a_stale_form_is_refused_and_nothing_is_overwritten(login, handler, org):
    complaint = receive(org)
    client = login(handler)
    url = f"/o/{org.slug}/complaints/{complaint.id}/steps"
    assert client.post(f"{url}/acknowledge", data={"version": "1", "method": "email"}).status_code == 302
    response = client.post(f"{url}/reject", data={"version": "1", "reason": "Not ours"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this complaint while you were working on it, so nothing was saved." in page
    assert f"{complaint.reference}</span> · Acknowledged" in page  # the complaint page, as it is now
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "acknowledged"


def _step_form(page: str, name: str) -> str:
    return re.search(rf'<details[^>]*id="step-{name}".*?</details>', page, re.S).group(0)


def test_a_stale_step_keeps_what_was_typed_for_sending_again(login, manager, handler, org):
    from auditkit.complaints.lifecycle import acknowledge_complaint
    from tests.conftest import actor_of

    complaint = receive(org)
    client = login(handler)
    url = f"/o/{org.slug}/complaints/{complaint.id}"
    page = client.get(url).get_data(as_text=True)  # the handler opens the page at version 1...
    assert re.search(r'name="version"[^>]*value="1"', _step_form(page, "reject"))
    acknowledge_complaint(actor_of(manager, org), complaint, version=1, method="phone")  # ...a manager acts
    db.session.flush()
    response = client.post(f"{url}/steps/reject", data={"version": "1", "reason": "Out of scope: a <b>bank</b>"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "What you entered is kept in the form below" in page
    assert "Acknowledge</strong>" in page and "Text message" not in page  # the timeline as it is now
    form = _step_form(page, "reject")
    assert form.startswith('<details class="card mb-2" open')
    assert "Out of scope: a &lt;b&gt;bank&lt;/b&gt;</textarea>" in form  # typed, kept, escaped
    assert re.search(r'name="version"[^>]*value="2"', form)
    again = client.post(f"{url}/steps/reject", data={"version": "2", "reason": "Out of scope"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == "rejected"


def test_a_stale_step_no_longer_on_offer_shows_what_was_typed(login, manager, handler, org):
    from auditkit.complaints.lifecycle import acknowledge_complaint
    from tests.conftest import actor_of

    complaint = receive(org)
    acknowledge_complaint(actor_of(manager, org), complaint, version=1, method="phone")
    db.session.flush()
    response = login(handler).post(f"/o/{org.slug}/complaints/{complaint.id}/steps/acknowledge",
                                   data={"version": "1", "method": "email", "note": "Called her back at 10"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "“Acknowledge” is not possible any more: the complaint is now Acknowledged." in page
    unsaved = re.search(r'<dl class="row small mb-0" id="unsaved">.*?</dl>', page, re.S).group(0)
    assert "Called her back at 10" in unsaved
    assert 'id="step-acknowledge"' not in page
    db.session.expire_all()
    assert [e.kind for e in db.session.get(Complaint, complaint.id).events] == ["receive", "acknowledge"]


def test_recording_shows_the_tracking_code_once(login, handler, org):
    from auditkit.complaints.intake import hash_code
    from auditkit.core.audit_trail import AuditEntry

    client = login(handler)
    response = client.post(f"/o/{org.slug}/complaints/new", data={
        "channel": "phone", "complainant_name": "Reza", "phone": "0912", "description": "Billed twice",
        "consent": "y"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    complaint = db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)).scalar_one()
    code = re.search(r'id="tracking-code">([0-9A-F]+)<', page).group(1)
    assert re.search(rf'id="recorded-reference">{complaint.reference}<', page)
    assert f"/p/{org.slug}/track?reference={complaint.reference}" in page
    assert complaint.tracking_code_hash == hash_code(code)  # the code that tracks it on the portal
    assert code not in client.get(response.location).get_data(as_text=True)  # shown once
    trail = db.session.execute(select(AuditEntry)).scalars().all()
    assert trail and not any(code in repr(vars(entry)) for entry in trail)  # never kept as it is
    with client.session_transaction() as session:
        assert not any(code in repr(value) for value in session.values())
    other = receive(org)
    assert 'id="tracking-code"' not in client.get(f"/o/{org.slug}/complaints/{other.id}").get_data(as_text=True)


@pytest.mark.parametrize(("role", "sees"), [(Role.HANDLER, True), (Role.MANAGER, True), (Role.CONSULTANT, False),
                                            (Role.AUDITOR, False), (Role.VIEWER, False)])
def test_personal_data_shows_only_to_handlers_and_managers(login, make, org, role, sees):
    complaint = receive(org)
    # An attachment's file name in the timeline can name the complainant too.
    db.session.add(ComplaintEvent(organisation_id=org.id, complaint_id=complaint.id, at=datetime.now(UTC),
                                  actor_label="portal", kind="attachment",
                                  data={"filename": "Sara_Ahmadi_passport.pdf", "size": 1234}))
    db.session.commit()
    page = login(make.member(org, role)).get(f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)
    assert ("sara.ahmadi@example.org" in page) is sees
    assert ("Sara Ahmadi" in page) is sees
    assert ("s•••@example.org" in page) is not sees
    assert ("Sara_Ahmadi_passport.pdf" in page) is sees
    assert ("S•••••" in page) is not sees


def test_a_script_in_a_description_is_shown_as_text(login, handler, org):
    complaint = receive(org, description='<script>alert("x")</script> and more')
    page = login(handler).get(f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_register_filters_and_keyset_pages(login, handler, org):
    now = datetime.now(UTC)
    for n in range(55):
        receive(org, received_at=now - timedelta(hours=n), description=f"Complaint number {n}")
    old = receive(org, received_at=now - timedelta(days=60), description="An old one about billing")
    client = login(handler)
    first = client.get(f"/o/{org.slug}/complaints/").get_data(as_text=True)
    assert first.count('name="ids"') == 50
    cursor = re.search(r'after=([0-9.]+)', first).group(1)
    second = client.get(f"/o/{org.slug}/complaints/?after={cursor}").get_data(as_text=True)
    assert second.count('name="ids"') == 6 and old.reference in second
    found = client.get(f"/o/{org.slug}/complaints/?q=billing").get_data(as_text=True)
    assert found.count('name="ids"') == 1
    overdue = client.get(f"/o/{org.slug}/complaints/?overdue=y").get_data(as_text=True)
    assert old.reference in overdue and overdue.count('name="ids"') == 1


def test_the_due_soon_list_holds_what_turns_overdue_within_a_day(login, handler, org):
    now = datetime.now(UTC)
    soon_ack, soon_response, later, late, done = (receive(org, description=f"Complaint {n}") for n in range(5))
    soon_ack.ack_due_at = now + timedelta(hours=3)
    soon_response.acknowledged_at, soon_response.response_due_at = now, now + timedelta(hours=20)
    later.ack_due_at = now + timedelta(hours=30)
    late.ack_due_at = now - timedelta(hours=1)  # overdue already: in the overdue list, not this one
    done.acknowledged_at, done.communicated_at, done.response_due_at = now, now, now + timedelta(hours=2)
    for complaint in (later, done, soon_response):
        complaint.ack_due_at = max(complaint.ack_due_at, now + timedelta(hours=30))
    db.session.commit()
    page = login(handler).get(f"/o/{org.slug}/complaints/?due_soon=y").get_data(as_text=True)
    listed = {c.reference for c in (soon_ack, soon_response, later, late, done) if c.reference in page}
    assert listed == {soon_ack.reference, soon_response.reference}
    assert page.count("due soon") == 2 and re.search(r'<input checked[^>]* name="due_soon"', page)
    everything = login(handler).get(f"/o/{org.slug}/complaints/").get_data(as_text=True)
    assert everything.count("due soon") == 2 and everything.count(">overdue<") == 1


def test_bulk_assignment(login, manager, handler, org):
    complaints = [receive(org) for _ in range(3)]
    client = login(manager)
    response = client.post(f"/o/{org.slug}/complaints/assign",
                           data={"ids": [f"{c.id}:{c.version}" for c in complaints[:2]],
                                 "assignee_id": str(handler.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Complaint, c.id).assignee_id for c in complaints] == [handler.id, handler.id, None]
    mine = login(handler).get(f"/o/{org.slug}/complaints/?assignee=me").get_data(as_text=True)
    assert mine.count('name="ids"') == 2


def test_the_overview_shows_every_figure_and_four_charts(login, make, org):
    for n in range(4):
        receive(org, received_at=datetime.now(UTC) - timedelta(days=40 * n), channel=("email", "phone")[n % 2])
    client = login(make.member(org, Role.VIEWER))
    page = client.get(f"/o/{org.slug}/complaints/overview/?from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert page.count('data-key="') == 21
    assert 'alt="Complaints by month and channel"' in page
    charts = re.findall(r'<img src="([^"]+)" alt="[^"]+" id="chart-(\w+)"', page)
    assert [name for _url, name in charts] == ["volumes", "ack", "resolve", "pareto"]
    for url, _name in charts:  # each over the page's days, drawn as its own image
        assert "from=2025-01-01&amp;to=2025-12-31" in url
        picture = client.get(html.unescape(url))
        assert (picture.status_code, picture.mimetype) == (200, "image/svg+xml") and b"<svg" in picture.data
    page = client.get(f"/o/{org.slug}/complaints/overview/").get_data(as_text=True)
    assert re.search(r'data-key="received">4<', page)
    assert client.get(f"/o/{org.slug}/complaints/overview/charts/radar.svg").status_code == 404
    assert login(make.user()).get(html.unescape(charts[0][0])).status_code in (403, 404)  # not a member


def _closed_through_the_page(client, org, complaint: Complaint) -> str:
    """Assess, investigate, decide, tell and close the complaint with its page's forms; returns its page's URL."""
    url = f"/o/{org.slug}/complaints/{complaint.id}"
    for version, (name, data) in enumerate([("assess", {"severity": "low", "complexity": "low", "impact": "low"}),
                                            ("investigate", {}), ("decide", {"remedy": "Apology", "outcome": "upheld"}),
                                            ("communicate", {"method": "phone"}), ("close", {"accepted": "yes"})],
                                           start=1):
        assert client.post(f"{url}/steps/{name}", data={"version": str(version), **data}).status_code == 302
    return url


def test_closing_offers_the_survey_link_once(login, handler, org):
    complaint = receive(org, email="")
    complaint.phone = "0912"
    client = login(handler)
    url = _closed_through_the_page(client, org, complaint)
    page = client.get(url).get_data(as_text=True)
    token = re.search(rf"/p/{org.slug}/survey/([A-Za-z0-9_-]+)", page).group(1)
    assert client.get(url).get_data(as_text=True).count("/survey/") == 0  # shown once
    assert client.application.test_client().get(f"/p/{org.slug}/survey/{token}").status_code == 200


def _closed_and_answered(org, handler, client, rating: int, comment: str) -> Complaint:
    from auditkit.complaints.portal_services import answer_survey

    complaint = receive(org, email="")
    url = _closed_through_the_page(client, org, complaint)
    token = re.search(rf"/p/{org.slug}/survey/([A-Za-z0-9_-]+)", client.get(url).get_data(as_text=True)).group(1)
    db.session.expire_all()  # the requests moved it on
    answer_survey(org, token, rating=rating, comment=comment)
    db.session.flush()
    return complaint


@pytest.mark.parametrize(("role", "sees"), [(Role.HANDLER, True), (Role.MANAGER, True), (Role.VIEWER, False),
                                            (Role.AUDITOR, False)])
def test_the_survey_answer_shows_on_the_complaint_page(login, make, handler, org, role, sees):
    complaint = _closed_and_answered(org, handler, login(handler), 4, "Slow at first, then Maryam fixed it")
    page = login(make.member(org, role)).get(f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)
    survey = re.search(r'<section[^>]*id="survey".*?</section>', page, re.S).group(0)
    assert 'id="survey-rating">4 of 5<' in survey and "Sent on" in survey and "Answered on" in survey
    assert "Not answered yet" not in survey
    assert ("Slow at first, then Maryam fixed it" in page) is sees  # the complainant's words: personal data
    assert ("S••• a• f••••• t••• M••••• f•••• i•" in survey) is not sees
    assert "rating:" not in page and "Satisfaction:</span>\n            4 of 5" in page  # the timeline's entry


def test_a_survey_not_yet_answered_says_so(login, handler, org):
    client = login(handler)
    complaint = receive(org, email="")
    url = f"/o/{org.slug}/complaints/{complaint.id}"
    assert 'id="survey"' not in client.get(url).get_data(as_text=True)
    for version, step in enumerate(["assess", "investigate", "decide", "communicate", "close"], start=1):
        data = {"assess": {"severity": "low", "complexity": "low", "impact": "low"},
                "decide": {"remedy": "Apology", "outcome": "upheld"}, "communicate": {"method": "phone"},
                "close": {"accepted": "yes"}}.get(step, {})
        assert client.post(f"{url}/steps/{step}", data={"version": str(version), **data}).status_code == 302
    survey = re.search(r'<section[^>]*id="survey".*?</section>', client.get(url).get_data(as_text=True), re.S)
    assert "Not answered yet" in survey.group(0) and 'id="survey-rating"' not in survey.group(0)


def test_attachments_download_for_handlers_only(login, make, handler, org):
    from auditkit.complaints.portal_models import ComplaintAttachment
    from auditkit.core import storage

    complaint = receive(org)
    key = storage.save(b"receipt text", suffix=".txt")
    attachment = ComplaintAttachment(organisation_id=org.id, complaint_id=complaint.id, storage_key=key,
                                     filename="رسید.txt", media_type="text/plain", size=12, sha256="0" * 64)
    db.session.add(attachment)
    db.session.flush()
    url = f"/o/{org.slug}/complaints/{complaint.id}/attachments/{attachment.id}"
    response = login(handler).get(url)
    assert response.status_code == 200 and response.data == b"receipt text"
    assert "attachment" in response.headers["Content-Disposition"]
    viewer = login(make.member(org, Role.VIEWER))
    assert viewer.get(url).status_code == 403
    assert "1 file, visible to handlers and managers." in viewer.get(
        f"/o/{org.slug}/complaints/{complaint.id}").get_data(as_text=True)


def test_saved_filters_open_again_and_are_personal(login, make, handler, org):
    client = login(handler)
    response = client.post(f"/o/{org.slug}/complaints/filters", data={"name": "Overdue phone",
                                                                      "query": "channel=phone&overdue=y&after=1.2"})
    assert response.status_code == 302 and response.location.endswith("?channel=phone&overdue=y&after=1.2")
    page = client.get(f"/o/{org.slug}/complaints/").get_data(as_text=True)
    assert 'href="/o/alpha/complaints/?channel=phone&amp;overdue=y">Overdue phone</a>' in page  # no cursor kept
    client.post(f"/o/{org.slug}/complaints/filters", data={"name": "Overdue phone", "query": ""})
    assert "You already have a filter with this name." in client.get(f"/o/{org.slug}/complaints/").get_data(
        as_text=True)
    other = login(make.member(org, Role.HANDLER))
    assert "Overdue phone" not in other.get(f"/o/{org.slug}/complaints/").get_data(as_text=True)
