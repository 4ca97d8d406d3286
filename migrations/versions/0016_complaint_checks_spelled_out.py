"""complaint's checks spelled out as comparisons, and on SQLite the table rebuilt to PostgreSQL's shape.

The status, channel and severity checks become `x = 'a' OR x = 'b' ...` in place of `x IN ('a', 'b', ...)`:
SQLite builds a small table of an IN list of more than two constants each time a statement runs, and an
import's executemany runs its INSERT once per row (a fifth of the INSERT's time at a million rows). SQLite
cannot alter a check, so its complaint table is rebuilt (SQLite's own procedure: a new table, the rows copied,
the old one dropped, the new one renamed, the indexes made again), and with it takes the shape 0014 and 0015
gave PostgreSQL's: survey tokens unique where set (a partial unique index in place of the constraint), and no
foreign key to the category. The rebuild needs foreign keys off, or dropping the old table would delete every
event and attachment of every complaint: migrations/env.py turns them off on SQLite, and the rebuild refuses to
run with them on. The tables referring to complaint refer to it by name, so they refer to the new one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00

"""
import re

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

STATUSES = ("received", "acknowledged", "assessed", "under_investigation", "response_decided",
            "decision_communicated", "referred_external", "closed", "withdrawn", "rejected")
CHANNELS = ("web_form", "email", "phone", "in_person", "letter", "social_media", "api", "other")
SEVERITIES = ("low", "medium", "high", "critical")


def _listed(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _compared(column, values):
    return " OR ".join(f"{column} = {value!r}" for value in values)


# name -> (the check as 0003 made it, as it is now)
CHECKS = {
    "ck_complaint_status": (_listed("status", STATUSES), _compared("status", STATUSES)),
    "ck_complaint_channel": (_listed("channel", CHANNELS), _compared("channel", CHANNELS)),
    "ck_complaint_severity": (f"severity IS NULL OR {_listed('severity', SEVERITIES)}",
                              f"severity IS NULL OR {_compared('severity', SEVERITIES)}"),
}
SURVEY_CONSTRAINT = "CONSTRAINT uq_complaint_survey_token_hash UNIQUE (survey_token_hash)"
CATEGORY_KEY = ("CONSTRAINT fk_complaint_category_id_complaint_category FOREIGN KEY(category_id) "
                "REFERENCES complaint_category (id) ON DELETE SET NULL")
SURVEY_INDEX = "uq_complaint_survey_token"
REBUILT = "complaint_rebuilt"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _alter_checks(new=True)
        return
    sql = _without(_without(_checks_swapped(_table_sql(), new=True), SURVEY_CONSTRAINT), CATEGORY_KEY)
    _rebuild(sql)
    op.execute(f"CREATE UNIQUE INDEX {SURVEY_INDEX} ON complaint (survey_token_hash) "
               "WHERE survey_token_hash IS NOT NULL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _alter_checks(new=False)
        return
    sql = _replaced(_checks_swapped(_table_sql(), new=False), "\n)", f", \n\t{CATEGORY_KEY}, \n\t{SURVEY_CONSTRAINT}\n)")
    _rebuild(sql, leaving=SURVEY_INDEX)


def _alter_checks(new: bool) -> None:
    """PostgreSQL alters checks in place: one statement, one pass over the rows to validate them."""
    changes = []
    for name, texts in CHECKS.items():
        changes += [f"DROP CONSTRAINT {name}", f"ADD CONSTRAINT {name} CHECK ({texts[new]})"]
    op.execute(f"ALTER TABLE complaint {', '.join(changes)}")


def _checks_swapped(sql: str, new: bool) -> str:
    """SQLite's table SQL with the three checks as they are now (`new`) or as 0003 made them."""
    for name, texts in CHECKS.items():
        sql = _replaced(sql, f"CONSTRAINT {name} CHECK ({texts[not new]})", f"CONSTRAINT {name} CHECK ({texts[new]})")
    return sql


def _table_sql() -> str:
    return op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'complaint'").scalar_one()


def _replaced(sql: str, old: str, new: str) -> str:
    """`old` replaced by `new` in the table's SQL, where it occurs exactly once (else the table is not the one
    this migration knows, and nothing is changed)."""
    if sql.count(old) != 1:
        raise RuntimeError(f"complaint's table is not as this migration knows it: {old!r} not found once in {sql}")
    return sql.replace(old, new)


def _without(sql: str, clause: str) -> str:
    """The table's SQL without one of its table constraints (one to a line, as SQLAlchemy writes them)."""
    found = re.findall(rf",\s*\n\s*{re.escape(clause)}(?=,\s*\n|\s*\n\))", sql)
    if len(found) != 1:
        raise RuntimeError(f"complaint's table is not as this migration knows it: {clause!r} not found once in {sql}")
    return sql.replace(found[0], "")


def _rebuild(sql: str, leaving: str = "") -> None:
    """complaint made again from `sql`, its rows and indexes (but `leaving`) kept. The new table is filled before
    the old one goes; should the migration stop before its end, the rollback leaves the old one as it was (the
    empty new table, made outside the transaction by SQLite's driver, is dropped when the migration runs again)."""
    bind = op.get_bind()
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar_one():
        raise RuntimeError("Rebuilding complaint with foreign keys on would delete every complaint's events and "
                           "attachments; migrations/env.py turns them off on SQLite.")
    indexes = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'complaint' AND sql IS NOT NULL "
        "ORDER BY name").all()
    op.execute(f"DROP TABLE IF EXISTS {REBUILT}")
    made, found = re.subn(r'^CREATE TABLE "?complaint"? \(', f"CREATE TABLE {REBUILT} (", sql)  # quoted if renamed
    if found != 1:
        raise RuntimeError(f"complaint's table is not as this migration knows it: {sql}")
    op.execute(made)
    op.execute(f"INSERT INTO {REBUILT} SELECT * FROM complaint")
    op.execute("DROP TABLE complaint")
    op.execute(f"ALTER TABLE {REBUILT} RENAME TO complaint")
    for name, index_sql in indexes:
        if name != leaving:
            op.execute(index_sql)
    for table in ("complaint", "complaint_event", "complaint_attachment"):
        if problems := bind.exec_driver_sql(f"PRAGMA foreign_key_check({table})").all():
            raise RuntimeError(f"{table} refers to rows that are not there: {problems[:5]}")
