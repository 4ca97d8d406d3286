"""Benchmark of the complaint register at scale (issue 4): import rate and peak memory beside a raw
executemany of the same rows, and server time of the register's first page and page 10,000, a filtered
page, the KPI overview over 12 months and a complaint's page (with its SQL query count) at the 95th
percentile. Not part of the test suite.

    .venv/bin/python bench/complaints.py --engine sqlite --rows 1000000
    .venv/bin/python bench/complaints.py --engine postgresql --rows 1000000

Each run builds its own database (a file in a temporary folder, or a PostgreSQL schema `bench`)."""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, create_engine, event, text

from auditkit import create_app
from auditkit.complaints import tallies
from auditkit.core.db import UTCDateTime
from auditkit.core.security import Actor, Role
from auditkit.extensions import db

CHANNELS = ("phone", "web_form", "email", "in_person", "letter", "social_media", "api")
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=540)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "received_at", "channel", "complainant_name", "email", "category",
                      "product", "description"])
        for n in range(rows):
            at = start + timedelta(seconds=rng.randrange(540 * 86400))
            out.writerow([f"b-{n}", at.isoformat(), rng.choice(CHANNELS), f"Customer {n}",
                          f"c{n % 50000}@example.org",
                          rng.choice(("billing", "service", "product", "other")), f"Plan {n % 20}",
                          f"Complaint {n}: the service stopped working and nobody called back."])


def live_lifecycle(organisation_id: int, now: datetime) -> None:
    """Give the imported complaints the lives a register's complaints have had (the import brings them all in
    as received): most acknowledged within a day, assessed, decided, told and closed within weeks, a few still
    open, withdrawn, rejected, escalated, reopened or referred out, surveys sent at closure and some answered.
    Set up, not timed."""
    rng = random.Random(11)
    rows = db.session.execute(text("SELECT id, received_at FROM complaint WHERE organisation_id = :o"),
                              {"o": organisation_id}).all()
    hours = timedelta(hours=1)
    updates = []
    for ident, received in rows:
        received = received if isinstance(received, datetime) else datetime.fromisoformat(received)
        received = received.replace(tzinfo=received.tzinfo or UTC)
        row = dict.fromkeys(("acknowledged_at", "assessed_at", "decided_at", "communicated_at", "closed_at",
                             "survey_sent_at", "survey_answered_at", "accepted", "satisfaction_rating",
                             "severity"))
        row.update(i=ident, status="received", escalation=0, reopens=0)
        fate = rng.random()
        if fate < 0.02:
            row["status"] = "withdrawn"
        elif fate < 0.04:
            row["status"] = "rejected"
        acknowledged = received + hours * rng.uniform(0.2, 40)
        if acknowledged < now and fate >= 0.01:
            row["acknowledged_at"], row["status"] = acknowledged, row["status"] if fate < 0.04 else "acknowledged"
            assessed = acknowledged + hours * rng.uniform(0.5, 30)
            if assessed < now and fate >= 0.04:
                row.update(assessed_at=assessed, status="under_investigation",
                           severity=rng.choices(("low", "medium", "high", "critical"), (50, 30, 15, 5))[0])
                decided = assessed + hours * rng.expovariate(1 / 200)
                if decided < now and rng.random() > 0.03:
                    communicated = decided + hours * rng.uniform(1, 48)
                    row.update(decided_at=decided, status="response_decided")
                    if communicated < now:
                        row.update(communicated_at=communicated, status="decision_communicated")
                        closed = communicated + hours * rng.uniform(24, 240)
                        if closed < now:
                            row.update(closed_at=closed, status="closed", accepted=rng.random() < 0.8,
                                       survey_sent_at=closed, escalation=int(rng.random() < 0.05),
                                       reopens=int(rng.random() < 0.02))
                            if rng.random() < 0.35:
                                row.update(survey_answered_at=closed + hours * rng.uniform(1, 100),
                                           satisfaction_rating=rng.choices((1, 2, 3, 4, 5), (10, 10, 20, 35, 25))[0])
        updates.append(row)
    statement = text("UPDATE complaint SET status = :status, acknowledged_at = :acknowledged_at, "
                     "assessed_at = :assessed_at, decided_at = :decided_at, communicated_at = :communicated_at, "
                     "closed_at = :closed_at, accepted = :accepted, survey_sent_at = :survey_sent_at, "
                     "survey_answered_at = :survey_answered_at, satisfaction_rating = :satisfaction_rating, "
                     "severity = :severity, escalation_level = :escalation, reopen_count = :reopens "
                     "WHERE id = :i").bindparams(*(bindparam(name, type_=UTCDateTime()) for name in (
                         "acknowledged_at", "assessed_at", "decided_at", "communicated_at", "closed_at",
                         "survey_sent_at", "survey_answered_at")))
    for start in range(0, len(updates), 10_000):
        db.session.execute(statement, updates[start:start + 10_000])
    # What the lifecycle's services would have kept in step as they went: the day tallies (timed, printed).
    started = time.perf_counter()
    tallies.rebuild(db.session.connection(), organisation_id)
    db.session.commit()
    print(f"day tallies rebuilt in {time.perf_counter() - started:.1f} s")
    if db.engine.dialect.name == "postgresql":  # as autovacuum would, after a million changed rows: statistics,
        # and the visibility map that lets the partial index of pending complaints answer without the table
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE complaint, complaint_tally, complaint_tally_day")


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def timed(client, url: str, repeats: int = 20) -> tuple[float, int]:
    """p95 of `repeats` requests after one untimed warm-up (templates compiled, fonts loaded), as a running
    server would answer them."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return p95(times), response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="auditkit-bench-"))
    if args.engine == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS bench CASCADE"))
            connection.execute(text("CREATE SCHEMA bench"))
        url = f"{PG}?options=-csearch_path%3Dbench"
    import os

    os.environ["AUDITKIT_INSTANCE_PATH"] = str(folder)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "b" * 48, "WTF_CSRF_ENABLED": False})
    source = folder / "complaints.csv"
    write_csv(source, args.rows)
    figures = []
    with app.app_context():
        from flask_migrate import upgrade

        from auditkit.accounts.models import User
        from auditkit.complaints.categories import ensure_default_categories
        from auditkit.complaints.importing import import_complaints
        from auditkit.orgs.models import Membership, Organisation

        upgrade()
        organisation = Organisation(name="Bench", slug="bench", settings={})
        user = User(email="bench@example.org", password_hash="x")
        db.session.add_all([organisation, user])
        db.session.flush()
        db.session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=Role.MANAGER.value))
        ensure_default_categories(organisation.id)
        db.session.commit()
        actor = Actor(user.id, organisation.id, Role.MANAGER, user.email)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        with source.open("rb") as handle:
            report = import_complaints(actor, db.session.get(Organisation, organisation.id), handle,
                                       file_name=source.name)
        db.session.commit()
        rate = args.rows / (time.perf_counter() - started)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the process's peak RSS, MB
        assert report.written == args.rows, report
        # The raw baseline: the same rows with a bare executemany into a scratch table. Run after the import, so
        # that the import's peak memory is its own, not the baseline's batches left in the heap.
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE raw_rows (external_id varchar(100), received_at varchar(40), "
                                    "channel varchar(20), name varchar(200), email varchar(320), category varchar(60), "
                                    "product varchar(200), description text)"))
        started = time.perf_counter()
        with db.engine.begin() as connection, source.open(encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            batch = []
            statement = text("INSERT INTO raw_rows VALUES (:a, :b, :c, :d, :e, :f, :g, :h)")
            for row in reader:
                batch.append(dict(zip("abcdefgh", row, strict=True)))
                if len(batch) == 5000:
                    connection.execute(statement, batch)
                    batch = []
            if batch:
                connection.execute(statement, batch)
        raw_rate = args.rows / (time.perf_counter() - started)
        figures.append(("import rows/s", f"{rate:,.0f}", f"raw executemany {raw_rate:,.0f}/s",
                        f"{rate / raw_rate:.2f}"))
        figures.append(("peak memory (process RSS)", f"{peak:,.0f} MB", f"before the import {rss_before:,.0f} MB", ""))
        slug, user_id, organisation_id = organisation.slug, user.id, organisation.id
        live_lifecycle(organisation_id, datetime.now(UTC))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"
    queries = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(1))
    base = f"/o/{slug}/complaints/"
    first, _ = timed(client, base)
    with app.app_context():
        # The cursor of page 10,000 (50 a page): the 500,000th newest complaint, or the deepest that exists.
        depth = min(args.rows - 1, 499_950)
        at, ident = db.session.execute(text(
            "SELECT received_at, id FROM complaint ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET :n"),
            {"n": depth}).one()
        at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
        cursor = f"{int(at.replace(tzinfo=at.tzinfo or UTC).timestamp() * 1_000_000)}.{ident}"
        one = db.session.execute(text("SELECT id FROM complaint LIMIT 1")).scalar_one()
        billing = db.session.execute(text("SELECT category_id FROM complaint WHERE id = :i"), {"i": one}).scalar_one()
    deep, _ = timed(client, f"{base}?after={cursor}")
    filtered, _ = timed(client, f"{base}?status=closed&category_id={billing}")
    overview, _ = timed(client, f"/o/{slug}/complaints/overview/", repeats=3)
    # Its four charts, images the browser fetches side by side once the page is there: the slowest of them.
    chart = max(timed(client, f"/o/{slug}/complaints/overview/charts/{name}.svg", repeats=3)[0]
                for name in ("volumes", "ack", "resolve", "pareto"))
    queries.clear()
    page, _ = timed(client, f"{base}{one}")
    per_page = len(queries) / 20
    def raw(sql: str, repeats: int = 20, **params) -> float:
        times = []
        with app.app_context():
            for _ in range(repeats):
                started = time.perf_counter()
                statement = text(sql).bindparams(*(bindparam(name, type_=UTCDateTime()) for name in params))
                db.session.execute(statement, {"o": organisation_id, **params}).all()
                times.append((time.perf_counter() - started) * 1000)
        return p95(times)

    page_sql = "SELECT * FROM complaint WHERE organisation_id = :o ORDER BY received_at DESC, id DESC LIMIT 51"
    a_page = raw(page_sql)
    # One bare grouped scan of the overview's twelve months: what a single aggregate over them costs.
    year_ago = datetime.now(UTC) - timedelta(days=365)
    a_scan = raw("SELECT channel, count(*) FROM complaint WHERE organisation_id = :o AND received_at >= :start "
                 "GROUP BY channel", repeats=3, start=year_ago)
    for name, value, base, base_name in (
            ("register, first page (p95)", first, a_page, "raw SELECT of a page"),
            ("register, page 10,000 (p95)", deep, a_page, "raw SELECT of a page"),
            ("register filtered by status and category (p95)", filtered, a_page, "raw SELECT of a page"),
            ("KPI overview, 12 months (p95 of 3)", overview, a_scan, "raw GROUP BY of 12 months"),
            ("its slowest chart image (p95 of 3)", chart, a_scan, "raw GROUP BY of 12 months"),
            ("a complaint's page (p95)", page, a_page, "raw SELECT of a page")):
        figures.append((name, f"{value:,.1f} ms", f"{base_name} {base:,.1f} ms", f"{value / base:.1f}"))
    figures.append(("SQL queries per complaint page", f"{per_page:.0f}", "", ""))
    print(f"\nAuditKit complaint register, {args.rows:,} complaints on {args.engine}\n")
    print(f"{'figure':<48} {'value':>14}  {'baseline':<34} ratio")
    for name, value, base_text, ratio in figures:
        print(f"{name:<48} {value:>14}  {base_text:<34} {ratio}")


if __name__ == "__main__":
    main()
