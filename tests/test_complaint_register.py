"""The register's filters (queries.py), as the register, the API and the export share them: local days of the
organisation, a category with the categories below it, and a search that takes % and _ literally."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from auditkit.complaints import metrics, overview
from auditkit.complaints.categories import add_category, ensure_default_categories
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category, Complaint
from auditkit.complaints.queries import RegisterFilter, filtered, register_page
from auditkit.extensions import db
from tests.conftest import actor_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def receive(org, description: str = "No signal at home since Monday.", **values) -> Complaint:
    data = NewComplaint(description=description, email="li.wei@example.org", complainant_name="Li Wei", **values)
    return receive_complaint(org, data, actor_id=None, actor_label="test")[0]


def listed(user, org, **given) -> list[int]:
    """The ids the register lists for this filter, oldest first, over every page."""
    actor, found, after = actor_of(user, org), [], None
    while True:
        page = register_page(actor, RegisterFilter(sort="oldest", **given), after=after, size=2)
        found += [c.id for c in page.items]
        if page.next_cursor is None:
            return found
        after = page.next_cursor


def exported(client, org, query: str) -> list[str]:
    response = client.get(f"/o/{org.slug}/complaints/transfer/export.csv?sort=oldest&{query}")
    assert response.status_code == 200
    return [row["reference"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))]


# Days ------------------------------------------------------------------------------------------------------


@pytest.fixture
def shanghai(org):
    org.timezone = "Asia/Shanghai"
    db.session.flush()
    return org


def test_received_days_are_the_organisations_local_days_as_in_the_overview(app, login, handler, shanghai):
    at = [datetime(2026, 2, 28, 23, 30, tzinfo=SHANGHAI),  # February there (and in UTC)
          datetime(2026, 3, 1, 5, 0, tzinfo=SHANGHAI),  # March there; 28 February 21:00 in UTC
          datetime(2026, 3, 15, 12, 0, tzinfo=SHANGHAI),
          datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI),
          datetime(2026, 4, 1, 2, 0, tzinfo=SHANGHAI)]  # April there; 31 March 18:00 in UTC
    complaints = [receive(shanghai, received_at=when) for when in at]
    march = [c.id for c in complaints[1:4]]
    days = {"received_from": date(2026, 3, 1), "received_to": date(2026, 3, 31)}
    assert listed(handler, shanghai, **days) == march
    assert listed(handler, shanghai, received_from=date(2026, 3, 1)) == [c.id for c in complaints[1:]]
    assert listed(handler, shanghai, received_to=date(2026, 2, 28)) == [complaints[0].id]
    # The KPI overview over the same days counts the same complaints.
    with app.test_request_context("/?from=2026-03-01&to=2026-03-31"):
        window = overview._window(shanghai.timezone)
    behind = db.session.execute(metrics.records(shanghai, "received", window)).scalars().all()
    assert sorted(c.id for c in behind) == march
    assert metrics.figure(shanghai, "received", window) == 3
    # The export takes the same days.
    client = login(handler)
    assert exported(client, shanghai, "received_from=2026-03-01&received_to=2026-03-31") == [
        c.reference for c in complaints[1:4]]


def test_days_at_the_ends_of_the_calendar_leave_that_side_open(handler, shanghai):
    complaint = receive(shanghai)
    assert listed(handler, shanghai, received_from=date.min, received_to=date.max) == [complaint.id]
    assert listed(handler, shanghai, received_to=date.min) == []


# Categories ------------------------------------------------------------------------------------------------


def _category(org, code: str) -> Category:
    return db.session.execute(select(Category).where(Category.organisation_id == org.id,
                                                     Category.code == code)).scalar_one()


def test_a_category_includes_the_categories_below_it(login, handler, org, other_org):
    ensure_default_categories(org.id)
    billing, error, service = (_category(org, code) for code in ("billing", "billing-error", "service-delay"))
    twice = add_category(org.id, code="billing-error-twice", name="Charged twice", parent_id=error.id)
    in_billing = receive(org, category_id=billing.id)
    in_error = receive(org, category_id=error.id)
    in_twice = receive(org, category_id=twice.id)
    receive(org, category_id=service.id)
    receive(org)
    twice.active = False  # retired: complaints keep it, and the filter still finds them
    db.session.flush()
    assert listed(handler, org, category_id=billing.id) == [in_billing.id, in_error.id, in_twice.id]
    assert listed(handler, org, category_id=error.id) == [in_error.id, in_twice.id]
    assert listed(handler, org, category_id=twice.id) == [in_twice.id]
    ensure_default_categories(other_org.id)
    assert listed(handler, org, category_id=_category(other_org, "billing").id) == []  # not the organisation's
    client = login(handler)
    assert exported(client, org, f"category_id={billing.id}") == [c.reference for c in (in_billing, in_error, in_twice)]
    # The export's list: one indexed IN on category_id, not a join or a subquery per row.
    statement = str(filtered(actor_of(handler, org), RegisterFilter(category_id=billing.id)))
    assert "complaint.category_id IN" in statement and "complaint_category" not in statement


def test_a_page_of_a_category_tree_reads_each_category_in_the_pages_order(handler, org, count_queries):
    """Each category's own range of ix_complaint_category, merged: an IN list would lose the index's order, and
    a page of a category few complaints have would walk the whole register."""
    ensure_default_categories(org.id)
    billing, error = _category(org, "billing"), _category(org, "billing-error")
    received = [receive(org, category_id=(billing if n % 3 else error).id) for n in range(7)]
    with count_queries() as seen:
        page = register_page(actor_of(handler, org), RegisterFilter(category_id=billing.id), size=3)
    assert [c.id for c in page.items] == [c.id for c in received[::-1][:3]] and page.next_cursor
    statement = seen[-1]
    assert "UNION ALL" in statement and " IN " not in statement and statement.count("LIMIT") == 4
    assert listed(handler, org, category_id=billing.id) == [c.id for c in received]


# Search ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "found"), [
    ("%", ["A 100% refund was promised"]),
    ("100%", ["A 100% refund was promised"]),
    ("_", ["Plan code X_1 was wrong"]),
    ("x_1", ["Plan code X_1 was wrong"]),
    ("/", ["Billed and/or charged"]),
    ("d/o", ["Billed and/or charged"]),
    ("REFUND", ["A 100% refund was promised", "A 1000 refund was promised"]),
])
def test_search_takes_percent_and_underscore_literally(handler, org, q, found):
    descriptions = ["A 100% refund was promised", "A 1000 refund was promised", "Plan code X_1 was wrong",
                    "Plan code XY1 was wrong", "Billed and/or charged"]
    by_id = {receive(org, description).id: description for description in descriptions}
    assert [by_id[i] for i in listed(handler, org, q=q)] == found


def test_a_reference_is_found_with_its_own_characters(handler, org):
    complaint = receive(org)
    assert listed(handler, org, q=complaint.reference.lower()) == [complaint.id]
    assert listed(handler, org, q=complaint.reference[:-1] + "_") == []


def test_a_page_needs_no_query_for_the_time_zone_it_already_holds(handler, shanghai, count_queries):
    receive(shanghai, received_at=datetime.now(SHANGHAI) - timedelta(days=1))
    with count_queries() as seen:
        listed(handler, shanghai, received_from=date(2026, 1, 1))
    assert not any("FROM organisation" in statement for statement in seen)
