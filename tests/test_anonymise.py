"""Anonymising finished complaints: personal fields emptied in batches, open and recent complaints untouched,
attachments deleted (files only once the transaction commits), the audit trail told that fields changed but
never their values; the refusals; and the `auditkit complaints anonymise` command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import String, cast, func, select

from auditkit.complaints.anonymise import ANONYMISED_FIELDS, anonymise_closed
from auditkit.complaints.anonymise_cli import anonymise_command
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.core import storage
from auditkit.core.audit_trail import REDACTED, AuditEntry
from auditkit.core.errors import Forbidden, NotFound, ValidationFailed
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of

LONG_AGO = datetime(2024, 3, 1, 9, tzinfo=UTC)
CUTOFF = date(2025, 1, 1)
PERSONAL = {"complainant_name": "Shirin Farahani", "complainant_organisation": "Farahani Trading",
            "email": "shirin.farahani@example.org", "phone": "+98 912 555 0101", "address": "12 Vali-Asr Street",
            "postcode": "1415863111", "country": "Iran", "representative": "Kaveh Farahani",
            "preferred_language": "fa"}


def complaint(org, status: str, closed_at: datetime | None, email: str = PERSONAL["email"]) -> Complaint:
    received, _code = receive_complaint(org, NewComplaint(
        description="The claim was refused without a reason.", channel="email", received_at=LONG_AGO,
        **{**PERSONAL, "email": email}), actor_id=None, actor_label="test")
    received.status, received.closed_at = status, closed_at
    received.satisfaction_comment = "Shirin says: too slow" if status == "closed" else None
    db.session.flush()
    return received


def attach(org, target: Complaint, name: str = "shirin-farahani-passport.pdf") -> ComplaintAttachment:
    key = storage.save(b"%PDF-1.4 the claim form", suffix=".pdf")
    row = ComplaintAttachment(organisation_id=org.id, complaint_id=target.id, storage_key=key, filename=name,
                              media_type="application/pdf", size=24, sha256="0" * 64)
    db.session.add_all([row, ComplaintEvent(
        organisation_id=org.id, complaint_id=target.id, at=LONG_AGO, actor_label="portal", kind="attachment",
        clause_key="iso10002:2018:7.2", data={"filename": name, "size": 24})])
    db.session.flush()
    return row


@pytest.fixture
def manager_actor(manager, org):
    return actor_of(manager, org)


def fresh(record: Complaint) -> Complaint:
    return db.session.execute(select(Complaint).where(Complaint.id == record.id)
                              .execution_options(populate_existing=True)).scalar_one()


def test_finished_complaints_closed_before_the_date_lose_their_personal_data(org, other_org, manager_actor):
    old = datetime(2024, 6, 1, tzinfo=UTC)
    closed, withdrawn, rejected = (complaint(org, status, old) for status in ("closed", "withdrawn", "rejected"))
    recent = complaint(org, "closed", datetime(2025, 2, 1, tzinfo=UTC))
    still_open = complaint(org, "under_investigation", None)
    elsewhere = complaint(other_org, "closed", old)
    anonymised = anonymise_closed(manager_actor, org, CUTOFF, batch_size=2)  # two batches
    assert anonymised == 3
    for record in (closed, withdrawn, rejected):
        record = fresh(record)
        assert all(getattr(record, name) is None for name in ANONYMISED_FIELDS)
        assert record.anonymised_at is not None and record.description  # the complaint itself stays
    for record in (recent, still_open, elsewhere):
        record = fresh(record)
        assert record.anonymised_at is None
        assert {name: getattr(record, name) for name in PERSONAL} == PERSONAL
    assert anonymise_closed(manager_actor, org, CUTOFF) == 0  # nothing left to do


def test_the_cutoff_is_the_start_of_the_day_in_the_organisations_time_zone(org, manager_actor):
    org.timezone = "Asia/Tehran"  # UTC+03:30
    before = complaint(org, "closed", datetime(2024, 12, 31, 20, 29, tzinfo=UTC))  # 23:59 on 31 December
    after = complaint(org, "closed", datetime(2024, 12, 31, 20, 31, tzinfo=UTC))  # 00:01 on 1 January
    assert anonymise_closed(manager_actor, org, CUTOFF) == 1
    assert fresh(before).email is None and fresh(after).email == PERSONAL["email"]


def test_the_audit_trail_records_the_change_but_not_the_personal_data(org, manager_actor):
    record = complaint(org, "closed", datetime(2024, 6, 1, tzinfo=UTC), email="unique.trace@example.org")
    anonymise_closed(manager_actor, org, CUTOFF)
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.table_name == "complaint", AuditEntry.record_id == str(record.id), AuditEntry.action == "update")
        .order_by(AuditEntry.seq)).scalars().all()
    changes = entries[-1].changes
    assert changes["email"] == [REDACTED, None] and changes["complainant_name"] == [REDACTED, None]
    assert changes["anonymised_at"][0] is None and changes["anonymised_at"][1]
    text = cast(AuditEntry.changes, String)
    for value in ("unique.trace@example.org", PERSONAL["complainant_name"], PERSONAL["phone"], "too slow"):
        leaks = db.session.execute(select(func.count()).select_from(AuditEntry).where(
            text.contains(value, autoescape=True))).scalar()
        assert leaks == 0, value


def test_attachments_are_deleted_and_their_files_go_once_the_change_is_committed(org, manager_actor):
    record = complaint(org, "closed", datetime(2024, 6, 1, tzinfo=UTC))
    kept = complaint(org, "decision_communicated", None)
    gone, stays = attach(org, record), attach(org, kept)
    gone_key = gone.storage_key
    anonymise_closed(manager_actor, org, CUTOFF)
    assert storage.exists(gone_key)  # not before the commit: a rollback would leave rows without files
    db.session.commit()
    assert not storage.exists(gone_key) and storage.exists(stays.storage_key)
    remaining = db.session.execute(select(ComplaintAttachment.complaint_id)).scalars().all()
    assert remaining == [kept.id]
    timeline = db.session.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.data).where(
        ComplaintEvent.kind == "attachment").order_by(ComplaintEvent.complaint_id)).all()
    assert [(complaint_id, "filename" in data) for complaint_id, data in timeline] == [(record.id, False),
                                                                                       (kept.id, True)]


def test_a_rolled_back_anonymisation_keeps_the_files(org, manager_actor):
    row = attach(org, complaint(org, "closed", datetime(2024, 6, 1, tzinfo=UTC)))
    key = row.storage_key
    anonymise_closed(manager_actor, org, CUTOFF)
    db.session.rollback()
    db.session.commit()
    assert storage.exists(key)


def test_refusals(org, other_org, make, manager_actor):
    tomorrow = datetime.now(UTC).date() + timedelta(days=2)
    with pytest.raises(ValidationFailed) as refused:
        anonymise_closed(manager_actor, org, tomorrow)
    assert "closed_before" in refused.value.fields
    for role in (Role.HANDLER, Role.CONSULTANT, Role.AUDITOR, Role.VIEWER):
        with pytest.raises(Forbidden):
            anonymise_closed(actor_of(make.member(org, role), org), org, CUTOFF)
    with pytest.raises(NotFound):
        anonymise_closed(manager_actor, other_org, CUTOFF)


def test_the_command_prints_how_many_and_exits_2_on_bad_arguments(app, org):
    complaint(org, "closed", datetime(2024, 6, 1, tzinfo=UTC))
    still_open = complaint(org, "acknowledged", None)
    runner = app.test_cli_runner()
    done = runner.invoke(anonymise_command, ["--org", org.slug, "--closed-before", "2025-01-01"])
    assert done.exit_code == 0, done.output
    assert "1 complaint(s) of alpha closed before 2025-01-01 anonymised." in done.output
    assert fresh(still_open).email == PERSONAL["email"]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.table_name == "complaint")
                               .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert entry.actor_label == "cli: complaints anonymise --org alpha"
    future = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    for args, message in ((["--org", "nowhere", "--closed-before", "2025-01-01"], "no organisation"),
                          (["--org", org.slug, "--closed-before", future], "closed_before"),
                          (["--org", org.slug, "--closed-before", "01/01/2025"], "closed-before")):
        refused = runner.invoke(anonymise_command, args)
        assert refused.exit_code == 2 and message in refused.output, (args, refused.output)
    again = runner.invoke(anonymise_command, ["--org", org.slug, "--closed-before", "2025-01-01"])
    assert again.exit_code == 0 and "0 complaint(s)" in again.output
