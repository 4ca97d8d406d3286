"""`auditkit actions remind`: one mail per owner (through a real SMTP server on loopback) listing their actions
overdue and due soon with links to their pages, in the owner's language; at most one reminder a day per action;
--dry-run sends and changes nothing; implemented actions whose check date has come move to "effectiveness check
due" by the system actor; a mail that cannot be sent is tried again on the next run."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from auditkit.actions import workflow
from auditkit.actions.models import ActionEvent, CorrectiveAction
from auditkit.actions.services import ActionData, add_task, raise_action, set_task_done, today
from auditkit.core.audit_trail import AuditEntry
from auditkit.core.security import Role
from auditkit.extensions import db
from tests.conftest import actor_of

BASE = "https://auditkit.example.org"


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


@pytest.fixture
def mail_on(app, smtp_server, monkeypatch):
    port, envelopes = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_FROM", "actions@alpha.example")
    monkeypatch.setitem(app.config, "BASE_URL", BASE + "/")
    return envelopes


def cli(app, *args: str):
    """Run `auditkit ...` in an application context (and database session) of its own, as from a shell."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def messages(envelopes) -> dict[str, email.message.EmailMessage]:
    found = {}
    for envelope in envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert envelope.rcpt_tos == [message["To"]]
        found[message["To"]] = message
    return found


def raised(org, owner, title: str, due_in: int) -> CorrectiveAction:
    """An action raised today and then given a due date `due_in` days from today (negative: overdue)."""
    data = ActionData(title=title, problem="Billed twice.", owner_id=owner.id, due_on=today(org) + timedelta(days=60))
    action = raise_action(actor_of(owner, org), org, data)
    action.due_on = today(org) + timedelta(days=due_in)
    db.session.flush()
    return action


def implemented(org, owner, title: str) -> CorrectiveAction:
    """Implemented, with its effectiveness check today."""
    actor = actor_of(owner, org)
    action = raised(org, owner, title, 30)
    workflow.find_root_cause(actor, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    task = add_task(actor, org, action, action.version, title="Fix", owner_id=None, due_on=today(org))
    workflow.plan(actor, org, action, action.version, effectiveness_criteria="No repeats", check_on=today(org))
    set_task_done(actor, action, action.version, task.id, True)
    workflow.implement(actor, action, action.version)
    return action


@pytest.fixture
def actions(org, other_org, make):
    """Mina (Persian) owns an overdue and a due-soon action; Li (no language of her own: the organisation's,
    English) owns an overdue one and one whose check is today; nothing else is due to anyone."""
    org.timezone = "Asia/Tehran"
    mina = make.member(org, Role.HANDLER, make.user(email="mina@alpha.example", name="Mina", locale="fa"))
    li = make.member(org, Role.MANAGER, make.user(email="li@alpha.example", name="Li"))
    gone = make.member(org, Role.HANDLER)
    found = {
        "mina_late": raised(org, mina, "Refund the double charges", -3),
        "mina_soon": raised(org, mina, "Guard the billing run", 5),
        "mina_later": raised(org, mina, "Review the tariff texts", 20),  # not due soon
        "li_late": raised(org, li, "Retrain the call centre", -1),
        "li_check": implemented(org, li, "Checklist for plan changes"),
        "gone_late": raised(org, gone, "Left with its owner", -2),
    }
    closed_late = raised(org, li, "Closed long ago", -10)
    closed_late.status = "closed"
    db.session.delete(gone.memberships[0])  # no longer a member: not written to
    stranger = make.member(other_org, Role.HANDLER, make.user(email="stranger@beta.example"))
    found["theirs"] = raised(other_org, stranger, "Another organisation's", -5)
    db.session.flush()
    return found


def test_one_mail_per_owner_with_their_actions_then_nothing_the_same_day(app, org, actions, mail_on):
    versions = {name: action.version for name, action in actions.items()}
    result = cli(app, "actions", "remind", "--org", org.slug)
    assert result.exit_code == 0, result.output + result.stderr
    found = messages(mail_on)
    assert set(found) == {"mina@alpha.example", "li@alpha.example"}

    mina = found["mina@alpha.example"]
    assert mina["From"] == "actions@alpha.example" and org.name in mina["Subject"]
    body = mina.get_body().get_content()
    late, soon = actions["mina_late"], actions["mina_soon"]
    assert late.reference in body and soon.reference in body and actions["mina_later"].reference not in body
    assert body.index(late.reference) < body.index(soon.reference)  # overdue first
    assert f"{BASE}/o/{org.slug}/actions/{late.id}" in body and f"{BASE}/o/{org.slug}/actions/{soon.id}" in body
    assert "Refund the double charges" in body
    assert re.search("[\u0600-\u06ff]", body)  # in Persian: the dates' months, at least

    li = found["li@alpha.example"].get_body().get_content()
    check = actions["li_check"]
    assert actions["li_late"].reference in li and check.reference in li and "effectiveness check" in li
    assert not re.search("[\u0600-\u06ff]", li)  # the organisation's language
    assert "Mina" not in li and late.reference not in li

    db.session.expire_all()
    day = today(org)
    reminded = {name for name, action in actions.items()
                if db.session.get(CorrectiveAction, action.id).reminded_on == day}
    assert reminded == {"mina_late", "mina_soon", "li_late", "li_check"}
    # The check date has come: the action awaits its check, moved by the system actor.
    moved = db.session.get(CorrectiveAction, check.id)
    assert moved.status == "check_due"
    last = db.session.execute(select(ActionEvent).where(ActionEvent.action_id == check.id)
                              .order_by(ActionEvent.id.desc()).limit(1)).scalar_one()
    assert (last.kind, last.actor_id, last.actor_label) == ("request_check", None, "cli: actions remind")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.table_name == "corrective_action",
                                                        AuditEntry.record_id == str(check.id))
                               .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert entry.actor_label == "cli: actions remind"
    # A reminder is not a change of the action: an editor's version stays valid.
    for name in ("mina_late", "mina_soon", "li_late"):
        assert db.session.get(CorrectiveAction, actions[name].id).version == versions[name]
    assert f"{org.slug}: 2 reminder(s) sent about 4 action(s); 1 effectiveness check(s) opened." in result.output

    again = cli(app, "actions", "remind", "--org", org.slug)
    assert again.exit_code == 0 and len(mail_on) == 2
    assert f"{org.slug}: 0 reminder(s) sent about 0 action(s)" in again.output


def test_a_dry_run_sends_nothing_and_changes_nothing(app, org, actions, mail_on):
    result = cli(app, "actions", "remind", "--dry-run")
    assert result.exit_code == 0, result.output + result.stderr
    assert mail_on == []
    assert f"{org.slug}: would remind mina@alpha.example [fa]: {actions['mina_late'].reference} (overdue), " \
           f"{actions['mina_soon'].reference} (due soon)" in result.output
    assert f"1 action(s) would await their effectiveness check: {actions['li_check'].reference}" in result.output
    assert "stranger@beta.example" in result.output  # every organisation without --org
    db.session.expire_all()
    assert all(db.session.get(CorrectiveAction, action.id).reminded_on is None for action in actions.values())
    assert db.session.get(CorrectiveAction, actions["li_check"].id).status == "implemented"


def test_every_organisation_is_reminded_without_org(app, org, other_org, actions, mail_on):
    assert cli(app, "actions", "remind").exit_code == 0
    assert set(messages(mail_on)) == {"mina@alpha.example", "li@alpha.example", "stranger@beta.example"}


def test_a_mail_that_cannot_be_sent_is_tried_on_the_next_run(app, org, actions, mail_on, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    port = app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_PORT", closed_port)
    result = cli(app, "actions", "remind", "--org", org.slug)
    assert result.exit_code == 1 and "could not remind mina@alpha.example" in result.stderr
    db.session.expire_all()
    assert all(db.session.get(CorrectiveAction, action.id).reminded_on is None for action in actions.values())
    assert db.session.get(CorrectiveAction, actions["li_check"].id).status == "check_due"  # not a mail
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    assert cli(app, "actions", "remind", "--org", org.slug).exit_code == 0
    assert set(messages(mail_on)) == {"mina@alpha.example", "li@alpha.example"}


def test_bad_arguments_are_refused(app, org, actions, mail_on, monkeypatch):
    result = cli(app, "actions", "remind", "--org", "nowhere")
    assert result.exit_code == 2 and "no organisation" in result.stderr
    monkeypatch.setitem(app.config, "BASE_URL", None)
    result = cli(app, "actions", "remind", "--org", org.slug)
    assert result.exit_code == 2 and "AUDITKIT_BASE_URL" in result.stderr
    assert mail_on == []
