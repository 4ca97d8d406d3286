"""The API base: flask-smorest at /api/v1 with its OpenAPI document, bearer-token authentication that
binds each request to the token's organisation and role, and the docs page served from local assets.
Errors keep the one JSON shape of core.errors."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template, request
from flask_babel import gettext as _
from flask_smorest import Api
from marshmallow import Schema, fields

from auditkit.accounts.tokens import actor_for_token
from auditkit.core.errors import error_response
from auditkit.extensions import csrf, db

API_PREFIX = "/api/v1"
_OPEN_PATHS = frozenset({f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"})


class ErrorDetailSchema(Schema):
    status = fields.Int()
    code = fields.Str(metadata={"description": "Such as conflict, validation_failed, not_found, forbidden."})
    message = fields.Str(metadata={"description": "In the language of the token's member."})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Field name -> its messages."})


class ErrorSchema(Schema):
    """Every error's one shape (core.errors), for the responses an operation declares besides its own."""

    error = fields.Nested(ErrorDetailSchema)


class AuditKitApi(Api):
    ERROR_SCHEMA = ErrorSchema  # the documented default error response and the operations' declared ones
    def _register_error_handlers(self) -> None:
        """core.errors answers for every route, HTML or JSON; flask-smorest's own handler would turn
        the HTML pages' errors into JSON."""


api = AuditKitApi(spec_kwargs={
    "info": {"description": "The AuditKit API. Authenticate with a personal API token: "
                            "`Authorization: Bearer ak_...`. Each token acts in one organisation with its "
                            "member's role. Errors share one shape: "
                            "`{\"error\": {\"status\", \"code\", \"message\", \"fields\"}}`."},
    "security": [{"bearerAuth": []}],
})


def authenticate_api_request():
    if not request.path.startswith(API_PREFIX + "/") or request.path in _OPEN_PATHS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    actor = actor_for_token(secret.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        return error_response(401, "unauthorized", _("A valid API token is required: "
                                                    "send the header Authorization: Bearer <token>."),
                              headers={"WWW-Authenticate": 'Bearer realm="auditkit"'})
    db.session.commit()  # keeps the token's last use
    g.actor = actor
    return None


docs = Blueprint("api_docs", __name__)


@docs.route(f"{API_PREFIX}/docs")
def api_docs():
    return render_template("web/api_docs.html")


def init_api(app: Flask) -> None:
    from auditkit.accounts import api as accounts_api
    from auditkit.actions import api as actions_api
    from auditkit.complaints import api as complaints_api
    from auditkit.orgs import api as orgs_api
    from auditkit.standard import api as standard_api

    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in (accounts_api.blp, orgs_api.blp, standard_api.blp, complaints_api.blp,
                      actions_api.blp):
        csrf.exempt(blueprint)  # bearer tokens, never cookies: nothing for a forged request to ride on
        api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}{blueprint.url_prefix or ''}")
    app.register_blueprint(docs)
    app.before_request(authenticate_api_request)
