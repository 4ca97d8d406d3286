"""Live figures beside an assessment's questions: for each question with a metric key, the organisation's
current figure from the KPI engine over the assessment's window — every figure of a page in one call to
metrics.compute, so the number of queries does not grow with the questions — and the complaints behind a
figure, listed or sampled.

The window ends now while the assessment is open, and at the moment it was finalised once it is final, so a
final assessment's figures read the same later. A sample is reproducible: the same seed and size over the
same records give the same complaints (ids sorted, then random.Random(seed).sample)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from auditkit.assessments.models import Assessment
from auditkit.complaints import metrics
from auditkit.complaints.models import Complaint
from auditkit.core.db import utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.metric_keys import BREAKDOWNS
from auditkit.standard.models import Question

SAMPLE_SIZES = (5, 10, 20, 30, 50)
BREAKDOWN_SHOWN = 5


@dataclass(frozen=True)
class Figure:
    key: str
    value: Any  # a number, None (no denominator), or a breakdown's [(label, count)]
    start: datetime
    end: datetime

    @property
    def is_breakdown(self) -> bool:
        return self.key in BREAKDOWNS

    def as_record(self) -> dict[str, Any]:
        value = self.value
        if self.is_breakdown:
            value = [[str(label) if label is not None else None, count] for label, count in value[:BREAKDOWN_SHOWN]]
        return {"key": self.key, "value": value, "start": self.start.isoformat(), "end": self.end.isoformat()}


def window(assessment: Assessment, now: datetime | None = None) -> metrics.Window:
    end = assessment.finalised_at or now or utcnow()
    return metrics.Window(end - timedelta(days=assessment.evidence_window_days), end)


def figures(organisation: Organisation, assessment: Assessment, questions: list[Question],
            now: datetime | None = None) -> dict[int, Figure]:
    """The live figure of each question that names a metric, by question id."""
    keys = sorted({q.metric for q in questions if q.metric})
    if not keys:
        return {}
    span = window(assessment, now)
    values = metrics.compute(organisation, keys, span, now=now)
    return {q.id: Figure(q.metric, values[q.metric], span.start, span.end) for q in questions if q.metric}


def records(organisation: Organisation, assessment: Assessment, key: str, now: datetime | None = None):
    """The complaints behind a question's figure, newest first (a select to paginate)."""
    return metrics.records(organisation, key, window(assessment, now), now=now)


def sample(organisation: Organisation, assessment: Assessment, key: str, size: int, seed: int,
           now: datetime | None = None) -> tuple[int, list[Complaint]]:
    """How many records are behind the figure, and a reproducible random sample of them (oldest first)."""
    statement = records(organisation, assessment, key, now)
    ids = sorted(db.session.execute(statement.with_only_columns(Complaint.id).order_by(None)).scalars())
    chosen = sorted(random.Random(seed).sample(ids, min(size, len(ids))))
    if not chosen:
        return len(ids), []
    complaints = db.session.execute(select(Complaint).where(Complaint.id.in_(chosen))
                                    .order_by(Complaint.received_at, Complaint.id)).scalars().all()
    return len(ids), list(complaints)
