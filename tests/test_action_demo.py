"""The demo corrective actions, seeded with the demo (auditkit.demo.seed_demo): in both demo organisations, in
every state of the workflow, from complaints, trends and no source, written in the organisation's language;
every action within the rules and its timeline coherent; the trend actions' evidence shows the surge of
complaints after the latest price change; seeding again adds nothing; actions raised in an earlier year take
that year's numbers."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from auditkit.actions import demo as action_demo
from auditkit.actions import evidence, queries, services, workflow
from auditkit.actions.demo import PLOTS, seed_actions, seed_organisation_actions
from auditkit.actions.demo_texts import STORIES
from auditkit.actions.models import ActionCounter, ActionEvent, ActionLink, ActionTask, CorrectiveAction
from auditkit.actions.states import ActionStatus
from auditkit.complaints.demo import seed_complaints
from auditkit.complaints.demo_profiles import PROFILES
from auditkit.complaints.models import Complaint
from auditkit.core.db import utcnow
from auditkit.core.security import Role
from auditkit.demo import SEEDERS, seed_demo
from auditkit.extensions import db
from auditkit.orgs.models import Membership
from auditkit.orgs.services import organisation_by_slug

PASSWORD = "demo actions password"
A, T, E, L = CorrectiveAction, ActionTask, ActionEvent, ActionLink
CJK, PERSIAN = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[\u0600-\u06ff]")
SCRIPTS = {"demo-telecom": (CJK, PERSIAN), "demo-insurance": (PERSIAN, CJK)}


def seeded(app, monkeypatch, complaints: int) -> dict:
    monkeypatch.setitem(app.config, "DEMO_COMPLAINTS", complaints)  # the test configuration turns them off
    seed_demo(PASSWORD)
    return {slug: organisation_by_slug(slug) for slug in PROFILES}


def actions_of(organisation) -> list[CorrectiveAction]:
    """The actions this seeder made: the gap-assessment seeder after it raises its own from recommendations."""
    return list(db.session.execute(select(A).where(A.organisation_id == organisation.id,
                                                   A.source_kind != "assessment_answer").order_by(A.id)).scalars())


def events_of(action) -> list[ActionEvent]:
    return list(db.session.execute(select(E).where(E.action_id == action.id).order_by(E.id)).scalars())


def totals() -> tuple[int, ...]:
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one() for model in (A, T, E, L))


def role_of(organisation_id: int, user_id: int | None) -> str | None:
    return db.session.execute(select(Membership.role).where(
        Membership.organisation_id == organisation_id, Membership.user_id == user_id)).scalar_one_or_none()


def broken_rules(organisation, action: CorrectiveAction) -> list[str]:
    """What in one action, its tasks and its timeline breaks the rules; empty when none does."""
    zone, now = ZoneInfo(organisation.timezone), utcnow()
    raised_on = action.created_at.astimezone(zone).date()
    events = events_of(action)
    plans = [event for event in events if event.kind == "plan"]
    checks = {
        "owner is a member": role_of(organisation.id, action.owner_id) is not None,
        "due date not before raising": action.due_on >= raised_on,
        "tasks due not before raising": all(task.due_on >= raised_on for task in action.tasks),
        "raised by the first event": events[0].kind == "raise" and events[0].at == action.created_at,
        "events in time order, none ahead": all(a.at <= b.at for a, b in itertools.pairwise(events))
        and events[-1].at <= now and action.updated_at == events[-1].at,
        "steps chain": [e.from_status for e in events if e.to_status][1:]
        == [e.to_status for e in events if e.to_status][:-1],
        "status is the last step's": [e.to_status for e in events if e.to_status][-1] == action.status,
        "a plan per round": len(plans) == action.plan_round
        and {task.round for task in action.tasks} <= set(range(1, action.plan_round + 2)),
        "check date not before the plan": not plans or action.check_on >= plans[-1].at.astimezone(zone).date(),
        "plan event says the check date": not plans or plans[-1].data["check_on"] == action.check_on.isoformat(),
        "tasks done after being added": all(t.done_at is None or t.done_at >= t.created_at for t in action.tasks),
    }
    if action.implemented_at is not None:
        planned = [task for task in action.tasks if task.round <= action.plan_round]
        checks["tasks done before implementation"] = all(
            task.done_at is not None and task.done_at <= action.implemented_at for task in planned)
        checks["implemented after planning"] = action.implemented_at >= plans[-1].at
    if action.verified_by_id is not None:  # the last verdict's, kept when the action is planned again
        checks["verifier is a manager or auditor, not the owner"] = (
            action.verified_by_id != action.owner_id
            and role_of(organisation.id, action.verified_by_id) in (Role.MANAGER, Role.AUDITOR))
    if action.verdict is not None:
        checks["verified after implementation"] = action.verified_at >= action.implemented_at
    if action.status == ActionStatus.CLOSED:
        checks["closed with its verdict, no task open"] = (
            action.verdict == "effective" and action.closed_at >= action.verified_at
            and all(task.done_at is not None for task in action.tasks))
    if action.status in (ActionStatus.VERIFIED_EFFECTIVE, ActionStatus.NOT_EFFECTIVE):
        checks["verdict matches the state"] = action.verdict == {
            ActionStatus.VERIFIED_EFFECTIVE: "effective", ActionStatus.NOT_EFFECTIVE: "not_effective"}[action.status]
    reference = re.fullmatch(r"ACT-(\d{4})-\d{4}", action.reference)
    checks["numbered in the year raised"] = reference is not None and int(reference[1]) == raised_on.year
    return [rule for rule, kept in checks.items() if not kept]


def test_both_demo_organisations_have_actions_in_every_state_from_every_source_within_the_rules(app, monkeypatch):
    organisations = seeded(app, monkeypatch, 600)
    before = totals()
    for slug, organisation in organisations.items():
        actions = actions_of(organisation)
        assert len(actions) == len(PLOTS) == 15
        assert {action.status for action in actions} == {status.value for status in ActionStatus}
        assert {action.source_kind for action in actions} == {"complaint", "complaint_trend", "none"}
        assert {action.kind for action in actions} >= {"corrective", "preventive", "improvement"}
        for action in actions:
            assert broken_rules(organisation, action) == [], (slug, action.title)
            clauses = [link.target_key for link in action.links if link.kind == "clause"]
            assert clauses and all(key.startswith("iso10002:2018:") for key in clauses)
        assert len({action.reference for action in actions}) == 15
        linked = {key for action in actions for link in action.links if (key := link.target_key)}
        assert {"iso10002:2018:7.7", "iso10002:2018:8.2", "iso10002:2018:8.7"} <= linked
        owners = {role_of(organisation.id, action.owner_id) for action in actions}
        assert owners == {Role.HANDLER, Role.MANAGER, Role.AUDITOR, Role.CONSULTANT}

        # Raised from real demo complaints of the organisation, received before, following their category.
        for action in (a for a in actions if a.source_kind == "complaint"):
            link = next(link for link in action.links if link.is_source)
            complaint = db.session.get(Complaint, link.target_id)
            assert complaint.organisation_id == organisation.id and complaint.external_id.startswith("demo-")
            assert complaint.received_at < action.created_at and complaint.category_id == action.category_id
        # A closed action keeps its verdict and the evidence frozen with it.
        closed = [a for a in actions if a.status == "closed"]
        assert len(closed) == 3 and all(a.verdict_comment and a.verified_at for a in closed)
        frozen = [a for a in closed if a.evidence]
        assert frozen and all({"before", "after", "suggestion"} <= a.evidence.keys() for a in frozen)
        # The one found not effective and planned again: two rounds of tasks, both verdicts in its timeline.
        replanned = [a for a in actions if a.plan_round == 2]
        assert len(replanned) == 1
        rounds = {task.round for task in replanned[0].tasks}
        assert rounds == {1, 2} and all(task.done_at for task in replanned[0].tasks)
        verdicts = [e.data["verdict"] for e in events_of(replanned[0]) if e.kind == "verify"]
        assert verdicts == ["not_effective"] and replanned[0].status == "check_due"
        # The register's views have something to show.
        today = services.today(organisation)
        for condition in (queries.overdue(today), queries.due_soon(today)):
            assert db.session.execute(select(func.count()).select_from(A).where(
                A.organisation_id == organisation.id, condition)).scalar_one() >= 2

        # Written in the organisation's language.
        script, other = SCRIPTS[slug]
        for action in actions:
            texts = [action.title, action.problem, action.root_cause, action.containment,
                     action.effectiveness_criteria, action.verdict_comment, *(t.title for t in action.tasks)]
            texts += action.rca if isinstance(action.rca, list) else [c for cs in (action.rca or {}).values()
                                                                       for c in cs]
            for text in filter(None, texts):
                assert script.search(text) and not other.search(text) and "~" not in text, text

    seed_demo(PASSWORD)  # again: nothing added, nothing changed
    assert totals() == before


def test_the_trend_actions_evidence_shows_the_surge_after_the_price_change(app, monkeypatch):
    organisations = seeded(app, monkeypatch, 5000)
    for slug, organisation in organisations.items():
        trends = [a for a in actions_of(organisation) if a.source_kind == "complaint_trend"]
        closed = next(a for a in trends if a.status == "closed")
        assert closed.evidence["suggestion"] == "effective", slug
        assert closed.evidence["before"]["per_30_days"] > 1.5 * closed.evidence["after"]["per_30_days"]
        assert closed.evidence["computed_at"] == closed.verified_at.isoformat()
        replanned = next(a for a in trends if a.plan_round == 2)
        first = next(e for e in events_of(replanned) if e.kind == "verify")
        assert first.data["suggestion"] == "not_effective"  # the first plan's verdict as the evidence suggested
        live = evidence.gather(organisation, replanned)
        assert live.suggestion == "effective" and live.before.count > live.after.count >= 5, slug


def test_actions_raised_in_an_earlier_year_take_that_years_numbers(make, monkeypatch):
    organisation = make.organisation(slug="demo-telecom", locale="zh_Hans", timezone="Asia/Shanghai")
    for role in Role:
        make.member(organisation, role)
    real_today = services.today(organisation)
    early = date(real_today.year + 1, 2, 10)  # as if seeded early next year: most actions were raised this year
    for module in (services, workflow, action_demo):
        monkeypatch.setattr(module, "today", lambda _organisation: early)
    assert seed_organisation_actions(organisation, PROFILES["demo-telecom"], STORIES["demo-telecom"]) == 15
    zone = ZoneInfo(organisation.timezone)
    by_year: dict[int, list[str]] = {}
    for action in sorted(actions_of(organisation), key=lambda a: a.created_at):
        by_year.setdefault(action.created_at.astimezone(zone).year, []).append(action.reference)
    assert set(by_year) == {early.year - 1, early.year}
    for year, references in by_year.items():  # consecutive from 1 in each year, oldest first
        assert references == [f"ACT-{year}-{n:04d}" for n in range(1, len(references) + 1)]
    counters = dict(db.session.execute(select(ActionCounter.year, ActionCounter.last).where(
        ActionCounter.organisation_id == organisation.id)).all())
    assert counters == {year: len(references) for year, references in by_year.items()}
    assert min(a.created_at for a in actions_of(organisation)).date() >= early - timedelta(days=365)


def test_the_seeder_runs_after_the_complaints_and_only_where_it_can(make):
    assert SEEDERS.index(seed_actions) > SEEDERS.index(seed_complaints)
    organisation = make.organisation(slug="demo-insurance", locale="fa", timezone="Asia/Tehran")
    make.member(organisation, Role.MANAGER)
    make.member(organisation, Role.HANDLER)
    seed_actions({"demo-insurance": organisation})  # no auditor to verify the manager's actions: none raised
    assert actions_of(organisation) == []
