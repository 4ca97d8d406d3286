"""Stored files (uploads, generated documents): bytes kept under a random key in the upload folder
(`UPLOAD_FOLDER`, by default `instance/uploads/`). A key is made here, from random hex and a suffix the
caller chose from its own fixed list; it never holds anything a user typed, so it cannot name a path outside
the folder. Writes are atomic: a reader sees the whole file or none.

The folder is the only state: several workers or hosts share it like they share the database (a network
mount), or a later backend replaces these three functions.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import current_app

_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_KEY = re.compile(r"[0-9a-f]{32}(?:\.[a-z0-9]{1,10})?")


def folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def _path(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a storage key: {key!r}")
    return folder() / key


def save(content: bytes, *, suffix: str = "") -> str:
    """Store the bytes under a new random key (ending in `suffix`, such as ".pdf") and return the key."""
    if suffix and not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"a storage suffix is a dot and up to 10 lower-case letters or digits: {suffix!r}")
    directory = folder()
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16) + suffix
    target = directory / key
    temporary = directory / f".{key}.{secrets.token_hex(4)}.part"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, target)  # fails rather than overwrite, should 128 random bits ever repeat
    finally:
        temporary.unlink(missing_ok=True)
    return key


def open(key: str) -> bytes:  # the storage's own verb, called as storage.open(key)
    """The bytes stored under `key`; FileNotFoundError when there are none."""
    return _path(key).read_bytes()


def exists(key: str) -> bool:
    return _path(key).is_file()


def delete(key: str) -> None:
    """Remove the file; removing one that is already gone is not an error."""
    _path(key).unlink(missing_ok=True)
