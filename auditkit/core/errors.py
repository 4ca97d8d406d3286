"""Domain errors, raised by services and the tenancy gate, and mapped once to HTML pages and to the
API's single JSON error shape: {"error": {"status", "code", "message", "fields"?}}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str | None = None):
        super().__init__(message)
        self.message = message or self.default_message()

    def default_message(self) -> str:
        return _("The request could not be carried out.")


class NotFound(DomainError):
    status, code = 404, "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Forbidden(DomainError):
    status, code = 403, "forbidden"

    def default_message(self) -> str:
        return _("You are not allowed to do that.")


class Conflict(DomainError):
    status, code = 409, "conflict"

    def default_message(self) -> str:
        return _("Someone else changed this record meanwhile. Reload it and apply your change again.")


class ValidationFailed(DomainError):
    """Bad input: `fields` maps a field name (or "_" for the whole form) to its messages."""

    status, code = 422, "validation_failed"

    def __init__(self, fields: dict[str, list[str] | str], message: str | None = None):
        self.fields = {k: [v] if isinstance(v, str) else list(v) for k, v in fields.items()}
        super().__init__(message)

    def default_message(self) -> str:
        return _("Some fields need attention.")

    def __str__(self) -> str:  # logs and tracebacks name every field's messages
        return "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in self.fields.items())


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


HTTP_MESSAGES = {
    400: lazy_gettext("The request was not understood."),
    401: lazy_gettext("Sign in to continue."),
    403: lazy_gettext("You are not allowed to do that."),
    404: lazy_gettext("Not found."),
    405: lazy_gettext("That method is not allowed here."),
    409: lazy_gettext("Someone else changed this record meanwhile. Reload it and apply your change again."),
    413: lazy_gettext("The upload is too large."),
    422: lazy_gettext("Some fields need attention."),
    429: lazy_gettext("Too many requests. Wait a moment and try again."),
    500: lazy_gettext("Something went wrong on our side. The error has been logged."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    if wants_json():
        body: dict = {"status": status, "code": code, "message": str(message)}
        if fields:
            body["fields"] = fields
        response = jsonify(error=body)
    else:
        response = make_response(
            render_template("errors/error.html", status=status, message=message, fields=fields or {})
        )
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_").replace("'", "")


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    fields = None
    data = getattr(error, "data", None)  # webargs / flask-smorest put field messages here
    if isinstance(data, dict) and "messages" in data:
        fields = _flatten_webargs(data["messages"])
    # Werkzeug's stock descriptions are English prose for developers; show ours, translated, unless
    # the code that aborted gave a message of its own.
    own_message = error.description and error.description != type(error).description and status < 500
    message = error.description if own_message else HTTP_MESSAGES.get(status, error.name)
    headers = dict(error.get_headers()) if status == 405 else None
    if headers:
        headers.pop("Content-Type", None)
    return error_response(status, _http_code(error), str(message), fields, headers)


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests messages by location (json, query...); the API shape names fields only."""
    flat: dict = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            flat.update(location_messages)
    return flat


def handle_domain_error(error: DomainError):
    return error_response(error.status, error.code, error.message, getattr(error, "fields", None))


def handle_stale_data(_error: StaleDataError):
    from auditkit.extensions import db

    db.session.rollback()
    return handle_domain_error(Conflict())


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    from auditkit.extensions import db

    db.session.rollback()
    return error_response(500, "internal_error", str(HTTP_MESSAGES[500]))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)  # logged with its traceback, never shown
