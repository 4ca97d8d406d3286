"""What the assessment's header posts, on the assessments blueprint: one endpoint per workflow step, the new
revision that corrects a final assessment, and the window of the live figures. Each loads the assessment
through the gate, calls its one service and commits once; a refusal renders the page again with the messages
(422), a stale version with the conflict message and the page as it is now (409)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from auditkit.assessments import services, workflow
from auditkit.assessments.forms import StepForm, WindowForm
from auditkit.assessments.models import Assessment
from auditkit.assessments.states import TRANSITIONS
from auditkit.assessments.views import assessment_page, bp, to_int
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import current_actor, load_for, requires
from auditkit.extensions import db
from auditkit.web.forms import ConfirmForm

DONE = {"start": _l("The assessment is started: answer its questions."),
        "submit": _l("The assessment is submitted for review."),
        "reopen": _l("The assessment is back with the assessors."),
        "finalise": _l("The assessment is final: its answers and scores are locked.")}


def _messages(error: ValidationFailed) -> list[str]:
    return [str(message) for messages in error.fields.values() for message in messages]


def _carry_out(assessment_id: int, permission: str, act, done: str, anchor: str | None = None, form=None):
    """Load, act, commit once; or show the page again with why not."""
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, permission)
    form = form or StepForm()
    form.validate_on_submit()
    try:
        result = act(actor, assessment, form)
    except ValidationFailed as error:
        db.session.rollback()
        return assessment_page(assessment, refused=_messages(error), status=422)
    except Conflict as error:
        db.session.rollback()
        return assessment_page(assessment, refused=[error.message], status=409)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".assessment", assessment_id=(result or assessment).id, _anchor=anchor))


def _step(assessment_id: int, name: str):
    return _carry_out(assessment_id, TRANSITIONS[name].permission,
                      lambda actor, assessment, form: getattr(workflow, name)(actor, assessment, form.version.data),
                      str(DONE[name]))


@bp.route("/<int:assessment_id>/steps/start", methods=["POST"])
@requires("assessment.answer")
def start(assessment_id: int):
    return _step(assessment_id, "start")


@bp.route("/<int:assessment_id>/steps/submit", methods=["POST"])
@requires("assessment.answer")
def submit(assessment_id: int):
    return _step(assessment_id, "submit")


@bp.route("/<int:assessment_id>/steps/reopen", methods=["POST"])
@requires("assessment.finalise")
def reopen(assessment_id: int):
    return _step(assessment_id, "reopen")


@bp.route("/<int:assessment_id>/steps/finalise", methods=["POST"])
@requires("assessment.finalise")
def finalise(assessment_id: int):
    return _step(assessment_id, "finalise")


@bp.route("/<int:assessment_id>/revise", methods=["POST"])
@requires("assessment.finalise")
def revise(assessment_id: int):
    return _carry_out(assessment_id, "assessment.finalise",
                      lambda actor, assessment, form: workflow.revise(actor, assessment),
                      _("A new revision was opened: correct the answers, then submit it for review."),
                      form=ConfirmForm())


@bp.route("/<int:assessment_id>/window", methods=["POST"])
@requires("assessment.answer")
def window(assessment_id: int):
    form = WindowForm()

    def act(actor, assessment, form):
        days = to_int(form.evidence_window_days.data)
        if days is None:
            raise ValidationFailed({"evidence_window_days": [_("Choose one of the values offered.")]})
        return services.set_evidence_window(actor, assessment, days)

    return _carry_out(assessment_id, "assessment.answer", act,
                      _("The live figures now count the complaints of the chosen window."), "questions", form)

