"""The keys of the live figures the KPI engine (complaints/metrics.py) computes. Checklist questions name
them; the engine implements each. Keys are stable: rename one and every checklist that cites it breaks."""

FIGURES = (
    "received", "open", "closed", "overdue",
    "ack_within_target_pct", "ack_median_hours",
    "resolve_within_target_pct", "resolve_median_days", "resolve_p90_days",
    "assessment_recorded_pct", "decision_communicated_pct", "closure_accepted_pct", "reopen_rate_pct",
    "escalated_internal", "referred_external_pct",
    "survey_response_pct", "satisfaction_avg", "satisfied_pct",
    "categorised_pct", "per_1000_customers", "repeat_complainant_pct",
)
BREAKDOWNS = ("by_channel", "by_category", "by_severity", "by_product", "by_month")
METRIC_KEYS = frozenset(FIGURES + BREAKDOWNS)
