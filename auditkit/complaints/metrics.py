"""The KPI engine: every live figure named in standard.metric_keys, computed by SQL aggregates over a window
of time [start, end) and a filter, with the same SQL text and the same results on SQLite and PostgreSQL.
Gap analyses, audit tests, action checks, dashboards and management reviews all ask it; `records()` gives
the complaints behind a figure so a page can list them.

Population = the organisation's complaints received in the window and matching the filter, unless said
otherwise. "Open" = any status but closed, withdrawn and rejected. `now` = the moment asked (default: now).

  received                   count of the population.
  open                       population members whose status is open now.
  closed                     complaints (any received date, filter applies) with status closed, closed_at in the window.
  overdue                    complaints open now (any received date, filter applies) either not acknowledged with
                             ack_due_at < now, or without a communicated decision with response_due_at < now.
  ack_within_target_pct      among members acknowledged, or not acknowledged with ack_due_at < now:
                             % acknowledged_at <= ack_due_at.
  ack_median_hours           median of acknowledged_at - received_at in hours (1 decimal) over acknowledged members.
                             Durations are counted in tenths of their unit (6 minutes; 2.4 hours for days),
                             rounded half up from whole seconds; a median of an even count is the mean of
                             the middle two.
  resolve_within_target_pct  among members with communicated_at, or without it, open and response_due_at < now:
                             % communicated_at <= response_due_at.
  resolve_median_days        median of communicated_at - received_at in days (1 decimal) over members with it.
  resolve_p90_days           90th percentile (nearest rank: the ceil(0.9 n)-th smallest) of the same durations.
  assessment_recorded_pct    among members not rejected nor withdrawn: % with assessed_at.
  decision_communicated_pct  among members with decided_at: % with communicated_at.
  closure_accepted_pct       among members with status closed: % with accepted true.
  reopen_rate_pct            among members with closed_at or reopen_count > 0: % with reopen_count > 0.
  escalated_internal         members with escalation_level > 0.
  referred_external_pct      % of the population with a referral (SQL NULL and JSON null both count as none).
  survey_response_pct        among members with survey_sent_at: % with survey_answered_at.
  satisfaction_avg           average satisfaction_rating (2 decimals) of members who answered the survey.
  satisfied_pct              among members who answered the survey: % with a rating of 4 or 5.
  categorised_pct            % of the population with a category.
  per_1000_customers         received x 1000 / settings["complaints"]["customers"] (2 decimals); None when not set or 0.
  repeat_complainant_pct     among members with an email: % whose lower-cased email is on more than one member.
  by_channel                 [(channel, count)] of the channels present, most frequent first.
  by_category                [(CategoryLabel(id, name) | None for uncategorised, count)], most frequent first.
  by_severity                [(severity, count)] low to critical, zero-filled, then (None, count) for the unassessed.
  by_product                 [(product | None, count)] the 20 most frequent, then ("other", count of the rest).
  by_month                   [("YYYY-MM", count)] every calendar month of the window in the organisation's time zone,
                             zero-filled, oldest first.

Percentages are floats of 1 decimal, None when the denominator is 0; counts come from SQL, the division and
rounding happen once in Python, so both engines give the same float. Ties in a breakdown are ordered by label
in code-point order. The counts come from the day tallies where they can (metric_sums.py says how), so a
year's figures over a million complaints read a few thousand tally rows; what depends on the time asked is
counted from the pending complaints; durations come as histograms of tenths, from which the order statistic
is picked. `series()` gives the figures that add up month by month (counts, ratios, means, the rate per
customers), per month and split by a field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.sql import Select

from auditkit.complaints import metric_sums
from auditkit.complaints.metric_specs import (
    ADDITIVE,
    ORDERED,
    SPECS,
    CategoryLabel,
    Filter,
    Spec,
    Window,
    members,
    scopes,
)
from auditkit.complaints.metric_sums import months_of
from auditkit.complaints.models import SEVERITIES, Category, Complaint
from auditkit.complaints.tally_models import CLOSED
from auditkit.core.db import utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.metric_keys import BREAKDOWNS, METRIC_KEYS

C = Complaint
TOP_PRODUCTS = 20
OTHER = "other"
SPLITS = ("channel", "category_id", "severity")

__all__ = ["OTHER", "SPLITS", "CategoryLabel", "Filter", "Series", "Window", "compute", "figure", "monthly",
           "months_of", "records", "series"]


def _check(keys: Iterable[str]) -> None:
    unknown = [key for key in keys if key not in METRIC_KEYS]
    if unknown:
        raise KeyError(f"unknown metric key(s): {', '.join(unknown)}")


def _pct(hit: int, n: int) -> float | None:
    return round(100 * hit / n, 1) if n else None


def _value(organisation: Organisation, spec: Spec, key: str, sums: dict[str, int]) -> Any:
    """A count, percentage, mean or rate from its counts."""
    n = sums.get(f"{key}__n", 0)
    if spec.kind == "pct":
        return _pct(sums.get(f"{key}__hit", 0), n)
    if spec.kind == "mean":
        return round(int(sums.get(f"{key}__sum", 0)) / n, 2) if n else None
    if spec.kind == "per_1000":
        customers = ((organisation.settings or {}).get("complaints") or {}).get("customers")
        return round(n * 1000 / customers, 2) if customers else None
    return n


# --- breakdowns: each from the counts grouped by its field (GRAIN), or from the complaints -------------------

GRAIN = {"by_month": "month", "by_channel": "channel", "by_category": "category_id", "by_severity": "severity"}


def _received_by(counted: metric_sums.Counted, grain: tuple[str, ...], field: str) -> dict[Any, int]:
    position, counts = grain.index(field), {}
    for group, values in counted.groups.items():
        counts[group[position]] = counts.get(group[position], 0) + values["received__n"]
    return {value: n for value, n in counts.items() if n}


def _by_channel(counted, grain, _reading) -> list[tuple[str, int]]:
    return sorted(_received_by(counted, grain, "channel").items(), key=lambda item: (-item[1], item[0]))


def _by_category(counted, grain, _reading) -> list[tuple[CategoryLabel | None, int]]:
    counts = _received_by(counted, grain, "category_id")
    names = dict(db.session.execute(select(Category.id, Category.name).where(
        Category.id.in_([id for id in counts if id is not None]))).all()) if counts else {}
    labelled = [(CategoryLabel(id, names[id]) if id is not None else None, n) for id, n in counts.items()]
    return sorted(labelled, key=lambda item: (-item[1], item[0] is None, item[0].name if item[0] else "",
                                              item[0].id if item[0] else 0))


def _by_severity(counted, grain, _reading) -> list[tuple[str | None, int]]:
    counts = _received_by(counted, grain, "severity")
    unassessed = counts.get(None, 0)
    return [(severity, counts.get(severity, 0)) for severity in SEVERITIES] + (
        [(None, unassessed)] if unassessed else [])


def _by_month(counted, grain, reading) -> list[tuple[str, int]]:
    months = months_of(reading.organisation, reading.window)
    counts = _received_by(counted, grain, "month") if months else {}
    return [(label, counts.get(i, 0)) for i, (label, _, _) in enumerate(months)]


def _by_product(_counted, _grain, reading) -> list[tuple[str | None, int]]:
    n = func.count().label("n")
    everyone = func.sum(func.count()).over().label("everyone")  # computed before LIMIT: the whole population
    product = C.product.collate("C") if db.session.get_bind().dialect.name == "postgresql" else C.product
    statement = (select(C.product, n, everyone).where(*reading.where(), scopes(reading.window)["window"])
                 .group_by(C.product).order_by(n.desc(), C.product.is_(None), product).limit(TOP_PRODUCTS))
    rows = db.session.execute(statement).all()
    top = [(product, count) for product, count, _ in rows]
    rest = int(rows[0][2]) - sum(count for _, count in top) if rows else 0
    return top + ([(OTHER, rest)] if rest else [])


_BREAKDOWNS = {"by_channel": _by_channel, "by_category": _by_category, "by_severity": _by_severity,
               "by_product": _by_product, "by_month": _by_month}
assert set(_BREAKDOWNS) == set(BREAKDOWNS)


# --- the interface ----------------------------------------------------------------------------------------

def compute(organisation: Organisation, keys: Iterable[str], window: Window, filter: Filter | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """The asked figures and breakdowns, by key. Raises KeyError naming any unknown key."""
    keys = list(dict.fromkeys(keys))
    _check(keys)
    reading = metric_sums.Reading(organisation, window, filter, now or utcnow())
    figures = [key for key in keys if key in SPECS]
    grain = tuple(field for key, field in GRAIN.items() if key in keys)
    counted = None
    if grain or any(SPECS[key].kind in ADDITIVE and SPECS[key].scope != "current" for key in figures):
        counted = metric_sums.sums(reading, grain, months_of(organisation, window) if "month" in grain else None)
    totals = {**counted.total(), CLOSED: counted.closed} if counted else {}
    wanted = list(dict.fromkeys(SPECS[key].duration for key in figures if SPECS[key].kind in ORDERED))
    durations = metric_sums.durations(reading, wanted) if wanted else {}
    result: dict[str, Any] = {}
    for key in keys:
        if key in _BREAKDOWNS:
            result[key] = _BREAKDOWNS[key](counted, grain, reading)
            continue
        spec = SPECS[key]
        if spec.scope == "current":
            result[key] = metric_sums.overdue_now(reading)
        elif spec.kind in ADDITIVE:
            result[key] = _value(organisation, spec, key, totals)
        elif spec.kind in ORDERED:
            result[key] = metric_sums.ranked(durations[spec.duration], spec.kind)
        else:
            result[key] = _pct(*metric_sums.repeat_complainants(reading))
    return result


@dataclass(frozen=True)
class Series:
    """Figures month by month: `values[key]` holds one value per month of `months`; with a split,
    `split[value][key]` holds the same for the complaints with that value of the split field; `total[key]`
    is the figure over the whole window, as compute() gives it."""

    months: list[str]
    values: dict[str, list[Any]]
    split: dict[Any, dict[str, list[Any]]]
    total: dict[str, Any]


def monthly(key: str) -> bool:
    """Whether series() can give the figure month by month."""
    spec = SPECS.get(key)
    return spec is not None and spec.scope == "window" and spec.kind in ADDITIVE


def series(organisation: Organisation, keys: Iterable[str], window: Window, filter: Filter | None = None,
           now: datetime | None = None, split: str | None = None) -> Series:
    """The counts, percentages, means and rates of the window's population for every calendar month of the
    window (in the organisation's time zone), each month's value as compute() would give it for that month
    alone, and the whole window's; with `split` ("channel", "category_id" or "severity"), also per value of
    that field. Refuses (ValueError) keys that are not counted over the window's population (see monthly()),
    and an unknown split."""
    keys = list(dict.fromkeys(keys))
    _check(keys)
    unfit = [key for key in keys if not monthly(key)]
    if unfit:
        raise ValueError(f"not a monthly figure: {', '.join(unfit)}")
    if split is not None and split not in SPLITS:
        raise ValueError(f"cannot split by {split}")
    months = months_of(organisation, window)
    labels = [label for label, _, _ in months]
    per_month: dict[int, dict[str, int]] = {}
    per_split: dict[Any, dict[int, dict[str, int]]] = {}
    whole: dict[str, int] = {}
    if months and keys:
        reading = metric_sums.Reading(organisation, window, filter, now or utcnow())
        counted = metric_sums.sums(reading, ("month",) + ((split,) if split else ()), months)
        for group, counts in counted.groups.items():
            for target in (per_month.setdefault(group[0], {}), whole,
                           *((per_split.setdefault(group[1], {}).setdefault(group[0], {}),) if split else ())):
                for name, amount in counts.items():
                    target[name] = target.get(name, 0) + amount

    def values(sums: dict[int, dict[str, int]]) -> dict[str, list[Any]]:
        return {key: [_value(organisation, SPECS[key], key, sums.get(i, {})) for i in range(len(months))]
                for key in keys}

    return Series(labels, values(per_month), {value: values(sums) for value, sums in per_split.items()},
                  {key: _value(organisation, SPECS[key], key, whole) for key in keys})


def figure(organisation: Organisation, key: str, window: Window, filter: Filter | None = None,
           now: datetime | None = None) -> Any:
    """One figure or breakdown."""
    return compute(organisation, [key], window, filter, now)[key]


def records(organisation: Organisation, key: str, window: Window, filter: Filter | None = None,
            now: datetime | None = None) -> Select[tuple[Complaint]]:
    """The complaints behind a figure, newest first: the rows counted, the denominator of a percentage, the
    members measured by a duration or an average; for a breakdown, the population."""
    _check([key])
    if key in _BREAKDOWNS:
        scope, base = "window", true()
    else:
        spec = SPECS[key]
        scope, base = spec.scope, members(spec, now or utcnow())
    return (select(C).where(*metric_sums.population(organisation, filter), scopes(window)[scope], base)
            .order_by(C.received_at.desc(), C.id.desc()))
