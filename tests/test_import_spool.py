"""The import's sorted spool: rows handed back in the order received, whatever the file's order, with the
references and ids of the written complaints following it."""

from __future__ import annotations

import io
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
