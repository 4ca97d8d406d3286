"""The assessment workflow's services, one per transition of states.TRANSITIONS, and the revision that
corrects a final assessment. Each flushes; the caller commits.

Refuses (nothing changed): a role without the transition's permission; a stale version (Conflict); a step the
state does not allow (the message lists the steps that are); submitting or finalising while questions are
unanswered (the message counts them); finalising by someone who is not a consultant or manager
(`assessment.finalise`); revising an assessment that is not final, or one already revised."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from auditkit.assessments import scoring
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.services import check_version, set_assessors
from auditkit.assessments.states import TRANSITIONS, AssessmentStatus, allowed_from
from auditkit.core.db import utcnow
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.standard.models import Question

STEP_LABELS = {"start": _l("Start the assessment"), "submit": _l("Submit for review"),
               "reopen": _l("Return to the assessors"), "finalise": _l("Finalise")}


def _begin(actor: Actor, assessment: Assessment, name: str, version: int) -> None:
    transition = TRANSITIONS[name]
    require(actor, transition.permission)
    check_version(assessment, version)
    if assessment.status_enum not in transition.sources:
        allowed = ", ".join(str(STEP_LABELS[t.name]) for t in allowed_from(assessment.status_enum)) or _("none")
        raise ValidationFailed({"_": _("“%(step)s” is not possible now; the next steps allowed are: %(allowed)s.",
                                       step=STEP_LABELS[name], allowed=allowed)})


def unanswered(assessment: Assessment) -> int:
    questions = db.session.execute(select(func.count()).select_from(Question).where(
        Question.checklist_version_id == assessment.checklist_version_id)).scalar_one()
    answered = db.session.execute(select(func.count()).select_from(Answer).where(
        Answer.assessment_id == assessment.id, Answer.rating.is_not(None) | Answer.not_applicable)).scalar_one()
    return questions - answered


def _complete(assessment: Assessment) -> None:
    missing = unanswered(assessment)
    if missing:
        raise ValidationFailed({"_": _("%(n)d questions are not answered yet: rate each one, or mark it not "
                                       "applicable with a reason.", n=missing)})


def _move(assessment: Assessment, name: str) -> Assessment:
    assessment.status = TRANSITIONS[name].target.value
    db.session.flush()
    return assessment


def start(actor: Actor, assessment: Assessment, version: int) -> Assessment:
    _begin(actor, assessment, "start", version)
    return _move(assessment, "start")


def submit(actor: Actor, assessment: Assessment, version: int) -> Assessment:
    _begin(actor, assessment, "submit", version)
    _complete(assessment)
    return _move(assessment, "submit")


def reopen(actor: Actor, assessment: Assessment, version: int) -> Assessment:
    _begin(actor, assessment, "reopen", version)
    return _move(assessment, "reopen")


def finalise(actor: Actor, assessment: Assessment, version: int) -> Assessment:
    """Lock the assessment, with its scores frozen beside it."""
    _begin(actor, assessment, "finalise", version)
    _complete(assessment)
    assessment.final_scores = scoring.compute(assessment).as_record()
    assessment.finalised_at, assessment.finalised_by_id = utcnow(), actor.user_id
    return _move(assessment, "finalise")


def revise(actor: Actor, assessment: Assessment) -> Assessment:
    """A correction of a final assessment: a new revision, in progress, with a copy of every answer (their
    evidence files stay with the original, which is kept as it was)."""
    require(actor, "assessment.finalise")
    if assessment.status_enum is not AssessmentStatus.FINAL:
        raise ValidationFailed({"_": _("Only a final assessment is corrected by a new revision; this one can "
                                       "still be changed as it is.")})
    newer = db.session.execute(select(Assessment.revision)
                               .where(Assessment.revises_id == assessment.id)).first()
    if newer is not None:
        raise ValidationFailed({"_": _("This assessment was already revised (revision %(n)d): correct that one.",
                                       n=newer.revision)})
    revision = Assessment(
        organisation_id=assessment.organisation_id, reference=assessment.reference,
        revision=assessment.revision + 1, revises_id=assessment.id, title=assessment.title, scope=assessment.scope,
        kind=assessment.kind, baseline_id=assessment.baseline_id, checklist_version_id=assessment.checklist_version_id,
        status=AssessmentStatus.IN_PROGRESS.value, scale=assessment.scale, target_maturity=assessment.target_maturity,
        starts_on=assessment.starts_on, ends_on=assessment.ends_on,
        evidence_window_days=assessment.evidence_window_days, lead_id=assessment.lead_id)
    db.session.add(revision)
    db.session.flush()
    set_assessors(revision, [a.user_id for a in assessment.assessors])
    answers = db.session.execute(select(Answer).where(Answer.assessment_id == assessment.id)).scalars()
    db.session.add_all([Answer(
        organisation_id=a.organisation_id, assessment_id=revision.id, question_id=a.question_id,
        clause_key=a.clause_key, weight=a.weight, rating=a.rating, not_applicable=a.not_applicable,
        justification=a.justification, notes=a.notes, gap=a.gap, recommendation=a.recommendation,
        priority=a.priority, figure=a.figure, answered_by_id=a.answered_by_id) for a in answers])
    db.session.flush()
    return revision
