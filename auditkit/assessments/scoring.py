"""Scores of an assessment, per clause, per section (clauses 4 to 8) and overall, in three queries whatever
the number of questions.

The method (shown on the assessment page and in the report): a score is the weighted mean of the ratings
given, each question counting by its weight in the checklist. Questions answered "not applicable" and
questions not yet answered are left out of the mean, so a score is never lowered by what does not apply;
a clause with no rating has no score. A section's and the overall score are the same weighted mean over all
their questions' ratings (not a mean of clause scores, so a clause with many questions counts for more). The
gap is how far a score falls short of the target maturity (none when it reaches it); a percentage is the
score over the scale's top level."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.scale import maximum
from auditkit.extensions import db
from auditkit.standard.models import ChecklistVersion, Clause, Question


@dataclass
class Score:
    key: str  # a clause key, a section number ("7") or "overall"
    number: str
    title: dict[str, str]
    questions: int = 0
    answered: int = 0
    not_applicable: int = 0
    rated_weight: float = 0.0
    weighted_sum: float = 0.0
    score: float | None = None
    percent: float | None = None
    gap: float | None = None

    @property
    def progress_pct(self) -> int:
        return round(100 * self.answered / self.questions) if self.questions else 100

    def add(self, other: Score) -> None:
        self.questions += other.questions
        self.answered += other.answered
        self.not_applicable += other.not_applicable
        self.rated_weight += other.rated_weight
        self.weighted_sum += other.weighted_sum

    def settle(self, top: int, target: float) -> None:
        if self.rated_weight:
            self.score = round(self.weighted_sum / self.rated_weight, 2)
            self.percent = round(100 * self.score / top, 1)
            self.gap = round(max(target - self.score, 0.0), 2)


@dataclass
class Scores:
    maximum: int
    target: float
    clauses: list[Score] = field(default_factory=list)  # in the clause tree's order
    sections: list[Score] = field(default_factory=list)
    overall: Score | None = None

    def clause(self, key: str) -> Score | None:
        return next((score for score in self.clauses if score.key == key), None)

    def largest_gaps(self, count: int = 5) -> list[Score]:
        gaps = [score for score in self.clauses if score.gap]
        return sorted(gaps, key=lambda score: (-score.gap, score.number))[:count]

    def as_record(self) -> dict[str, Any]:
        """Plain data, for the frozen copy kept with a final assessment and for documents."""
        return {"maximum": self.maximum, "target": self.target, "overall": asdict(self.overall),
                "sections": [asdict(s) for s in self.sections], "clauses": [asdict(s) for s in self.clauses]}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Scores:
        return cls(record["maximum"], record["target"], [Score(**s) for s in record["clauses"]],
                   [Score(**s) for s in record["sections"]], Score(**record["overall"]))


def section_of(number: str) -> str:
    return number.split(".", 1)[0]


def compute(assessment: Assessment) -> Scores:
    version = db.session.get(ChecklistVersion, assessment.checklist_version_id)
    counts = dict(db.session.execute(
        select(Question.clause_key, func.count()).where(Question.checklist_version_id == version.id)
        .group_by(Question.clause_key)).all())
    rated = Answer.rating.is_not(None)
    sums = {row.clause_key: row for row in db.session.execute(
        select(Answer.clause_key,
               func.count().filter(rated | Answer.not_applicable).label("answered"),
               func.count().filter(Answer.not_applicable).label("not_applicable"),
               func.coalesce(func.sum(case((rated, Answer.weight), else_=0.0)), 0.0).label("rated_weight"),
               func.coalesce(func.sum(case((rated, Answer.weight * Answer.rating), else_=0.0)), 0.0)
               .label("weighted_sum"))
        .where(Answer.assessment_id == assessment.id).group_by(Answer.clause_key))}
    clauses = db.session.execute(
        select(Clause).where(Clause.framework_version_id == version.framework_version_id)
        .order_by(Clause.position)).scalars().all()
    top, target = maximum(assessment.scale), assessment.target_maturity
    scores = Scores(top, target)
    by_number = {clause.number: clause for clause in clauses}
    sections: dict[str, Score] = {}
    overall = Score("overall", "", {})
    for clause in clauses:
        if clause.key not in counts:
            continue
        row = sums.get(clause.key)
        score = Score(clause.key, clause.number, clause.title, counts[clause.key],
                      row.answered if row else 0, row.not_applicable if row else 0,
                      float(row.rated_weight) if row else 0.0, float(row.weighted_sum) if row else 0.0)
        score.settle(top, target)
        scores.clauses.append(score)
        number = section_of(clause.number)
        if number not in sections:
            parent = by_number.get(number)
            sections[number] = Score(number, number, parent.title if parent else {"en": number})
        sections[number].add(score)
        overall.add(score)
    for section in sections.values():
        section.settle(top, target)
    overall.settle(top, target)
    scores.sections = sorted(sections.values(), key=lambda s: (len(s.number), s.number))
    scores.overall = overall
    return scores


def current(assessment: Assessment) -> Scores:
    """The frozen scores of a final assessment, else computed now."""
    if assessment.final_scores:
        return Scores.from_record(assessment.final_scores)
    return compute(assessment)
