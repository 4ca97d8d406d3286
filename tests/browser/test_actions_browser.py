"""The corrective-action journey in a real browser (CSRF on, no JavaScript needed): a handler raises an action
from a complaint trend on the figures page, records the root cause with five whys, a task and the plan, and
marks it implemented; a manager reads the complaint figures before and after, verifies it and closes it; the
page then reads right to left in Persian. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from auditkit.accounts.services import create_user
from auditkit.actions.models import CorrectiveAction
from auditkit.actions.services import ActionData, raise_action
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership
from auditkit.orgs.services import create_organisation
from tests.browser.conftest import shoot, sign_in

PASSWORD = "browser-pass-5"
HANDLER, MANAGER = "handler@acme.example", "manager@acme.example"
ZONE = "Europe/London"


def _today() -> date:
    """The organisation's calendar day: due and check dates are its days."""
    return datetime.now(ZoneInfo(ZONE)).date()


def _seed(app) -> int:
    """An English organisation with a handler and a manager, eight billing complaints in the month before a
    month ago and two since, some in other categories, and two other actions (one overdue). Returns the
    billing category's id."""
    with app.app_context():
        organisation = create_organisation(None, name="Acme Telecom", slug="acme", locale="en",
                                           timezone=ZONE)
        users = {}
        for email, name, role in ((HANDLER, "Hana Handler", Role.HANDLER), (MANAGER, "Mani Manager", Role.MANAGER)):
            users[role] = create_user(None, email=email, password=PASSWORD, name=name)
            db.session.flush()
            db.session.add(Membership(organisation_id=organisation.id, user_id=users[role].id, role=role.value))
        ensure_default_categories(organisation.id)
        categories = {c.code: c.id for c in db.session.execute(select(Category).where(
            Category.organisation_id == organisation.id)).scalars()}
        now = datetime.now(UTC)
        received = [("billing", days) for days in (33, 36, 40, 44, 47, 51, 55, 58, 5, 12)]
        received += [("service-delay", days) for days in (3, 9, 20, 41)] + [("product-fault", 15), ("privacy", 25)]
        for n, (code, days) in enumerate(received):
            receive_complaint(organisation, NewComplaint(
                description=f"Complaint {n}: charged twice for the same month", email=f"c{n}@example.org",
                channel="email", category_id=categories[code], received_at=now - timedelta(days=days, hours=n)),
                actor_id=None, actor_label="browser test")
        manager = users[Role.MANAGER]
        actor = Actor(manager.id, organisation.id, Role.MANAGER, manager.email)
        today = _today()
        late = raise_action(actor, organisation, ActionData(
            title="Answer delayed complaints within 5 days", problem="Answers late in 4 of 10 cases.",
            owner_id=manager.id, priority="high", due_on=today + timedelta(days=1),
            category_id=categories["service-delay"]))
        late.due_on = today - timedelta(days=4)  # it fell overdue
        raise_action(actor, organisation, ActionData(
            title="Document the privacy request procedure", problem="Two requests answered ad hoc.",
            owner_id=users[Role.HANDLER].id, kind="preventive", priority="low", due_on=today + timedelta(days=5),
            clause_keys=["iso10002:2018:7.7"]))
        db.session.commit()
        return categories["billing"]


def _submit(page, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    assert page.locator("main .alert-danger").count() == 0, page.locator("main .alert-danger").inner_text()


@pytest.mark.browser
@pytest.mark.committed
def test_a_trend_becomes_an_action_that_is_verified_effective_and_closed(app, live_server, browser_page,
                                                                          artifacts):
    billing = _seed(app)
    page, problems = browser_page
    base = f"{live_server}/o/acme"
    today = _today()

    # The handler sees billing on top of the categories and raises an action for it.
    sign_in(page, live_server, HANDLER, PASSWORD)
    page.goto(f"{base}/complaints/overview/")
    row = page.locator(f"#trend-actions tr[data-category='{billing}']")
    assert "Billing and charges" in row.inner_text()
    row.scroll_into_view_if_needed()
    page.locator("#trend-actions").screenshot(path=str(artifacts / "overview-trend-actions.png"))
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("#source_kind").input_value() == "complaint_trend"
    assert page.locator("#category_id").input_value() == str(billing)
    page.fill("#title", "Stop double billing after plan changes")
    page.fill("#problem", "Eight complaints about double charges in one month, all after a plan change.")
    page.select_option("#priority", "high")
    page.fill("#containment", "Refunded every double charge found.")
    page.check("#containment_done")
    page.select_option("#clause_keys", ["iso10002:2018:7.7", "iso10002:2018:8.7"])
    shoot(page, artifacts, "action-new.png")
    _submit(page, "#new-action")
    assert page.locator("#action-status").get_attribute("data-status") == "open"
    reference = page.locator("main h1 span[dir=ltr]").inner_text()
    action_url = page.url

    # Its owner records the root cause with five whys.
    page.select_option("#step-find_root_cause select[name=method]", "five_whys")
    for n, answer in enumerate(("Customers were charged twice", "The billing run ran again after a plan change",
                                "Changing a plan restarts the billing cycle", "Nobody checks for a run that day")):
        page.fill(f"#whys-{n}", answer)
    page.fill("#step-find_root_cause textarea[name=root_cause]",
              "The billing run has no guard against a second run in the same cycle.")
    _submit(page, "#step-find_root_cause")
    assert page.locator("#five-whys li").count() == 4

    # A task, then the plan.
    page.fill("#add-task input[name=title]", "Add a guard against a second billing run")
    page.fill("#add-task input[name=due_on]", (today + timedelta(days=7)).isoformat())
    _submit(page, "#add-task")
    page.fill("#step-plan textarea[name=effectiveness_criteria]",
              "Billing complaints fall by at least a half in the 30 days after the guard is live.")
    page.fill("#step-plan input[name=check_on]", today.isoformat())
    _submit(page, "#step-plan")
    assert page.locator("#action-status").get_attribute("data-status") == "planned"

    # The task is done; the action is implemented.
    _submit(page, "#tasks li[data-task] form")
    page.fill("#step-implement textarea[name=note]", "Guard deployed on the billing server.")
    _submit(page, "#step-implement")
    assert page.locator("#action-status").get_attribute("data-status") == "implemented"
    assert page.locator("#owner-may-not-verify").count() == 1 and page.locator("#step-verify").count() == 0
    with app.app_context():  # as if implemented a month ago: the windows either side hold the complaints
        action = db.session.execute(select(CorrectiveAction).where(CorrectiveAction.reference == reference)
                                    ).scalar_one()
        action.implemented_at = datetime.now(UTC) - timedelta(days=30)
        db.session.commit()

    # A manager reads the before/after figures, verifies, and closes.
    page.context.clear_cookies()
    sign_in(page, live_server, MANAGER, PASSWORD)
    page.goto(f"{base}/actions/")
    assert page.locator("#actions tbody tr").count() == 3
    assert page.locator("#actions tbody tr.table-warning").count() == 1  # the overdue one
    shoot(page, artifacts, "actions-register.png")
    page.goto(action_url)
    live = page.locator("#live-evidence")
    assert live.locator("[data-figure=before-count]").inner_text() == "8"
    assert live.locator("[data-figure=after-count]").inner_text() == "2"
    assert page.locator("[data-suggestion]").get_attribute("data-suggestion") == "effective"
    assert page.locator("#evidence a[href*='/complaints/']").count() == 2  # the recurrences, linked
    shoot(page, artifacts, "action-evidence.png")
    page.select_option("#step-verify select[name=verdict]", "effective")
    page.fill("#step-verify textarea[name=comment]", "Down from 8 to 2 a month; the guard works.")
    _submit(page, "#step-verify")
    assert page.locator("#action-status").get_attribute("data-status") == "verified_effective"
    assert page.locator("#frozen-evidence [data-figure=before-count]").inner_text() == "8"
    _submit(page, "#step-close")
    assert page.locator("#action-status").get_attribute("data-status") == "closed"
    assert page.locator("#timeline li").count() == 8
    shoot(page, artifacts, "action-closed.png")

    # The same page in Persian, right to left.
    page.select_option("#language-select", "fa")
    with page.expect_navigation():
        page.click("form:has(#language-select) button[type=submit]")
    assert page.url == action_url
    assert page.evaluate("document.documentElement.dir") == "rtl"
    shoot(page, artifacts, "action-fa.png")
    assert problems.all() == [], "\n".join(problems.all())
