"""`auditkit complaints anonymise --org SLUG --closed-before YYYY-MM-DD`: remove complainants' personal data
from the organisation's complaints closed, withdrawn or rejected before that day (its start, in the
organisation's time zone) and print how many were anonymised. Exit 0 when done; 2 for bad arguments (an
unknown organisation, a date that is not one or lies in the future), having written nothing."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import with_appcontext

from auditkit.complaints.anonymise import anonymise_closed
from auditkit.core import audit_trail
from auditkit.core.errors import DomainError, ValidationFailed
from auditkit.extensions import db
from auditkit.orgs.services import organisation_by_slug


def _refuse(message: str) -> None:
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("anonymise")
@click.option("--org", "slug", required=True, help="The organisation's slug.")
@click.option("--closed-before", "closed_before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Anonymise complaints closed before this day (YYYY-MM-DD, in the organisation's time zone).")
@with_appcontext
def anonymise_command(slug: str, closed_before: datetime) -> None:
    """Remove complainants' personal data from complaints closed before a date; attachments are deleted."""
    organisation = organisation_by_slug(slug)
    if organisation is None:
        _refuse(f"no organisation with the slug {slug!r}")
    audit_trail.act_as(None, f"cli: complaints anonymise --org {slug}")
    try:
        count = anonymise_closed(None, organisation, closed_before.date())
    except ValidationFailed as error:
        _refuse("; ".join(f"{field}: {message}" for field, messages in error.fields.items() for message in messages))
    except DomainError as error:
        _refuse(error.message)
    db.session.commit()
    click.echo(f"{count} complaint(s) of {slug} closed before {closed_before.date().isoformat()} anonymised.")
