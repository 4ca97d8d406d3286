"""The day tallies: the KPI engine gives the same figures from them as from the complaints themselves, for
any window and filter; every way a complaint changes (the lifecycle, an edit, a deletion, the import, the
demo, a change of time zone) leaves them as a fresh count would; the pending complaints' partial index is
what the time-dependent counts read."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text

from auditkit.complaints import lifecycle, metrics, tallies
from auditkit.complaints.metric_specs import DURATIONS, PENDING
from auditkit.complaints.metrics import Filter, Window
from auditkit.complaints.models import Complaint
from auditkit.complaints.tally_models import Tally, TallyDay, TallyState
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of
from tests.test_complaint_metrics import ALL_KEYS, NOW, WINDOW, build_register

D = timedelta(days=1)
TEHRAN_DAY = timedelta(hours=3, minutes=30)  # UTC midnight is 03:30 in Tehran
WINDOWS = {
    "quarter in UTC days": WINDOW,
    "local days": Window(datetime(2025, 1, 1, tzinfo=UTC) - TEHRAN_DAY, datetime(2025, 3, 1, tzinfo=UTC) - TEHRAN_DAY),
    "within one day": Window(datetime(2025, 2, 20, 6, tzinfo=UTC), datetime(2025, 2, 20, 12, tzinfo=UTC)),
    "nothing in it": Window(datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 2, 1, tzinfo=UTC)),
    "two years": Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
}


def from_the_complaints(monkeypatch, organisation, *args, **kwargs):
    """The figures as the KPI engine counts them without the tallies."""
    with monkeypatch.context() as patch:
        patch.setattr(tallies, "complete", lambda *_: False)
        return metrics.compute(organisation, *args, **kwargs)


def stored(organisation_id: int) -> tuple[list, list]:
    """The organisation's tallies as stored: rows without ids, days with their durations."""
    rows = db.session.execute(select(Tally).where(Tally.organisation_id == organisation_id)).scalars().all()
    columns = [column.name for column in Tally.__table__.columns if column.name != "id"]
    days = db.session.execute(select(TallyDay.day, TallyDay.durations).where(
        TallyDay.organisation_id == organisation_id).order_by(TallyDay.day)).all()
    return (sorted((tuple(getattr(row, name) for name in columns) for row in rows), key=repr),
            [(day, durations) for day, durations in days if any(durations.values())])


def assert_in_step(organisation_id: int) -> None:
    """The stored tallies are what counting every day afresh gives."""
    before = stored(organisation_id)
    tallies.rebuild(db.session.connection(), organisation_id)
    assert stored(organisation_id) == before


@pytest.fixture
def register(make):
    return build_register(make)


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
def test_the_tallies_give_the_figures_the_complaints_give(register, monkeypatch, window):
    organisation = register.organisation
    assert tallies.complete(db.session.connection(), organisation)
    for filter in (None, Filter(channel="phone"), Filter(category_id=register.network.id),
                   Filter(severity="medium", channel="email"), Filter(product="Router"),
                   Filter(assignee_id=register.assignee.id)):
        assert metrics.compute(organisation, ALL_KEYS, window, filter, now=NOW) == from_the_complaints(
            monkeypatch, organisation, ALL_KEYS, window, filter, now=NOW), (window, filter)
    by_month = [key for key in ALL_KEYS if metrics.monthly(key)]
    for split in (None, *metrics.SPLITS):
        tallied = metrics.series(organisation, by_month, window, now=NOW, split=split)
        with monkeypatch.context() as patch:
            patch.setattr(tallies, "complete", lambda *_: False)
            assert tallied == metrics.series(organisation, by_month, window, now=NOW, split=split)


def test_whole_days_are_read_from_the_tallies(register, count_queries):
    with count_queries() as statements:
        metrics.compute(register.organisation, ["received", "ack_median_hours"], WINDOWS["local days"], now=NOW)
    read = " ".join(statements)
    assert "complaint_tally" in read and "complaint_tally_day" in read
    # Local days exactly: no partial day at either edge is counted from the complaints (only the pending).
    assert read.count("FROM complaint ") + read.count("FROM complaint\n") == 1


def test_every_step_of_the_lifecycle_keeps_them_in_step(register, make, monkeypatch):
    organisation, complaints = register.organisation, register.complaints
    actor = actor_of(make.member(organisation, Role.HANDLER), organisation)
    c11, c19, c14 = complaints["c11"], complaints["c19"], complaints["c14"]
    lifecycle.acknowledge_complaint(actor, c11, version=c11.version, method="email")
    lifecycle.communicate_decision(actor, c19, version=c19.version, method="letter", note="Refund agreed.")
    lifecycle.reopen_complaint(actor, c14, version=c14.version, reason="The refund never came.")
    db.session.flush()
    assert_in_step(organisation.id)
    assert metrics.compute(organisation, ALL_KEYS, WINDOW, now=NOW) == from_the_complaints(
        monkeypatch, organisation, ALL_KEYS, WINDOW, now=NOW)


def test_edits_moves_and_deletions_keep_them_in_step(register, monkeypatch):
    organisation, complaints = register.organisation, register.complaints
    complaints["c3"].received_at += 9 * D  # moves to another day
    complaints["c4"].closed_at = None  # leaves the day it was closed
    complaints["c5"].category_id = register.billing.id
    complaints["c6"].severity = "critical"
    db.session.delete(complaints["c13"])
    db.session.flush()
    assert_in_step(organisation.id)
    assert metrics.compute(organisation, ALL_KEYS, WINDOW, now=NOW) == from_the_complaints(
        monkeypatch, organisation, ALL_KEYS, WINDOW, now=NOW)


def test_an_import_counts_its_days(register, make, monkeypatch):
    from auditkit.complaints.importing import import_complaints

    organisation = register.organisation
    user = make.member(organisation, Role.MANAGER)
    rows = "\n".join(f"imp-{n},2025-02-{n + 1:02d}T10:00:00+00:00,phone,Person {n},p{n}@example.org,Late call"
                     for n in range(20))
    source = io.BytesIO(f"external_id,received_at,channel,complainant_name,email,description\n{rows}\n".encode())
    report = import_complaints(actor_of(user, organisation), organisation, source, file_name="more.csv")
    assert report.written == 20
    assert_in_step(organisation.id)
    assert metrics.compute(organisation, ALL_KEYS, WINDOW, now=NOW) == from_the_complaints(
        monkeypatch, organisation, ALL_KEYS, WINDOW, now=NOW)
    assert metrics.figure(organisation, "received", WINDOW, now=NOW) == 40


def test_a_new_time_zone_reads_the_complaints_until_the_next_change_recounts(register, monkeypatch):
    organisation = register.organisation
    organisation.timezone = "America/New_York"
    db.session.flush()
    assert not tallies.complete(db.session.connection(), organisation)
    raw = from_the_complaints(monkeypatch, organisation, ALL_KEYS, WINDOW, now=NOW)
    assert metrics.compute(organisation, ALL_KEYS, WINDOW, now=NOW) == raw
    register.complaints["c2"].escalation_level = 1  # the next change rebuilds in the new zone
    db.session.flush()
    assert tallies.complete(db.session.connection(), organisation)
    assert db.session.execute(select(TallyState.timezone).where(
        TallyState.organisation_id == organisation.id)).scalar_one() == "America/New_York"
    assert_in_step(organisation.id)
    assert metrics.figure(organisation, "escalated_internal", WINDOW, now=NOW) == raw["escalated_internal"] + 1


def test_an_organisation_without_tallies_gets_them_at_its_first_change(register, monkeypatch):
    organisation = register.organisation
    db.session.execute(delete(TallyState).where(TallyState.organisation_id == organisation.id))
    db.session.execute(delete(Tally).where(Tally.organisation_id == organisation.id))
    assert metrics.compute(organisation, ALL_KEYS, WINDOW, now=NOW) == from_the_complaints(
        monkeypatch, organisation, ALL_KEYS, WINDOW, now=NOW)
    register.complaints["c1"].product = "Modem"
    db.session.flush()
    assert tallies.complete(db.session.connection(), organisation)
    assert_in_step(organisation.id)


def test_the_demo_counts_its_days(make, monkeypatch):
    from auditkit.complaints.demo import TELECOM, seed_organisation_complaints

    organisation = make.organisation(slug="demo-tallies", timezone="Asia/Shanghai")
    make.member(organisation, Role.HANDLER)
    seed_organisation_complaints(organisation, TELECOM, count=300, seed="tallies")
    db.session.flush()
    assert_in_step(organisation.id)
    now = datetime.now(UTC)
    window = Window(now - 400 * D, now)
    assert metrics.compute(organisation, ALL_KEYS, window, now=now) == from_the_complaints(
        monkeypatch, organisation, ALL_KEYS, window, now=now)


@pytest.mark.sqlite_only
def test_the_time_dependent_counts_and_the_durations_read_their_partial_indexes(register):
    plan = db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT count(*) FROM complaint WHERE organisation_id = :o AND received_at >= :a "
        f"AND {PENDING.text}"), {"o": register.organisation.id, "a": "2025-01-01"}).all()
    assert "ix_complaint_pending" in " ".join(str(row[-1]) for row in plan)
    histogram = DURATIONS["resolve"].histogram("sqlite", [Complaint.organisation_id == register.organisation.id,
                                                          Complaint.received_at >= WINDOW.start])
    compiled = histogram.compile(db.session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    assert "COVERING INDEX ix_complaint_answered" in " ".join(str(row[-1]) for row in plan)
    plan = db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT channel, count(*) FROM complaint WHERE organisation_id = :o AND closed_at >= :a "
        "AND closed_at < :b AND status = 'closed' GROUP BY channel"),
        {"o": register.organisation.id, "a": "2025-01-01", "b": "2025-04-01"}).all()
    assert "COVERING INDEX ix_complaint_closed" in " ".join(str(row[-1]) for row in plan)


def test_a_time_just_before_midnight_stays_in_its_day(make):
    organisation = make.organisation(timezone="UTC")  # no clock change: days are counted by arithmetic
    late = datetime(2025, 3, 1, 23, 59, 59, 999_900, tzinfo=UTC)
    for n, at in enumerate((late, late + timedelta(microseconds=100), late + D)):
        db.session.add(Complaint(organisation_id=organisation.id, reference=f"m{n}", received_at=at, channel="email",
                                 status="received", description="Late."))
    db.session.flush()
    days = dict(db.session.execute(select(Tally.day, Tally.received__n).where(
        Tally.organisation_id == organisation.id)).all())
    assert {day.isoformat(): n for day, n in days.items()} == {"2025-03-01": 1, "2025-03-02": 2}


def test_a_change_to_an_expired_complaint_recounts_the_day_it_was_on(register):
    complaint = register.complaints["c3"]
    db.session.flush()
    db.session.expire(complaint)  # as after a commit: the old received time is not in memory
    complaint.received_at = datetime(2025, 3, 3, 10, tzinfo=UTC)
    db.session.flush()
    assert_in_step(register.organisation.id)


def test_days_around_a_clock_change_keep_their_complaints(make):
    organisation = make.organisation(timezone="Europe/London")  # clocks go forward on 30 March 2025, 01:00 UTC
    times = {"03-28": datetime(2025, 3, 28, 23, 59, tzinfo=UTC), "03-29": datetime(2025, 3, 29, 23, 59, tzinfo=UTC),
             "03-30": datetime(2025, 3, 30, 22, 59, tzinfo=UTC), "03-31": datetime(2025, 3, 30, 23, 0, tzinfo=UTC),
             "04-01": datetime(2025, 3, 31, 23, 30, tzinfo=UTC)}
    for n, at in enumerate(times.values()):
        db.session.add(Complaint(organisation_id=organisation.id, reference=f"d{n}", received_at=at, channel="email",
                                 status="received", description="Around the clock change."))
    db.session.flush()
    days = dict(db.session.execute(select(Tally.day, Tally.received__n).where(
        Tally.organisation_id == organisation.id)).all())
    assert {day.strftime("%m-%d"): n for day, n in days.items()} == dict.fromkeys(times, 1)
