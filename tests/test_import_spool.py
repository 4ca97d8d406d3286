"""The import's sorted spool: rows handed back in the order received, whatever the file's order, with the
references and ids of the written complaints following it."""

from __future__ import annotations

import io
import itertools
import random
from operator import itemgetter

from sqlalchemy import select

from auditkit.complaints.importing import import_complaints, spool
from auditkit.complaints.importing.spool import SortedSpool
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.extensions import db
from tests.conftest import actor_of


def test_rows_come_back_sorted_and_stable_across_runs_and_chunks(monkeypatch):
    monkeypatch.setattr(spool, "RUN", 7)
    monkeypatch.setattr(spool, "CHUNK", 3)
    rng = random.Random(5)
    rows = [(rng.randrange(10), n) for n in range(100)]  # many equal keys: their order must be kept
    with SortedSpool(itemgetter(0)) as sorted_rows:
        for start in range(0, 100, 9):
            sorted_rows.add(rows[start:start + 9])
        batches = list(sorted_rows.batches(8))
        assert len(sorted_rows._runs) == 12  # the merge, not one run in memory, gave them back
    assert [len(batch) for batch in batches] == [8] * 12 + [4]
    assert [row for batch in batches for row in batch] == sorted(rows, key=itemgetter(0))


def test_runs_already_in_order_are_read_one_after_the_other(monkeypatch):
    monkeypatch.setattr(spool, "RUN", 5)
    monkeypatch.setattr(spool, "CHUNK", 2)
    rows = [(n // 3, n) for n in range(40)]  # a file in time order, with ties
    with SortedSpool(itemgetter(0)) as in_order:
        for start in range(0, 40, 7):
            in_order.add(rows[start:start + 7])
        assert [row for batch in in_order.batches(6) for row in batch] == rows
        assert len(in_order._runs) == 6 and in_order._in_order
    with SortedSpool(itemgetter(0)) as late:  # one row arrives after a later one was spilled: merged after all
        late.add(rows[:10])
        late.add([(0, "late"), *rows[10:]])
        assert [row for batch in late.batches(6) for row in batch] == sorted([*rows, (0, "late")],
                                                                            key=itemgetter(0))
        assert not late._in_order


def test_one_run_is_sorted_in_memory_and_never_written():
    with SortedSpool(itemgetter(0)) as sorted_rows:
        sorted_rows.add([(3, "c"), (1, "a"), (2, "b"), (1, "a2")])
        assert [row for batch in sorted_rows.batches(3) for row in batch] == [(1, "a"), (1, "a2"), (2, "b"),
                                                                              (3, "c")]
        assert sorted_rows._file is None and sorted_rows.count == 4


def test_an_import_in_any_order_is_written_in_the_order_received(handler, org, monkeypatch):
    monkeypatch.setattr(spool, "RUN", 4)
    monkeypatch.setattr(spool, "CHUNK", 2)
    days = list(range(1, 21))
    random.Random(3).shuffle(days)
    lines = [f"x-{day},2025-01-{day:02d}T09:00,email,N{day},n{day}@example.org,,,Complaint of day {day},"
             for day in days]
    content = ("external_id,received_at,channel,complainant_name,email,phone,category,description,occurred_on\n"
               + "\n".join(lines) + "\n").encode()
    report = import_complaints(actor_of(handler, org), org, io.BytesIO(content))
    assert report.written == 20
    written = db.session.execute(select(Complaint.external_id, Complaint.reference, Complaint.id).where(
        Complaint.organisation_id == org.id).order_by(Complaint.received_at)).all()
    assert [row.external_id for row in written] == [f"x-{day}" for day in range(1, 21)]
    assert [row.reference for row in written] == [f"CMP-2025-{n:06d}" for n in range(1, 21)]
    assert [row.id for row in written] == sorted(row.id for row in written)
    # Each receive event still names its own complaint, at its received time.
    events = db.session.execute(
        select(ComplaintEvent.at, Complaint.received_at).join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.organisation_id == org.id)).all()
    assert len(events) == 20 and all(event.at == event.received_at for event in events)


def test_ids_taken_by_other_sessions_meanwhile_still_pair_each_event_with_its_complaint(handler, org, monkeypatch,
                                                                                         engine_name):
    """On PostgreSQL the ids come from the shared sequence; when other sessions took some while the import took
    its own (here: a sequence counting in threes), they are no range, and the batches name them one by one. On
    SQLite they follow the largest, under its only write lock: always a range."""
    from auditkit.complaints.importing import service

    monkeypatch.setattr(service, "BATCH", 3)
    connection, postgresql = db.session.connection(), engine_name == "postgresql"
    step = 3 if postgresql else 1
    if postgresql:
        sequence = connection.exec_driver_sql("SELECT pg_get_serial_sequence('complaint', 'id')").scalar_one()
        connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} INCREMENT BY {step}")
    try:
        lines = [f"g-{day},2025-02-{day:02d}T10:00,phone,N{day},n{day}@example.org,,,Gap {day},"
                 for day in range(1, 8)]
        content = ("external_id,received_at,channel,complainant_name,email,phone,category,description,occurred_on\n"
                   + "\n".join(lines) + "\n").encode()
        assert import_complaints(actor_of(handler, org), org, io.BytesIO(content)).written == 7
    finally:
        if postgresql:
            connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
    ids = list(db.session.execute(select(Complaint.id).where(Complaint.organisation_id == org.id)
                                  .order_by(Complaint.received_at)).scalars())
    assert [b - a for a, b in itertools.pairwise(ids)] == [step] * 6
    events = db.session.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.data).where(
        ComplaintEvent.complaint_id.in_(ids)).order_by(ComplaintEvent.complaint_id)).all()
    assert [event.complaint_id for event in events] == ids
    assert {event.data["channel"] for event in events} == {"phone"}
