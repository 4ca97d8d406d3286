"""The documents of a gap assessment: the Word report (rendered from templates/gap-analysis-report.docx with the
context of documents.py and the charts of pictures.py, then kept in the register of generated documents with
the data it was built from) and the workbook of every answer and score.

A report may be generated in any status: one of an assessment that is not final says "Draft" on its cover and
on every page. Its language is the one asked for, else the organisation's.

Refuses: generating without `document.generate`, the workbook without `assessment.export` (Forbidden)."""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from auditkit.assessments import pictures
from auditkit.assessments.documents import (
    Sources,
    assessment_label,
    figure_text,
    gather,
    is_draft,
    report_context,
)
from auditkit.assessments.models import Assessment
from auditkit.assessments.scale import level_name
from auditkit.assessments.scoring import Score, Scores, section_of
from auditkit.complaints.exporting import cell
from auditkit.core.db import utcnow
from auditkit.core.i18n import LOCALES, pick
from auditkit.core.security import Actor, require
from auditkit.documents import services
from auditkit.documents.labels import KIND_LABELS
from auditkit.documents.models import GeneratedDocument
from auditkit.documents.rendering import Image, render
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

TEMPLATE = "gap-analysis-report.docx"
REPORT_KIND, ANSWERS_KIND, SOURCE_TYPE = "gap_report", "gap_answers", "assessment"
KIND_LABELS[REPORT_KIND] = _l("Gap analysis report")
KIND_LABELS[ANSWERS_KIND] = _l("Gap assessment answers")

# Pictures are drawn at most the text's width, and short enough to stand on a page under its heading.
PICTURE_DPI = 150
MAX_WIDTH_MM, MAX_HEIGHT_MM = 170.0, 225.0
RADAR_WIDTH_MM = 140.0
ROWS_PER_PICTURE = 20  # clauses in one chart by clause: about a page at the text's full width

ANSWER_COLUMNS = ("question_key", "clause", "question", "weight", "rating", "rating_name", "not_applicable",
                  "justification", "notes", "gap", "recommendation", "priority", "live_figure", "answered_by",
                  "updated_at")
SCORE_COLUMNS = ("level", "number", "title", "questions", "answered", "not_applicable", "score", "percent",
                 "target", "gap", "baseline_score", "change")


def report_locale(organisation: Organisation, asked: str | None) -> str:
    """The language asked for when AuditKit speaks it, else the organisation's, else English."""
    if asked in LOCALES:
        return asked
    return organisation.locale if organisation.locale in LOCALES else "en"


def picture(png: bytes, width_mm: float = MAX_WIDTH_MM) -> Image:
    """A chart as a picture no wider than `width_mm` and no taller than a page allows, its proportions kept."""
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR: pixels across and down
    natural = width / PICTURE_DPI * 25.4
    fitted = min(natural, width_mm, MAX_HEIGHT_MM * width / height)
    return Image(png, round(fitted, 1))


def parts(scores: Scores, rows: int = ROWS_PER_PICTURE) -> list[Scores]:
    """The scores cut into parts of at most `rows` clauses for the charts with a row per clause: whole sections
    kept together where they fit, a longer section cut. Each part is a Scores the charts can draw."""
    groups: list[list[Score]] = []
    for clause in scores.clauses:
        if groups and section_of(groups[-1][-1].number) == section_of(clause.number):
            groups[-1].append(clause)
        else:
            groups.append([clause])
    chunks: list[list[Score]] = []
    for group in groups:
        for start in range(0, len(group), rows):
            piece = group[start:start + rows]
            if chunks and len(chunks[-1]) + len(piece) <= rows and start == 0:
                chunks[-1].extend(piece)
            else:
                chunks.append(list(piece))
    return [replace(scores, clauses=chunk) for chunk in chunks] or [scores]


def charts(sources: Sources, locale: str) -> dict[str, Any]:
    """The report's charts as PNG pictures in `locale` (mirrored right to left for Persian): the radar, and the
    bars, heat map and (for a follow-up) change by clause, each in parts a page can hold legibly."""
    scores, before = sources.scores, sources.baseline_scores
    pieces = parts(scores)
    drawn: dict[str, Any] = {
        "radar": picture(pictures.radar(scores, before, locale=locale).png(PICTURE_DPI), RADAR_WIDTH_MM),
        "clauses": [picture(pictures.clauses(part, locale=locale).png(PICTURE_DPI)) for part in pieces],
        "heat": [picture(pictures.heat(sources.assessment, part, locale=locale).png(PICTURE_DPI))
                 for part in pieces],
        "change": [],
    }
    if before is not None:
        drawn["change"] = [picture(pictures.change(part, before, locale=locale).png(PICTURE_DPI)) for part in pieces]
    return drawn


def _person(actor: Actor) -> str:
    from auditkit.accounts.models import User

    user = db.session.get(User, actor.user_id) if actor.user_id else None
    return user.display_name if user is not None else actor.label


def report_title(assessment: Assessment, locale: str) -> str:
    with force_locale(locale):
        title = _("Gap analysis report %(reference)s: %(title)s", reference=assessment_label(assessment),
                  title=assessment.title)
        return f"{title} ({_('Draft')})" if is_draft(assessment) else title


def report_file_name(assessment: Assessment, locale: str) -> str:
    draft = "-draft" if is_draft(assessment) else ""
    return f"gap-report-{assessment.reference}-rev{assessment.revision}{draft}-{locale}.docx"


def report_context_for(actor: Actor, organisation: Organisation, assessment: Assessment, locale: str,
                       generated_at: datetime | None = None) -> dict[str, Any]:
    """The full context of a report, charts included: what is rendered and, made plain, kept as its snapshot."""
    sources = gather(organisation, assessment)
    context = report_context(sources, locale=locale, generated_at=generated_at or utcnow(),
                             generated_by=_person(actor))
    context["charts"] = charts(sources, locale)
    return context


def build_report(actor: Actor, organisation: Organisation, assessment: Assessment,
                 locale: str | None = None) -> GeneratedDocument:
    """Render the report in `locale` (else the organisation's language) and register it; flushes, the caller
    commits. The file is then read back with documents.services.content_of()."""
    require(actor, "document.generate")
    locale = report_locale(organisation, locale)
    context = report_context_for(actor, organisation, assessment, locale)
    content = render(TEMPLATE, context, organisation_slug=organisation.slug, locale=locale)
    return services.register(
        actor, kind=REPORT_KIND, source_type=SOURCE_TYPE, source_id=assessment.id,
        title=report_title(assessment, locale), file_name=report_file_name(assessment, locale),
        media_type=services.DOCX, content=content, snapshot=context, locale=locale, template=TEMPLATE)


def reports_of(actor: Actor, assessment: Assessment) -> list[GeneratedDocument]:
    """The reports generated from the assessment, newest first."""
    return [document for document in services.documents_of(actor, SOURCE_TYPE, assessment.id)
            if document.kind == REPORT_KIND]


# -- the answers workbook ------------------------------------------------------------------------------------

def _cell(value: Any, zone: ZoneInfo) -> Any:
    """As the other exports write a value, without the control characters a workbook cannot hold."""
    return cell(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value, zone)


def _sheet(workbook: Workbook, name: str, header: tuple[str, ...], rows, widths: dict[int, int],
           zone: ZoneInfo) -> None:
    sheet = workbook.create_sheet(name)
    sheet.freeze_panes = "A2"
    for index, width in widths.items():
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)
    heading = []
    for name_ in header:
        cell = WriteOnlyCell(sheet, value=name_)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_cell(value, zone) for value in row])


def _answer_rows(sources: Sources, locale: str):
    clause_numbers = {score.key: score.number for score in sources.scores.clauses}
    for question in sources.questions:
        answer = sources.answers.get(question.id)
        figure = ""
        if answer is not None and answer.figure:
            metric, value, window = figure_text(answer.figure)
            figure = f"{metric}: {value} ({window})"
        yield [question.key, clause_numbers.get(question.clause_key, question.clause_key),
               pick(question.text, locale), question.weight,
               answer.rating if answer is not None else None,
               level_name(sources.assessment.scale, answer.rating, locale) if answer is not None else "",
               bool(answer and answer.not_applicable), answer.justification if answer else None,
               answer.notes if answer else None, answer.gap if answer else None,
               answer.recommendation if answer else None, answer.priority if answer else None, figure,
               sources.people.get(answer.answered_by_id, "") if answer else None,
               answer.updated_at if answer else None]


def _score_rows(sources: Sources, locale: str):
    scores, before = sources.scores, sources.baseline_scores
    previous = {}
    if before is not None:
        previous = {("section", s.key): s.score for s in before.sections}
        previous |= {("clause", s.key): s.score for s in before.clauses}
        previous[("overall", "overall")] = before.overall.score if before.overall else None
    levels = [("clause", s) for s in scores.clauses] + [("section", s) for s in scores.sections]
    if scores.overall is not None:
        levels.append(("overall", scores.overall))
    for level, score in levels:
        baseline = previous.get((level, score.key))
        change = None if baseline is None or score.score is None else round(score.score - baseline, 2)
        title = pick(score.title, locale) if score.title else ""
        yield [level, score.number, title, score.questions, score.answered, score.not_applicable, score.score,
               score.percent, scores.target, score.gap, baseline, change]


def answers_workbook(actor: Actor, organisation: Organisation, assessment: Assessment,
                     locale: str | None = None) -> bytes:
    """An .xlsx of every question with its answer (sheet "Answers") and the scores per clause, section and
    overall (sheet "Scores"); texts in `locale` (else the organisation's), codes as stored, the header in field
    names as the other exports have it. A text a spreadsheet would run as a formula is written as text."""
    require(actor, "assessment.export")
    locale = report_locale(organisation, locale)
    sources = gather(organisation, assessment)
    workbook = Workbook(write_only=True)
    zone = ZoneInfo(organisation.timezone or "UTC")
    with force_locale(locale):
        _sheet(workbook, "Answers", ANSWER_COLUMNS, _answer_rows(sources, locale),
               {0: 14, 1: 8, 2: 70, 5: 26, 7: 40, 8: 40, 9: 40, 10: 40, 12: 40, 13: 20, 14: 26}, zone)
        _sheet(workbook, "Scores", SCORE_COLUMNS, _score_rows(sources, locale), {2: 50}, zone)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def workbook_file_name(assessment: Assessment) -> str:
    return f"gap-answers-{assessment.reference}-rev{assessment.revision}.xlsx"
