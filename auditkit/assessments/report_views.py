"""An assessment's documents under /o/<slug>/assessments/<id>/: the report page (the reports generated earlier,
newest first, with their downloads, and the button that generates a new one in the language chosen), the
generation itself (a POST: it registers a document) answering with the .docx as a download, and the workbook of
every answer as .xlsx."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, g, redirect, render_template, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField

from auditkit.accounts.models import User
from auditkit.assessments import reports
from auditkit.assessments.documents import assessment_label
from auditkit.assessments.models import Assessment
from auditkit.core.i18n import LOCALE_LABELS, LOCALES
from auditkit.core.security import current_actor, load_for, requires
from auditkit.documents import services
from auditkit.extensions import db
from auditkit.web.forms import choices

bp = Blueprint("assessment_reports", __name__, url_prefix="/o/<slug>/assessments/<int:assessment_id>",
               template_folder="templates")


class ReportForm(FlaskForm):
    lang = SelectField(_l("Language of the report"), choices=choices(LOCALE_LABELS.items()))


def _download(content: bytes, media_type: str, file_name: str):
    response = send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


def _authors(documents) -> dict[int, str]:
    ids = {document.created_by_id for document in documents if document.created_by_id}
    if not ids:
        return {}
    return {row.id: row.name or row.email for row in db.session.execute(
        select(User.id, User.name, User.email).where(User.id.in_(ids)))}


@bp.route("/report")
@requires("document.view")
def report(assessment_id: int):
    """The reports generated from the assessment, and the form that generates a new one."""
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.view")
    form = ReportForm(formdata=None, lang=reports.report_locale(g.organisation, None))
    documents = reports.reports_of(actor, assessment)
    back = (url_for("assessments.assessment", assessment_id=assessment.id)
            if "assessments.assessment" in current_app.view_functions else None)
    return render_template("assessments/reports.html", assessment=assessment, label=assessment_label(assessment),
                           documents=documents, authors=_authors(documents), form=form, back=back,
                           locale_labels=LOCALE_LABELS, can_generate=actor.can("document.generate"),
                           can_export=actor.can("assessment.export"), draft=reports.is_draft(assessment))


@bp.route("/report.docx", methods=["GET", "POST"])
@requires("document.view", POST="document.generate")
def report_docx(assessment_id: int):
    """POST: generate the report, keep it in the register, and answer with the file as generated. GET (a link
    followed, a page reloaded) generates nothing: it shows the report page, where the button is."""
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.view")
    if request.method == "GET":
        return redirect(url_for(".report", assessment_id=assessment.id), 303)
    form = ReportForm()
    lang = form.lang.data if form.validate_on_submit() else None
    document = reports.build_report(actor, g.organisation, assessment, lang)
    db.session.commit()
    return _download(services.content_of(document), document.media_type, document.file_name)


@bp.route("/answers.xlsx")
@requires("assessment.export")
def answers_xlsx(assessment_id: int):
    """Every answer and score as a workbook, its texts in `?lang=` (else the organisation's language)."""
    actor = current_actor()
    assessment = load_for(actor, Assessment, assessment_id, "assessment.export")
    lang = request.args.get("lang")
    content = reports.answers_workbook(actor, g.organisation, assessment, lang if lang in LOCALES else None)
    return _download(content, services.XLSX, reports.workbook_file_name(assessment))
