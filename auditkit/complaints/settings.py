"""An organisation's complaint-handling settings, kept in `Organisation.settings["complaints"]`: the
reference pattern, the working week and holidays, and the targets per severity. Defaults apply to any key
not set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from auditkit.complaints.clock import Calendar, Duration
from auditkit.orgs.models import Organisation

DEFAULT_PATTERN = "CMP-{year}-{seq:06}"
# Acknowledge and respond, per severity; severity is unknown until the initial assessment: "medium" then.
DEFAULT_TARGETS = {
    "low": {"acknowledge": (2, "business_days"), "respond": (30, "business_days")},
    "medium": {"acknowledge": (2, "business_days"), "respond": (20, "business_days")},
    "high": {"acknowledge": (24, "hours"), "respond": (10, "business_days")},
    "critical": {"acknowledge": (4, "hours"), "respond": (5, "business_days")},
}


@dataclass(frozen=True)
class ComplaintSettings:
    pattern: str
    calendar: Calendar
    targets: dict[str, dict[str, Duration]]

    def calendar_zone(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.calendar.timezone)

    def target(self, severity: str | None, step: str) -> Duration:
        return self.targets.get(severity or "medium", self.targets["medium"])[step]


def settings_of(organisation: Organisation) -> ComplaintSettings:
    own = (organisation.settings or {}).get("complaints", {})
    targets = {severity: {step: Duration(*own.get("targets", {}).get(severity, {}).get(step, default))
                          for step, default in steps.items()}
               for severity, steps in DEFAULT_TARGETS.items()}
    calendar = Calendar(timezone=organisation.timezone,
                        working_days=frozenset(own.get("working_days", [0, 1, 2, 3, 4])),
                        holidays=frozenset(date.fromisoformat(d) for d in own.get("holidays", [])))
    return ComplaintSettings(pattern=own.get("reference_pattern", DEFAULT_PATTERN), calendar=calendar,
                             targets=targets)
