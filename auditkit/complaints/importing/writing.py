"""Writing checked rows fast: references reserved in one counter update per year, ids per batch, rows at
the driver (COPY on PostgreSQL, executemany on SQLite) inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from auditkit.complaints.models import Complaint


def reserve_ids(connection, count: int) -> list[int]:
    """Ids for new complaints, so their events can name them without reading them back: from the id sequence
    on PostgreSQL; on SQLite the next ones after the largest (this transaction already holds the database's
    only write lock: reserve_block wrote)."""
    if connection.dialect.name == "postgresql":
        return list(connection.execute(text("SELECT nextval(pg_get_serial_sequence('complaint', 'id')) "
                                            "FROM generate_series(1, :count)"), {"count": count}).scalars())
    last = connection.execute(select(func.coalesce(func.max(Complaint.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def insert_rows(connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows at the driver's speed: COPY on PostgreSQL, one prepared INSERT on SQLite. Each value goes
    through its column type's own bind processor, so the stored values are exactly what SQLAlchemy writes."""
    dialect, quote = connection.dialect, connection.dialect.identifier_preparer.quote
    processors = [(i, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                  for i, name in enumerate(columns)]
    processors = [(i, process) for i, process in processors if process is not None]
    unset = object()
    converted, last = [], [(unset, None)] * len(columns)  # repeated values (the import's time) converted once
    for row in rows:
        values = list(row)
        for i, process in processors:
            if values[i] is not last[i][0]:
                last[i] = (values[i], process(values[i]))
            values[i] = last[i][1]
        converted.append(values)
    names = ", ".join(quote(name) for name in columns)
    if dialect.name == "postgresql":
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        try:
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
                for values in converted:
                    copy.write_row(values)
        except dialect.loaded_dbapi.IntegrityError as error:  # as SQLAlchemy would raise it
            raise IntegrityError(statement, None, error) from error
    else:  # SQLite, whose driver takes "?" parameters
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",  # noqa: S608
                                   [tuple(values) for values in converted])
