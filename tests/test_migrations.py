"""Migrations build the schema from an empty database on each engine and agree with the models; the rebuild of
the complaint table (0016) keeps every row and every refusal."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from auditkit import create_app
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.core.db import compared_on, utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from tests.conftest import postgres_url, reset_postgres

SCHEMA = "migration_check"


@pytest.fixture
def empty_database_url(engine_name, tmp_path):
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = postgres_url()
    reset_postgres(url, SCHEMA)
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{SCHEMA}"
    reset_postgres(url, SCHEMA)


def test_migrations_build_the_models_schema_from_empty(empty_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITKIT_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "m" * 40})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        with db.engine.connect() as connection, warnings.catch_warnings():
            # SQLAlchemy cannot reflect an index on an expression (ix_complaint_email): checked by name below.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={
                    "compare_type": True, "include_object": compared_on(connection.dialect.name)}), db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        on_expressions = {index.name for table in db.metadata.tables.values() for index in table.indexes
                          if any(not hasattr(expression, "name") for expression in index.expressions)}
        assert on_expressions == {"ix_complaint_email"}
        listing = ("SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite"
                   else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        with db.engine.connect() as connection:
            made = set(connection.exec_driver_sql(listing).scalars())  # the emails' index on SQLite alone (0017)
            assert ("ix_complaint_email" in made) == (db.engine.dialect.name == "sqlite")
            if db.engine.dialect.name == "postgresql":  # survey tokens unique only where set
                assert connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_complaint_survey_token' "
                    "AND schemaname = current_schema()"
                ).scalar_one().endswith("WHERE (survey_token_hash IS NOT NULL)")
            else:  # the same, and complaint's checks as the models spell them (compare_metadata reads neither)
                made = " ".join(connection.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name IN ('complaint', 'uq_complaint_survey_token')").scalars())
                assert "WHERE survey_token_hash IS NOT NULL" in made
                checks = [c for c in Complaint.__table__.constraints if isinstance(c, CheckConstraint)]
                assert len(checks) == 4 and all(f"CHECK ({check.sqltext})" in made for check in checks)
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


def test_the_complaint_table_rebuilt_keeps_every_row_and_refusal(empty_database_url, tmp_path, monkeypatch):
    """Migration 0016 makes complaint anew on SQLite: with foreign keys on, dropping the old table would delete
    every event and attachment. On each engine, up and down, every row comes through as it was, and the checks
    and survey tokens refuse what they refused."""
    monkeypatch.setenv("AUDITKIT_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": empty_database_url, "SECRET_KEY": "m" * 40})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as connection:
            _seed(connection)
        before = _everything()
        assert [len(rows) for rows in before] == [3, 4, 1]

        upgrade()
        assert _everything() == before
        _assert_refusals()
        if db.engine.dialect.name == "sqlite":  # on again for every connection the application takes
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1

        downgrade(revision="0015")
        assert _everything() == before
        _assert_refusals()
        db.engine.dispose()


def _seed(connection) -> None:
    now = utcnow()
    organisation = connection.execute(insert(Organisation.__table__).values(
        name="Rebuilt", slug="rebuilt", locale="en", timezone="UTC", settings={}, created_at=now, updated_at=now,
        version=1).returning(Organisation.__table__.c.id)).scalar_one()
    for number in (1, 2, 3):
        complaint = connection.execute(insert(Complaint.__table__).values(_complaint(organisation, number, now))
                                       .returning(Complaint.__table__.c.id)).scalar_one()
        connection.execute(insert(ComplaintEvent.__table__).values(
            organisation_id=organisation, complaint_id=complaint, at=now, actor_label="seed", kind="receive",
            data={"n": number}))
        if number == 3:
            connection.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == complaint).values(
                status="closed", survey_token_hash="t" * 64, closed_at=now, severity="high"))
            connection.execute(insert(ComplaintEvent.__table__).values(
                organisation_id=organisation, complaint_id=complaint, at=now, actor_label="seed", kind="close",
                data={}))
            connection.execute(insert(ComplaintAttachment.__table__).values(
                organisation_id=organisation, complaint_id=complaint, storage_key="k" * 64, filename="a.pdf",
                media_type="application/pdf", size=10, sha256="s" * 64, created_at=now))


def _complaint(organisation: int, number: int, now) -> dict:
    return {"organisation_id": organisation, "reference": f"CMP-{number}", "external_id": f"x-{number}",
            "received_at": now, "channel": "email", "status": "received", "email": f"c{number}@example.org",
            "consent": True, "description": "It broke.", "escalation_level": 0, "reopen_count": 0,
            "created_at": now, "updated_at": now, "version": 1}


def _everything() -> list[list[tuple]]:
    with db.engine.connect() as connection:
        return [list(connection.execute(select(table).order_by(table.c.id)))
                for table in (Complaint.__table__, ComplaintEvent.__table__, ComplaintAttachment.__table__)]


def _assert_refusals() -> None:
    """A channel not on the list, and a survey token already given, are refused; complaints without a token
    (the seeded ones) are not in each other's way."""
    now, table = utcnow(), Complaint.__table__
    with db.engine.connect() as connection:
        organisation = connection.execute(select(table.c.organisation_id).limit(1)).scalar_one()
        connection.rollback()
        for values in ({"channel": "fax"}, {"survey_token_hash": "t" * 64}, {"severity": "dire"}):
            with pytest.raises(IntegrityError), connection.begin():
                connection.execute(insert(table).values({**_complaint(organisation, 9, now), **values}))
