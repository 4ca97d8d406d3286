"""Whether an action worked, from the live complaint register: for an action about a complaint category or
product, the complaints received in two equal windows either side of its implementation — count, rate per
30 days, share of all complaints received — the recurrences after it by reference, and a suggested verdict.

The windows: `after` runs from the moment the action was implemented to the moment asked (or the check date,
when it has passed: the verdict is about the period the criteria name); `before` is as long and ends where
`after` starts. The suggestion: too few to tell when fewer than MINIMUM complaints fell in the before
window (nothing to reduce); effective when the rate fell by at least REDUCTION; not effective otherwise. The
verifier decides; the evidence is frozen on the action with the decision (`as_record`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from auditkit.actions.models import CorrectiveAction
from auditkit.complaints import metrics
from auditkit.complaints.models import Complaint
from auditkit.core.db import utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

MINIMUM = 5
REDUCTION = 0.25  # a quarter fewer complaints per 30 days
RECURRENCES_SHOWN = 50


@dataclass(frozen=True)
class Side:
    start: str  # ISO times, so the frozen record reads the same forever
    end: str
    count: int
    per_30_days: float
    share_pct: float | None  # of all complaints received in the window


@dataclass(frozen=True)
class Evidence:
    category_id: int | None
    product: str | None
    before: Side
    after: Side
    recurrences: list[str]  # references of the complaints after, newest first (the first RECURRENCES_SHOWN)
    suggestion: str  # effective | not_effective | inconclusive
    computed_at: str

    def as_record(self) -> dict:
        return asdict(self)


def applies(action: CorrectiveAction) -> bool:
    """Whether the register can tell: the action names a category or product and was implemented."""
    return (action.category_id is not None or bool(action.product)) and action.implemented_at is not None


def _side(organisation: Organisation, window: metrics.Window, filter: metrics.Filter) -> Side:
    count = metrics.figure(organisation, "received", window, filter)
    everyone = metrics.figure(organisation, "received", window)
    days = (window.end - window.start).total_seconds() / 86400
    return Side(window.start.isoformat(), window.end.isoformat(), count,
                round(count * 30 / days, 2) if days else 0.0, round(100 * count / everyone, 1) if everyone else None)


def gather(organisation: Organisation, action: CorrectiveAction, now: datetime | None = None) -> Evidence | None:
    """The evidence as of `now` (default: now), or None when the register cannot tell (see applies())."""
    if not applies(action):
        return None
    now = now or utcnow()
    end = now
    if action.check_on is not None:
        zone = ZoneInfo(organisation.timezone or "UTC")
        check_end = datetime.combine(action.check_on + timedelta(days=1), time.min, zone).astimezone(UTC)
        end = min(now, max(check_end, action.implemented_at))
    start = action.implemented_at
    length = max(end - start, timedelta(0))
    filter = metrics.Filter(category_id=action.category_id, product=action.product or None)
    before = _side(organisation, metrics.Window(start - length, start), filter)
    after = _side(organisation, metrics.Window(start, start + length), filter)
    statement = metrics.records(organisation, "received", metrics.Window(start, start + length), filter)
    recurrences = list(db.session.execute(
        statement.with_only_columns(Complaint.reference).limit(RECURRENCES_SHOWN)).scalars()) if after.count else []
    if before.count < MINIMUM:
        suggestion = "inconclusive"
    elif after.per_30_days <= before.per_30_days * (1 - REDUCTION):
        suggestion = "effective"
    else:
        suggestion = "not_effective"
    return Evidence(action.category_id, action.product, before, after, recurrences, suggestion, now.isoformat())
