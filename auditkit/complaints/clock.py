"""Targets and due dates: a duration in hours (round the clock) or in business days on the organisation's
working week and holiday list, counted in its time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

UNITS = ("hours", "business_days")


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays


@dataclass(frozen=True)
class Duration:
    value: int
    unit: str  # hours | business_days


def due_at(start: datetime, duration: Duration, calendar: Calendar) -> datetime:
    """When something started at `start` is due. Business days: the same local time on the Nth working day
    after the day of `start` (a complaint received on a holiday counts from the next working day)."""
    if duration.unit == "hours":
        return start + timedelta(hours=duration.value)
    if not calendar.working_days:
        raise ValueError("a calendar without working days has no business days")
    zone = ZoneInfo(calendar.timezone)
    local = start.astimezone(zone)
    day, remaining = local.date(), duration.value
    while remaining > 0:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), zone).astimezone(start.tzinfo)
