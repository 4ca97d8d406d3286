"""Maturity scales. An assessment stores its scale with itself — each level's value, name and definition in
every language AuditKit speaks — so its answers, scores and reports read the same however the default
changes later. The default 0–4 scale's words are translated through the message catalogs and frozen into
the assessment when it is created. Levels are the whole numbers 0, 1, 2… in order."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from auditkit.core.i18n import pick

LANGUAGES = ("en", "fa", "zh_Hans", "zh_Hant")

DEFAULT_LEVELS = (
    (_l("Not in place"),
     _l("Nothing is done, or it is done by chance by whoever happens to be there; nothing is written down.")),
    (_l("Initial"),
     _l("Some people do it some of the time; the practice depends on individuals and is barely documented.")),
    (_l("Partly in place"),
     _l("A defined practice exists and is followed in part of the organisation or part of the time; records "
        "are incomplete.")),
    (_l("Largely in place"),
     _l("The practice is defined, followed across the scope and recorded; small gaps remain and its results "
        "are not yet reviewed.")),
    (_l("Fully in place and reviewed"),
     _l("The practice is followed everywhere in scope, its records are complete, and its results are "
        "reviewed and used to improve it.")),
)


def default_scale() -> list[dict[str, Any]]:
    """The default 0–4 scale in every language, as stored with an assessment."""
    levels = []
    for value, (name, definition) in enumerate(DEFAULT_LEVELS):
        label, text = {}, {}
        for language in LANGUAGES:
            with force_locale(language):
                label[language], text[language] = str(name), str(definition)
        levels.append({"value": value, "label": label, "definition": text})
    return levels


def maximum(levels: list[dict[str, Any]]) -> int:
    return len(levels) - 1


def level_name(levels: list[dict[str, Any]], value: int | None, locale: str | None = None) -> str:
    if value is None or not 0 <= value < len(levels):
        return ""
    return pick(levels[value]["label"], locale)
