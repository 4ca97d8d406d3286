"""Batches made ahead of their writing: in order, in another thread, an error raised where its item would
have been taken, and nothing left running when the writing stops early."""

from __future__ import annotations

import threading
import time

import pytest

from auditkit.complaints.importing.ahead import made_ahead

pytestmark = pytest.mark.engine_independent


def test_items_come_in_order_made_in_another_thread_at_most_depth_ahead():
    made: list[tuple[int, str]] = []
    taken: list[int] = []

    def items():
        for n in range(10):
            made.append((n, threading.current_thread().name))
            yield n

    with made_ahead(items(), depth=2) as ready:
        for n in ready:
            time.sleep(0.01)  # the worker runs on meanwhile, but no further than two ahead
            assert len(made) <= n + 3
            taken.append(n)
    assert taken == list(range(10))
    assert {name for _, name in made} != {threading.current_thread().name}


def test_an_error_in_making_is_raised_where_its_item_would_be_taken():
    def items():
        yield 1
        yield 2
        raise ValueError("row 3 could not be made")

    taken = []
    with pytest.raises(ValueError, match="row 3"), made_ahead(items()) as ready:
        taken.extend(ready)
    assert taken == [1, 2]


def test_stopping_early_leaves_nothing_running():
    made = []

    def items():
        for n in range(1000):
            made.append(n)
            yield n

    with pytest.raises(RuntimeError), made_ahead(items(), depth=3) as ready:
        for n in ready:
            if n == 5:
                raise RuntimeError("the database refused batch 5")
    count = len(made)
    time.sleep(0.05)
    assert count == len(made) <= 5 + 1 + 3  # the one being made finished; nothing after it was begun
    assert not [t for t in threading.enumerate() if t.name.startswith("made-ahead")]
