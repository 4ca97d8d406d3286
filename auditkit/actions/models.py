"""Corrective actions, their plan of tasks, their timeline, and their links to sources and clauses.

A link names a record of another feature by kind and id (or key, for a clause): the register of kinds in
links.py says how to find and show each, so features written later (audits, reviews, process risks) link
their records without this package knowing them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.actions.states import ActionStatus
from auditkit.core.db import Base, CreatedAtMixin, OrganisationOwned, TimestampMixin, Versioned, one_of

KINDS = ("correction", "corrective", "preventive", "improvement")
PRIORITIES = ("low", "medium", "high", "critical")
RCA_METHODS = ("five_whys", "fishbone")
# The 6M categories of an Ishikawa (fishbone) diagram.
FISHBONE = ("people", "methods", "machines", "materials", "measurement", "environment")
VERDICTS = ("effective", "not_effective")


class ActionCounter(OrganisationOwned, Base):
    """The last action number used per organisation and year (ACT-2026-0001)."""

    __tablename__ = "corrective_action_counter"
    __audited__ = False
    __table_args__ = (UniqueConstraint("organisation_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class CorrectiveAction(OrganisationOwned, TimestampMixin, Versioned, Base):
    __tablename__ = "corrective_action"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference"),
        CheckConstraint(one_of("status", ActionStatus), name="status"),
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("priority", PRIORITIES), name="priority"),
        CheckConstraint(one_of("rca_method", RCA_METHODS, nullable=True), name="rca_method"),
        CheckConstraint(one_of("verdict", VERDICTS, nullable=True), name="verdict"),
        Index("ix_corrective_action_register", "organisation_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), default=ActionStatus.OPEN.value)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    due_on: Mapped[date]
    containment: Mapped[str | None] = mapped_column(Text)  # what was done at once to contain the problem
    containment_done: Mapped[bool] = mapped_column(default=False)

    # Where it came from: one of links.SOURCES; the record itself is its source link.
    source_kind: Mapped[str] = mapped_column(String(30), default="none")
    # The complaints it is meant to reduce, for the before/after evidence: a category, a product, or both.
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id", ondelete="SET NULL"))
    product: Mapped[str | None] = mapped_column(String(200))

    # Root-cause analysis: five whys as a list of answers, or a fishbone as {6M category: [causes]}.
    rca_method: Mapped[str | None] = mapped_column(String(20))
    rca: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    root_cause: Mapped[str | None] = mapped_column(Text)

    effectiveness_criteria: Mapped[str | None] = mapped_column(Text)
    check_on: Mapped[date | None]
    plan_round: Mapped[int] = mapped_column(default=0)  # 1 for the first plan, 2 after one "not effective"...

    implemented_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    verdict: Mapped[str | None] = mapped_column(String(20))
    verdict_comment: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # frozen with the verdict
    closed_at: Mapped[datetime | None]
    reminded_on: Mapped[date | None]  # the last day a reminder went out, so one goes a day at most

    tasks: Mapped[list[ActionTask]] = relationship(
        back_populates="action", order_by="(ActionTask.round, ActionTask.position, ActionTask.id)",
        cascade="all, delete-orphan")
    links: Mapped[list[ActionLink]] = relationship(back_populates="action", order_by="ActionLink.id",
                                                   cascade="all, delete-orphan")

    @property
    def status_enum(self) -> ActionStatus:
        return ActionStatus(self.status)


class ActionTask(OrganisationOwned, CreatedAtMixin, Base):
    """One task of an action's plan; `round` is the plan it belongs to."""

    __tablename__ = "corrective_action_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    due_on: Mapped[date]
    done_at: Mapped[datetime | None]

    action: Mapped[CorrectiveAction] = relationship(back_populates="tasks")


class ActionLink(OrganisationOwned, CreatedAtMixin, Base):
    """The action's source (is_source) or a record it relates to: a clause by key, any other record by id."""

    __tablename__ = "corrective_action_link"
    __table_args__ = (
        UniqueConstraint("action_id", "kind", "target_id", "target_key"),
        # The other way round: the actions raised from a record.
        Index("ix_corrective_action_link_target", "organisation_id", "kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None]
    target_key: Mapped[str | None] = mapped_column(String(120))
    is_source: Mapped[bool] = mapped_column(default=False)

    action: Mapped[CorrectiveAction] = relationship(back_populates="links")


class ActionEvent(OrganisationOwned, Base):
    """One step of an action's timeline: who, when, what."""

    __tablename__ = "corrective_action_event"
    __audited__ = False  # the action's own audit entries record the same change; events are its timeline
    __table_args__ = (Index("ix_corrective_action_event_action", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30))  # a transition name, or raise / task / link / edit
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
