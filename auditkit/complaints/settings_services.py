"""Changing an organisation's complaint-handling settings: reference pattern, working week, holidays,
targets per severity, number of customers (for the rate per 1,000).

Refuses: a role without `complaint.settings`; a stale organisation version (409); a pattern without {seq};
a week without working days; a holiday that is not a date; a target that is not a whole number from 1 to
999 in hours or business days; a customer count below 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from auditkit.complaints.clock import UNITS
from auditkit.complaints.references import check_pattern
from auditkit.complaints.settings import DEFAULT_TARGETS
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation


@dataclass
class SettingsChange:
    version: int
    reference_pattern: str
    working_days: list[int]
    holidays: list[str]
    targets: dict[str, dict[str, tuple[int, str]]]
    customers: int | None = None


def update_complaint_settings(actor: Actor, organisation: Organisation, change: SettingsChange) -> None:
    require(actor, "complaint.settings")
    if change.version != organisation.version:
        raise Conflict()
    errors: dict[str, list[str]] = {}
    if problem := check_pattern(change.reference_pattern.strip()):
        errors["reference_pattern"] = [problem]
    days = sorted({d for d in change.working_days if d in range(7)})
    if not days:
        errors["working_days"] = [_("Choose at least one working day.")]
    holidays = []
    for text in change.holidays:
        try:
            holidays.append(date.fromisoformat(text.strip()).isoformat())
        except ValueError:
            errors.setdefault("holidays", []).append(_("%(text)s is not a date like 2026-03-21.", text=text.strip()))
    targets = {}
    for severity in DEFAULT_TARGETS:
        targets[severity] = {}
        for step in ("acknowledge", "respond"):
            value, unit = change.targets.get(severity, {}).get(step, DEFAULT_TARGETS[severity][step])
            if not isinstance(value, int) or not 1 <= value <= 999 or unit not in UNITS:
                errors[f"{severity}_{step}"] = [_("Give a whole number from 1 to 999, in hours or business days.")]
            targets[severity][step] = [value, unit]
    if change.customers is not None and change.customers < 0:
        errors["customers"] = [_("The number of customers cannot be negative.")]
    if errors:
        raise ValidationFailed(errors)
    settings = dict(organisation.settings or {})
    settings["complaints"] = {"reference_pattern": change.reference_pattern.strip(), "working_days": days,
                              "holidays": sorted(set(holidays)), "targets": targets,
                              **({"customers": change.customers} if change.customers else {})}
    organisation.settings = settings  # a new dict: the change is seen, versioned and audited
    db.session.flush()
