"""Stored files (uploads, generated documents): bytes kept under a random key in the upload folder
(`UPLOAD_FOLDER`, by default `instance/uploads/`). A key is made here, from random hex and a suffix the
caller chose from its own fixed list; it never holds anything a user typed, so it cannot name a path outside
the folder. Writes are atomic: a reader sees the whole file or none.

Files are permanent (a complaint's attachments: removed only by `delete`) or temporary (an import's upload
while its columns are mapped, the rejected rows offered for download): a temporary file lives in the folder's
`tmp/` area under a key that says so (`tmp/<hex>.csv`), and `sweep_temporary` removes those older than an
age. Each save of a temporary file sweeps the area (only it is listed, so it stays cheap) with
TEMPORARY_MAX_AGE, longer than any signed link that may still name such a file; `auditkit storage sweep`
does the same from cron. Permanent files are never swept: their keys cannot start with `tmp/`.

The folder is the only state: several workers or hosts share it like they share the database (a network
mount), or a later backend replaces these functions.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app

# Longer than the longest-lived token naming a temporary file: the import's link to its rejected rows
# (complaints.transfer_views.REJECTED_MAX_AGE, 7 days; the upload token lives 1 day).
TEMPORARY_MAX_AGE = timedelta(days=8)
TEMPORARY_AREA = "tmp"

_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_KEY = re.compile(rf"(?:{TEMPORARY_AREA}/)?[0-9a-f]{{32}}(?:\.[a-z0-9]{{1,10}})?")


def folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _path(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return folder() / key


def save(content: bytes, *, suffix: str = "", temporary: bool = False) -> str:
    """Store the bytes under a new random key (ending in `suffix`, such as ".pdf") and return the key.
    A temporary file is swept once older than TEMPORARY_MAX_AGE (saving one sweeps the older ones)."""
    if suffix and not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"a storage suffix is a dot and up to 10 lower-case letters or digits: {suffix!r}")
    name = secrets.token_hex(16) + suffix
    key = f"{TEMPORARY_AREA}/{name}" if temporary else name
    directory = folder() / TEMPORARY_AREA if temporary else folder()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    partial = directory / f".{name}.{secrets.token_hex(4)}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, target)  # fails rather than overwrite, should 128 random bits ever repeat
    finally:
        partial.unlink(missing_ok=True)
    if temporary:
        sweep_temporary(TEMPORARY_MAX_AGE)
    return key


def open(key: str) -> bytes:  # the storage's own verb, called as storage.open(key)
    """The bytes stored under `key`; FileNotFoundError when there are none."""
    return _path(key).read_bytes()


def exists(key: str) -> bool:
    return _path(key).is_file()


def delete(key: str) -> None:
    """Remove the file; removing one that is already gone is not an error."""
    _path(key).unlink(missing_ok=True)


def sweep_temporary(max_age: timedelta) -> int:
    """Delete the temporary files (and leftovers of interrupted writes among them) last written more than
    `max_age` ago; returns how many were deleted. Another worker sweeping at the same time is no error."""
    cutoff = time.time() - max_age.total_seconds()
    deleted = 0
    try:
        entries = list(os.scandir(folder() / TEMPORARY_AREA))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                continue
            os.unlink(entry.path)
        except FileNotFoundError:
            continue  # swept meanwhile by another worker
        deleted += 1
    return deleted
