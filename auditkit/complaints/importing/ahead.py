"""Batches made ahead: the import's Python work on the next batches (reading the spool, due dates, references,
each value's conversion for the database) done in one worker thread while the caller's thread waits for the
database to write the current one. PostgreSQL works in its own process, so the two overlap (SQLite's writing is
the caller's own process: there the import does without it, see the service); the worker never touches the
database or the session."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_END = object()


@contextmanager
def made_ahead(items: Iterable[T], depth: int = 2) -> Iterator[Iterator[T]]:
    """The items in their order, each made in a worker thread up to `depth` items before it is taken. An error
    in making one is raised where that item would have been taken. Leaving the block early (an error while
    writing) cancels what was not begun and waits for the item being made, so nothing runs on afterwards."""
    source = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="made-ahead") as worker:
        coming = deque(worker.submit(next, source, _END) for _ in range(depth))

        def taken() -> Iterator[T]:
            while (item := coming.popleft().result()) is not _END:
                coming.append(worker.submit(next, source, _END))
                yield item

        try:
            yield taken()
        finally:
            for future in coming:
                future.cancel()
