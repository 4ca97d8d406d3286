"""Binds a request under /o/<slug>/ to its organisation and the signed-in member's Actor (g.organisation,
g.actor), and fills <slug> into url_for() for pages of the same organisation. Someone who is not a member
gets 404, exactly as for an organisation that does not exist."""

from __future__ import annotations

from flask import Flask, abort, g, request, session
from flask_login import current_user
from sqlalchemy import select

from auditkit.core.errors import NotFound
from auditkit.core.security import Actor, Role
from auditkit.extensions import db, login_manager
from auditkit.orgs.models import Membership, Organisation

ORG_PREFIX = "/o/<slug>"


def actor_in(user, slug: str) -> tuple[Organisation, Actor] | None:
    row = db.session.execute(
        select(Organisation, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Organisation.slug == slug, Membership.user_id == user.id)
    ).one_or_none()
    if row is None:
        return None
    organisation, role = row
    return organisation, Actor(user_id=user.id, organisation_id=organisation.id, role=Role(role),
                               label=user.email, is_system_admin=user.is_system_admin)


def bind_organisation(_endpoint: str | None, values: dict | None) -> None:
    if not values or "slug" not in values or request.url_rule is None:
        return
    if not request.url_rule.rule.startswith(ORG_PREFIX):
        return
    slug = values.pop("slug")
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    bound = actor_in(current_user, slug)
    if bound is None:
        raise NotFound()
    g.organisation, g.actor = bound
    session["last_organisation"] = slug


def fill_slug(endpoint: str, values: dict) -> None:
    organisation = g.get("organisation")
    if organisation is not None and "slug" not in values:
        from flask import current_app

        if current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
            values["slug"] = organisation.slug


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(bind_organisation)
    app.url_defaults(fill_slug)
