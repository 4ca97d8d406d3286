"""The gap-analysis report's context: an assessment's records turned into plain data (strings, numbers, lists
and dicts — no ORM objects, so the template can neither lazy-load nor change anything), every word and number
already in the report's language: the cover, scope and method, the scale, the executive summary, the scores per
section and clause (against the baseline for a follow-up), the findings per clause, the roadmap of actions and
the appendix of live figures and evidence files. The charts are added by reports.py.

`gather()` reads everything the report and the answers workbook need in a fixed number of queries, whatever
the number of questions; `report_context()` only formats what was gathered, with report_words.py's words and
number formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auditkit.accounts.models import User
from auditkit.actions.labels import PRIORITY_LABELS
from auditkit.actions.labels import STATUS_LABELS as ACTION_STATUS_LABELS
from auditkit.actions.models import CorrectiveAction
from auditkit.assessments import evidence, links, scoring
from auditkit.assessments.labels import BREAKDOWN_LABELS, KIND_LABELS, STATUS_LABELS
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.page import figure_view
from auditkit.assessments.pictures import label
from auditkit.assessments.report_words import DASH, Formats, method, text, words
from auditkit.assessments.scale import level_name
from auditkit.assessments.scoring import Score, Scores
from auditkit.assessments.states import AssessmentStatus
from auditkit.complaints.overview import FIGURE_LABELS
from auditkit.core.i18n import RTL_LOCALES, pick
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.models import Checklist, ChecklistVersion, Question
from auditkit.web.template_helpers import digits, number


@dataclass
class Sources:
    """What a report or the answers workbook is built from, read once."""

    organisation: Organisation
    assessment: Assessment
    scores: Scores
    version: ChecklistVersion
    checklist_title: dict[str, str]
    questions: list[Question]
    answers: dict[int, Answer]  # by question id, their evidence files loaded
    baseline: Assessment | None = None
    baseline_scores: Scores | None = None
    roadmap: list[tuple[CorrectiveAction, str]] = field(default_factory=list)
    people: dict[int, str] = field(default_factory=dict)  # user id -> name (or e-mail)
    assessor_ids: list[int] = field(default_factory=list)


def gather(organisation: Organisation, assessment: Assessment) -> Sources:
    """Everything the documents need, in a fixed number of queries."""
    scores = scoring.current(assessment)
    version, checklist_title = db.session.execute(
        select(ChecklistVersion, Checklist.key).join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(ChecklistVersion.id == assessment.checklist_version_id)).one()
    questions = list(db.session.execute(select(Question).where(
        Question.checklist_version_id == assessment.checklist_version_id).order_by(Question.position)).scalars())
    answers = {answer.question_id: answer for answer in db.session.execute(
        select(Answer).where(Answer.assessment_id == assessment.id).options(selectinload(Answer.attachments))
    ).scalars()}
    baseline = db.session.get(Assessment, assessment.baseline_id) if assessment.baseline_id else None
    roadmap = links.roadmap(assessment)
    assessor_ids = [assessor.user_id for assessor in assessment.assessors]
    wanted = {assessment.lead_id, assessment.finalised_by_id, *assessor_ids,
              *(answer.answered_by_id for answer in answers.values()), *(action.owner_id for action, _ in roadmap)}
    wanted.discard(None)
    people = {row.id: row.name or row.email for row in db.session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(wanted)))} if wanted else {}
    return Sources(organisation, assessment, scores, version, version.title or {"en": checklist_title}, questions,
                   answers, baseline, scoring.current(baseline) if baseline else None, roadmap, people,
                   assessor_ids)


def is_draft(assessment: Assessment) -> bool:
    return assessment.status_enum is not AssessmentStatus.FINAL


def assessment_label(assessment: Assessment) -> str:
    if assessment.revision == 1:
        return assessment.reference
    return _("%(reference)s rev. %(revision)s", reference=assessment.reference, revision=number(assessment.revision))


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def report_context(sources: Sources, *, locale: str, generated_at: datetime, generated_by: str) -> dict[str, Any]:
    """The report's context in `locale` (the charts apart)."""
    with force_locale(locale):
        return _context(sources, locale, Formats(locale, sources.organisation.timezone), generated_at, generated_by)


def _context(sources: Sources, locale: str, f: Formats, generated_at: datetime, generated_by: str) -> dict[str, Any]:
    assessment, scores = sources.assessment, sources.scores
    w = words()
    draft = is_draft(assessment)
    reference = assessment_label(assessment)
    status = str(STATUS_LABELS.get(assessment.status, assessment.status))
    generated = f.moment(generated_at)
    header = " · ".join([w["report_title"], sources.organisation.name, reference]
                        + ([_("DRAFT")] if draft else []))
    return {
        "lang": locale, "rtl": locale in RTL_LOCALES, "w": w,
        "draft": draft,
        "draft_mark": _("Draft: this assessment is not final (%(status)s); its answers and scores may still change.",
                        status=status) if draft else "",
        "header": header,
        "footer": _("%(reference)s, generated %(time)s", reference=reference, time=generated),
        "organisation": text(sources.organisation.name),
        "title": text(assessment.title),
        "reference": reference,
        "cover": _cover(sources, f, status, generated, generated_by),
        "cover_note": _("Prepared with AuditKit from %(organisation)s's records as they stood when it was generated.",
                        organisation=text(sources.organisation.name)),
        "scope": text(assessment.scope),
        "checklist": _("%(title)s, version %(number)s", title=pick(sources.checklist_title, locale),
                       number=f.count(sources.version.number)),
        "method": method(),
        "window": _window(sources, f),
        "scale": [{"value": digits(level["value"]), "name": pick(level["label"], locale),
                   "definition": pick(level.get("definition"), locale)} for level in assessment.scale],
        "follow_up": sources.baseline_scores is not None,
        "summary": _summary(sources, f),
        "sections": _rows(scores.sections, sources.baseline_scores.sections if sources.baseline_scores else [],
                          scores, f, locale),
        "gaps": [{"label": label(score, locale), "score": f.score(score.score), "target": f.score(scores.target),
                  "gap": f.score(score.gap)} for score in scores.largest_gaps()],
        "clauses": _rows(scores.clauses, sources.baseline_scores.clauses if sources.baseline_scores else [],
                         scores, f, locale),
        "findings": _findings(sources, f, locale),
        "roadmap": _roadmap(sources, f),
        "figures": _figures(sources, f),
        "files": _files(sources, f),
        "generated_note": _("Generated by %(person)s on %(time)s. The register of generated documents keeps this "
                            "file with its SHA-256 checksum and the data it was built from, so it can be verified "
                            "and reproduced.", person=text(generated_by), time=generated),
    }


def _cover(sources: Sources, f: Formats, status: str, generated: str, generated_by: str) -> list[dict[str, str]]:
    assessment, people = sources.assessment, sources.people
    kind = str(KIND_LABELS.get(assessment.kind, assessment.kind))
    if sources.baseline is not None:
        kind = _("Follow-up of %(reference)s (%(title)s)", reference=assessment_label(sources.baseline),
                 title=text(sources.baseline.title))
    dates = f.day(assessment.starts_on)
    if assessment.ends_on:
        dates = _("%(start)s to %(end)s", start=dates, end=f.day(assessment.ends_on))
    rows = [(_("Reference"), assessment.reference), (_("Revision"), f.count(assessment.revision)),
            (_("Kind"), kind), (_("Status"), status), (_("Dates"), dates)]
    if assessment.finalised_at:
        rows.append((_("Finalised"), _("%(time)s by %(person)s", time=f.moment(assessment.finalised_at),
                                       person=text(people.get(assessment.finalised_by_id, DASH)))))
    rows += [(_("Lead assessor"), text(people.get(assessment.lead_id, DASH))),
             (_("Assessors"), f.names([text(people[i]) for i in sources.assessor_ids if i in people])),
             (_("Generated"), _("%(time)s by %(person)s", time=generated, person=text(generated_by)))]
    return [{"label": name, "value": value} for name, value in rows]


def _window(sources: Sources, f: Formats) -> str:
    assessment = sources.assessment
    span = evidence.window(assessment)
    values = {"days": f.count(assessment.evidence_window_days), "start": f.day(span.start), "end": f.day(span.end)}
    if assessment.finalised_at:
        return _("The live figures cover the %(days)s days from %(start)s to %(end)s, the day the assessment was "
                 "finalised. Each answer keeps the figure shown when it was saved (see the appendix).", **values)
    return _("The live figures cover the %(days)s days up to today (%(start)s to %(end)s). Each answer keeps the "
             "figure shown when it was saved (see the appendix).", **values)


def _summary(sources: Sources, f: Formats) -> dict[str, str]:
    scores = sources.scores
    overall = scores.overall
    values = {"top": f.count(scores.maximum), "target": f.score(scores.target)}
    if overall is None or overall.score is None:
        line = _("Overall maturity: not scored yet (no question is rated).")
        target = _("Target maturity: %(target)s.", **values)
    else:
        line = _("Overall maturity: %(score)s of %(top)s (%(percent)s)", score=f.fixed(overall.score),
                 percent=f.percent(overall.percent), **values)
        target = (_("Target maturity: %(target)s; gap %(gap)s.", gap=f.score(overall.gap), **values) if overall.gap
                  else _("Target maturity: %(target)s, reached.", **values))
    change = ""
    if sources.baseline_scores is not None:
        before = sources.baseline_scores.overall.score if sources.baseline_scores.overall else None
        now = overall.score if overall else None
        if before is not None and now is not None:
            change = _("Change since the baseline %(reference)s: %(change)s (from %(before)s to %(now)s).",
                       reference=assessment_label(sources.baseline), change=f.signed(now - before),
                       before=f.score(before), now=f.score(now))
        else:
            change = _("Change since the baseline %(reference)s: not measurable yet.",
                       reference=assessment_label(sources.baseline))
    counts = overall or Score("overall", "", {})
    answered = _("%(answered)s of %(questions)s questions answered, %(na)s of them not applicable.",
                 answered=f.count(counts.answered), questions=f.count(counts.questions),
                 na=f.count(counts.not_applicable))
    return {"overall": line, "target": target, "change": change, "answered": answered}


def _rows(current: list[Score], before: list[Score], scores: Scores, f: Formats, locale: str) -> list[dict]:
    baseline = {score.key: score for score in before}
    rows = []
    for score in current:
        previous = baseline.get(score.key)
        title = pick(score.title, locale)
        rows.append({
            "key": score.key, "number": score.number, "title": "" if title == score.number else title,
            "label": label(score, locale), "questions": f.count(score.questions), "answered": f.count(score.answered),
            "not_applicable": f.count(score.not_applicable), "score": f.score(score.score),
            "percent": f.percent(score.percent), "target": f.score(scores.target), "gap": f.score(score.gap),
            "baseline": f.score(previous.score if previous else None),
            "change": f.signed(_change(score.score, previous.score if previous else None)),
        })
    return rows


def rating_text(sources: Sources, answer: Answer | None, locale: str) -> str:
    if answer is None or not answer.is_answered:
        return _("Not answered yet")
    if answer.not_applicable:
        return _("Not applicable")
    return _("%(value)s · %(name)s", value=digits(answer.rating),
             name=level_name(sources.assessment.scale, answer.rating, locale))


def _findings(sources: Sources, f: Formats, locale: str) -> list[dict[str, Any]]:
    by_clause: dict[str, list[Question]] = {}
    for question in sources.questions:
        by_clause.setdefault(question.clause_key, []).append(question)
    findings = []
    for clause in sources.scores.clauses:
        items = []
        for question in by_clause.get(clause.key, []):
            answer = sources.answers.get(question.id)
            items.append({
                "key": question.key, "text": pick(question.text, locale),
                "rating": rating_text(sources, answer, locale),
                "justification": text(answer.justification) if answer and answer.not_applicable else "",
                "notes": text(answer.notes) if answer else "", "gap": text(answer.gap) if answer else "",
                "recommendation": text(answer.recommendation) if answer else "",
                "priority": str(PRIORITY_LABELS.get(answer.priority, "")) if answer and answer.priority else "",
            })
        findings.append({"label": label(clause, locale), "answers": items})
    return findings


def _roadmap(sources: Sources, f: Formats) -> list[dict[str, str]]:
    return [{"reference": action.reference, "title": text(action.title),
             "priority": str(PRIORITY_LABELS.get(action.priority, action.priority)),
             "owner": text(sources.people.get(action.owner_id, DASH)), "due_on": f.day(action.due_on),
             "status": str(ACTION_STATUS_LABELS.get(action.status, action.status)), "question": key}
            for action, key in sources.roadmap]


def figure_of(record: dict[str, Any]) -> evidence.Figure:
    """A live figure as an answer recorded it."""
    return evidence.Figure(record["key"], record.get("value"), datetime.fromisoformat(record["start"]),
                           datetime.fromisoformat(record["end"]))


def figure_text(record: dict[str, Any]) -> tuple[str, str, str]:
    """(what the figure is, its value, its window) as people read them, in the current locale."""
    view = figure_view(figure_of(record))
    value = view.text
    if view.entries and not view.empty:
        value = _("%(total)s: %(entries)s", total=view.text,
                  entries=", ".join(f"{name} {count}" for name, count in view.entries))
    return (str(FIGURE_LABELS.get(record["key"]) or BREAKDOWN_LABELS.get(record["key"]) or record["key"]), value,
            _("%(start)s to %(end)s", start=view.start, end=view.end))


def _figures(sources: Sources, f: Formats) -> list[dict[str, str]]:
    rows = []
    for question in sources.questions:
        answer = sources.answers.get(question.id)
        if answer is None or not answer.figure:
            continue
        metric, value, window = figure_text(answer.figure)
        rows.append({"question": question.key, "metric": metric, "value": value, "window": window})
    return rows


def _files(sources: Sources, f: Formats) -> list[dict[str, str]]:
    return [{"question": question.key, "name": text(attachment.file_name), "size": f.size(attachment.size),
             "sha256": attachment.sha256}
            for question in sources.questions if question.id in sources.answers
            for attachment in sources.answers[question.id].attachments]
