"""Import and export pages under /o/<slug>/complaints/transfer, all usable without JavaScript.

Import in two steps: the upload is checked (CSV or .xlsx, from its content) and kept in core.storage as a
temporary file under a random key, named in the next form only by a signed token (bound to the organisation and
the member); the mapping form shows the file's header with a field chosen for each column; "Check" reports
every problem and writes nothing, "Import" writes (or, with problems, writes nothing and reports them) and
deletes the upload. Rows rejected under "skip invalid rows" are stored as a temporary CSV and offered for
download through a signed link. Temporary files outlive these tokens' max_age (storage.TEMPORARY_MAX_AGE), so
an abandoned upload or an old download is swept without breaking a link still valid.
Export: a filter form like the register's, and the CSV and .xlsx downloads, which take the register's filter
arguments, so the register can link to them with its own query string.
"""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, current_app, g, render_template, request, send_file, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, HiddenField, SelectField

from auditkit.accounts.models import User
from auditkit.complaints import assignment, exporting
from auditkit.complaints.attachments import TEXT, XLSX, sniff
from auditkit.complaints.categories import category_choices
from auditkit.complaints.forms import RegisterFilterForm
from auditkit.complaints.importing import FIELDS, UnreadableFile, import_complaints, open_table, resolve_mapping
from auditkit.complaints.models import CHANNELS, SEVERITIES
from auditkit.complaints.queries import SORTS, RegisterFilter
from auditkit.complaints.states import Status
from auditkit.core import storage
from auditkit.core.db import utcnow
from auditkit.core.errors import NotFound
from auditkit.core.security import current_actor, requires
from auditkit.extensions import db
from auditkit.web.forms import choices

bp = Blueprint("complaint_transfer", __name__, url_prefix="/o/<slug>/complaints/transfer",
               template_folder="templates")

UPLOAD_MAX_AGE = 24 * 3600  # seconds; storage.TEMPORARY_MAX_AGE must stay longer than both
REJECTED_MAX_AGE = 7 * 24 * 3600
FIELD_LABELS = {
    "external_id": _l("External id (for re-imports)"), "received_at": _l("Received at (date and time)"),
    "channel": _l("Channel"), "complainant_name": _l("Complainant's name"),
    "complainant_organisation": _l("Complainant's organisation"), "email": _l("Email"), "phone": _l("Phone"),
    "address": _l("Postal address"), "postcode": _l("Postcode"), "country": _l("Country"),
    "representative": _l("Representative"), "preferred_language": _l("Preferred language"),
    "consent": _l("Consent (yes or no)"), "product": _l("Product or service"),
    "category": _l("Category (code or name)"), "description": _l("What happened"),
    "remedy_wanted": _l("What the complainant wants done"), "occurred_on": _l("When the problem occurred"),
}


class UploadForm(FlaskForm):
    file = FileField(_l("CSV or .xlsx file"), validators=[FileRequired(_l("Choose a file."))],
                     render_kw={"accept": ".csv,.txt,.xlsx"})


class MappingBase(FlaskForm):
    token = HiddenField()
    skip_invalid = BooleanField(_l("Skip invalid rows: import the valid ones and give me the rejected ones as a "
                                   "file"))


def mapping_form(header: list[str], selected: dict[int, str], formdata=None) -> MappingBase:
    """One select per column of the file, named by position (header names may repeat or hold anything)."""
    options = [("", _l("— leave out —"))] + [(f, f"{FIELD_LABELS[f]} · {f}") for f in FIELDS]

    class MappingForm(MappingBase):
        pass

    for index, name in enumerate(header):
        setattr(MappingForm, f"column_{index}", SelectField(
            name or _l("(column %(number)d, no name)", number=index + 1),
            choices=choices(options), default=selected.get(index, "")))
    form = MappingForm(formdata=formdata)
    form.columns = [form[f"column_{index}"] for index in range(len(header))]
    return form


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"complaint-transfer:{purpose}")


def _unsign(purpose: str, token: str, max_age: int) -> dict | None:
    """The token's content when it is genuine, recent and made for this member of this organisation."""
    actor = current_actor()
    try:
        content = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:
        return None
    if content.get("o") != actor.organisation_id or content.get("u") != actor.user_id:
        return None
    return content


def _stored(token: str) -> tuple[dict, bytes] | None:
    content = _unsign("upload", token, UPLOAD_MAX_AGE)
    if content is None:
        return None
    try:
        return content, storage.open(content["k"])
    except (FileNotFoundError, ValueError):
        return None


@bp.route("/", methods=["GET", "POST"])
@requires("complaint.import")
def upload():
    """Step 1: choose the file."""
    actor = current_actor()
    form = UploadForm()
    if form.validate_on_submit():
        content = form.file.data.read()
        kind = sniff(content)
        header = None
        if kind not in (TEXT, XLSX):
            form.file.errors.append(_("Upload a CSV file (UTF-8) or an .xlsx workbook."))
        else:
            try:
                table = open_table(io.BytesIO(content))
                header = table.header
                table.close()
            except UnreadableFile as error:
                form.file.errors.append(str(error))
            if header is not None and not any(header):
                form.file.errors.append(_("The first line must name the columns."))
        if not form.file.errors:
            key = storage.save(content, suffix=kind.suffix if kind is XLSX else ".csv", temporary=True)
            token = _serializer("upload").dumps({"o": actor.organisation_id, "u": actor.user_id, "k": key,
                                                 "f": (form.file.data.filename or "upload")[-200:]})
            columns, _problems = resolve_mapping(header, None)
            mapping = mapping_form(header, columns)
            mapping.token.data = token
            return _mapping_page(mapping, header, None)
    return render_template("complaints/transfer_upload.html", form=form, fields=FIELD_LABELS,
                           channels=CHANNELS), 422 if form.errors else 200


def _mapping_page(form: MappingBase, header: list[str], report, status: int = 200):
    return render_template("complaints/transfer_mapping.html", form=form, header=header, report=report), status


@bp.route("/run", methods=["POST"])
@requires("complaint.import")
def run():
    """Step 2: check, or import, the stored file with the chosen mapping."""
    actor = current_actor()
    stored = _stored(request.form.get("token", ""))
    if stored is None:
        form = UploadForm(formdata=None)
        form.file.errors = [_("The uploaded file is no longer available; upload it again.")]
        return render_template("complaints/transfer_upload.html", form=form, fields=FIELD_LABELS,
                               channels=CHANNELS), 422
    content, data = stored
    table = open_table(io.BytesIO(data))
    header = table.header
    table.close()
    form = mapping_form(header, {}, formdata=request.form)
    if not form.validate_on_submit():
        return _mapping_page(form, header, None, 422)
    check_only = request.form.get("action") == "check"
    mapping = {index: field.data for index, field in enumerate(form.columns)}
    rejected = io.StringIO() if form.skip_invalid.data else None
    try:
        report = import_complaints(actor, g.organisation, io.BytesIO(data), mapping=mapping, dry_run=check_only,
                                   skip_invalid=form.skip_invalid.data, rejected=rejected, file_name=content["f"])
    except IntegrityError:
        db.session.rollback()  # someone received one of these external ids meanwhile
        form.form_errors.append(_("Some of these complaints were recorded meanwhile by someone else. Nothing was "
                                  "imported; check the file again."))
        return _mapping_page(form, header, None, 409)
    if report.refused or check_only:
        db.session.rollback()
        return _mapping_page(form, header, report, 422 if report.refused else 200)
    db.session.commit()
    storage.delete(content["k"])
    link = None
    if rejected is not None and report.invalid:
        key = storage.save(rejected.getvalue().encode("utf-8-sig"), suffix=".csv", temporary=True)
        link = _serializer("rejected").dumps({"o": actor.organisation_id, "u": actor.user_id, "k": key})
    return render_template("complaints/transfer_report.html", report=report, rejected_token=link,
                           file_name=content["f"])


@bp.route("/rejected/<token>")
@requires("complaint.import")
def rejected(token: str):
    """The rows an import skipped, with their line numbers and problems, as CSV."""
    content = _unsign("rejected", token, REJECTED_MAX_AGE)
    try:
        data = storage.open(content["k"]) if content else None
    except (FileNotFoundError, ValueError):
        data = None
    if data is None:
        raise NotFound()
    return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                     download_name="rejected-rows.csv")


def register_filter(args, actor) -> RegisterFilter:
    """The register's filter from its query arguments; a value that is not understood is left out."""
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    assignee = args.get("assignee", "")
    category = args.get("category_id", "")
    return RegisterFilter(
        status=args.get("status") if args.get("status") in {s.value for s in Status} else None,
        channel=args.get("channel") if args.get("channel") in CHANNELS else None,
        category_id=int(category) if category.isdigit() else None,
        severity=args.get("severity") if args.get("severity") in SEVERITIES else None,
        assignee_id=actor.user_id if assignee == "me" else (int(assignee) if assignee.isdigit() else None),
        unassigned=assignee == "none", overdue=args.get("overdue", "") in ("y", "1", "on", "true"),
        due_soon=args.get("due_soon", "") in ("y", "1", "on", "true"),
        received_from=day("received_from"), received_to=day("received_to"), q=args.get("q", "")[:200],
        sort=args.get("sort") if args.get("sort") in SORTS else "newest")


@bp.route("/export")
@requires("complaint.export")
def export():
    """The register's filters, and a button for each format."""
    actor = current_actor()
    form = RegisterFilterForm(request.args)
    form.category_id.choices = choices([("", _("Any"))] + [
        (str(i), n) for i, n in category_choices(actor.organisation_id)])
    members = [m.user_id for m in assignment.handlers(actor.organisation_id)]
    people = db.session.execute(select(User).where(User.id.in_(members)).order_by(User.id)).scalars()
    form.assignee.choices = choices([("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))]
                                    + [(str(p.id), p.display_name) for p in people])
    return render_template("complaints/transfer_export.html", form=form,
                           masked=not actor.can("complaint.view_personal"))


def _download_name(suffix: str) -> str:
    return f"complaints-{g.organisation.slug}-{utcnow().date().isoformat()}{suffix}"


@bp.route("/export.csv")
@requires("complaint.export")
def export_csv():
    actor = current_actor()
    table = exporting.rows(actor, g.organisation, register_filter(request.args, actor))
    response = Response(stream_with_context(exporting.csv_chunks(table)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(".csv")}"'
    response.headers["Cache-Control"] = "no-store"  # complainants' details
    return response


@bp.route("/export.xlsx")
@requires("complaint.export")
def export_xlsx():
    actor = current_actor()
    table = exporting.rows(actor, g.organisation, register_filter(request.args, actor))
    response = send_file(exporting.xlsx_file(table), mimetype=XLSX.media_type, as_attachment=True,
                         download_name=_download_name(".xlsx"))
    response.headers["Cache-Control"] = "no-store"
    return response
