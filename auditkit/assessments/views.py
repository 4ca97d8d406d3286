"""The gap assessments under /o/<slug>/assessments: the register, planning a new assessment (a baseline or a
follow-up) and changing its plan, the assessment's page — header and next steps, the scale and the scoring
method, progress and scores, charts, the questions with their answer forms and live figures, the roadmap of
actions — and its charts as SVG images. The steps are posted to step_views.py, the answers, evidence files,
actions and records behind a figure to answer_views.py; each renders this page again when a service refuses."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from auditkit.actions.labels import PRIORITY_LABELS
from auditkit.actions.labels import STATUS_LABELS as ACTION_STATUS_LABELS
from auditkit.actions.services import today
from auditkit.assessments import evidence, labels, links, page, pictures, scoring, services
from auditkit.assessments.forms import EditPlanForm, NewAssessmentForm, PlanForm, StepForm, WindowForm
from auditkit.assessments.models import Answer, Assessment
from auditkit.assessments.states import EDITABLE, AssessmentStatus, allowed_from
from auditkit.assessments.workflow import STEP_LABELS
from auditkit.core.errors import Conflict, NotFound, ValidationFailed
from auditkit.core.i18n import pick
from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs.services import member_names, with_former_members
from auditkit.standard.models import Question
from auditkit.web.forms import ConfirmForm, choices, show_errors
from auditkit.web.template_helpers import digits, number

bp = Blueprint("assessments", __name__, url_prefix="/o/<slug>/assessments", template_folder="templates")

PER_PAGE = 50
REPORTS = (("assessment_reports.report_docx", "report"), ("assessment_reports.answers_xlsx", "answers"))




def to_int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def progress_counts(assessment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(answered, questions) of each assessment, in one query."""
    if not assessment_ids:
        return {}
    answered = (select(func.count()).select_from(Answer)
                .where(Answer.assessment_id == Assessment.id, Answer.rating.is_not(None) | Answer.not_applicable)
                .correlate(Assessment).scalar_subquery())
    questions = (select(func.count()).select_from(Question)
                 .where(Question.checklist_version_id == Assessment.checklist_version_id)
                 .correlate(Assessment).scalar_subquery())
    rows = db.session.execute(select(Assessment.id, answered, questions).where(Assessment.id.in_(assessment_ids)))
    return {row[0]: (row[1], row[2]) for row in rows}


@bp.route("/")
@requires("assessment.view")
def register():
    actor = current_actor()
    listing = db.paginate(scoped(actor, Assessment).order_by(Assessment.id.desc()),
                          page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    counts = progress_counts([a.id for a in listing.items if a.status != AssessmentStatus.FINAL])
    people = with_former_members(member_names(actor.organisation_id), [a.lead_id for a in listing.items])
    return render_template("assessments/register.html", page=listing, counts=counts, people=people)


def _window_choices(form, current: int | None) -> None:
    pairs = [(str(days), label) for days, label in labels.WINDOWS.items()]
    if current and current not in labels.WINDOWS:
        pairs.append((str(current), _("%(n)s days", n=current)))
    form.evidence_window_days.choices = choices(sorted(pairs, key=lambda pair: int(pair[0])))


def _plan_choices(form: PlanForm, people: dict[int, str], current_window: int | None = None) -> None:
    form.lead_id.choices = choices([("", "—")] + [(str(i), name) for i, name in people.items()])
    form.assessor_ids.choices = choices([(str(i), name) for i, name in people.items()])
    _window_choices(form, current_window)


def _plan_data(form: PlanForm) -> services.PlanData:
    return services.PlanData(
        title=form.title.data or "", scope=form.scope.data or "", starts_on=form.starts_on.data,
        ends_on=form.ends_on.data, target_maturity=form.target_maturity.data, lead_id=to_int(form.lead_id.data),
        assessor_ids=[int(i) for i in form.assessor_ids.data or [] if str(i).isdigit()],
        evidence_window_days=to_int(form.evidence_window_days.data))


def _prefill(actor, finals: list[Assessment]) -> dict:
    """A new plan's fields: the signed-in person leads; `?baseline=<id>` makes it a follow-up of that final
    assessment, on its checklist, scope and target."""
    data = {"lead_id": str(actor.user_id or ""), "assessor_ids": [str(actor.user_id)], "target_maturity": 3.0,
            "evidence_window_days": "365", "starts_on": today(g.organisation)}
    baseline = next((a for a in finals if a.id == to_int(request.args.get("baseline"))), None)
    if baseline is not None:
        data.update(kind="follow_up", baseline_id=str(baseline.id), scope=baseline.scope,
                    target_maturity=baseline.target_maturity, checklist_version_id=str(baseline.checklist_version_id),
                    title=_("Follow-up of %(title)s", title=baseline.title)[:200])
    return data


def version_label(version) -> str:
    return _("%(title)s, version %(number)s", title=pick(version.title), number=version.number)


@bp.route("/new", methods=["GET", "POST"])
@requires("assessment.create")
def new():
    actor = current_actor()
    people = member_names(actor.organisation_id)
    finals = list(db.session.execute(scoped(actor, Assessment).where(
        Assessment.status == AssessmentStatus.FINAL.value).order_by(Assessment.finalised_at.desc())).scalars())
    form = NewAssessmentForm() if request.method == "POST" else NewAssessmentForm(formdata=None,
                                                                                  **_prefill(actor, finals))
    _plan_choices(form, people)
    form.checklist_version_id.choices = choices(
        [(str(v.id), version_label(v)) for v in services.checklist_versions(actor)])
    form.baseline_id.choices = choices([("", "—")] + [(str(a.id), f"{a.label} · {a.title}") for a in finals])
    if form.validate_on_submit():
        kind = form.kind.data or ""
        try:
            assessment = services.create_assessment(
                actor, g.organisation, _plan_data(form), checklist_version_id=to_int(form.checklist_version_id.data),
                kind=kind, baseline_id=to_int(form.baseline_id.data) if kind == "follow_up" else None)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Assessment %(reference)s planned. Start it when the assessors are ready.",
                    reference=assessment.reference), "success")
            return redirect(url_for(".assessment", assessment_id=assessment.id))
    failed = bool(form.errors or form.form_errors)
    return render_template("assessments/new.html", form=form, finals=finals), 422 if failed else 200


@bp.route("/<int:assessment_id>/plan", methods=["GET", "POST"])
@requires("assessment.create")
def plan(assessment_id: int):
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.create")
    status = 200
    if request.method == "POST":
        form = EditPlanForm()
    else:
        form = EditPlanForm(formdata=None, obj=assessment, lead_id=str(assessment.lead_id or ""),
                            assessor_ids=[str(a.user_id) for a in assessment.assessors],
                            evidence_window_days=str(assessment.evidence_window_days))
        if assessment.status_enum not in EDITABLE:
            form.form_errors.append(_("The plan of an assessment in review or final cannot be changed."))
    people = with_former_members(member_names(actor.organisation_id), [a.user_id for a in assessment.assessors])
    _plan_choices(form, people, assessment.evidence_window_days)
    if form.validate_on_submit():
        try:
            services.edit_plan(actor, g.organisation, assessment, form.version.data, _plan_data(form))
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 409
        else:
            db.session.commit()
            flash(_("The plan was changed."), "success")
            return redirect(url_for(".assessment", assessment_id=assessment.id))
        db.session.refresh(assessment)
    if status == 200 and request.method == "POST" and (form.errors or form.form_errors):
        status = 422
    return render_template("assessments/plan.html", form=form, assessment=assessment), status


@bp.route("/<int:assessment_id>")
@requires("assessment.view")
def assessment(assessment_id: int):
    # ?saved=<question id>: a plain form's answer was just saved; its block says so (the flash is out of sight
    # at the top of the page).
    # ?section=<n>: the section whose questions are shown (by default, that of the next unanswered question).
    return assessment_page(load_for(current_actor(), Assessment, assessment_id, "assessment.view"),
                           saved=request.args.get("saved", type=int), section=request.args.get("section"))


def scale_levels(assessment: Assessment) -> list[dict]:
    return [{"value": level["value"], "name": pick(level["label"]), "definition": pick(level.get("definition"))}
            for level in assessment.scale]


def baseline_of(assessment: Assessment) -> Assessment | None:
    if assessment.baseline_id is None:
        return None
    return load_for(current_actor(), Assessment, assessment.baseline_id, "assessment.view")


def permissions(assessment: Assessment) -> dict[str, bool]:
    actor, status = current_actor(), assessment.status_enum
    return {"answer": actor.can("assessment.answer") and status is AssessmentStatus.IN_PROGRESS,
            "window": actor.can("assessment.answer") and status is not AssessmentStatus.FINAL,
            "plan": actor.can("assessment.create") and status in EDITABLE,
            "revise": actor.can("assessment.finalise") and status is AssessmentStatus.FINAL,
            "follow_up": actor.can("assessment.create") and status is AssessmentStatus.FINAL,
            "raise": actor.can("action.create")}


def shown_section(scores: scoring.Scores, progress: page.Progress, asked: str | None) -> str | None:
    """The section whose questions the page shows: the one asked for if it exists, else that of the next
    unanswered question, else the first."""
    numbers = [s.number for s in scores.sections]
    for candidate in (asked, progress.next_section):
        if candidate in numbers:
            return candidate
    return numbers[0] if numbers else None


def assessment_page(assessment: Assessment, *, blocks: dict[int, page.Block] | None = None, refused=(),
                    status: int = 200, saved: int | None = None, section: str | None = None):
    """The assessment's page, with the questions of one section (`section`, else the one of the question whose
    block is drawn again, else that of the next unanswered question). `blocks` holds the question forms drawn
    again after a post (by question id); `refused` the messages of a step or a form that a service refused,
    shown above the page."""
    actor, organisation = current_actor(), g.organisation
    scores = scoring.current(assessment)
    baseline = baseline_of(assessment)
    baseline_scores = scoring.current(baseline) if baseline else None
    progress = page.progress_of(assessment)
    clause_numbers = {c.key: c.number for c in scores.clauses}
    if section is None and blocks:  # the question posted: already loaded, so no query
        posted = db.session.get(Question, next(iter(blocks)))
        section = scoring.section_of(clause_numbers.get(posted.clause_key, "")) if posted else None
    section = shown_section(scores, progress, section)
    questions = page.questions_of(assessment, [c.key for c in scores.clauses
                                               if scoring.section_of(c.number) == section])
    answers = page.answers_of(assessment, [q.id for q in questions])
    figures = {qid: page.figure_view(f) for qid, f in evidence.figures(organisation, assessment, questions).items()}
    actions = links.actions_by_question(assessment)
    roadmap = links.roadmap(assessment)
    people = with_former_members(member_names(organisation.id), [
        assessment.lead_id, *(a.user_id for a in assessment.assessors), *(action.owner_id for action, _key in roadmap)])
    blocks = {q.id: (blocks or {}).get(q.id) or page.Block(page.values_of(answers.get(q.id))) for q in questions}
    if saved in answers:
        blocks[saved].saved_at = answers[saved].updated_at
    revised_by = db.session.execute(select(Assessment).where(Assessment.revises_id == assessment.id)
                                    ).scalar_one_or_none() if assessment.status_enum is AssessmentStatus.FINAL else None
    steps = [t.name for t in allowed_from(assessment.status_enum) if actor.can(t.permission)]
    window_form = WindowForm(formdata=None, evidence_window_days=str(assessment.evidence_window_days))
    _window_choices(window_form, assessment.evidence_window_days)
    sections = page.grouped(scores, questions, baseline_scores)
    return render_template(
        "assessments/assessment.html", assessment=assessment, scores=scores, baseline=baseline,
        baseline_scores=baseline_scores, sections=sections, section=section,
        shown=next((s for s in sections if s.score.number == section), None),
        clause_sections={key: scoring.section_of(number) for key, number in clause_numbers.items()},
        answers=answers, figures=figures, actions=actions, roadmap=roadmap, people=people, blocks=blocks,
        progress=progress, levels=scale_levels(assessment), can=permissions(assessment),
        steps=steps, step_form=StepForm(formdata=None, version=assessment.version), confirm=ConfirmForm(),
        window_form=window_form, revised_by=revised_by, refused=refused, reports=report_links(assessment),
        question_count=progress.total), status


def report_links(assessment: Assessment) -> dict[str, str]:
    """The report downloads, once their blueprint is registered, for a role that may follow them."""
    actor, links_shown = current_actor(), {}
    for endpoint, name in REPORTS:
        view = current_app.view_functions.get(endpoint)
        needed = getattr(view, "required_actions", {}).get("GET", "assessment.export") if view else None
        if needed and actor.can(needed):
            links_shown[name] = url_for(endpoint, assessment_id=assessment.id)
    return links_shown


@bp.route("/<int:assessment_id>/charts/<any(radar, clauses, heat, change):chart>.svg")
@requires("assessment.view")
def chart(assessment_id: int, chart: str):
    """One of the page's charts, as an SVG image in the reader's language."""
    assessment = load_for(current_actor(), Assessment, assessment_id, "assessment.view")
    scores, locale = scoring.current(assessment), str(get_locale())
    baseline = baseline_of(assessment)
    baseline_scores = scoring.current(baseline) if baseline else None
    if chart == "radar":
        picture = pictures.radar(scores, baseline_scores, locale=locale)
    elif chart == "clauses":
        picture = pictures.clauses(scores, locale=locale)
    elif chart == "heat":
        picture = pictures.heat(assessment, scores, locale=locale)
    elif baseline_scores is not None:
        picture = pictures.change(scores, baseline_scores, locale=locale)
    else:
        raise NotFound()
    response = Response(picture.svg(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-cache"  # answers change the picture, not its address
    return response


def score_text(value) -> str:
    """A score as pages print it: at most two decimals, in the reader's digits; "—" for no score."""
    return "—" if value is None else number(round(float(value), 2))


@bp.context_processor
def assessment_context() -> dict:
    return {"labels": labels, "step_labels": STEP_LABELS, "priority_labels": PRIORITY_LABELS,
            "action_status_labels": ACTION_STATUS_LABELS, "day": page.day, "score_text": score_text,
            "clock": lambda moment: digits(format_time(moment, "short")),
            "label_of": lambda score: digits(pictures.label(score, str(get_locale())))}
