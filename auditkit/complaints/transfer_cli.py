"""`auditkit complaints import FILE --org SLUG [--dry-run] [--skip-invalid] [--rejected PATH] [--mapping JSON]`:
the browser's import from the command line, with a progress bar. Exit 0 when the file was imported (or, with
--dry-run, would be), 1 when it has problems (each printed as FILE:LINE: column (field): message; nothing is
written then, unless --skip-invalid), 2 for bad arguments. Commits once, or writes nothing."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import g
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from auditkit.complaints.importing import ImportReport, import_complaints
from auditkit.core import audit_trail
from auditkit.core.security import Actor, Role
from auditkit.extensions import db

LABEL = "cli: complaints import"


@click.group("complaints")
def complaints_group() -> None:
    """Complaints: import from CSV or .xlsx."""


def _mapping(value: str | None) -> dict | None:
    """--mapping: a JSON object {"their column": "our field"}, given inline or as a file's path."""
    if value is None:
        return None
    try:
        text = value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8-sig")
        mapping = json.loads(text)
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"neither a JSON object nor a readable JSON file: {error}") from error
    if not isinstance(mapping, dict) or not all(isinstance(v, str | None) for v in mapping.values()):
        raise click.BadParameter('give a JSON object such as {"Date": "received_at", "Notes": ""}')
    return mapping


class _Bars:
    """One click progress bar per phase: checking (bytes or rows of the file), then writing (rows)."""

    LABELS = {"check": "Checking", "write": "Writing "}

    def __init__(self) -> None:
        self.phase, self.bar, self.done = None, None, 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.done = phase, 0
            self.bar = click.progressbar(length=max(total, 1), label=self.LABELS[phase], file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(max(done - self.done, 0))
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _print(report: ImportReport, file: str) -> None:
    for problem in report.problems:
        where = f"{file}:{problem.line}" if problem.line else file
        detail = f" column “{problem.column}”" if problem.column else ""
        if problem.field and problem.field != problem.column:
            detail += f" ({problem.field})"
        click.echo(f"{where}:{detail}: {problem.message}" if detail else f"{where}: {problem.message}", err=True)
    if report.problem_count > len(report.problems):
        click.echo(f"… and {report.problem_count - len(report.problems)} more problem(s)", err=True)
    if report.ignored:
        click.echo(f"columns left out: {', '.join(report.ignored)}")
    done = f"{report.to_write} would be written" if report.dry_run else f"{report.written} written"
    click.echo(f"{report.read} row(s) read: {done}, {report.already_there} already there, "
               f"{report.invalid} with problems.")


@complaints_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", "slug", required=True, help="The organisation's slug.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write the others to --rejected.")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False),
              help="Where --skip-invalid writes the rejected rows (default: FILE.rejected.csv).")
@click.option("--mapping", "mapping_value", default=None,
              help='Columns to fields as JSON, inline or a file: {"their column": "our field"}; "" leaves one out.')
@with_appcontext
def import_command(file: str, slug: str, dry_run: bool, skip_invalid: bool, rejected_path: str | None,
                   mapping_value: str | None) -> None:
    """Import new complaints from a CSV (UTF-8, comma or semicolon) or .xlsx file."""
    from auditkit.orgs.services import organisation_by_slug

    mapping = _mapping(mapping_value)
    organisation = organisation_by_slug(slug)
    if organisation is None:
        click.echo(f"error: no organisation with the slug {slug!r}", err=True)
        sys.exit(2)
    g.organisation = organisation  # messages in the organisation's language, as every CLI command
    audit_trail.act_as(None, LABEL)
    actor = Actor(None, organisation.id, Role.MANAGER, LABEL)
    target = Path(rejected_path or f"{file}.rejected.csv")
    rejected = tempfile.NamedTemporaryFile("w", encoding="utf-8-sig", newline="", dir=target.parent,  # noqa: SIM115
                                           prefix=f".{target.name}.", delete=False) if skip_invalid else None
    bars, report = _Bars(), None
    try:
        with open(file, "rb") as source:
            report = import_complaints(actor, organisation, source, mapping=mapping, dry_run=dry_run,
                                       skip_invalid=skip_invalid, rejected=rejected, progress=bars,
                                       file_name=Path(file).name)
    except IntegrityError:
        db.session.rollback()
        click.echo("error: some of these complaints were recorded meanwhile by someone else; nothing was "
                   "imported — run the import again", err=True)
        sys.exit(1)
    finally:
        bars.close()
        if rejected is not None:
            rejected.close()
            keep = report is not None and report.invalid and not report.refused and not dry_run
            if keep:
                os.replace(rejected.name, target)
            else:
                os.unlink(rejected.name)
    if report.refused or dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    _print(report, file)
    if skip_invalid and report.invalid and not report.refused and not dry_run:
        click.echo(f"rejected rows written to {target}")
    sys.exit(1 if report.refused else 0)
