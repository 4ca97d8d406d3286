"""Gap-assessment answers as the source of corrective and improvement actions: the link kind registered with
actions.links (so an action's page names the answer and the answer's page lists its actions), raising an
action from an answer's recommendation in one step, and the roadmap of an assessment's actions.

`raise_from_answer` refuses (nothing written): an answer without a recommendation; an answer that already
has an action (the message names it); what actions.services.raise_action refuses."""

from __future__ import annotations

from datetime import timedelta

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from auditkit.actions import links
from auditkit.actions.models import ActionLink, CorrectiveAction
from auditkit.actions.services import ActionData, Source, raise_action, today
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.scoring import section_of
from auditkit.core.errors import ValidationFailed
from auditkit.core.i18n import pick
from auditkit.core.security import Actor
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.models import ChecklistVersion, Clause, Question

KIND = "assessment_answer"
# Days to the due date of an action raised from a recommendation, by the answer's priority.
DUE_IN_DAYS = {"critical": 30, "high": 60, "medium": 90, "low": 180}
TITLE_LENGTH = 120


def _answer(organisation: Organisation, target_id: int | None, _key: str | None) -> links.Found | None:
    row = db.session.execute(
        select(Assessment.id, Assessment.reference, Assessment.revision, Question.key, Clause.number)
        .join(Answer, Answer.assessment_id == Assessment.id).join(Question, Question.id == Answer.question_id)
        .join(ChecklistVersion, ChecklistVersion.id == Question.checklist_version_id)
        .outerjoin(Clause, (Clause.key == Question.clause_key)
                   & (Clause.framework_version_id == ChecklistVersion.framework_version_id))
        .where(Answer.id == target_id, Answer.organisation_id == organisation.id)).one_or_none()
    if row is None:
        return None
    label = f"{row.reference}{f' rev. {row.revision}' if row.revision > 1 else ''} · {row.key}"
    url = (url_for("assessments.assessment", slug=organisation.slug, assessment_id=row.id,
                   section=section_of(row.number) if row.number else None, _anchor=f"q-{row.key}")
           if has_request_context() else None)
    return links.Found(label, url)


links.register(links.LinkKind(KIND, _l("A gap-assessment answer"), _answer))


def _title(recommendation: str) -> str:
    first = recommendation.strip().splitlines()[0].strip()
    return first if len(first) <= TITLE_LENGTH else first[:TITLE_LENGTH - 1].rstrip() + "…"


def raise_from_answer(actor: Actor, organisation: Organisation, assessment: Assessment, answer: Answer,
                      ) -> CorrectiveAction:
    """An action from the answer's recommendation: an improvement where the practice is at least partly in
    place, a corrective action below that; owned by whoever raises it, due by the answer's priority."""
    if answer.assessment_id != assessment.id:
        raise ValidationFailed({"_": [_("This answer is not part of this assessment.")]})
    if not answer.recommendation:
        raise ValidationFailed({"recommendation": [_("Write the recommendation first: it becomes the action.")]})
    existing = links.actions_linked_to(organisation.id, KIND, answer.id)
    if existing:
        raise ValidationFailed({"_": [_("An action was already raised from this answer: %(reference)s.",
                                        reference=existing[0].reference)]})
    question = db.session.get(Question, answer.question_id)
    priority = answer.priority or "medium"
    problem = answer.gap or _("Gap found in %(reference)s against: %(question)s",
                              reference=assessment.label, question=pick(question.text))
    data = ActionData(title=_title(answer.recommendation), problem=f"{problem}\n\n{answer.recommendation}",
                      kind="improvement" if (answer.rating or 0) >= 2 else "corrective", priority=priority,
                      owner_id=actor.user_id, due_on=today(organisation) + timedelta(days=DUE_IN_DAYS[priority]),
                      clause_keys=[answer.clause_key])
    return raise_action(actor, organisation, data, Source(KIND, answer.id))


def lineage(assessment: Assessment) -> list[int]:
    """The assessment and the revisions it corrects: their answers' actions are this one's too."""
    ids, current = [assessment.id], assessment.revises_id
    while current is not None:
        ids.append(current)
        current = db.session.execute(select(Assessment.revises_id).where(Assessment.id == current)).scalar_one()
    return ids


def roadmap(assessment: Assessment) -> list[tuple[CorrectiveAction, str]]:
    """The actions raised from the assessment's answers, with the key of the question each came from, by
    priority (critical first) then due date."""
    order = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=CorrectiveAction.priority)
    rows = db.session.execute(
        select(CorrectiveAction, Question.key)
        .join(ActionLink, (ActionLink.action_id == CorrectiveAction.id) & (ActionLink.kind == KIND))
        .join(Answer, Answer.id == ActionLink.target_id).join(Question, Question.id == Answer.question_id)
        .where(ActionLink.organisation_id == assessment.organisation_id,
               Answer.assessment_id.in_(lineage(assessment)))
        .order_by(order, CorrectiveAction.due_on, CorrectiveAction.id)).all()
    return [(action, key) for action, key in rows]


def actions_by_question(assessment: Assessment) -> dict[int, list[CorrectiveAction]]:
    """For the assessment page: the actions of each question, by question id, in one query."""
    rows = db.session.execute(
        select(Answer.question_id, CorrectiveAction)
        .join(ActionLink, (ActionLink.target_id == Answer.id) & (ActionLink.kind == KIND))
        .join(CorrectiveAction, CorrectiveAction.id == ActionLink.action_id)
        .where(ActionLink.organisation_id == assessment.organisation_id,
               Answer.assessment_id.in_(lineage(assessment))).order_by(CorrectiveAction.id)).all()
    found: dict[int, list[CorrectiveAction]] = {}
    for question_id, action in rows:
        found.setdefault(question_id, []).append(action)
    return found
