"""Complaint references such as CMP-2026-000123, unique within an organisation and generated without races:
the per-organisation, per-year counter row is incremented with UPDATE … RETURNING, whose row lock makes
concurrent submitters on PostgreSQL wait for each other (SQLite serialises writers anyway)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from auditkit.complaints.models import ReferenceCounter
from auditkit.extensions import db


def reserve_block(organisation_id: int, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of the organisation's year and return the first (imports and the
    demo take thousands in one update)."""
    counters = ReferenceCounter.__table__
    connection = db.session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(insert(counters).values(organisation_id=organisation_id, year=year, last=0)
                       .on_conflict_do_nothing())
    last = connection.execute(
        update(counters).where(counters.c.organisation_id == organisation_id, counters.c.year == year)
        .values(last=counters.c.last + count).returning(counters.c.last)
    ).scalar_one()
    return last - count + 1


def next_sequence(organisation_id: int, year: int) -> int:
    return reserve_block(organisation_id, year)


def format_reference(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def check_pattern(pattern: str) -> str | None:
    """Why a reference pattern cannot be used, or None."""
    if "{seq" not in pattern:
        return _("The pattern needs {seq}, such as CMP-{year}-{seq:06}.")
    try:
        sample = pattern.format(year=2026, seq=1)
    except (KeyError, ValueError, IndexError):
        return _("Use only {year} and {seq} (with an optional width such as {seq:06}).")
    if not sample or len(sample) > 40:
        return _("A reference must be 1 to 40 characters long.")
    return None
