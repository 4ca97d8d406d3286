"""Organisations (the tenants) and the memberships that give a user one role in one of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auditkit.core.db import Base, OrganisationOwned, TimestampMixin, Versioned
from auditkit.core.i18n import LOCALES
from auditkit.core.security import Role

if TYPE_CHECKING:
    from auditkit.accounts.models import User

_locales = ", ".join(f"'{code}'" for code in LOCALES)
_roles = ", ".join(f"'{role.value}'" for role in Role)


class Organisation(TimestampMixin, Versioned, Base):
    __tablename__ = "organisation"
    __tenant_key__ = "id"
    __table_args__ = (
        CheckConstraint(f"locale IN ({_locales})", name="locale"),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Settings later features extend; each key is documented by the feature that reads it.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation",
                                                         cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Membership(OrganisationOwned, TimestampMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        CheckConstraint(f"role IN ({_roles})", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
