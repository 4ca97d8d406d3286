"""The corrective-action pages: every page for every role allowed, the whole journey through the forms (raised
from a complaint trend, root cause, tasks, plan, implementation, verification with the before/after figures,
closure), every refusal answered with its message and nothing changed, the complaint's page linking both ways,
the register's filters, and Persian right to left."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from auditkit.actions import links, workflow
from auditkit.actions.models import ActionEvent, ActionLink, CorrectiveAction
from auditkit.actions.services import ActionData, Source, add_task, raise_action, set_task_done
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.models import Category, Complaint
from auditkit.core.security import PERMISSIONS, Role
from auditkit.extensions import db
from tests.conftest import actor_of

NOW = datetime.now(UTC)
TODAY = NOW.date()  # the organisations here keep UTC


@pytest.fixture
def billing(org) -> Category:
    ensure_default_categories(org.id)
    return db.session.execute(select(Category).where(Category.organisation_id == org.id, Category.code == "billing")
                              ).scalar_one()


def complaint(org, at: datetime, category: Category | None = None, n: list[int] = [0]) -> Complaint:  # noqa: B006
    n[0] += 1
    found = Complaint(organisation_id=org.id, reference=f"P-{n[0]:05}", received_at=at, channel="email",
                      email="a@example.org", description="Billed twice.",
                      category_id=category.id if category else None)
    db.session.add(found)
    db.session.flush()
    return found


def raised(org, by, owner=None, **values) -> CorrectiveAction:
    data = ActionData(**{"title": "Stop double billing", "problem": "Customers billed twice after a plan change.",
                         "owner_id": (owner or by).id, "due_on": TODAY + timedelta(days=30), **values})
    return raise_action(actor_of(by, org), org, data)


def fresh(action: CorrectiveAction) -> CorrectiveAction:
    db.session.expire_all()
    return db.session.get(CorrectiveAction, action.id)


def to_verified(org, handler, manager) -> CorrectiveAction:
    """An action taken through the service layer to "verified effective", its one task done."""
    h = actor_of(handler, org)
    action = raised(org, handler)
    workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    add_task(h, org, action, action.version, title="Add a re-run guard", owner_id=None, due_on=TODAY)
    workflow.plan(h, org, action, action.version, effectiveness_criteria="c", check_on=TODAY)
    set_task_done(h, action, action.version, action.tasks[0].id, True)
    workflow.implement(h, action, action.version)
    workflow.verify(actor_of(manager, org), org, action, action.version, verdict="effective", comment="")
    return action


def offered_steps(page: str) -> set[str]:
    return set(re.findall(r'id="step-([a-z_]+)"', page))


@pytest.mark.parametrize("role", list(Role))
def test_each_page_renders_for_each_role_allowed(login, make, org, handler, role):
    user = make.member(org, role)
    action = raised(org, handler)
    client = login(user)
    base = f"/o/{org.slug}/actions"
    register = client.get(f"{base}/")
    assert register.status_code == 200 and action.reference in register.get_data(as_text=True)
    page = client.get(f"{base}/{action.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Stop double billing" in text and "Customers billed twice" in text
    assert f'href="{base}/"' in text  # the navbar's link to the register
    can_create, can_edit = role in PERMISSIONS["action.create"], role in PERMISSIONS["action.edit"]
    assert client.get(f"{base}/new").status_code == (200 if can_create else 403)
    assert client.get(f"{base}/{action.id}/edit").status_code == (200 if can_edit else 403)
    # The owner's work is offered to the roles that do it; a viewer reads only.
    assert offered_steps(text) == ({"find_root_cause"} if can_edit else set())
    assert ('id="add-task"' in text) is can_edit


def test_the_journey_through_the_pages(login, org, handler, manager, billing):
    for days in (35, 38, 40, 45, 50, 52, 55, 58):  # eight in the 30 days before the implementation
        complaint(org, NOW - timedelta(days=days), billing)
    recurrence = complaint(org, NOW - timedelta(days=10), billing)  # one after it
    complaint(org, NOW - timedelta(days=12))  # another category: not counted
    client = login(handler)
    base = f"/o/{org.slug}/actions"

    # The overview offers an action per category; the link opens the form on that trend.
    overview = client.get(f"/o/{org.slug}/complaints/overview/").get_data(as_text=True)
    link = f"{base}/new?source=complaint_trend&amp;category_id={billing.id}"
    assert link in overview
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(rf'<option selected value="{billing.id}">|<option value="{billing.id}" selected>', form)
    assert re.search(r'<option selected value="complaint_trend">|<option value="complaint_trend" selected>', form)
    response = client.post(f"{base}/new", data={
        "title": "Stop double billing", "problem": "Eight billing complaints in a month.", "kind": "corrective",
        "priority": "high", "owner_id": str(handler.id), "due_on": (TODAY + timedelta(days=20)).isoformat(),
        "containment": "Refunds issued", "containment_done": "y", "category_id": str(billing.id),
        "clause_keys": ["iso10002:2018:8.7", "iso10002:2018:7.7"], "source_kind": "complaint_trend"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    action = db.session.execute(select(CorrectiveAction).where(CorrectiveAction.organisation_id == org.id)
                                ).scalar_one()
    assert response.location.endswith(f"{base}/{action.id}")
    assert (action.source_kind, action.category_id, action.priority) == ("complaint_trend", billing.id, "high")
    url = f"{base}/{action.id}"
    page = client.get(url).get_data(as_text=True)
    assert offered_steps(page) == {"find_root_cause"} and "8.7" in page

    def post(path: str, data: dict) -> None:
        version = fresh(action).version
        answer = client.post(f"{url}/{path}", data={"version": str(version), **data})
        assert answer.status_code == 302, (path, answer.get_data(as_text=True)[:3000])

    post("steps/find_root_cause", {"method": "five_whys", "whys-0": "Bills ran twice",
                                   "whys-1": "The plan change re-ran the cycle", "whys-2": "No guard",
                                   "root_cause": "The billing run has no guard against re-runs."})
    assert fresh(action).rca == ["Bills ran twice", "The plan change re-ran the cycle", "No guard"]
    post("tasks", {"title": "Add a re-run guard", "owner_id": str(handler.id),
                   "due_on": (TODAY + timedelta(days=7)).isoformat()})
    post("steps/plan", {"effectiveness_criteria": "Billing complaints fall by half in 30 days",
                        "check_on": TODAY.isoformat()})
    page = client.get(url).get_data(as_text=True)
    assert fresh(action).status == "planned" and offered_steps(page) == {"implement"}
    assert '<ol class="mb-3" id="five-whys">' in page and "No guard" in page
    task = fresh(action).tasks[0]
    post(f"tasks/{task.id}/done", {"done": "1"})
    post("steps/implement", {"note": "Guard deployed"})
    assert fresh(action).status == "implemented"
    # As if implemented a month ago, so the windows either side hold the complaints above.
    db.session.execute(CorrectiveAction.__table__.update().where(CorrectiveAction.id == action.id)
                       .values(implemented_at=NOW - timedelta(days=30)))
    page = client.get(url).get_data(as_text=True)
    assert offered_steps(page) == {"request_check"}  # the owner does not verify (nor may a handler)
    assert 'id="owner-may-not-verify"' in page

    client = login(manager)
    page = client.get(url).get_data(as_text=True)
    assert offered_steps(page) == {"request_check", "verify"}
    assert 'data-figure="before-count">8<' in page and 'data-figure="after-count">1<' in page
    assert 'data-suggestion="effective"' in page and recurrence.reference in page
    assert f'href="/o/{org.slug}/complaints/{recurrence.id}"' in page
    post("steps/verify", {"verdict": "effective", "comment": "Down from 8 to 1"})
    page = client.get(url).get_data(as_text=True)
    assert 'id="frozen-evidence"' in page and "Down from 8 to 1" in page and offered_steps(page) == {"close"}
    post("steps/close", {})
    done = fresh(action)
    assert done.status == "closed" and done.verified_by_id == manager.id and done.evidence["before"]["count"] == 8
    kinds = db.session.execute(select(ActionEvent.kind).where(ActionEvent.action_id == action.id)
                               .order_by(ActionEvent.id)).scalars().all()
    assert kinds == ["raise", "find_root_cause", "task", "plan", "task_done", "implement", "verify", "close"]
    page = client.get(url).get_data(as_text=True)
    assert offered_steps(page) == set() and "Guard deployed" in page and "Verify effectiveness" in page


def test_a_fishbone_is_shown_by_its_six_categories(login, org, handler):
    action = raised(org, handler)
    client = login(handler)
    url = f"/o/{org.slug}/actions/{action.id}"
    response = client.post(f"{url}/steps/find_root_cause", data={
        "version": str(action.version), "method": "fishbone", "fishbone_methods": "No checklist\r\n\r\nNo review",
        "fishbone_people": "New staff", "root_cause": "No checklist for plan changes"})
    assert response.status_code == 302
    assert fresh(action).rca == {"people": ["New staff"], "methods": ["No checklist", "No review"]}
    page = client.get(url).get_data(as_text=True)
    assert 'id="fishbone"' in page and "Machines and equipment" in page and "No review" in page


def test_a_due_date_before_today_is_refused_and_nothing_is_written(login, org, handler):
    response = login(handler).post(f"/o/{org.slug}/actions/new", data={
        "title": "Late", "problem": "x", "kind": "corrective", "priority": "low", "owner_id": str(handler.id),
        "due_on": (TODAY - timedelta(days=1)).isoformat(), "source_kind": "none"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The due date cannot be before the day the action was raised" in text
    assert 'id="due_on-error"' in text  # on the field itself
    assert db.session.execute(select(func.count()).select_from(CorrectiveAction)).scalar_one() == 0


def test_a_trend_without_a_category_or_product_is_refused(login, org, handler):
    response = login(handler).post(f"/o/{org.slug}/actions/new", data={
        "title": "Trend", "problem": "x", "kind": "corrective", "priority": "low", "owner_id": str(handler.id),
        "due_on": TODAY.isoformat(), "source_kind": "complaint_trend"})
    assert response.status_code == 422
    assert "A trend needs a category or a product" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(CorrectiveAction)).scalar_one() == 0


def test_the_owner_is_not_offered_the_verification_and_is_refused_it(login, org, handler, manager):
    h = actor_of(handler, org)
    action = raised(org, handler, owner=manager)  # a manager owns it: another must verify
    workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    add_task(h, org, action, action.version, title="t", owner_id=None, due_on=TODAY)
    workflow.plan(h, org, action, action.version, effectiveness_criteria="c", check_on=TODAY)
    set_task_done(h, action, action.version, action.tasks[0].id, True)
    workflow.implement(h, action, action.version)
    client = login(manager)
    url = f"/o/{org.slug}/actions/{action.id}"
    page = client.get(url).get_data(as_text=True)
    assert offered_steps(page) == {"request_check"} and 'id="owner-may-not-verify"' in page
    version = action.version
    response = client.post(f"{url}/steps/verify", data={"version": str(version), "verdict": "effective"})
    assert response.status_code == 422
    assert "The action&#39;s owner cannot verify its effectiveness" in response.get_data(as_text=True)
    after = fresh(action)
    assert (after.status, after.version, after.verdict) == ("implemented", version, None)


def test_closing_with_an_open_task_is_refused(login, org, handler, manager):
    action = to_verified(org, handler, manager)
    action.tasks[0].done_at = None  # reopened behind the workflow's back: closing still checks
    db.session.flush()
    version = action.version
    response = login(manager).post(f"/o/{org.slug}/actions/{action.id}/steps/close",
                                   data={"version": str(version)})
    assert response.status_code == 422
    assert "These tasks are still open: Add a re-run guard" in response.get_data(as_text=True)
    assert (fresh(action).status, fresh(action).version) == ("verified_effective", version)


def test_a_step_the_state_does_not_allow_is_refused_with_the_allowed_ones(login, org, handler):
    action = raised(org, handler)
    response = login(handler).post(f"/o/{org.slug}/actions/{action.id}/steps/implement",
                                   data={"version": str(action.version)})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "is not possible now; the next steps allowed are: Record the root cause" in text
    assert 'id="refused"' in text  # above the page: the step is not on offer
    assert fresh(action).status == "open"


def test_a_stale_version_is_refused_and_nothing_changes(login, org, handler):
    action = raised(org, handler)
    client = login(handler)
    url = f"/o/{org.slug}/actions/{action.id}"
    stale = action.version
    assert client.post(f"{url}/tasks", data={"version": str(stale), "title": "First",
                                             "due_on": TODAY.isoformat()}).status_code == 302
    response = client.post(f"{url}/steps/find_root_cause", data={
        "version": str(stale), "method": "five_whys", "whys-0": "a", "root_cause": "b"})
    assert response.status_code == 409
    assert "Someone else changed this record meanwhile" in response.get_data(as_text=True)
    after = fresh(action)
    assert after.status == "open" and after.rca is None and after.version == stale + 1
    response = client.post(f"{url}/edit", data={
        "version": str(stale), "title": "Other", "problem": "x", "kind": "corrective", "priority": "low",
        "owner_id": str(handler.id), "due_on": TODAY.isoformat()})
    assert response.status_code == 409 and fresh(action).title == "Stop double billing"


def test_a_root_cause_without_analysis_names_the_fields(login, org, handler):
    action = raised(org, handler)
    response = login(handler).post(f"/o/{org.slug}/actions/{action.id}/steps/find_root_cause", data={
        "version": str(action.version), "method": "five_whys"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Answer at least the first “why”" in text and "State the root cause the analysis found" in text
    assert fresh(action).status == "open"


def test_a_plan_with_a_check_date_in_the_past_is_refused(login, org, handler):
    h = actor_of(handler, org)
    action = raised(org, handler)
    workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    response = login(handler).post(f"/o/{org.slug}/actions/{action.id}/steps/plan", data={
        "version": str(action.version), "effectiveness_criteria": "c",
        "check_on": (TODAY - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The effectiveness check cannot be in the past" in text and "Add at least one task" in text
    assert fresh(action).status == "root_cause_found"


def test_editing_an_action(login, org, handler, manager):
    action = raised(org, handler)
    client = login(handler)
    url = f"/o/{org.slug}/actions/{action.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="Stop double billing"' in form
    response = client.post(url, data={
        "version": str(action.version), "title": "Stop all double billing", "problem": "x", "kind": "preventive",
        "priority": "critical", "owner_id": str(manager.id), "due_on": TODAY.isoformat(),
        "clause_keys": ["iso10002:2018:7.7"]})
    assert response.status_code == 302
    after = fresh(action)
    assert (after.title, after.kind, after.owner_id) == ("Stop all double billing", "preventive", manager.id)
    response = client.post(url, data={"version": str(after.version), "title": "", "problem": "x",
                                      "kind": "preventive", "priority": "low", "owner_id": str(manager.id),
                                      "due_on": TODAY.isoformat()})
    assert response.status_code == 422 and "Give the action a title" in response.get_data(as_text=True)


def test_the_complaint_page_raises_an_action_and_lists_it(login, org, handler, viewer, billing):
    source = complaint(org, NOW - timedelta(days=2), billing)
    client = login(handler)
    page = client.get(f"/o/{org.slug}/complaints/{source.id}").get_data(as_text=True)
    link = f"/o/{org.slug}/actions/new?source=complaint&amp;complaint_id={source.id}"
    assert link in page and "No corrective action was raised from this complaint" in page
    form = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert source.reference in form and f'name="source_record" type="hidden" value="{source.id}"' in form
    response = client.post(f"/o/{org.slug}/actions/new", data={
        "title": "Refund process", "problem": "x", "kind": "correction", "priority": "medium",
        "owner_id": str(handler.id), "due_on": TODAY.isoformat(), "source_kind": "complaint",
        "source_record": str(source.id), "category_id": str(billing.id)})
    assert response.status_code == 302
    action = db.session.execute(select(CorrectiveAction)).scalar_one()
    assert db.session.execute(select(ActionLink.kind, ActionLink.target_id, ActionLink.is_source)).all() == [
        ("complaint", source.id, True)]
    page = client.get(f"/o/{org.slug}/complaints/{source.id}").get_data(as_text=True)
    assert f"{action.reference} Refund process" in page and f"/o/{org.slug}/actions/{action.id}" in page
    action_page = client.get(f"/o/{org.slug}/actions/{action.id}").get_data(as_text=True)
    assert f'href="/o/{org.slug}/complaints/{source.id}"' in action_page  # and back
    viewer_page = login(viewer).get(f"/o/{org.slug}/complaints/{source.id}").get_data(as_text=True)
    assert action.reference in viewer_page and 'id="raise-action"' not in viewer_page


def test_a_complaint_of_another_organisation_cannot_prefill_the_form(login, org, other_org, handler):
    theirs = complaint(other_org, NOW)
    response = login(handler).get(f"/o/{org.slug}/actions/new?source=complaint&complaint_id={theirs.id}")
    assert response.status_code == 404


def test_the_register_filters_and_quick_views(login, make, org, handler, manager):
    late = raised(org, handler, title="Late one")
    db.session.execute(CorrectiveAction.__table__.update().where(CorrectiveAction.id == late.id)
                       .values(due_on=TODAY - timedelta(days=3)))
    soon = raised(org, manager, due_on=TODAY + timedelta(days=2), title="Soon one")
    later = raised(org, handler, due_on=TODAY + timedelta(days=60), title="Later one",
                   clause_keys=["iso10002:2018:8.7"])
    client = login(handler)
    base = f"/o/{org.slug}/actions/"

    def listed(query: str = "") -> set[str]:
        return set(re.findall(r">(ACT-\d{4}-\d{4})<", client.get(base + query).get_data(as_text=True)))

    assert listed() == {late.reference, soon.reference, later.reference}
    assert listed("?overdue=y") == {late.reference}
    assert listed("?due_soon=y") == {soon.reference}
    assert listed(f"?owner={manager.id}") == {soon.reference}
    assert listed("?owner=me") == {late.reference, later.reference}
    assert listed("?clause=iso10002:2018:8.7") == {later.reference}
    assert listed("?q=soon") == {soon.reference}
    assert listed("?status=closed") == set()
    assert listed("?status=nonsense") == {late.reference, soon.reference, later.reference}  # ignored
    page = client.get(base + "?overdue=y").get_data(as_text=True)
    assert 'class="table-warning"' in page and "overdue" in page


def test_the_register_pages(login, org, handler):
    for n in range(55):
        raised(org, handler, title=f"Action {n}")
    client = login(handler)
    first = client.get(f"/o/{org.slug}/actions/").get_data(as_text=True)
    assert len(re.findall(r">ACT-\d{4}-\d{4}<", first)) == 50
    second = client.get(f"/o/{org.slug}/actions/?page=2").get_data(as_text=True)
    assert len(re.findall(r">ACT-\d{4}-\d{4}<", second)) == 5


def test_the_action_page_in_persian_is_right_to_left(login, make, handler):
    persian = make.organisation(name="بیمه", slug="bimeh", locale="fa", timezone="Asia/Tehran")
    owner = make.member(persian, Role.HANDLER)
    action = raise_action(actor_of(owner, persian), persian, ActionData(
        title="توقف صورت‌حساب تکراری", problem="مشتریان دو بار صورت‌حساب گرفتند.", owner_id=owner.id,
        due_on=TODAY + timedelta(days=30)), Source(links.NO_SOURCE))
    page = login(owner).get(f"/o/{persian.slug}/actions/{action.id}").get_data(as_text=True)
    assert 'dir="rtl"' in page.split(">", 2)[1] and 'lang="fa"' in page
    assert "توقف صورت‌حساب تکراری" in page
    assert "bootstrap.rtl.min.css" in page


def test_a_trend_on_a_product_prefills_the_form(login, org, handler):
    page = login(handler).get(f"/o/{org.slug}/actions/new?source=complaint_trend&product=Fibre+100").get_data(
        as_text=True)
    assert 'name="product" type="text" value="Fibre 100"' in page


def test_a_handler_who_does_not_own_it_is_told_who_verifies(login, make, org, handler, manager):
    action = to_verified(org, handler, manager)
    other = make.member(org, Role.HANDLER)
    page = login(other).get(f"/o/{org.slug}/actions/{action.id}").get_data(as_text=True)
    assert offered_steps(page) == set() and "Effective" in page  # closing is for verifiers
    action.status, action.verdict = "check_due", None
    db.session.flush()
    page = login(other).get(f"/o/{org.slug}/actions/{action.id}").get_data(as_text=True)
    assert "A manager or an auditor who does not own the action verifies" in page
    assert offered_steps(page) == set()
