"""Planning an assessment: creating it (a baseline, or a follow-up of a final assessment) and changing its
plan — title, scope, assessors, dates, target maturity, the window of its live figures.

Refuses (ValidationFailed naming the field, nothing written): no title or scope; a checklist version the
organisation cannot see, or one that is not a gap-assessment checklist; a target outside the scale; an end
date before the start; an assessor or lead who is not a member of the organisation; an evidence window
outside 7 days to 3 years; a follow-up without a final baseline of the same organisation and clause library;
changing the plan once the assessment is in review or final. A role without `assessment.create`
(or `assessment.edit`): Forbidden. A stale version: Conflict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from auditkit.assessments.models import KINDS, Assessment, AssessmentAssessor, AssessmentCounter
from auditkit.assessments.scale import default_scale, maximum
from auditkit.assessments.states import EDITABLE, AssessmentStatus
from auditkit.core import counters
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.standard.models import Checklist, ChecklistVersion

REFERENCE = "GAP-{year}-{seq:02}"
CHECKLIST_KINDS = ("gap_assessment", "small_business")
WINDOW_DAYS = (7, 3 * 366)


@dataclass
class PlanData:
    title: str = ""
    scope: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    target_maturity: float = 3.0
    lead_id: int | None = None
    assessor_ids: list[int] = field(default_factory=list)
    evidence_window_days: int = 365


def check_version(assessment: Assessment, version: int | None) -> None:
    if version != assessment.version:
        raise Conflict()


def _members(organisation_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(db.session.execute(select(Membership.user_id).where(
        Membership.organisation_id == organisation_id, Membership.user_id.in_(user_ids))).scalars())


def _check_plan(organisation: Organisation, data: PlanData, top: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    data.title, data.scope = (data.title or "").strip(), (data.scope or "").strip()
    if not data.title:
        errors["title"] = [_("Give the assessment a title.")]
    elif len(data.title) > 200:
        errors["title"] = [_("Keep the title under %(n)d characters.", n=200)]
    if not data.scope:
        errors["scope"] = [_("Say what the assessment covers: sites, products, channels, teams.")]
    if data.starts_on is None:
        errors["starts_on"] = [_("Give the start date.")]
    elif data.ends_on is not None and data.ends_on < data.starts_on:
        errors["ends_on"] = [_("The end date cannot be before the start date.")]
    if data.target_maturity is None or not 0 <= data.target_maturity <= top:
        errors["target_maturity"] = [_("The target must be on the scale, from 0 to %(top)d.", top=top)]
    if data.evidence_window_days is None or not WINDOW_DAYS[0] <= data.evidence_window_days <= WINDOW_DAYS[1]:
        errors["evidence_window_days"] = [_("Choose a window from %(low)d to %(high)d days.",
                                            low=WINDOW_DAYS[0], high=WINDOW_DAYS[1])]
    people = list(dict.fromkeys(data.assessor_ids + ([data.lead_id] if data.lead_id else [])))
    strangers = set(people) - _members(organisation.id, people)
    if data.lead_id in strangers:
        errors["lead_id"] = [_("The lead assessor must be a member of this organisation.")]
    if strangers - {data.lead_id}:
        errors["assessor_ids"] = [_("Every assessor must be a member of this organisation.")]
    return errors


def _visible_version(actor: Actor, version_id: int | None) -> ChecklistVersion | None:
    if version_id is None:
        return None
    return db.session.execute(
        select(ChecklistVersion).join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(ChecklistVersion.id == version_id, Checklist.kind.in_(CHECKLIST_KINDS),
               or_(ChecklistVersion.organisation_id.is_(None),
                   ChecklistVersion.organisation_id == actor.organisation_id))).scalar_one_or_none()


def checklist_versions(actor: Actor) -> list[ChecklistVersion]:
    """The checklist versions an assessment may answer: the newest first within each checklist."""
    return list(db.session.execute(
        select(ChecklistVersion).join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(Checklist.kind.in_(CHECKLIST_KINDS),
               or_(Checklist.organisation_id.is_(None), Checklist.organisation_id == actor.organisation_id))
        .order_by(Checklist.organisation_id.is_(None), Checklist.key, ChecklistVersion.number.desc())).scalars())


def set_assessors(assessment: Assessment, user_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(user_ids))
    for assessor in [a for a in assessment.assessors if a.user_id not in wanted]:
        assessment.assessors.remove(assessor)
    present = {a.user_id for a in assessment.assessors}
    for user_id in wanted:
        if user_id not in present:
            assessment.assessors.append(AssessmentAssessor(organisation_id=assessment.organisation_id,
                                                           user_id=user_id))


def create_assessment(actor: Actor, organisation: Organisation, data: PlanData, *, checklist_version_id: int | None,
                      kind: str = "baseline", baseline_id: int | None = None) -> Assessment:
    """A new assessment in draft, on the default maturity scale, numbered GAP-<year>-<n>."""
    require(actor, "assessment.create")
    scale = default_scale()
    errors = _check_plan(organisation, data, maximum(scale))
    version = _visible_version(actor, checklist_version_id)
    if version is None:
        errors["checklist_version_id"] = [_("Choose one of the gap-assessment checklists offered.")]
    baseline = None
    if kind not in KINDS:
        errors["kind"] = [_("Choose one of the values offered.")]
    elif kind == "follow_up":
        baseline = db.session.execute(select(Assessment).where(
            Assessment.id == baseline_id, Assessment.organisation_id == organisation.id)).scalar_one_or_none()
        if baseline is None or baseline.status_enum is not AssessmentStatus.FINAL:
            errors["baseline_id"] = [_("A follow-up follows a final assessment of this organisation.")]
        elif version is not None and db.session.get(ChecklistVersion, baseline.checklist_version_id) \
                .framework_version.framework_id != version.framework_version.framework_id:
            errors["baseline_id"] = [_("The baseline answered another clause library: its clauses cannot be "
                                       "compared.")]
    if errors:
        raise ValidationFailed(errors)
    year = data.starts_on.year
    number = counters.reserve(AssessmentCounter.__table__, organisation.id, year)
    assessment = Assessment(
        organisation_id=organisation.id, reference=REFERENCE.format(year=year, seq=number), title=data.title,
        scope=data.scope, kind=kind, baseline_id=baseline.id if baseline else None,
        checklist_version_id=version.id, status=AssessmentStatus.DRAFT.value, scale=scale,
        target_maturity=float(data.target_maturity), starts_on=data.starts_on, ends_on=data.ends_on,
        evidence_window_days=data.evidence_window_days, lead_id=data.lead_id or actor.user_id)
    db.session.add(assessment)
    set_assessors(assessment, data.assessor_ids)
    db.session.flush()
    return assessment


def edit_plan(actor: Actor, organisation: Organisation, assessment: Assessment, version: int,
              data: PlanData) -> Assessment:
    require(actor, "assessment.create")
    check_version(assessment, version)
    if assessment.status_enum not in EDITABLE:
        raise ValidationFailed({"_": [_("The plan of an assessment in review or final cannot be changed.")]})
    errors = _check_plan(organisation, data, maximum(assessment.scale))
    if errors:
        raise ValidationFailed(errors)
    for name in ("title", "scope", "starts_on", "ends_on", "lead_id", "evidence_window_days"):
        setattr(assessment, name, getattr(data, name))
    assessment.target_maturity = float(data.target_maturity)
    set_assessors(assessment, data.assessor_ids)
    db.session.flush()
    return assessment


def set_evidence_window(actor: Actor, assessment: Assessment, days: int) -> Assessment:
    """Change only the window of the live figures (the selector beside the questions)."""
    require(actor, "assessment.answer")
    if assessment.status_enum is AssessmentStatus.FINAL:
        raise ValidationFailed({"evidence_window_days": [_("A final assessment is locked.")]})
    if not WINDOW_DAYS[0] <= days <= WINDOW_DAYS[1]:
        raise ValidationFailed({"evidence_window_days": [_("Choose a window from %(low)d to %(high)d days.",
                                                           low=WINDOW_DAYS[0], high=WINDOW_DAYS[1])]})
    assessment.evidence_window_days = days
    db.session.flush()
    return assessment
