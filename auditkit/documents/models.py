"""The register of generated documents: one row per file a feature generated (a gap-analysis report, an audit
report...), naming its kind, the record it was generated from, the stored file and its sha256, the template,
locale and author, and the plain data snapshot it was built from, so it can be reproduced and verified later.
Rows are written once (`__immutable__`); the bytes live in core.storage under `storage_key`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.core.db import Base, CreatedAtMixin, OrganisationOwned

if TYPE_CHECKING:
    from auditkit.accounts.models import User


class GeneratedDocument(OrganisationOwned, CreatedAtMixin, Base):
    __tablename__ = "generated_document"
    __immutable__ = True
    # The trail records that a document was made and its sha256; the snapshot stays in the row (it may be large,
    # and may name people).
    __audit_redact__ = ("snapshot",)
    __table_args__ = (
        Index("ix_generated_document_source", "organisation_id", "source_type", "source_id"),
        Index("ix_generated_document_register", "organisation_id", "id"),  # the register: newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "gap_report", "audit_report"...
    source_type: Mapped[str] = mapped_column(String(40))  # "assessment", "audit"...
    source_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(120))
    storage_key: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    locale: Mapped[str] = mapped_column(String(10))
    template: Mapped[str] = mapped_column(String(120))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship("User", viewonly=True)
