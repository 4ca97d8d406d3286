"""The audit trail: recorded once per change with its fields, hash-chained per organisation, verified by
the CLI, linear under concurrent writers, and shown on a record's page."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from auditkit.core import audit_trail
from auditkit.core.audit_trail import AuditEntry
from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.orgs.services import change_role
from tests.conftest import actor_of


def entries(chain: int) -> list[AuditEntry]:
    return list(db.session.execute(
        select(AuditEntry).where(AuditEntry.chain == chain).order_by(AuditEntry.seq)).scalars())


def test_create_update_delete_are_recorded_once_with_their_fields(make, org, manager):
    audit_trail.act_as(manager.id, manager.email)
    before = len(entries(org.id))
    member = make.member(org, Role.VIEWER)
    membership = member.memberships[0]
    change_role(actor_of(manager, org), membership, "auditor")
    db.session.delete(membership)
    db.session.flush()
    new = entries(org.id)[before:]
    assert [(e.action, e.table_name) for e in new] == [
        ("create", "membership"), ("update", "membership"), ("delete", "membership")]
    assert new[0].changes["role"] == [None, "viewer"]
    assert new[1].changes == {"role": ["viewer", "auditor"]}
    assert new[2].changes["role"] == ["auditor", None]
    assert all(e.actor_user_id == manager.id and e.actor_label == manager.email for e in new)
    assert [e.seq for e in new] == list(range(before + 1, before + 4))
    assert new[1].prev_hash == new[0].hash and new[2].prev_hash == new[1].hash


def test_secrets_are_redacted_and_users_go_to_the_system_chain(make):
    user = make.user(email="secret@example.org")
    entry = entries(audit_trail.SYSTEM_CHAIN)[-1]
    assert entry.table_name == "user_account" and entry.record_id == str(user.id)
    assert entry.changes["password_hash"] == [None, audit_trail.REDACTED]
    assert user.password_hash not in str(entry.changes)


def test_entries_cannot_be_changed_through_the_orm(org):
    entry = entries(org.id)[0]
    entry.actor_label = "someone else"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


@pytest.fixture
def chain_with_entries(make, org):
    for role in (Role.VIEWER, Role.HANDLER, Role.AUDITOR):
        make.member(org, role)
    org.name = "Renamed"
    db.session.flush()
    assert len(entries(org.id)) >= 5
    return org


def run_verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit-trail", "verify", *args])


def test_verify_passes_on_an_untouched_trail(app, chain_with_entries):
    result = run_verify(app, "--org", chain_with_entries.slug)
    assert result.exit_code == 0, result.output
    assert "1 chain(s) verified" in result.output
    assert run_verify(app).exit_code == 0


def test_verify_names_an_entry_edited_behind_the_apps_back(app, chain_with_entries):
    third = entries(chain_with_entries.id)[2]
    tamper = text("UPDATE audit_entry SET actor_label = 'mallory' WHERE id = :id")
    db.session.execute(tamper, {"id": third.id})
    result = run_verify(app, "--org", chain_with_entries.slug)
    assert result.exit_code == 1
    assert f"entry 3 (entry id {third.id})" in result.output and "edited" in result.output


def test_verify_names_a_deleted_entry(app, chain_with_entries):
    second = entries(chain_with_entries.id)[1]
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": second.id})
    result = run_verify(app, "--org", chain_with_entries.slug)
    assert result.exit_code == 1
    assert "entry 2" in result.output and "missing" in result.output


def test_verify_notices_entries_cut_from_the_end(app, chain_with_entries):
    last = entries(chain_with_entries.id)[-1]
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": last.id})
    result = run_verify(app, "--org", chain_with_entries.slug)
    assert result.exit_code == 1
    assert "entries deleted at the end" in result.output


def test_verify_refuses_an_unknown_organisation(app):
    result = run_verify(app, "--org", "nope")
    assert result.exit_code == 2 and "no organisation" in result.output


def test_history_is_shown_on_the_records_page(login, make, org, manager):
    member = make.member(org, Role.VIEWER)
    membership = member.memberships[0]
    client = login(manager)
    client.post(f"/o/{org.slug}/members/{membership.id}", data={"role": "auditor"})
    page = client.get(f"/o/{org.slug}/members/{membership.id}").get_data(as_text=True)
    assert "History" in page and "viewer" in page and "auditor" in page
    assert manager.email in page


@pytest.mark.committed
def test_the_chain_stays_linear_when_requests_write_at_once(app):
    with app.app_context():
        audit_trail.act_as(None, "test")
        organisation = Organisation(name="Concurrent", slug="concurrent", settings={})
        db.session.add(organisation)
        db.session.commit()
        organisation_id = organisation.id
        base = len(entries(organisation_id))
    writers, rounds, errors = 6, 5, []
    barrier = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            with app.app_context():
                audit_trail.act_as(None, f"writer {n}")
                barrier.wait(timeout=10)
                for i in range(rounds):
                    db.session.add(Membership(organisation_id=organisation_id, role="viewer",
                                              user_id=_user_id(n, i)))
                    db.session.commit()
        except Exception as error:
            errors.append(repr(error))

    def _user_id(n: int, i: int) -> int:
        from auditkit.accounts.models import User

        user = User(email=f"w{n}-{i}@example.org", password_hash="x")
        db.session.add(user)
        db.session.flush()
        return user.id

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        chain = entries(organisation_id)
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
        assert len(chain) - base == writers * rounds
        assert audit_trail.verify_chain(db.session, organisation_id) is None
        assert audit_trail.verify_chain(db.session, audit_trail.SYSTEM_CHAIN) is None
