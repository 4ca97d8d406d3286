"""The checklist format (docs/checklist-format.md): marshmallow schemas for clause-library and checklist
documents, the cross-checks a schema cannot make (duplicate ids, dangling parents, questions on unknown
clauses), and the canonical form whose hash identifies a version.

Refuses: unknown keys, missing or unknown languages in a text (all four are required in library files;
imports from spreadsheets and other tools may carry fewer), bad enums, weights outside (0, 10], unknown
metric keys, duplicate ids, parents that are not earlier clauses, questions on clauses the library lacks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from auditkit.core.i18n import LOCALES
from auditkit.standard.metric_keys import METRIC_KEYS
from auditkit.standard.yaml_source import Problem, dotted, locate

LIBRARY_FORMAT = "auditkit/clause-library@1"
CHECKLIST_FORMAT = "auditkit/checklist@1"
CLAUSE_KINDS = ("principle", "framework", "planning", "operation", "improvement", "annex", "section")
CHECKLIST_KINDS = ("gap_assessment", "internal_audit", "small_business", "custom")
IMPORTANCE = ("essential", "recommended", "good_practice")
METHODS = ("interview", "document_review", "observation", "record_sample")
UNCERTAIN = ("numbering", "letter", "title")
LIBRARY_ID = r"^[a-z0-9][a-z0-9._-]*:[a-z0-9._-]+$"
SLUG = r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$"


class Translated(fields.Field):
    """A text in several languages: {"en": "...", "fa": "...", ...}; `complete` requires all four."""

    def __init__(self, *, complete: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.complete = complete

    def _deserialize(self, value, attr, data, **kwargs) -> dict[str, str]:
        if not isinstance(value, dict):
            raise ValidationError(_("Give the text in each language: en, fa, zh_Hans, zh_Hant."))
        unknown = sorted(str(k) for k in value if k not in LOCALES)
        if unknown:
            raise ValidationError(_("Unknown language %(codes)s: use en, fa, zh_Hans, zh_Hant.",
                                    codes=", ".join(unknown)))
        texts = {}
        for code in LOCALES:
            text = value.get(code)
            if text is not None and not isinstance(text, str):
                raise ValidationError(_("The %(code)s text must be text.", code=code))
            if text and text.strip():
                texts[code] = text.strip()
        missing = [code for code in LOCALES if code not in texts]
        if self.complete and missing:
            raise ValidationError(_("Missing translation: %(codes)s.", codes=", ".join(missing)))
        if not texts:
            raise ValidationError(_("Give the text in at least one language."))
        return texts


@cache
def schemas(complete: bool) -> dict[str, type[Schema]]:
    """The document schemas; `complete` demands every text in all four languages."""

    def translated(required: bool = True):
        return Translated(complete=complete, required=required)

    class Strict(Schema):
        class Meta:
            unknown = RAISE

    class LibraryInfo(Strict):
        id = fields.Str(required=True, validate=validate.Regexp(LIBRARY_ID, error=_l("Use a form like iso10002:2018.")))
        standard = fields.Str(required=True, validate=validate.Length(min=1, max=100))
        edition = fields.Str(required=True, validate=validate.Length(min=1, max=20))
        title = translated()

    class ClauseEntry(Strict):
        id = fields.Str(required=True, validate=validate.Length(min=3, max=120))
        parent = fields.Str(load_default=None)
        number = fields.Str(required=True, validate=validate.Length(min=1, max=30))
        kind = fields.Str(required=True, validate=validate.OneOf(CLAUSE_KINDS))
        title = translated()
        guidance = translated(required=False)
        uncertain = fields.Str(load_default=None, validate=validate.OneOf(UNCERTAIN))

    class LibraryFile(Strict):
        format = fields.Str(required=True, validate=validate.Equal(LIBRARY_FORMAT))
        library = fields.Nested(LibraryInfo, required=True)
        clauses = fields.List(fields.Nested(ClauseEntry), required=True, validate=validate.Length(min=1))

    class ChecklistInfo(Strict):
        id = fields.Str(required=True, validate=[validate.Length(max=100), validate.Regexp(
            SLUG, error=_l("Use lower-case letters, digits, dots and hyphens."))])
        library = fields.Str(required=True)
        kind = fields.Str(required=True, validate=validate.OneOf(CHECKLIST_KINDS))
        title = translated()
        description = translated(required=False)

    class QuestionEntry(Strict):
        id = fields.Str(required=True, validate=[validate.Length(max=100), validate.Regexp(
            SLUG, error=_l("Use lower-case letters, digits, dots and hyphens."))])
        clause = fields.Str(required=True)
        text = translated()
        guidance = translated(required=False)
        evidence = translated(required=False)
        importance = fields.Str(required=True, validate=validate.OneOf(IMPORTANCE))
        weight = fields.Float(required=True, allow_nan=False, validate=validate.Range(
            min=0, max=10, min_inclusive=False, error=_l("Must be greater than 0 and less than or equal to 10.")))
        metric = fields.Str(load_default=None, validate=validate.OneOf(
            sorted(METRIC_KEYS), error=_l("Unknown metric key {input}: see docs/checklist-format.md.")))
        method = fields.Str(load_default=None, validate=validate.OneOf(METHODS))
        sample = translated(required=False)
        tags = fields.List(fields.Str(validate=validate.Regexp(SLUG, error=_l("Tags are lower-case slugs."))),
                           load_default=list)

    class ChecklistFile(Strict):
        format = fields.Str(required=True, validate=validate.Equal(CHECKLIST_FORMAT))
        checklist = fields.Nested(ChecklistInfo, required=True)
        questions = fields.List(fields.Nested(QuestionEntry), required=True, validate=validate.Length(min=1))

    return {"library": LibraryFile, "checklist": ChecklistFile}


@dataclass
class Checked:
    """A document that passed (problems empty) or the reasons it did not."""

    kind: str | None
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _flatten(messages: Any, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, (*path, key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, path)
    else:
        yield path, str(messages)


def document_kind(document: Any) -> str | None:
    if isinstance(document, dict):
        return {LIBRARY_FORMAT: "library", CHECKLIST_FORMAT: "checklist"}.get(document.get("format"))
    return None


def check(document: Any, file: str, *, complete: bool = True,
          clause_keys: dict[str, set[str]] | None = None) -> Checked:
    """Validate a parsed document. `clause_keys` maps library ids to their clause ids, for checklists."""
    kind = document_kind(document)
    if kind is None:
        return Checked(None, None, [Problem(file, locate(document, ("format",)), "format",
                                            _("Expected format: %(library)s or %(checklist)s.",
                                              library=LIBRARY_FORMAT, checklist=CHECKLIST_FORMAT))])
    try:
        data = schemas(complete)[kind]().load(document)
    except ValidationError as error:
        problems = [Problem(file, locate(document, path), dotted(path), message)
                    for path, message in _flatten(error.messages)]
        return Checked(kind, None, sorted(problems))
    problems = (_library_problems if kind == "library" else _checklist_problems)(
        data, document, file, clause_keys or {})
    return Checked(kind, data if not problems else None, sorted(problems))


def _library_problems(data, document, file, _clause_keys) -> list[Problem]:
    problems, seen, numbers = [], set(), set()
    prefix = data["library"]["id"] + ":"
    for index, clause in enumerate(data["clauses"]):
        def problem(key: str, message: str, index=index) -> None:
            problems.append(Problem(file, locate(document, ("clauses", index, key)),
                                    dotted(("clauses", index, key)), message))

        if not clause["id"].startswith(prefix):
            problem("id", _("A clause id starts with the library id: %(prefix)s…", prefix=prefix))
        if clause["id"] in seen:
            problem("id", _("Duplicate id %(id)s.", id=clause["id"]))
        if clause["parent"] is not None and clause["parent"] not in seen:
            problem("parent", _("%(parent)s is not a clause listed earlier in this file.", parent=clause["parent"]))
        if (clause["parent"], clause["number"]) in numbers:
            problem("number", _("Number %(number)s is used twice under the same parent.", number=clause["number"]))
        seen.add(clause["id"])
        numbers.add((clause["parent"], clause["number"]))
    return problems


def _checklist_problems(data, document, file, clause_keys) -> list[Problem]:
    problems = []
    library = data["checklist"]["library"]
    known = clause_keys.get(library)
    if known is None:
        return [Problem(file, locate(document, ("checklist", "library")), "checklist.library",
                        _("Unknown clause library %(library)s: import its clauses first.", library=library))]
    seen = set()
    for index, question in enumerate(data["questions"]):
        if question["id"] in seen:
            problems.append(Problem(file, locate(document, ("questions", index, "id")),
                                    dotted(("questions", index, "id")), _("Duplicate id %(id)s.", id=question["id"])))
        seen.add(question["id"])
        if question["clause"] not in known:
            problems.append(Problem(file, locate(document, ("questions", index, "clause")),
                                    dotted(("questions", index, "clause")),
                                    _("%(clause)s is not a clause of %(library)s.", clause=question["clause"],
                                      library=library)))
    return problems


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The document without empty optional values, weights as the plainest number: what a version is."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v not in (None, [], {}, "")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return clean(data)


def content_hash(data: dict[str, Any]) -> str:
    text = json.dumps(canonical(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
