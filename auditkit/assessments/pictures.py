"""The charts of a gap assessment, assembled from its Scores: the radar by section (with the baseline's for a
follow-up), the bar chart by clause against the target, the heat map of ratings by clause and level, and the
change since the baseline. The page shows them as SVG, the report as PNG; every text is in `locale`, passed
in (no request needed), and right-to-left locales get mirrored charts."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.scoring import Score, Scores
from auditkit.core import charts
from auditkit.core.i18n import RTL_LOCALES, pick
from auditkit.extensions import db


def label(score: Score, locale: str) -> str:
    """A clause or section as charts and tables name it: "7.4 Receipt of complaints"."""
    title = pick(score.title, locale)
    return f"{score.number} {title}".strip() if title != score.number else score.number


def _rtl(locale: str) -> bool:
    return locale in RTL_LOCALES


def _target_label(scores: Scores) -> str:
    return _("Target %(target)s", target=f"{scores.target:g}")


def radar(scores: Scores, baseline_scores: Scores | None = None, *, locale: str) -> charts.Chart:
    """Each section's score on a spoke; a follow-up shows its baseline's polygon under its own."""
    with force_locale(locale):
        series: dict[str, list[float | None]] = {}
        if baseline_scores is not None:
            before = {section.key: section.score for section in baseline_scores.sections}
            series[_("Baseline")] = [before.get(section.key) for section in scores.sections]
        series[_("This assessment")] = [section.score for section in scores.sections]
        return charts.radar_chart([label(section, locale) for section in scores.sections], series,
                                  title=_("Maturity by section"), maximum=scores.maximum, target=scores.target,
                                  target_label=_target_label(scores), rtl=_rtl(locale))


def clauses(scores: Scores, *, locale: str) -> charts.Chart:
    """One bar per clause, with the target as a line."""
    with force_locale(locale):
        return charts.clause_bar_chart([label(clause, locale) for clause in scores.clauses],
                                       [clause.score for clause in scores.clauses], title=_("Maturity by clause"),
                                       maximum=scores.maximum, target=scores.target,
                                       target_label=_target_label(scores), rtl=_rtl(locale))


def rating_counts(assessment: Assessment) -> dict[str, dict[int | None, int]]:
    """For each clause, how many answers gave each rating (None: not applicable), in one grouped query."""
    counts: dict[str, dict[int | None, int]] = {}
    rows = db.session.execute(
        select(Answer.clause_key, Answer.rating, Answer.not_applicable, func.count())
        .where(Answer.assessment_id == assessment.id, Answer.rating.is_not(None) | Answer.not_applicable)
        .group_by(Answer.clause_key, Answer.rating, Answer.not_applicable))
    for clause_key, rating, not_applicable, count in rows:
        slot = None if not_applicable else rating
        counts.setdefault(clause_key, {})[slot] = counts.get(clause_key, {}).get(slot, 0) + count
    return counts


def heat(assessment: Assessment, scores: Scores, *, locale: str) -> charts.Chart:
    """Clauses against the levels of the assessment's scale (and "not applicable"): how the answers spread."""
    found = rating_counts(assessment)
    levels = assessment.scale
    with force_locale(locale):
        columns = [f"{level['value']} {pick(level['label'], locale)}" for level in levels] + [_("Not applicable")]
        slots: list[int | None] = [level["value"] for level in levels] + [None]
        rows = [[found.get(clause.key, {}).get(slot, 0) for slot in slots] for clause in scores.clauses]
        return charts.heat_map([label(clause, locale) for clause in scores.clauses], columns, rows,
                               title=_("Answers by clause and level"), rtl=_rtl(locale))


def change(scores: Scores, baseline_scores: Scores, *, locale: str) -> charts.Chart:
    """Each clause's score in the baseline and now."""
    before = {clause.key: clause.score for clause in baseline_scores.clauses}
    with force_locale(locale):
        return charts.change_chart([label(clause, locale) for clause in scores.clauses],
                                   [before.get(clause.key) for clause in scores.clauses],
                                   [clause.score for clause in scores.clauses], title=_("Change since the baseline"),
                                   before_label=_("Baseline"), after_label=_("This assessment"),
                                   maximum=scores.maximum, rtl=_rtl(locale))
