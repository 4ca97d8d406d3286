"""The KPI overview of the register: every live figure over a window, with charts of volumes by month and
channel, acknowledgement and response within target by month, and the Pareto of categories."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from auditkit.complaints import metrics
from auditkit.complaints.forms import CHANNEL_LABELS
from auditkit.core import charts
from auditkit.core.security import requires
from auditkit.standard.metric_keys import FIGURES

bp = Blueprint("complaint_overview", __name__, url_prefix="/o/<slug>/complaints/overview",
               template_folder="templates")

FIGURE_LABELS = {
    "received": _l("Received"), "open": _l("Open now"), "closed": _l("Closed"), "overdue": _l("Overdue now"),
    "ack_within_target_pct": _l("Acknowledged within target"), "ack_median_hours": _l("Median hours to acknowledge"),
    "resolve_within_target_pct": _l("Decided and told within target"),
    "resolve_median_days": _l("Median days to respond"), "resolve_p90_days": _l("90th percentile, days to respond"),
    "assessment_recorded_pct": _l("Initial assessment recorded"),
    "decision_communicated_pct": _l("Decisions communicated"), "closure_accepted_pct": _l("Closures accepted"),
    "reopen_rate_pct": _l("Reopened"), "escalated_internal": _l("Escalated internally"),
    "referred_external_pct": _l("Referred externally"), "survey_response_pct": _l("Survey responses"),
    "satisfaction_avg": _l("Satisfaction (1–5)"), "satisfied_pct": _l("Satisfied (4 or 5)"),
    "categorised_pct": _l("Categorised"), "per_1000_customers": _l("Per 1,000 customers"),
    "repeat_complainant_pct": _l("Repeat complainants"),
}
TARGET_PCT = 90  # the line drawn on the within-target charts


def _window(timezone: str | None) -> metrics.Window:
    """The days asked (?from=&to=, both included; default the last twelve months to today), as local days of
    the organisation: what its people mean by a day, and what its day tallies count."""
    zone = ZoneInfo(timezone or "UTC")

    def day(name: str, default: date) -> date:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    today = datetime.now(zone).date()
    end = day("to", today)
    start = day("from", (end.replace(day=1) - timedelta(days=335)).replace(day=1))
    if start > end:
        start, end = end, start
    return metrics.Window(datetime.combine(start, time.min, zone).astimezone(UTC),
                          datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC))


@bp.route("/")
@requires("complaint.view")
def overview():
    organisation = g.organisation
    window, zone = _window(organisation.timezone), ZoneInfo(organisation.timezone or "UTC")
    # The figures that add up month by month come with the charts' monthly series from one grouped query.
    by_month = [key for key in FIGURES if metrics.monthly(key)]
    monthly = metrics.series(organisation, by_month, window, split="channel")
    figures = {**metrics.compute(organisation, [key for key in FIGURES if key not in by_month] + ["by_category"],
                                 window), **monthly.total}
    months = monthly.months
    channels = sorted(monthly.split, key=lambda channel: (-sum(monthly.split[channel]["received"]), channel))
    per_channel = {str(CHANNEL_LABELS.get(channel, channel)): monthly.split[channel]["received"]
                   for channel in channels}
    within = {name: [value or 0 for value in monthly.values[f"{name}_within_target_pct"]]
              for name in ("ack", "resolve")}
    categories = [(label.name if label else _("Uncategorised"), count) for label, count in figures["by_category"]]
    titles = {"volumes": _("Complaints by month and channel"),
              "ack": _("Acknowledged within target, in %(unit)s by month", unit="%"),
              "resolve": _("Responded within target, in %(unit)s by month", unit="%"),
              "pareto": _("Categories, largest first (Pareto)")}
    target = _("target %(pct)s%%", pct=TARGET_PCT)
    pictures = {
        "volumes": charts.stacked_bar_chart(months, per_channel, title=titles["volumes"]),
        "ack": charts.bar_chart(months, within["ack"], title=titles["ack"], target=TARGET_PCT, target_label=target),
        "resolve": charts.bar_chart(months, within["resolve"], title=titles["resolve"], target=TARGET_PCT,
                                    target_label=target),
        "pareto": charts.pareto_chart([c[0] for c in categories[:12]], [c[1] for c in categories[:12]],
                                      title=titles["pareto"]),
    }
    return render_template("complaints/overview.html", figures=figures, labels=FIGURE_LABELS, keys=FIGURES,
                           window=window, titles=titles,
                           charts={name: chart.svg_data_uri() for name, chart in pictures.items()},
                           first_day=window.start.astimezone(zone).date(),
                           last_day=(window.end.astimezone(zone) - timedelta(days=1)).date())
