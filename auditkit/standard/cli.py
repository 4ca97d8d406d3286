"""`auditkit checklists validate | import | list | export`: exit 0 when all is well, 1 when a file has
problems (each printed as FILE:LINE: KEY: message; nothing is imported then), 2 for bad arguments."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext
from sqlalchemy import select

from auditkit.core import audit_trail
from auditkit.core.resources import data_dir
from auditkit.extensions import db
from auditkit.standard import library, queries
from auditkit.standard.models import Checklist, ChecklistVersion


def _paths(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p) for p in paths] or [data_dir("checklists")]


def _checked(paths: tuple[str, ...]) -> library.Batch:
    documents, problems = library.read_directory(_paths(paths))
    batch = library.check_documents(documents)
    problems += batch.problems
    if problems:
        for problem in sorted(problems):
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s); nothing imported.", err=True)
        sys.exit(1)
    return batch


@click.group("checklists")
def checklists_group() -> None:
    """Clause libraries and checklists (docs/checklist-format.md)."""


@checklists_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@with_appcontext
def validate_command(paths: tuple[str, ...]) -> None:
    """Check files or folders (default: the shipped checklists/) without importing."""
    batch = _checked(paths)
    for file, result in batch.checked:
        click.echo(f"ok: {file} ({result.kind})")


def import_shipped() -> list[library.Imported]:
    """Import the checklists/ that ship with AuditKit (setup runs this); a no-op when nothing changed."""
    documents, problems = library.read_directory([data_dir("checklists")])
    batch = library.check_documents(documents)
    if problems or batch.problems:
        raise click.ClickException("the shipped checklists have problems: run `auditkit checklists validate`")
    return library.import_batch(batch)


@checklists_group.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@with_appcontext
def import_command(paths: tuple[str, ...]) -> None:
    """Validate, then store what changed as new versions (all or nothing)."""
    audit_trail.act_as(None, "cli: checklists import")
    batch = _checked(paths)
    results = library.import_batch(batch)
    db.session.commit()
    for result in results:
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.kind} {result.key}: version {result.number} ({state})")


@checklists_group.command("list")
@with_appcontext
def list_command() -> None:
    """The shared checklists and every organisation's own, with their versions."""
    rows = db.session.execute(
        select(Checklist, ChecklistVersion).join(ChecklistVersion, ChecklistVersion.checklist_id == Checklist.id)
        .order_by(Checklist.organisation_id.is_not(None), Checklist.organisation_id, Checklist.key,
                  ChecklistVersion.number)
    ).all()
    if not rows:
        click.echo("No checklists: run `auditkit checklists import`.")
    for checklist, version in rows:
        owner = "shared" if checklist.organisation_id is None else f"organisation {checklist.organisation_id}"
        click.echo(f"{checklist.key}  v{version.number}  {owner}  {len(version.questions)} questions  "
                   f"{version.content_hash[:12]}  {version.created_at:%Y-%m-%d}")


@checklists_group.command("export")
@click.argument("key")
@click.option("--version", "number", type=int, help="Default: the latest.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default="yaml", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Default: standard output "
              "(yaml only).")
@with_appcontext
def export_command(key: str, number: int | None, fmt: str, output: str | None) -> None:
    """Write a shared checklist (or a library, by its id) as YAML or .xlsx."""
    from auditkit.standard import spreadsheets

    checklist = db.session.execute(
        select(Checklist).where(Checklist.key == key, Checklist.organisation_id.is_(None))).scalar_one_or_none()
    if checklist is None:
        framework = queries.framework_by_key(key, None)
        if framework is None or fmt != "yaml":
            click.echo(f"error: no shared checklist {key!r}", err=True)
            sys.exit(2)
        document = library.library_document(queries.latest_framework_version(framework))
    else:
        version = queries.version_number(checklist, number) if number else queries.latest_version(checklist)
        if version is None:
            click.echo(f"error: {key} has no version {number}", err=True)
            sys.exit(2)
        if fmt == "xlsx":
            if not output:
                click.echo("error: --output is needed for xlsx", err=True)
                sys.exit(2)
            Path(output).write_bytes(spreadsheets.export_xlsx(version))
            click.echo(f"wrote {output}")
            return
        document = library.checklist_document(version)
    text = dump_yaml(document)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def dump_yaml(document: dict) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)
