"""The public complaint portal: the form in four languages and without an account, attachments checked by
content, honeypot, throttle, status look-up, the single-use survey, the emailed acknowledgement (through a
real SMTP server on loopback), CSRF, escaping, and nothing half-written on any refusal or failure."""

from __future__ import annotations

import email
import email.policy
import io
import logging
import re
import socket
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook
from sqlalchemy import func, select

from auditkit.complaints import attachments as types
from auditkit.complaints import lifecycle
from auditkit.complaints.attachments import Upload, check_uploads, sniff
from auditkit.complaints.intake import hash_code
from auditkit.complaints.models import Complaint
from auditkit.complaints.portal_models import ComplaintAttachment, PortalSubmission
from auditkit.core import storage
from auditkit.core.mail import send_mail
from auditkit.extensions import db
from tests.conftest import actor_of

MB = 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32) + b"\xff\xd9"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00" + bytes(64)


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "docx":
        document = Document()
        document.add_paragraph("Receipt of the router")
        document.save(buffer)
    else:
        Workbook().save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def uploads_folder(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    return folder


def stored_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()


def form(**values) -> dict:
    """What a browser sends: every field, the ones left alone empty."""
    empty = dict.fromkeys(("complainant_organisation", "phone", "address", "postcode", "country", "representative",
                           "product", "occurred_on", "remedy_wanted", "website"), "")
    return {**empty, "complainant_name": "Ali Rezaei", "email": "ali@example.org", "preferred_language": "en",
            "description": "The router I bought does not connect.", "consent": "y", **values}


def submit(client, org, lang: str | None = None, address: str = "192.0.2.10", **values):
    url = f"/p/{org.slug}/complaint" + (f"?lang={lang}" if lang else "")
    return client.post(url, data=form(**values), content_type="multipart/form-data",
                       environ_base={"REMOTE_ADDR": address})


def receipt(client, response) -> tuple[str, str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    reference = re.search(r'id="reference">([^<]+)<', html).group(1)
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    return reference, code, html


def complaint_by(org, reference: str) -> Complaint:
    return db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id,
                                                      Complaint.reference == reference)).scalar_one()


# The form and its languages -------------------------------------------------------------------------------

def test_the_form_needs_no_sign_in_and_names_every_annex_field(client, org):
    page = client.get(f"/p/{org.slug}/complaint")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("complainant_name", "complainant_organisation", "email", "phone", "address", "postcode", "country",
                 "representative", "preferred_language", "product", "occurred_on", "description", "remedy_wanted",
                 "attachments", "consent"):
        assert f'name="{name}"' in html and f'for="{name}"' in html, name
    assert 'enctype="multipart/form-data"' in html and "<script" not in html and "style=" not in html
    assert 'aria-hidden="true"' in html and 'name="website"' in html  # the honeypot, out of people's way


def test_a_complaint_in_english_gets_a_reference_and_tracking_code(client, org):
    reference, code, html = receipt(client, submit(client, org, product="Router X2", remedy_wanted="A refund",
                                                   occurred_on="2026-01-15"))
    assert 'lang="en"' in html and 'dir="ltr"' in html
    assert "Keep these two codes" in html
    complaint = complaint_by(org, reference)
    assert complaint.channel == "web_form" and complaint.consent is True and complaint.status == "received"
    assert complaint.tracking_code_hash == hash_code(code)
    assert (complaint.product, complaint.remedy_wanted, str(complaint.occurred_on)) == (
        "Router X2", "A refund", "2026-01-15")
    assert [(e.kind, e.actor_label, e.actor_id) for e in complaint.events] == [("receive", "portal", None)]
    assert count(PortalSubmission, organisation_id=org.id, kind="complaint") == 1


def test_a_complaint_in_persian_is_right_to_left_throughout(client, org):
    page = client.get(f"/p/{org.slug}/complaint?lang=fa")
    html = page.get_data(as_text=True)
    assert 'lang="fa"' in html and 'dir="rtl"' in html and "bootstrap.rtl.min.css" in html
    assert 'action="/p/alpha/complaint?lang=fa#errors"' in html  # the language survives the submission
    assert '<option selected value="fa">' in html  # written to in the language they read
    reference, _code, html = receipt(client, submit(client, org, lang="fa", preferred_language="fa",
                                                    description="مودم کار نمی‌کند"))
    assert 'lang="fa"' in html and 'dir="rtl"' in html
    assert "شناسه" in html  # "Reference", from the Persian catalogue
    assert re.search("[۰-۹]", html)  # the due date in Persian digits
    complaint = complaint_by(org, reference)
    assert complaint.description == "مودم کار نمی‌کند" and complaint.preferred_language == "fa"


def test_the_language_comes_from_the_switch_else_the_organisation(client, make):
    chinese = make.organisation(name="Gamma", slug="gamma", locale="zh_Hant")
    assert 'lang="zh-Hant"' in client.get(f"/p/{chinese.slug}/track").get_data(as_text=True)
    switched = client.post("/language", data={"locale": "fa", "next": f"/p/{chinese.slug}/track"})
    assert switched.status_code == 302 and switched.location.endswith(f"/p/{chinese.slug}/track")
    html = client.get(f"/p/{chinese.slug}/track").get_data(as_text=True)
    assert 'lang="fa"' in html and 'dir="rtl"' in html
    assert 'lang="zh-Hans"' in client.get(f"/p/{chinese.slug}/track?lang=zh_Hans").get_data(as_text=True)


def test_an_unknown_organisation_is_404_on_every_page(client, org):
    for path in ("complaint", "track", "survey/whatever", "complaint/received"):
        assert client.get(f"/p/no-such-org/{path}").status_code == 404
    assert client.post("/p/no-such-org/complaint", data=form()).status_code == 404


# Refusals write nothing -----------------------------------------------------------------------------------

def test_missing_description_consent_and_contact_are_named_and_nothing_is_written(client, org, uploads_folder):
    response = submit(client, org, description=" ", consent="", email="", attachments=[(io.BytesIO(PDF), "a.pdf")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html[html.index('id="errors"'):html.index("</ul>", html.index('id="errors"'))]
    for field in ("description", "consent", "email"):
        assert f'href="#{field}"' in summary, field
        assert f'aria-describedby="{field}-hint {field}-error"' in html or f'aria-describedby="{field}-error"' in html
    assert "Tick the box" in html and "at least one way to reach you" in html
    assert 'value="Ali Rezaei"' in html  # what they typed stays
    assert count(Complaint, organisation_id=org.id) == 0 and count(ComplaintAttachment) == 0
    assert stored_files(uploads_folder) == []
    assert count(PortalSubmission) == 1  # only the post's count for the throttle
    # The refused attempt used no reference number.
    reference, _code, _html = receipt(client, submit(client, org))
    assert reference.endswith("-000001")


def test_a_date_the_form_cannot_read_is_named_with_the_other_problems(client, org):
    response = submit(client, org, occurred_on="yesterday", description="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#occurred_on"' in html and 'href="#description"' in html
    assert count(Complaint, organisation_id=org.id) == 0


def test_a_30_mb_attachment_is_refused_before_anything_is_read(client, org, uploads_folder):
    big = b"%PDF-1.7\n" + bytes(30 * MB)
    response = submit(client, org, attachments=[(io.BytesIO(big), "scan.pdf")])
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Nothing was sent" in html and "10 MB" in html and "25 MB" in html
    assert count(Complaint, organisation_id=org.id) == 0 and stored_files(uploads_folder) == []


def test_a_file_over_the_per_file_limit_and_files_over_the_total_are_refused(app, client, org, uploads_folder,
                                                                             monkeypatch):
    response = submit(client, org, attachments=[(io.BytesIO(b"%PDF-1.7\n" + bytes(11 * MB)), "scan.pdf"),
                                                (io.BytesIO(PNG), "photo.png")])
    assert response.status_code == 422
    assert "“scan.pdf” is larger than 10 MB" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENT_MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "PORTAL_ATTACHMENTS_MAX_BYTES", 1500)
    pdf = PDF + bytes(900 - len(PDF))
    response = submit(client, org, attachments=[(io.BytesIO(pdf), "one.pdf"), (io.BytesIO(pdf), "two.pdf")])
    assert response.status_code == 422
    assert "The files together are larger than" in response.get_data(as_text=True)
    assert count(Complaint, organisation_id=org.id) == 0 and stored_files(uploads_folder) == []


def test_an_executable_named_pdf_is_refused_by_its_content(client, org, uploads_folder):
    response = submit(client, org, attachments=[(io.BytesIO(PROGRAM), "report.pdf"), (io.BytesIO(PDF), "ok.pdf")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "“report.pdf” is a program" in html and 'href="#attachments"' in html
    assert 'id="attach-again"' in html  # browsers drop chosen files when the form comes back
    assert count(Complaint, organisation_id=org.id) == 0 and stored_files(uploads_folder) == []


@pytest.mark.parametrize(("content", "name"), [
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "picture.png"),
    (b"#!/bin/sh\nrm -rf ~\n", "notes.txt"),
    (b"\x7fELF\x02\x01\x01" + bytes(64), "manual.docx"),
    (b"PK\x03\x04" + bytes(40), "broken.docx"),
    (b"", "empty.txt"),
])
def test_other_types_are_refused_with_the_files_name(client, org, content, name):
    response = submit(client, org, attachments=[(io.BytesIO(content), name)])
    assert response.status_code == 422
    assert f"“{name}”" in response.get_data(as_text=True)
    assert count(Complaint, organisation_id=org.id) == 0


def test_accepted_files_are_stored_under_random_keys_with_their_sniffed_type(client, org, uploads_folder):
    files = [(PDF, "../../etc/passwd.png"), (PNG, "photo.png"), (JPEG, "photo.jpg"),
             ("متن ساده\nplain text\n".encode(), "notes.txt"), (office("docx"), "letter.pdf"),
             (office("xlsx"), "costs.xlsx")]
    response = submit(client, org, attachments=[(io.BytesIO(content), name) for content, name in files])
    reference, _code, html = receipt(client, response)
    complaint = complaint_by(org, reference)
    rows = db.session.execute(select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == complaint.id)
                              .order_by(ComplaintAttachment.id)).scalars().all()
    assert [(r.filename, r.media_type) for r in rows] == [
        ("passwd.png", types.PDF.media_type), ("photo.png", types.PNG.media_type),
        ("photo.jpg", types.JPEG.media_type), ("notes.txt", types.TEXT.media_type),
        ("letter.pdf", types.DOCX.media_type), ("costs.xlsx", types.XLSX.media_type)]
    assert [r.storage_key.rsplit(".", 1)[1] for r in rows] == ["pdf", "png", "jpg", "txt", "docx", "xlsx"]
    for row, (content, _name) in zip(rows, files, strict=True):
        assert re.fullmatch(r"[0-9a-f]{32}\.[a-z]+", row.storage_key)
        assert storage.open(row.storage_key) == content and row.size == len(content)
    assert sorted(r.storage_key for r in rows) == stored_files(uploads_folder)
    assert "passwd.png" in html and "letter.pdf" in html  # the receipt lists the files
    assert [(e.data["filename"], e.actor_label, e.actor_id) for e in complaint.events if e.kind == "attachment"] == [
        (r.filename, "portal", None) for r in rows]


def test_files_written_are_removed_when_the_transaction_fails(client, org, uploads_folder, monkeypatch, caplog):
    def failing_commit():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with caplog.at_level(logging.ERROR):
        response = submit(client, org, attachments=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PNG), "b.png")])
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored_files(uploads_folder) == []
    assert count(Complaint, organisation_id=org.id) == 0 and count(ComplaintAttachment) == 0


def test_the_checks_read_content_not_names():
    assert sniff(PDF).suffix == ".pdf" and sniff(office("docx")).suffix == ".docx"
    assert sniff(office("xlsx")).suffix == ".xlsx" and sniff(PROGRAM) is None
    assert sniff(b"MZ Trading wrote to us.\n").suffix == ".txt"  # text that starts with the letters MZ
    accepted, problems = check_uploads([Upload("a.txt", "\ufeffسلام".encode()), Upload("b.exe", PROGRAM)])
    assert [f.filename for f in accepted] == ["a.txt"] and len(problems) == 1 and "b.exe" in problems[0]


# Honeypot and throttle ------------------------------------------------------------------------------------

def test_a_filled_honeypot_creates_nothing(client, org, uploads_folder):
    response = submit(client, org, website="http://spam.example", attachments=[(io.BytesIO(PDF), "a.pdf")])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "could not be accepted" in html and "reference" not in html.lower().split("<main", 1)[1]
    assert count(Complaint, organisation_id=org.id) == 0 and count(ComplaintAttachment) == 0
    assert count(PortalSubmission) == 1  # only the post's count for the throttle
    assert stored_files(uploads_folder) == []


def test_more_than_five_complaints_in_ten_minutes_from_one_address_get_429(client, org, other_org):
    for _ in range(5):
        assert submit(client, org, address="198.51.100.7").status_code == 302
    refused = submit(client, org, address="198.51.100.7")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert "try again in 10 minutes" in refused.get_data(as_text=True)
    assert count(Complaint, organisation_id=org.id) == 5
    assert submit(client, org, address="198.51.100.8").status_code == 302  # another address
    assert submit(client, other_org, address="198.51.100.7").status_code == 302  # another organisation
    # The address itself is not stored, only a keyed hash of it.
    clients = db.session.execute(select(PortalSubmission.client)).scalars().all()
    assert clients and not any("198.51.100" in c for c in clients)


def test_every_post_of_the_form_counts_towards_the_throttle_whatever_becomes_of_it(app, client, org,
                                                                                   uploads_folder, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_COMPLAINTS_PER_WINDOW", 8)
    bot = "198.51.100.66"
    answers = [submit(client, org, address=bot, description="").status_code for _ in range(3)]  # invalid
    answers += [submit(client, org, address=bot, website="http://spam.example",
                       attachments=[(io.BytesIO(PDF), "a.pdf")]).status_code for _ in range(3)]  # honeypot
    big = b"%PDF-1.7\n" + bytes(30 * MB)
    answers.append(submit(client, org, address=bot, attachments=[(io.BytesIO(big), "scan.pdf")]).status_code)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    answers.append(submit(client, org, address=bot).status_code)  # no token: the form had expired
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert answers == [422, 422, 422, 400, 400, 400, 413, 400]
    ninth = submit(client, org, address=bot)  # a good one now, as after eight good ones
    assert ninth.status_code == 429 and 0 < int(ninth.headers["Retry-After"]) <= 600
    assert "try again in 10 minutes" in ninth.get_data(as_text=True)
    # Over the limit, even a body over the size limit is answered 429: it is refused before it is read.
    assert submit(client, org, address=bot, attachments=[(io.BytesIO(big), "scan.pdf")]).status_code == 429
    assert count(PortalSubmission) == 8  # the posts refused for the throttle do not count
    assert count(Complaint, organisation_id=org.id) == 0 and stored_files(uploads_folder) == []
    assert submit(client, org, address="198.51.100.67").status_code == 302  # another address goes on


def test_the_wait_page_speaks_the_portals_language(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_COMPLAINTS_PER_WINDOW", 0)
    refused = submit(client, org, lang="fa")
    assert refused.status_code == 429 and 'dir="rtl"' in refused.get_data(as_text=True)


# Status look-up -------------------------------------------------------------------------------------------

def test_track_with_the_right_code_shows_status_and_dates_only(client, org, handler):
    reference, code, _html = receipt(client, submit(client, org, phone="+98 21 5555"))
    complaint = complaint_by(org, reference)
    actor = actor_of(handler, org)
    lifecycle.acknowledge_complaint(actor, complaint, version=complaint.version, method="email",
                                    note="STAFF-ONLY note about the customer")
    db.session.flush()
    response = client.post(f"/p/{org.slug}/track", data={"reference": reference.lower(), "code": code.lower()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "We have confirmed that we are handling your complaint" in html
    assert "Receipt confirmed" in html and "We aim to answer you by" in html and reference in html
    assert "STAFF-ONLY" not in html and "ali@example.org" not in html and "+98 21 5555" not in html
    assert "does not connect" not in html  # not even their own description: status and dates only


def test_a_wrong_pair_gets_one_answer_whether_the_reference_exists_or_not(client, org, other_org):
    reference, code, _html = receipt(client, submit(client, org))
    answers = []
    for slug, ref, tracking in ((org.slug, reference, "00000000"), (org.slug, "CMP-1999-000042", code),
                                (other_org.slug, reference, code)):
        response = client.post(f"/p/{slug}/track", data={"reference": ref, "code": tracking})
        html = response.get_data(as_text=True)
        main = html[html.index("<main"):html.index("<form", html.index("<main"))]
        answers.append((response.status_code, main))
    assert answers[0][0] == 404 and "We found no complaint" in answers[0][1]
    assert answers[0] == answers[1] == answers[2]


PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           "０１２３４５６７８９－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")


@pytest.mark.parametrize("digits", [PERSIAN, ARABIC_INDIC, FULL_WIDTH], ids=["persian", "arabic-indic", "full-width"])
def test_reference_and_code_typed_in_other_digits_are_found(client, org, digits):
    reference, code, _html = receipt(client, submit(client, org))
    typed = "\u200f" + reference.translate(digits) + " "  # as pasted from right-to-left text
    response = client.post(f"/p/{org.slug}/track", data={"reference": typed, "code": code.translate(digits)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert reference in response.get_data(as_text=True)
    wrong = client.post(f"/p/{org.slug}/track", data={"reference": typed, "code": "۰۰۰۰۰۰۰۰"})
    assert wrong.status_code == 404


def test_the_date_it_happened_may_be_written_in_persian_digits_but_not_in_a_solar_hijri_year(client, org):
    reference, _code, _html = receipt(client, submit(client, org, occurred_on="۲۰۲۵-۰۱-۱۵"))
    assert str(complaint_by(org, reference).occurred_on) == "2025-01-15"
    reference, _code, _html = receipt(client, submit(client, org, occurred_on="２０２５－０１－１６"))
    assert str(complaint_by(org, reference).occurred_on) == "2025-01-16"
    jalali = submit(client, org, lang="fa", occurred_on="۱۴۰۳-۱۰-۲۶")
    html = jalali.get_data(as_text=True)
    assert jalali.status_code == 422 and 'href="#occurred_on"' in html
    assert "هجری شمسی" in html and count(Complaint, organisation_id=org.id) == 2


def test_look_ups_are_throttled_per_address(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_LOOKUPS_PER_WINDOW", 3)
    for _ in range(3):
        assert client.post(f"/p/{org.slug}/track", data={"reference": "X", "code": "Y"}).status_code == 404
    assert client.post(f"/p/{org.slug}/track", data={"reference": "X", "code": "Y"}).status_code == 429
    other = client.post(f"/p/{org.slug}/track", data={"reference": "X", "code": "Y"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 404


def test_an_empty_look_up_names_the_fields(client, org):
    response = client.post(f"/p/{org.slug}/track", data={"reference": "", "code": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#reference"' in html and 'href="#code"' in html
    assert count(PortalSubmission) == 0


def test_a_script_tag_is_stored_and_shown_as_text(client, org):
    script = '<script>alert("x")</script>'
    reference, _code, html = receipt(client, submit(client, org, description=script, complainant_name=script))
    assert complaint_by(org, reference).description == script
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    tracked = client.post(f"/p/{org.slug}/track", data={"reference": script, "code": "x"}).get_data(as_text=True)
    assert "<script>alert" not in tracked and "&lt;script&gt;" in tracked


# Satisfaction survey --------------------------------------------------------------------------------------

def closed_with_survey(client, org, handler) -> tuple[Complaint, str]:
    reference, _code, _html = receipt(client, submit(client, org))
    complaint = complaint_by(org, reference)
    actor = actor_of(handler, org)
    lifecycle.acknowledge_complaint(actor, complaint, version=complaint.version, method="email")
    lifecycle.assess_complaint(actor, complaint, org, version=complaint.version, severity="low",
                               safety_implication=False, complexity="low", impact="low")
    lifecycle.investigate_complaint(actor, complaint, version=complaint.version)
    lifecycle.decide_response(actor, complaint, version=complaint.version, remedy="Refund", outcome="upheld")
    lifecycle.communicate_decision(actor, complaint, version=complaint.version, method="email")
    _event, token = lifecycle.close_complaint(actor, complaint, version=complaint.version, accepted=True)
    db.session.flush()
    return complaint, token


def test_the_survey_can_be_answered_once(client, org, handler):
    complaint, token = closed_with_survey(client, org, handler)
    url = f"/p/{org.slug}/survey/{token}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="rating"' in page.get_data(as_text=True)
    answered = client.post(url, data={"rating": "4", "comment": "Quick and polite."})
    assert answered.status_code == 200 and "Your answer was recorded" in answered.get_data(as_text=True)
    db.session.refresh(complaint)
    assert (complaint.satisfaction_rating, complaint.satisfaction_comment) == (4, "Quick and polite.")
    answered_at = complaint.survey_answered_at
    assert answered_at is not None
    assert [e.clause_key for e in complaint.events if e.kind == "survey"] == ["iso10002:2018:8.3"]
    again = client.post(url, data={"rating": "1", "comment": "Changed my mind"})
    assert again.status_code == 409 and "already been answered" in again.get_data(as_text=True)
    db.session.refresh(complaint)
    assert (complaint.satisfaction_rating, complaint.survey_answered_at) == (4, answered_at)
    assert "already been answered" in client.get(url).get_data(as_text=True)


def test_a_reopened_complaint_closed_again_gets_a_survey_that_can_be_answered(client, org, handler):
    complaint, first = closed_with_survey(client, org, handler)
    assert client.post(f"/p/{org.slug}/survey/{first}", data={"rating": "2", "comment": "Slow"}).status_code == 200
    db.session.refresh(complaint)
    actor = actor_of(handler, org)
    lifecycle.reopen_complaint(actor, complaint, version=complaint.version, reason="The refund never came")
    db.session.flush()
    assert client.get(f"/p/{org.slug}/survey/{first}").status_code == 404  # its survey went with the closure
    lifecycle.decide_response(actor, complaint, version=complaint.version, remedy="Refund again", outcome="upheld")
    lifecycle.communicate_decision(actor, complaint, version=complaint.version, method="email")
    _event, second = lifecycle.close_complaint(actor, complaint, version=complaint.version, accepted=True)
    db.session.flush()
    url = f"/p/{org.slug}/survey/{second}"
    page = client.get(url)
    assert page.status_code == 200 and 'name="rating"' in page.get_data(as_text=True)
    answered = client.post(url, data={"rating": "5", "comment": "Sorted"})
    assert answered.status_code == 200 and "Your answer was recorded" in answered.get_data(as_text=True)
    db.session.refresh(complaint)
    assert (complaint.satisfaction_rating, complaint.satisfaction_comment) == (5, "Sorted")
    assert client.get(f"/p/{org.slug}/survey/{first}").status_code == 404


def test_a_survey_needs_a_rating_and_a_valid_link(client, org, other_org, handler):
    complaint, token = closed_with_survey(client, org, handler)
    missing = client.post(f"/p/{org.slug}/survey/{token}", data={"rating": "9", "comment": ""})
    assert missing.status_code == 422 and 'href="#rating-0"' in missing.get_data(as_text=True)
    db.session.refresh(complaint)
    assert complaint.survey_answered_at is None
    assert client.get(f"/p/{org.slug}/survey/not-a-token").status_code == 404
    assert client.get(f"/p/{other_org.slug}/survey/{token}").status_code == 404  # another organisation's link
    assert client.post(f"/p/{org.slug}/survey/not-a-token", data={"rating": "5"}).status_code == 404


# The acknowledgement by email -----------------------------------------------------------------------------

@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self):
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 Message accepted for delivery"

    handler = Collect()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler.envelopes
    controller.stop()


def test_the_acknowledgement_is_mailed_in_the_complainants_language(app, client, org, smtp_server, monkeypatch):
    port, envelopes = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_FROM", "complaints@alpha.example")
    reference, code, html = receipt(client, submit(client, org, preferred_language="fa", email="mina@example.org"))
    assert "We have also sent them to mina@example.org" in html
    assert len(envelopes) == 1 and envelopes[0].rcpt_tos == ["mina@example.org"]
    message = email.message_from_bytes(envelopes[0].content, policy=email.policy.default)
    assert message["To"] == "mina@example.org" and message["From"] == "complaints@alpha.example"
    assert reference in message["Subject"]
    body = message.get_body().get_content()
    assert reference in body and code in body and f"/p/{org.slug}/track?reference={reference}" in body
    assert re.search("[\u0600-\u06ff]", body)  # written in Persian: the due date's month, at least
    # The email is the acknowledgement (7.4): recorded as such, by the portal, so it is not left due.
    complaint = complaint_by(org, reference)
    assert complaint.status == "acknowledged" and complaint.acknowledged_at is not None
    acknowledged = complaint.events[-1]
    assert (acknowledged.kind, acknowledged.data, acknowledged.actor_label, acknowledged.actor_id) == (
        "acknowledge", {"method": "email"}, "portal", None)


def test_a_mail_failure_is_logged_and_the_complaint_stands(app, client, org, monkeypatch, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", closed_port)
    with caplog.at_level(logging.ERROR, logger="auditkit.complaints.portal_services"):
        reference, _code, html = receipt(client, submit(client, org))
    assert "We have also sent them" not in html
    assert complaint_by(org, reference).status == "received"
    assert any("could not be sent" in record.getMessage() for record in caplog.records)
    assert send_mail("a@example.org", "Hello", "Text", config={}) is False  # no SMTP host: mail is off


# CSRF and storage -----------------------------------------------------------------------------------------

def test_the_form_is_protected_against_cross_site_requests(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    refused = submit(client, org)
    assert refused.status_code == 400 and count(Complaint, organisation_id=org.id) == 0
    page = client.get(f"/p/{org.slug}/complaint").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert submit(client, org, csrf_token=token).status_code == 302


def test_storage_keys_are_random_and_never_paths(app, uploads_folder):
    with app.test_request_context():
        key = storage.save(b"hello", suffix=".txt")
        assert re.fullmatch(r"[0-9a-f]{32}\.txt", key) and storage.open(key) == b"hello"
        assert (uploads_folder / key).read_bytes() == b"hello"
        other = storage.save(b"hello", suffix=".txt")
        assert other != key and storage.open(other) == b"hello"
        for bad in ("../secret_key", "/etc/passwd", key + "/..", "x" * 32):
            with pytest.raises(ValueError):
                storage.open(bad)
        with pytest.raises(ValueError):
            storage.save(b"x", suffix="/../../x")
        storage.delete(key)
        storage.delete(key)  # already gone: not an error
        storage.delete(other)
        assert not storage.exists(key) and stored_files(uploads_folder) == []
