"""Dates and digits as people type them, the same way on every path a complaint comes in (intake, so the API and
the portal, and the import): a Solar Hijri (Jalali) year given as a Gregorian date is refused with one message,
and Persian, Arabic-Indic and full-width digits read as ASCII through one table."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from auditkit.accounts.tokens import create_token
from auditkit.complaints import intake
from auditkit.complaints.importing import import_complaints, rules
from auditkit.complaints.intake import NewComplaint, hash_code, receive_complaint
from auditkit.complaints.models import Complaint
from auditkit.core.errors import ValidationFailed
from auditkit.extensions import db
from tests.conftest import actor_of


def new(**values) -> NewComplaint:
    return NewComplaint(**{"description": "The router I bought does not connect.", "email": "ali@example.org",
                           "channel": "email", **values})


def complaints(org) -> list[Complaint]:
    return list(db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)).scalars())


@pytest.mark.parametrize(("values", "field", "year"), [
    ({"occurred_on": date(1403, 10, 26)}, "occurred_on", 1403),
    ({"occurred_on": date(1899, 12, 31)}, "occurred_on", 1899),
    ({"received_at": datetime(1404, 1, 5, 9, tzinfo=UTC)}, "received_at", 1404),
])
def test_intake_refuses_a_solar_hijri_year(org, values, field, year):
    with pytest.raises(ValidationFailed) as refused:
        receive_complaint(org, new(**values), actor_id=None, actor_label="test")
    assert list(refused.value.fields) == [field]
    assert refused.value.fields[field] == [
        f"The year {year} looks like a Solar Hijri (Jalali) year: give Gregorian dates."]
    assert complaints(org) == []
    # The first Gregorian year accepted.
    assert receive_complaint(org, new(occurred_on=date(1900, 1, 1)), actor_id=None, actor_label="test")[0]


def test_the_api_refuses_an_occurred_on_date_in_a_solar_hijri_year(client, handler, org):
    headers = {"Authorization": f"Bearer {create_token(actor_of(handler, org), name='test')[1]}"}
    body = {"description": "Billed twice.", "email": "reza@example.org", "occurred_on": "1403-12-10"}
    response = client.post("/api/v1/complaints", headers=headers, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "Jalali" in response.get_json()["error"]["fields"]["occurred_on"][0]
    assert complaints(org) == []


def test_the_import_refuses_an_occurred_on_date_in_a_solar_hijri_year(handler, org):
    content = ("received_at,email,description,occurred_on\n"
               "2025-03-01T10:00,a@example.org,one,۱۴۰۳-۱۲-۱۰\n"
               "2025-03-01T11:00,b@example.org,two,1403-12-10\n"
               "2025-03-01T12:00,c@example.org,three,۲۰۲۵-۰۲-۲۸\n").encode()
    report = import_complaints(actor_of(handler, org), org, io.BytesIO(content), file_name="dates.csv")
    assert [(p.line, p.field) for p in report.problems] == [(2, "occurred_on"), (3, "occurred_on")]
    assert all("Solar Hijri" in p.message and "1403" in p.message for p in report.problems)
    assert report.refused and complaints(org) == []


def test_one_table_reads_the_digits_everywhere():
    assert rules.DIGITS is intake.DIGITS
    assert "۱۴۰۳-۰۱-۱۵ ٢٠٢٥ ２０２５－０１".translate(intake.DIGITS) == "1403-01-15 2025 2025-01"
    assert hash_code("۳f۹a۰۰c۱") == hash_code("3F9A00C1") == hash_code(" ３Ｆ９Ａ００Ｃ１\u200f")
    assert intake.as_typed("\u200fCMP-۲۰۲۶-۰۰۰۱۲۳ ") == "CMP-2026-000123"
