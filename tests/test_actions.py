"""Corrective actions at the service level: raising from each source, the workflow end to end with the live
before/after evidence, and every refusal leaving the action as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from auditkit.actions import evidence, links, workflow
from auditkit.actions.models import ActionEvent, ActionLink, CorrectiveAction
from auditkit.actions.services import ActionData, Source, add_task, edit_action, raise_action, set_task_done, today
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.models import Category, Complaint
from auditkit.core import backlinks
from auditkit.core.errors import Conflict, Forbidden, ValidationFailed
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from tests.conftest import actor_of

NOW = datetime.now(UTC)
TODAY = NOW.date()  # the organisations here keep UTC


@pytest.fixture
def billing(org) -> Category:
    ensure_default_categories(org.id)
    return db.session.execute(select(Category).where(Category.organisation_id == org.id)
                              .order_by(Category.id)).scalars().first()


def complaint(org, at: datetime, category: Category | None = None, n: list[int] = [0]) -> Complaint:  # noqa: B006
    n[0] += 1
    found = Complaint(organisation_id=org.id, reference=f"T-{n[0]:05}", received_at=at, channel="email",
                      email="a@example.org", description="It broke.", category_id=category.id if category else None)
    db.session.add(found)
    db.session.flush()
    return found


def data(owner, **values) -> ActionData:
    return ActionData(**{"title": "Stop double billing", "problem": "Customers billed twice after a plan change.",
                         "owner_id": owner.id, "due_on": TODAY + timedelta(days=30), **values})


def test_a_handler_raises_an_action_from_a_trend_and_it_closes_verified(org, handler, manager, billing):
    for days in (35, 38, 40, 45, 50, 52, 55, 58):  # eight in the 30 days before the implementation
        complaint(org, NOW - timedelta(days=days), billing)
    complaint(org, NOW - timedelta(days=10), billing)  # one after it
    complaint(org, NOW - timedelta(days=12))  # another category: not counted
    h, m = actor_of(handler, org), actor_of(manager, org)
    action = raise_action(h, org, data(handler, category_id=billing.id, clause_keys=["iso10002:2018:8.7"]),
                          Source(links.COMPLAINT_TREND))
    assert action.reference == f"ACT-{today(org).year}-0001" and action.status == "open"
    assert [(link.kind, link.target_key) for link in action.links] == [("clause", "iso10002:2018:8.7")]
    workflow.find_root_cause(h, action, action.version, method="five_whys",
                             analysis=["Bills ran twice", "The plan change re-ran the cycle", "No guard", ""],
                             root_cause="The billing run has no guard against re-runs.")
    assert action.rca == ["Bills ran twice", "The plan change re-ran the cycle", "No guard"]
    add_task(h, org, action, action.version, title="Add a re-run guard", owner_id=handler.id,
             due_on=TODAY + timedelta(days=7))
    workflow.plan(h, org, action, action.version, effectiveness_criteria="Billing complaints halve in 30 days",
                  check_on=TODAY)
    assert action.plan_round == 1 and action.status == "planned"
    with pytest.raises(ValidationFailed, match="still open"):
        workflow.implement(h, action, action.version)
    set_task_done(h, action, action.version, action.tasks[0].id, True)
    workflow.implement(h, action, action.version)
    action.implemented_at = NOW - timedelta(days=30)  # as if implemented a month ago
    db.session.flush()
    found = evidence.gather(org, action, now=NOW)
    assert (found.before.count, found.after.count, found.suggestion) == (8, 1, "effective")
    assert found.before.per_30_days == 8.0 and found.after.share_pct == 50.0  # 1 of the 2 received after
    assert len(found.recurrences) == 1
    owner_as_manager = Actor(handler.id, org.id, Role.MANAGER, handler.email)
    with pytest.raises(ValidationFailed, match="owner cannot verify"):
        workflow.verify(owner_as_manager, org, action, action.version, verdict="effective", comment="")
    workflow.verify(m, org, action, action.version, verdict="effective", comment="Down from 8 to 1")
    assert action.status == "verified_effective" and action.verified_by_id == manager.id
    assert action.evidence["after"]["count"] == 1 and action.evidence["suggestion"] == "effective"
    workflow.close(m, action, action.version)
    assert action.status == "closed" and action.closed_at is not None
    kinds = db.session.execute(select(ActionEvent.kind).where(ActionEvent.action_id == action.id)
                               .order_by(ActionEvent.id)).scalars().all()
    assert kinds == ["raise", "find_root_cause", "task", "plan", "task_done", "implement", "verify", "close"]


def test_not_effective_goes_back_to_planning_and_keeps_the_first_round(org, handler, auditor):
    h, a = actor_of(handler, org), actor_of(auditor, org)
    action = raise_action(h, org, data(handler))
    workflow.find_root_cause(h, action, action.version, method="fishbone",
                             analysis={"methods": ["No checklist", " "], "people": ["New staff"]},
                             root_cause="No checklist for plan changes")
    assert action.rca == {"methods": ["No checklist"], "people": ["New staff"]}
    first = add_task(h, org, action, action.version, title="Write the checklist", owner_id=None,
                     due_on=TODAY)
    workflow.plan(h, org, action, action.version, effectiveness_criteria="No repeats", check_on=TODAY)
    set_task_done(h, action, action.version, first.id, True)
    workflow.implement(h, action, action.version)
    workflow.request_check(h, action, action.version)
    assert action.status == "check_due"
    with pytest.raises(ValidationFailed, match="why it was not effective"):
        workflow.verify(a, org, action, action.version, verdict="not_effective", comment=" ")
    workflow.verify(a, org, action, action.version, verdict="not_effective", comment="Repeats went on")
    assert action.status == "not_effective" and action.evidence is None  # no category or product to measure
    with pytest.raises(ValidationFailed, match="at least one task"):
        workflow.plan(h, org, action, action.version, effectiveness_criteria="No repeats", check_on=TODAY)
    second = add_task(h, org, action, action.version, title="Train the team", owner_id=handler.id,
                      due_on=TODAY)
    assert second.round == 2
    workflow.plan(h, org, action, action.version, effectiveness_criteria="No repeats", check_on=TODAY)
    assert action.plan_round == 2 and [task.round for task in action.tasks] == [1, 2]
    assert action.verdict is None  # the earlier verdict stays in the timeline
    verdicts = db.session.execute(select(ActionEvent.data).where(ActionEvent.action_id == action.id,
                                                                 ActionEvent.kind == "verify")).scalars().all()
    assert verdicts == [{"verdict": "not_effective", "comment": "Repeats went on"}]


def test_an_action_from_a_complaint_links_both_ways_and_follows_its_category(app, org, handler, billing):
    source = complaint(org, NOW - timedelta(days=3), billing)
    with app.test_request_context():
        action = raise_action(actor_of(handler, org), org, data(handler), Source("complaint", source.id))
        assert action.category_id == billing.id and action.source_kind == "complaint"
        assert [(link.kind, link.target_id, link.is_source) for link in action.links] == [
            ("complaint", source.id, True)]
        assert links.describe(org, action.links[0]).label == source.reference
        back = backlinks.for_record("complaint", org.id, source.id)
        assert [link.label for link in back] == [f"{action.reference} Stop double billing"]
        assert back[0].url.endswith(f"/actions/{action.id}")


@pytest.mark.parametrize(("values", "source", "field", "message"), [
    ({"title": " "}, None, "title", "title"),
    ({"problem": ""}, None, "problem", "problem"),
    ({"due_on": TODAY - timedelta(days=1)}, None, "due_on", "before the day the action was raised"),
    ({"kind": "miracle"}, None, "kind", "values offered"),
    ({"clause_keys": ["iso10002:2018:99.9"]}, None, "clause_keys", "Unknown clause"),
    ({}, Source(links.COMPLAINT_TREND), "category_id", "category or a product"),
    ({}, Source("complaint", 999_999), "source_id", "no such record"),
    ({}, Source("horoscope"), "source_kind", "values offered"),
])
def test_raising_refuses_bad_input_and_writes_nothing(org, handler, values, source, field, message):
    with pytest.raises(ValidationFailed) as refused:
        raise_action(actor_of(handler, org), org, data(handler, **values), source)
    assert message in " ".join(refused.value.fields[field])
    assert db.session.execute(select(CorrectiveAction.id)).first() is None
    assert db.session.execute(select(ActionLink.id)).first() is None


def test_owner_from_another_organisation_and_category_of_another_are_refused(org, other_org, handler, make):
    stranger = make.member(other_org, Role.HANDLER)
    ensure_default_categories(other_org.id)
    theirs = db.session.execute(select(Category.id).where(Category.organisation_id == other_org.id)).scalars().first()
    with pytest.raises(ValidationFailed) as refused:
        raise_action(actor_of(handler, org), org, data(stranger, category_id=theirs))
    assert set(refused.value.fields) == {"owner_id", "category_id"}


def test_steps_out_of_order_stale_versions_and_roles_are_refused(org, handler, viewer, manager):
    h = actor_of(handler, org)
    with pytest.raises(Forbidden):
        raise_action(actor_of(viewer, org), org, data(handler))
    action = raise_action(h, org, data(handler))
    before = (action.status, action.version)
    with pytest.raises(ValidationFailed, match="next steps allowed are: Record the root cause"):
        workflow.implement(h, action, action.version)
    with pytest.raises(Conflict):
        workflow.find_root_cause(h, action, action.version - 1, method="five_whys", analysis=["x"], root_cause="y")
    with pytest.raises(Forbidden):
        workflow.close(h, action, action.version)  # a handler does not verify nor close
    with pytest.raises(ValidationFailed) as refused:
        workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=[], root_cause="")
    assert set(refused.value.fields) == {"analysis", "root_cause"}
    with pytest.raises(ValidationFailed, match="past"):
        workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
        add_task(h, org, action, action.version, title="t", owner_id=None, due_on=TODAY)
        workflow.plan(h, org, action, action.version, effectiveness_criteria="c",
                      check_on=TODAY - timedelta(days=1))
    db.session.refresh(action)
    assert action.status == "root_cause_found" and (before[0], action.version) != before


def test_closing_with_an_open_task_is_refused(org, handler, manager):
    h, m = actor_of(handler, org), actor_of(manager, org)
    action = raise_action(h, org, data(handler))
    workflow.find_root_cause(h, action, action.version, method="five_whys", analysis=["a"], root_cause="b")
    task = add_task(h, org, action, action.version, title="Fix", owner_id=None, due_on=TODAY)
    workflow.plan(h, org, action, action.version, effectiveness_criteria="c", check_on=TODAY)
    set_task_done(h, action, action.version, task.id, True)
    workflow.implement(h, action, action.version)
    workflow.verify(m, org, action, action.version, verdict="effective", comment="")
    task.done_at = None  # reopened behind the workflow's back: closing still checks
    db.session.flush()
    with pytest.raises(ValidationFailed, match="still open: Fix"):
        workflow.close(m, action, action.version)
    assert action.status == "verified_effective"


def test_editing_checks_the_version_and_refuses_a_due_date_before_raising(org, handler):
    h = actor_of(handler, org)
    action = raise_action(h, org, data(handler))
    with pytest.raises(ValidationFailed, match="before the day"):
        edit_action(h, org, action, action.version, data(handler, due_on=TODAY - timedelta(days=2)))
    with pytest.raises(Conflict):
        edit_action(h, org, action, action.version + 1, data(handler, title="Other"))
    edit_action(h, org, action, action.version, data(handler, title="Stop all double billing",
                                                     clause_keys=["iso10002:2018:7.7"]))
    assert action.title == "Stop all double billing"
    assert [link.target_key for link in action.links] == ["iso10002:2018:7.7"]


def test_a_clause_page_cites_the_actions_addressing_it(app, org, handler, viewer):
    from auditkit.standard.citations import citations_of

    action = raise_action(actor_of(handler, org), org, data(handler, clause_keys=["iso10002:2018:8.7"]))
    with app.test_request_context():
        cited = citations_of(actor_of(viewer, org), "iso10002:2018:8.7")
        assert [c.label for c in cited] == [f"{action.reference} {action.title}"]
        assert cited[0].url.endswith(f"/actions/{action.id}")
        assert citations_of(actor_of(viewer, org), "iso10002:2018:7.4") == []
