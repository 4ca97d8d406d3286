"""The checked rows between an import's two passes, handed back in the order the complaints were received
(then in file order), with bounded memory: an external merge sort in a temporary file.

Rows come in as pass 1 checks them. Every RUN rows are sorted in memory and written as chunks of CHUNK rows;
reading merges the sorted runs, holding one chunk of each, or, when each run starts where the one before ended
(a file already in time order), reads them one after the other. An import that fits in one run is never
written.

Why the order: the rows then go into every index of complaint ordered by received time (the register's, and
those by status, channel, category and pending) near the index's end instead of all over it, and references
and ids follow the order of receipt, as they would have had the complaints been registered as they came. At a
million rows the writing takes a third less time; the memory held is about RUN rows while checking and
CHUNK rows per run while writing."""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterator
from itertools import chain, islice
from typing import Any

RUN = 25_000  # rows sorted in memory at a time
CHUNK = 500  # rows per pickled chunk of a run: what the merge holds of each run


class SortedSpool:
    """Rows added in any order, read back sorted by `key` (stable: equal keys keep the order added)."""

    def __init__(self, key: Callable[[tuple], Any]):
        self.key = key
        self.count = 0
        self._rows: list[tuple] = []
        self._runs: list[tuple[int, int]] = []  # (offset in the file, chunks)
        self._in_order = True  # each run starts at or after the end of the one before (a file sorted by time)
        self._last: Any = None  # the last key of the latest run
        self._file = None

    def add(self, rows: list[tuple]) -> None:
        self._rows.extend(rows)
        self.count += len(rows)
        if len(self._rows) >= RUN:
            self._spill()

    def batches(self, size: int) -> Iterator[list[tuple]]:
        """Every row added, sorted, in lists of `size` (the last may be shorter)."""
        if not self._runs:
            self._rows.sort(key=self.key)
            rows, self._rows = self._rows, []
            for start in range(0, len(rows), size):
                yield rows[start:start + size]
            return
        if self._rows:
            self._spill()
        runs = [self._run(offset, chunks) for offset, chunks in self._runs]
        merged = chain.from_iterable(runs) if self._in_order else heapq.merge(*runs, key=self.key)
        while batch := list(islice(merged, size)):
            yield batch

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> SortedSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _spill(self) -> None:
        self._rows.sort(key=self.key)
        if self._runs and self.key(self._rows[0]) < self._last:
            self._in_order = False
        self._last = self.key(self._rows[-1])
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), as the spool's context ends
        self._file.seek(0, 2)
        offset, rows = self._file.tell(), self._rows
        for start in range(0, len(rows), CHUNK):
            pickle.dump(rows[start:start + CHUNK], self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append((offset, -(-len(rows) // CHUNK)))
        self._rows = []

    def _run(self, offset: int, chunks: int) -> Iterator[tuple]:
        """One run's rows, a chunk at a time. The runs share the file, so each read starts with a seek."""
        for _ in range(chunks):
            self._file.seek(offset)
            rows = pickle.load(self._file)  # noqa: S301 - this spool's own file, never a user's
            offset = self._file.tell()
            yield from rows
