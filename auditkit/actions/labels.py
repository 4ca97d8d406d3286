"""The words pages, exports and mails use for an action's states, steps, kinds, priorities and methods."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "open": _l("Open"), "root_cause_found": _l("Root cause found"), "planned": _l("Planned"),
    "implemented": _l("Implemented"), "check_due": _l("Effectiveness check due"),
    "verified_effective": _l("Verified effective"), "not_effective": _l("Not effective"), "closed": _l("Closed"),
}
STEP_LABELS = {
    "raise": _l("Raised"), "find_root_cause": _l("Record the root cause"), "plan": _l("Approve the plan"),
    "implement": _l("Mark implemented"), "request_check": _l("Ask for the effectiveness check"),
    "verify": _l("Verify effectiveness"), "close": _l("Close"), "edit": _l("Edited"), "task": _l("Task added"),
    "task_done": _l("Task done"), "task_reopened": _l("Task reopened"),
}
KIND_LABELS = {"correction": _l("Correction"), "corrective": _l("Corrective action"),
               "preventive": _l("Preventive action"), "improvement": _l("Improvement")}
PRIORITY_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"), "critical": _l("Critical")}
RCA_LABELS = {"five_whys": _l("5 whys"), "fishbone": _l("Fishbone (6M)")}
FISHBONE_LABELS = {"people": _l("People"), "methods": _l("Methods"), "machines": _l("Machines and equipment"),
                   "materials": _l("Materials"), "measurement": _l("Measurement"),
                   "environment": _l("Environment")}
VERDICT_LABELS = {"effective": _l("Effective"), "not_effective": _l("Not effective"),
                  "inconclusive": _l("Too few complaints to tell")}
