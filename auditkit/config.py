"""Configuration: defaults here, then `instance/config.py`, then `AUDITKIT_*` environment variables
(`AUDITKIT_DATABASE_URL`, `AUDITKIT_SECRET_KEY`, `AUDITKIT_ENV`...; values are parsed as JSON where
they parse). The secret key is generated into the instance folder on first run outside production;
in production the app refuses to start without a real one."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

KNOWN_WEAK_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "development"})
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    pass


class Defaults:
    ENV = "development"
    DATABASE_URL: str | None = None  # default: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind https (production turns it on)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Sign-in throttling: failures counted over the window, per account and per client address.
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    PASSWORD_MIN_LENGTH = 10
    # Behind a reverse proxy, the number of proxies whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = 0
    # Files uploaded (complaint attachments): default instance/uploads.
    UPLOAD_FOLDER: str | None = None
    # Outgoing mail (acknowledgements, surveys); nothing is sent while SMTP_HOST is unset.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_FROM = "auditkit@localhost"
    SMTP_TIMEOUT = 10
    # Where people reach AuditKit (https://auditkit.example.org), for links in mails sent outside a request:
    # `auditkit actions remind` needs it (or SERVER_NAME with PREFERRED_URL_SCHEME).
    BASE_URL: str | None = None
    # The public complaint portal: throttles per client address and window, attachment limits.
    PORTAL_COMPLAINTS_PER_WINDOW = 5
    PORTAL_LOOKUPS_PER_WINDOW = 20
    PORTAL_WINDOW_SECONDS = 600
    PORTAL_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    PORTAL_ATTACHMENTS_MAX_BYTES = 25 * 1024 * 1024
    PORTAL_ATTACHMENTS_MAX_COUNT = 10
    # Demo complaints seeded per demo organisation by `auditkit demo` (0: none).
    DEMO_COMPLAINTS = 5000
    API_TITLE = "AuditKit API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


def load(app: Flask, overrides: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("AUDITKIT")
    if overrides:
        app.config.update(overrides)
    production = app.config["ENV"] == "production"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    app.config["SECRET_KEY"] = secret_key(app, production)


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "auditkit.sqlite3")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3 is the driver we ship
    return url


def secret_key(app: Flask, production: bool) -> str:
    configured = app.config.get("SECRET_KEY")
    key_file = Path(app.instance_path) / "secret_key"
    if not configured and key_file.exists():
        configured = key_file.read_text().strip()
    if production:
        if not configured or configured in KNOWN_WEAK_SECRETS or len(configured) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                "AuditKit refuses to start in production without a secret key of at least "
                f"{MIN_SECRET_LENGTH} random characters: set AUDITKIT_SECRET_KEY or instance/secret_key."
            )
        return configured
    if configured:
        return configured
    return _generate_key_file(key_file)


def _generate_key_file(key_file: Path) -> str:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = key_file.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        # link() fails if the file exists: when several workers start at once, the first key wins whole.
        os.link(temporary, key_file)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return key_file.read_text().strip()
