"""The languages AuditKit speaks, how a request's locale and time zone are chosen, and formatting
helpers for templates (Persian digits for Persian, right-to-left direction)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from flask import g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

LOCALES: dict[str, str] = {
    "en": "English",
    "fa": "فارسی",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
}
LOCALE_LABELS = {"en": _l("English"), "fa": _l("Persian"), "zh_Hans": _l("Chinese (Simplified)"),
                 "zh_Hant": _l("Chinese (Traditional)")}
RTL_LOCALES = frozenset({"fa"})
# Accept-Language tags mapped onto our locales (browsers send zh-CN, zh-TW, zh-Hant-HK...).
_ACCEPT = {"en": "en", "fa": "fa", "zh": "zh_Hans", "zh-cn": "zh_Hans", "zh-sg": "zh_Hans",
           "zh-hans": "zh_Hans", "zh-tw": "zh_Hant", "zh-hk": "zh_Hant", "zh-mo": "zh_Hant",
           "zh-hant": "zh_Hant"}


def _from_accept_language() -> str | None:
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        for candidate in (tag, "-".join(tag.split("-")[:2]), tag.split("-")[0]):
            if candidate in _ACCEPT:
                return _ACCEPT[candidate]
    return None


def select_locale() -> str:
    """The person's own choice, then their organisation's language, then the browser's, then English."""
    from flask_login import current_user

    if not has_request_context():  # CLI commands and background work speak the organisation's language
        organisation = g.get("organisation")
        return organisation.locale if organisation is not None else "en"
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    organisation = g.get("organisation")
    if organisation is not None:
        return organisation.locale
    return _from_accept_language() or "en"


def select_timezone() -> str:
    organisation = g.get("organisation")
    return organisation.timezone if organisation is not None else "UTC"


def text_direction() -> str:
    return "rtl" if str(get_locale()) in RTL_LOCALES else "ltr"


def html_lang() -> str:
    return str(get_locale()).replace("_", "-")


def pick(texts: dict[str, str] | None, locale: str | None = None) -> str:
    """The text in the reader's language, else English, else whatever language there is."""
    if not texts:
        return ""
    locale = locale or str(get_locale())
    return texts.get(locale) or texts.get("en") or next(iter(texts.values()))


def picked_language(texts: dict[str, str] | None, locale: str | None = None) -> str | None:
    """The language `pick` shows, so a page can mark text that is not in the reader's language."""
    if not texts:
        return None
    locale = locale or str(get_locale())
    return locale if locale in texts else ("en" if "en" in texts else next(iter(texts)))


def half_spaces(value):
    """Text written with "~" for the Persian half-space (ZWNJ, hard to type and to see in source), with every
    "~" made one: in a string, and in the strings of tuples, dicts and dataclasses, however nested."""
    if isinstance(value, str):
        return value.replace("~", "\u200c")
    if isinstance(value, tuple):
        return tuple(half_spaces(item) for item in value)
    if isinstance(value, dict):
        return {key: half_spaces(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: half_spaces(getattr(value, f.name)) for f in fields(value)})
    return value
