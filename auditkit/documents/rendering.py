"""Filling a Word template with a feature's context: `render(template_name, context, ...) -> bytes`.

A template is found in `instance/templates/<organisation>/<name>`, then `instance/templates/<name>`, then the
shipped `templates/<name>`, so a deployment brands one client's documents, or all of them, without touching
code. Names are fixed strings chosen by code (a lower-case file name ending in .docx, checked here): never a
path a user typed. The context is plain data (a feature's `documents.py` builds it: no ORM objects); an
`Image` anywhere in it becomes a picture. Everything else is escaped, so text a user typed stays text.
Jinja runs sandboxed, as a template may come from a deployment's folder. Persian and Chinese documents are
then set up for their script (scripts.py).

Refused: a malformed template or organisation name (ValueError), a locale AuditKit does not speak
(ValueError), a template found nowhere (TemplateMissing).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from docx import Document
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from flask import current_app
from flask_babel import gettext as _
from jinja2.sandbox import SandboxedEnvironment

from auditkit.core.errors import DomainError
from auditkit.core.resources import data_dir
from auditkit.documents import scripts

log = logging.getLogger(__name__)

TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}\.docx")
ORGANISATION_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class TemplateMissing(DomainError):
    """No folder holds the template: a deployment error, logged with the folders searched."""

    status, code = 500, "template_missing"

    def __init__(self, name: str, searched: list[Path]):
        self.name, self.searched = name, searched
        super().__init__(_("The document template %(name)s was not found.", name=name))

    def __str__(self) -> str:
        return f"document template {self.name!r} not found in {', '.join(str(p.parent) for p in self.searched)}"


@dataclass(frozen=True)
class Image:
    """A picture in a context (a chart's PNG, a logo), drawn `width_mm` wide with its own proportions."""

    png: bytes
    width_mm: float = 160


def template_path(template_name: str, organisation_slug: str | None = None) -> Path:
    """The file that serves `template_name` for the organisation: its own, the deployment's, or the shipped one."""
    if not TEMPLATE_NAME.fullmatch(template_name):
        raise ValueError(f"not a template name: {template_name!r}")
    if organisation_slug is not None and not ORGANISATION_SLUG.fullmatch(organisation_slug):
        raise ValueError(f"not an organisation slug: {organisation_slug!r}")
    overrides = Path(current_app.instance_path) / "templates"
    searched = [overrides / organisation_slug / template_name] if organisation_slug else []
    searched += [overrides / template_name, data_dir("templates") / template_name]
    for candidate in searched:
        if candidate.is_file():
            return candidate
    error = TemplateMissing(template_name, searched)
    log.error("%s", error)
    raise error


def render(template_name: str, context: dict[str, Any], *, organisation_slug: str | None = None,
           locale: str = "en") -> bytes:
    """The filled template as .docx bytes, set up for `locale`'s script."""
    if locale not in scripts.SCRIPTS:
        raise ValueError(f"no document settings for locale {locale!r}")
    template = DocxTemplate(template_path(template_name, organisation_slug))
    template.render(_with_pictures(context, template), jinja_env=SandboxedEnvironment(), autoescape=True)
    filled = BytesIO()
    template.save(filled)
    if scripts.SCRIPTS[locale] == scripts.Script():
        return filled.getvalue()
    # Reloaded rather than changed in place: docxtpl swaps the header and footer parts while rendering.
    document = Document(BytesIO(filled.getvalue()))
    scripts.apply(document, locale)
    result = BytesIO()
    document.save(result)
    return result.getvalue()


def _with_pictures(value: Any, template: DocxTemplate) -> Any:
    """A copy of the context with every Image made a picture of this template; the caller's stays as it was."""
    if isinstance(value, Image):
        return InlineImage(template, BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {key: _with_pictures(item, template) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_with_pictures(item, template) for item in value]
    return value
