"""Receiving a complaint (7.2): validate what the complainant or handler gave, number it, start its clock
and give the complainant a tracking code. Idempotent on external id (imports and API retries).

Refuses: no description; no way to reach the complainant (neither email, phone nor address) unless they
chose to stay anonymous on a channel that allows it; an unknown channel or category; a received time in
the future; text fields over their length; a received or occurred-on date before 1900 (a Solar Hijri year
typed as a Gregorian one).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints import references
from auditkit.complaints.clock import due_at
from auditkit.complaints.models import CHANNELS, Category, Complaint, ComplaintEvent
from auditkit.complaints.settings import settings_of
from auditkit.complaints.states import Status
from auditkit.core.db import utcnow
from auditkit.core.errors import ValidationFailed
from auditkit.core.i18n import LOCALES
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

LIMITS = {"complainant_name": 200, "complainant_organisation": 200, "phone": 50, "address": 500, "postcode": 20,
          "country": 60, "representative": 200, "product": 200, "description": 20000, "remedy_wanted": 5000,
          "external_id": 100}
# Persian, Arabic-Indic and full-width digits (and full-width date punctuation) read as ASCII: the one table of
# the portal's look-ups and dates, the tracking codes and the import.
DIGITS = str.maketrans({**{chr(ord(zero) + i): str(i) for zero in "۰٠０" for i in range(10)},
                        "－": "-", "：": ":", "＋": "+"})
# Dates before this year are refused: such a year is most likely a Solar Hijri (Jalali) one given where a
# Gregorian date belongs (1403 is 2024-25), which would otherwise be kept six centuries early.
FIRST_YEAR = 1900


@dataclass
class NewComplaint:
    description: str
    channel: str = "web_form"
    received_at: datetime | None = None
    complainant_name: str = ""
    complainant_organisation: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    country: str = ""
    representative: str = ""
    preferred_language: str = ""
    consent: bool = False
    product: str = ""
    category_id: int | None = None
    remedy_wanted: str = ""
    occurred_on: date | None = None
    external_id: str = ""


def as_typed(text: str) -> str:
    """A reference or code as someone typed or pasted it, in the characters it was issued in: full-width letters
    and punctuation (a Chinese input method's) and Persian, Arabic-Indic and full-width digits become ASCII,
    and the invisible direction marks and joiners that Persian and Arabic text carries are dropped."""
    text = unicodedata.normalize("NFKC", text).translate(DIGITS)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def hash_code(code: str) -> str:
    """The stored hash of a tracking code or survey token, whatever digits and case it was typed in."""
    return hashlib.sha256(as_typed(code).upper().encode()).hexdigest()


def jalali_year(year: int) -> str:
    """The refusal of a date in a year before FIRST_YEAR."""
    return _("The year %(year)d looks like a Solar Hijri (Jalali) year: give Gregorian dates.", year=year)


def _clean(data: NewComplaint, organisation: Organisation) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, limit in LIMITS.items():
        value = (getattr(data, field) or "").strip()
        setattr(data, field, value)
        if len(value) > limit:
            add(field, _("Use at most %(count)d characters.", count=limit))
    if not data.description:
        add("description", _("Describe the problem."))
    if data.email:
        try:
            data.email = validate_email(data.email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            add("email", _("Enter a valid email address."))
    if not (data.email or data.phone or data.address):
        add("email", _("Give at least one way to reach the complainant: email, phone or postal address."))
    if data.channel not in CHANNELS:
        add("channel", _("Choose one of the channels offered."))
    if data.preferred_language and data.preferred_language not in LOCALES:
        add("preferred_language", _("Choose one of the languages offered."))
    now = utcnow()
    if data.received_at is not None and data.received_at.year < FIRST_YEAR:
        add("received_at", jalali_year(data.received_at.year))
    elif data.received_at is not None and data.received_at > now + timedelta(minutes=5):
        add("received_at", _("The time received cannot be in the future."))
    if data.occurred_on is not None and data.occurred_on.year < FIRST_YEAR:
        add("occurred_on", jalali_year(data.occurred_on.year))
    elif data.occurred_on is not None and data.occurred_on > (data.received_at or now).date():
        add("occurred_on", _("The problem cannot have occurred after the complaint was received."))
    if data.category_id is not None and db.session.execute(select(Category.id).where(
            Category.id == data.category_id, Category.organisation_id == organisation.id,
            Category.active.is_(True))).first() is None:
        add("category_id", _("Choose one of the organisation's categories."))
    return errors


def receive_complaint(organisation: Organisation, data: NewComplaint, *, actor_id: int | None,
                      actor_label: str) -> tuple[Complaint, str | None]:
    """Record a complaint; returns it and its new tracking code (None when the external id already existed,
    in which case the existing complaint is returned unchanged)."""
    if data.external_id.strip():
        existing = db.session.execute(select(Complaint).where(
            Complaint.organisation_id == organisation.id, Complaint.external_id == data.external_id.strip())
        ).scalar_one_or_none()
        if existing is not None:
            return existing, None
    if errors := _clean(data, organisation):
        raise ValidationFailed(errors)
    settings = settings_of(organisation)
    received_at = data.received_at or utcnow()
    year = received_at.astimezone(settings.calendar_zone()).year
    seq = references.next_sequence(organisation.id, settings.pattern, year)
    tracking_code = secrets.token_hex(4).upper()
    complaint = Complaint(
        organisation_id=organisation.id, reference=references.format_reference(settings.pattern, year, seq),
        external_id=data.external_id or None, received_at=received_at, channel=data.channel,
        status=Status.RECEIVED.value,
        **{field: (getattr(data, field) or None) for field in (
            "complainant_name", "complainant_organisation", "email", "phone", "address", "postcode", "country",
            "representative", "preferred_language", "product", "remedy_wanted")},
        description=data.description, consent=data.consent, category_id=data.category_id,
        occurred_on=data.occurred_on, tracking_code_hash=hash_code(tracking_code),
        ack_due_at=due_at(received_at, settings.target(None, "acknowledge"), settings.calendar),
        response_due_at=due_at(received_at, settings.target(None, "respond"), settings.calendar))
    db.session.add(complaint)
    db.session.flush()
    db.session.add(ComplaintEvent(
        organisation_id=organisation.id, complaint_id=complaint.id, at=received_at, actor_id=actor_id,
        actor_label=actor_label, kind="receive", to_status=Status.RECEIVED.value,
        clause_key="iso10002:2018:7.2", data={"channel": data.channel}))
    db.session.flush()
    return complaint, tracking_code
