"""Complaint references such as CMP-2026-000123, unique within an organisation, numbered by the race-free
counters of core.counters: one counter per year when the pattern names the year (its numbers start again each
year), else one running counter (stored as year 0), so a pattern such as A-{seq:04} never repeats a reference
when the year turns."""

from __future__ import annotations

from flask_babel import gettext as _

from auditkit.complaints.models import ReferenceCounter
from auditkit.core import counters

RUNNING = 0  # the counter of a pattern without {year}


def counter_of(pattern: str, year: int) -> int:
    """Which counter numbers the references of this pattern in this year."""
    return year if "{year" in pattern else RUNNING


def reserve_block(organisation_id: int, pattern: str, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers for references of the pattern in the organisation's year and return
    the first (imports and the demo take thousands in one update)."""
    return counters.reserve(ReferenceCounter.__table__, organisation_id, counter_of(pattern, year), count)


def next_sequence(organisation_id: int, pattern: str, year: int) -> int:
    return reserve_block(organisation_id, pattern, year)


def format_reference(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def check_pattern(pattern: str) -> str | None:
    """Why a reference pattern cannot be used, or None."""
    if "{seq" not in pattern:
        return _("The pattern needs {seq}, such as CMP-{year}-{seq:06}.")
    try:
        sample = pattern.format(year=2026, seq=1)
    except (KeyError, ValueError, IndexError):
        return _("Use only {year} and {seq} (with an optional width such as {seq:06}).")
    if not sample or len(sample) > 40:
        return _("A reference must be 1 to 40 characters long.")
    return None
