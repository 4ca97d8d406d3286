"""Keeping generated documents: `register()` stores a file a feature generated and records it, `content_of()`
reads it back, `verify()` proves it is the file that was generated, `documents_of()` lists a record's documents.
Also `plain()`, which turns a context or snapshot into JSON data (dates as ISO strings, Decimals as exact
strings).

Refused: registering without "document.generate", listing without "document.view" (Forbidden); a file name
without an extension, an empty field or one too long for its column or a snapshot that is not plain data (ValueError:
features choose these, people do not). Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePosixPath
from typing import Any
from uuid import UUID

from flask_babel.speaklater import LazyString
from sqlalchemy.orm import selectinload

from auditkit.core import storage
from auditkit.core.security import Actor, require, scoped
from auditkit.documents.models import GeneratedDocument
from auditkit.documents.rendering import Image
from auditkit.extensions import db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_FIELD_LIMITS = {"kind": 40, "source_type": 40, "media_type": 120, "locale": 10, "template": 120}
_TEXT_LIMIT = 300  # title and file name


def register(actor: Actor, *, kind: str, source_type: str, source_id: int, title: str, file_name: str,
             media_type: str, content: bytes, snapshot: Mapping[str, Any], locale: str,
             template: str) -> GeneratedDocument:
    """Store `content` and record it as a document of the actor's organisation, generated now by the actor from
    `source_type` #`source_id` with `template` in `locale`, out of `snapshot` (made plain here)."""
    require(actor, "document.generate")
    fields = {"kind": kind, "source_type": source_type, "media_type": media_type, "locale": locale,
              "template": template}
    for field, value in fields.items():
        if not value or len(value) > _FIELD_LIMITS[field]:
            raise ValueError(f"{field} must be 1 to {_FIELD_LIMITS[field]} characters: {value!r}")
    title = " ".join(title.split())[:_TEXT_LIMIT]  # it may carry a record's title, as long as that may be
    if not title:
        raise ValueError("a document needs a title")
    file_name = safe_file_name(file_name)
    suffix = PurePosixPath(file_name).suffix.lower()
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"a document's file name needs an extension such as .docx: {file_name!r}")
    frozen = plain(dict(snapshot))
    key = storage.save(content, suffix=suffix)
    document = GeneratedDocument(
        organisation_id=actor.organisation_id, kind=kind, source_type=source_type, source_id=source_id,
        title=title, file_name=file_name, media_type=media_type,
        storage_key=key, sha256=hashlib.sha256(content).hexdigest(), size=len(content), locale=locale,
        template=template, snapshot=frozen, created_by_id=actor.user_id)
    db.session.add(document)
    try:
        db.session.flush()
    except Exception:
        storage.delete(key)  # no row names it: it would never be found again
        raise
    return document


def content_of(document: GeneratedDocument) -> bytes:
    """The stored bytes; FileNotFoundError when the file is gone."""
    return storage.open(document.storage_key)


def verify(document: GeneratedDocument) -> bool:
    """Whether the stored file is still, byte for byte, the one that was generated (missing: False)."""
    try:
        content = content_of(document)
    except FileNotFoundError:
        return False
    return hashlib.sha256(content).hexdigest() == document.sha256


def documents_of(actor: Actor, source_type: str, source_id: int) -> list[GeneratedDocument]:
    """The documents generated from one record, newest first."""
    require(actor, "document.view")
    return list(db.session.execute(
        scoped(actor, GeneratedDocument)
        .where(GeneratedDocument.source_type == source_type, GeneratedDocument.source_id == source_id)
        .order_by(GeneratedDocument.id.desc())).scalars())


def register_page(actor: Actor, *, before: int | None = None, limit: int = 50) -> list[GeneratedDocument]:
    """One page of the organisation's register, newest first: `limit` documents older than id `before`
    (keyset: as fast on the last page as on the first); the authors come loaded."""
    require(actor, "document.view")
    statement = scoped(actor, GeneratedDocument).options(selectinload(GeneratedDocument.created_by))
    if before is not None:
        statement = statement.where(GeneratedDocument.id < before)
    return list(db.session.execute(statement.order_by(GeneratedDocument.id.desc()).limit(limit)).scalars())


def safe_file_name(name: str) -> str:
    """A file name fit for a download: no path, no control characters, at most 300 characters with its
    extension kept."""
    name = "".join(" " if unicodedata.category(c).startswith("C") else c for c in name)
    name = " ".join(name.replace("/", "-").replace("\\", "-").split()).strip(". -")
    if len(name) > _TEXT_LIMIT:
        suffix = PurePosixPath(name).suffix[:11]
        name = name[:_TEXT_LIMIT - len(suffix)] + suffix
    return name


def plain(value: Any) -> Any:
    """`value` as JSON data: dicts (string keys), lists, strings, numbers, booleans and None. Dates and times
    become ISO strings, Decimals exact strings ("12.50"), enums their value, translatable strings their text
    in the current language, an Image {"image_sha256", "width_mm"} (the bytes are not kept). Anything else is
    refused: a snapshot must be reproducible data, not objects."""
    if isinstance(value, Enum):
        return plain(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"not a JSON number: {value!r}")
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a JSON number: {value!r}")
        return str(value)
    if isinstance(value, LazyString | UUID):
        return str(value)
    if isinstance(value, Image):
        return {"image_sha256": hashlib.sha256(value.png).hexdigest(), "width_mm": value.width_mm}
    if isinstance(value, Mapping):
        return {str(plain(key)): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    raise TypeError(f"{type(value).__name__} is not plain data; convert it in the context builder")

