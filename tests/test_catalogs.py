"""The Persian, Simplified Chinese and Traditional Chinese catalogs: every string the sources ask to be
translated (extracted afresh, so a newly added string without a translation fails here) has a non-empty,
non-fuzzy translation with the same placeholders, each catalog is written in the right script, and the
running app serves the translations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import get_domain, gettext

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "auditkit" / "translations"
LOCALES = ("fa", "zh_Hans", "zh_Hant")
pytestmark = pytest.mark.engine_independent

# Printf-style placeholders as Python's % operator reads them: %(name)s, %d, %.2f, and the escape %%.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                         r"(?P<kind>[a-zA-Z%])")

# Characters that exist in only one of the two Chinese scripts (the common words of this interface).
SIMPLIFIED_ONLY = set("这为码录户设请织员个务据删时语称态无导处诉审证让从们还"
                      "发经过问题链单该页选择项权检测显转换将号启载网络连签历")
TRADITIONAL_ONLY = set("這為碼錄戶設請織員個務據刪時語稱態無導處訴審證讓從們還"
                       "發經過問題鏈單該頁選擇項權檢測顯轉換將號啟載網絡連簽歷")
ARABIC_YEH_KAF = set("\u064a\u0643")  # Persian uses ی (U+06CC) and ک (U+06A9)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Catalog:
    """The messages the sources contain right now, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    catalog = _read(pot)
    assert len([message for message in catalog if message.id]) > 50, "extraction found almost nothing"
    return catalog


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request) -> Catalog:
    path = TRANSLATIONS / request.param / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path} is missing"
    return _read(path, locale=request.param)


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string or ""]


def _placeholders(text: str) -> Counter:
    """Named placeholders normalised to %(name)kind (flags and widths may differ), others as written."""
    return Counter(match.group(0) if match.group("name") is None
                   else f"%({match.group('name')}){match.group('kind')}"
                   for match in PLACEHOLDER.finditer(text))


def _where(message: Message) -> str:
    return ", ".join(f"{file}:{line}" for file, line in message.locations[:2]) or "?"


def test_catalog_header(catalog):
    assert not catalog.fuzzy, f"{catalog.locale}: the catalog header is marked fuzzy"
    assert catalog.num_plurals >= 1


def test_every_source_string_is_translated(template, catalog):
    problems = []
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id, source.context)
        label = f"{_where(source)}: {source.id!r}"
        if message is None:
            problems.append(f"missing (run `make messages`, then translate): {label}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {label}")
        strings = _strings(message)
        if source.pluralizable:
            if not message.pluralizable:
                problems.append(f"plural forms missing: {label}")
            elif len(strings) != catalog.num_plurals:
                problems.append(f"{len(strings)} plural forms instead of {catalog.num_plurals}: {label}")
        if not all(text.strip() for text in strings):
            problems.append(f"untranslated: {label}")
    assert not problems, f"{catalog.locale}: " + "\n".join(problems)


def test_placeholders_match(catalog):
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        expected = _placeholders(ids[-1])
        if message.python_format or expected:
            for text in _strings(message):
                found = _placeholders(text)
                # A plural form may leave out the number (e.g. "one minute"), never use another placeholder.
                ok = found == expected or (message.pluralizable and not (found - expected))
                if text and not ok:
                    problems.append(f"{message.id!r}: {sorted(expected)} became {sorted(found)} in {text!r}")
    for message, errors in catalog.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, f"{catalog.locale}: " + "\n".join(problems)


def test_script_of_each_catalog(catalog):
    locale = str(catalog.locale)
    forbidden = {"fa": ARABIC_YEH_KAF, "zh_Hans": TRADITIONAL_ONLY, "zh_Hant": SIMPLIFIED_ONLY}[locale]
    problems = [f"{message.id!r} → {text!r}: {''.join(sorted(set(text) & forbidden))}"
                for message in catalog if message.id
                for text in _strings(message) if set(text) & forbidden]
    assert not problems, f"{locale}: characters of the wrong script:\n" + "\n".join(problems)


def test_code_and_names_stay_untranslated(catalog):
    kept = ("AuditKit", "API", "ISO 10002", "auditkit audit-trail verify", "Authorization: Bearer <token>")
    problems = [f"{message.id!r} → {message.string!r} lost {term!r}"
                for message in catalog if message.id and isinstance(message.id, str)
                for term in kept if term in message.id and term not in (message.string or "")]
    assert not problems, f"{catalog.locale}:\n" + "\n".join(problems)


def _compile_if_stale() -> None:
    """Build each .mo from its .po when missing or older, as `make translations` would; written to a
    temporary file and renamed, so a concurrent test run never reads half a catalog."""
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = _read(po, locale=locale)
        partial = mo.with_name(f".messages.{os.getpid()}.mo")
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, mo)


@pytest.mark.parametrize(("accept_language", "expected"), [
    ("fa", "ورود به AuditKit"),
    ("zh-CN", "登录 AuditKit"),
    ("zh-TW", "登入 AuditKit"),
    ("fa-IR,fa;q=0.9,en;q=0.5", "ورود به AuditKit"),
    ("en", "Sign in to AuditKit"),
])
def test_app_serves_the_translations(app, accept_language, expected):
    _compile_if_stale()
    with app.test_request_context(headers={"Accept-Language": accept_language}):
        get_domain().cache.clear()  # translations loaded before the .mo files existed are cached empty
        assert gettext("Sign in to AuditKit") == expected
        if accept_language != "en":
            assert gettext("%(email)s has been added.", email="a@example.org").count("a@example.org") == 1


def test_login_page_in_persian(app, client):
    _compile_if_stale()
    with app.test_request_context():
        get_domain().cache.clear()
    response = client.get("/login", headers={"Accept-Language": "fa"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "ورود به AuditKit" in page
    assert 'dir="rtl"' in page
