"""The rules every imported row must pass, and the column mapping: intake's limits and messages, restated
per row without queries."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints.clock import due_at
from auditkit.complaints.intake import LIMITS
from auditkit.complaints.models import CHANNELS, Category
from auditkit.complaints.settings import settings_of
from auditkit.core.db import utcnow
from auditkit.core.i18n import LOCALES
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

FIELDS = ("external_id", "received_at", "channel", "complainant_name", "complainant_organisation", "email",
          "phone", "address", "postcode", "country", "representative", "preferred_language", "consent", "product",
          "category", "description", "remedy_wanted", "occurred_on")
# A checked row, in this order (then its year), as spooled between the passes and inserted.
ROW = ("external_id", "received_at", "channel", "complainant_name", "complainant_organisation", "email", "phone",
       "address", "postcode", "country", "representative", "preferred_language", "consent", "product",
       "category_id", "description", "remedy_wanted", "occurred_on")
# The columns written: a complaint's checked row then what the import sets; its receive event.
INSERTED = (*ROW, "id", "organisation_id", "reference", "status", "ack_due_at", "response_due_at", "created_at",
            "updated_at", "version", "escalation_level", "reopen_count")
EVENT = ("organisation_id", "complaint_id", "at", "actor_id", "actor_label", "kind", "to_status", "clause_key", "data")
TEXT_FIELDS = ("external_id", "complainant_name", "complainant_organisation", "phone", "address", "postcode",
               "country", "representative", "product", "description", "remedy_wanted")
EMAIL_MAX = 320
BATCH = 5000
MAX_PROBLEMS = 1000  # listed; all are counted
RECEIVE_CLAUSE = "iso10002:2018:7.2"

# Persian, Arabic-Indic and full-width digits (and full-width date punctuation) read as ASCII.
DIGITS = str.maketrans({**{chr(ord(zero) + i): str(i) for zero in "۰٠０" for i in range(10)},
                        "－": "-", "：": ":", "＋": "+"})
_AS_ROW = itemgetter(*ROW)
_TRANSLATED = frozenset({"received_at", "occurred_on", "phone", "postcode", "consent"})
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SEPARATORS = re.compile(r"[\s\-]+")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_YES = frozenset({"1", "true", "yes", "y", "x", "بله", "是"})
_NO = frozenset({"", "0", "false", "no", "n", "خیر", "否"})
_LANGUAGES = {code.lower().replace("_", "-"): code for code in LOCALES}
_CONTACT = ("email", "phone", "address")



@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the file or the mapping as a whole
    column: str | None  # the file's own column name
    field: str | None  # ours
    message: str



def _key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower())


def _validated_email(value: str, domain: bool = False) -> str | None:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.domain if domain else result.normalized


def default_mapping(header: list[str]) -> dict[int, str]:
    """Column index -> field, for the columns named like a field (the first of a name only)."""
    mapping: dict[int, str] = {}
    for index, name in enumerate(header):
        if _key(name) in FIELDS and _key(name) not in mapping.values():
            mapping[index] = _key(name)
    return mapping


def resolve_mapping(header: list[str], mapping: dict[Any, str | None] | None) -> tuple[dict[int, str], list[Problem]]:
    """The default mapping overridden by `mapping` ({their column name or index: our field, or "" to leave the
    column out}), and what is wrong with it."""
    columns, problems = default_mapping(header), []
    for key, target in (mapping or {}).items():
        indexes = ([key] if 0 <= key < len(header) else []) if isinstance(key, int) else [
            i for i, name in enumerate(header) if name == str(key).strip()]
        target = (target or "").strip()
        if not indexes:
            problems.append(Problem(None, str(key), None, _("The file has no column “%(column)s”.", column=key)))
        elif len(indexes) > 1:
            problems.append(Problem(None, str(key), None, _(
                "The file has more than one column “%(column)s”; rename one.", column=key)))
        elif target and target not in FIELDS:
            problems.append(Problem(None, str(key), target, _(
                "“%(field)s” is not a field that can be imported; use one of: %(fields)s.", field=target,
                fields=", ".join(FIELDS))))
        elif target:
            columns[indexes[0]] = target
        else:
            columns.pop(indexes[0], None)
    targets = Counter(columns.values())
    for name, count in targets.items():
        if count > 1:
            names = ", ".join(header[i] for i in sorted(columns) if columns[i] == name)
            problems.append(Problem(None, names, name, _("Several columns are mapped to %(field)s; keep one.",
                                                         field=name)))
    for required in ("received_at", "description"):
        if required not in targets:
            problems.append(Problem(None, None, required, _(
                "No column is mapped to %(field)s, which every complaint needs.", field=required)))
    if not targets.keys() & set(_CONTACT):
        problems.append(Problem(None, None, "email", _(
            "No column is mapped to email, phone or address: every complaint needs a way to reach the "
            "complainant.")))
    return columns, problems


class RowRules:
    """Checks one row against intake's rules; holds what every row shares (the category tree, the time zone,
    the calendar's due days)."""

    def __init__(self, organisation: Organisation, header: list[str], columns: dict[int, str]):
        self.settings = settings_of(organisation)
        self.zone = ZoneInfo(organisation.timezone)
        self.latest = utcnow() + timedelta(minutes=5)
        self.columns = sorted(columns.items())
        self.column_of = {f: header[i] for i, f in columns.items()}
        self.width = len(header)
        self.translated = [f for f in _TRANSLATED if f in self.column_of]
        self.external_index = next((i for i, f in columns.items() if f == "external_id"), None)
        self.codes: dict[str, int] = {}
        self.names: dict[str, int | None] = {}  # None: several categories have the name
        for ident, code, name in db.session.execute(select(Category.id, Category.code, Category.name).where(
                Category.organisation_id == organisation.id, Category.active.is_(True))):
            self.codes[code.lower()] = ident
            self.names[name] = None if name in self.names else ident
        self._domains: dict[str, str | None] = {}
        self._due_days: dict[tuple[date, str], date] = {}

    def email(self, value: str) -> str | None:
        """validate_email's normalised address, or None. An ASCII dot-atom local part (what nearly every address
        has) needs no checking beyond its length, and the domain is validated once per domain."""
        local, at, domain = value.rpartition("@")
        if at and len(local) <= 64 and _DOT_ATOM.fullmatch(local):
            if domain not in self._domains:
                if len(self._domains) > 100_000:
                    self._domains.clear()
                self._domains[domain] = _validated_email(f"a@{domain}", domain=True)
            if self._domains[domain] is None:
                return None
            address = f"{local}@{self._domains[domain]}"
            if len(address) <= 254:
                return address
        return _validated_email(value)

    def due(self, received: datetime, step: str) -> datetime:
        """clock.due_at, with the working day looked up once per local date (it depends on nothing else)."""
        duration = self.settings.target(None, step)
        if duration.unit != "business_days":
            return due_at(received, duration, self.settings.calendar)
        local = received.astimezone(self.zone)
        day = self._due_days.get((local.date(), step))
        if day is None:
            noon = datetime.combine(local.date(), time(12), self.zone)
            day = due_at(noon, duration, self.settings.calendar).astimezone(self.zone).date()
            self._due_days[(local.date(), step)] = day
        return datetime.combine(day, local.time(), self.zone).astimezone(UTC)

    def check(self, values: list[str]) -> tuple[tuple | None, list[tuple[str | None, str]]]:
        """The row as a ROW tuple plus its year, or None and its problems as (field, message)."""
        count = len(values)
        raw = {f: values[i] if i < count else "" for i, f in self.columns}
        errors: list[tuple[str | None, str]] = []
        if count > self.width and any(v.strip() for v in values[self.width:]):
            errors.append((None, _("This row has %(values)d values for %(columns)d columns: a value holding the "
                                   "separator needs quotes.", values=count, columns=self.width)))
        for name in self.translated:
            if not raw[name].isascii():
                raw[name] = raw[name].translate(DIGITS)
        out: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = raw.get(name, "").strip()
            if len(value) > LIMITS[name]:
                errors.append((name, _("Use at most %(count)d characters.", count=LIMITS[name])))
            out[name] = value or None
        if not out["description"]:
            errors.append(("description", _("Describe the problem.")))
        email = raw.get("email", "").strip()
        out["email"] = (self.email(email) if len(email) <= EMAIL_MAX else None) if email else None
        if email and out["email"] is None:
            errors.append(("email", _("Enter a valid email address.")))
        elif not (email or out["phone"] or out["address"]):
            errors.append(("email", _("Give at least one way to reach the complainant: email, phone or postal "
                                      "address.")))
        out["channel"] = _key(raw.get("channel", "")) or "other"
        if out["channel"] not in CHANNELS:
            errors.append(("channel", _("Use one of: %(values)s.", values=", ".join(CHANNELS))))
        language = raw.get("preferred_language", "").strip()
        out["preferred_language"] = _LANGUAGES.get(language.lower().replace("_", "-")) if language else None
        if language and out["preferred_language"] is None:
            errors.append(("preferred_language", _("Use one of: %(values)s.", values=", ".join(LOCALES))))
        consent = raw.get("consent", "").strip().lower()
        out["consent"] = consent in _YES
        if consent not in _YES and consent not in _NO:
            errors.append(("consent", _("Write yes or no.")))
        category = raw.get("category", "").strip()
        out["category_id"] = (self.codes.get(category.lower()) or self.names.get(category)) if category else None
        if category and out["category_id"] is None:
            errors.append(("category", _("Several categories have this name; give the category's code.")
                           if category in self.names else
                           _("“%(value)s” is neither the code nor the name of one of the organisation's categories.",
                             value=category)))
        received = self._received(raw.get("received_at", "").strip(), errors)
        out["received_at"] = received
        out["occurred_on"] = self._occurred(raw.get("occurred_on", "").strip(), received, errors)
        if errors:
            return None, errors
        return (*_AS_ROW(out), received.astimezone(self.zone).year), errors

    def _received(self, text: str, errors: list) -> datetime | None:
        if not text:
            errors.append(("received_at", _("Give the date and time the complaint was received.")))
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            errors.append(("received_at", _("Write the date and time in ISO 8601, such as 2026-03-01T14:30 or "
                                            "2026-03-01T14:30:00+03:30.")))
            return None
        if value.year < 1900:
            errors.append(("received_at", _("The year %(year)d looks like a Solar Hijri (Jalali) year: give "
                                            "Gregorian dates.", year=value.year)))
            return None
        value = (value if value.tzinfo else value.replace(tzinfo=self.zone)).astimezone(UTC)
        if value > self.latest:
            errors.append(("received_at", _("The time received cannot be in the future.")))
        return value

    def _occurred(self, text: str, received: datetime | None, errors: list) -> date | None:
        if not text:
            return None
        try:
            if not _DAY.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            errors.append(("occurred_on", _("Write the date as YYYY-MM-DD, such as 2026-03-01.")))
            return None
        if received is not None and value > received.astimezone(self.zone).date():
            errors.append(("occurred_on", _("The problem cannot have occurred after the complaint was received.")))
        return value
