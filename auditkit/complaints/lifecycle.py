"""The complaint lifecycle's services, one per transition of states.TRANSITIONS. Each takes the actor, the
complaint, the version the actor saw and the step's own data; records an event tagged with its clause; and
moves the clocks.

Refuses: a role without `complaint.transition`; a stale version (409: someone changed the complaint
meanwhile); a step the current state does not allow (the message lists the steps that are); a step without
what it must record (acknowledgement method, severity, remedy, how the decision was told, a reason to
reject, withdraw, escalate or reopen); closing a complaint whose complainant did not accept the decision
before the internal and external options are used up.

A complaint that goes back into handling (reopened, or escalated) forgets in its current state the decision,
its communication, the closure and the satisfaction survey (HANDLED_AGAIN), so that these steps can be done
again and the figures count it as open and undecided meanwhile. A reopened complaint, and one escalated after
the decision was told, runs a new response clock from that moment on the organisation's targets and calendar:
it is overdue when late again, and closing it again opens a new survey that can be answered. The timeline
keeps the earlier steps (their decide, communicate, close and survey events), and the audit trail the earlier
values (those it redacts, such as the survey's comment, only as changed).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from auditkit.complaints.clock import due_at
from auditkit.complaints.intake import hash_code
from auditkit.complaints.models import SEVERITIES, Complaint, ComplaintEvent
from auditkit.complaints.settings import settings_of
from auditkit.complaints.states import TRANSITIONS, Status, allowed_from
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

STEP_LABELS = {
    "receive": _l("Received"), "acknowledge": _l("Acknowledge"), "assess": _l("Assess"),
    "investigate": _l("Investigate"), "decide": _l("Decide the response"),
    "communicate": _l("Communicate the decision"),
    "close": _l("Close"), "escalate": _l("Escalate internally"), "refer_external": _l("Refer to external resolution"),
    "reopen": _l("Reopen"), "withdraw": _l("Withdrawn by the complainant"), "reject": _l("Reject as out of scope"),
    "attachment": _l("Attachment added"), "survey": _l("Satisfaction survey answered"),
}
CONTACT_METHODS = ("email", "letter", "phone", "sms", "in_person", "portal")
LEVELS = ("low", "medium", "high")
OUTCOMES = ("upheld", "partly_upheld", "not_upheld")
REFERRAL_METHODS = ("facilitative", "advisory", "determinative")
# How external dispute resolution ended (ISO 10003), recorded when a referred complaint is closed.
EXTERNAL_OUTCOMES = ("settled", "for_complainant", "partly_for_complainant", "for_organisation", "withdrawn")
# The current state of a decision, its communication, the closure and the survey: emptied when the complaint
# goes back into handling, so that the figures count it as undecided, open and without a survey until the steps
# are done again (metric_specs: decision_communicated_pct, resolve_*, overdue, closure_*, survey_*, satisf*).
HANDLED_AGAIN = ("decided_at", "outcome", "communicated_at", "closed_at", "accepted", "survey_token_hash",
                 "survey_sent_at", "survey_answered_at", "satisfaction_rating", "satisfaction_comment")


def _require_text(errors: dict, field: str, value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = [message]
    return value


def _choice(errors: dict, field: str, value: str | None, choices) -> str | None:
    if value not in choices:
        errors[field] = [_("Choose one of the values offered.")]
        return None
    return value


def _begin(actor: Actor, complaint: Complaint, name: str, version: int) -> None:
    require(actor, "complaint.transition")
    if version != complaint.version:
        raise Conflict()
    if complaint.status_enum not in TRANSITIONS[name].sources:
        allowed = ", ".join(str(STEP_LABELS[t.name]) for t in allowed_from(complaint.status_enum)) or _("none")
        raise ValidationFailed({"_": _("“%(step)s” is not possible now; the next steps allowed are: %(allowed)s.",
                                       step=STEP_LABELS[name], allowed=allowed)})


def _finish(actor: Actor, complaint: Complaint, name: str, at: datetime, data: dict[str, Any]) -> ComplaintEvent:
    transition = TRANSITIONS[name]
    event = ComplaintEvent(organisation_id=complaint.organisation_id, complaint_id=complaint.id, at=at,
                           actor_id=actor.user_id, actor_label=actor.label, kind=name, from_status=complaint.status,
                           to_status=transition.target.value, clause_key=transition.clause,
                           data={k: v for k, v in data.items() if v not in (None, "")})
    complaint.status = transition.target.value
    db.session.add(event)
    db.session.flush()
    return event


def _when(errors: dict, at: datetime | None, complaint: Complaint) -> datetime:
    at = at or utcnow()
    if at > utcnow():
        errors["at"] = [_("The time cannot be in the future.")]
    elif at < complaint.received_at:
        errors["at"] = [_("The time cannot be before the complaint was received.")]
    return at


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationFailed(errors)


def response_due(complaint: Complaint, organisation: Organisation, start: datetime) -> datetime:
    """When the response to the complaint is due if its clock starts at `start`: the organisation's target for
    the complaint's severity (medium until assessed), on its working week."""
    settings = settings_of(organisation)
    return due_at(start, settings.target(complaint.severity, "respond"), settings.calendar)


def _handle_again(complaint: Complaint, at: datetime, *, new_clock: bool) -> None:
    """Back into handling at `at` (see the module's docstring), with a new response clock from then if asked."""
    for name in HANDLED_AGAIN:
        setattr(complaint, name, None)
    if new_clock:
        organisation = db.session.get(Organisation, complaint.organisation_id)
        complaint.response_due_at = response_due(complaint, organisation, at)


def acknowledge_complaint(actor: Actor, complaint: Complaint, *, version: int, method: str,
                          at: datetime | None = None, note: str = "") -> ComplaintEvent:
    _begin(actor, complaint, "acknowledge", version)
    errors: dict = {}
    _choice(errors, "method", method, CONTACT_METHODS)
    at = _when(errors, at, complaint)
    _raise(errors)
    complaint.acknowledged_at = at
    return _finish(actor, complaint, "acknowledge", at, {"method": method, "note": note.strip()})


def assess_complaint(actor: Actor, complaint: Complaint, organisation: Organisation, *, version: int,
                     severity: str, safety_implication: bool, complexity: str, impact: str,
                     immediate_action: str = "") -> ComplaintEvent:
    """Initial assessment (7.5); the response target follows the severity from here on."""
    _begin(actor, complaint, "assess", version)
    errors: dict = {}
    _choice(errors, "severity", severity, SEVERITIES)
    _choice(errors, "complexity", complexity, LEVELS)
    _choice(errors, "impact", impact, LEVELS)
    _raise(errors)
    settings = settings_of(organisation)
    at = utcnow()
    complaint.severity, complaint.safety_implication = severity, safety_implication
    complaint.complexity, complaint.impact = complexity, impact
    complaint.immediate_action = immediate_action.strip() or None
    complaint.assessed_at = at
    complaint.response_due_at = response_due(complaint, organisation, complaint.received_at)
    if complaint.acknowledged_at is None:
        complaint.ack_due_at = due_at(complaint.received_at, settings.target(severity, "acknowledge"),
                                      settings.calendar)
    return _finish(actor, complaint, "assess", at, {
        "severity": severity, "safety_implication": safety_implication, "complexity": complexity,
        "impact": impact, "immediate_action": complaint.immediate_action})


def investigate_complaint(actor: Actor, complaint: Complaint, *, version: int, notes: str = "") -> ComplaintEvent:
    _begin(actor, complaint, "investigate", version)
    return _finish(actor, complaint, "investigate", utcnow(), {"notes": notes.strip()})


def decide_response(actor: Actor, complaint: Complaint, *, version: int, remedy: str, outcome: str,
                    root_cause: str = "", findings: str = "") -> ComplaintEvent:
    _begin(actor, complaint, "decide", version)
    errors: dict = {}
    remedy = _require_text(errors, "remedy", remedy, _("Say what was decided: the remedy or the answer."))
    _choice(errors, "outcome", outcome, OUTCOMES)
    _raise(errors)
    at = utcnow()
    complaint.decided_at, complaint.outcome = at, outcome
    return _finish(actor, complaint, "decide", at, {"remedy": remedy, "outcome": outcome,
                                                    "root_cause": root_cause.strip(), "findings": findings.strip()})


def communicate_decision(actor: Actor, complaint: Complaint, *, version: int, method: str,
                         at: datetime | None = None, note: str = "") -> ComplaintEvent:
    _begin(actor, complaint, "communicate", version)
    errors: dict = {}
    _choice(errors, "method", method, CONTACT_METHODS)
    at = _when(errors, at, complaint)
    _raise(errors)
    complaint.communicated_at = at
    return _finish(actor, complaint, "communicate", at, {"method": method, "note": note.strip()})


def close_complaint(actor: Actor, complaint: Complaint, *, version: int, accepted: bool | None,
                    options_exhausted: bool = False, note: str = "", external_outcome: str = "",
                    outcome_on: date | None = None, implemented_on: date | None = None) -> tuple[ComplaintEvent, str]:
    """Close (7.9) and open the satisfaction survey (8.3); returns the event and the survey token. A complaint
    referred to external dispute resolution closes with how that ended (ISO 10003): the outcome and its date,
    and when the organisation carried it out, kept with the referral."""
    _begin(actor, complaint, "close", version)
    if accepted is False and not options_exhausted:
        raise ValidationFailed({"accepted": _(
            "The complainant did not accept the decision: keep the complaint open and offer internal escalation or "
            "external dispute resolution; close it once those options are used up.")})
    ending = _external_ending(complaint, external_outcome, outcome_on, implemented_on)
    at = utcnow()
    token = secrets.token_urlsafe(24)
    complaint.closed_at, complaint.accepted = at, accepted
    complaint.survey_token_hash, complaint.survey_sent_at = hash_code(token), at
    if ending:
        complaint.referral = {**(complaint.referral or {}), **ending}
    event = _finish(actor, complaint, "close", at, {"accepted": accepted, "options_exhausted": options_exhausted,
                                                    "note": note.strip(), **ending})
    return event, token


def _external_ending(complaint: Complaint, outcome: str, outcome_on: date | None,
                     implemented_on: date | None) -> dict[str, str]:
    """The external outcome a referred complaint closes with, checked; nothing for any other complaint (which
    is refused one)."""
    outcome = (outcome or "").strip()
    if complaint.status_enum != Status.REFERRED_EXTERNAL:
        if outcome or outcome_on or implemented_on:
            raise ValidationFailed({"external_outcome": _(
                "Only a complaint referred to external dispute resolution has an external outcome.")})
        return {}
    errors: dict = {}
    _choice(errors, "external_outcome", outcome, EXTERNAL_OUTCOMES)
    today = utcnow().date()
    referred = date.fromisoformat(complaint.referral["referred_on"])  # refer_external always records it
    if outcome_on is None:
        errors["outcome_on"] = [_("Give the date of the external outcome.")]
    elif not referred <= outcome_on <= today:
        errors["outcome_on"] = [_("The date must lie between the referral and today.")]
    if implemented_on is not None and not (outcome_on or referred) <= implemented_on <= today:
        errors["implemented_on"] = [_("The date must lie between the external outcome and today.")]
    _raise(errors)
    ending = {"external_outcome": outcome, "outcome_on": outcome_on.isoformat()}
    if implemented_on is not None:
        ending["implemented_on"] = implemented_on.isoformat()
    return ending


def _reason(actor: Actor, complaint: Complaint, name: str, version: int, reason: str, message: str) -> str:
    _begin(actor, complaint, name, version)
    errors: dict = {}
    reason = _require_text(errors, "reason", reason, message)
    _raise(errors)
    return reason


def _with_reason(actor: Actor, complaint: Complaint, name: str, version: int, reason: str,
                 message: str, **data) -> ComplaintEvent:
    reason = _reason(actor, complaint, name, version, reason, message)
    return _finish(actor, complaint, name, utcnow(), {"reason": reason, **data})


def escalate_complaint(actor: Actor, complaint: Complaint, *, version: int, reason: str,
                       escalated_to: str = "") -> ComplaintEvent:
    """Internal escalation (7.9): back under investigation, at the next level. Escalated from a decision, the
    complaint forgets it, and from a decision told it runs a new response clock (see the module's docstring)."""
    reason = _reason(actor, complaint, "escalate", version, reason, _("Say why it is escalated."))
    at = utcnow()
    complaint.escalation_level += 1
    _handle_again(complaint, at, new_clock=complaint.communicated_at is not None)
    return _finish(actor, complaint, "escalate", at, {"reason": reason, "escalated_to": escalated_to.strip(),
                                                       "level": complaint.escalation_level})


def reopen_complaint(actor: Actor, complaint: Complaint, *, version: int, reason: str) -> ComplaintEvent:
    """Reopen a closed complaint (7.9): back under investigation with a new response clock; its decision,
    closure and survey are done again (see the module's docstring)."""
    reason = _reason(actor, complaint, "reopen", version, reason, _("Say why it is reopened."))
    at = utcnow()
    complaint.reopen_count += 1
    _handle_again(complaint, at, new_clock=True)
    return _finish(actor, complaint, "reopen", at, {"reason": reason})


def withdraw_complaint(actor: Actor, complaint: Complaint, *, version: int, reason: str) -> ComplaintEvent:
    event = _with_reason(actor, complaint, "withdraw", version, reason, _("Record what the complainant said."))
    complaint.closed_at = utcnow()
    return event


def reject_complaint(actor: Actor, complaint: Complaint, *, version: int, reason: str) -> ComplaintEvent:
    event = _with_reason(actor, complaint, "reject", version, reason,
                         _("Say why the complaint is out of scope, and where the complainant can turn."))
    complaint.closed_at = utcnow()
    return event


def refer_external(actor: Actor, complaint: Complaint, *, version: int, provider: str, method: str,
                   referred_on: date) -> ComplaintEvent:
    """Referral to external dispute resolution (ISO 10003) after the complainant rejected the decision."""
    _begin(actor, complaint, "refer_external", version)
    errors: dict = {}
    provider = _require_text(errors, "provider", provider, _("Name the dispute-resolution provider."))
    _choice(errors, "method", method, REFERRAL_METHODS)
    if referred_on > utcnow().date():
        errors["referred_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    complaint.referral = {"provider": provider, "method": method, "referred_on": referred_on.isoformat()}
    return _finish(actor, complaint, "refer_external", utcnow(), dict(complaint.referral))
