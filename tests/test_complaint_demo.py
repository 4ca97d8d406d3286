"""The demo complaints: 5,000 per demo organisation seeded fast; every record consistent with the lifecycle
(checked in SQL over all of them: timestamps in order, status matching the timestamps set, one event per
step with its clause, each event's from-status the status the one before left); plausible figures from the
KPI engine; texts in the organisation's language; deterministic plans; idempotent seeding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import and_, func, or_, select

from auditkit.complaints import metrics
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.demo import (
    INSURANCE,
    PROFILES,
    TELECOM,
    plan_complaints,
    seed_complaints,
    seed_organisation_complaints,
)
from auditkit.complaints.intake import NewComplaint, receive_complaint
from auditkit.complaints.models import Category, Complaint, ComplaintEvent, ReferenceCounter
from auditkit.complaints.states import TRANSITIONS, Status
from auditkit.core.db import utcnow
from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.standard.metric_keys import BREAKDOWNS, FIGURES

C, E, S = Complaint, ComplaintEvent, Status
COMMUNICATED = (S.DECISION_COMMUNICATED.value, S.REFERRED_EXTERNAL.value, S.CLOSED.value)
# status -> (columns that must be set, columns that must be empty)
BY_STATUS = {
    S.RECEIVED: ((), (C.acknowledged_at, C.assessed_at, C.decided_at, C.communicated_at, C.closed_at, C.severity)),
    S.ACKNOWLEDGED: ((C.acknowledged_at,), (C.assessed_at, C.decided_at, C.communicated_at, C.closed_at)),
    S.ASSESSED: ((C.assessed_at, C.severity, C.assignee_id), (C.decided_at, C.communicated_at, C.closed_at)),
    S.UNDER_INVESTIGATION: ((C.assessed_at, C.severity, C.assignee_id), (C.closed_at,)),
    S.RESPONSE_DECIDED: ((C.decided_at, C.outcome), (C.closed_at,)),
    S.DECISION_COMMUNICATED: ((C.decided_at, C.communicated_at), (C.closed_at,)),
    S.REFERRED_EXTERNAL: ((C.communicated_at, C.referral), (C.closed_at,)),
    S.CLOSED: ((C.communicated_at, C.closed_at, C.accepted, C.survey_sent_at, C.survey_token_hash), ()),
    S.WITHDRAWN: ((C.closed_at,), ()),
    S.REJECTED: ((C.closed_at,), (C.assessed_at, C.decided_at, C.communicated_at)),
}
# Events that are no transition: (from, to, clause).
OTHER_EVENTS = {"receive": (None, "received", "iso10002:2018:7.2"), "assign": (None, None, None),
                "survey": (None, None, "iso10002:2018:8.3")}


@pytest.fixture
def demo_orgs(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_COMPLAINTS", 5000)  # the test configuration turns them off
    organisations = {"demo-telecom": make.organisation(name="Demo Telecom", slug="demo-telecom", locale="zh_Hans",
                                                       timezone="Asia/Shanghai"),
                     "demo-insurance": make.organisation(name="Demo Insurance", slug="demo-insurance",
                                                         locale="fa", timezone="Asia/Tehran")}
    for organisation in organisations.values():
        for role in (Role.MANAGER, Role.HANDLER, Role.HANDLER, Role.VIEWER):
            make.member(organisation, role)
    return organisations


def count(*conditions) -> int:
    return db.session.execute(select(func.count()).select_from(C).where(*conditions)).scalar_one()


def violations(organisation_id: int, now: datetime) -> dict[str, int]:
    """How many records break each invariant of the lifecycle; all must be 0."""
    mine = C.organisation_id == organisation_id
    found = {
        "order": count(mine, or_(
            C.acknowledged_at < C.received_at, C.assessed_at < func.coalesce(C.acknowledged_at, C.received_at),
            C.decided_at < C.assessed_at, and_(C.status.in_(COMMUNICATED), C.communicated_at < C.decided_at),
            and_(C.status == S.CLOSED.value, C.closed_at < C.communicated_at), C.closed_at < C.received_at,
            C.survey_answered_at < C.survey_sent_at, C.ack_due_at <= C.received_at,
            C.response_due_at <= C.received_at, C.received_at > now, C.updated_at > now)),
        "status": count(mine, or_(*(and_(C.status == status.value, or_(*(c.is_(None) for c in must),
                                                                         *(c.is_not(None) for c in never)))
                                    for status, (must, never) in BY_STATUS.items()))),
        "survey": count(mine, or_(and_(C.survey_answered_at.is_not(None), C.satisfaction_rating.is_(None)),
                                  and_(C.survey_answered_at.is_(None), C.satisfaction_rating.is_not(None)))),
    }
    receipts = (select(func.count()).where(E.complaint_id == C.id, E.kind == "receive", E.at == C.received_at)
                .scalar_subquery())
    found["receipt"] = count(mine, receipts != 1)

    def last(*kinds):
        return select(func.max(E.at)).where(E.complaint_id == C.id, E.kind.in_(kinds)).scalar_subquery()

    def steps(kind):
        return select(func.count()).where(E.complaint_id == C.id, E.kind == kind).scalar_subquery()

    for column, kinds in ((C.acknowledged_at, ("acknowledge",)), (C.assessed_at, ("assess",)),
                          (C.decided_at, ("decide",)), (C.communicated_at, ("communicate",)),
                          (C.closed_at, ("close", "withdraw", "reject")), (C.survey_answered_at, ("survey",))):
        found[f"{column.key} = its event"] = count(mine, column.is_not(None), column != last(*kinds))
    found["escalations counted"] = count(mine, C.escalation_level != steps("escalate"))
    found["reopenings counted"] = count(mine, C.reopen_count != steps("reopen"))
    chain = (select(E.complaint_id, E.from_status, E.to_status, E.at,
                    func.lag(E.to_status).over(partition_by=E.complaint_id, order_by=E.id).label("before"),
                    func.lag(E.at).over(partition_by=E.complaint_id, order_by=E.id).label("before_at"),
                    func.row_number().over(partition_by=E.complaint_id, order_by=E.id.desc()).label("from_end"))
             .where(E.organisation_id == organisation_id, E.to_status.is_not(None)).subquery())
    found["links"] = db.session.execute(select(func.count()).where(
        chain.c.from_status.is_distinct_from(chain.c.before))).scalar_one()
    found["events in time order"] = db.session.execute(select(func.count()).where(
        chain.c.at < chain.c.before_at)).scalar_one()
    found["last event = status"] = db.session.execute(select(func.count()).select_from(chain).join(
        C, C.id == chain.c.complaint_id).where(chain.c.from_end == 1, chain.c.to_status != C.status)).scalar_one()
    found["events in the future"] = db.session.execute(select(func.count()).where(
        E.organisation_id == organisation_id, E.at > now)).scalar_one()
    kinds = db.session.execute(select(E.kind, E.from_status, E.to_status, E.clause_key).distinct()
                               .where(E.organisation_id == organisation_id)).all()
    found["unknown steps"] = sum(
        1 for kind, source, target, clause in kinds
        if (kind in TRANSITIONS and not (source in TRANSITIONS[kind].sources and target == TRANSITIONS[kind].target
                                         and clause == TRANSITIONS[kind].clause))
        or (kind not in TRANSITIONS and OTHER_EVENTS.get(kind) != (source, target, clause)))
    return found


def codes_by_id(organisation_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(Category.id, Category.code)
                                   .where(Category.organisation_id == organisation_id)).all())


def test_the_demo_seeds_ten_thousand_consistent_complaints_with_plausible_figures(demo_orgs):
    seed_complaints(demo_orgs)
    now = utcnow()
    for slug, organisation in demo_orgs.items():
        assert count(C.organisation_id == organisation.id) == 5000
        assert violations(organisation.id, now) == dict.fromkeys(violations(organisation.id, now), 0)
        references = db.session.execute(select(func.count(func.distinct(C.reference)), func.max(C.reference))
                                        .where(C.organisation_id == organisation.id)).one()
        last = db.session.execute(select(func.max(ReferenceCounter.last)).where(
            ReferenceCounter.organisation_id == organisation.id, ReferenceCounter.year == now.year)).scalar_one()
        assert references[0] == 5000 and references[1] == f"CMP-{now.year}-{last:06d}"

        figures = metrics.compute(organisation, FIGURES + BREAKDOWNS, metrics.Window(now - timedelta(days=549), now),
                                  now=now)
        assert figures["received"] == 5000
        assert 70 <= figures["ack_within_target_pct"] <= 98
        assert 3 <= figures["satisfaction_avg"] <= 4.8
        assert 30 <= figures["survey_response_pct"] <= 50
        assert 60 <= figures["resolve_within_target_pct"] <= 95
        assert 0 < figures["referred_external_pct"] < 10 and 0 < figures["reopen_rate_pct"] < 10
        assert 100 < figures["escalated_internal"] < 1000 and 0 < figures["overdue"] < figures["open"] < 1000
        assert figures["per_1000_customers"] == round(5000 * 1000 / PROFILES[slug].customers, 2)
        months = [n for _, n in figures["by_month"]]
        assert sum(1 for n in months if n) >= 18
        full = dict(figures["by_month"][1:-1])  # the first and last months are partial
        winter = [n for label, n in full.items() if label[5:] in ("12", "01", "02")]
        summer = [n for label, n in full.items() if label[5:] in ("06", "07", "08")]
        assert sum(winter) / len(winter) > sum(summer) / len(summer)
        channels = [channel for channel, _ in figures["by_channel"]]
        offered = {item.split("=")[0] for item in PROFILES[slug].channels.split("|")}
        assert channels[0] == "phone" and set(channels) == offered
        top = [codes_by_id(organisation.id)[label.id] for label, _ in figures["by_category"][:2]]
        expected = {"demo-telecom": {"billing-error", "product-availability"},
                    "demo-insurance": {"product-fault", "service-delay"}}[slug]
        assert set(top) == expected
        statuses = dict(db.session.execute(select(C.status, func.count()).where(
            C.organisation_id == organisation.id).group_by(C.status)).all())
        assert set(statuses) == {s.value for s in Status}  # every state of the lifecycle is represented
    seed_complaints(demo_orgs)  # idempotent
    assert count(C.organisation_id.in_([o.id for o in demo_orgs.values()])) == 10000


def test_texts_names_and_contacts_are_in_the_organisations_language(demo_orgs):
    cjk, persian = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[\u0600-\u06ff]")
    for slug, (script, other, phone) in {"demo-telecom": (cjk, persian, r"\+86 1[3-9]\d \d{4} \d{4}"),
                                         "demo-insurance": (persian, cjk, r"\+98 9\d\d \d{3} \d{4}")}.items():
        organisation = demo_orgs[slug]
        assert seed_organisation_complaints(organisation, PROFILES[slug], count=300) == 300
        rows = db.session.execute(select(C).where(C.organisation_id == organisation.id)).scalars().all()
        for row in rows:
            for text in (row.description, row.complainant_name, row.remedy_wanted, row.address, row.product):
                assert text is None or (script.search(text) and not other.search(text)), text
            assert row.email is None or re.fullmatch(r"[a-z.]+\d*@((mail|post)\.)?example\.org", row.email)
            assert row.phone is None or re.fullmatch(phone, row.phone)
            assert row.preferred_language == PROFILES[slug].language and "~" not in row.description
        assert sum(1 for row in rows if row.email) > 150 and sum(1 for row in rows if row.address) > 10
        names = db.session.execute(select(Category.name).where(Category.organisation_id == organisation.id)).scalars()
        assert all(script.search(name) for name in names)
        remedies = db.session.execute(select(E.data).where(E.organisation_id == organisation.id, E.kind == "decide")
                                      ).scalars().all()
        assert remedies and all(script.search(data["remedy"]) for data in remedies)


def test_plans_are_deterministic_per_seed(demo_orgs):
    organisation = demo_orgs["demo-insurance"]
    ensure_default_categories(organisation.id)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    secret = {"tracking_code_hash", "survey_token_hash"}  # from `secrets` on purpose

    def plan(seed):
        stories = plan_complaints(organisation, INSURANCE, count=200, seed=seed, now=now)
        return ([{k: v for k, v in story.row.items() if k not in secret} for story in stories],
                [story.events for story in stories])

    first = plan("x")
    assert plan("x") == first and plan("y") != first
    assert all(row["received_at"] < now for row in first[0])


def test_seeding_continues_the_references_and_happens_once(demo_orgs):
    organisation = demo_orgs["demo-telecom"]
    existing, _code = receive_complaint(organisation, NewComplaint(description="早前的投诉", email="a@example.org"),
                                        actor_id=None, actor_label="test")
    assert seed_organisation_complaints(organisation, TELECOM, count=120) == 120
    assert seed_organisation_complaints(organisation, TELECOM, count=120) == 0
    references = db.session.execute(select(C.reference).where(C.organisation_id == organisation.id)).scalars().all()
    assert len(references) == len(set(references)) == 121 and existing.reference in references
    assert violations(organisation.id, utcnow()) == dict.fromkeys(violations(organisation.id, utcnow()), 0)


def test_the_seeder_is_registered_and_follows_the_setting(app, demo_orgs):
    from auditkit.demo import SEEDERS

    assert seed_complaints in SEEDERS
    app.config["DEMO_COMPLAINTS"] = 0  # the fixture's monkeypatch puts the test setting back
    seed_complaints(demo_orgs)
    assert count(C.organisation_id.in_([o.id for o in demo_orgs.values()])) == 0
