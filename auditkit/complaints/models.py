"""Complaints, their timeline of events, attachments, the organisation's category tree, reference counters
and saved filters. Personal data of the complainant sits in named columns so the anonymiser and the
masking know exactly what to strip."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.complaints.states import OPEN, Status
from auditkit.core.db import Base, CreatedAtMixin, OrganisationOwned, TimestampMixin, Versioned, one_of

CHANNELS = ("web_form", "email", "phone", "in_person", "letter", "social_media", "api", "other")
SEVERITIES = ("low", "medium", "high", "critical")
PERSONAL_FIELDS = ("complainant_name", "complainant_organisation", "email", "phone", "address", "postcode",
                   "country", "representative")

# Complaints whose figures still change as time passes: not acknowledged, or open without a communicated
# decision (a due time can pass). Literal SQL, no bound parameters, so that SQLite's planner can match a
# query's term to the partial index ix_complaint_pending.
PENDING_SQL = ("acknowledged_at IS NULL OR (communicated_at IS NULL AND status IN ("
               + ", ".join(f"'{status}'" for status in sorted(s.value for s in OPEN)) + "))")

# Complaints with a duration to measure (acknowledged, or told the decision): the partial index
# ix_complaint_answered holds their times, so a day's durations are counted without the table, and a
# complaint only received (as every imported one is) costs nothing there.
ANSWERED_SQL = "acknowledged_at IS NOT NULL OR communicated_at IS NOT NULL"
PENDING_COLUMNS = ("status", "acknowledged_at", "ack_due_at", "communicated_at", "response_due_at", "channel",
                   "category_id", "severity")


class Category(OrganisationOwned, CreatedAtMixin, Base):
    """A node of the organisation's own classification tree (8.2)."""

    __tablename__ = "complaint_category"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Complaint(OrganisationOwned, TimestampMixin, Versioned, Base):
    __tablename__ = "complaint"
    # The audit trail is append-only and hash-chained: personal data never goes into it, so anonymising a
    # complaint removes the data everywhere. The trail still shows that such a field changed, and when.
    __audit_redact__ = (*PERSONAL_FIELDS, "preferred_language", "satisfaction_comment", "tracking_code_hash",
                        "survey_token_hash")
    __table_args__ = (
        UniqueConstraint("organisation_id", "reference"),
        UniqueConstraint("organisation_id", "external_id"),
        # Spelled out as comparisons: imports write the table in bulk (see one_of).
        CheckConstraint(one_of("status", Status, spelled_out=True), name="status"),
        CheckConstraint(one_of("channel", CHANNELS, spelled_out=True), name="channel"),
        CheckConstraint(one_of("severity", SEVERITIES, nullable=True, spelled_out=True), name="severity"),
        CheckConstraint("satisfaction_rating IS NULL OR satisfaction_rating BETWEEN 1 AND 5", name="rating"),
        # The register's list: newest first within an organisation, filtered by status, channel or category.
        # Each ends with (received_at, id), the keyset order, so a filtered page reads only its rows.
        Index("ix_complaint_register", "organisation_id", "received_at", "id"),
        Index("ix_complaint_status", "organisation_id", "status", "received_at", "id"),
        Index("ix_complaint_channel", "organisation_id", "channel", "received_at", "id"),
        Index("ix_complaint_category", "organisation_id", "category_id", "received_at", "id"),
        # The figures of complaints closed in a window, whenever they were received, and the day tallies' count
        # of them by channel, category and severity, read from the index alone.
        # Partial: a complaint never closed (every imported one) is not in it.
        Index("ix_complaint_closed", "organisation_id", "closed_at", "status", "channel", "category_id", "severity",
              sqlite_where=text("closed_at IS NOT NULL"), postgresql_where=text("closed_at IS NOT NULL")),
        # The few complaints whose figures change as time passes (metric_specs: overdue members), with every
        # column the overdue counts read and group by, so that they never visit the table.
        Index("ix_complaint_pending", "organisation_id", "received_at", *PENDING_COLUMNS,
              sqlite_where=text(PENDING_SQL), postgresql_where=text(PENDING_SQL)),
        Index("ix_complaint_answered", "organisation_id", "received_at", "acknowledged_at", "communicated_at",
              sqlite_where=text(ANSWERED_SQL), postgresql_where=text(ANSWERED_SQL)),
        # Repeat complainants over a long window: the emails in order, so no sort of the window's rows. SQLite
        # only: PostgreSQL's planner never reads it (a parallel hash aggregate of the window is faster), and there
        # it cost every write a descent to a random page: 4 s of a million-row import (migration 0017).
        Index("ix_complaint_email", "organisation_id", text("lower(email)"), "received_at",
              sqlite_where=text("email IS NOT NULL")).ddl_if(dialect="sqlite"),
        # Partial: the complaints of one assignee (and the foreign key's SET NULL when a user goes); an unassigned
        # complaint, as every imported one, is not in it.
        Index("ix_complaint_assignee_id", "assignee_id", sqlite_where=text("assignee_id IS NOT NULL"),
              postgresql_where=text("assignee_id IS NOT NULL")),
        # Survey tokens are unique where set: the complaints without a survey (all but the closed ones, every
        # imported one) are not in the index.
        Index("uq_complaint_survey_token", "survey_token_hash", unique=True,
              sqlite_where=text("survey_token_hash IS NOT NULL"),
              postgresql_where=text("survey_token_hash IS NOT NULL")),
    )

    # The tenancy column without an index of its own: every index above leads with it.
    organisation_id: Mapped[int] = mapped_column(Integer, ForeignKey("organisation.id", ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default=Status.RECEIVED.value)

    # The complainant (personal data: masked for roles that do not handle complaints, removed by anonymise).
    complainant_name: Mapped[str | None] = mapped_column(String(200))
    complainant_organisation: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(60))
    representative: Mapped[str | None] = mapped_column(String(200))
    preferred_language: Mapped[str | None] = mapped_column(String(10))
    consent: Mapped[bool] = mapped_column(default=False)
    anonymised_at: Mapped[datetime | None]

    # What the complaint is about (7.2).
    product: Mapped[str | None] = mapped_column(String(200))
    # One of the organisation's own categories, as every writer checks. No foreign key: it could not check that
    # (it would take another organisation's), categories are retired and never deleted (so its SET NULL never
    # acted), and it cost a check per complaint written.
    category_id: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    remedy_wanted: Mapped[str | None] = mapped_column(Text)
    occurred_on: Mapped[date | None]

    # Initial assessment (7.5).
    severity: Mapped[str | None] = mapped_column(String(10))
    safety_implication: Mapped[bool | None]
    complexity: Mapped[str | None] = mapped_column(String(10))
    impact: Mapped[str | None] = mapped_column(String(10))
    immediate_action: Mapped[str | None] = mapped_column(Text)

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)

    # The clock: due dates computed at each step, and when each step happened.
    ack_due_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    assessed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    communicated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    accepted: Mapped[bool | None]
    outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | partly_upheld | not_upheld
    # External dispute resolution (ISO 10003): provider, method, referred_on, outcome, outcome_on, implemented.
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    # Satisfaction with the handling (8.3) and the public tracking code: stored as hashes.
    tracking_code_hash: Mapped[str | None] = mapped_column(String(64))
    survey_token_hash: Mapped[str | None] = mapped_column(String(64))  # unique where set: see __table_args__
    survey_sent_at: Mapped[datetime | None]
    survey_answered_at: Mapped[datetime | None]
    satisfaction_rating: Mapped[int | None]
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category | None] = relationship(primaryjoin="foreign(Complaint.category_id) == Category.id")
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", cascade="all, delete-orphan")

    @property
    def status_enum(self) -> Status:
        return Status(self.status)


class ComplaintEvent(OrganisationOwned, Base):
    """One step of a complaint's timeline: who, when, what, and the clause it evidences."""

    __tablename__ = "complaint_event"
    __audited__ = False  # the complaint's own audit entries record the same change; events are its timeline
    __table_args__ = (Index("ix_complaint_event_complaint", "complaint_id", "id"),)

    # The tenancy column, always its complaint's organisation: neither an index (events are read by complaint)
    # nor a foreign key of its own (the complaint's cascades), which would cost a check per event written.
    organisation_id: Mapped[int] = mapped_column(Integer)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    # Who acted, as written then: the account's id (no foreign key, as in the audit trail: a record of what was
    # done is not changed by anything done to the account later, and a key would cost a check per event) and
    # the label shown.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(30))  # a transition name, or note / assign / attachment
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    clause_key: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class ReferenceCounter(OrganisationOwned, Base):
    """The last sequence number used per organisation and year (year 0: the running count of a pattern without
    {year}, see references); its row lock makes references race-free."""

    __tablename__ = "complaint_reference_counter"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("organisation_id", "year"),)


class SavedFilter(OrganisationOwned, CreatedAtMixin, Base):
    """A register filter someone saved under a name, to open again in one click."""

    __tablename__ = "complaint_saved_filter"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))  # the register's query string, as it was
