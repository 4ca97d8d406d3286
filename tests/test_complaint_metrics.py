"""The KPI engine against a hand-made register whose every figure was worked out by hand; filters, the
records behind a figure, the query budget, and the same results on SQLite and PostgreSQL.

The register: organisation in Asia/Tehran (UTC+03:30), window [2025-01-01, 2025-04-01) UTC, now 2025-04-10
12:00 UTC, 5000 customers. Unless a row says otherwise: ack due 48 h and response due 20 days after receipt.
Statuses: closed, investigating (under_investigation), communicated (decision_communicated), referred
(referred_external), decided (response_decided). "!" marks a missed target.

  ref  received (UTC) channel      status        sev      cat  product  ack     comm   notes
  c1   01-02 09:00    email        closed        low      NET  Router   6 h     10 d   accepted, rated 5, ali, assigned
  c2   01-05 10:00    phone        closed        medium   NET  Router   24 h    15 d   accepted, rated 4, ALI
  c3   01-10 08:00    web_form     closed        high     BIL  Modem    72 h!   26 d!  not accepted, rated 2, sara
  c4   01-20 12:00    email        closed        medium   BIL  Modem    12 h    12 d   reopened once, no answer, reza
  c5   01-31 22:00    phone        investigating high     NET  Router   12 h    12 d   reopened, escal., sara, assigned
  c6   02-03 09:00    web_form     communicated  low      -    -        2 h     11 d   referral stored as JSON null
  c7   02-10 09:00    letter       rejected      -        -    Router   24 h    -      reza
  c8   02-14 09:00    email        withdrawn     -        -    -        none!   -
  c9   02-20 09:00    email        referred      critical NET  Router   2 h/4   10/7!  escalated, referral, mina
  c10  03-01 09:00    phone        acknowledged  -        -    -        24 h    none!  (due 03-21)
  c11  03-05 09:00    web_form     received      -        -    -        none!   none!  (due 03-25) ali
  c12  03-10 09:00    email        assessed      medium   BIL  Phone X  12 h    -      (due 04-15) nima
  c13  03-15 09:00    social_media closed        low      NET  Router   1 h     5 d    acceptance unknown, rated 3
  c14  03-20 09:00    email        closed        medium   BIL  Modem    0.5 h   5 d    accepted, no answer, sara
  c15  03-31 21:00    web_form     received      -        -    -        none!   -      (due 04-20) new; April in Tehran
  c16  03-25 09:00    in_person    investigating high     NET  Phone X  3 h/24  none!  (due 04-08) escalated twice, nima
  c17  01-15 09:00    api          closed        low      NET  Router   10 min  7 d    accepted, no survey, assigned
  c18  02-25 09:00    email        closed        medium   NET  Router   24 h    9 d    reopened twice, rated 5, mina
  c19  03-12 09:00    phone        decided       medium   BIL  Modem    6 h     none!  (due 04-09)
  c20  01-01 00:00    email        withdrawn     -        -    Router   5 h     -      the window's first instant
Outside the population: o1 received 2024-12-20, closed 01-15 (closed); o2 received 2024-11-01, open, response
due 2024-11-21 (overdue); o3 received 04-05, ack due 04-07 (overdue); o4 received 04-01 00:00, the window's end
(overdue); o5 closed 04-01 00:00, the window's end (not closed in it); x1 of another organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from auditkit import create_app
from auditkit.accounts.models import User
from auditkit.complaints import metrics
from auditkit.complaints.metrics import CategoryLabel, Filter, Window
from auditkit.complaints.models import Category, Complaint
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.metric_keys import BREAKDOWNS, FIGURES, METRIC_KEYS
from tests.conftest import Factory, postgres_url, reset_postgres, unavailable

H, D = timedelta(hours=1), timedelta(days=1)
WINDOW = Window(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
NOW = datetime(2025, 4, 10, 12, tzinfo=UTC)
ALL_KEYS = FIGURES + BREAKDOWNS


def t(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Register:
    organisation: Organisation
    other: Organisation
    assignee: User
    network: Category
    billing: Category
    complaints: dict[str, Complaint]


def _complaint(organisation: Organisation, ref: str, received: datetime, *, ack=None, ack_due=48 * H,
               response_due=20 * D, **values) -> Complaint:
    values = {"channel": "email", "status": "received", "description": "The router does not connect.", **values}
    return Complaint(organisation_id=organisation.id, reference=ref, received_at=received,
                     acknowledged_at=received + ack if ack is not None else None,
                     ack_due_at=received + ack_due, response_due_at=received + response_due, **values)


def build_register(make: Factory) -> Register:
    organisation = make.organisation(name="Metrics Telecom", slug="metrics", timezone="Asia/Tehran",
                                     settings={"complaints": {"customers": 5000}})
    other = make.organisation(name="Elsewhere", slug="elsewhere")
    assignee = make.user(email="handler@metrics.example")
    network = Category(organisation_id=organisation.id, code="NET", name="Network")
    billing = Category(organisation_id=organisation.id, code="BIL", name="Billing")
    db.session.add_all([network, billing])
    db.session.flush()
    net, bil, me = network.id, billing.id, assignee.id

    def closed(closed_at, rating=None, answered=None, **values):
        """Closed, and the survey sent then; answered with a rating when given."""
        return {"status": "closed", "closed_at": closed_at, "survey_sent_at": closed_at,
                "satisfaction_rating": rating, "survey_answered_at": answered, **values}

    rows = {
        "c1": (t(1, 2, 9), dict(ack=6 * H, severity="low", category_id=net, product="Router", assignee_id=me,
                                 assessed_at=t(1, 3), decided_at=t(1, 10), communicated_at=t(1, 12, 9),
                                 email="ali@example.org", **closed(t(1, 15), 5, t(1, 16), accepted=True))),
        "c2": (t(1, 5, 10), dict(channel="phone", ack=24 * H, severity="medium", category_id=net, product="Router",
                                  assessed_at=t(1, 6), decided_at=t(1, 18), communicated_at=t(1, 20, 10),
                                  email="ALI@example.org", **closed(t(1, 25), 4, t(1, 27), accepted=True))),
        "c3": (t(1, 10, 8), dict(channel="web_form", ack=72 * H, severity="high", category_id=bil, product="Modem",
                                  assessed_at=t(1, 13), decided_at=t(2, 3), communicated_at=t(2, 5, 8),
                                  email="sara@example.org", **closed(t(2, 10), 2, t(2, 12), accepted=False))),
        "c4": (t(1, 20, 12), dict(ack=12 * H, severity="medium", category_id=bil, product="Modem", reopen_count=1,
                                   assessed_at=t(1, 21), decided_at=t(1, 30), communicated_at=t(2, 1, 12),
                                   email="reza@example.org", **closed(t(2, 15), accepted=True))),
        "c5": (t(1, 31, 22), dict(channel="phone", status="under_investigation", ack=12 * H, severity="high",
                                   category_id=net, product="Router", assignee_id=me, reopen_count=1,
                                   escalation_level=1, assessed_at=t(2, 2), decided_at=t(2, 10),
                                   communicated_at=t(2, 12, 22), email="sara@example.org")),
        "c6": (t(2, 3, 9), dict(channel="web_form", status="decision_communicated", ack=2 * H, severity="low",
                                 assessed_at=t(2, 4), decided_at=t(2, 12), communicated_at=t(2, 14, 9),
                                 phone="+98 912 000 0000", referral=None)),  # stored as JSON null
        "c7": (t(2, 10, 9), dict(channel="letter", status="rejected", closed_at=t(2, 12), ack=24 * H,
                                  product="Router", email="reza@example.org")),
        "c8": (t(2, 14, 9), dict(status="withdrawn", closed_at=t(2, 20), phone="+98 912 000 0001")),
        "c9": (t(2, 20, 9), dict(status="referred_external", ack=2 * H, ack_due=4 * H, response_due=7 * D,
                                  severity="critical", category_id=net, product="Router", escalation_level=1,
                                  assessed_at=t(2, 20, 12), decided_at=t(3, 1), communicated_at=t(3, 2, 9),
                                  referral={"provider": "Ombudsman", "method": "advisory", "referred_on": "2025-03-10"},
                                  email="mina@example.org")),
        "c10": (t(3, 1, 9), dict(channel="phone", status="acknowledged", ack=24 * H, phone="+98 912 000 0002")),
        "c11": (t(3, 5, 9), dict(channel="web_form", email="ali@example.org")),
        "c12": (t(3, 10, 9), dict(status="assessed", ack=12 * H, response_due=36 * D, severity="medium",
                                   category_id=bil, product="Phone X", assessed_at=t(3, 11), email="nima@example.org")),
        "c13": (t(3, 15, 9), dict(channel="social_media", ack=1 * H, severity="low", category_id=net,
                                   product="Router", assessed_at=t(3, 15, 12), decided_at=t(3, 18),
                                   communicated_at=t(3, 20, 9), phone="+98 912 000 0003",
                                   **closed(t(3, 25), 3, t(3, 26)))),
        "c14": (t(3, 20, 9), dict(ack=H / 2, severity="medium", category_id=bil, product="Modem",
                                   assessed_at=t(3, 20, 12), decided_at=t(3, 24), communicated_at=t(3, 25, 9),
                                   email="sara@example.org", **closed(t(3, 27), accepted=True))),
        "c15": (t(3, 31, 21), dict(channel="web_form", email="new@example.org")),
        "c16": (t(3, 25, 9), dict(channel="in_person", status="under_investigation", ack=3 * H, ack_due=24 * H,
                                   response_due=14 * D, severity="high", category_id=net, product="Phone X",
                                   escalation_level=2, assessed_at=t(3, 26), email="nima@example.org")),
        "c17": (t(1, 15, 9), dict(channel="api", ack=10 * timedelta(minutes=1), severity="low", category_id=net,
                                   product="Router", assignee_id=me, assessed_at=t(1, 15, 12), decided_at=t(1, 20),
                                   communicated_at=t(1, 22, 9), phone="+98 912 000 0004",
                                   status="closed", closed_at=t(1, 23), accepted=True)),
        "c18": (t(2, 25, 9), dict(ack=24 * H, severity="medium", category_id=net, product="Router", reopen_count=2,
                                   assessed_at=t(2, 26), decided_at=t(3, 5), communicated_at=t(3, 6, 9),
                                   email="mina@example.org", **closed(t(3, 8), 5, t(3, 9), accepted=True))),
        "c19": (t(3, 12, 9), dict(channel="phone", status="response_decided", ack=6 * H, response_due=28 * D,
                                   severity="medium", category_id=bil, product="Modem", assessed_at=t(3, 13),
                                   decided_at=t(3, 28), phone="+98 912 000 0005")),
        "c20": (t(1, 1), dict(status="withdrawn", closed_at=t(1, 2), ack=5 * H, product="Router",
                              phone="+98 912 000 0006")),
        # Outside the population.
        "o1": (t(12, 20, 9, year=2024), dict(ack=4 * H, severity="low", category_id=net, product="Router",
                                              assessed_at=t(12, 21, year=2024), decided_at=t(1, 5),
                                              communicated_at=t(1, 8, 9), email="ali@example.org",
                                              **closed(t(1, 15), accepted=True))),
        "o2": (t(11, 1, 9, year=2024), dict(channel="phone", status="under_investigation", ack=24 * H,
                                             email="old@example.org")),
        "o3": (t(4, 5, 9), dict(channel="web_form", email="ali@example.org")),
        "o4": (t(4, 1), dict(channel="web_form", email="ali@example.org")),
        "o5": (t(12, 1, 9, year=2024), dict(ack=4 * H, decided_at=t(3, 20), communicated_at=t(3, 25),
                                             email="late@example.org", **closed(t(4, 1), accepted=True))),
    }
    complaints = {ref: _complaint(organisation, ref, received, **values) for ref, (received, values) in rows.items()}
    complaints["x1"] = _complaint(other, "x1", t(2, 1, 9), email="ali@example.org", product="Router")
    db.session.add_all(complaints.values())
    db.session.flush()
    return Register(organisation, other, assignee, network, billing, complaints)


@pytest.fixture
def register(make) -> Register:
    return build_register(make)



EXPECTED = {
    "received": 20,  # c1..c20
    "open": 9,  # c5 c6 c9 c10 c11 c12 c15 c16 c19
    "closed": 9,  # c1 c2 c3 c4 c13 c14 c17 c18 + o1 (received before the window); not o5 (closed at the end)
    # c10, c16, c19 (response due passed, nothing communicated); c11, c15 (never acknowledged, ack due
    # passed); o2, o3, o4 (received outside the window). Not c5, c6, c9: their decision was communicated.
    "overdue": 8,
    "ack_within_target_pct": 80.0,  # 17 acknowledged + c8 c11 c15 overdue = 20; on time 16 (all but c3): 16/20
    # hours 1/6 .5 1 2 2 3 5 6 [6] 12 12 12 24 24 24 24 72: the 9th of 17
    "ack_median_hours": 6.0,
    # 11 communicated + c10 c11 c16 c19 overdue = 15; on time 9 (c3 26 > 20 days, c9 10 > 7 days late): 9/15
    "resolve_within_target_pct": 60.0,
    "resolve_median_days": 10.0,  # days 5 5 7 9 10 [10] 11 12 12 15 26: the 6th of 11
    "resolve_p90_days": 15.0,  # ceil(0.9 x 11) = 10th smallest
    "assessment_recorded_pct": 82.4,  # 20 less c7 c8 c20 = 17; assessed 14: 14/17 = 82.35
    "decision_communicated_pct": 91.7,  # decided 12, communicated 11 (not c19): 11/12 = 91.67
    "closure_accepted_pct": 75.0,  # closed c1 c2 c3 c4 c13 c14 c17 c18; accepted 6 (not c3 false, c13 unknown)
    "reopen_rate_pct": 25.0,  # closed_at: 11, + c5 reopened = 12; reopened c4 c5 c18: 3/12
    "escalated_internal": 3,  # c5 c9 c16
    "referred_external_pct": 5.0,  # c9 (c6's JSON null is no referral): 1/20
    "survey_response_pct": 71.4,  # sent c1 c2 c3 c4 c13 c14 c18; answered c1 c2 c3 c13 c18: 5/7
    "satisfaction_avg": 3.8,  # (5 + 4 + 2 + 3 + 5) / 5
    "satisfied_pct": 60.0,  # ratings 4 or 5: c1 c2 c18: 3/5
    "categorised_pct": 65.0,  # Network 8 + Billing 5: 13/20
    "per_1000_customers": 4.0,  # 20 x 1000 / 5000
    # emails on 13: ali x3 (c1 c2 c11), sara x3 (c3 c5 c14), reza x2, mina x2, nima x2, new x1: 12/13 = 92.31
    "repeat_complainant_pct": 92.3,
    "by_channel": [("email", 8), ("phone", 4), ("web_form", 4), ("api", 1), ("in_person", 1), ("letter", 1),
                   ("social_media", 1)],
    "by_severity": [("low", 4), ("medium", 6), ("high", 3), ("critical", 1), (None, 6)],
    "by_product": [("Router", 9), (None, 5), ("Modem", 4), ("Phone X", 2)],
    # Tehran months: c5 (01-31 22:00 UTC) is 1 February there, c15 (03-31 21:00 UTC) is 1 April.
    "by_month": [("2025-01", 6), ("2025-02", 6), ("2025-03", 7), ("2025-04", 1)],
}
COUNTS = ("received", "open", "closed", "overdue", "escalated_internal")


def test_every_key_matches_the_figures_worked_out_by_hand(register):
    result = metrics.compute(register.organisation, ALL_KEYS, WINDOW, now=NOW)
    assert set(result) == METRIC_KEYS
    network, billing = register.network, register.billing
    assert result.pop("by_category") == [(CategoryLabel(network.id, "Network"), 8), (None, 7),
                                         (CategoryLabel(billing.id, "Billing"), 5)]
    assert result == EXPECTED
    # Plain Python numbers on both engines (PostgreSQL's Decimal would compare equal and slip through).
    assert all(type(result[key]) is int for key in COUNTS)
    assert all(type(value) is float for key, value in result.items() if key in FIGURES and key not in COUNTS)


def test_one_figure_at_a_time_agrees_with_all_at_once(register):
    for key in ("resolve_p90_days", "repeat_complainant_pct", "by_month", "overdue"):
        assert metrics.figure(register.organisation, key, WINDOW, now=NOW) == EXPECTED[key]
    assert metrics.compute(register.organisation, ["received", "received"], WINDOW, now=NOW) == {"received": 20}


def test_a_filter_narrows_every_figure(register):
    # Phone: c2 (closed), c5, c10, c19 (open); o2 is a phone complaint received long before.
    result = metrics.compute(register.organisation, ALL_KEYS, WINDOW, Filter(channel="phone"), now=NOW)
    assert result == {
        "received": 4, "open": 3,
        "closed": 1,  # c2
        "overdue": 3,  # c10, c19 and o2
        "ack_within_target_pct": 100.0,  # 24, 12, 24, 6 hours against 48
        "ack_median_hours": 18.0,  # 6 [12 24] 24: (12 + 24) / 2
        "resolve_within_target_pct": 50.0,  # c2 c5 on time, c10 c19 overdue: 2/4
        "resolve_median_days": 13.5,  # [12 15]: (12 + 15) / 2
        "resolve_p90_days": 15.0,  # ceil(0.9 x 2) = 2nd
        "assessment_recorded_pct": 75.0,  # c2 c5 c19: 3/4
        "decision_communicated_pct": 66.7,  # decided c2 c5 c19, communicated c2 c5: 2/3
        "closure_accepted_pct": 100.0, "reopen_rate_pct": 50.0,  # c2 closed, c5 reopened: 1/2
        "escalated_internal": 1, "referred_external_pct": 0.0,
        "survey_response_pct": 100.0, "satisfaction_avg": 4.0, "satisfied_pct": 100.0,  # c2 only
        "categorised_pct": 75.0,  # c2 c5 c19: 3/4
        "per_1000_customers": 0.8,  # 4 x 1000 / 5000
        "repeat_complainant_pct": 0.0,  # ALI (c2) and sara (c5) are each alone among phone complaints
        "by_channel": [("phone", 4)],
        "by_category": [(CategoryLabel(register.network.id, "Network"), 2),  # c2 c5
                        (CategoryLabel(register.billing.id, "Billing"), 1), (None, 1)],  # ties: uncategorised last
        "by_severity": [("low", 0), ("medium", 2), ("high", 1), ("critical", 0), (None, 1)],
        "by_product": [("Router", 2), ("Modem", 1), (None, 1)],
        "by_month": [("2025-01", 1), ("2025-02", 1), ("2025-03", 2), ("2025-04", 0)],
    }


@pytest.mark.parametrize(("values", "received", "closed"), [
    ({"assignee": True}, 3, 2),  # c1 c5 c17; closed c1 c17
    ({"category": "billing"}, 5, 3),  # c3 c4 c12 c14 c19; closed c3 c4 c14
    ({"severity": "high"}, 3, 1),  # c3 c5 c16; closed c3
    ({"product": "Modem"}, 4, 3),  # c3 c4 c14 c19
    ({"channel": "email", "product": "Router"}, 4, 2),  # c1 c9 c18 c20; closed c1 c18 + o1
])
def test_each_filter_field(register, values, received, closed):
    fields = dict(values)
    if fields.pop("assignee", None):
        fields["assignee_id"] = register.assignee.id
    if fields.pop("category", None):
        fields["category_id"] = register.billing.id
    result = metrics.compute(register.organisation, ["received", "closed"], WINDOW, Filter(**fields), now=NOW)
    expected_closed = closed + (1 if values.get("product") == "Router" else 0)  # o1: email, Router
    assert result == {"received": received, "closed": expected_closed}


def refs(organisation, key, filter=None) -> set[str]:
    statement = metrics.records(organisation, key, WINDOW, filter, now=NOW)
    return {complaint.reference for complaint in db.session.execute(statement).scalars()}


def test_records_are_the_population_behind_a_figure(register):
    org = register.organisation
    population = {f"c{n}" for n in range(1, 21)}
    assert refs(org, "received") == refs(org, "by_month") == refs(org, "categorised_pct") == population
    assert refs(org, "closed") == {"c1", "c2", "c3", "c4", "c13", "c14", "c17", "c18", "o1"}
    assert refs(org, "overdue") == {"c10", "c11", "c15", "c16", "c19", "o2", "o3", "o4"}
    communicated = {"c1", "c2", "c3", "c4", "c5", "c6", "c9", "c13", "c14", "c17", "c18"}
    assert refs(org, "resolve_within_target_pct") == communicated | {"c10", "c11", "c16", "c19"}
    assert refs(org, "resolve_p90_days") == communicated
    assert refs(org, "satisfaction_avg") == {"c1", "c2", "c3", "c13", "c18"}
    assert refs(org, "repeat_complainant_pct") == {"c1", "c2", "c3", "c4", "c5", "c7", "c9", "c11", "c12", "c14",
                                                   "c15", "c16", "c18"}
    assert refs(org, "received", Filter(channel="phone")) == {"c2", "c5", "c10", "c19"}
    # Counted rows and the count agree for every count.
    for key in COUNTS:
        assert len(refs(org, key)) == EXPECTED[key], key


def test_records_are_newest_first_and_stay_in_the_organisation(register):
    statement = metrics.records(register.organisation, "received", WINDOW, now=NOW)
    received = [c.received_at for c in db.session.execute(statement).scalars()]
    assert received == sorted(received, reverse=True)
    assert refs(register.other, "received") == {"x1"}


def test_an_unknown_key_is_refused_by_name(register):
    for call in (lambda: metrics.compute(register.organisation, ["received", "complaints_per_fortnight"], WINDOW),
                 lambda: metrics.figure(register.organisation, "complaints_per_fortnight", WINDOW),
                 lambda: metrics.records(register.organisation, "complaints_per_fortnight", WINDOW)):
        with pytest.raises(KeyError, match="complaints_per_fortnight"):
            call()


def test_an_empty_window_gives_zero_counts_and_no_percentages(register, make):
    empty = Window(datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))
    result = metrics.compute(register.organisation, ALL_KEYS, empty, now=NOW)
    # Overdue is the state now, whatever the received date: the window does not change it.
    assert result.pop("overdue") == 8
    assert result.pop("per_1000_customers") == 0.0
    assert {key: result[key] for key in COUNTS if key in result} == {
        "received": 0, "open": 0, "closed": 0, "escalated_internal": 0}
    assert all(result[key] is None for key in FIGURES if key not in (*COUNTS, "per_1000_customers"))
    assert result["by_severity"] == [("low", 0), ("medium", 0), ("high", 0), ("critical", 0)]
    assert [result[key] for key in ("by_channel", "by_category", "by_product", "by_month")] == [[], [], [], []]
    # A quiet organisation (no customers count either) over a real window.
    quiet = metrics.compute(make.organisation(), ALL_KEYS, WINDOW, now=NOW)
    assert quiet["overdue"] == quiet["received"] == 0 and quiet["per_1000_customers"] is None
    assert quiet["by_month"] == [("2025-01", 0), ("2025-02", 0), ("2025-03", 0)]


def test_per_1000_customers_needs_a_customer_count(register):
    register.organisation.settings = {"complaints": {"customers": 0}}
    assert metrics.figure(register.organisation, "per_1000_customers", WINDOW, now=NOW) is None
    register.organisation.settings = {"complaints": {"customers": 3000}}
    assert metrics.figure(register.organisation, "per_1000_customers", WINDOW, now=NOW) == 6.67  # 20000 / 3000


def test_products_beyond_the_top_twenty_are_other(org):
    window = Window(t(5, 1), t(6, 1))
    # "Router" x3, "Zebra" x2, "apple" x2, then P00..P19 once each: 24 products, 27 complaints.
    products = ["Router"] * 3 + ["apple", "Zebra"] * 2 + [f"P{n:02}" for n in range(20)]
    db.session.add_all(_complaint(org, f"p{i}", t(5, 2) + i * H, product=product, email="x@example.org")
                       for i, product in enumerate(products))
    db.session.flush()
    result = metrics.figure(org, "by_product", window, now=NOW)
    # Ties by label in code-point order ("Zebra" before "apple") on both engines; 17 singles fit, 3 do not.
    assert result == [("Router", 3), ("Zebra", 2), ("apple", 2),
                      *((f"P{n:02}", 1) for n in range(17)), ("other", 3)]


@pytest.mark.engine_independent
def test_months_follow_the_organisations_time_zone_across_daylight_saving():
    berlin = Organisation(timezone="Europe/Berlin")
    window = Window(t(2, 15), t(5, 1))
    assert metrics.months_of(berlin, window) == [
        ("2025-02", t(2, 15), t(2, 28, 23)),  # CET, UTC+1
        ("2025-03", t(2, 28, 23), t(3, 31, 22)),  # CEST from 30 March, UTC+2
        ("2025-04", t(3, 31, 22), t(4, 30, 22)),
        ("2025-05", t(4, 30, 22), t(5, 1)),  # the first two hours of May in Berlin
    ]
    assert metrics.months_of(berlin, Window(t(3, 1), t(3, 1))) == []
    with pytest.raises(ValueError, match="aware"):
        Window(datetime(2025, 1, 1), t(2, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="before it starts"):
        Window(t(2, 1), t(1, 1))


def test_all_keys_take_a_handful_of_queries(register):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        metrics.compute(register.organisation, ALL_KEYS, WINDOW, now=NOW)
    finally:
        event.remove(bind, "before_cursor_execute", count)
    print(f"compute(all {len(ALL_KEYS)} keys) issued {len(statements)} SQL queries")
    # Whether the day tallies are complete; the tallies' counts (grouped for the breakdowns), the window's
    # partial days counted from the complaints (received, closed), the overdue members; overdue now; the tallies'
    # durations and the partial days'; repeat complainants; products; the categories' names.
    assert len(statements) <= 11


MONTHLY = [key for key in FIGURES if metrics.monthly(key)]


def test_each_month_of_a_series_is_that_month_alone(register):
    organisation = register.organisation
    result = metrics.series(organisation, MONTHLY, WINDOW, now=NOW, split="channel")
    months = metrics.months_of(organisation, WINDOW)
    # Tehran's months: c15 (03-31 21:00 UTC) is April there; c20 (01-01 00:00 UTC) is January.
    assert result.months == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert result.values["received"] == [6, 6, 7, 1]
    assert result.total == metrics.compute(organisation, MONTHLY, WINDOW, now=NOW)
    assert "per_1000_customers" in MONTHLY and "satisfaction_avg" in MONTHLY and "closed" not in MONTHLY
    for i, (_label, start, end) in enumerate(months):
        alone = metrics.compute(organisation, MONTHLY, Window(start, end), now=NOW)
        assert {key: result.values[key][i] for key in MONTHLY} == alone
        for channel, figures in result.split.items():
            by_channel = metrics.compute(organisation, MONTHLY, Window(start, end), Filter(channel=channel), now=NOW)
            assert {key: figures[key][i] for key in MONTHLY} == by_channel, (channel, i)
    assert sorted(result.split) == sorted(channel for channel, _ in metrics.figure(organisation, "by_channel",
                                                                                    WINDOW, now=NOW))


def test_a_series_refuses_figures_that_are_not_monthly(register):
    for key in ("closed", "overdue", "ack_median_hours", "repeat_complainant_pct", "by_month"):
        with pytest.raises(ValueError, match="not a monthly figure"):
            metrics.series(register.organisation, ["received", key], WINDOW, now=NOW)
    with pytest.raises(ValueError, match="cannot split"):
        metrics.series(register.organisation, ["received"], WINDOW, split="email")
    with pytest.raises(KeyError):
        metrics.series(register.organisation, ["complaints_per_fortnight"], WINDOW)
    empty = metrics.series(register.organisation, ["received", "satisfaction_avg"], Window(t(3, 1), t(3, 1)))
    assert empty == metrics.Series([], {"received": [], "satisfaction_avg": []}, {},
                                   {"received": 0, "satisfaction_avg": None})


PG_SCHEMA = "metrics_cross_engine"


def _drop_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
    engine.dispose()


def _figures_on(database_url: str, monkeypatch) -> dict[str, object]:
    """Every key, unfiltered and filtered, on a freshly migrated database of its own."""
    from flask_migrate import upgrade

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40})
    with app.app_context():
        upgrade()
        session = scoped_session(sessionmaker(bind=db.engine))
        try:
            with monkeypatch.context() as patch:
                patch.setattr(db, "session", session)
                register = build_register(Factory())
                org = register.organisation
                result = {"all": metrics.compute(org, ALL_KEYS, WINDOW, now=NOW),
                          "phone": metrics.compute(org, ALL_KEYS, WINDOW, Filter(channel="phone"), now=NOW),
                          "billing": metrics.compute(org, ALL_KEYS, WINDOW, Filter(category_id=register.billing.id),
                                                     now=NOW)}
                session.rollback()
        finally:
            session.remove()
            db.engine.dispose()
    return result


@pytest.mark.engine_independent
def test_sqlite_and_postgresql_give_identical_figures(tmp_path, monkeypatch):
    url = postgres_url()
    try:
        reset_postgres(url, PG_SCHEMA)
    except Exception as error:
        unavailable(f"PostgreSQL is not reachable at {url}: {error}")
    monkeypatch.setenv("AUDITKIT_INSTANCE_PATH", str(tmp_path))
    separator = "&" if "?" in url else "?"
    try:
        on_sqlite = _figures_on(f"sqlite:///{tmp_path / 'metrics.sqlite3'}", monkeypatch)
        on_postgresql = _figures_on(f"{url}{separator}options=-csearch_path%3D{PG_SCHEMA}", monkeypatch)
    finally:
        _drop_schema(url)
    assert on_sqlite["all"]["received"] == 20 and on_sqlite["phone"]["received"] == 4
    # repr, not ==: a Decimal from one engine would equal the other's float and hide the difference.
    assert repr(on_sqlite) == repr(on_postgresql)


def test_the_register_flags_as_overdue_what_the_figure_counts(register):
    from sqlalchemy import select

    from auditkit.complaints.metric_specs import overdue_now

    flagged = set(db.session.execute(select(Complaint.reference).where(
        Complaint.organisation_id == register.organisation.id, overdue_now(NOW))).scalars())
    assert flagged == {"c10", "c11", "c15", "c16", "c19", "o2", "o3", "o4"}
    assert len(flagged) == metrics.figure(register.organisation, "overdue", WINDOW, now=NOW)
    # c5, c6 and c9 are open with their response due date gone by, but their decision was told.
    assert not flagged & {"c5", "c6", "c9"}
