"""The register of generated documents under /o/<slug>/documents: the list (newest first, 50 a page, an
"older" link to the next page), the download of one document as it was generated, and its verification
against the sha256 recorded when it was generated."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _

from auditkit.core.errors import NotFound
from auditkit.core.security import current_actor, load_for, requires
from auditkit.documents import services
from auditkit.documents.labels import kind_label
from auditkit.documents.models import GeneratedDocument

bp = Blueprint("documents", __name__, url_prefix="/o/<slug>/documents", template_folder="templates")

PER_PAGE = 50


@bp.route("/")
@requires("document.view")
def register():
    actor = current_actor()
    before = request.args.get("before", type=int)
    found = services.register_page(actor, before=before, limit=PER_PAGE + 1)
    documents, older = found[:PER_PAGE], len(found) > PER_PAGE
    return render_template("documents/register.html", documents=documents, kind_label=kind_label,
                           older=documents[-1].id if older else None, paged=before is not None)


@bp.route("/<int:document_id>")
@requires("document.view")
def download(document_id: int):
    """The file as it was generated, under its recorded name and media type."""
    document = load_for(current_actor(), GeneratedDocument, document_id, "document.view")
    try:
        content = services.content_of(document)
    except FileNotFoundError:
        raise NotFound(_("The file of this document is no longer stored.")) from None
    response = send_file(io.BytesIO(content), mimetype=document.media_type, as_attachment=True,
                         download_name=document.file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:document_id>/verify")
@requires("document.view")
def verify(document_id: int):
    """Whether the stored file is still the one generated: its sha256 against the one recorded."""
    document = load_for(current_actor(), GeneratedDocument, document_id, "document.view")
    return render_template("documents/verify.html", document=document, intact=services.verify(document),
                           kind_label=kind_label)
