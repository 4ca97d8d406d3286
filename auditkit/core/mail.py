"""Sending a plain-text email through the configured SMTP server.

Configuration (app.config, from `AUDITKIT_SMTP_*` in the environment): SMTP_HOST (no host: mail is off),
SMTP_PORT (25), SMTP_USERNAME and SMTP_PASSWORD (log in when a user name is set), SMTP_STARTTLS (upgrade
the connection before logging in), SMTP_FROM (the sender address), SMTP_TIMEOUT (seconds, 10).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)

DEFAULT_SENDER = "auditkit@localhost"


def send_mail(to: str, subject: str, text: str, *, config: Mapping) -> bool:
    """Send `text` to `to`. Returns False, sending nothing, when no SMTP host is configured; True once the
    server accepted the message. A refused or unreachable server raises (OSError, smtplib.SMTPException):
    the caller decides whether that is an error for the person in front of it."""
    host = config.get("SMTP_HOST")
    if not host:
        log.debug("mail is off (no SMTP_HOST): not sending %r", subject)
        return False
    sender = config.get("SMTP_FROM") or DEFAULT_SENDER
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(text)
    port = int(config.get("SMTP_PORT") or 25)
    with smtplib.SMTP(host, port, timeout=float(config.get("SMTP_TIMEOUT") or 10)) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
    return True
