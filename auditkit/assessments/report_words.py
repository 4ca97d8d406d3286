"""The gap-analysis report's fixed words and its number, date and list formats, in the report's language
(Persian digits in Persian), and a user's text cleaned for a Word document."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import pgettext

from auditkit.web.template_helpers import digits, number

# Control characters cannot stand in a Word document; tabs and line breaks are kept (docxtpl lays them out).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DASH = "—"


def text(value: str | None) -> str:
    """A user's text as the document may hold it."""
    return _CONTROL.sub("", value or "")


class Formats:
    """Numbers, dates and lists in the report's language (Persian digits in Persian); call inside
    force_locale(locale)."""

    def __init__(self, locale: str, timezone: str | None):
        self.locale, self.zone = locale, ZoneInfo(timezone or "UTC")

    def score(self, value: float | None, decimals: int = 2) -> str:
        return DASH if value is None else number(round(float(value), decimals))

    def fixed(self, value: float | None) -> str:
        """One decimal always ("2.0 of 4"), as a headline figure reads."""
        if value is None:
            return DASH
        return digits(format_decimal(round(float(value), 1), "#,##0.0", locale=self.locale,
                                     numbering_system="default"))

    def signed(self, value: float | None) -> str:
        if value is None:
            return DASH
        value = round(float(value), 2)
        return f"+{number(value)}" if value > 0 else number(value)

    def percent(self, value: float | None) -> str:
        if value is None:
            return DASH
        return digits(format_percent(value / 100, "#,##0.#%", locale=self.locale, numbering_system="default"))

    def count(self, value: int) -> str:
        return number(value)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date() if value.tzinfo else value.date()
        return digits(babel_date(value, "medium", locale=self.locale))

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return digits(babel_datetime(value, "medium", tzinfo=self.zone, locale=self.locale))

    def names(self, values: list[str]) -> str:
        return format_list(values, locale=self.locale) if values else DASH

    def size(self, value: int) -> str:
        if value >= 1024 * 1024:
            return _("%(n)s MB", n=number(round(value / (1024 * 1024), 1)))
        if value >= 1024:
            return _("%(n)s kB", n=number(round(value / 1024, 1)))
        return _("%(n)s bytes", n=number(value))


def words() -> dict[str, str]:
    """The report's fixed words, in the current locale: the template holds none of its own."""
    return {
        "report_title": _("Gap analysis report"),
        "scope_and_method": _("Scope and method"), "scope": _("Scope"), "checklist": _("Checklist"),
        "method": _("Scoring method"), "evidence_window": _("Evidence window of the live figures"),
        "scale": _("Maturity scale"),
        "scale_intro": _("Each question is rated on this scale, stored with the assessment when it was planned."),
        "level": _("Level"), "level_name": _("Name"), "definition": _("Definition"),
        "summary": _("Executive summary"), "by_section": _("Scores by section"),
        "largest_gaps": _("The largest gaps"), "no_gaps": _("No clause falls short of the target."),
        "section": _("Section"), "clause": _("Clause"), "score": _("Score"), "percent": _("Percent"),
        "target": _("Target"), "gap": _("Gap"), "baseline": _("Baseline"), "change": pgettext("score", "Change"),
        "charts": _("Charts"), "clause_scores": _("Scores by clause"),
        "clause_scores_intro": _("“Questions” counts every question of the clause; “Answered” includes the "
                                 "questions marked not applicable, which are left out of the score."),
        "questions": _("Questions"), "answered": _("Answered"), "not_applicable_short": _("N/A"),
        "findings": _("Findings and recommendations"),
        "findings_intro": _("Each question of the checklist, clause by clause, with the rating given, the "
                            "assessor's notes, the gap found and the recommendation."),
        "question": _("Question"), "assessment": _("Rating and findings"), "justification": _("Why not applicable"),
        "notes": _("Notes"), "gap_statement": _("Gap found"), "recommendation": _("Recommendation"),
        "priority": _("Priority"),
        "roadmap": _("Roadmap"),
        "roadmap_intro": _("The actions raised from this assessment's recommendations, by priority and due date, "
                           "with their status when the report was generated."),
        "no_actions": _("No action has been raised from this assessment yet."),
        "reference": _("Reference"), "action": _("Action"), "owner": _("Owner"), "due_on": _("Due"),
        "status": _("Status"),
        "appendix": _("Appendix: evidence"), "live_figures": _("Live figures"),
        "live_figures_intro": _("The figures from the complaint register shown beside the questions, as recorded "
                                "with each answer when it was last saved."),
        "no_figures": _("No answer recorded a live figure."),
        "figure": _("Figure"), "value": _("Value"), "window": _("Window"),
        "evidence_files": _("Evidence files"),
        "evidence_files_intro": _("The files attached to the answers as evidence, with their SHA-256 checksums."),
        "no_files": _("No evidence file is attached to the answers."),
        "file": _("File"), "size": _("Size"), "sha256": _("SHA-256"),
    }


def method() -> list[str]:
    """The scoring method in words (the same as scoring.py's docstring)."""
    return [
        _("A score is the weighted mean of the ratings given, each question counting by its weight in the "
          "checklist."),
        _("Questions answered “not applicable” and questions not yet answered are left out of the mean, so a score "
          "is never lowered by what does not apply; a clause with no rating has no score."),
        _("A section's score and the overall score are the same weighted mean over all their questions' ratings "
          "(not a mean of clause scores, so a clause with many questions counts for more)."),
        _("The gap is how far a score falls short of the target maturity (none when it reaches it); a percentage "
          "is the score over the scale's top level."),
    ]
