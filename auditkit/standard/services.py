"""An organisation's own checklists: copying a shared one, importing an uploaded file (our YAML, a CISO
Assistant framework or an .xlsx workbook), and revising one in the browser — each save a new version.

Refuses: a role without `checklist.manage`; editing a shared checklist (copy it first); a revision based on
a version that is no longer the latest (409: someone saved meanwhile); a revision that leaves no question;
a file of an unknown kind or with any problem (every problem listed, nothing imported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from auditkit.core.i18n import pick
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.standard import library, queries
from auditkit.standard.ciso import read_ciso_library
from auditkit.standard.formats import check
from auditkit.standard.models import Checklist, ChecklistVersion
from auditkit.standard.spreadsheets import is_xlsx, read_xlsx
from auditkit.standard.yaml_source import parse_yaml

DEFAULT_LIBRARY = "iso10002:2018"


def _free_key(organisation_id: int, key: str) -> str:
    taken = set(db.session.execute(
        select(Checklist.key).where(Checklist.organisation_id == organisation_id)).scalars())
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        candidate = f"{key}-{n}"
    return candidate


def copy_checklist(actor: Actor, checklist: Checklist) -> Checklist:
    """The organisation's own copy of a checklist's latest version, to adapt."""
    require(actor, "checklist.manage")
    source = queries.latest_version(checklist)
    document = library.checklist_document(source)
    document["checklist"]["id"] = _free_key(actor.organisation_id, checklist.key)
    result = library.import_checklist(document, actor, source="copy", copied_from=source,
                                      note=_("Copied from %(key)s version %(number)d.", key=checklist.key,
                                             number=source.number))
    return db.session.execute(select(Checklist).where(
        Checklist.organisation_id == actor.organisation_id, Checklist.key == result.key)).scalar_one()


@dataclass
class QuestionEdit:
    key: str
    text: str
    weight: float
    importance: str
    retire: bool = False


@dataclass
class NewQuestion:
    clause: str
    text: str
    guidance: str = ""
    evidence: str = ""
    importance: str = "recommended"
    weight: float = 1.0


@dataclass
class Revision:
    based_on: int  # the version number the editor started from
    locale: str  # the language the editor writes in
    edits: list[QuestionEdit] = field(default_factory=list)
    additions: list[NewQuestion] = field(default_factory=list)
    note: str = ""


def _reworded(texts: dict[str, str] | None, locale: str, new: str) -> dict[str, str]:
    new = new.strip()
    if texts and pick(texts, locale).strip() == new:  # unchanged (the form shows a fallback language as is)
        return texts
    # A reworded text keeps only the language it was written in: the others no longer say the same.
    return {locale: new} if new else dict(texts or {})


def revise_checklist(actor: Actor, checklist: Checklist, revision: Revision) -> library.Imported:
    require(actor, "checklist.manage")
    if checklist.organisation_id is None:
        raise Forbidden(_("Shared checklists are not edited: copy it into your organisation first."))
    latest = queries.latest_version(checklist)
    if latest.number != revision.based_on:
        raise Conflict()
    document = library.checklist_document(latest)
    edits = {edit.key: edit for edit in revision.edits}
    questions = []
    for question in document["questions"]:
        edit = edits.get(question["id"])
        if edit is not None:
            if edit.retire:
                continue
            question["text"] = _reworded(question.get("text"), revision.locale, edit.text)
            question["weight"], question["importance"] = edit.weight, edit.importance
        questions.append(question)
    taken = {q["id"] for q in questions} | {q["id"] for q in document["questions"]}
    for n, addition in enumerate(revision.additions, start=1):
        key = f"own-{latest.number + 1}-{n:02d}"
        while key in taken:
            key += "-x"
        taken.add(key)
        question = {"id": key, "clause": addition.clause, "text": {revision.locale: addition.text.strip()},
                    "importance": addition.importance, "weight": addition.weight}
        for name in ("guidance", "evidence"):
            if getattr(addition, name).strip():
                question[name] = {revision.locale: getattr(addition, name).strip()}
        questions.append(question)
    if not questions:
        raise ValidationFailed({"_": _("A checklist needs at least one question; do not retire them all.")})
    document["questions"] = questions
    result = check(document, checklist.key, complete=False,
                   clause_keys=queries.clause_keys(actor.organisation_id))
    if not result.ok:
        raise ValidationFailed({"_": [p.message for p in result.problems]})
    imported = library.import_checklist(result.data, actor, source=checklist.source, note=revision.note)
    if not imported.created:
        raise ValidationFailed({"_": _("Nothing changed, so no new version was made.")})
    return imported


def import_upload(actor: Actor, filename: str, content: bytes) -> list[library.Imported]:
    """Import an uploaded file into the actor's organisation: an .xlsx checklist (on ISO 10002 unless its
    Checklist sheet names another library), a CISO Assistant framework, or our own YAML."""
    require(actor, "checklist.manage")
    if not content:
        raise ValidationFailed({"file": _("The file is empty.")})
    if is_xlsx(content):
        framework = queries.framework_by_key(DEFAULT_LIBRARY, actor.organisation_id)
        clauses = queries.latest_framework_version(framework).clauses if framework else []
        document, problems = read_xlsx(content, filename, clauses, DEFAULT_LIBRARY)
        documents = [(filename, document)] if document else []
        source = "xlsx"
    else:
        if b"\x00" in content[:4096]:
            raise ValidationFailed({"file": _("This is neither an .xlsx workbook nor a YAML text file.")})
        document, problems = parse_yaml(content, filename)
        documents, source = [], "yaml"
        if isinstance(document, dict) and "objects" in document:
            framework_doc, checklist_doc, found = read_ciso_library(document, filename)
            problems += found
            documents = [(filename, d) for d in (framework_doc, checklist_doc) if d]
            source = "ciso"
        elif document is not None:
            documents = [(filename, document)]
    if problems:
        raise ValidationFailed({"file": [str(p) for p in problems]})
    batch = library.check_documents(documents, actor.organisation_id, complete=False)
    if batch.problems:
        raise ValidationFailed({"file": [str(p) for p in batch.problems]})
    return library.import_batch(batch, actor, source)


def version_for(checklist: Checklist, number: Any) -> ChecklistVersion:
    """The numbered version of a checklist (the latest when no number is given)."""
    if number in (None, ""):
        version = queries.latest_version(checklist)
    else:
        try:
            version = queries.version_number(checklist, int(number))
        except (TypeError, ValueError):
            version = None
    if version is None:
        raise NotFound()
    return version
