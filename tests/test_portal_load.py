"""Load on the public portal: 20 clients submitting 50 complaints each at once, through gunicorn with several
workers on PostgreSQL, give exactly 1,000 complaints with 1,000 distinct references."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from auditkit import create_app
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from tests.conftest import postgres_url, reset_postgres, unavailable

pytestmark = pytest.mark.engine_independent
SCHEMA = "portal_load"
CLIENTS, EACH = 20, 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def load_database(tmp_path):
    url = postgres_url()
    try:
        reset_postgres(url, SCHEMA)
    except Exception as error:
        unavailable(f"PostgreSQL is not reachable at {url}: {error}")
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"
    app = create_app({"DATABASE_URL": scoped, "SECRET_KEY": "l" * 48})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        # Its own session on this app's engine: the test's db.session is bound to the suite's database.
        with Session(db.engine) as session:
            session.add(Organisation(name="Load", slug="load", settings={}))
            session.commit()
        db.engine.dispose()
    yield scoped
    reset_postgres(url, SCHEMA)


@pytest.fixture
def gunicorn(load_database, tmp_path):
    port = _free_port()
    env = {**os.environ, "AUDITKIT_DATABASE_URL": load_database, "AUDITKIT_INSTANCE_PATH": str(tmp_path),
           "AUDITKIT_SECRET_KEY": "g" * 48, "AUDITKIT_PORTAL_COMPLAINTS_PER_WINDOW": "100000"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}",
                                "auditkit:create_app()"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
    yield base
    process.terminate()
    process.wait(timeout=20)


def _client(base: str, errors: list[str]) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        with opener.open(f"{base}/p/load/complaint", timeout=30) as response:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
        for n in range(EACH):
            body = urllib.parse.urlencode({"csrf_token": token, "description": f"Load test complaint {n}",
                                           "email": "load@example.org", "consent": "y", "website": ""}).encode()
            with opener.open(f"{base}/p/load/complaint", data=body, timeout=60) as response:
                if response.status != 200 or "/complaint/received" not in response.url:
                    errors.append(f"{response.status} {response.url}")
    except (OSError, urllib.error.HTTPError, AttributeError) as error:
        errors.append(repr(error))


def test_twenty_clients_submitting_at_once_get_a_thousand_distinct_references(gunicorn, load_database):
    errors: list[str] = []
    threads = [threading.Thread(target=_client, args=(gunicorn, errors)) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors[:5]
    engine = create_engine(load_database)
    with engine.connect() as connection:
        total, distinct = connection.execute(text(
            "SELECT count(*), count(DISTINCT reference) FROM complaint")).one()
    engine.dispose()
    assert (total, distinct) == (CLIENTS * EACH, CLIENTS * EACH)
