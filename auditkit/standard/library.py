"""Importing and exporting clause libraries and checklists: documents in the checklist format become
immutable versions (a new one only when the content hash changes) and versions become documents again.

Refuses (ValidationFailed, nothing written): a document with any problem, a checklist on a library the
organisation does not see, a checklist whose kind or library differs from the one already stored under
its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.standard import queries
from auditkit.standard.formats import CHECKLIST_FORMAT, LIBRARY_FORMAT, Checked, canonical, check, content_hash
from auditkit.standard.models import Checklist, ChecklistVersion, Clause, Framework, FrameworkVersion, Question
from auditkit.standard.yaml_source import Problem, parse_yaml


@dataclass(frozen=True)
class Imported:
    kind: str  # "library" | "checklist"
    key: str
    number: int
    created: bool


def _organisation(actor: Actor | None) -> int | None:
    if actor is not None:
        require(actor, "checklist.manage")
        return actor.organisation_id
    return None


def import_library(data: dict[str, Any], actor: Actor | None = None, source: str = "yaml") -> Imported:
    """Store a checked clause-library document; actor None stores the shared library (CLI, setup)."""
    organisation_id = _organisation(actor)
    info = data["library"]
    framework = db.session.execute(
        db.select(Framework).where(Framework.key == info["id"], Framework.organisation_id.is_(None)
                                   if organisation_id is None else Framework.organisation_id == organisation_id)
    ).scalar_one_or_none()
    if framework is None:
        framework = Framework(organisation_id=organisation_id, key=info["id"], standard=info["standard"],
                              edition=info["edition"], source=source)
        db.session.add(framework)
        db.session.flush()
    digest = content_hash(data)
    latest = queries.latest_framework_version(framework)
    if latest is not None and latest.content_hash == digest:
        return Imported("library", framework.key, latest.number, False)
    version = FrameworkVersion(organisation_id=organisation_id, framework_id=framework.id,
                               number=(latest.number + 1) if latest else 1, content_hash=digest,
                               title=info["title"], created_by_id=actor.user_id if actor else None)
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        Clause(organisation_id=organisation_id, framework_version_id=version.id, key=entry["id"],
               parent_key=entry["parent"], number=entry["number"], kind=entry["kind"], position=position,
               title=entry["title"], guidance=entry.get("guidance"), uncertain=entry.get("uncertain"))
        for position, entry in enumerate(data["clauses"]))
    db.session.flush()
    return Imported("library", framework.key, version.number, True)


def import_checklist(data: dict[str, Any], actor: Actor | None = None, *, source: str = "yaml",
                     note: str = "", copied_from: ChecklistVersion | None = None) -> Imported:
    """Store a checked checklist document as a new version, unless the latest version has its content."""
    organisation_id = _organisation(actor)
    info = data["checklist"]
    framework = queries.framework_by_key(info["library"], organisation_id)
    framework_version = queries.latest_framework_version(framework) if framework else None
    if framework_version is None:
        raise ValidationFailed({"library": _("Unknown clause library %(key)s.", key=info["library"])})
    checklist = db.session.execute(
        db.select(Checklist).where(Checklist.key == info["id"], Checklist.organisation_id.is_(None)
                                   if organisation_id is None else Checklist.organisation_id == organisation_id)
    ).scalar_one_or_none()
    if checklist is None:
        checklist = Checklist(organisation_id=organisation_id, key=info["id"], framework_id=framework.id,
                              kind=info["kind"], source=source,
                              copied_from_version_id=copied_from.id if copied_from else None)
        db.session.add(checklist)
        db.session.flush()
    elif checklist.kind != info["kind"] or checklist.framework_id != framework.id:
        raise ValidationFailed({"checklist": _(
            "A checklist %(key)s of another kind or library exists already; give this one another id.",
            key=info["id"])})
    digest = content_hash(data)
    latest = queries.latest_version(checklist)
    if latest is not None and latest.content_hash == digest:
        return Imported("checklist", checklist.key, latest.number, False)
    version = ChecklistVersion(
        organisation_id=organisation_id, checklist_id=checklist.id, number=(latest.number + 1) if latest else 1,
        content_hash=digest, framework_version_id=framework_version.id, title=info["title"],
        description=info.get("description"), note=note[:500], created_by_id=actor.user_id if actor else None)
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        Question(organisation_id=organisation_id, checklist_version_id=version.id, key=q["id"],
                 clause_key=q["clause"], position=position, text=q["text"], guidance=q.get("guidance"),
                 evidence=q.get("evidence"), importance=q["importance"], weight=q["weight"],
                 metric=q.get("metric"), method=q.get("method"), sample=q.get("sample"), tags=q.get("tags") or [])
        for position, q in enumerate(data["questions"]))
    db.session.flush()
    return Imported("checklist", checklist.key, version.number, True)


def library_document(version: FrameworkVersion) -> dict[str, Any]:
    framework = version.framework
    return canonical({
        "format": LIBRARY_FORMAT,
        "library": {"id": framework.key, "standard": framework.standard, "edition": framework.edition,
                    "title": version.title},
        "clauses": [{"id": c.key, "parent": c.parent_key, "number": c.number, "kind": c.kind, "title": c.title,
                     "guidance": c.guidance, "uncertain": c.uncertain} for c in version.clauses],
    })


def checklist_document(version: ChecklistVersion) -> dict[str, Any]:
    checklist = version.checklist
    return canonical({
        "format": CHECKLIST_FORMAT,
        "checklist": {"id": checklist.key, "library": checklist.framework.key, "kind": checklist.kind,
                      "title": version.title, "description": version.description},
        "questions": [question.as_document() for question in version.questions],
    })


@dataclass
class Batch:
    """Files read and checked together: libraries first, so checklists may cite their clauses."""

    checked: list[tuple[str, Checked]]

    @property
    def problems(self) -> list[Problem]:
        return [problem for _file, result in self.checked for problem in result.problems]


def check_documents(documents: list[tuple[str, Any]], organisation_id: int | None = None, *,
                    complete: bool = True) -> Batch:
    """Validate parsed documents (file name, document) as one batch."""
    libraries = [(f, d) for f, d in documents if isinstance(d, dict) and d.get("format") == LIBRARY_FORMAT]
    others = [(f, d) for f, d in documents if (f, d) not in libraries]
    checked = [(file, check(document, file, complete=complete)) for file, document in libraries]
    known = queries.clause_keys(organisation_id)
    for _file, result in checked:
        if result.ok:
            known[result.data["library"]["id"]] = {c["id"] for c in result.data["clauses"]}
    checked += [(file, check(document, file, complete=complete, clause_keys=known)) for file, document in others]
    return Batch(checked)


def read_directory(paths: list[Path]) -> tuple[list[tuple[str, Any]], list[Problem]]:
    """Parse every .yaml/.yml file under the given files and folders (folders named _something are drafts
    and left out)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                            and not any(part.startswith("_") for part in p.relative_to(path).parts))
        else:
            files.append(path)
    documents, problems = [], []
    for file in files:
        try:
            text = file.read_bytes()
        except OSError as error:
            problems.append(Problem(str(file), 1, "", _("Cannot read the file: %(reason)s.", reason=error.strerror)))
            continue
        document, found = parse_yaml(text, str(file))
        problems += found
        if document is not None:
            documents.append((str(file), document))
    return documents, problems


def import_batch(batch: Batch, actor: Actor | None = None, source: str = "yaml") -> list[Imported]:
    """Store every document of a checked batch; the batch must have no problems."""
    if batch.problems:
        raise ValidationFailed({"file": [str(p) for p in batch.problems]})
    results = [import_library(result.data, actor, source) for _f, result in batch.checked
               if result.kind == "library"]
    results += [import_checklist(result.data, actor, source=source) for _f, result in batch.checked
                if result.kind == "checklist"]
    return results
