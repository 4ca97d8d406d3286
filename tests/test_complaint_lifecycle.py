"""Receiving complaints, references without races, the clause-7 state machine and its clocks."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from auditkit.complaints import lifecycle
from auditkit.complaints.clock import Calendar, Duration, due_at
from auditkit.complaints.intake import NewComplaint, hash_code, receive_complaint
from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.settings import settings_of
from auditkit.complaints.states import Status
from auditkit.core.errors import Conflict, Forbidden, ValidationFailed
from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from tests.conftest import actor_of


def new(**values) -> NewComplaint:
    return NewComplaint(**{"description": "The router I bought does not connect.", "email": "ali@example.org",
                           "complainant_name": "Ali", "channel": "email", **values})


@pytest.fixture
def handler_actor(handler, org):
    return actor_of(handler, org)


def receive(org, **values) -> Complaint:
    return receive_complaint(org, new(**values), actor_id=None, actor_label="test")[0]


def test_business_days_skip_weekends_and_holidays():
    # Saturday to Wednesday, with 21 March a holiday.
    calendar = Calendar("Asia/Tehran", frozenset({5, 6, 0, 1, 2}), frozenset({date(2026, 3, 21)}))
    friday_noon = datetime(2026, 3, 20, 8, 30, tzinfo=UTC)  # 12:00 in Tehran, a Friday
    due = due_at(friday_noon, Duration(2, "business_days"), calendar)
    # Saturday 21 March is a holiday: Sunday and Monday are the two working days.
    local = due.astimezone(ZoneInfo("Asia/Tehran"))
    assert (local.date(), local.hour, local.minute) == (date(2026, 3, 23), 12, 0)
    assert due_at(friday_noon, Duration(4, "hours"), calendar) == friday_noon + timedelta(hours=4)


def test_receiving_numbers_the_complaint_and_starts_the_clock(org):
    complaint, code = receive_complaint(org, new(), actor_id=None, actor_label="portal")
    year = complaint.received_at.year
    assert complaint.reference == f"CMP-{year}-000001"
    assert receive(org).reference == f"CMP-{year}-000002"
    assert complaint.tracking_code_hash == hash_code(code) and complaint.status == "received"
    assert complaint.ack_due_at > complaint.received_at and complaint.response_due_at > complaint.ack_due_at
    assert [e.clause_key for e in complaint.events] == ["iso10002:2018:7.2"]


def test_references_follow_the_organisations_pattern_per_organisation(org, other_org):
    org.settings = {"complaints": {"reference_pattern": "A-{seq:03}"}}
    db.session.flush()
    assert receive(org).reference == "A-001"
    assert receive(other_org).reference.endswith("-000001")
    # Without {year} the numbers run on when the year turns: last year's complaint, then this year's.
    last_year = datetime.now(UTC) - timedelta(days=366)
    assert receive(org, received_at=last_year).reference == "A-002"
    assert receive(org).reference == "A-003"


def test_receiving_is_idempotent_on_external_id(org):
    first, code = receive_complaint(org, new(external_id="crm-42"), actor_id=None, actor_label="import")
    again, no_code = receive_complaint(org, new(external_id="crm-42", description="other"), actor_id=None,
                                       actor_label="import")
    assert again.id == first.id and code and no_code is None


@pytest.mark.parametrize(("values", "field"), [
    ({"description": "  "}, "description"),
    ({"email": "", "phone": "", "address": ""}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"channel": "carrier-pigeon"}, "channel"),
    ({"category_id": 999999}, "category_id"),
    ({"received_at": datetime.now(UTC) + timedelta(days=2)}, "received_at"),
])
def test_bad_complaints_name_the_field_and_write_nothing(org, values, field):
    with pytest.raises(ValidationFailed) as refused:
        receive(org, **values)
    assert field in refused.value.fields
    assert db.session.execute(select(Complaint).where(Complaint.organisation_id == org.id)).first() is None


def test_the_whole_lifecycle_records_each_step_with_its_clause(org, handler_actor):
    complaint = receive(org)
    lifecycle.acknowledge_complaint(handler_actor, complaint, version=complaint.version, method="email")
    lifecycle.assess_complaint(handler_actor, complaint, org, version=complaint.version, severity="high",
                               safety_implication=False, complexity="medium", impact="high")
    lifecycle.investigate_complaint(handler_actor, complaint, version=complaint.version, notes="Called the shop")
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Replace the router",
                              outcome="upheld", root_cause="Faulty batch")
    lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="phone")
    _event, token = lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=True)
    assert complaint.status == Status.CLOSED and complaint.accepted is True and token
    assert complaint.survey_token_hash == hash_code(token)
    clauses = [e.clause_key.rsplit(":", 1)[1] for e in complaint.events]
    assert clauses == ["7.2", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9"]
    assert complaint.events[-1].actor_label == handler_actor.label


def test_assessment_sets_the_response_target_by_severity(org, handler_actor):
    complaint = receive(org)
    medium_due = complaint.response_due_at
    lifecycle.assess_complaint(handler_actor, complaint, org, version=complaint.version, severity="critical",
                               safety_implication=True, complexity="high", impact="high",
                               immediate_action="Device recalled")
    assert complaint.response_due_at < medium_due


def test_an_illegal_step_says_which_steps_are_allowed(org, handler_actor):
    complaint = receive(org)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="email")
    message = refused.value.fields["_"][0]
    assert "“Communicate the decision” is not possible now" in message
    assert "Acknowledge" in message and "Reject as out of scope" in message
    assert complaint.status == Status.RECEIVED


def test_a_stale_version_is_refused(org, handler_actor):
    complaint = receive(org)
    with pytest.raises(Conflict):
        lifecycle.acknowledge_complaint(handler_actor, complaint, version=complaint.version + 1, method="email")


def test_roles_without_the_action_cannot_move_a_complaint(org, make):
    viewer = actor_of(make.member(org, Role.VIEWER), org)
    complaint = receive(org)
    with pytest.raises(Forbidden):
        lifecycle.acknowledge_complaint(viewer, complaint, version=complaint.version, method="email")


def _to_communicated(org, actor) -> Complaint:
    complaint = receive(org)
    lifecycle.assess_complaint(actor, complaint, org, version=complaint.version, severity="low",
                               safety_implication=False, complexity="low", impact="low")
    lifecycle.investigate_complaint(actor, complaint, version=complaint.version)
    lifecycle.decide_response(actor, complaint, version=complaint.version, remedy="Refund", outcome="partly_upheld")
    lifecycle.communicate_decision(actor, complaint, version=complaint.version, method="letter")
    return complaint


def test_a_rejected_decision_keeps_the_complaint_open_until_options_are_used(org, handler_actor):
    complaint = _to_communicated(org, handler_actor)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=False)
    assert "accepted" in refused.value.fields
    lifecycle.escalate_complaint(handler_actor, complaint, version=complaint.version, reason="Not accepted",
                                 escalated_to="Head of customer care")
    assert complaint.status == Status.UNDER_INVESTIGATION and complaint.escalation_level == 1
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Full refund",
                              outcome="upheld")
    lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="email")
    lifecycle.refer_external(handler_actor, complaint, version=complaint.version, provider="Ombudsman",
                             method="determinative", referred_on=datetime.now(UTC).date())
    assert complaint.status == Status.REFERRED_EXTERNAL and complaint.referral["provider"] == "Ombudsman"
    today = datetime.now(UTC).date()
    # How the external resolution ended (ISO 10003) is needed to close, on a date from the referral to today.
    for ending, fields in (({}, {"external_outcome", "outcome_on"}),
                           ({"external_outcome": "lost", "outcome_on": today}, {"external_outcome"}),
                           ({"external_outcome": "for_organisation", "outcome_on": today + timedelta(days=1)},
                            {"outcome_on"}),
                           ({"external_outcome": "for_organisation", "outcome_on": today - timedelta(days=1)},
                            {"outcome_on"}),
                           ({"external_outcome": "for_organisation", "outcome_on": today,
                             "implemented_on": today + timedelta(days=2)}, {"implemented_on"})):
        with pytest.raises(ValidationFailed) as refused:
            lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=False,
                                      options_exhausted=True, **ending)
        assert set(refused.value.fields) == fields, ending
        assert complaint.status == Status.REFERRED_EXTERNAL and complaint.closed_at is None
    event, _token = lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=False,
                                              options_exhausted=True, external_outcome="for_organisation",
                                              outcome_on=today, implemented_on=today)
    assert complaint.referral == {"provider": "Ombudsman", "method": "determinative", "referred_on": today.isoformat(),
                                  "external_outcome": "for_organisation", "outcome_on": today.isoformat(),
                                  "implemented_on": today.isoformat()}
    assert event.data["external_outcome"] == "for_organisation" and event.data["outcome_on"] == today.isoformat()
    lifecycle.reopen_complaint(handler_actor, complaint, version=complaint.version, reason="New evidence")
    assert complaint.status == Status.UNDER_INVESTIGATION and complaint.reopen_count == 1
    # A complaint never referred has no external outcome to give.
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Refund", outcome="upheld")
    lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="email")
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=True,
                                  external_outcome="settled", outcome_on=today)
    assert set(refused.value.fields) == {"external_outcome"}


def test_reject_and_withdraw_need_a_reason(org, handler_actor):
    complaint = receive(org)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.reject_complaint(handler_actor, complaint, version=complaint.version, reason=" ")
    assert "reason" in refused.value.fields
    lifecycle.reject_complaint(handler_actor, complaint, version=complaint.version,
                               reason="A question about prices, not a complaint; sent to sales.")
    assert complaint.status == Status.REJECTED and complaint.closed_at is not None
    with pytest.raises(ValidationFailed):
        lifecycle.withdraw_complaint(handler_actor, complaint, version=complaint.version, reason="x")


@pytest.mark.committed
def test_references_stay_unique_when_many_submit_at_once(app):
    with app.app_context():
        organisation = Organisation(name="Busy", slug="busy", settings={})
        db.session.add(organisation)
        db.session.commit()
        organisation_id = organisation.id
    errors, threads, per_thread = [], 8, 10
    barrier = threading.Barrier(threads)

    def submit() -> None:
        try:
            with app.app_context():
                busy = db.session.get(Organisation, organisation_id)
                barrier.wait(timeout=10)
                for _ in range(per_thread):
                    receive_complaint(busy, new(), actor_id=None, actor_label="portal")
                    db.session.commit()
        except Exception as error:
            errors.append(repr(error))

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        references = db.session.execute(select(Complaint.reference).where(
            Complaint.organisation_id == organisation_id)).scalars().all()
        assert len(references) == len(set(references)) == threads * per_thread
        events = db.session.execute(select(ComplaintEvent).where(
            ComplaintEvent.organisation_id == organisation_id)).scalars().all()
        assert len(events) == threads * per_thread


# Going back into handling: reopening and escalation -----------------------------------------------------------

def _closed_long_ago(org, actor, *, answered: bool = True) -> Complaint:
    """A complaint received 60 days ago, its decision told and the complaint closed (its first clock long
    run out), with the survey answered."""
    from auditkit.complaints.portal_services import answer_survey

    complaint = receive(org, received_at=datetime.now(UTC) - timedelta(days=60))
    lifecycle.acknowledge_complaint(actor, complaint, version=complaint.version, method="email",
                                    at=complaint.received_at + timedelta(hours=2))
    lifecycle.assess_complaint(actor, complaint, org, version=complaint.version, severity="low",
                               safety_implication=False, complexity="low", impact="low")
    lifecycle.investigate_complaint(actor, complaint, version=complaint.version)
    lifecycle.decide_response(actor, complaint, version=complaint.version, remedy="Refund", outcome="upheld")
    lifecycle.communicate_decision(actor, complaint, version=complaint.version, method="letter",
                                   at=complaint.received_at + timedelta(days=10))
    _event, token = lifecycle.close_complaint(actor, complaint, version=complaint.version, accepted=True)
    if answered:
        answer_survey(org, token, rating=2, comment="Slow.")
    return complaint


def _events(complaint: Complaint) -> list[ComplaintEvent]:
    return list(db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                                   .order_by(ComplaintEvent.id)).scalars())


def _figures(org, now: datetime) -> dict:
    from auditkit.complaints import metrics

    window = metrics.Window(datetime.now(UTC) - timedelta(days=90), datetime.now(UTC) + timedelta(days=1))
    return metrics.compute(org, ["open", "closed", "overdue", "resolve_within_target_pct",
                                 "decision_communicated_pct", "survey_response_pct", "satisfaction_avg"], window,
                           now=now)


def test_a_reopened_complaint_runs_a_new_response_clock_and_is_overdue_when_late(org, handler_actor):
    complaint = _closed_long_ago(org, handler_actor)
    first_due = complaint.response_due_at
    kinds_before = [e.kind for e in _events(complaint)]
    event = lifecycle.reopen_complaint(handler_actor, complaint, version=complaint.version, reason="New evidence")
    db.session.flush()
    settings = settings_of(org)
    due = due_at(event.at, settings.target("low", "respond"), settings.calendar)
    assert complaint.response_due_at == due and due > datetime.now(UTC) > first_due
    assert (complaint.status, complaint.reopen_count) == (Status.UNDER_INVESTIGATION, 1)
    for name in lifecycle.HANDLED_AGAIN:
        assert getattr(complaint, name) is None, name
    assert complaint.acknowledged_at is not None and complaint.severity == "low"  # not asked again
    # The timeline keeps the earlier decision, its communication, the closure and the survey.
    assert [e.kind for e in _events(complaint)] == [*kinds_before, "reopen"]
    earlier = {e.kind: e.data for e in _events(complaint)}
    assert earlier["decide"]["outcome"] == "upheld" and earlier["close"]["accepted"] is True
    assert earlier["survey"] == {"rating": 2}
    # Open, and overdue once its new clock has run out: not before.
    now = datetime.now(UTC)
    figures = _figures(org, now)
    assert (figures["open"], figures["closed"], figures["overdue"]) == (1, 0, 0)
    assert figures["decision_communicated_pct"] is None and figures["survey_response_pct"] is None
    late = _figures(org, due + timedelta(hours=1))
    assert late["overdue"] == 1 and late["resolve_within_target_pct"] == 0.0


def test_a_reopened_complaint_is_decided_told_and_closed_again_with_a_new_survey(org, handler_actor):
    from auditkit.complaints.portal_services import answer_survey, survey_complaint

    complaint = _closed_long_ago(org, handler_actor)
    lifecycle.reopen_complaint(handler_actor, complaint, version=complaint.version, reason="New evidence")
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Replace it",
                              outcome="partly_upheld")
    lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="email")
    _event, token = lifecycle.close_complaint(handler_actor, complaint, version=complaint.version, accepted=True)
    assert complaint.survey_token_hash == hash_code(token) and complaint.survey_answered_at is None
    assert survey_complaint(org, token).id == complaint.id
    answer_survey(org, token, rating=5, comment="Sorted in the end.")
    assert (complaint.satisfaction_rating, complaint.outcome) == (5, "partly_upheld")
    assert [e.data["rating"] for e in _events(complaint) if e.kind == "survey"] == [2, 5]
    figures = _figures(org, datetime.now(UTC))
    assert (figures["open"], figures["closed"], figures["overdue"]) == (0, 1, 0)
    assert (figures["resolve_within_target_pct"], figures["survey_response_pct"], figures["satisfaction_avg"]) == (
        100.0, 100.0, 5.0)


def test_escalation_after_the_decision_was_told_runs_a_new_clock_and_before_it_keeps_the_first(org,
                                                                                               handler_actor):
    complaint = receive(org, received_at=datetime.now(UTC) - timedelta(days=60))
    lifecycle.assess_complaint(handler_actor, complaint, org, version=complaint.version, severity="high",
                               safety_implication=False, complexity="low", impact="low")
    first_due = complaint.response_due_at
    lifecycle.investigate_complaint(handler_actor, complaint, version=complaint.version)
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Refund",
                              outcome="not_upheld")
    # Escalated before the decision was told: the decision is reconsidered, the first clock runs on.
    lifecycle.escalate_complaint(handler_actor, complaint, version=complaint.version, reason="Check it again")
    assert (complaint.decided_at, complaint.outcome, complaint.response_due_at) == (None, None, first_due)
    lifecycle.decide_response(handler_actor, complaint, version=complaint.version, remedy="Refund",
                              outcome="not_upheld")
    lifecycle.communicate_decision(handler_actor, complaint, version=complaint.version, method="phone")
    # The complainant does not accept it: escalated after it was told, the complaint runs a new clock.
    event = lifecycle.escalate_complaint(handler_actor, complaint, version=complaint.version,
                                         reason="Not accepted", escalated_to="Head of customer care")
    settings = settings_of(org)
    assert complaint.response_due_at == due_at(event.at, settings.target("high", "respond"), settings.calendar)
    assert (complaint.communicated_at, complaint.decided_at, complaint.escalation_level) == (None, None, 2)
    assert event.data == {"reason": "Not accepted", "escalated_to": "Head of customer care", "level": 2}
    assert [e.kind for e in _events(complaint)].count("communicate") == 1


def test_a_refused_escalation_changes_nothing(org, handler_actor):
    complaint = receive(org)
    lifecycle.assess_complaint(handler_actor, complaint, org, version=complaint.version, severity="low",
                               safety_implication=False, complexity="low", impact="low")
    with pytest.raises(ValidationFailed):
        lifecycle.escalate_complaint(handler_actor, complaint, version=complaint.version, reason=" ")
    assert complaint.escalation_level == 0


def test_reopening_and_escalating_keep_the_day_tallies_and_the_figures_in_step(make, monkeypatch):
    from auditkit.complaints import metrics, tallies
    from auditkit.complaints.portal_services import answer_survey
    from tests.test_complaint_metrics import ALL_KEYS, build_register
    from tests.test_complaint_tallies import assert_in_step, from_the_complaints

    register = build_register(make)
    organisation, complaints = register.organisation, register.complaints
    actor = actor_of(make.member(organisation, Role.HANDLER), organisation)
    c1, c6, c18 = complaints["c1"], complaints["c6"], complaints["c18"]  # closed and rated; told; closed, rated
    lifecycle.reopen_complaint(actor, c1, version=c1.version, reason="The router failed again.")
    lifecycle.escalate_complaint(actor, c6, version=c6.version, reason="Not accepted")
    lifecycle.reopen_complaint(actor, c18, version=c18.version, reason="New evidence")
    lifecycle.decide_response(actor, c18, version=c18.version, remedy="Replace it", outcome="upheld")
    lifecycle.communicate_decision(actor, c18, version=c18.version, method="email")
    _event, token = lifecycle.close_complaint(actor, c18, version=c18.version, accepted=True)
    answer_survey(organisation, token, rating=3, comment="")
    db.session.flush()
    assert tallies.complete(db.session.connection(), organisation)
    assert_in_step(organisation.id)
    now = datetime.now(UTC)
    window = metrics.Window(datetime(2025, 1, 1, tzinfo=UTC), now + timedelta(days=1))
    for moment in (now, c1.response_due_at + timedelta(hours=1)):
        assert metrics.compute(organisation, ALL_KEYS, window, now=moment) == from_the_complaints(
            monkeypatch, organisation, ALL_KEYS, window, now=moment)
    late = metrics.compute(organisation, ["open", "overdue"], window, now=c1.response_due_at + timedelta(hours=1))
    on_time = metrics.compute(organisation, ["open", "overdue"], window, now=now)
    assert late["open"] == on_time["open"] and late["overdue"] >= on_time["overdue"] + 2  # c1 and c6 now late too
