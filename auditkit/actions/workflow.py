"""The corrective-action workflow's services, one per transition of states.TRANSITIONS. Each takes the actor,
the action, the version the actor saw and the step's own data, records an event on the timeline, and
flushes; the caller commits.

Refuses (nothing changed): a role without `action.edit` (work steps) or `action.verify` (verifying, closing);
a stale version (Conflict); a step the state does not allow (the message lists the steps that are); a root
cause without its method, its analysis (at least one "why", or one cause on the fishbone) or the stated root
cause; a plan without tasks, effectiveness criteria or a check date, or with a check date in the past;
marking implemented, or closing, while a task is open; a verification by the action's owner or without a
verdict; a "not effective" verdict without saying why."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from auditkit.actions import evidence
from auditkit.actions.labels import STEP_LABELS
from auditkit.actions.models import FISHBONE, RCA_METHODS, VERDICTS, CorrectiveAction
from auditkit.actions.services import check_version, record_event, today
from auditkit.actions.states import TRANSITIONS, ActionStatus, allowed_from
from auditkit.core.db import utcnow
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

MAX_WHYS = 7


def _begin(actor: Actor, action: CorrectiveAction, name: str, version: int, permission: str = "action.edit") -> None:
    require(actor, permission)
    check_version(action, version)
    if action.status_enum not in TRANSITIONS[name].sources:
        allowed = ", ".join(str(STEP_LABELS[t.name]) for t in allowed_from(action.status_enum)) or _("none")
        raise ValidationFailed({"_": _("“%(step)s” is not possible now; the next steps allowed are: %(allowed)s.",
                                       step=STEP_LABELS[name], allowed=allowed)})


def _finish(actor: Actor, action: CorrectiveAction, name: str, data: dict[str, Any] | None = None,
            target: ActionStatus | None = None) -> CorrectiveAction:
    target = target or TRANSITIONS[name].target
    record_event(actor, action, name, data, from_status=action.status, to_status=target.value)
    action.status = target.value
    db.session.flush()
    return action


def _open_tasks(action: CorrectiveAction, round: int | None = None) -> list[str]:
    return [task.title for task in action.tasks if task.done_at is None and (round is None or task.round == round)]


def find_root_cause(actor: Actor, action: CorrectiveAction, version: int, *, method: str | None, analysis: Any,
                    root_cause: str | None) -> CorrectiveAction:
    """Record the analysis: five whys as an ordered list of answers, or a fishbone as {6M category: [causes]}."""
    _begin(actor, action, "find_root_cause", version)
    errors: dict[str, list[str]] = {}
    cleaned: Any = None
    if method not in RCA_METHODS:
        errors["method"] = [_("Choose 5 whys or fishbone.")]
    elif method == "five_whys":
        # A missing answer (None, from a form or a JSON null) is an empty one, not the text "None".
        answers = [str(answer).strip() for answer in (analysis or []) if answer is not None and str(answer).strip()]
        if not answers:
            errors["analysis"] = [_("Answer at least the first “why”.")]
        elif len(answers) > MAX_WHYS:
            errors["analysis"] = [_("Stop at %(n)d whys: state the root cause instead.", n=MAX_WHYS)]
        cleaned = answers
    else:
        analysis = analysis if isinstance(analysis, dict) else {}
        unknown = [name for name in analysis if name not in FISHBONE]
        cleaned = {name: [str(c).strip() for c in analysis.get(name) or [] if c is not None and str(c).strip()]
                   for name in FISHBONE}
        cleaned = {name: causes for name, causes in cleaned.items() if causes}
        if unknown:
            errors["analysis"] = [_("Unknown fishbone category: %(names)s.", names=", ".join(map(str, unknown)))]
        elif not cleaned:
            errors["analysis"] = [_("Name at least one cause on the fishbone.")]
    root_cause = (root_cause or "").strip()
    if not root_cause:
        errors["root_cause"] = [_("State the root cause the analysis found.")]
    if errors:
        raise ValidationFailed(errors)
    action.rca_method, action.rca, action.root_cause = method, cleaned, root_cause
    return _finish(actor, action, "find_root_cause", {"method": method, "root_cause": root_cause})


def plan(actor: Actor, organisation: Organisation, action: CorrectiveAction, version: int, *,
         effectiveness_criteria: str | None, check_on: date | None) -> CorrectiveAction:
    """Approve the plan: the tasks added since the root cause was found (or since it was found not
    effective), how effectiveness will be judged, and when."""
    _begin(actor, action, "plan", version)
    errors: dict[str, list[str]] = {}
    round = action.plan_round + 1
    if not any(task.round == round for task in action.tasks):
        errors["tasks"] = [_("Add at least one task to the plan.")]
    criteria = (effectiveness_criteria or "").strip()
    if not criteria:
        errors["effectiveness_criteria"] = [_("Say how you will know the action worked.")]
    if check_on is None:
        errors["check_on"] = [_("Give the date of the effectiveness check.")]
    elif check_on < today(organisation):
        errors["check_on"] = [_("The effectiveness check cannot be in the past.")]
    if errors:
        raise ValidationFailed(errors)
    action.plan_round, action.effectiveness_criteria, action.check_on = round, criteria, check_on
    action.verdict = action.verdict_comment = None
    return _finish(actor, action, "plan", {"round": round, "check_on": check_on.isoformat()})


def implement(actor: Actor, action: CorrectiveAction, version: int, *, note: str | None = None) -> CorrectiveAction:
    _begin(actor, action, "implement", version)
    still_open = _open_tasks(action, action.plan_round)
    if still_open:
        raise ValidationFailed({"tasks": [_("These tasks are still open: %(tasks)s.", tasks="; ".join(still_open))]})
    action.implemented_at = utcnow()
    return _finish(actor, action, "implement", {"note": (note or "").strip()})


def request_check(actor: Actor, action: CorrectiveAction, version: int) -> CorrectiveAction:
    _begin(actor, action, "request_check", version)
    return _finish(actor, action, "request_check")


def verify(actor: Actor, organisation: Organisation, action: CorrectiveAction, version: int, *,
           verdict: str | None, comment: str | None) -> CorrectiveAction:
    """The verifier's decision, with the evidence from the register frozen beside it."""
    _begin(actor, action, "verify", version, "action.verify")
    errors: dict[str, list[str]] = {}
    if actor.user_id is not None and actor.user_id == action.owner_id:
        errors["_"] = [_("The action's owner cannot verify its effectiveness: ask a manager or an auditor.")]
    if verdict not in VERDICTS:
        errors["verdict"] = [_("Choose effective or not effective.")]
    comment = (comment or "").strip()
    if verdict == "not_effective" and not comment:
        errors["comment"] = [_("Say why it was not effective: the next plan starts from it.")]
    if errors:
        raise ValidationFailed(errors)
    found = evidence.gather(organisation, action)
    action.verdict, action.verdict_comment = verdict, comment or None
    action.verified_at, action.verified_by_id = utcnow(), actor.user_id
    action.evidence = found.as_record() if found else None
    target = ActionStatus.VERIFIED_EFFECTIVE if verdict == "effective" else ActionStatus.NOT_EFFECTIVE
    return _finish(actor, action, "verify", {"verdict": verdict, "comment": comment,
                                             "suggestion": found.suggestion if found else None}, target)


def close(actor: Actor, action: CorrectiveAction, version: int) -> CorrectiveAction:
    _begin(actor, action, "close", version, "action.verify")
    still_open = _open_tasks(action)
    if still_open:
        raise ValidationFailed({"tasks": [_("These tasks are still open: %(tasks)s.", tasks="; ".join(still_open))]})
    action.closed_at = utcnow()
    return _finish(actor, action, "close")
