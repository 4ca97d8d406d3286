"""Organisation and membership rules.

Refuses: creating an organisation unless a system administrator; a malformed or taken slug; a locale or
time zone we do not know; settings edits from a role without `organisation.edit_settings` or against a
stale version (409); adding a member twice; any change that would leave an organisation without a
manager.
"""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, select

from auditkit.accounts.models import User
from auditkit.accounts.services import create_user, find_user, generate_password, normalise_email
from auditkit.core.errors import Conflict, Forbidden, ValidationFailed
from auditkit.core.i18n import LOCALES
from auditkit.core.security import Actor, Role, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _settings_errors(name: str, locale: str, timezone: str) -> dict[str, str]:
    errors = {}
    if not name.strip() or len(name) > 200:
        errors["name"] = _("Give a name of 1 to 200 characters.")
    if locale not in LOCALES:
        errors["locale"] = _("Choose one of the languages offered.")
    if timezone not in available_timezones():
        errors["timezone"] = _("Choose a time zone from the list, such as Asia/Tehran.")
    return errors


def create_organisation(admin: User | None, *, name: str, slug: str, locale: str = "en",
                        timezone: str = "UTC") -> Organisation:
    if admin is not None and not admin.is_system_admin:
        raise Forbidden()
    slug = slug.strip().lower()
    errors = _settings_errors(name, locale, timezone)
    if not SLUG_PATTERN.match(slug):
        errors["slug"] = _("Use lower-case letters, digits and hyphens (up to 63), such as acme-insurance.")
    elif organisation_by_slug(slug) is not None:
        errors["slug"] = _("This slug is taken.")
    if errors:
        raise ValidationFailed(errors)
    organisation = Organisation(name=name.strip(), slug=slug, locale=locale, timezone=timezone, settings={})
    db.session.add(organisation)
    db.session.flush()
    return organisation


def organisation_by_slug(slug: str) -> Organisation | None:
    return db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()


def update_organisation(actor: Actor, organisation: Organisation, *, name: str, locale: str, timezone: str,
                        version: int) -> None:
    require(actor, "organisation.edit_settings")
    if version != organisation.version:
        raise Conflict()
    if errors := _settings_errors(name, locale, timezone):
        raise ValidationFailed(errors)
    organisation.name, organisation.locale, organisation.timezone = name.strip(), locale, timezone
    db.session.flush()


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed({"role": _("Choose one of the roles offered.")}) from None


def add_member(actor: Actor, *, email: str, role: str, name: str = "") -> tuple[Membership, str | None]:
    """Add the person with this email to the actor's organisation, creating their account if there is
    none. Returns the membership and, for a new account, its one-time password to hand over."""
    require(actor, "member.manage")
    email = normalise_email(email)
    role_value = _role(role)
    user = find_user(email)
    temporary = None
    if user is None:
        temporary = generate_password()
        user = create_user(None, email=email, password=temporary, name=name, must_change_password=True)
    elif db.session.execute(select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == actor.organisation_id)).first():
        raise ValidationFailed({"email": _("%(email)s is already a member.", email=email)})
    membership = Membership(organisation_id=actor.organisation_id, user_id=user.id, role=role_value.value)
    db.session.add(membership)
    db.session.flush()
    return membership, temporary


def _managers_left(organisation_id: int, excluding: Membership) -> int:
    return db.session.execute(
        select(func.count()).select_from(Membership).where(
            Membership.organisation_id == organisation_id, Membership.role == Role.MANAGER.value,
            Membership.id != excluding.id)
    ).scalar_one()


def change_role(actor: Actor, membership: Membership, role: str) -> None:
    require(actor, "member.manage")
    new_role = _role(role)
    if (membership.role == Role.MANAGER.value and new_role != Role.MANAGER
            and _managers_left(membership.organisation_id, membership) == 0):
        raise ValidationFailed({"role": _("An organisation needs at least one manager.")})
    membership.role = new_role.value
    db.session.flush()


def remove_member(actor: Actor, membership: Membership) -> None:
    require(actor, "member.manage")
    if membership.role == Role.MANAGER.value and _managers_left(membership.organisation_id, membership) == 0:
        raise ValidationFailed({"_": _("An organisation needs at least one manager.")})
    db.session.delete(membership)
    db.session.flush()


def memberships_of(user: User) -> list[Membership]:
    """The user's organisations, by name, for the organisation switcher."""
    return list(db.session.execute(
        select(Membership).join(Organisation).where(Membership.user_id == user.id)
        .order_by(Organisation.name)
    ).scalars())


def member_names(organisation_id: int) -> dict[int, str]:
    """The organisation's members by user id, as their names read (the people a record may be given to)."""
    rows = db.session.execute(select(User.id, User.name, User.email).join(Membership, Membership.user_id == User.id)
                              .where(Membership.organisation_id == organisation_id)
                              .order_by(User.name, User.email)).all()
    return {row.id: row.name or row.email for row in rows}


def with_former_members(people: dict[int, str], ids) -> dict[int, str]:
    """`people` completed with the users a record names who are no longer members, in one query."""
    missing = {i for i in ids if i is not None and i not in people}
    if missing:
        people = {**people, **{row.id: row.name or row.email for row in db.session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(missing)))}}
    return people
