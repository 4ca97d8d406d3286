"""Complaint references such as CMP-2026-000123, unique within an organisation, numbered by the race-free
counters of core.counters."""

from __future__ import annotations

from flask_babel import gettext as _

from auditkit.complaints.models import ReferenceCounter
from auditkit.core import counters


def reserve_block(organisation_id: int, year: int, count: int = 1) -> int:
    """Reserve `count` consecutive numbers of the organisation's year and return the first (imports and the
    demo take thousands in one update)."""
    return counters.reserve(ReferenceCounter.__table__, organisation_id, year, count)


def next_sequence(organisation_id: int, year: int) -> int:
    return reserve_block(organisation_id, year)


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
