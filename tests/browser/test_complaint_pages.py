"""The register in a real browser: a handler works a complaint from the register, the overview draws its
charts under the CSP, and a complainant uses the portal in Persian without JavaScript-only controls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.demo import seed_demo
from auditkit.extensions import db
from auditkit.orgs.services import organisation_by_slug
from tests.browser.conftest import shoot, sign_in

PASSWORD = "browser-pass-3"


@pytest.mark.browser
@pytest.mark.committed
def test_a_handler_works_a_complaint_and_reads_the_figures(app, live_server, browser_page, artifacts):
    with app.app_context():
        seed_demo(PASSWORD)
        telecom = organisation_by_slug("demo-telecom")
        now = datetime.now(UTC)
        for n in range(30):
            receive_complaint(telecom, NewComplaint(
                description=f"手机信号差，第 {n} 次投诉", email=f"user{n}@example.org", complainant_name="王芳",
                channel=("phone", "email", "web_form")[n % 3], received_at=now - timedelta(days=n * 9)),
                actor_id=None, actor_label="browser test")
        db.session.commit()
    page, problems = browser_page
    sign_in(page, live_server, "handler@demo-telecom.example", PASSWORD)
    base = f"{live_server}/o/demo-telecom/complaints"
    page.goto(base + "/")
    assert page.locator("#register tbody tr").count() == 30
    shoot(page, artifacts, "register.png")
    with page.expect_navigation():
        page.locator("#register tbody tr a").first.click()
    page.click("#step-acknowledge summary")
    page.select_option("#step-acknowledge select[name=method]", "phone")
    with page.expect_navigation():
        page.click("#step-acknowledge button[type=submit]")
    assert page.locator("main .alert-success").count() == 1  # demo-telecom speaks Chinese
    assert page.locator("#step-assess").count() == 1 and page.locator("#step-acknowledge").count() == 0
    shoot(page, artifacts, "complaint.png")
    page.goto(base + "/overview/")
    for name in ("volumes", "ack", "resolve", "pareto"):
        assert page.evaluate(f"document.getElementById('chart-{name}').naturalWidth") > 100
    shoot(page, artifacts, "overview.png")
    assert problems.all() == [], "\n".join(problems.all())


@pytest.mark.browser
@pytest.mark.committed
def test_a_complainant_uses_the_portal_in_persian(app, live_server, browser_page, artifacts):
    with app.app_context():
        seed_demo(PASSWORD)
        db.session.commit()
    page, problems = browser_page
    page.goto(f"{live_server}/p/demo-insurance/complaint?lang=fa")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    shoot(page, artifacts, "portal-fa.png")
    assert problems.all() == [], "\n".join(problems.all())
