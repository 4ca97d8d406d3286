"""A consultant's journey in a real browser against a live server: sign in through the real form (CSRF
on), land on an organisation's dashboard, switch to the other demo organisation, then switch the interface
to Persian and check that the page turns right-to-left with Bootstrap's RTL stylesheet and the Vazirmatn
font. Screenshots of every step go to tests/artifacts/; no console error (a CSP violation is one) may be
logged on the way."""

from __future__ import annotations

import re

import pytest

from auditkit.demo import CONSULTANT_EMAIL, ORGANISATIONS, seed_demo
from auditkit.extensions import db
from tests.browser.conftest import shoot, sign_in

PASSWORD = "browser-pass-1"
NAMES = {spec["slug"]: spec["name"] for spec in ORGANISATIONS}

STYLESHEETS = """() => [...document.styleSheets].filter(s => s.href).map(s => {
  let rules = -1;
  try { rules = s.cssRules.length; } catch (e) { /* cross-origin: not ours */ }
  return {href: s.href, rules};
})"""
VAZIRMATN = """async () => {
  await document.fonts.ready;
  return {
    check: document.fonts.check('16px Vazirmatn', 'سلام'),
    loaded: [...document.fonts].filter(f => f.status === 'loaded').map(f => `${f.family} ${f.weight}`),
    bodyFont: getComputedStyle(document.body).fontFamily,
  };
}"""


def organisation_slug(page, base: str) -> str:
    match = re.fullmatch(re.escape(base) + r"/o/([^/]+)/(?:\?.*)?", page.url)
    assert match, f"not on an organisation dashboard: {page.url}"
    return match.group(1)


@pytest.mark.browser
@pytest.mark.committed
def test_consultant_signs_in_switches_organisation_and_reads_persian(app, live_server, browser_page,
                                                                       artifacts):
    with app.app_context():
        seed_demo(PASSWORD)
        db.session.commit()
    page, problems = browser_page
    base = live_server

    # Signed out, the home page sends the visitor to the sign-in form.
    page.goto(base + "/")
    assert re.match(re.escape(base) + r"/login(\?|$)", page.url), page.url
    assert page.locator("main form input[name=csrf_token]").count() == 1  # CSRF is on for this test
    shoot(page, artifacts, "login.png")

    page.fill("input[name=email]", CONSULTANT_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if not re.search(r"/o/[^/]+/", page.url):
        # A consultant in two organisations first picks one from the list.
        with page.expect_navigation():
            page.click(f"main a.list-group-item[href$='/o/{ORGANISATIONS[0]['slug']}/']")
    first = organisation_slug(page, base)
    assert first in NAMES
    assert page.locator("main h1").inner_text().strip() == NAMES[first]
    shoot(page, artifacts, f"dashboard-{first}.png")

    # The organisation switcher lists both demo organisations; pick the other one.
    other = next(slug for slug in NAMES if slug != first)
    page.click("#org-switcher")
    item = page.locator(f"#nav-main .dropdown-menu a[data-org='{other}']")
    item.wait_for(state="visible")
    assert page.locator(f"#nav-main .dropdown-menu a[data-org='{first}']").is_visible()
    with page.expect_navigation():
        item.click()
    assert organisation_slug(page, base) == other
    assert page.url.startswith(f"{base}/o/{other}/")
    assert page.locator("main h1").inner_text().strip() == NAMES[other]
    assert NAMES[other] in page.locator("#org-switcher").inner_text()
    shoot(page, artifacts, f"switched-{other}.png")

    with page.expect_navigation():
        page.click(f"#nav-main a.nav-link[href='/o/{other}/']")
    assert organisation_slug(page, base) == other

    # Persian through the language switch in the navbar: the page comes back right-to-left.
    page.select_option("#language-select", "fa")
    with page.expect_navigation():
        page.click("form:has(#language-select) button[type=submit]")
    assert organisation_slug(page, base) == other
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "fa"
    sheets = page.evaluate(STYLESHEETS)
    rtl = [s for s in sheets if s["href"].endswith("/vendor/bootstrap/bootstrap.rtl.min.css")]
    assert rtl and rtl[0]["rules"] > 0, f"Bootstrap RTL stylesheet not loaded: {sheets}"
    assert not [s for s in sheets if s["href"].endswith("/bootstrap.min.css")], sheets
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    fonts = page.evaluate(VAZIRMATN)
    assert fonts["check"], f"Vazirmatn not loaded for Persian text: {fonts}"
    assert fonts["bodyFont"].strip().strip("\"'").startswith("Vazirmatn"), fonts
    assert page.locator("main h1").inner_text().strip() == NAMES[other]
    shoot(page, artifacts, "dashboard-fa.png")

    with page.expect_navigation():
        page.click(f"#nav-main a.nav-link[href='/o/{other}/members']")
    assert page.url.startswith(f"{base}/o/{other}/members")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("main table tbody tr").count() >= 6  # a user per role and the consultant
    assert page.evaluate(VAZIRMATN)["check"]
    shoot(page, artifacts, "members-fa.png")

    assert problems.all() == [], "\n".join(problems.all())


@pytest.mark.browser
@pytest.mark.committed
def test_the_api_docs_page_runs_swagger_ui_under_the_csp(live_server, browser_page, artifacts):
    page, problems = browser_page
    page.goto(live_server + "/api/v1/docs")
    page.locator("#swagger-ui .opblock").first.wait_for(state="visible")
    assert page.locator("#swagger-ui .opblock-summary-path").count() >= 5
    shoot(page, artifacts, "api-docs.png")
    assert problems.all() == [], "\n".join(problems.all())


@pytest.mark.browser
@pytest.mark.committed
def test_the_administrator_creates_an_organisation_and_its_manager(app, live_server, browser_page, artifacts):
    with app.app_context():
        seed_demo(PASSWORD)
        db.session.commit()
    page, problems = browser_page
    sign_in(page, live_server, "admin@demo.example", PASSWORD)
    page.goto(live_server + "/admin/organisations/")
    page.fill("#name", "Gamma Bank")
    page.fill("#slug", "Not A Slug")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "lower-case letters" in page.locator("#slug-error").inner_text()
    # The refused form answers 422, which Chromium logs as a failed load: expected, and the only one.
    assert [e for e in problems.console_errors if "422" not in e] == []
    problems.console_errors.clear()
    page.fill("#slug", "gamma-bank")
    page.select_option("#locale", "fa")
    page.select_option("#timezone", "Asia/Tehran")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("main h1").inner_text() == "Gamma Bank"
    page.fill("#email", "boss@gamma.example")
    page.select_option("#role", "manager")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    temporary = page.locator("#temporary-password").inner_text()
    assert len(temporary) >= 12
    shoot(page, artifacts, "admin-organisation.png")
    assert problems.all() == [], "\n".join(problems.all())
