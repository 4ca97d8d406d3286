"""The register's export as a file the importer reads back: every field an import takes, its formulas kept
from running without changing what is imported again, and the rejected rows of an import neutralised alike."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.exporting import COLUMNS
from auditkit.complaints.importing import FIELDS, import_complaints, resolve_mapping
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category, Complaint
from auditkit.extensions import db
from tests.conftest import actor_of

EXPORT = "/o/{slug}/complaints/transfer/export.{kind}?sort=oldest"
SOURCE = ("external_id,received_at,channel,complainant_name,email,phone,preferred_language,consent,category,"
          "product,description,remedy_wanted,occurred_on\n"
          'crm-1,2026-03-01T05:00:00+08:00,phone,Li Wei,li.wei@example.org,+86 135 1234 5678,zh_Hans,yes,'
          'billing-error,Fibre 100,"=HYPERLINK(""http://evil.example"",""click"")",-50% on the next bill,2026-02-27\n'
          "crm-2,2026-03-02T09:00:00+08:00,email,Sara Ahmadi,@sara@example.org,,fa,no,service-delay,,"
          "@SUM(1;2) and nobody called back,,\n"
          "crm-3,2026-03-03T10:00:00+08:00,letter,Wang Fang,,-0912 000,,,,,Ordinary text: don't change it,"
          "'plain quote,\n")


def rows_of(organisation) -> list[Complaint]:
    return list(db.session.execute(select(Complaint).where(Complaint.organisation_id == organisation.id)
                                   .order_by(Complaint.received_at, Complaint.id)).scalars())


def imported(user, organisation, content: bytes, **options):
    return import_complaints(actor_of(user, organisation), organisation, io.BytesIO(content), **options)


@pytest.fixture
def register(handler, org):
    """Three imported complaints (the second with an email that is refused: left out) and one recorded by hand."""
    org.timezone = "Asia/Shanghai"
    ensure_default_categories(org.id)
    db.session.flush()
    source = SOURCE.replace("@sara@example.org", "sara@example.org").encode()
    assert imported(handler, org, source).written == 3
    receive_complaint(org, NewComplaint(description="+ sign first, by hand", email="x@example.org", external_id="api-7",
                                        consent=True, preferred_language="zh_Hant"), actor_id=None, actor_label="t")
    return rows_of(org)


def _csv(client, org) -> bytes:
    response = client.get(EXPORT.format(slug=org.slug, kind="csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response.data


def _xlsx(client, org) -> bytes:
    response = client.get(EXPORT.format(slug=org.slug, kind="xlsx"))
    assert response.status_code == 200
    return response.data


def test_the_header_names_every_field_an_import_takes(login, handler, org, register):
    header = next(csv.reader(io.StringIO(_csv(login(handler), org).decode("utf-8-sig"))))
    assert header == list(COLUMNS)
    columns, problems = resolve_mapping(header, None)
    assert problems == [] and sorted(columns.values()) == sorted(FIELDS)
    rows = list(csv.DictReader(io.StringIO(_csv(login(handler), org).decode("utf-8-sig"))))
    first, last = rows[0], rows[-1]
    assert (first["external_id"], first["occurred_on"], first["consent"], first["preferred_language"]) == (
        "crm-1", "2026-02-27", "true", "zh_Hans")
    assert (last["external_id"], last["consent"], last["preferred_language"]) == ("api-7", "true", "zh_Hant")
    assert rows[1]["consent"] == "false" and rows[1]["occurred_on"] == ""


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("role", ["handler", "viewer"])  # a viewer's export is masked: it still maps back
def test_an_export_imports_again_as_already_there_for_every_row(login, make, handler, org, register, kind, role):
    client = login(handler if role == "handler" else make.member(org, role))
    content = _csv(client, org) if kind == "csv" else _xlsx(client, org)
    report = imported(handler, org, content)
    assert (report.read, report.already_there, report.written, report.invalid, report.refused) == (4, 4, 0, 0, False)
    assert len(rows_of(org)) == 4


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_imports_into_another_register_as_it_was(login, make, handler, org, other_org, register, kind):
    content = _csv(login(handler), org) if kind == "csv" else _xlsx(login(handler), org)
    other_org.timezone = "Europe/Berlin"
    ensure_default_categories(other_org.id)
    importer = make.member(other_org, "handler")
    report = imported(importer, other_org, content)
    assert (report.written, report.invalid, report.refused) == (4, 0, False), report.problems
    fields = ("external_id", "channel", "complainant_name", "email", "phone", "preferred_language",
              "consent", "product", "description", "remedy_wanted", "occurred_on")
    codes = {ident: code for ident, code in db.session.execute(select(Category.id, Category.code))}
    for before, after in zip(register, rows_of(other_org), strict=True):
        assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
        assert codes.get(after.category_id) == codes.get(before.category_id)
        assert after.received_at == before.received_at.replace(microsecond=0)  # written to the second
    phone, description = register[0].phone, register[0].description
    assert phone == "+86 135 1234 5678" and description.startswith('=HYPERLINK("http')  # not "'+86 …"


def test_the_csv_keeps_the_apostrophe_the_workbook_a_text_cell(login, handler, org, register):
    client = login(handler)
    rows = list(csv.DictReader(io.StringIO(_csv(client, org).decode("utf-8-sig"))))
    assert rows[0]["phone"] == "'+86 135 1234 5678" and rows[0]["description"].startswith("'=HYPERLINK(")
    assert rows[0]["remedy_wanted"] == "'-50% on the next bill" and rows[2]["remedy_wanted"] == "'plain quote"
    sheet = load_workbook(io.BytesIO(_xlsx(client, org)))["Complaints"]
    header = [cell.value for cell in sheet[1]]
    first = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    for name, value in (("phone", "+86 135 1234 5678"), ("description", register[0].description),
                        ("remedy_wanted", "-50% on the next bill")):
        assert (first[name].value, first[name].data_type, first[name].quotePrefix) == (value, "s", True)
    assert first["channel"].value == "phone" and not first["channel"].quotePrefix
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_importer_takes_off_only_an_apostrophe_before_a_formula_character(handler, org):
    content = (b"received_at,email,phone,product,description,remedy_wanted\n"
               b"2026-03-01T10:00,a@example.org,'+98 912 345 6789,'@home,'=1+1,'-5\n"
               b"2026-03-01T11:00,b@example.org,'0912,'plain,Don't split it,''=twice\n")
    assert imported(handler, org, content).written == 2
    first, second = rows_of(org)
    assert (first.phone, first.product, first.description, first.remedy_wanted) == ("+98 912 345 6789", "@home",
                                                                                    "=1+1", "-5")
    assert (second.phone, second.product, second.description, second.remedy_wanted) == (
        "'0912", "'plain", "Don't split it", "''=twice")


def test_the_rejected_rows_are_neutralised_as_an_export(handler, org):
    ensure_default_categories(org.id)
    content = SOURCE.replace("received_at,", "received_at,=cmd|' /C calc'!A0,", 1).replace(
        "+08:00,", "+08:00,x,").encode()
    rejected = io.StringIO()
    report = imported(handler, org, content, skip_invalid=True, rejected=rejected)
    assert (report.written, report.invalid) == (2, 1)
    header, row = list(csv.reader(io.StringIO(rejected.getvalue())))
    assert header[2] == "'=cmd|' /C calc'!A0" and header[-2:] == ["line", "problems"]
    values = dict(zip(header, row, strict=True))
    assert values["external_id"] == "crm-2" and values["email"] == "'@sara@example.org"
    assert values["description"] == "'@SUM(1;2) and nobody called back"
    assert values["line"] == "3" and values["problems"].startswith("email: ")
    assert not any(value.startswith(("=", "+", "-", "@")) for value in [*header, *row])


def test_times_and_days_are_the_organisations(login, handler, org, register):
    rows = list(csv.DictReader(io.StringIO(_csv(login(handler), org).decode("utf-8-sig"))))
    zone = ZoneInfo("Asia/Shanghai")
    assert rows[0]["received_at"] == datetime(2026, 3, 1, 5, tzinfo=zone).isoformat()
    assert date.fromisoformat(rows[0]["occurred_on"]) == date(2026, 2, 27)


def test_an_external_id_starting_with_a_formula_character_is_already_there(login, handler, org):
    receive_complaint(org, NewComplaint(description="From the CRM", email="x@example.org", external_id="-17"),
                      actor_id=None, actor_label="test")
    report = imported(handler, org, _csv(login(handler), org))
    assert (report.already_there, report.written) == (1, 0)
