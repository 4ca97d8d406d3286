"""The register's day tallies: per organisation and local day, the time-independent counts behind the
KPI engine's figures, by channel, category and severity (a row per combination present), and the day's
durations to acknowledge and to respond as histograms of tenths. A cache of the complaint table, kept in
step by tallies.py in the transaction of every change; never edited by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auditkit.complaints.metric_specs import TALLIED
from auditkit.core.db import Base, OrganisationOwned

CLOSED = "closed__n"  # complaints closed that day (by their closing day, not the day received)
COUNTS = (*TALLIED, CLOSED)
DIMENSIONS = ("channel", "category_id", "severity")


class TallyState(OrganisationOwned, Base):
    """That an organisation's tallies cover all of its complaints, with days in this time zone. Without
    it (or in another time zone) the KPI engine reads the complaints themselves."""

    __tablename__ = "complaint_tally_state"
    __audited__ = False
    __table_args__ = (UniqueConstraint("organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]


class TallyDay(OrganisationOwned, Base):
    """One local day that has tallies: the row writers lock to keep the day's tallies in step, and the
    day's durations, {"ack": {tenths of an hour: complaints}, "resolve": {tenths of a day: complaints}}."""

    __tablename__ = "complaint_tally_day"
    __audited__ = False
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    durations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Tally(OrganisationOwned, Base):
    """The counts of one local day's complaints with one channel, category and severity: those received
    that day (every name in TALLIED) and those closed that day (CLOSED)."""

    __tablename__ = "complaint_tally"
    __audited__ = False
    __table_args__ = (Index("ix_complaint_tally_by_day", "organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    channel: Mapped[str] = mapped_column(String(20))
    category_id: Mapped[int | None]
    severity: Mapped[str | None] = mapped_column(String(10))


for _name in COUNTS:  # one integer column per count, named as metric_specs.aggregates() labels it
    setattr(Tally, _name, mapped_column(_name, Integer, nullable=False, default=0))
