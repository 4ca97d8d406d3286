"""Numbers that must never repeat within an organisation and year (complaint and action references), without
races: the counter row is incremented with UPDATE … RETURNING, whose row lock makes concurrent writers on
PostgreSQL wait for each other (SQLite serialises writers anyway). A counter table has the columns
organisation_id, year and last, unique on (organisation_id, year)."""

from __future__ import annotations

from sqlalchemy import Table, update
from sqlalchemy.dialects import postgresql, sqlite

from auditkit.extensions import db


def reserve(counters: Table, organisation_id: int, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of the organisation's year and return the first."""
    connection = db.session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(insert(counters).values(organisation_id=organisation_id, year=year, last=0)
                       .on_conflict_do_nothing())
    last = connection.execute(
        update(counters).where(counters.c.organisation_id == organisation_id, counters.c.year == year)
        .values(last=counters.c.last + count).returning(counters.c.last)
    ).scalar_one()
    return last - count + 1
