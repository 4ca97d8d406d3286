"""The gap-analysis report and the answers workbook: a final follow-up assessment (and its baseline) answered in
full, the report opened with python-docx (cover, scores, charts, findings, roadmap, escaping), right to left in
Persian and in Chinese, printed by LibreOffice, registered with a sha256 that verifies; the routes by role and
organisation; the workbook opened with openpyxl."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from auditkit.assessments import links, report_words, reports, scoring, workflow
from auditkit.assessments.answering import AnswerData, answer_of, answer_question, attach_evidence
from auditkit.assessments.models import Assessment
from auditkit.assessments.services import PlanData, create_assessment
from auditkit.complaints.attachments import Upload
from auditkit.core.errors import Forbidden
from auditkit.documents import services
from auditkit.documents.models import GeneratedDocument
from auditkit.extensions import db
from auditkit.standard.models import Checklist, ChecklistVersion, Question
from tests.conftest import actor_of
from tests.documents_helpers import to_pdf

TODAY = datetime.now(UTC).date()
HOSTILE = '<script>alert("report")</script> & {{ 7*7 }}'
PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")
CJK = re.compile(r"[\u4E00-\u9FFF]")


def gap_version() -> ChecklistVersion:
    return db.session.execute(
        select(ChecklistVersion).join(Checklist).where(Checklist.key == "iso10002-2018-gap-assessment",
                                                       Checklist.organisation_id.is_(None))
        .order_by(ChecklistVersion.number.desc())).scalars().first()


def questions_of(version: ChecklistVersion) -> list[Question]:
    return list(db.session.execute(select(Question).where(Question.checklist_version_id == version.id)
                                   .order_by(Question.position)).scalars())


def answered_assessment(actor, org, questions, rating, *, title, kind="baseline", baseline_id=None,
                        special=None) -> Assessment:
    """An assessment with every question answered (`rating(i)`: a level, or None for not applicable), final."""
    found = create_assessment(actor, org, PlanData(title=title, scope="All channels, head office\nand the call centre",
                                                   starts_on=TODAY, target_maturity=3, lead_id=actor.user_id,
                                                   assessor_ids=[actor.user_id]),
                              checklist_version_id=gap_version().id, kind=kind, baseline_id=baseline_id)
    workflow.start(actor, found, found.version)
    for index, question in enumerate(questions):
        value = rating(index)
        data = (AnswerData(not_applicable=True, justification="No branch offices") if value is None
                else AnswerData(rating=value))
        if special and index in special:
            data = special[index]
        answer_question(actor, org, found, question.id, data, None)
    return found


@pytest.fixture
def follow_up(org, consultant):
    """A final baseline and its final follow-up, every question answered; the follow-up has a hostile note,
    an action raised from a recommendation and an evidence file. Returns (follow_up, baseline, action)."""
    actor = actor_of(consultant, org)
    questions = questions_of(gap_version())
    baseline = answered_assessment(actor, org, questions, lambda i: None if i == 5 else i % 3, title="Baseline")
    workflow.submit(actor, baseline, baseline.version)
    workflow.finalise(actor, baseline, baseline.version)
    special = {0: AnswerData(rating=1, notes=HOSTILE, gap="No written principles",
                             recommendation="Write the principles into the policy", priority="high")}
    follow = answered_assessment(actor, org, questions, lambda i: None if i == 5 else 1 + i % 4,
                                 title="Follow-up 2026", kind="follow_up", baseline_id=baseline.id, special=special)
    action = links.raise_from_answer(actor, org, follow, answer_of(follow, questions[0].id))
    attach_evidence(actor, follow, questions[1].id, [Upload("complaints-policy.txt", b"Our policy")], [])
    workflow.submit(actor, follow, follow.version)
    workflow.finalise(actor, follow, follow.version)
    return follow, baseline, action


def opened(content: bytes) -> Document:
    return Document(io.BytesIO(content))


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def table_with(document, header: list[str]):
    """The first table whose header row starts with `header`."""
    return next(t for t in document.tables if [c.text for c in t.rows[0].cells[:len(header)]] == header)


def pictures(content: bytes) -> int:
    return len(opened(content).inline_shapes)


def test_the_report_of_a_final_follow_up_has_every_part_and_is_registered(org, consultant, follow_up, tmp_path):
    follow, baseline, action = follow_up
    actor = actor_of(consultant, org)
    document = reports.build_report(actor, org, follow, "en")
    content = services.content_of(document)
    word = opened(content)
    text = all_text(word)
    # The cover: the organisation, the reference and revision, kind, status, no draft mark.
    cover = "\n".join(p.text for p in word.paragraphs[:8])
    assert "Gap analysis report" in cover and org.name in cover and "Follow-up 2026" in cover
    cover_rows = {row.cells[0].text: row.cells[1].text for row in word.tables[0].rows}
    assert cover_rows["Reference"] == follow.reference and cover_rows["Revision"] == "1"
    assert baseline.reference in cover_rows["Kind"] and cover_rows["Status"] == "Final"
    header = word.sections[0].header.paragraphs[0].text
    assert "Draft" not in cover and header == f"Gap analysis report · {org.name} · {follow.reference}"
    # Parts, in order.
    assert headings(word, 1) == ["Scope and method", "Executive summary", "Charts", "Scores by clause",
                                 "Findings and recommendations", "Roadmap", "Appendix: evidence"]
    assert "A score is the weighted mean of the ratings given" in text
    # The scale in English, from the assessment.
    assert "Fully in place and reviewed" in text
    # The summary: the overall score as "x.x of 4 (y%)" and the change since the baseline.
    overall = follow.final_scores["overall"]
    assert f"Overall maturity: {overall['score']:.1f} of 4 ({overall['percent']:g}%)" in text
    assert f"Change since the baseline {baseline.reference}: +" in text
    # The per-clause table: one row per clause with its baseline and change columns.
    clause_table = table_with(word, ["Clause", "Questions"])
    clauses = follow.final_scores["clauses"]
    assert len(clause_table.rows) == 1 + len(clauses)
    assert [row.cells[0].text.split(" ")[0] for row in clause_table.rows[1:]] == [c["number"] for c in clauses]
    assert clause_table.rows[0].cells[7].text == "Baseline"
    # The four charts: the radar, and the bars, heat map and change by clause, each of these three in two parts
    # (clauses 4 and 5, then 6 to 8) so that a page holds each legibly.
    split = reports.parts(scoring.current(follow))
    assert [[c.number for c in part.clauses][::len(part.clauses) - 1] for part in split] == [["4.1", "5.4"],
                                                                                            ["6.1", "8.7"]]
    assert pictures(content) == 1 + 3 * len(split)
    # The findings: the hostile note stays text; the recommendation, the gap; N/A with its justification.
    assert HOSTILE in text and "No written principles" in text and "No branch offices" in text
    xml = word.element.xml
    assert "<script>" not in xml
    # The roadmap lists the action raised.
    roadmap = table_with(word, ["Reference", "Action"])
    assert [row.cells[0].text for row in roadmap.rows[1:]] == [action.reference]
    assert roadmap.rows[1].cells[2].text == "High"
    # The appendix: the evidence file with its sha256, and live figures as recorded.
    assert hashlib.sha256(b"Our policy").hexdigest() in text and "complaints-policy.txt" in text
    figures = table_with(word, ["Question", "Figure"])
    assert len(figures.rows) > 10
    # Registered: the sha256 of the bytes, verifiable, with a plain snapshot naming the charts' sha256s.
    assert document.kind == "gap_report" and document.source_type == "assessment" and document.source_id == follow.id
    assert document.sha256 == hashlib.sha256(content).hexdigest() and services.verify(document)
    assert document.snapshot["reference"] == follow.reference and document.snapshot["follow_up"] is True
    assert set(document.snapshot["charts"]) == {"radar", "clauses", "heat", "change"}
    assert len(document.snapshot["charts"]["radar"]["image_sha256"]) == 64
    assert len(document.snapshot["charts"]["change"]) == len(split)
    assert document.file_name.endswith("-en.docx") and document.locale == "en"
    pages = look(content, tmp_path / "en", "en")
    assert pages >= 10


def test_a_report_of_an_assessment_in_progress_is_marked_draft(org, consultant):
    actor = actor_of(consultant, org)
    questions = questions_of(gap_version())[:3]
    found = create_assessment(actor, org, PlanData(title="Early look", scope="Head office", starts_on=TODAY,
                                                   target_maturity=3), checklist_version_id=gap_version().id)
    workflow.start(actor, found, found.version)
    answer_question(actor, org, found, questions[0].id, AnswerData(rating=2), None)
    document = reports.build_report(actor, org, found, None)
    word = opened(services.content_of(document))
    assert any(p.text.startswith("Draft: this assessment is not final") for p in word.paragraphs)
    assert "DRAFT" in word.sections[0].header.paragraphs[0].text
    assert "(Draft)" in document.title and "-draft-" in document.file_name
    text = all_text(word)
    assert "Not answered yet" in text and "No action has been raised" in text
    split = len(reports.parts(scoring.current(found)))
    assert pictures(services.content_of(document)) == 1 + 2 * split  # no change chart without a baseline


def test_an_assessment_with_no_answer_yet_gives_a_report(org, consultant):
    actor = actor_of(consultant, org)
    found = create_assessment(actor, org, PlanData(title="Not started", scope="Head office", starts_on=TODAY,
                                                   target_maturity=3), checklist_version_id=gap_version().id)
    document = reports.build_report(actor, org, found, "zh_Hant")
    assert document.snapshot["draft"] is True and document.locale == "zh_Hant"
    assert {row["score"] for row in document.snapshot["clauses"]} == {"—"}
    assert opened(services.content_of(document)).paragraphs and services.verify(document)


def test_a_persian_report_runs_right_to_left_in_persian(org, consultant, follow_up, tmp_path):
    follow, _baseline, _action = follow_up
    document = reports.build_report(actor_of(consultant, org), org, follow, "fa")
    content = services.content_of(document)
    word = opened(content)
    body = word.element.body
    paragraphs = body.findall(".//" + qn("w:p"))
    assert all(p.find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None for p in paragraphs)
    assert body.findall(".//" + qn("w:bidiVisual"))
    with force_locale("fa"):
        expected = report_words.words()
    assert headings(word, 1)[0] == expected["scope_and_method"]
    # The clauses' own titles are Persian whatever the catalogs hold; numbers in Persian digits.
    assert all(PERSIAN_LETTERS.search(text) for text in headings(word, 2) if re.match(r"\d", text))
    assert "۱" in all_text(word)
    assert pictures(content) == 7 and document.locale == "fa"
    look(content, tmp_path / "fa", "fa")


def test_a_chinese_report_has_chinese_headings(org, consultant, follow_up):
    follow, _baseline, _action = follow_up
    content = services.content_of(reports.build_report(actor_of(consultant, org), org, follow, "zh_Hans"))
    word = opened(content)
    with force_locale("zh_Hans"):
        expected = report_words.words()
    assert headings(word, 1)[0] == expected["scope_and_method"]
    clause_headings = [text for text in headings(word, 2) if re.match(r"\d", text)]
    assert clause_headings and all(CJK.search(text) for text in clause_headings)
    assert "w:bidi" not in word.element.xml


def test_the_organisation_language_is_the_default(make, consultant, org):
    org.locale = "zh_Hant"
    assert reports.report_locale(org, None) == "zh_Hant"
    assert reports.report_locale(org, "fa") == "fa" and reports.report_locale(org, "xx") == "zh_Hant"


def test_the_routes_by_role_and_organisation(app, org, other_org, make, consultant, viewer, login, follow_up):
    follow, _baseline, _action = follow_up
    base = f"/o/{org.slug}/assessments/{follow.id}"
    client = login(viewer)
    assert client.post(f"{base}/report.docx", data={"lang": "en"}).status_code == 403
    with pytest.raises(Forbidden):
        reports.build_report(actor_of(viewer, org), org, follow, "en")
    page = client.get(f"{base}/report")
    assert page.status_code == 200 and b"generate-report" not in page.data
    workbook = client.get(f"{base}/answers.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype == services.XLSX
    client = login(consultant)
    assert client.get(f"{base}/report.docx").status_code == 303  # a link followed generates nothing
    before = db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one()
    response = client.post(f"{base}/report.docx", data={"lang": "fa"})
    assert response.status_code == 200 and response.mimetype == services.DOCX
    assert "attachment" in response.headers["Content-Disposition"]
    stored = db.session.execute(select(GeneratedDocument).order_by(GeneratedDocument.id.desc())).scalars().first()
    assert db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one() == before + 1
    assert stored.sha256 == hashlib.sha256(response.data).hexdigest() and stored.locale == "fa"
    page = client.get(f"{base}/report")
    assert page.status_code == 200 and b"generate-report" in page.data
    assert f"/o/{org.slug}/documents/{stored.id}".encode() in page.data
    # Another organisation's member gets 404 everywhere.
    stranger = make.member(other_org, "consultant")
    client = login(stranger)
    for method, path in (("GET", "report"), ("POST", "report.docx"), ("GET", "answers.xlsx")):
        assert client.open(f"{base}/{path}", method=method).status_code == 404
        assert client.open(f"/o/{other_org.slug}/assessments/{follow.id}/{path}", method=method).status_code == 404


def test_the_workbook_has_a_row_per_question_and_neutralised_formulas(org, consultant, follow_up):
    follow, _baseline, _action = follow_up
    actor = actor_of(consultant, org)
    questions = questions_of(gap_version())
    content = reports.answers_workbook(actor, org, follow)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Answers", "Scores"]
    answers = book["Answers"]
    rows = list(answers.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("question_key", "clause", "question", "weight") and answers["A1"].font.b
    assert answers.freeze_panes == "A2"
    assert len(rows) == 1 + len(questions)
    assert [row[0] for row in rows[1:]] == [q.key for q in questions]
    first = dict(zip(header, rows[1], strict=True))
    assert first["notes"] == HOSTILE and first["priority"] == "high" and first["rating"] == 1
    assert first["rating_name"] == "Initial" and first["not_applicable"] == "false"
    sixth = dict(zip(header, rows[6], strict=True))
    assert sixth["not_applicable"] == "true" and sixth["justification"] == "No branch offices"
    scores = list(book["Scores"].iter_rows(values_only=True))
    assert scores[-1][0] == "overall" and len(scores) == 1 + len(follow.final_scores["clauses"]) + len(
        follow.final_scores["sections"]) + 1
    assert scores[1][10] is not None  # the baseline's score beside each clause


def test_a_formula_in_an_answer_is_written_as_text(org, consultant):
    actor = actor_of(consultant, org)
    question = questions_of(gap_version())[0]
    found = create_assessment(actor, org, PlanData(title="Formulas", scope="Head office", starts_on=TODAY,
                                                   target_maturity=3), checklist_version_id=gap_version().id)
    workflow.start(actor, found, found.version)
    answer_question(actor, org, found, question.id, AnswerData(rating=2, notes="=HYPERLINK(\"http://x\")"), None)
    book = load_workbook(io.BytesIO(reports.answers_workbook(actor, org, found, "fa")))
    rows = list(book["Answers"].iter_rows(values_only=True))
    notes = rows[0].index("notes")
    assert rows[1][notes] == "'=HYPERLINK(\"http://x\")"
    assert PERSIAN_LETTERS.search(rows[1][2])  # the question in the language asked for


def look(content: bytes, folder, name: str) -> int:
    """Print the report to PDF with LibreOffice (proving it opens) and, where poppler is installed, keep its
    pages as PNG in tests/artifacts/reports/ for a person to look at. Returns the number of pages."""
    pdf = to_pdf(content, folder)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    if shutil.which("pdftoppm"):
        target = folder / "pages"
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(target / f"{name}.pdf"), str(target / name)],
                       check=True, timeout=120)
    return pages
