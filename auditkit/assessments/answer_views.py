"""What a question on the assessment's page posts, on the assessments blueprint: its answer (saved as it is
given: an htmx request gets the question's block back, a plain form a redirect), its evidence files, the action
raised from its recommendation; and the complaints behind its live figure, listed or sampled. Each loads the
assessment through the gate, calls one service and commits once. A refused answer comes back with the messages
on its fields (422); a stale one with the answer as it stands now and what was not saved (409)."""

from __future__ import annotations

import io
import secrets

from flask import flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import select

from auditkit.assessments import evidence, links, page
from auditkit.assessments.answering import AnswerData, answer_question, attach_evidence, delete_stored, remove_evidence
from auditkit.assessments.forms import AnswerForm
from auditkit.assessments.models import AnswerAttachment, Assessment
from auditkit.assessments.scale import level_name
from auditkit.assessments.views import assessment_page, bp, permissions, scale_levels
from auditkit.complaints.attachments import Upload, removed_on_error
from auditkit.complaints.forms import CHANNEL_LABELS
from auditkit.complaints.forms import STATUS_LABELS as COMPLAINT_STATUS_LABELS
from auditkit.complaints.models import Category
from auditkit.core import storage
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, NotFound, ValidationFailed
from auditkit.core.security import current_actor, load_for, requires
from auditkit.extensions import db
from auditkit.standard.models import Question

RECORDS_PER_PAGE = 50
RECORDS_MAX_PAGE = 100  # past 5,000 records, a sample says more than paging


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(assessment: Assessment, question: Question, **args):
    """To the question on the assessment's page: the page shows its section."""
    return redirect(url_for(".assessment", assessment_id=assessment.id, **args,
                            section=page.section_of_question(assessment, question), _anchor=f"q-{question.key}"))


def _block(errors: dict[str, list[str]], values: dict) -> page.Block:
    """A block with the service's messages: the field ones on the fields, the others above the form."""
    errors = {name: [str(m) for m in messages] for name, messages in errors.items()}
    general = errors.pop("_", []) + errors.pop("question_id", [])
    return page.Block(values, errors, " ".join(general) or None)


def _unsaved(assessment: Assessment, form: AnswerForm, values: dict) -> list[tuple[str, str]]:
    """What the assessor sent that differs from the answer as it stands: shown so it can be applied again."""
    sent = page.values_posted(form)
    shown = []
    if sent["not_applicable"] != bool(values["not_applicable"]) or sent["rating"] != values["rating"]:
        shown.append((_("Rating"), _("Not applicable") if sent["not_applicable"]
                      else level_name(assessment.scale, sent["rating"]) or "—"))
    for name, label in (("justification", _("Why it does not apply")), ("notes", _("Notes and evidence seen")),
                        ("gap", _("Gap")), ("recommendation", _("Recommendation"))):
        if (sent[name] or "").strip() != (values[name] or "").strip() and (sent[name] or "").strip():
            shown.append((label, sent[name]))
    return shown


def question_fragment(assessment: Assessment, question: Question, block: page.Block, status: int):
    """The question's block alone, for htmx to swap in place, with the page's progress line out of band."""
    answer = page.answers_of(assessment, [question.id]).get(question.id)
    figure = evidence.figures(g.organisation, assessment, [question]).get(question.id)
    return render_template(
        "assessments/_question_fragment.html", assessment=assessment, q=question, answer=answer, block=block,
        fig=page.figure_view(figure) if figure else None, q_actions=links.actions_by_question(assessment).get(
            question.id, []), levels=scale_levels(assessment), can=permissions(assessment),
        progress=page.progress_of(assessment)), status


@bp.route("/<int:assessment_id>/questions/<int:question_id>", methods=["POST"])
@requires("assessment.answer")
def answer(assessment_id: int, question_id: int):
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.answer")
    question = page.question_of(assessment, question_id)
    form = AnswerForm()
    if form.validate_on_submit():
        data = AnswerData(rating=form.rating.data, not_applicable=bool(form.not_applicable.data),
                          justification=form.justification.data or "", notes=form.notes.data or "",
                          gap=form.gap.data or "", recommendation=form.recommendation.data or "",
                          priority=form.priority.data or None)
        try:
            saved = answer_question(actor, g.organisation, assessment, question.id, data, form.version.data)
        except ValidationFailed as error:
            db.session.rollback()
            block, status = _block(error.fields, page.values_posted(form)), 422
        except Conflict:
            db.session.rollback()
            values = page.values_of(page.answers_of(assessment, [question.id]).get(question.id))
            block = page.Block(values, message=_(
                "Someone else changed this answer meanwhile. It is shown below as it stands now; your change was "
                "not saved: apply it again if it still holds."), conflict=True,
                unsaved=_unsaved(assessment, form, values))
            status = 409
        else:
            db.session.commit()
            if not _is_htmx():
                flash(_("The answer to %(key)s was saved.", key=question.key), "success")
                return _back(assessment, question, saved=question.id)
            block, status = page.Block(page.values_of(saved), saved_at=utcnow()), 200
    else:
        block, status = _block(form.errors, page.values_posted(form)), 422
    if _is_htmx():
        return question_fragment(assessment, question, block, status)
    return assessment_page(assessment, blocks={question.id: block}, status=status)


def _refused_here(assessment: Assessment, question: Question, error: ValidationFailed):
    values = page.values_of(page.answers_of(assessment, [question.id]).get(question.id))
    return assessment_page(assessment, blocks={question.id: _block(error.fields, values)}, status=422)


@bp.route("/<int:assessment_id>/questions/<int:question_id>/attachments", methods=["POST"])
@requires("assessment.answer")
def attach(assessment_id: int, question_id: int):
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.answer")
    question = page.question_of(assessment, question_id)
    uploads = [Upload(file.filename or "", file.read()) for file in request.files.getlist("files") if file.filename]
    try:
        with removed_on_error() as written:
            stored = attach_evidence(actor, assessment, question.id, uploads, written)
            db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _refused_here(assessment, question, error)
    flash(ngettext("%(num)d file attached as evidence.", "%(num)d files attached as evidence.", len(stored)),
          "success")
    return _back(assessment, question)


def _evidence_file(assessment: Assessment, question: Question, evidence_id: int, action: str) -> AnswerAttachment:
    found = load_for(current_actor(), AnswerAttachment, evidence_id, action)
    if found.answer.assessment_id != assessment.id or found.answer.question_id != question.id:
        raise NotFound()
    return found


@bp.route("/<int:assessment_id>/questions/<int:question_id>/attachments/<int:evidence_id>")
@requires("assessment.view")
def evidence_file(assessment_id: int, question_id: int, evidence_id: int):
    """An evidence file, as a download, with the type read from its content when it was attached."""
    assessment = load_for(current_actor(), Assessment, assessment_id, "assessment.view")
    found = _evidence_file(assessment, page.question_of(assessment, question_id), evidence_id, "assessment.view")
    return send_file(io.BytesIO(storage.open(found.storage_key)), mimetype=found.media_type, as_attachment=True,
                     download_name=found.file_name)


@bp.route("/<int:assessment_id>/questions/<int:question_id>/attachments/<int:evidence_id>/delete",
          methods=["POST"])
@requires("assessment.answer")
def remove_file(assessment_id: int, question_id: int, evidence_id: int):
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.answer")
    question = page.question_of(assessment, question_id)
    found = _evidence_file(assessment, question, evidence_id, "assessment.answer")
    key, name = found.storage_key, found.file_name
    try:
        remove_evidence(actor, assessment, found)
    except ValidationFailed as error:
        db.session.rollback()
        return _refused_here(assessment, question, error)
    db.session.commit()
    delete_stored([key])  # only once the removal is committed
    flash(_("“%(name)s” was removed.", name=name), "success")
    return _back(assessment, question)


@bp.route("/<int:assessment_id>/questions/<int:question_id>/action", methods=["POST"])
@requires("action.create")
def raise_action(assessment_id: int, question_id: int):
    """The answer's recommendation becomes a corrective action (or an improvement), linked both ways."""
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.view")
    question = page.question_of(assessment, question_id)
    answer = page.answers_of(assessment, [question.id]).get(question.id)
    if answer is None:
        raise NotFound()
    try:
        action = links.raise_from_answer(actor, g.organisation, assessment, answer)
    except ValidationFailed as error:
        db.session.rollback()
        return _refused_here(assessment, question, error)
    db.session.commit()
    flash(Markup('{} <a href="{}">{}</a>').format(
        _("Action %(reference)s raised from the recommendation.", reference=action.reference),
        url_for("actions.action", action_id=action.id), _("Open the action")),
        "success")
    return _back(assessment, question)


@bp.route("/<int:assessment_id>/questions/<int:question_id>/records")
@requires("assessment.view")
def records(assessment_id: int, question_id: int):
    """The complaints behind the question's figure, 50 a page; or, with ?sample=<size>&seed=<seed>, a random
    sample of them that the same address always draws again (without a seed, one is chosen and put in the
    address, so the page can be bookmarked and the sample reproduced)."""
    actor, organisation = current_actor(), g.organisation
    assessment = load_for(actor, Assessment, assessment_id, "assessment.view")
    question = page.question_of(assessment, question_id)
    if not question.metric:
        raise NotFound()
    figure = evidence.figures(organisation, assessment, [question])[question.id]
    categories = dict(db.session.execute(select(Category.id, Category.name).where(
        Category.organisation_id == organisation.id)).all())
    context = {"assessment": assessment, "q": question, "fig": page.figure_view(figure), "categories": categories,
               "channel_labels": CHANNEL_LABELS, "status_labels": COMPLAINT_STATUS_LABELS,
               "sizes": evidence.SAMPLE_SIZES, "can_open": actor.can("complaint.view")}
    if "sample" in request.args:
        size, seed = request.args.get("sample", type=int), request.args.get("seed", type=int)
        if size not in evidence.SAMPLE_SIZES or seed is None or seed < 0:
            return redirect(url_for(".records", assessment_id=assessment.id, question_id=question.id,
                                    sample=size if size in evidence.SAMPLE_SIZES else 10,
                                    seed=seed if seed is not None and seed >= 0 else secrets.randbelow(1_000_000)))
        total, complaints = evidence.sample(organisation, assessment, question.metric, size, seed)
        return render_template("assessments/records.html", **context, sample=size, seed=seed, total=total,
                               complaints=complaints, listing=None)
    number = min(max(request.args.get("page", 1, type=int), 1), RECORDS_MAX_PAGE)
    listing = db.paginate(evidence.records(organisation, assessment, question.metric), page=number,
                          per_page=RECORDS_PER_PAGE, error_out=False)
    return render_template("assessments/records.html", **context, sample=None, seed=None, total=listing.total,
                           complaints=listing.items, listing=listing, max_page=RECORDS_MAX_PAGE)
