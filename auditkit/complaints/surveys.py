"""Sending the satisfaction survey (8.3) to a complainant once a complaint closes: by mail when mail is on
and they gave an email. A failing mail server is logged, never an error for the person closing."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping

from flask_babel import gettext as _

from auditkit.complaints.models import Complaint
from auditkit.core import mail

log = logging.getLogger(__name__)


def send_survey(complaint: Complaint, link: str, *, config: Mapping) -> bool:
    """True once a mail server accepted the survey mail; False when it was not sent."""
    if not complaint.email:
        return False
    text = _("Thank you for your patience with complaint %(reference)s. How did we handle it? Tell us here "
             "(one minute, five stars): %(link)s", reference=complaint.reference, link=link)
    try:
        return mail.send_mail(complaint.email, _("How did we handle your complaint %(reference)s?",
                                                 reference=complaint.reference), text, config=config)
    except (OSError, smtplib.SMTPException):
        log.exception("survey mail for %s failed", complaint.reference)
        return False
