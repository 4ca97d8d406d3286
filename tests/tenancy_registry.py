"""What the generic tenancy and permission walk needs to know about routes.

Every URL parameter of a registered route must be listed in OBJECT_MAKERS: a function that makes (in the
given organisation) a record the route can be called with, returning its id. A feature that adds a route
with a new parameter registers its maker here; the walk fails on any parameter it does not know.
Routes open to anyone (no sign-in) are listed in PUBLIC_ENDPOINTS.
"""

from __future__ import annotations

from collections.abc import Callable

from auditkit.accounts.tokens import create_token
from auditkit.core.security import Actor, Role
from auditkit.orgs.models import Organisation

PUBLIC_ENDPOINTS = {
    "static", "web.healthz", "web.set_language", "accounts.login", "accounts.logout",
    "api_docs.api_docs", "api-docs.openapi_json",
}


def _membership(make, organisation: Organisation) -> int:
    user = make.member(organisation, Role.VIEWER)
    return user.memberships[0].id


def _token(make, organisation: Organisation) -> int:
    user = make.member(organisation, Role.VIEWER)
    actor = Actor(user.id, organisation.id, Role.VIEWER, user.email)
    return create_token(actor, name="walk")[0].id


OBJECT_MAKERS: dict[str, Callable] = {
    "membership_id": _membership,
    "token_id": _token,
    "organisation_id": lambda make, organisation: organisation.id,
    "user_id": lambda make, organisation: make.member(organisation, Role.VIEWER).id,
}
