"""The KPI overview of the register: every live figure over a window, with charts of volumes by month and
channel, acknowledgement and response within target by month, and the Pareto of categories. Each chart is an
SVG image of its own address, so the page's figures come without waiting for matplotlib, and the browser
fetches the four pictures side by side."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, render_template, request, url_for
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
CHARTS = ("volumes", "ack", "resolve", "pareto")
PARETO_BARS = 12  # categories drawn one by one; the others share a last bar


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
    """The figures, and the charts' addresses: each chart is its own image, drawn while the page is read."""
    organisation = g.organisation
    window, zone = _window(organisation.timezone), ZoneInfo(organisation.timezone or "UTC")
    figures = metrics.compute(organisation, [*FIGURES, "by_category"], window)
    first_day, last_day = window.start.astimezone(zone).date(), (window.end.astimezone(zone) - timedelta(days=1)).date()
    days = {"from": first_day.isoformat(), "to": last_day.isoformat()}
    charts_at = {name: url_for(".chart", slug=organisation.slug, picture=name, **days) for name in CHARTS}
    return render_template("complaints/overview.html", figures=figures, labels=FIGURE_LABELS, keys=FIGURES,
                           titles=_titles(), charts=charts_at, first_day=first_day, last_day=last_day)


@bp.route("/charts/<any(volumes, ack, resolve, pareto):picture>.svg")
@requires("complaint.view")
def chart(picture: str):
    """One of the overview's charts over the same days (?from=&to=), as an SVG image in the reader's language."""
    organisation = g.organisation
    window, title = _window(organisation.timezone), _titles()[picture]
    if picture == "volumes":
        monthly = metrics.series(organisation, ["received"], window, split="channel")
        channels = sorted(monthly.split, key=lambda channel: (-sum(monthly.split[channel]["received"]), channel))
        drawn = charts.stacked_bar_chart(monthly.months, {
            str(CHANNEL_LABELS.get(channel, channel)): monthly.split[channel]["received"] for channel in channels},
            title=title)
    elif picture == "pareto":
        ranked = metrics.compute(organisation, ["by_category"], window)["by_category"]
        top, rest = ranked[:PARETO_BARS], sum(count for _label, count in ranked[PARETO_BARS:])
        drawn = charts.pareto_chart([label.name if label else _("Uncategorised") for label, _count in top],
                                      [count for _label, count in top], title=title,
                                      rest=(_("All other categories"), rest))
    else:
        key = f"{picture}_within_target_pct"
        monthly = metrics.series(organisation, [key], window)
        drawn = charts.bar_chart(monthly.months, monthly.values[key], title=title,
                                   target=TARGET_PCT, target_label=_("target %(pct)s%%", pct=TARGET_PCT))
    response = Response(drawn.svg(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-cache"  # live figures: the same address, a new picture
    return response


def _titles() -> dict[str, str]:
    return {"volumes": _("Complaints by month and channel"),
            "ack": _("Acknowledged within target, in %(unit)s by month", unit="%"),
            "resolve": _("Responded within target, in %(unit)s by month", unit="%"),
            "pareto": _("Categories, largest first (Pareto)")}
