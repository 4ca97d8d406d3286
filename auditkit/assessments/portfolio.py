"""The consultant's view at /assessments/: every assessment of every organisation the signed-in person belongs
to with a role that may see assessments, with its latest score (frozen when final, else its progress), its
target, and the trend of that organisation's final assessments. Three queries: the memberships, the
assessments, and the answers counted for those not final."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from auditkit.assessments.models import Assessment
from auditkit.assessments.states import AssessmentStatus
from auditkit.assessments.views import assessment_context, progress_counts
from auditkit.core.security import PERMISSIONS, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

bp = Blueprint("portfolio", __name__, url_prefix="/assessments", template_folder="templates")
bp.context_processor(assessment_context)


@dataclass
class Client:
    organisation: Organisation
    role: str
    assessments: list[Assessment] = field(default_factory=list)
    trend: list[tuple[str, float]] = field(default_factory=list)  # (label, overall score) of its final ones

    @property
    def direction(self) -> str:
        if len(self.trend) < 2:
            return ""
        first, last = self.trend[-2][1], self.trend[-1][1]
        return "up" if last > first else "down" if last < first else "level"


def overall(assessment: Assessment) -> float | None:
    scores = assessment.final_scores or {}
    return (scores.get("overall") or {}).get("score")


def _trend(assessments: list[Assessment]) -> list[tuple[str, float]]:
    """The overall score of each final assessment in date order, a corrected one counting as its latest final
    revision."""
    latest: dict[str, Assessment] = {}
    for assessment in assessments:
        if assessment.status_enum is AssessmentStatus.FINAL and overall(assessment) is not None:
            kept = latest.get(assessment.reference)
            if kept is None or kept.revision < assessment.revision:
                latest[assessment.reference] = assessment
    ordered = sorted(latest.values(), key=lambda a: (a.starts_on, a.finalised_at or a.starts_on, a.id))
    return [(a.label, overall(a)) for a in ordered]


@bp.route("/")
@login_required
def portfolio():
    viewing = PERMISSIONS["assessment.view"]
    rows = db.session.execute(select(Membership.role, Organisation).join(
        Organisation, Organisation.id == Membership.organisation_id).where(Membership.user_id == current_user.id)
        .order_by(Organisation.name)).all()
    clients = {organisation.id: Client(organisation, role) for role, organisation in rows if Role(role) in viewing}
    assessments = list(db.session.execute(select(Assessment).where(Assessment.organisation_id.in_(list(clients)))
                                          .order_by(Assessment.starts_on.desc(), Assessment.id.desc())).scalars()) \
        if clients else []
    for assessment in assessments:
        clients[assessment.organisation_id].assessments.append(assessment)
    for client in clients.values():
        client.trend = _trend(client.assessments)
    counts = progress_counts([a.id for a in assessments if a.status_enum is not AssessmentStatus.FINAL])
    return render_template("assessments/portfolio.html", clients=list(clients.values()), counts=counts,
                           overall=overall)
