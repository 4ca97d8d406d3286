"""Configuration layering, the secret key, production refusals and SQLite's connection settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from auditkit import create_app
from auditkit.config import ConfigurationError
from auditkit.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITKIT_INSTANCE_PATH", str(tmp_path))
    for name in ("AUDITKIT_SECRET_KEY", "AUDITKIT_ENV", "AUDITKIT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_a_secret_key_is_generated_once_into_the_instance_folder(instance):
    first = create_app().config["SECRET_KEY"]
    assert (instance / "secret_key").read_text().strip() == first
    assert len(first) >= 32 and (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == first


@pytest.mark.parametrize("secret", [None, "dev", "changeme", "short-secret"])
def test_production_refuses_to_start_without_a_real_secret(instance, monkeypatch, secret):
    monkeypatch.setenv("AUDITKIT_ENV", "production")
    if secret:
        monkeypatch.setenv("AUDITKIT_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="refuses to start"):
        create_app()
    assert not (instance / "secret_key").exists()


def test_production_with_a_real_secret_uses_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("AUDITKIT_ENV", "production")
    monkeypatch.setenv("AUDITKIT_SECRET_KEY", "x" * 40)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_defaults_then_instance_config_then_environment(instance, monkeypatch):
    assert create_app().config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 5
    (instance / "config.py").write_text("LOGIN_MAX_FAILURES_PER_ACCOUNT = 7\n")
    assert create_app().config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 7
    monkeypatch.setenv("AUDITKIT_LOGIN_MAX_FAILURES_PER_ACCOUNT", "9")
    assert create_app().config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 9


def test_database_urls(instance, monkeypatch):
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'auditkit.sqlite3'}"
    monkeypatch.setenv("AUDITKIT_DATABASE_URL", "postgresql://u@db.internal/auditkit")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/auditkit"


@pytest.mark.sqlite_only
def test_sqlite_runs_with_wal_foreign_keys_a_busy_timeout_and_8_kb_pages(app):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA page_size")).scalar() == 8192  # a database created by the app
