"""Generated documents: filling Word templates (lookup per organisation, deployment and shipped; escaping;
pictures; Persian right to left and Chinese fonts, checked in the XML and in LibreOffice's PDF) and the
register (stored with a sha256 that verifies, snapshots as plain data, the pages, roles and organisations)."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import matplotlib
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from auditkit.core import storage
from auditkit.core.errors import Forbidden
from auditkit.core.security import Role
from auditkit.documents import rendering, services
from auditkit.documents.models import GeneratedDocument
from auditkit.documents.rendering import Image, TemplateMissing, render
from auditkit.extensions import db
from tests.conftest import actor_of
from tests.documents_helpers import line_starts, template_bytes, to_pdf

matplotlib.use("Agg")

PERSIAN = {"title": "گزارش تحلیل شکاف", "body": "این گزارش از داده‌های زنده‌ی شکایت‌ها ساخته شده است.",
           "name_label": "بند", "value_label": "امتیاز",
           "rows": [{"name": "۷٫۱", "value": "۳"}, {"name": "۷٫۲", "value": "۴"}]}
ENGLISH = {"title": "Gap analysis report", "body": "Built from the live complaint records.", "name_label": "Clause",
           "value_label": "Score", "rows": [{"name": "7.1", "value": "3"}]}


def png() -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().bar(["a", "b"], [1, 2])
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


@pytest.fixture
def templates(app):
    """Write templates into the instance's template folders (the deployment's, an organisation's); removed
    after the test. Returns the writer: write(name, marker="", slug=None) -> path."""
    written: list[Path] = []

    def write(name: str, marker: str = "", slug: str | None = None) -> Path:
        folder = Path(app.instance_path) / "templates" / (slug or "")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(template_bytes(marker))
        written.append(path)
        return path

    yield write
    for path in written:
        path.unlink(missing_ok=True)


@pytest.fixture
def name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}.docx"


def opened(content: bytes):
    return Document(io.BytesIO(content))


def document_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return package.read("word/document.xml").decode()


def w(element, name: str):
    return element.find(qn(f"w:{name}"))


# Rendering


@pytest.mark.engine_independent
def test_a_persian_document_runs_right_to_left_with_a_persian_font(templates, name):
    templates(name)
    document = opened(render(name, {**PERSIAN, "picture": ""}, locale="fa"))
    body = document.element.body
    paragraphs = body.findall(".//" + qn("w:p"))
    assert paragraphs and all(w(w(p, "pPr"), "bidi") is not None for p in paragraphs)
    runs = body.findall(".//" + qn("w:r"))
    assert runs
    for run in runs:
        rpr = w(run, "rPr")
        assert w(rpr, "rtl") is not None
        fonts = w(rpr, "rFonts")
        assert (fonts.get(qn("w:cs")), fonts.get(qn("w:hint"))) == ("Vazirmatn", "cs")
    assert all(w(w(t, "tblPr"), "bidiVisual") is not None for t in body.findall(".//" + qn("w:tbl")))
    # The text is filled in, the table's rows repeated.
    texts = [p.text for p in document.paragraphs]
    assert PERSIAN["title"] in texts and PERSIAN["body"] in texts
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["بند", "امتیاز"], ["۷٫۱", "۳"], ["۷٫۲", "۴"]]
    # In a bidi paragraph Word and LibreOffice read jc left/right as start/end: unaligned and left-aligned
    # paragraphs stay so (they land on the right edge), centred ones stay centred; none became "right".
    body_alignments = [p.alignment for p in document.paragraphs if p.text == PERSIAN["body"]]
    assert body_alignments == [None, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT]


@pytest.mark.engine_independent
def test_persian_sets_the_document_defaults_and_the_complex_script_twins(templates, name):
    templates(name)
    document = opened(render(name, {**PERSIAN, "picture": ""}, locale="fa"))
    styles = document.styles.element
    defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fonts = w(defaults, "rFonts")
    assert fonts.get(qn("w:cs")) == "Vazirmatn" and fonts.get(qn("w:cstheme")) is None
    lang = w(defaults, "lang")
    assert (lang.get(qn("w:val")), lang.get(qn("w:bidi"))) == ("fa-IR", "fa-IR")
    # Word formats right-to-left runs with bCs/szCs: a bold heading style stays bold.
    heading = document.styles["Heading 1"].element.find(qn("w:rPr"))
    assert w(heading, "b") is not None and w(heading, "bCs") is not None
    assert w(heading, "szCs").get(qn("w:val")) == w(heading, "sz").get(qn("w:val"))
    assert w(heading, "rFonts").get(qn("w:cstheme")) is None


@pytest.mark.engine_independent
@pytest.mark.parametrize(("locale", "font", "language"), [("zh_Hans", "Noto Sans CJK SC", "zh-CN"),
                                                          ("zh_Hant", "Noto Sans CJK TC", "zh-TW")])
def test_chinese_sets_an_east_asian_font(templates, name, locale, font, language):
    templates(name)
    document = opened(render(name, {**ENGLISH, "title": "差距分析报告", "picture": ""}, locale=locale))
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fonts = w(defaults, "rFonts")
    assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:eastAsiaTheme")) is None
    assert w(defaults, "lang").get(qn("w:eastAsia")) == language
    heading = document.styles["Heading 1"].element.find(qn("w:rPr"))
    assert w(heading, "rFonts").get(qn("w:eastAsia")) == font
    assert not document.element.body.findall(".//" + qn("w:bidi"))  # left to right, as written
    assert "差距分析报告" in [p.text for p in document.paragraphs]


@pytest.mark.engine_independent
def test_english_documents_are_left_as_the_template_has_them(templates, name):
    templates(name)
    content = render(name, {**ENGLISH, "picture": ""})
    assert "w:bidi" not in document_xml(content) and "w:rtl" not in document_xml(content)


@pytest.mark.engine_independent
def test_user_text_stays_text(templates, name):
    templates(name)
    hostile = '<script>alert("x")</script> & {{ 7*7 }} </w:t></w:r>'
    content = render(name, {**ENGLISH, "title": hostile, "picture": ""})
    xml = document_xml(content)
    assert "&lt;script&gt;" in xml and "<script>" not in xml and "&amp; {{ 7*7 }}" in xml
    assert hostile in [p.text for p in opened(content).paragraphs]


@pytest.mark.engine_independent
def test_an_image_becomes_an_inline_picture(templates, name):
    templates(name)
    picture = Image(png(), width_mm=80)
    context = {**ENGLISH, "chart": {"nested": [picture]}, "picture": picture}
    document = opened(render(name, context))
    assert len(document.inline_shapes) == 1
    assert abs(document.inline_shapes[0].width.mm - 80) < 0.5
    assert context["picture"] is picture  # the caller's context is not changed


@pytest.mark.engine_independent
def test_the_organisation_template_wins_over_the_deployment_s_over_the_shipped_one(
        app, templates, name, tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / name).write_bytes(template_bytes("SHIPPED"))
    monkeypatch.setattr(rendering, "data_dir", lambda folder: shipped)

    def marker(slug=None) -> str:
        texts = [p.text for p in opened(render(name, {**ENGLISH, "picture": ""}, organisation_slug=slug)).paragraphs]
        return next(t for t in texts if t in ("SHIPPED", "DEPLOYMENT", "ALPHA"))

    assert marker("alpha") == "SHIPPED"
    templates(name, "DEPLOYMENT")
    assert marker() == "DEPLOYMENT" and marker("alpha") == "DEPLOYMENT"
    templates(name, "ALPHA", slug="alpha")
    assert marker("alpha") == "ALPHA"
    assert marker("beta") == "DEPLOYMENT" and marker() == "DEPLOYMENT"


@pytest.mark.engine_independent
def test_a_missing_template_is_named(app, name):
    with pytest.raises(TemplateMissing) as raised:
        render(name, {}, organisation_slug="alpha")
    assert name in raised.value.message and name in str(raised.value)
    assert raised.value.status == 500


@pytest.mark.engine_independent
@pytest.mark.parametrize("bad", ["../secret.docx", "/etc/passwd", "Report.docx", "report.doc", "a/b.docx", ""])
def test_template_names_are_file_names_chosen_by_code(app, bad):
    with pytest.raises(ValueError, match="template name"):
        render(bad, {})


@pytest.mark.engine_independent
def test_organisation_slugs_and_locales_are_checked(app, templates, name):
    templates(name)
    with pytest.raises(ValueError, match="slug"):
        render(name, {}, organisation_slug="../alpha")
    with pytest.raises(ValueError, match="locale"):
        render(name, {}, locale="de")


@pytest.mark.engine_independent
def test_libreoffice_prints_a_persian_document_right_to_left(templates, name, tmp_path):
    templates(name)
    persian = to_pdf(render(name, {**PERSIAN, "picture": Image(png(), 60)}, locale="fa"), tmp_path / "fa")
    english = to_pdf(render(name, {**ENGLISH, "picture": Image(png(), 60)}), tmp_path / "en")
    assert persian.startswith(b"%PDF") and english.startswith(b"%PDF")
    # The heading, the first line: at the left margin in English, in the right half of the page in Persian.
    page_middle = 612 / 2  # python-docx's default template: US Letter
    assert line_starts(english)[0] < page_middle < line_starts(persian)[0]


# The register


def registered(user, org, **values) -> GeneratedDocument:
    content = values.pop("content", b"PK fake docx bytes")
    fields = {"kind": "gap_report", "source_type": "assessment", "source_id": 7, "title": "Gap analysis report",
              "file_name": "gap-report.docx", "media_type": services.DOCX, "snapshot": {"score": 3}, "locale": "en",
              "template": "gap_report.docx", **values}
    return services.register(actor_of(user, org), content=content, **fields)


def test_register_stores_the_file_with_its_sha256(org, consultant):
    content = b"generated" * 100
    snapshot = {"on": date(2026, 3, 1), "at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "score": Decimal("12.50"),
                "role": Role.MANAGER, "items": ({"n": 1},)}
    document = registered(consultant, org, content=content, snapshot=snapshot)
    assert document.id and document.organisation_id == org.id and document.created_by_id == consultant.id
    assert document.sha256 == hashlib.sha256(content).hexdigest() and document.size == len(content)
    assert document.storage_key.endswith(".docx")
    assert services.content_of(document) == content
    assert document.snapshot == {"on": "2026-03-01", "at": "2026-03-01T09:30:00+00:00", "score": "12.50",
                                 "role": "manager", "items": [{"n": 1}]}
    assert services.verify(document)
    db.session.expire_all()
    assert services.documents_of(actor_of(consultant, org), "assessment", 7) == [document]
    assert services.documents_of(actor_of(consultant, org), "assessment", 8) == []


def test_a_changed_or_removed_file_fails_verification(org, consultant):
    document = registered(consultant, org)
    path = storage.folder() / document.storage_key
    path.write_bytes(path.read_bytes() + b" tampered")
    assert not services.verify(document)
    storage.delete(document.storage_key)
    assert not services.verify(document)


def test_only_consultants_auditors_and_managers_generate(make, org):
    for role in Role:
        user = make.member(org, role)
        if role in (Role.CONSULTANT, Role.AUDITOR, Role.MANAGER):
            assert registered(user, org).id
        else:
            with pytest.raises(Forbidden):
                registered(user, org)


def test_registered_documents_are_never_changed(org, consultant):
    from auditkit.core.db import ImmutableRecord

    document = registered(consultant, org)
    document.title = "Changed"
    with pytest.raises(ImmutableRecord):
        db.session.flush()


def test_register_refuses_what_it_cannot_keep(org, consultant):
    with pytest.raises(ValueError, match="extension"):
        registered(consultant, org, file_name="report")
    with pytest.raises(ValueError, match="kind"):
        registered(consultant, org, kind="k" * 41)
    with pytest.raises(TypeError, match="plain data"):
        registered(consultant, org, snapshot={"user": consultant})
    document = registered(consultant, org, file_name="../../etc/report\x00 2026.DOCX", title="  A\n title " * 50)
    assert document.file_name == "etc-report 2026.DOCX" and document.storage_key.endswith(".docx")
    assert len(document.title) == 300 and "\n" not in document.title


@pytest.mark.engine_independent
def test_plain_makes_json_data():
    picture = Image(b"png", 50)
    assert services.plain({1: {"a", "b"}, "p": picture, "n": None}) == {
        "1": ["a", "b"], "p": {"image_sha256": hashlib.sha256(b"png").hexdigest(), "width_mm": 50},
        "n": None}
    with pytest.raises(ValueError):
        services.plain(float("nan"))
    with pytest.raises(TypeError):
        services.plain(object())


# The pages


def test_the_register_lists_the_organisation_s_documents(login, org, other_org, consultant,
                                                         viewer, make):
    mine = registered(consultant, org, title="Board report <b>")
    theirs = registered(make.member(other_org, Role.MANAGER), other_org, title="Other report", content=b"theirs")
    page = login(viewer).get(f"/o/{org.slug}/documents/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Board report &lt;b&gt;" in html and mine.sha256[:12] in html and consultant.name in html
    assert "Other report" not in html and theirs.sha256[:12] not in html


def test_a_document_downloads_as_generated(login, org, consultant, viewer):
    document = registered(consultant, org, content=b"the bytes", file_name="Gap report 2026.docx")
    response = login(viewer).get(f"/o/{org.slug}/documents/{document.id}")
    assert response.status_code == 200
    assert response.get_data() == b"the bytes"
    assert response.mimetype == services.DOCX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Gap%20report%202026.docx" in response.headers["Content-Disposition"] or \
        "Gap report 2026.docx" in response.headers["Content-Disposition"]


def test_another_organisation_s_document_is_not_found(login, org, other_org, make, viewer):
    theirs = registered(make.member(other_org, Role.MANAGER), other_org)
    client = login(viewer)
    for url in (f"/o/{org.slug}/documents/{theirs.id}", f"/o/{org.slug}/documents/{theirs.id}/verify",
                f"/o/{other_org.slug}/documents/{theirs.id}", f"/o/{other_org.slug}/documents/"):
        assert client.get(url).status_code == 404, url


def test_the_verify_page_says_whether_the_file_is_intact(login, org, consultant, viewer):
    document = registered(consultant, org)
    client = login(viewer)
    page = client.get(f"/o/{org.slug}/documents/{document.id}/verify").get_data(as_text=True)
    assert "matches the one recorded" in page and document.sha256 in page
    (storage.folder() / document.storage_key).write_bytes(b"forged")
    page = client.get(f"/o/{org.slug}/documents/{document.id}/verify").get_data(as_text=True)
    assert "does not match" in page
    storage.delete(document.storage_key)
    assert client.get(f"/o/{org.slug}/documents/{document.id}").status_code == 404


def test_the_register_pages_by_fifty_newest_first(login, org, consultant, auditor,
                                                  count_queries):
    documents = [registered(consultant, org, title=f"Report {n:03d}") for n in range(51)]
    client = login(consultant)
    with count_queries() as few:  # one document on the page
        client.get(f"/o/{org.slug}/documents/?before={documents[1].id}")
    documents.append(registered(auditor, org, title="Report 051"))  # another author
    with count_queries() as many:
        first = client.get(f"/o/{org.slug}/documents/").get_data(as_text=True)
    assert len(many) == len(few)  # the authors come in one query, however many
    assert "Report 051" in first and "Report 002" in first and "Report 001" not in first
    assert f"before={documents[2].id}" in first
    second = client.get(f"/o/{org.slug}/documents/?before={documents[2].id}").get_data(as_text=True)
    assert "Report 001" in second and "Report 000" in second and "Report 002" not in second
    assert 'rel="next"' not in second
