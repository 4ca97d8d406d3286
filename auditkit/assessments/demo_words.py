"""The shape of what the demo gap assessments say (see demo_texts.py): the banks of phrases per language, and
the topic each checklist tag leads to."""

from __future__ import annotations

from dataclasses import dataclass, field

# The topic of the banks that each checklist tag leads to (a question takes its first tag's).
TOPICS = {
    "policy": "policy", "documentation": "documentation", "process-flowchart": "documentation",
    "training": "training", "customer-focus-culture": "customer", "customer-focus": "customer",
    "internal-audit": "audit", "management-review": "review", "reporting-to-top-management": "reporting",
    "monitoring": "monitoring", "performance-indicators": "monitoring", "objectives": "objectives",
    "accountability": "roles", "roles-and-responsibilities": "roles", "resources": "resources",
    "records": "records", "transparency": "transparency", "accessibility": "accessibility",
    "escalation": "escalation", "external-dispute-resolution": "escalation", "responsiveness": "responsiveness",
    "risk-analysis": "risk", "objectivity": "fairness", "impartiality": "fairness", "fairness": "fairness",
    "charges": "charges", "complaint-analysis": "analysis", "confidentiality": "confidentiality",
    "data-sharing": "analysis", "satisfaction-survey": "survey", "continual-improvement": "improvement",
    "self-declaration": "improvement",
}
# Questions whose tags lead the banks astray, and the topic they take instead.
QUESTION_TOPICS = {
    "ga-5.1-01": "context", "ga-5.1-02": "context", "ga-6.1-01": "context", "ga-6.1-03": "process-risk",
    "ga-7.5-03": "risk", "ga-4.2-02": "reporting", "ga-4.12-03": "reporting", "ga-8.6-04": "review",
    "ga-8.2-06": "analysis",
}


@dataclass(frozen=True)
class ActionWords:
    """A recommendation that became a corrective action, and what the action's owner and verifier wrote."""

    recommendation: str  # first line: the action's title
    gap: str
    whys: tuple[str, ...] = ()
    root_cause: str = ""
    tasks: tuple[str, ...] = ()
    criteria: str = ""
    note: str = ""  # said on marking the plan implemented
    verdict: str = ""
    after: str = ""  # the follow-up's finding on the question


@dataclass(frozen=True)
class Words:
    language: str
    clause: str  # how a clause is named, from {number} and {title}
    separator: str  # between the sentences of a note
    level: str  # a level of the scale, from {n}
    # Evidence items with these words are not documents to name: figures of the register, or conditions.
    skip_words: tuple[str, ...]
    baseline: tuple[str, str]  # title, scope
    observed: tuple[tuple[str, ...], ...]  # by rating, 0 to 4
    sighted: tuple[tuple[str, ...], ...]  # by rating, 0 to 4; {a} and {b} are evidence items
    figures: dict[str, str]  # by metric key; {value} and {days}
    gaps: dict[str, tuple[str, str]]  # by topic: (missing, partly in place)
    recommendations: dict[str, tuple[str, ...]]  # by topic
    not_applicable: dict[str, str]  # justification by question key
    actions: dict[str, ActionWords]  # by question key
    follow_up: tuple[str, str] = ("", "")
    follow_up_not_applicable: dict[str, str] = field(default_factory=dict)
    compared: dict[str, tuple[str, ...]] = field(default_factory=dict)  # better, same, pending, worse, new, action
    # A follow-up's findings where a baseline recommendation became an action but the practice is still settling.
    settling: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # gaps, recommendations
    worse: dict[str, str] = field(default_factory=dict)  # why a clause slipped, by clause number
    statuses: dict[str, str] = field(default_factory=dict)  # an action's state, as a follow-up says it
