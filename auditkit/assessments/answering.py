"""Answering an assessment's questions, one at a time as the assessor goes (the page saves each answer as it
is given), and the evidence files attached to an answer.

Refuses (ValidationFailed naming the field, nothing written): answering an assessment that is not in
progress (a draft is started first, one in review is returned to the assessors, a final one is locked and
corrected by a new revision); a question that is not in the assessment's checklist; a rating that is not a
level of the assessment's scale; a rating and "not applicable" together; "not applicable" without a
justification; a priority not offered; files refused by complaints.attachments' checks (size, type read from
the content, programs). A stale answer (someone saved the same question since it was loaded): Conflict. A
role without `assessment.answer`: Forbidden."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auditkit.assessments import evidence
from auditkit.assessments.models import PRIORITIES, Answer, AnswerAttachment, Assessment
from auditkit.assessments.scale import maximum
from auditkit.assessments.states import AssessmentStatus
from auditkit.complaints.attachments import Upload, check_uploads, save_files
from auditkit.core import storage
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.models import Question

LOCKED_MESSAGES = {
    AssessmentStatus.DRAFT: _l("Start the assessment before answering its questions."),
    AssessmentStatus.IN_REVIEW: _l("The assessment is in review: return it to the assessors to change an answer."),
    AssessmentStatus.FINAL: _l("The assessment is final and locked: correct it with a new revision."),
}


@dataclass
class AnswerData:
    rating: int | None = None
    not_applicable: bool = False
    justification: str = ""
    notes: str = ""
    gap: str = ""
    recommendation: str = ""
    priority: str | None = None


def answerable(assessment: Assessment) -> None:
    status = assessment.status_enum
    if status is not AssessmentStatus.IN_PROGRESS:
        raise ValidationFailed({"_": [str(LOCKED_MESSAGES[status])]})


def question_of(assessment: Assessment, question_id: int | None) -> Question:
    question = db.session.execute(select(Question).where(
        Question.id == question_id, Question.checklist_version_id == assessment.checklist_version_id)
    ).scalar_one_or_none()
    if question is None:
        raise ValidationFailed({"question_id": [_("This question is not in the assessment's checklist.")]})
    return question


def answer_of(assessment: Assessment, question_id: int) -> Answer | None:
    return db.session.execute(select(Answer).where(
        Answer.assessment_id == assessment.id, Answer.question_id == question_id)).scalar_one_or_none()


def _check(assessment: Assessment, data: AnswerData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    top = maximum(assessment.scale)
    if data.rating is not None and not 0 <= data.rating <= top:
        errors["rating"] = [_("Choose a level of the scale, from 0 to %(top)d.", top=top)]
    if data.not_applicable and data.rating is not None:
        errors["rating"] = [_("A question is either rated or not applicable, not both.")]
    data.justification = (data.justification or "").strip()
    if data.not_applicable and not data.justification:
        errors["justification"] = [_("Say why the question does not apply.")]
    if data.priority not in (None, "", *PRIORITIES):
        errors["priority"] = [_("Choose one of the values offered.")]
    return errors


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _new_answer(actor: Actor, assessment: Assessment, question: Question) -> Answer:
    answer = Answer(organisation_id=assessment.organisation_id, assessment_id=assessment.id,
                    question_id=question.id, clause_key=question.clause_key, weight=question.weight,
                    answered_by_id=actor.user_id)
    try:
        with db.session.begin_nested():
            db.session.add(answer)
            db.session.flush()
    except IntegrityError:  # someone answered the same question at the same moment
        raise Conflict() from None
    return answer


def answer_question(actor: Actor, organisation: Organisation, assessment: Assessment, question_id: int,
                    data: AnswerData, version: int | None) -> Answer:
    """Save one answer. `version` is the answer's version the assessor saw, None when it had none."""
    require(actor, "assessment.answer")
    answerable(assessment)
    question = question_of(assessment, question_id)
    answer = answer_of(assessment, question.id)
    if (answer.version if answer else None) != version:
        raise Conflict()
    errors = _check(assessment, data)
    if errors:
        raise ValidationFailed(errors)
    answer = answer or _new_answer(actor, assessment, question)
    answer.rating = None if data.not_applicable else data.rating
    answer.not_applicable = data.not_applicable
    answer.justification = data.justification if data.not_applicable else None
    answer.notes, answer.gap = _text(data.notes), _text(data.gap)
    answer.recommendation, answer.priority = _text(data.recommendation), data.priority or None
    answer.answered_by_id = actor.user_id
    if question.metric and answer.is_answered:
        answer.figure = evidence.figures(organisation, assessment, [question])[question.id].as_record()
    db.session.flush()
    return answer


def attach_evidence(actor: Actor, assessment: Assessment, question_id: int, uploads: list[Upload],
                    written: list[str]) -> list[AnswerAttachment]:
    """Store files as evidence of one answer (created empty if the question has none yet). Keys written go
    to `written` so the caller can delete them if the transaction fails (attachments.removed_on_error)."""
    require(actor, "assessment.answer")
    answerable(assessment)
    question = question_of(assessment, question_id)
    if not uploads:
        raise ValidationFailed({"files": [_("Choose a file to attach.")]})
    checked, problems = check_uploads(uploads)
    if problems:
        raise ValidationFailed({"files": problems})
    answer = answer_of(assessment, question.id) or _new_answer(actor, assessment, question)
    stored = [AnswerAttachment(organisation_id=assessment.organisation_id, file_name=f.filename,
                               media_type=f.media_type, size=f.size, sha256=f.sha256, storage_key=f.key,
                               uploaded_by_id=actor.user_id) for f in save_files(checked, written)]
    answer.attachments.extend(stored)
    db.session.flush()
    return stored


def remove_evidence(actor: Actor, assessment: Assessment, attachment: AnswerAttachment) -> None:
    """Remove an evidence file; the stored bytes go once the removal is committed (the caller deletes
    `attachment.storage_key` after commit)."""
    require(actor, "assessment.answer")
    answerable(assessment)
    if attachment.answer.assessment_id != assessment.id:
        raise ValidationFailed({"_": [_("This file is not evidence of this assessment.")]})
    db.session.delete(attachment)
    db.session.flush()


def delete_stored(keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)
