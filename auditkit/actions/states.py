"""The corrective-action workflow as data: states, and the transitions allowed from each. Services in
workflow.py carry out one transition each.

open → root cause found → planned → implemented → effectiveness check due → verified effective → closed;
a check that finds the action not effective leads to "not effective", from where it is planned again (a new
round of tasks; the earlier rounds and the verdict stay in the history)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionStatus(StrEnum):
    OPEN = "open"
    ROOT_CAUSE_FOUND = "root_cause_found"
    PLANNED = "planned"
    IMPLEMENTED = "implemented"
    CHECK_DUE = "check_due"
    VERIFIED_EFFECTIVE = "verified_effective"
    NOT_EFFECTIVE = "not_effective"
    CLOSED = "closed"


S = ActionStatus
ACTIVE = frozenset(S) - {S.CLOSED}
# Still being worked on by its owner: these count as overdue once their due date has passed.
IN_WORK = frozenset({S.OPEN, S.ROOT_CAUSE_FOUND, S.PLANNED, S.NOT_EFFECTIVE})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[ActionStatus]
    target: ActionStatus | None  # None: decided by the step (a verification's verdict)


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("find_root_cause", frozenset({S.OPEN}), S.ROOT_CAUSE_FOUND),
    Transition("plan", frozenset({S.ROOT_CAUSE_FOUND, S.NOT_EFFECTIVE}), S.PLANNED),
    Transition("implement", frozenset({S.PLANNED}), S.IMPLEMENTED),
    Transition("request_check", frozenset({S.IMPLEMENTED}), S.CHECK_DUE),
    Transition("verify", frozenset({S.IMPLEMENTED, S.CHECK_DUE}), None),
    Transition("close", frozenset({S.VERIFIED_EFFECTIVE}), S.CLOSED),
)}


def allowed_from(status: ActionStatus) -> list[Transition]:
    """The steps that may follow an action in this state, in workflow order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]
