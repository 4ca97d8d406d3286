"""Migrations build the schema from an empty database on each engine and agree with the models."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from auditkit import create_app
from auditkit.core.db import made_on
from auditkit.extensions import db
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
                    "compare_type": True, "include_object": made_on(connection.dialect.name)}), db.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        on_expressions = {index.name for table in db.metadata.tables.values() for index in table.indexes
                          if any(not hasattr(expression, "name") for expression in index.expressions)}
        assert on_expressions == {"ix_complaint_email"}
        listing = ("SELECT name FROM sqlite_master WHERE type = 'index'" if db.engine.dialect.name == "sqlite"
                   else "SELECT indexname FROM pg_indexes")
        with db.engine.connect() as connection:
            assert on_expressions <= set(connection.exec_driver_sql(listing).scalars())
            if db.engine.dialect.name == "postgresql":  # survey tokens unique only where set (only_on)
                assert connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_complaint_survey_token' "
                    "AND schemaname = current_schema()"
                ).scalar_one().endswith("WHERE (survey_token_hash IS NOT NULL)")
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()
