"""The rules every imported row must pass, and the column mapping: intake's limits and messages, restated
per row without queries. A value that starts with an apostrophe before =, +, - or @ (how an export keeps a
spreadsheet from running it: exporting.neutralise) is read without that apostrophe."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import gt, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints.clock import due_at
from auditkit.complaints.intake import DIGITS, FIRST_YEAR, LIMITS, jalali_year
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
TEXT_FIELDS = ("external_id", "complainant_name", "complainant_organisation", "phone", "address", "postcode",
               "country", "representative", "product", "description", "remedy_wanted")
EMAIL_MAX = 320
BATCH = 5000
MAX_PROBLEMS = 1000  # listed; all are counted
RECEIVE_CLAUSE = "iso10002:2018:7.2"

_TEXT_LIMITS = tuple(LIMITS[name] for name in TEXT_FIELDS)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SEPARATORS = re.compile(r"[\s\-]+")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_YES = frozenset({"1", "true", "yes", "y", "x", "بله", "是"})
_NO = frozenset({"", "0", "false", "no", "n", "خیر", "否"})
_LANGUAGES = {code.lower().replace("_", "-"): code for code in LOCALES}
_CONTACT = ("email", "phone", "address")
# How a text a spreadsheet would run as a formula starts once an export has neutralised it (an apostrophe,
# then =, +, - or @: exporting.neutralise); the apostrophe is taken off, so an export imports as it was.
_QUOTED = frozenset({"'=", "'+", "'-", "'@"})



@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the file or the mapping as a whole
    column: str | None  # the file's own column name
    field: str | None  # ours
    message: str



def unquoted(value: str) -> str:
    """The value without the apostrophe an export put before a formula character (exporting.neutralise)."""
    return value[1:] if value[:2] in _QUOTED else value


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
    the calendar's due days) and what rows repeat (channels and email addresses as written, checked once)."""

    def __init__(self, organisation: Organisation, header: list[str], columns: dict[int, str]):
        self.settings = settings_of(organisation)
        self.zone = ZoneInfo(organisation.timezone)
        self.latest = utcnow() + timedelta(minutes=5)
        self.columns = sorted(columns.items())
        self.column_of = {f: header[i] for i, f in columns.items()}
        self.width = len(header)
        self.external_index = next((i for i, f in columns.items() if f == "external_id"), None)
        # What check reads of a row padded with "" to one past its width: each field's column, or that "".
        self._fields = itemgetter(*(next((i for i, f in columns.items() if f == name), self.width) for name in FIELDS))
        self._padding = [""] * (self.width + 1)
        self._channels: dict[str, str] = {}  # a channel as written -> ours
        self._addresses: dict[str, str | None] = {}  # an email address as written -> self.email's answer
        self.codes: dict[str, int] = {}
        self.names: dict[str, int | None] = {}  # None: several categories have the name
        for ident, code, name in db.session.execute(select(Category.id, Category.code, Category.name).where(
                Category.organisation_id == organisation.id, Category.active.is_(True))):
            self.codes[code.lower()] = ident
            self.names[name] = None if name in self.names else ident
        self._domains: dict[str, str | None] = {}
        self._by_step: dict[str, dict[date, date]] = {"acknowledge": {}, "respond": {}}  # received day -> due day
        self._utc = organisation.timezone in ("UTC", "Etc/UTC")
        self._shifts: dict[str, dict[date, timedelta]] = {}
        # Per step: its duration as a timedelta if it is counted in hours, else None and the step's name.
        targets = ((step, self.settings.target(None, step)) for step in ("acknowledge", "respond"))
        self._steps = [(timedelta(hours=d.value), None) if d.unit == "hours" else (None, step) for step, d in targets]

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
        return datetime.combine(self._due_day(local.date(), step), local.time(), self.zone).astimezone(UTC)

    def due_columns(self, received: Sequence[datetime]) -> tuple[list[datetime], list[datetime]]:
        """`due` of each received time, for acknowledging and for responding; the local times worked out once.
        In UTC, whose offset never changes, the due time is the received time moved by whole days."""
        local = received if self._utc else [at.astimezone(self.zone) for at in received]
        days, times, zone, columns = list(map(datetime.date, local)), None, self.zone, []
        for hours, step in self._steps:
            if step is None:
                columns.append([at + hours for at in received])
                continue
            if self._utc:
                shifts = self._shifts.setdefault(step, {})  # received day -> its due day less that day
                columns.append([at + (shifts.get(day) or self._shift(day, step))
                                for at, day in zip(received, days, strict=True)])
            else:
                known = self._by_step[step]
                due = [known.get(day) or self._due_day(day, step) for day in days]
                times = times or list(map(datetime.time, local))
                columns.append([datetime.combine(to, at, zone).astimezone(UTC)
                                for to, at in zip(due, times, strict=True)])
        return columns[0], columns[1]

    def _shift(self, day: date, step: str) -> timedelta:
        """How long after a time received on the UTC date `day` a step is due, in UTC: whole days."""
        self._shifts[step][day] = self._due_day(day, step) - day
        return self._shifts[step][day]

    def _due_day(self, day: date, step: str) -> date:
        """The local date a step is due for a complaint received on the local date `day`: the same for any time
        of that day, so it is worked out at noon, once."""
        known = self._by_step.setdefault(step, {})
        if day not in known:
            noon = datetime.combine(day, time(12), self.zone)
            known[day] = due_at(noon, self.settings.target(None, step), self.settings.calendar).astimezone(
                self.zone).date()
        return known[day]

    def check(self, values: list[str]) -> tuple[tuple | None, list[tuple[str | None, str]]]:
        """The row as a ROW tuple plus its year, or None and its problems as (field, message)."""
        count, width = len(values), self.width
        errors: list[tuple[str | None, str]] = []
        if count > width and any(v.strip() for v in values[width:]):
            errors.append((None, _("This row has %(values)d values for %(columns)d columns: a value holding the "
                                   "separator needs quotes.", values=count, columns=width)))
        # Every field in FIELDS order, stripped: "" if no column is mapped to it or the row stops short.
        fields = map(str.strip, self._fields([*values, *self._padding[count:]] if count <= width
                                             else [*values[:width], ""]))
        if "'" in "".join(values):  # an apostrophe in the row: only then is each value looked at
            fields = list(map(unquoted, fields))
        (external_id, received_at, channel, name, organisation, email, phone, address, postcode, country,
         representative, language, consent, product, category, description, remedy, occurred) = fields
        # Persian, Arabic-Indic and full-width digits read as ASCII where digits are expected.
        if not received_at.isascii():
            received_at = received_at.translate(DIGITS)
        if not occurred.isascii():
            occurred = occurred.translate(DIGITS)
        if not phone.isascii():
            phone = phone.translate(DIGITS)
        if not postcode.isascii():
            postcode = postcode.translate(DIGITS)
        if not consent.isascii():
            consent = consent.translate(DIGITS)
        texts = (external_id, name, organisation, phone, address, postcode, country, representative, product,
                 description, remedy)  # TEXT_FIELDS
        if any(map(gt, map(len, texts), _TEXT_LIMITS)):
            for field_name, value in zip(TEXT_FIELDS, texts, strict=True):
                if len(value) > LIMITS[field_name]:
                    errors.append((field_name, _("Use at most %(count)d characters.", count=LIMITS[field_name])))
        if not description:
            errors.append(("description", _("Describe the problem.")))
        if email:
            address_out = self._addresses.get(email, "")  # "": not seen yet (None: seen, and not valid)
            if address_out == "":
                if len(self._addresses) > 100_000:
                    self._addresses.clear()
                address_out = self._addresses[email] = self.email(email) if len(email) <= EMAIL_MAX else None
            if address_out is None:
                errors.append(("email", _("Enter a valid email address.")))
        else:
            address_out = None
            if not (phone or address):
                errors.append(("email", _("Give at least one way to reach the complainant: email, phone or "
                                          "postal address.")))
        channel_out = self._channels.get(channel)
        if channel_out is None:
            if len(self._channels) > 1000:
                self._channels.clear()
            channel_out = self._channels[channel] = _key(channel) or "other"
        if channel_out not in CHANNELS:
            errors.append(("channel", _("Use one of: %(values)s.", values=", ".join(CHANNELS))))
        language_out = _LANGUAGES.get(language.lower().replace("_", "-")) if language else None
        if language and language_out is None:
            errors.append(("preferred_language", _("Use one of: %(values)s.", values=", ".join(LOCALES))))
        consent = consent.lower()
        if consent not in _YES and consent not in _NO:
            errors.append(("consent", _("Write yes or no.")))
        category_id = (self.codes.get(category.lower()) or self.names.get(category)) if category else None
        if category and category_id is None:
            errors.append(("category", _("Several categories have this name; give the category's code.")
                           if category in self.names else
                           _("“%(value)s” is neither the code nor the name of one of the organisation's categories.",
                             value=category)))
        received = self._received(received_at, errors)
        occurred_on = self._occurred(occurred, received, errors) if occurred else None
        if errors:
            return None, errors
        return (external_id or None, received, channel_out, name or None, organisation or None, address_out,
                phone or None, address or None, postcode or None, country or None, representative or None,
                language_out, consent in _YES, product or None, category_id, description or None, remedy or None,
                occurred_on, received.year if self._utc else received.astimezone(self.zone).year), errors

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
        if value.year < FIRST_YEAR:
            errors.append(("received_at", jalali_year(value.year)))
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
        if value.year < FIRST_YEAR:
            errors.append(("occurred_on", jalali_year(value.year)))
            return None
        if received is not None and value > received.astimezone(self.zone).date():
            errors.append(("occurred_on", _("The problem cannot have occurred after the complaint was received.")))
        return value
