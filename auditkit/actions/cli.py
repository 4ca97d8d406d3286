"""`auditkit actions remind [--org SLUG] [--dry-run]`: for each organisation (or one), open the effectiveness
checks whose date has come and mail each owner their actions overdue or due soon (reminders.py); run it daily
from cron. Prints what it did (or, with --dry-run, would do: nothing is sent or changed). Commits once per
organisation. Exit 0 when done; 1 when a reminder could not be sent (mail off or the server refused: those
actions are reminded on the next run); 2 for bad arguments or a missing base URL, having done nothing."""

from __future__ import annotations

import sys

import click
from flask import current_app, g
from flask.cli import with_appcontext
from sqlalchemy import select

from auditkit.actions import reminders
from auditkit.core import audit_trail
from auditkit.extensions import db
from auditkit.orgs.models import Organisation


@click.group("actions")
def actions_group() -> None:
    """Corrective actions: reminders."""


def _print(report: reminders.Report) -> None:
    verb = "would" if report.dry_run else "now"
    if report.checks_opened:
        click.echo(f"{report.organisation}: {len(report.checks_opened)} action(s) {verb} await their effectiveness "
                   f"check: {', '.join(report.checks_opened)}")
    for reminder in report.reminders:
        listed = ", ".join(f"{due.reference} ({'overdue' if due.overdue else 'due soon'})"
                           for due in reminder.actions)
        if report.dry_run:
            click.echo(f"{report.organisation}: would remind {reminder.email} [{reminder.locale}]: {listed}")
        elif reminder.sent:
            click.echo(f"{report.organisation}: reminded {reminder.email} [{reminder.locale}]: {listed}")
        else:
            click.echo(f"{report.organisation}: error: could not remind {reminder.email} ({reminder.error}): "
                       f"{listed}", err=True)
    count = len(report.reminders) if report.dry_run else len(report.sent)
    actions = sum(len(r.actions) for r in (report.reminders if report.dry_run else report.sent))
    click.echo(f"{report.organisation}: {count} reminder(s) {'would be ' if report.dry_run else ''}sent about "
               f"{actions} action(s); {len(report.checks_opened)} effectiveness check(s) "
               f"{'would be ' if report.dry_run else ''}opened.")


@actions_group.command("remind")
@click.option("--org", "slug", default=None, help="Only this organisation (its slug); default: every one.")
@click.option("--dry-run", is_flag=True, help="Report what would be sent and opened; send and change nothing.")
@with_appcontext
def remind_command(slug: str | None, dry_run: bool) -> None:
    """Mail owners their corrective actions overdue or due soon, and open the effectiveness checks that are due."""
    statement = select(Organisation).order_by(Organisation.slug)
    if slug is not None:
        statement = statement.where(Organisation.slug == slug)
    organisations = db.session.execute(statement).scalars().all()
    if slug is not None and not organisations:
        click.echo(f"error: no organisation with the slug {slug!r}", err=True)
        sys.exit(2)
    base = reminders.base_url(current_app.config)
    if base is None and not dry_run:
        click.echo("error: set AUDITKIT_BASE_URL (where people reach AuditKit, e.g. https://auditkit.example.org) "
                   "so the reminders can link to the actions", err=True)
        sys.exit(2)
    audit_trail.act_as(None, reminders.LABEL)
    failed = 0
    for organisation in organisations:
        g.organisation = organisation  # messages in the organisation's language, as every CLI command
        report = reminders.remind(organisation, config=current_app.config, base=base or "http://localhost",
                                  dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        _print(report)
        failed += len(report.failed)
    sys.exit(1 if failed else 0)
