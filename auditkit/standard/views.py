"""The standard's pages under /o/<slug>/: the clause browser, a clause with its questions, checklists with
their versions and differences, copies, uploads and revisions. Loads through the gate, one service, one
commit."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from auditkit.core.errors import NotFound, ValidationFailed
from auditkit.core.i18n import pick
from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.standard import library, queries, services, spreadsheets
from auditkit.standard.citations import citations_of
from auditkit.standard.cli import dump_yaml
from auditkit.standard.diff import diff_versions
from auditkit.standard.forms import IMPORTANCE_LABELS, ImportForm, RevisionForm
from auditkit.standard.models import Checklist, Framework, Question
from auditkit.web.forms import ConfirmForm, choices, show_errors

bp = Blueprint("standard", __name__, url_prefix="/o/<slug>", template_folder="templates")


def _framework(framework_id) -> Framework:
    actor = current_actor()
    if framework_id:
        return load_for(actor, Framework, framework_id, "standard.view")
    framework = queries.framework_by_key(services.DEFAULT_LIBRARY, actor.organisation_id)
    if framework is None:
        raise NotFound(_("The clause library is not loaded: run “auditkit checklists import”."))
    return framework


@bp.route("/clauses")
@requires("standard.view")
def clauses():
    framework = _framework(request.args.get("framework"))
    version = queries.latest_framework_version(framework)
    query = request.args.get("q", "").strip()
    tree = queries.clause_tree(version)
    matches = None
    if query:
        needle = query.casefold()
        matches = {c.key for c in version.clauses if needle in c.number.casefold()
                   or any(needle in text.casefold() for text in (c.title or {}).values())
                   or any(needle in text.casefold() for text in (c.guidance or {}).values())}
    frameworks = db.session.execute(scoped(current_actor(), Framework).order_by(Framework.key)).scalars().all()
    return render_template("standard/clauses.html", framework=framework, version=version, tree=tree,
                           query=query, matches=matches, frameworks=frameworks)


@bp.route("/clauses/<clause_key>")
@requires("standard.view")
def clause(clause_key: str):
    actor = current_actor()
    framework = queries.framework_by_key(clause_key.rsplit(":", 1)[0], actor.organisation_id)
    version = queries.latest_framework_version(framework) if framework else None
    found = next((c for c in version.clauses if c.key == clause_key), None) if version else None
    if found is None:
        raise NotFound()
    children = [c for c in version.clauses if c.parent_key == found.key]
    questions: dict[int, list[Question]] = {}
    lists = queries.checklists_for(actor)
    for _checklist, checklist_version in lists:
        on_clause = [q for q in checklist_version.questions if q.clause_key == clause_key]
        if on_clause:
            questions[checklist_version.id] = on_clause
    return render_template("standard/clause.html", framework=framework, clause=found, children=children,
                           checklists=[(c, v) for c, v in lists if v.id in questions], questions=questions,
                           citations=citations_of(actor, clause_key))


@bp.route("/checklists", methods=["GET", "POST"])
@requires("standard.view", POST="checklist.manage")
def checklists():
    actor = current_actor()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            results = services.import_upload(actor, upload.filename or "upload", upload.read())
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            for result in results:
                flash(_("%(key)s: version %(number)d imported.", key=result.key, number=result.number)
                      if result.created else _("%(key)s: unchanged, nothing imported.", key=result.key), "success")
            return redirect(url_for(".checklists"))
    return render_template("standard/checklists.html", form=form, rows=queries.checklists_for(actor),
                           can_manage=actor.can("checklist.manage")), 422 if form.errors else 200


@bp.route("/checklists/template.xlsx")
@requires("standard.view")
def template():
    framework = _framework(None)
    content = spreadsheets.template_xlsx(queries.latest_framework_version(framework).clauses, framework.key)
    return _download(content, "auditkit-checklist-template.xlsx", XLSX)


@bp.route("/checklists/<int:checklist_id>")
@requires("standard.view")
def checklist(checklist_id: int):
    actor = current_actor()
    found = load_for(actor, Checklist, checklist_id, "standard.view")
    version = services.version_for(found, request.args.get("version"))
    clauses = {c.key: c for c in version.framework_version.clauses}
    return render_template("standard/checklist.html", checklist=found, version=version, clauses=clauses,
                           versions=found.versions, confirm=ConfirmForm(),
                           can_manage=actor.can("checklist.manage"))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes | str, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/checklists/<int:checklist_id>/export.<any(yaml, xlsx):fmt>")
@requires("standard.view")
def export(checklist_id: int, fmt: str):
    found = load_for(current_actor(), Checklist, checklist_id, "standard.view")
    version = services.version_for(found, request.args.get("version"))
    name = f"{found.key}-v{version.number}.{fmt}"
    if fmt == "xlsx":
        return _download(spreadsheets.export_xlsx(version), name, XLSX)
    return _download(dump_yaml(library.checklist_document(version)), name, "application/yaml; charset=utf-8")


@bp.route("/checklists/<int:checklist_id>/diff")
@requires("standard.view")
def diff(checklist_id: int):
    found = load_for(current_actor(), Checklist, checklist_id, "standard.view")
    new = services.version_for(found, request.args.get("to"))
    old = services.version_for(found, request.args.get("from") or max(new.number - 1, 1))
    return render_template("standard/diff.html", checklist=found, diff=diff_versions(old, new),
                           versions=found.versions)


@bp.route("/checklists/<int:checklist_id>/copy", methods=["POST"])
@requires("checklist.manage")
def copy(checklist_id: int):
    actor = current_actor()
    found = load_for(actor, Checklist, checklist_id, "standard.view")
    if not ConfirmForm().validate_on_submit():
        raise ValidationFailed({"_": _("The form had expired. Please submit it again.")})
    copied = services.copy_checklist(actor, found)
    db.session.commit()
    flash(_("A copy is now your organisation's own: adapt it here."), "success")
    return redirect(url_for(".edit", checklist_id=copied.id))


@bp.route("/checklists/<int:checklist_id>/edit", methods=["GET", "POST"])
@requires("checklist.manage")
def edit(checklist_id: int):
    actor = current_actor()
    found = load_for(actor, Checklist, checklist_id, "checklist.manage")
    latest = queries.latest_version(found)
    locale = str(get_locale())
    form = RevisionForm(data=None if request.method == "POST" else {
        "based_on": latest.number,
        "questions": [{"key": q.key, "text": pick(q.text, locale),
                       "weight": int(q.weight) if float(q.weight).is_integer() else q.weight,
                       "importance": q.importance} for q in latest.questions]})
    form.new_clause.choices = choices([("", "—")] + [
        (c.key, f"{c.number} {(c.title or {}).get(locale) or (c.title or {}).get('en', '')}")
        for c in latest.framework_version.clauses])
    if form.validate_on_submit():
        try:
            result = services.revise_checklist(actor, found, _revision(form, locale))
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved as version %(number)d.", number=result.number), "success")
            return redirect(url_for(".checklist", checklist_id=found.id))
    questions = {q.key: q for q in latest.questions}
    return render_template("standard/edit.html", checklist=found, version=latest, form=form, questions=questions,
                           clauses={c.key: c for c in latest.framework_version.clauses},
                           locale=locale), 422 if form.errors or form.form_errors else 200


def _revision(form: RevisionForm, locale: str) -> services.Revision:
    revision = services.Revision(based_on=form.based_on.data, locale=locale, note=form.note.data or "")
    revision.edits = [services.QuestionEdit(key=entry.key.data, text=entry.text.data, weight=entry.weight.data,
                                            importance=entry.importance.data, retire=entry.retire.data)
                      for entry in form.questions]
    if (form.new_text.data or "").strip():
        if not form.new_clause.data:
            raise ValidationFailed({"new_clause": _("Choose the clause the new question is about.")})
        revision.additions.append(services.NewQuestion(
            clause=form.new_clause.data, text=form.new_text.data, guidance=form.new_guidance.data or "",
            evidence=form.new_evidence.data or "", importance=form.new_importance.data,
            weight=form.new_weight.data or 1))
    return revision


UNCERTAIN_LABELS = {"numbering": _l("its numbering"), "letter": _l("its annex letter"), "title": _l("its title")}
FIELD_LABELS = {"clause_key": _l("clause"), "text": _l("question"), "guidance": _l("guidance"),
                "evidence": _l("evidence"), "importance": _l("importance"), "weight": _l("weight"),
                "metric": _l("live figure"), "method": _l("method"), "sample": _l("sample"), "tags": _l("tags")}


@bp.app_context_processor
def standard_context() -> dict:
    return {"importance_label": lambda value: str(IMPORTANCE_LABELS.get(value, value)),
            "uncertain_label": lambda value: str(UNCERTAIN_LABELS.get(value, value))}


@bp.app_template_filter("field_label")
def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))
