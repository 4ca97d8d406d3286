"""The words pages (and reports) use for an assessment's states, kinds and evidence windows, and for the live
figures beside its questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {"draft": _l("Draft"), "in_progress": _l("In progress"), "in_review": _l("In review"),
                 "final": _l("Final")}
STATUS_CLASSES = {"draft": "text-bg-secondary", "in_progress": "text-bg-primary", "in_review": "text-bg-warning",
                  "final": "text-bg-success"}
KIND_LABELS = {"baseline": _l("Baseline"), "follow_up": _l("Follow-up")}
# The windows offered for the live figures, in days.
WINDOWS = {90: _l("90 days"), 180: _l("180 days"), 365: _l("1 year (365 days)"), 730: _l("2 years (730 days)")}
BREAKDOWN_LABELS = {"by_channel": _l("Complaints by channel"), "by_category": _l("Complaints by category"),
                    "by_severity": _l("Complaints by severity"), "by_product": _l("Complaints by product"),
                    "by_month": _l("Complaints by month")}
