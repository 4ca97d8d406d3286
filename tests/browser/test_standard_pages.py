"""The clause library and checklists in a real browser: the three ISO 10002 checklists read in English,
Persian (right to left) and Chinese; a consultant copies one, revises it and sees what changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from auditkit.demo import CONSULTANT_EMAIL, seed_demo
from auditkit.extensions import db
from auditkit.standard.models import Checklist
from tests.browser.conftest import shoot, sign_in

PASSWORD = "browser-pass-2"
GAP = "iso10002-2018-gap-assessment"


def switch_language(page, code):
    page.select_option("#language-select", code)
    with page.expect_navigation():
        page.click("form:has(#language-select) button[type=submit]")


@pytest.mark.browser
@pytest.mark.committed
def test_checklists_in_three_languages_copy_and_revise(app, live_server, browser_page, artifacts):
    with app.app_context():
        seed_demo(PASSWORD)
        db.session.commit()
        shared = {c.key: c.id for c in db.session.execute(
            select(Checklist).where(Checklist.organisation_id.is_(None))).scalars()}
    if GAP not in shared:
        pytest.fail("the shipped gap assessment is not loaded")
    page, problems = browser_page
    sign_in(page, live_server, CONSULTANT_EMAIL, PASSWORD)
    base = f"{live_server}/o/demo-telecom"
    page.goto(f"{base}/checklists")
    for key in (GAP, "iso10002-2018-internal-audit", "iso10002-2018-small-business"):
        assert page.locator(f"a[href='/o/demo-telecom/checklists/{shared[key]}']").count() == 1
    shoot(page, artifacts, "checklists-en.png")

    page.goto(f"{base}/checklists/{shared[GAP]}")
    assert page.locator("main .list-group-item").count() >= 117
    shoot(page, artifacts, "gap-assessment-en.png")
    switch_language(page, "fa")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "ارزیابی شکاف" in page.locator("main h1").inner_text()
    shoot(page, artifacts, "gap-assessment-fa.png")
    switch_language(page, "zh_Hans")
    assert "差距评估" in page.locator("main h1").inner_text()
    shoot(page, artifacts, "gap-assessment-zh.png")

    page.goto(f"{base}/clauses?q=7.4")
    assert page.locator("main a[href$='/clauses/iso10002:2018:7.4']").is_visible()
    shoot(page, artifacts, "clauses-zh.png")
    switch_language(page, "en")
    page.goto(f"{base}/clauses/iso10002:2018:7.4")
    assert page.locator("main h1").inner_text().startswith("7.4")
    shoot(page, artifacts, "clause-7.4.png")

    # Copy the small-business form into the organisation, reweight and retire a question, add one.
    page.goto(f"{base}/checklists/{shared['iso10002-2018-small-business']}")
    with page.expect_navigation():
        page.click("form[action$='/copy'] button")
    assert page.url.endswith("/edit")
    page.fill("#questions-0-weight", "5")
    page.check("#questions-1-retire")
    page.select_option("#new_clause", "iso10002:2018:7.4")
    page.fill("#new_text", "Do we call back every caller the same day?")
    page.fill("#note", "Adapted for our shop")
    shoot(page, artifacts, "checklist-edit.png")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Saved as version 2." in page.locator("main").inner_text()
    page.click("main details summary")
    with page.expect_navigation():
        page.click("main a:has-text('what changed')")
    assert page.locator("#added li").count() == 1 and page.locator("#removed li").count() == 1
    assert page.locator("#changed tbody tr").count() == 1
    shoot(page, artifacts, "checklist-diff.png")
    assert problems.all() == [], "\n".join(problems.all())
