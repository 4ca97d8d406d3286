"""The declarative Base every model stands on, its constraint naming convention, shared column types
and mixins, and the SQLite connection settings (WAL, foreign keys, busy timeout)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always handed back time-zone aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; AuditKit stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


def one_of(column: str, values, nullable: bool = False, *, spelled_out: bool = False) -> str:
    """The SQL of a check constraint keeping a column to a list of codes (an enum's values): `column IN (...)`,
    or `spelled_out` as comparisons joined by OR. For a table written in bulk: SQLite builds a small table of an
    IN list of more than two constants each time a statement runs, and an executemany runs its INSERT once per
    row, so a million-row import into complaint built it two million times (a fifth of the INSERT's time)."""
    codes = [str(value) for value in values]
    condition = (" OR ".join(f"{column} = {code!r}" for code in codes) if spelled_out
                 else f"{column} IN ({', '.join(map(repr, codes))})")
    return f"{column} IS NULL OR {condition}" if nullable else condition


def compared_on(dialect_name: str):
    """Alembic's `include_object` for comparing the models with a database of this dialect: a schema item
    made on other dialects only (`.ddl_if(dialect=...)`, which create_all honours and Alembic does not read)
    is left out, so autogenerate neither adds it where its migration never made it nor drops it."""

    def include(item, _name, _type, reflected: bool, _compare_to) -> bool:
        condition = getattr(item, "_ddl_if", None)  # SQLAlchemy's record of ddl_if, None when not called
        if reflected or condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect_name == wanted if isinstance(wanted, str) else dialect_name in wanted

    return include


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimestampMixin(CreatedAtMixin):
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrganisationOwned:
    """A row that belongs to one organisation: the tenancy gate filters on this column."""

    @declared_attr
    def organisation_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("organisation.id", ondelete="CASCADE"), index=True)


class Versioned:
    """Optimistic locking: a stale write raises StaleDataError, mapped to 409 by core.errors."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 8 KB pages, as PostgreSQL's, for a database not yet created (an existing one keeps its own): fewer levels
    # and splits in the register's many indexes, so a million-row import writes ~15% faster than in 4 KB pages.
    # Must come before WAL mode, which fixes the page size.
    cursor.execute("PRAGMA page_size=8192")
    # Reports read hundreds of thousands of rows: a 32 MB page cache (the default is 2 MB) and the file
    # mapped into memory, so repeated reads come from the operating system's cache without copying.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA mmap_size=268435456")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_settings(dbapi_connection, _record) -> None:
    """No JIT compilation: it costs 100-400 ms per statement, more than it saves on the register's reports
    (a grouped scan of a million complaints takes well under a second without it)."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.execute("SET jit = off")
        dbapi_connection.commit()


class SharedOrOrganisationOwned:
    """A row of one organisation, or (organisation NULL) shared with all: the library that ships with
    AuditKit. The model lists in `__shared_actions__` the actions anyone may take on shared rows."""

    __shared_actions__: frozenset[str] = frozenset()

    @declared_attr
    def organisation_id(cls) -> Mapped[int | None]:
        return mapped_column(Integer, ForeignKey("organisation.id", ondelete="CASCADE"), index=True,
                             nullable=True)


class ImmutableRecord(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_immutable_rows(session, _context, _instances) -> None:
    """Rows of models marked `__immutable__` are written once: versions, their questions and clauses."""
    for obj in (*session.dirty, *session.deleted):
        if getattr(type(obj), "__immutable__", False) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableRecord(f"{type(obj).__name__} rows are immutable; make a new version instead")
