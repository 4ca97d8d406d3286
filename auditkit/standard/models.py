"""Clause libraries (frameworks), their immutable versions and clauses; checklists, their immutable
versions and questions. Shipped data has no organisation (shared, read-only); an organisation's copies and
imports are its own. Versions are identified by the hash of their canonical content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.core.db import Base, CreatedAtMixin, SharedOrOrganisationOwned, one_of
from auditkit.standard.formats import CHECKLIST_KINDS, CLAUSE_KINDS, IMPORTANCE, METHODS

READ = frozenset({"standard.view"})


class Framework(SharedOrOrganisationOwned, CreatedAtMixin, Base):
    """A clause library: ISO 10002:2018, or a framework an organisation imported."""

    __tablename__ = "framework"
    __shared_actions__ = READ
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))  # "iso10002:2018"
    standard: Mapped[str] = mapped_column(String(100))
    edition: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="yaml")  # yaml | ciso

    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.number")

    @property
    def label(self) -> str:
        """How people name it: "ISO 10002:2018"; an imported framework by its own reference."""
        return f"{self.standard}:{self.edition}" if self.source == "yaml" else self.standard


class FrameworkVersion(SharedOrOrganisationOwned, CreatedAtMixin, Base):
    __tablename__ = "framework_version"
    __shared_actions__ = READ
    __immutable__ = True
    __table_args__ = (UniqueConstraint("framework_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    framework: Mapped[Framework] = relationship(back_populates="versions")
    clauses: Mapped[list[Clause]] = relationship(order_by="Clause.position", back_populates="version")


class Clause(SharedOrOrganisationOwned, Base):
    """One clause of one framework version. Not in the audit trail row by row: the version it belongs to is,
    with the hash of its whole content."""

    __tablename__ = "clause"
    __shared_actions__ = READ
    __immutable__ = True
    __audited__ = False
    __table_args__ = (
        UniqueConstraint("framework_version_id", "key"),
        CheckConstraint(one_of("kind", CLAUSE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id", ondelete="CASCADE"),
                                                      index=True)
    key: Mapped[str] = mapped_column(String(120))  # "iso10002:2018:7.4"
    parent_key: Mapped[str | None] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int]
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    guidance: Mapped[dict[str, str] | None] = mapped_column(JSON)
    uncertain: Mapped[str | None] = mapped_column(String(20))

    version: Mapped[FrameworkVersion] = relationship(back_populates="clauses")


class Checklist(SharedOrOrganisationOwned, CreatedAtMixin, Base):
    __tablename__ = "checklist"
    __shared_actions__ = READ
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        CheckConstraint(one_of("kind", CHECKLIST_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="yaml")  # yaml | xlsx | ciso | copy
    # Provenance of a copy; no foreign key: the copy outlives the organisation it was copied from.
    copied_from_version_id: Mapped[int | None]

    framework: Mapped[Framework] = relationship()
    versions: Mapped[list[ChecklistVersion]] = relationship(
        back_populates="checklist", order_by="ChecklistVersion.number", foreign_keys="ChecklistVersion.checklist_id")


class ChecklistVersion(SharedOrOrganisationOwned, CreatedAtMixin, Base):
    """A checklist as it was at one time: immutable; assessments and audits point at it."""

    __tablename__ = "checklist_version"
    __shared_actions__ = READ
    __immutable__ = True
    __table_args__ = (UniqueConstraint("checklist_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklist.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id", ondelete="RESTRICT"))
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[dict[str, str] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    checklist: Mapped[Checklist] = relationship(back_populates="versions", foreign_keys=[checklist_id])
    framework_version: Mapped[FrameworkVersion] = relationship()
    questions: Mapped[list[Question]] = relationship(order_by="Question.position", back_populates="version")


class Question(SharedOrOrganisationOwned, Base):
    __tablename__ = "question"
    __shared_actions__ = READ
    __immutable__ = True
    __audited__ = False
    __table_args__ = (
        UniqueConstraint("checklist_version_id", "key"),
        Index("ix_question_clause", "clause_key"),
        CheckConstraint(one_of("importance", IMPORTANCE), name="importance"),
        CheckConstraint("weight > 0 AND weight <= 10", name="weight"),
        CheckConstraint(one_of("method", METHODS, nullable=True), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id", ondelete="CASCADE"),
                                                      index=True)
    key: Mapped[str] = mapped_column(String(100))
    clause_key: Mapped[str] = mapped_column(String(120))
    position: Mapped[int]
    text: Mapped[dict[str, str]] = mapped_column(JSON)
    guidance: Mapped[dict[str, str] | None] = mapped_column(JSON)
    evidence: Mapped[dict[str, str] | None] = mapped_column(JSON)
    importance: Mapped[str] = mapped_column(String(20))
    weight: Mapped[float]
    metric: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str | None] = mapped_column(String(20))
    sample: Mapped[dict[str, str] | None] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    version: Mapped[ChecklistVersion] = relationship(back_populates="questions")

    def as_document(self) -> dict[str, Any]:
        return {"id": self.key, "clause": self.clause_key, "text": self.text, "guidance": self.guidance,
                "evidence": self.evidence, "importance": self.importance, "weight": self.weight,
                "metric": self.metric, "method": self.method, "sample": self.sample, "tags": self.tags or []}
