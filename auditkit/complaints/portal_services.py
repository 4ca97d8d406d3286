"""The rules of an organisation's public complaint portal, where complainants need no account: sending a
complaint with its attachments (7.2), the throttle per client address, looking up a complaint's status with
its reference and tracking code (7.3), the satisfaction survey after closure (8.3), and the acknowledgement
sent by email (7.4).

Refuses: a complaint without consent to use the data, without any way to reach the complainant, or with any
refused attachment (then no file is stored); more posts of the complaint form (whatever became of them) or
look-ups from one address within the window than the throttle allows (the caller answers 429); a look-up whose
reference and tracking code do not belong together (one answer, whether the reference exists or not); an
unknown survey link, a survey answered before, a rating outside 1 to 5. References and tracking codes are
read in whatever digits they were typed (intake.as_typed).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from auditkit.complaints import attachments
from auditkit.complaints.intake import NewComplaint, as_typed, hash_code, receive_complaint
from auditkit.complaints.lifecycle import acknowledge_complaint
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment, PortalSubmission
from auditkit.complaints.states import Status
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, NotFound, ValidationFailed
from auditkit.core.mail import send_mail
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

log = logging.getLogger(__name__)

PORTAL_LABEL = "portal"  # the actor of everything done through the portal, in events and the audit trail
KEEP_USES = timedelta(days=1)
COMMENT_MAX = 5000

# What each state means to the complainant, in plain words.
STEP_TEXTS = {
    Status.RECEIVED: _l("We have received your complaint. We will confirm to you that we are handling it."),
    Status.ACKNOWLEDGED: _l("We have confirmed that we are handling your complaint and are looking at it."),
    Status.ASSESSED: _l("We have looked at how serious your complaint is and are working on it."),
    Status.UNDER_INVESTIGATION: _l("We are finding out what happened."),
    Status.RESPONSE_DECIDED: _l("We have decided how to answer your complaint and will tell you soon."),
    Status.DECISION_COMMUNICATED: _l("We have told you our decision. Please let us know whether you accept it."),
    Status.REFERRED_EXTERNAL: _l("Your complaint has been passed to an independent dispute-resolution service."),
    Status.CLOSED: _l("Your complaint is closed."),
    Status.WITHDRAWN: _l("You withdrew your complaint. It is closed."),
    Status.REJECTED: _l("We could not handle this complaint. We have told you why and where you can turn instead."),
}


@dataclass(frozen=True)
class Throttle:
    complaints: int = 5  # posts of the complaint form per client address and organisation within the window
    lookups: int = 20  # status look-ups likewise
    window: timedelta = timedelta(minutes=10)

    def limit(self, kind: str) -> int:
        return self.complaints if kind == "complaint" else self.lookups


@dataclass(frozen=True)
class TrackedComplaint:
    """What a complainant may see of their complaint: its state and dates, nothing else."""

    reference: str
    status: Status
    received_at: datetime
    acknowledged_at: datetime | None
    communicated_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None

    @property
    def step_text(self) -> str:
        return str(STEP_TEXTS[self.status])

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.WITHDRAWN, Status.REJECTED)


def organisation_by_slug(slug: str) -> Organisation | None:
    return db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()


def client_key(address: str | None, secret: str) -> str:
    """A keyed hash of the client's address: stable for the throttle, not reversible to the address."""
    return hmac.new(secret.encode(), (address or "unknown").encode(), hashlib.sha256).hexdigest()


def wait_seconds(organisation: Organisation, kind: str, client: str, throttle: Throttle) -> int | None:
    """None while this client may go on; else the seconds until its oldest use in the window expires."""
    now = utcnow()
    count, oldest = db.session.execute(
        select(func.count(PortalSubmission.id), func.min(PortalSubmission.at)).where(
            PortalSubmission.organisation_id == organisation.id, PortalSubmission.kind == kind,
            PortalSubmission.client == client, PortalSubmission.at > now - throttle.window)).one()
    if count < throttle.limit(kind):
        return None
    if oldest is None:  # a limit of 0: the portal is closed for this use
        return math.ceil(throttle.window.total_seconds())
    return max(1, math.ceil((oldest + throttle.window - now).total_seconds()))


def admit(organisation: Organisation, kind: str, client: str, throttle: Throttle) -> int | None:
    """Count one use by this client and None; or, when it is over the limit, the seconds to wait (the use
    refused is not counted, so a client that keeps trying is let in again as its earlier uses expire)."""
    if seconds := wait_seconds(organisation, kind, client, throttle):
        return seconds
    record_use(organisation, kind, client)
    return None


def record_use(organisation: Organisation, kind: str, client: str) -> None:
    now = utcnow()
    db.session.execute(delete(PortalSubmission).where(PortalSubmission.organisation_id == organisation.id,
                                                      PortalSubmission.at < now - KEEP_USES))
    db.session.add(PortalSubmission(organisation_id=organisation.id, kind=kind, client=client, at=now))
    db.session.flush()


def submit_complaint(organisation: Organisation, data: NewComplaint, uploads: list[attachments.Upload], *,
                     written: list[str], limits: attachments.Limits = attachments.DEFAULT_LIMITS,
                     refused: dict[str, list[str]] | None = None
                     ) -> tuple[Complaint, str, list[ComplaintAttachment]]:
    """Record a complaint sent through the portal with its files; returns it, its tracking code and its
    attachments. Every refusal of every field comes in one ValidationFailed, with `refused` (what the form
    could not even read, such as a date) among them; the complaint may have been flushed by then, so the
    caller rolls back, as after any refusal. Files are written only once everything validated, and their
    keys go into `written` (see attachments.removed_on_error). The throttle counted the post before (`admit`,
    committed on its own, as the post counts whether or not the complaint is recorded)."""
    data.channel = "web_form"
    errors: dict[str, list[str]] = dict(refused or {})
    if not data.consent:
        errors["consent"] = [_("Tick the box to agree that we use your details to handle your complaint. "
                               "Without it we cannot take the complaint.")]
    if not (data.email.strip() or data.phone.strip() or data.address.strip()):
        errors["email"] = [_("Give us at least one way to reach you: email, phone or postal address.")]
    files, problems = attachments.check_uploads(uploads, limits)
    if problems:
        errors["attachments"] = problems
    try:
        complaint, code = receive_complaint(organisation, data, actor_id=None, actor_label=PORTAL_LABEL)
    except ValidationFailed as failed:
        raise ValidationFailed({**failed.fields, **errors}) from None  # ours are worded for the complainant
    if errors:
        raise ValidationFailed(errors)
    rows = [ComplaintAttachment(organisation_id=organisation.id, complaint_id=complaint.id, storage_key=f.key,
                                filename=f.filename, media_type=f.media_type, size=f.size, sha256=f.sha256)
            for f in attachments.save_files(files, written)]
    db.session.add_all(rows)
    db.session.add_all(ComplaintEvent(
        organisation_id=organisation.id, complaint_id=complaint.id, at=complaint.received_at, actor_id=None,
        actor_label=PORTAL_LABEL, kind="attachment", clause_key="iso10002:2018:7.2",
        data={"filename": row.filename, "size": row.size}) for row in rows)
    db.session.flush()
    return complaint, code, rows


def submitted_complaint(organisation: Organisation, complaint_id: int | None
                        ) -> tuple[Complaint, list[str]] | None:
    """A complaint of this organisation just sent through the portal, with its files' names (the receipt)."""
    complaint = db.session.execute(select(Complaint).where(
        Complaint.organisation_id == organisation.id, Complaint.id == complaint_id)).scalar_one_or_none()
    if complaint is None:
        return None
    files = db.session.execute(select(ComplaintAttachment.filename).where(
        ComplaintAttachment.complaint_id == complaint.id).order_by(ComplaintAttachment.id)).scalars().all()
    return complaint, list(files)


def track_complaint(organisation: Organisation, reference: str, code: str, *,
                    client: str) -> TrackedComplaint | None:
    """The complaint's state and dates when reference and tracking code belong together, else None. Every
    look-up counts towards the throttle, found or not. Both may come in Persian, Arabic-Indic or full-width
    digits; the reference also as stored (a pattern of the organisation's own may hold any character)."""
    record_use(organisation, "track", client)
    typed, code_hash = as_typed(reference), hash_code(code)
    if not typed or not as_typed(code):
        return None
    references = {reference.strip(), reference.strip().upper(), typed, typed.upper()}
    rows = db.session.execute(
        select(Complaint.reference, Complaint.status, Complaint.received_at, Complaint.acknowledged_at,
               Complaint.communicated_at, Complaint.closed_at, Complaint.response_due_at,
               Complaint.tracking_code_hash)
        .where(Complaint.organisation_id == organisation.id,
               Complaint.reference.in_(references))).all()  # more than one only where references differ in case
    row = next((r for r in rows if hmac.compare_digest(r.tracking_code_hash or "", code_hash)), None)
    if row is None:
        return None
    return TrackedComplaint(reference=row.reference, status=Status(row.status), received_at=row.received_at,
                            acknowledged_at=row.acknowledged_at, communicated_at=row.communicated_at,
                            closed_at=row.closed_at, response_due_at=row.response_due_at)


def survey_complaint(organisation: Organisation, token: str, *, for_update: bool = False) -> Complaint:
    """The complaint whose satisfaction survey this link opens; NotFound for any other link."""
    query = select(Complaint).where(Complaint.organisation_id == organisation.id,
                                    Complaint.survey_token_hash == hash_code(token))
    complaint = db.session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if complaint is None or not token.strip():
        raise NotFound(_("This survey link is not valid. Check that you copied the whole link."))
    return complaint


def answer_survey(organisation: Organisation, token: str, *, rating: int | None, comment: str) -> Complaint:
    """Record the complainant's satisfaction with the handling (8.3), once. Refuses a second answer
    (Conflict), an unknown link (NotFound), a rating outside 1 to 5 and an over-long comment."""
    complaint = survey_complaint(organisation, token, for_update=True)
    if complaint.survey_answered_at is not None:
        raise Conflict(_("This survey has already been answered. Thank you for your answer."))
    errors = {}
    if rating not in range(1, 6):
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("Use at most %(count)d characters.", count=COMMENT_MAX)]
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    complaint.satisfaction_rating, complaint.satisfaction_comment = rating, comment or None
    complaint.survey_answered_at = now
    db.session.add(ComplaintEvent(
        organisation_id=organisation.id, complaint_id=complaint.id, at=now, actor_id=None, actor_label=PORTAL_LABEL,
        kind="survey", clause_key="iso10002:2018:8.3", data={"rating": rating}))
    db.session.flush()
    return complaint


def local_time(value: datetime | None, organisation: Organisation, *, date_only: bool = False) -> str:
    """A moment as the organisation's clock and calendar show it, in the current language."""
    if value is None:
        return ""
    zone = ZoneInfo(organisation.timezone)
    if date_only:
        return format_date(value.astimezone(zone).date(), "long", locale=get_locale())
    return format_datetime(value, "medium", tzinfo=zone, locale=get_locale())


def acknowledgement_message(organisation: Organisation, complaint: Complaint, code: str,
                            track_url: str) -> tuple[str, str]:
    """The subject and text of the acknowledgement, in the current language."""
    subject = _("We received your complaint %(reference)s", reference=complaint.reference)
    lines = [
        _("Thank you for telling %(organisation)s about your problem. We have received your complaint.",
          organisation=organisation.name),
        "",
        _("Your reference: %(reference)s", reference=complaint.reference),
        _("Your tracking code: %(code)s", code=code),
        "",
        _("Keep them: with both you can see how your complaint is progressing at %(url)s", url=track_url),
    ]
    if complaint.response_due_at is not None:
        lines += ["", _("We aim to answer you by %(date)s.",
                        date=local_time(complaint.response_due_at, organisation, date_only=True))]
    lines += ["", _("This message was sent automatically; you do not need to reply to it."), "",
              organisation.name]
    return subject, "\n".join(lines) + "\n"


def send_acknowledgement(organisation: Organisation, complaint: Complaint, code: str, track_url: str, *,
                         config: Mapping) -> bool:
    """Email the acknowledgement to the complainant, in their preferred language, when they gave an address
    and mail is configured, and record it as the complaint's acknowledgement (7.4: by email, the portal
    acting), so that it is not left due. The complaint is recorded already: a failure is logged, never raised,
    and leaves the acknowledgement to the handlers."""
    if not complaint.email:
        return False
    with force_locale(complaint.preferred_language or str(get_locale())):
        subject, text = acknowledgement_message(organisation, complaint, code, track_url)
    try:
        sent = send_mail(complaint.email, subject, text, config=config)
    except (OSError, smtplib.SMTPException):
        log.exception("acknowledgement of complaint %s (organisation %s) could not be sent",
                      complaint.reference, organisation.slug)
        return False
    if sent:
        acknowledge_complaint(Actor(None, organisation.id, Role.HANDLER, PORTAL_LABEL), complaint,
                              version=complaint.version, method="email")
    return sent
