"""Files attached to complaints, and the public portal's record of recent use per client address (what its
throttle counts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.complaints.models import Complaint
from auditkit.core.db import Base, CreatedAtMixin, OrganisationOwned

PORTAL_USES = ("complaint", "track")


class ComplaintAttachment(OrganisationOwned, CreatedAtMixin, Base):
    """One file attached to a complaint. The bytes live in core.storage under `storage_key` (random, never
    the uploaded name); `filename` is what the uploader called it, for display only; `media_type` is the
    type read from the content when it was accepted."""

    __tablename__ = "complaint_attachment"
    __audit_redact__ = ("filename",)  # a file name can name a person; the trail keeps no personal data
    __table_args__ = (Index("ix_complaint_attachment_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    complaint: Mapped[Complaint] = relationship()


class PortalSubmission(OrganisationOwned, Base):
    """One use of an organisation's public portal: a post of the complaint form (valid or not) or a status
    look-up. The client is a keyed hash of its address (the throttle needs to recognise it, not to know it);
    rows older than a day are pruned as new ones arrive."""

    __tablename__ = "portal_submission"
    __audited__ = False  # bookkeeping of the throttle, not organisation data
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(kind) for kind in PORTAL_USES)})", name="kind"),
        Index("ix_portal_submission_recent", "organisation_id", "kind", "client", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
