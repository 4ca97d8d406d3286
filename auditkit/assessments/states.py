"""The assessment workflow as data: draft → in progress → in review → final. A review may send the
assessment back to work; a final assessment is locked, and a correction is a new revision (revisions.py)
that starts in progress with the answers of the one it corrects, which stays final and unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    FINAL = "final"


S = AssessmentStatus
# Answers are given and changed only while the assessment is being worked on.
ANSWERABLE = frozenset({S.IN_PROGRESS})
# Its plan (scope, assessors, dates, target) may change until it is submitted for review.
EDITABLE = frozenset({S.DRAFT, S.IN_PROGRESS})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[AssessmentStatus]
    target: AssessmentStatus
    permission: str


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("start", frozenset({S.DRAFT}), S.IN_PROGRESS, "assessment.answer"),
    Transition("submit", frozenset({S.IN_PROGRESS}), S.IN_REVIEW, "assessment.answer"),
    Transition("reopen", frozenset({S.IN_REVIEW}), S.IN_PROGRESS, "assessment.finalise"),
    Transition("finalise", frozenset({S.IN_REVIEW}), S.FINAL, "assessment.finalise"),
)}


def allowed_from(status: AssessmentStatus) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
