"""Browser fixtures: the session app served for real on 127.0.0.1 (`live_server`, inside `committed` tests,
with CSRF protection switched on) and a headless Chromium page driven by Playwright (`browser_page`) that
records console errors, uncaught page errors and server errors for the test to assert on.

Chromium is the system one at /usr/bin/chromium; Playwright never downloads a browser here. Without it, or
without Playwright, the browser tests are skipped (and fail under CI=true)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Console errors that are not the page's fault: Chromium asks for /favicon.ico on its own, and the app has
# none (no icon in base.html), so every first page load logs a 404. Kept apart, not dropped.
IGNORED_CONSOLE_URLS = ("/favicon.ico",)


@pytest.fixture
def live_server(request, app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 in a daemon thread; yields its base URL (no trailing slash)."""
    if not request.node.get_closest_marker("committed"):
        pytest.fail("live_server needs @pytest.mark.committed: the server's threads see only committed data",
                    pytrace=False)
    csrf_before = app.config.get("WTF_CSRF_ENABLED")
    app.config["WTF_CSRF_ENABLED"] = True  # the real forms, tokens and all
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.config["WTF_CSRF_ENABLED"] = csrf_before


@dataclass
class BrowserProblems:
    """What went wrong in the page: console errors (CSP violations among them), uncaught exceptions, and
    responses with a server error status."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "") or ""
        entry = f"{message.text} @ {url or '?'}"
        if url.split("?")[0].endswith(IGNORED_CONSOLE_URLS):
            self.ignored.append(entry)
        else:
            self.console_errors.append(entry)

    def all(self) -> list[str]:
        return self.console_errors + self.page_errors + self.server_errors


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_page() -> Iterator[tuple[object, BrowserProblems]]:
    """(page, problems): a fresh headless Chromium page in English with a desktop viewport."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        unavailable(f"Playwright is not importable ({error}); pip install -e '.[dev]'")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    problems = BrowserProblems()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as error:
            unavailable(f"Chromium at {CHROMIUM} does not start under Playwright: {error}")
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.on("console", problems.console)
            page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
            page.on("response", lambda response: problems.server_errors.append(
                f"{response.status} {response.request.method} {response.url}") if response.status >= 500
                else None)
            yield page, problems
            context.close()
        finally:
            browser.close()


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the real form (CSRF token and all)."""
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def shoot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name), full_page=True)
