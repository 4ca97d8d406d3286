"""Importing complaints from CSV and .xlsx (service, command line, browser) and exporting the register."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from email_validator import EmailNotValidError, validate_email
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from auditkit.complaints import importing, references
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.clock import due_at
from auditkit.complaints.importing import RowRules, import_complaints, reserve_block
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category, Complaint, ComplaintEvent
from auditkit.complaints.settings import DEFAULT_PATTERN, settings_of
from auditkit.core.errors import Forbidden
from auditkit.extensions import db
from tests.conftest import actor_of

HEADER = "external_id,received_at,channel,complainant_name,email,phone,category,description,occurred_on"


@pytest.fixture
def tehran(org):
    org.timezone = "Asia/Tehran"
    ensure_default_categories(org.id)
    db.session.flush()
    return org


def run(user, org, content: bytes, **options):
    return import_complaints(actor_of(user, org), org, io.BytesIO(content), **options)


def complaints(org) -> list[Complaint]:
    return list(db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)
                                   .order_by(Complaint.id)).scalars())


def problems(report) -> list[tuple]:
    return [(p.line, p.column, p.field) for p in report.problems]


def test_csv_with_bom_semicolons_and_line_breaks_in_quotes(handler, tehran):
    content = ("\ufeffexternal_id;received_at;channel;complainant_name;email;category;description;occurred_on\n"
               'crm-1;2025-03-01T10:30;Phone;Sara Ahmadi;sara@example.org;billing-error;"Charged twice;\n'
               'on two lines";2025-02-27\n'
               "crm-2;2025-03-02T09:00:00+00:00;email;Li Wei;li@example.org;Customer service;Rude staff;\n"
               ).encode()
    report = run(handler, tehran, content)
    assert (report.read, report.written, report.invalid, report.refused) == (2, 2, 0, False)
    first, second = complaints(tehran)
    assert first.description == "Charged twice;\non two lines" and first.channel == "phone"
    # A time without a zone is the organisation's: 10:30 in Tehran (+03:30) is 07:00 UTC.
    assert first.received_at == datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    assert second.received_at == datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    codes = dict(db.session.execute(select(Category.id, Category.code).where(Category.organisation_id == tehran.id))
                 .all())
    assert (codes[first.category_id], codes[second.category_id]) == ("billing-error", "service")
    assert first.reference == "CMP-2025-000001" and second.reference == "CMP-2025-000002"
    settings = settings_of(tehran)
    assert first.ack_due_at == due_at(first.received_at, settings.target(None, "acknowledge"), settings.calendar)
    assert first.response_due_at == due_at(first.received_at, settings.target(None, "respond"), settings.calendar)
    assert first.status == "received" and first.version == 1
    event = db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == first.id)).scalar_one()
    assert (event.kind, event.clause_key, event.actor_label, event.at) == (
        "receive", "iso10002:2018:7.2", handler.email, first.received_at)
    assert event.data["source"] == "import"


def test_xlsx_reads_the_sheet_named_complaints(handler, tehran):
    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["this sheet is not read"])
    sheet = workbook.create_sheet("Complaints")
    sheet.append(["received_at", "phone", "consent", "description", "occurred_on", "Comments"])
    excel_time, excel_day = datetime(2025, 5, 4, 12, 0), datetime(2025, 5, 1)  # noqa: DTZ001 - Excel's are naive
    sheet.append([excel_time, 9123456789, True, "No signal", excel_day, "ignored"])
    sheet.append([])  # an empty row is skipped, but still counts for line numbers
    sheet.append(["2025-05-05", "", "no", "Slow internet", None, None])
    content = io.BytesIO()
    workbook.save(content)
    report = run(handler, tehran, content.getvalue())
    assert problems(report) == [(4, None, "email")]  # line 4: no way to reach the complainant
    assert report.ignored == ["Comments"] and report.written == 0
    sheet.cell(row=4, column=2, value="021 5555")
    content = io.BytesIO()
    workbook.save(content)
    report = run(handler, tehran, content.getvalue())
    assert report.written == 2
    first, second = complaints(tehran)
    assert (first.phone, first.consent, str(first.occurred_on)) == ("9123456789", True, "2025-05-01")
    assert first.received_at == datetime(2025, 5, 4, 8, 30, tzinfo=UTC)  # Excel's naive time, in Tehran
    assert second.consent is False and first.channel == "other"


def test_a_bad_date_names_the_line_and_column_and_nothing_is_written(handler, org):
    content = (b"Date received,Text,email,When\n"
               b'2025-03-01T10:00,"A description\nover two lines",a@example.org,2025-02-01\n'
               b"01/03/2025,Wrong date format,b@example.org,\n"
               b"2025-03-01,Wrong day format,c@example.org,1 March\n")
    mapping = {"Date received": "received_at", "Text": "description", "When": "occurred_on"}
    report = run(handler, org, content, mapping=mapping)
    assert report.refused and report.written == 0 and report.to_write == 1
    assert problems(report) == [(4, "Date received", "received_at"), (5, "When", "occurred_on")]
    assert "ISO 8601" in report.problems[0].message and "YYYY-MM-DD" in report.problems[1].message
    assert complaints(org) == []


def test_a_dry_run_checks_everything_and_writes_nothing(handler, org):
    content = f"{HEADER}\ny-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n".encode()
    report = run(handler, org, content, dry_run=True)
    assert (report.to_write, report.written, report.refused) == (1, 0, False)
    assert complaints(org) == [] and reserve_block(org.id, DEFAULT_PATTERN, 2025, 1) == 1  # no reference was taken


def test_persian_and_full_width_digits_are_read_as_digits(handler, org):
    content = ("received_at,email,description,occurred_on,phone\n"
               "۲۰۲۵-۰۳-۰۱T۱۰:۳۰,a@example.org,یک,۲۰۲۵-۰۲-۲۸,۰۹۱۲۳۴۵۶۷۸۹\n"
               "２０２５－０３－０２,b@example.org,二,,\n").encode()
    report = run(handler, org, content)
    assert report.written == 2, report.problems
    first, second = complaints(org)
    assert first.received_at == datetime(2025, 3, 1, 10, 30, tzinfo=UTC) and str(first.occurred_on) == "2025-02-28"
    assert first.phone == "09123456789" and second.received_at == datetime(2025, 3, 2, tzinfo=UTC)
    jalali = run(handler, org, "received_at,email,description\n۱۴۰۳-۱۲-۱۰,c@example.org,x\n".encode())
    assert problems(jalali) == [(2, "received_at", "received_at")] and "Jalali" in jalali.problems[0].message


@pytest.mark.parametrize(("cells", "field", "words"), [
    ("2025-03-01,fax,a@example.org,,x", "channel", "web_form"),
    ("2025-03-01,email,not-an-address,,x", "email", "valid email"),
    ("2025-03-01,email,,,x", "email", "way to reach"),
    ("2025-03-01,email,a@example.org,no-such-category,x", "category", "categories"),
    ("2025-03-01,email,a@example.org,,", "description", "Describe"),
    ("2999-03-01,email,a@example.org,,x", "received_at", "future"),
    (",email,a@example.org,,x", "received_at", "received"),
    ("2025-03-01,email,a@example.org,,x,extra", None, "quotes"),
])
def test_each_rule_names_its_field(handler, tehran, cells, field, words):
    report = run(handler, tehran, f"received_at,channel,email,category,description\n{cells}\n".encode())
    assert [(p.line, p.field) for p in report.problems] == [(2, field)]
    assert words in report.problems[0].message and complaints(tehran) == []


def test_skip_invalid_writes_the_valid_rows_and_hands_back_the_rejected(handler, org):
    content = (f"{HEADER}\n"
               "a-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "a-2,2025-03-01,email,Bad,nope,,,Wrong address,\n"
               "a-3,2025-03-02,phone,Sara,,0912,,No signal,\n"
               "a-4,2025-03-02\n").encode()
    rejected = io.StringIO()
    report = run(handler, org, content, skip_invalid=True, rejected=rejected)
    assert (report.written, report.invalid, report.refused) == (2, 2, False)
    assert [c.external_id for c in complaints(org)] == ["a-1", "a-3"]
    rows = list(csv.reader(io.StringIO(rejected.getvalue())))
    width = len(HEADER.split(","))
    assert rows[0] == [*HEADER.split(","), "line", "problems"]
    assert rows[1][:5] == ["a-2", "2025-03-01", "email", "Bad", "nope"] and rows[1][width] == "3"
    assert rows[1][width + 1].startswith("email: ") and len(rows) == 3
    assert rows[2][:2] == ["a-4", "2025-03-02"] and rows[2][width] == "5" and "description" in rows[2][width + 1]


def test_a_large_import_refreshes_the_planner_statistics_on_postgresql(handler, org, monkeypatch, count_queries,
                                                                       engine_name):
    from auditkit.complaints.importing import service

    monkeypatch.setattr(service, "ANALYZE_AFTER", 2)  # "large": two rows here, ten thousand in use
    content = (f"{HEADER}\n"
               "s-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "s-2,2025-03-01,email,Sara,sara@example.org,,,No signal,\n").encode()
    with count_queries() as seen:
        assert run(handler, org, content).written == 2
    analysed = [statement for statement in seen if statement.startswith("ANALYZE")]
    assert analysed == (["ANALYZE complaint, complaint_event"] if engine_name == "postgresql" else [])


def test_importing_again_finds_the_complaints_already_there(handler, org):
    content = (f"{HEADER}\n"
               "r-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "r-2,2025-03-01,email,Sara,sara@example.org,,,No signal,\n").encode()
    assert run(handler, org, content).written == 2
    again = run(handler, org, content + b"r-3,2025-03-03,email,New,new@example.org,,,Third,\n")
    assert (again.written, again.already_there, again.invalid) == (1, 2, 0)
    assert [c.reference[-6:] for c in complaints(org)] == ["000001", "000002", "000003"]


def test_a_complaint_received_meanwhile_stops_the_whole_import(handler, org, monkeypatch):
    content = (f"{HEADER}\n"
               "m-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "m-2,2025-03-01,email,Sara,sara@example.org,,,No signal,\n").encode()
    receive_complaint(org, NewComplaint(description="Via the API", email="x@example.org", external_id="m-2"),
                      actor_id=None, actor_label="api")
    # As if the API recorded m-2 between the check and the writing.
    monkeypatch.setattr(importing.service, "_existing", lambda organisation_id, external_ids: set())
    with pytest.raises(IntegrityError), db.session.begin_nested():  # the caller rolls back
        run(handler, org, content)
    assert [c.external_id for c in complaints(org)] == ["m-2"]


def test_the_same_external_id_twice_in_one_file_is_an_error(handler, org):
    content = (f"{HEADER}\n"
               "d-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
               "d-1,2025-03-02,email,Ali,ali@example.org,,,Billed again,\n").encode()
    report = run(handler, org, content)
    assert problems(report) == [(3, "external_id", "external_id")] and "line 2" in report.problems[0].message
    assert report.refused and complaints(org) == []


def test_a_mapping_names_their_columns(handler, org):
    content = b"Date,Mail,Notes,email\n2025-03-01,ali@example.org,Billed twice,old@example.org\n"
    mapping = {"Date": "received_at", "Mail": "email", "Notes": "description", "email": ""}
    report = run(handler, org, content, mapping=mapping)
    assert report.written == 1 and report.ignored == ["email"]
    assert complaints(org)[0].email == "ali@example.org"
    wrong = run(handler, org, content, mapping={"Dated": "received_at", "Notes": "complaint", "Mail": "email"})
    assert wrong.refused and wrong.file_problem
    assert {(p.column, p.field) for p in wrong.problems} >= {("Dated", None), ("Notes", "complaint"),
                                                             ("Mail, email", "email")}


def test_reserved_blocks_do_not_overlap_single_references(org):
    assert reserve_block(org.id, DEFAULT_PATTERN, 2025, 3) == 1
    assert references.next_sequence(org.id, DEFAULT_PATTERN, 2025) == 4
    assert reserve_block(org.id, DEFAULT_PATTERN, 2025, 10) == 5
    assert reserve_block(org.id, DEFAULT_PATTERN, 2024, 2) == 1
    # A pattern without the year numbers on across years: one running counter.
    assert [reserve_block(org.id, "A-{seq:03}", year, 2) for year in (2024, 2025, 2026)] == [1, 3, 5]


def test_cached_due_dates_equal_the_clock(org):
    org.timezone = "Europe/Berlin"  # the clocks change on 30 March 2025
    org.settings = {"complaints": {"holidays": ["2025-04-18"]}}
    rules = RowRules(org, ["received_at"], {0: "received_at"})
    settings = settings_of(org)
    start = datetime(2025, 3, 26, 0, 15, tzinfo=UTC)
    for hours in range(0, 24 * 30, 7):
        received = start + timedelta(hours=hours)
        for step in ("acknowledge", "respond"):
            assert rules.due(received, step) == due_at(received, settings.target(None, step), settings.calendar)


@pytest.mark.parametrize("address", [
    "Ali.Reza@Example.ORG", "a+b@example.org", "user@bücher.example", "x@localhost", "a@b", "a..b@example.org",
    ".a@example.org", '"quoted"@example.org', "ab@exa_mple.org", "a" * 65 + "@example.org", "用户@例子.广告",
    "a@example.org.", "a@-example.org", "a@@example.org",
    "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63, "org"]),  # a valid domain, but 260 characters
])
def test_the_quick_email_check_agrees_with_email_validator(org, address):
    rules = RowRules(org, ["email"], {0: "email"})
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    assert rules.email(address) == rules.email(address) == expected  # twice: the domain is cached


def test_only_handlers_and_managers_import(viewer, org):
    with pytest.raises(Forbidden):
        run(viewer, org, f"{HEADER}\n".encode())


# The command line


def cli(app, *args: str):
    """Run `auditkit ...` in an application context (and database session) of its own, as from a shell."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_the_command_checks_with_dry_run_and_writes_nothing(app, handler, org, tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(f"{HEADER}\nc-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n", encoding="utf-8")
    result = cli(app, "complaints", "import", str(path), "--org", org.slug, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 would be written" in result.output and complaints(org) == []
    result = cli(app, "complaints", "import", str(path), "--org", org.slug)
    assert result.exit_code == 0 and "1 written" in result.output and len(complaints(org)) == 1
    assert complaints(org)[0].events[0].actor_label == "cli: complaints import"


def test_the_command_reports_each_bad_row_and_skips_them_on_request(app, org, tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(f"{HEADER}\nc-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n"
                    "c-2,yesterday,email,Sara,sara@example.org,,,No signal,\n", encoding="utf-8")
    result = cli(app, "complaints", "import", str(path), "--org", org.slug)
    assert result.exit_code == 1 and complaints(org) == []
    assert f"{path}:3: column “received_at”: Write the date and time in ISO 8601" in result.stderr
    mapping = '{"received_at": "received_at"}'
    result = cli(app, "complaints", "import", str(path), "--org", org.slug, "--skip-invalid", "--mapping", mapping)
    assert result.exit_code == 0 and [c.external_id for c in complaints(org)] == ["c-1"]
    rejected = (tmp_path / "complaints.csv.rejected.csv").read_text(encoding="utf-8-sig")
    assert rejected.splitlines()[1].startswith("c-2,yesterday,") and f"written to {path}.rejected.csv" in result.output
    result = cli(app, "complaints", "import", str(path), "--org", "nowhere")
    assert result.exit_code == 2


# The browser


def test_importing_in_the_browser_in_two_steps(login, handler, org):
    client = login(handler)
    base = f"/o/{org.slug}/complaints/transfer"
    assert client.get(f"{base}/").status_code == 200
    content = (f"{HEADER},Remark\n"
               "b-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,,note\n"
               "b-2,2025-03-01,email,Sara,broken,,,No signal,,\n").encode()
    page = client.post(f"{base}/", data={"file": (io.BytesIO(content), "export.csv")},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="column_9"' in html and "Remark" in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    mapping = {f"column_{i}": name for i, name in enumerate(HEADER.split(","))} | {"column_9": ""}
    checked = client.post(f"{base}/run", data={"token": token, "action": "check", **mapping})
    assert checked.status_code == 422 and complaints(org) == []
    assert re.search(r"<td>3</td><td>email</td>\s*<td[^>]*>email</td><td>Enter a valid email address.",
                     checked.get_data(as_text=True))
    imported = client.post(f"{base}/run", data={"token": token, "action": "import", "skip_invalid": "y", **mapping})
    assert imported.status_code == 200 and [c.external_id for c in complaints(org)] == ["b-1"]
    link = re.search(r'href="([^"]+/rejected/[^"]+)"', imported.get_data(as_text=True)).group(1)
    download = client.get(link)
    assert download.mimetype == "text/csv" and "b-2,2025-03-01" in download.get_data(as_text=True)
    # The upload is gone once imported: the same form again writes nothing twice.
    again = client.post(f"{base}/run", data={"token": token, "action": "import", **mapping})
    assert again.status_code == 422 and len(complaints(org)) == 1


def test_the_page_says_when_complaints_were_received_meanwhile(login, handler, org, monkeypatch):
    client = login(handler)
    base = f"/o/{org.slug}/complaints/transfer"
    content = f"{HEADER}\nw-1,2025-03-01,email,Ali,ali@example.org,,,Billed twice,\n".encode()
    html = client.post(f"{base}/", data={"file": (io.BytesIO(content), "crm.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    receive_complaint(org, NewComplaint(description="Via the API", email="x@example.org", external_id="w-1"),
                      actor_id=None, actor_label="api")
    monkeypatch.setattr(importing.service, "_existing", lambda organisation_id, external_ids: set())
    mapping = {f"column_{i}": name for i, name in enumerate(HEADER.split(","))}
    response = client.post(f"{base}/run", data={"token": token, "action": "import", **mapping})
    assert response.status_code == 409 and "recorded meanwhile" in response.get_data(as_text=True)
    assert [c.channel for c in complaints(org)] == ["web_form"]  # only the one the API recorded


def test_upload_tokens_belong_to_their_member_and_files_must_be_csv_or_xlsx(login, make, handler, org):
    base = f"/o/{org.slug}/complaints/transfer"
    client = login(handler)
    refused = client.post(f"{base}/", data={"file": (io.BytesIO(b"\x00\x01binary"), "x.csv")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "Upload a CSV file" in refused.get_data(as_text=True)
    html = client.post(f"{base}/", data={"file": (io.BytesIO(f"{HEADER}\n".encode()), "x.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    other = login(make.member(org, "manager"))
    assert other.post(f"{base}/run", data={"token": token, "action": "check"}).status_code == 422
    assert other.get(f"{base}/rejected/{token}").status_code == 404


# Export


@pytest.fixture
def exported(org):
    ensure_default_categories(org.id)
    category = db.session.execute(select(Category).where(Category.organisation_id == org.id,
                                                         Category.code == "billing")).scalar_one()
    data = NewComplaint(description="=HYPERLINK(\"http://evil.example\",\"click\") <script>alert(1)</script>",
                        email="sara.ahmadi@example.org", complainant_name="Sara Ahmadi", phone="+98 912 345 6789",
                        channel="phone", category_id=category.id)
    first = receive_complaint(org, data, actor_id=None, actor_label="test")[0]
    second = receive_complaint(org, NewComplaint(description="@SUM(1,2)", email="li@example.org",
                                                 complainant_name="Li Wei"), actor_id=None, actor_label="test")[0]
    return first, second


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


@pytest.mark.parametrize(("role", "masked"), [("viewer", True), ("auditor", True), ("handler", False)])
def test_export_masks_personal_data_for_those_who_do_not_handle_it(login, make, org, exported, role, masked):
    client = login(make.member(org, role))
    rows = _csv_rows(client.get(f"/o/{org.slug}/complaints/transfer/export.csv?sort=oldest"))
    assert [r["reference"] for r in rows] == [c.reference for c in exported]
    names = {r["complainant_name"] for r in rows} | {r["email"] for r in rows}
    assert ("Sara Ahmadi" in names) is not masked and ("sara.ahmadi@example.org" in names) is not masked
    if masked:
        assert rows[0]["complainant_name"] == "S••• A•••••" and rows[0]["email"] == "s•••@example.org"
    assert rows[0]["category"] == "Billing and charges" and rows[0]["status"] == "received"
    zone = ZoneInfo(org.timezone)
    assert rows[0]["received_at"] == exported[0].received_at.astimezone(zone).isoformat(timespec="seconds")


def test_export_neutralises_formulas_in_csv_and_xlsx(login, handler, org, exported):
    client = login(handler)
    response = client.get(f"/o/{org.slug}/complaints/transfer/export.csv?sort=oldest")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = _csv_rows(response)
    assert rows[0]["description"].startswith("'=HYPERLINK(") and rows[1]["description"] == "'@SUM(1,2)"
    assert rows[0]["phone"] == "'+98 912 345 6789"
    workbook = client.get(f"/o/{org.slug}/complaints/transfer/export.xlsx?sort=oldest")
    assert workbook.status_code == 200 and workbook.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(workbook.data))["Complaints"]
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = cells[0]
    description = header.index("description")
    # In the workbook the text is as written, in a text cell with a quote prefix: never a formula.
    assert cells[1][description] == exported[0].description and "<script>" in cells[1][description]
    assert cells[1][header.index("phone")] == "+98 912 345 6789"
    assert sheet.cell(2, description + 1).quotePrefix and sheet.cell(2, description + 1).data_type == "s"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert cells[2][header.index("email")] == "li@example.org"


def test_export_follows_the_register_filters(login, handler, org, exported):
    client = login(handler)
    base = f"/o/{org.slug}/complaints/transfer"
    assert [r["channel"] for r in _csv_rows(client.get(f"{base}/export.csv?channel=phone"))] == ["phone"]
    assert [r["description"] for r in _csv_rows(client.get(f"{base}/export.csv?q=sum"))] == ["'@SUM(1,2)"]
    assert len(_csv_rows(client.get(f"{base}/export.csv?channel=nonsense"))) == 2  # not understood: left out
    page = client.get(f"{base}/export?channel=phone").get_data(as_text=True)  # the register's filters, kept
    assert 'formaction="/o/alpha/complaints/transfer/export.xlsx"' in page
    assert '<option selected value="phone">' in page


def _statements(app, client, url: str) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_export_needs_no_more_queries_for_more_rows(app, login, handler, org, exported):
    client = login(handler)
    url = f"/o/{org.slug}/complaints/transfer/export.csv"
    before = _statements(app, client, url)
    for n in range(5):
        receive_complaint(org, NewComplaint(description=f"more {n}", email="m@example.org"), actor_id=None,
                          actor_label="test")
    assert before > 0 and _statements(app, client, url) == before
    assert len(_csv_rows(client.get(url))) == 7
