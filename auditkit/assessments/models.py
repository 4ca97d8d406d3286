"""Assessments (gap analyses), their assessors, answers and the evidence files attached to answers.

An assessment answers one immutable checklist version; its maturity scale is stored with it (scale.py). A
follow-up names the final assessment it follows; a revision names the final assessment it corrects, which
stays as it was."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.assessments.states import AssessmentStatus
from auditkit.core.db import Base, CreatedAtMixin, OrganisationOwned, TimestampMixin, Versioned, one_of

KINDS = ("baseline", "follow_up")
PRIORITIES = ("low", "medium", "high", "critical")


class AssessmentCounter(OrganisationOwned, Base):
    """The last assessment number used per organisation and year (GAP-2026-01)."""

    __tablename__ = "assessment_counter"
    __audited__ = False
    __table_args__ = (UniqueConstraint("organisation_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class Assessment(OrganisationOwned, TimestampMixin, Versioned, Base):
    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference", "revision"),
        CheckConstraint(one_of("status", AssessmentStatus), name="status"),
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint("kind = 'baseline' OR baseline_id IS NOT NULL", name="follow_up_has_baseline"),
        CheckConstraint("target_maturity >= 0", name="target_maturity"),
        CheckConstraint("evidence_window_days > 0", name="evidence_window_days"),
        Index("ix_assessment_register", "organisation_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(default=1)
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="baseline")
    baseline_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="RESTRICT"))
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id", ondelete="RESTRICT"),
                                                      index=True)
    status: Mapped[str] = mapped_column(String(20), default=AssessmentStatus.DRAFT.value)
    scale: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    target_maturity: Mapped[float]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    # The window of the live figures shown beside the questions: the days up to today (or up to the day the
    # assessment was finalised, for a final one).
    evidence_window_days: Mapped[int] = mapped_column(default=365)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Scores as they were when it was finalised, so the consultant's view and follow-ups need not recompute.
    final_scores: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    assessors: Mapped[list[AssessmentAssessor]] = relationship(
        back_populates="assessment", order_by="AssessmentAssessor.id", cascade="all, delete-orphan")

    @property
    def status_enum(self) -> AssessmentStatus:
        return AssessmentStatus(self.status)

    @property
    def label(self) -> str:
        return self.reference if self.revision == 1 else f"{self.reference} rev. {self.revision}"


class AssessmentAssessor(OrganisationOwned, Base):
    __tablename__ = "assessment_assessor"
    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    assessment: Mapped[Assessment] = relationship(back_populates="assessors")


class Answer(OrganisationOwned, TimestampMixin, Versioned, Base):
    """One question answered: a rating on the assessment's scale, or not applicable with a justification."""

    __tablename__ = "assessment_answer"
    __table_args__ = (
        UniqueConstraint("assessment_id", "question_id"),
        CheckConstraint("rating IS NULL OR rating >= 0", name="rating"),
        CheckConstraint("NOT (not_applicable AND rating IS NOT NULL)", name="rating_or_not_applicable"),
        CheckConstraint(one_of("priority", PRIORITIES, nullable=True), name="priority"),
        Index("ix_assessment_answer_clause", "assessment_id", "clause_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="RESTRICT"))
    clause_key: Mapped[str] = mapped_column(String(120))  # the question's, kept here for the scores' GROUP BY
    weight: Mapped[float]  # the question's
    rating: Mapped[int | None]
    not_applicable: Mapped[bool] = mapped_column(default=False)
    justification: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    gap: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(String(10))
    # The live figure beside the question when it was last answered: {"key", "value", "start", "end"}.
    figure: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    attachments: Mapped[list[AnswerAttachment]] = relationship(
        back_populates="answer", order_by="AnswerAttachment.id", cascade="all, delete-orphan")

    @property
    def is_answered(self) -> bool:
        return self.rating is not None or self.not_applicable


class AnswerAttachment(OrganisationOwned, CreatedAtMixin, Base):
    __tablename__ = "assessment_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("assessment_answer.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(80))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    answer: Mapped[Answer] = relationship(back_populates="attachments")
