"""The complaint lifecycle of ISO 10002 clause 7 as data: states, and the transitions allowed from each,
with the clause each step evidences. Services in lifecycle.py carry out one transition each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ASSESSED = "assessed"
    UNDER_INVESTIGATION = "under_investigation"
    RESPONSE_DECIDED = "response_decided"
    DECISION_COMMUNICATED = "decision_communicated"
    REFERRED_EXTERNAL = "referred_external"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


OPEN = frozenset(Status) - {Status.CLOSED, Status.WITHDRAWN, Status.REJECTED}
S = Status


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[Status]
    target: Status
    clause: str  # the ISO 10002 clause this step evidences


def _t(name: str, sources, target: Status, clause: str) -> Transition:
    return Transition(name, frozenset(sources), target, f"iso10002:2018:{clause}")


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    _t("acknowledge", {S.RECEIVED}, S.ACKNOWLEDGED, "7.4"),
    _t("assess", {S.RECEIVED, S.ACKNOWLEDGED}, S.ASSESSED, "7.5"),
    _t("investigate", {S.ASSESSED}, S.UNDER_INVESTIGATION, "7.6"),
    _t("decide", {S.UNDER_INVESTIGATION}, S.RESPONSE_DECIDED, "7.7"),
    _t("communicate", {S.RESPONSE_DECIDED}, S.DECISION_COMMUNICATED, "7.8"),
    _t("close", {S.DECISION_COMMUNICATED, S.REFERRED_EXTERNAL}, S.CLOSED, "7.9"),
    _t("escalate", {S.ASSESSED, S.UNDER_INVESTIGATION, S.RESPONSE_DECIDED, S.DECISION_COMMUNICATED},
       S.UNDER_INVESTIGATION, "7.9"),
    _t("refer_external", {S.DECISION_COMMUNICATED}, S.REFERRED_EXTERNAL, "7.9"),
    _t("reopen", {S.CLOSED}, S.UNDER_INVESTIGATION, "7.9"),
    _t("withdraw", OPEN, S.WITHDRAWN, "7.9"),
    _t("reject", {S.RECEIVED, S.ACKNOWLEDGED, S.ASSESSED}, S.REJECTED, "7.5"),
)}


def allowed_from(status: Status) -> list[Transition]:
    """The steps that may follow a complaint in this state, in lifecycle order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]
