"""What an assessment's page shows beside its forms, each part in one query whatever the number of questions:
the questions grouped by section and clause (in the clause tree's order, from the scores), the answers with
their evidence files, the live figures as people read them, progress, and the state of a question's form
drawn again after a post (the values sent, the messages, "saved at")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from auditkit.assessments.evidence import BREAKDOWN_SHOWN, Figure
from auditkit.assessments.labels import BREAKDOWN_LABELS
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.scoring import Score, Scores, section_of
from auditkit.complaints.forms import CHANNEL_LABELS, SEVERITY_LABELS
from auditkit.complaints.metrics import OTHER
from auditkit.complaints.overview import FIGURE_LABELS
from auditkit.core.errors import NotFound
from auditkit.extensions import db
from auditkit.standard.models import ChecklistVersion, Clause, Question
from auditkit.web.template_helpers import digits, number

FIELDS = ("rating", "not_applicable", "justification", "notes", "gap", "recommendation", "priority")
MONTHS_SHOWN = 6
UNITS = {"ack_median_hours": "hours", "resolve_median_days": "days", "resolve_p90_days": "days"}


@dataclass
class Block:
    """One question's answer form as drawn again after a post."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None  # above the form: the assessment is locked, or someone else saved meanwhile
    conflict: bool = False
    unsaved: list[tuple[str, str]] = field(default_factory=list)  # on a conflict: what was sent and not saved
    saved_at: datetime | None = None


def values_of(answer: Answer | None) -> dict[str, Any]:
    if answer is None:
        return {"rating": None, "not_applicable": False, "justification": "", "notes": "", "gap": "",
                "recommendation": "", "priority": "", "version": None}
    return {**{name: getattr(answer, name) for name in FIELDS}, "version": answer.version}


def values_posted(form) -> dict[str, Any]:
    return {**{name: form[name].data for name in FIELDS}, "version": form.version.data}


def questions_of(assessment: Assessment, clause_keys: list[str] | None = None) -> list[Question]:
    """The checklist's questions in order; with `clause_keys`, only those of these clauses (one section's)."""
    statement = select(Question).where(Question.checklist_version_id == assessment.checklist_version_id)
    if clause_keys is not None:
        statement = statement.where(Question.clause_key.in_(clause_keys))
    return list(db.session.execute(statement.order_by(Question.position)).scalars())


def section_of_question(assessment: Assessment, question: Question) -> str | None:
    """The section (the clause tree's top level: "4" to "8") the question's clause is in, in one query."""
    number = db.session.execute(
        select(Clause.number).join(ChecklistVersion, ChecklistVersion.framework_version_id
                                   == Clause.framework_version_id)
        .where(ChecklistVersion.id == assessment.checklist_version_id, Clause.key == question.clause_key)
    ).scalar_one_or_none()
    return section_of(number) if number else None


def question_of(assessment: Assessment, question_id: int) -> Question:
    """A question of the assessment's checklist, or 404."""
    question = db.session.execute(select(Question).where(
        Question.id == question_id, Question.checklist_version_id == assessment.checklist_version_id)
    ).scalar_one_or_none()
    if question is None:
        raise NotFound()
    return question


def answers_of(assessment: Assessment, question_ids: list[int] | None = None) -> dict[int, Answer]:
    """The answers by question id, their evidence files loaded with them (two queries)."""
    statement = (select(Answer).where(Answer.assessment_id == assessment.id)
                 .options(selectinload(Answer.attachments)))
    if question_ids is not None:
        statement = statement.where(Answer.question_id.in_(question_ids))
    return {answer.question_id: answer for answer in db.session.execute(statement).scalars()}


@dataclass
class ClauseView:
    score: Score
    baseline: Score | None
    questions: list[Question]


@dataclass
class SectionView:
    score: Score
    baseline: Score | None
    clauses: list[ClauseView]


def grouped(scores: Scores, questions: list[Question], baseline: Scores | None = None) -> list[SectionView]:
    """Sections and their clauses in the clause tree's order, each clause with its questions."""
    by_clause: dict[str, list[Question]] = {}
    for question in questions:
        by_clause.setdefault(question.clause_key, []).append(question)
    before_clauses = {s.key: s for s in baseline.clauses} if baseline else {}
    before_sections = {s.key: s for s in baseline.sections} if baseline else {}
    sections = {s.number: SectionView(s, before_sections.get(s.key), []) for s in scores.sections}
    for clause in scores.clauses:
        section = sections.get(section_of(clause.number))
        if section is not None:
            section.clauses.append(ClauseView(clause, before_clauses.get(clause.key), by_clause.get(clause.key, [])))
    return list(sections.values())


@dataclass
class Progress:
    answered: int
    total: int
    next_key: str | None
    # (answered, questions) by clause key and by section number, for the counts beside the headings
    clauses: dict[str, tuple[int, int]] = field(default_factory=dict)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # clause key -> clause number
    question_sections: dict[str, str] = field(default_factory=dict)  # question key -> section number

    @property
    def next_section(self) -> str | None:
        """The section of the next question not yet answered: the page shows it, its link goes there."""
        return self.question_sections.get(self.next_key) if self.next_key else None

    @property
    def pct(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


def progress_of(assessment: Assessment) -> Progress:
    """Progress in one query: each question in order, its clause's number, and whether it is answered."""
    library = (select(ChecklistVersion.framework_version_id)
               .where(ChecklistVersion.id == assessment.checklist_version_id).scalar_subquery())
    rows = db.session.execute(
        select(Question.key, Question.clause_key, Clause.number, Answer.id, Answer.rating, Answer.not_applicable)
        .outerjoin(Answer, and_(Answer.question_id == Question.id, Answer.assessment_id == assessment.id))
        .outerjoin(Clause, and_(Clause.key == Question.clause_key, Clause.framework_version_id == library))
        .where(Question.checklist_version_id == assessment.checklist_version_id)
        .order_by(Question.position)).all()
    found = Progress(0, len(rows), None)
    clauses: dict[str, list[int]] = {}
    sections: dict[str, list[int]] = {}
    for row in rows:
        done = row.id is not None and (row.rating is not None or bool(row.not_applicable))
        found.answered += done
        if not done and found.next_key is None:
            found.next_key = row.key
        found.numbers[row.clause_key] = row.number or ""
        section = found.question_sections[row.key] = section_of(row.number or "")
        for counts in (clauses.setdefault(row.clause_key, [0, 0]), sections.setdefault(section, [0, 0])):
            counts[0] += done
            counts[1] += 1
    found.clauses = {key: (a, t) for key, (a, t) in clauses.items()}
    found.sections = {key: (a, t) for key, (a, t) in sections.items()}
    return found


def day(value: date | datetime | None) -> str:
    return digits(format_date(value, "medium")) if value else ""


@dataclass
class FigureView:
    key: str
    label: str
    text: str  # the value as people read it ("87.5%", "12 hours"); "—" when there is nothing to measure
    entries: list[tuple[str, str]]  # a breakdown's top entries: (label, count)
    more: int  # entries left out
    start: str
    end: str

    @property
    def empty(self) -> bool:
        return self.text == "—"


def _value_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key.endswith("_pct"):
        return f"{number(value)}%"
    if UNITS.get(key) == "hours":
        return _("%(n)s hours", n=number(value))
    if UNITS.get(key) == "days":
        return _("%(n)s days", n=number(value))
    if key == "satisfaction_avg":
        return _("%(n)s out of 5", n=number(value))
    return number(value)


def _entry_label(key: str, label: Any) -> str:
    if key == "by_channel":
        return str(CHANNEL_LABELS.get(label, label))
    if key == "by_category":
        return label.name if label is not None and hasattr(label, "name") else (label or _("Uncategorised"))
    if key == "by_severity":
        return str(SEVERITY_LABELS.get(label, label)) if label else _("Not assessed yet")
    if key == "by_product":
        return _("Other products") if label == OTHER else (label or _("No product named"))
    if key == "by_month":
        try:
            year, month = str(label).split("-")
            return digits(format_date(date(int(year), int(month), 1), "MMM y"))
        except ValueError:
            return str(label)
    return str(label)


def figure_view(figure: Figure) -> FigureView:
    start, end = day(figure.start), day(figure.end)
    if not figure.is_breakdown:
        return FigureView(figure.key, str(FIGURE_LABELS.get(figure.key, figure.key)),
                          _value_text(figure.key, figure.value), [], 0, start, end)
    rows = list(figure.value or [])
    # Months read in their order, the latest ones; other breakdowns by size, the largest ones.
    shown = rows[-MONTHS_SHOWN:] if figure.key == "by_month" else [row for row in rows if row[1]][:BREAKDOWN_SHOWN]
    total = sum(count for _label, count in rows)
    entries = [(_entry_label(figure.key, label), number(count)) for label, count in shown]
    more = len([row for row in rows if row[1]]) - len([row for row in shown if row[1]])
    return FigureView(figure.key, str(BREAKDOWN_LABELS.get(figure.key, figure.key)),
                      number(total) if total else "—", entries, max(more, 0), start, end)
