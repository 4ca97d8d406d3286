"""Reminding owners of their corrective actions, and opening effectiveness checks on their date; run daily by
`auditkit actions remind`.

For an organisation, on its own calendar day: every implemented action whose check date has come moves to
"effectiveness check due" (workflow.request_check, by the system actor); then the actions overdue or due soon
(queries.overdue / queries.due_soon) that were not reminded today are grouped by owner, and each owner gets one
mail listing them — reference, title, due date (or check date) and a link to the action's page — in their own
language (their account's, else the organisation's). An action is reminded once a day at most: its
`reminded_on` is claimed for the day by a conditional UPDATE before the mail goes, so two runs at once do not
both send it, and released again when the mail cannot be sent. `reminded_on` is bookkeeping, not a change of
the action: it is written without moving the action's version (an editor's open form stays valid) or its
updated_at, and is not in the audit trail.

Owners who are no longer members of the organisation, or whose account is disabled, are not written to. A dry
run reports what would happen and changes nothing. Flushes, never commits: the command commits."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import case, or_, select, update

from auditkit.accounts.models import User
from auditkit.actions import queries, workflow
from auditkit.actions.models import CorrectiveAction
from auditkit.actions.services import today
from auditkit.actions.states import IN_WORK, ActionStatus
from auditkit.core import mail
from auditkit.core.i18n import LOCALES
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

log = logging.getLogger(__name__)

A = CorrectiveAction
LABEL = "cli: actions remind"
_IN_WORK = frozenset(status.value for status in IN_WORK)


@dataclass
class Due:
    """One action in a reminder: its due date while it is worked on, its check date once implemented."""

    action_id: int
    reference: str
    title: str
    day: date
    awaiting_check: bool
    overdue: bool
    url: str
    reminded_on: date | None  # before this run, to give the day back when the mail cannot be sent


@dataclass
class Reminder:
    """One mail to one owner."""

    owner_id: int
    email: str
    name: str
    locale: str
    actions: list[Due]
    sent: bool = False
    error: str | None = None


@dataclass
class Report:
    organisation: str
    dry_run: bool
    checks_opened: list[str] = field(default_factory=list)  # references moved to "effectiveness check due"
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def sent(self) -> list[Reminder]:
        return [r for r in self.reminders if r.sent]

    @property
    def failed(self) -> list[Reminder]:
        return [r for r in self.reminders if r.error is not None]


def system_actor(organisation: Organisation) -> Actor:
    return Actor(None, organisation.id, Role.MANAGER, LABEL)


def base_url(config: Mapping) -> str | None:
    """Where people reach AuditKit: BASE_URL, else SERVER_NAME with PREFERRED_URL_SCHEME; None when neither is
    configured."""
    if config.get("BASE_URL"):
        return str(config["BASE_URL"]).rstrip("/")
    if config.get("SERVER_NAME"):
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}{root}"
    return None


def action_url(base: str, organisation: Organisation, action_id: int) -> str:
    """The action's page, absolute, outside any request."""
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build("actions.action", {"slug": organisation.slug, "action_id": action_id}, force_external=True)


def open_checks(organisation: Organisation, day: date, *, dry_run: bool = False) -> list[str]:
    """Move the implemented actions whose check date has come to "effectiveness check due"; their references."""
    due = db.session.execute(select(A).where(
        A.organisation_id == organisation.id, A.status == ActionStatus.IMPLEMENTED.value, A.check_on <= day,
    ).order_by(A.id)).scalars().all()
    if not dry_run:
        actor = system_actor(organisation)
        for action in due:
            workflow.request_check(actor, action, action.version)
    return [action.reference for action in due]


def _language(user: User, organisation: Organisation) -> str:
    return user.locale if user.locale in LOCALES else organisation.locale


def due_reminders(organisation: Organisation, day: date, base: str) -> list[Reminder]:
    """The reminders to send today: per owner (a member with an active account), their actions overdue or due
    soon that were not reminded today, overdue first, then by date."""
    statement = (
        select(A.id, A.reference, A.title, A.status, A.due_on, A.check_on, A.reminded_on,
               case((queries.overdue(day), True), else_=False).label("overdue"), User)
        .join(User, User.id == A.owner_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.organisation_id == A.organisation_id))
        .where(A.organisation_id == organisation.id, User.active.is_(True),
               or_(queries.overdue(day), queries.due_soon(day)), or_(A.reminded_on.is_(None), A.reminded_on < day))
        .order_by(User.id, A.id))
    reminders: dict[int, Reminder] = {}
    for row in db.session.execute(statement):
        user = row.User
        reminder = reminders.get(user.id)
        if reminder is None:
            reminder = reminders[user.id] = Reminder(user.id, user.email, user.display_name,
                                                     _language(user, organisation), [])
        awaiting = row.status not in _IN_WORK
        reminder.actions.append(Due(row.id, row.reference, row.title, row.check_on if awaiting else row.due_on,
                                    awaiting, bool(row.overdue), action_url(base, organisation, row.id),
                                    row.reminded_on))
    for reminder in reminders.values():
        reminder.actions.sort(key=lambda due: (not due.overdue, due.day, due.reference))
    return list(reminders.values())


def message(organisation: Organisation, reminder: Reminder) -> tuple[str, str]:
    """The subject and text of a reminder, in the current language."""
    def line(due: Due) -> str:
        day = format_date(due.day, "long")
        if due.awaiting_check:
            text = _("%(reference)s %(title)s — effectiveness check %(date)s", reference=due.reference,
                     title=due.title, date=day)
        else:
            text = _("%(reference)s %(title)s — due %(date)s", reference=due.reference, title=due.title, date=day)
        return f"- {text}\n  {due.url}"

    overdue = [due for due in reminder.actions if due.overdue]
    soon = [due for due in reminder.actions if not due.overdue]
    subject = ngettext("%(organisation)s: %(num)d corrective action needs your attention",
                       "%(organisation)s: %(num)d corrective actions need your attention",
                       len(reminder.actions), organisation=organisation.name)
    lines = [_("Hello %(name)s,", name=reminder.name), "",
             _("These corrective actions of %(organisation)s that you own are overdue or due soon.",
               organisation=organisation.name)]
    if overdue:
        lines += ["", _("Overdue:"), *map(line, overdue)]
    if soon:
        lines += ["", _("Due within %(days)d days:", days=queries.DUE_SOON_DAYS), *map(line, soon)]
    lines += ["", _("You get one reminder a day at most about each action."),
              _("This message was sent automatically; you do not need to reply to it."), "", organisation.name]
    return subject, "\n".join(lines) + "\n"


def _claim(dues: list[Due], day: date) -> list[Due]:
    """Take each action's reminder for today, unless another run took it meanwhile; the ones taken."""
    table = A.__table__
    taken = []
    for due in dues:
        result = db.session.execute(
            update(table).where(table.c.id == due.action_id,
                                or_(table.c.reminded_on.is_(None), table.c.reminded_on < day))
            .values(reminded_on=day, updated_at=table.c.updated_at))  # the same updated_at, and no new version
        if result.rowcount == 1:
            taken.append(due)
    return taken


def _release(dues: list[Due]) -> None:
    table = A.__table__
    for due in dues:
        db.session.execute(update(table).where(table.c.id == due.action_id)
                           .values(reminded_on=due.reminded_on, updated_at=table.c.updated_at))


def remind(organisation: Organisation, *, config: Mapping, base: str, dry_run: bool = False,
           day: date | None = None) -> Report:
    """Open the checks that have come, then send the day's reminders (see the module's docstring)."""
    day = day or today(organisation)
    report = Report(organisation.slug, dry_run)
    report.checks_opened = open_checks(organisation, day, dry_run=dry_run)
    report.reminders = due_reminders(organisation, day, base)
    if dry_run:
        return report
    for reminder in report.reminders:
        reminder.actions = _claim(reminder.actions, day)
        if not reminder.actions:
            continue
        with force_locale(reminder.locale):
            subject, text = message(organisation, reminder)
        try:
            reminder.sent = mail.send_mail(reminder.email, subject, text, config=config)
        except (OSError, smtplib.SMTPException) as error:
            log.exception("the reminder to %s (organisation %s) could not be sent", reminder.email, organisation.slug)
            reminder.error = str(error) or type(error).__name__
        if not reminder.sent:
            reminder.error = reminder.error or "mail is off (no SMTP host configured)"
            _release(reminder.actions)
    report.reminders = [reminder for reminder in report.reminders if reminder.actions]
    for record in list(db.session.identity_map.values()):
        if isinstance(record, A):
            db.session.expire(record, ["reminded_on"])  # changed behind the session's back
    return report
