"""Personal API tokens: created for one member in one organisation, stored as a SHA-256 hash, shown once.

Refuses: a token for someone who is not a member of the organisation, a blank name, and any look at
another member's token (404: tokens are personal; removing a member or deactivating the account ends
theirs).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.accounts.models import ApiToken, User
from auditkit.core.db import utcnow
from auditkit.core.errors import Forbidden, NotFound, ValidationFailed
from auditkit.core.security import Actor, Role, load_for, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

TOKEN_PREFIX = "ak_"  # noqa: S105 - a marker, not a secret
_LAST_USED_RESOLUTION = timedelta(minutes=5)  # no write on every request


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(actor: Actor, *, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor in the actor's organisation, and its secret (shown once)."""
    require(actor, "api_token.manage_own")
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("Give the token a name of 1 to 100 characters.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organisation_id=actor.organisation_id, user_id=actor.user_id, name=name,
                     prefix=secret[:10], token_hash=_digest(secret))
    db.session.add(token)
    db.session.flush()
    return token, secret


def own_token(actor: Actor, token_id: int) -> ApiToken:
    token = load_for(actor, ApiToken, token_id, "api_token.manage_own")
    if token.user_id != actor.user_id:
        raise NotFound()
    return token


def revoke_token(actor: Actor, token: ApiToken) -> None:
    if token.user_id != actor.user_id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def actor_for_token(secret: str) -> Actor | None:
    """The actor a bearer token stands for now (its user's current role), or None when the token is unknown,
    revoked, or its user inactive or no longer a member."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = db.session.execute(
        select(ApiToken, Membership.role, User)
        .join(User, User.id == ApiToken.user_id)
        .join(Membership, (Membership.user_id == ApiToken.user_id)
              & (Membership.organisation_id == ApiToken.organisation_id))
        .where(ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    token, role, user = row
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
    return Actor(user_id=user.id, organisation_id=token.organisation_id, role=Role(role),
                 label=f"{user.email} (API token {token.prefix}…)")


def tokens_of(actor: Actor) -> list[ApiToken]:
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.organisation_id == actor.organisation_id,
                               ApiToken.user_id == actor.user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ).scalars())


def create_token_for(email: str, slug: str, name: str) -> str:
    """For `auditkit tokens create`: the secret of a new token for that member of that organisation."""
    row = db.session.execute(
        select(User, Membership, Organisation)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(User.email == email.strip().lower(), Organisation.slug == slug)
    ).one_or_none()
    if row is None:
        raise ValidationFailed({"user": _("%(email)s is not a member of %(slug)s.", email=email, slug=slug)})
    user, membership, _organisation = row
    if not user.active:
        raise Forbidden(_("This account is deactivated."))
    actor = Actor(user.id, membership.organisation_id, Role(membership.role), user.email)
    return create_token(actor, name=name)[1]
