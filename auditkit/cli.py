"""The `auditkit` command (also `flask --app auditkit ...`): setup, demo data, tokens, users,
organisations, the audit-trail check and the sweep of temporary files; the features' own groups (complaints,
actions) are registered here too. Each command commits once or exits non-zero having written nothing."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect

from auditkit.core import audit_trail
from auditkit.core.errors import DomainError, ValidationFailed
from auditkit.extensions import db


def _create_app(*_args, **_kwargs) -> Flask:
    from auditkit import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """AuditKit: complaints handling in line with ISO 10002:2018."""


def _fail(error: DomainError) -> None:
    db.session.rollback()
    if isinstance(error, ValidationFailed):
        for field, messages in error.fields.items():
            for message in messages:
                click.echo(f"error: {field}: {message}", err=True)
    else:
        click.echo(f"error: {error.message}", err=True)
    sys.exit(2)


@click.command("demo")
@click.option("--password", required=True, help="The password of every demo login.")
@with_appcontext
def demo_command(password: str) -> None:
    """Create the demo organisations and logins (idempotent)."""
    from auditkit.demo import seed_demo

    audit_trail.act_as(None, "cli: auditkit demo")
    try:
        seed_demo(password)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    _print_demo_logins(password)


def _print_demo_logins(password: str) -> None:
    from auditkit.demo import demo_logins

    click.echo(f"Demo logins, each with the password {password!r}:")
    for email, what in demo_logins():
        click.echo(f"  {email:<34} {what}")


@click.command("setup")
@click.option("--demo-password", default=None, help="Seed the demo data with this password when the "
                                                     "database is new.")
@with_appcontext
def setup_command(demo_password: str | None) -> None:
    """Apply the migrations, load the shipped checklists; on a new database, seed the demo data when a demo
    password is given."""
    from auditkit.standard.cli import import_shipped

    is_new = not inspect(db.engine).has_table("alembic_version")
    upgrade()
    click.echo("Database is up to date.")
    audit_trail.act_as(None, "cli: auditkit setup")
    changed = [r for r in import_shipped() if r.created]
    db.session.commit()
    click.echo(f"Checklists loaded ({len(changed)} new version(s)).")
    if is_new and demo_password:
        demo_command.callback(demo_password)
    elif demo_password:
        click.echo("Existing database: demo data left as it was seeded (`auditkit demo` completes it).")
        _print_demo_logins(demo_password)


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="The member's email address.")
@click.option("--org", "slug", required=True, help="The organisation's slug.")
@click.option("--name", default="CLI token", show_default=True)
@with_appcontext
def tokens_create(email: str, slug: str, name: str) -> None:
    """Create a token and print it (it is shown this once)."""
    from auditkit.accounts.tokens import create_token_for

    audit_trail.act_as(None, f"cli: tokens create for {email}")
    try:
        secret = create_token_for(email, slug, name)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(secret)


@click.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the user a system administrator.")
@with_appcontext
def users_create(email: str, name: str, password: str, admin: bool) -> None:
    from auditkit.accounts.services import create_user

    audit_trail.act_as(None, "cli: users create")
    try:
        user = create_user(None, email=email, password=password, name=name, is_system_admin=admin)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"created {user.email}{' (system administrator)' if admin else ''}")


@click.group("audit-trail")
def audit_trail_group() -> None:
    """The hash-chained audit trail."""


@audit_trail_group.command("verify")
@click.option("--org", "slug", default=None, help="Check one organisation's chain only.")
@with_appcontext
def audit_trail_verify(slug: str | None) -> None:
    """Recompute every chain; exit 1 naming the first broken entry."""
    from auditkit.orgs.services import organisation_by_slug

    if slug is not None:
        organisation = organisation_by_slug(slug)
        if organisation is None:
            click.echo(f"error: no organisation with the slug {slug!r}", err=True)
            sys.exit(2)
        chains = [organisation.id]
    else:
        chains = audit_trail.chains(db.session)
    for chain in chains:
        broken = audit_trail.verify_chain(db.session, chain)
        name = "system" if chain == audit_trail.SYSTEM_CHAIN else f"organisation {chain}"
        if broken is not None:
            entry = f" (entry id {broken.entry_id})" if broken.entry_id else ""
            click.echo(f"BROKEN: {name}, entry {broken.seq}{entry}: {broken.reason}", err=True)
            sys.exit(1)
        click.echo(f"ok: {name}")
    click.echo(f"{len(chains)} chain(s) verified")


@click.group("storage")
def storage_group() -> None:
    """Stored files (uploads, attachments)."""


@storage_group.command("sweep")
@with_appcontext
def storage_sweep() -> None:
    """Delete the temporary files (abandoned import uploads, old rejected-rows downloads) past their age; for
    cron. Attachments and other permanent files are never touched."""
    from auditkit.core import storage

    deleted = storage.sweep_temporary(storage.TEMPORARY_MAX_AGE)
    click.echo(f"{deleted} temporary file(s) older than {storage.TEMPORARY_MAX_AGE.days} days deleted")


def register(app: Flask) -> None:
    from auditkit.actions.cli import actions_group
    from auditkit.complaints.anonymise_cli import anonymise_command
    from auditkit.complaints.transfer_cli import complaints_group
    from auditkit.standard.cli import checklists_group

    if anonymise_command.name not in complaints_group.commands:
        complaints_group.add_command(anonymise_command)  # `auditkit complaints import | anonymise`
    for command in (demo_command, setup_command, tokens_group, users_group, audit_trail_group, checklists_group,
                    complaints_group, storage_group, actions_group):
        app.cli.add_command(command)
