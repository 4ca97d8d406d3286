"""Test fixtures: the app on the chosen engine (`--engine sqlite|postgresql`), migrated once per run;
each test inside a transaction that is rolled back (tests marked `committed` use real commits and the
database is emptied after them); factories for organisations, users and members; one fixture per role.

PostgreSQL comes from AUDITKIT_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
When it is unreachable the PostgreSQL run is skipped, except under CI=true, where it fails."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from auditkit import create_app
from auditkit.accounts.models import User
from auditkit.accounts.passwords import hash_password
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

PASSWORD = "correct horse battery staple"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser):
    parser.addoption("--engine", choices=["sqlite", "postgresql"],
                     default=os.environ.get("AUDITKIT_TEST_ENGINE", "sqlite"))


def pytest_collection_modifyitems(config, items):
    """Tests that do not touch the database engine run once, in the SQLite pass; SQLite-only tests are
    left out of the PostgreSQL pass. Deselected, not skipped: nothing is missing."""
    if config.getoption("--engine") != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        once = item.get_closest_marker("engine_independent") or item.get_closest_marker("sqlite_only")
        (drop if once else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    return f"auditkit database engine: {config.getoption('--engine')}"


def postgres_url() -> str:
    return os.environ.get("AUDITKIT_TEST_DATABASE_URL") or DEFAULT_PG


def unavailable(reason: str):
    """Skip for a missing component outside CI; fail in CI, where every component must be present."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine_name(request) -> str:
    return request.config.getoption("--engine")


def reset_postgres(url: str, schema: str = "public") -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(engine_name, tmp_path_factory) -> str:
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = postgres_url()
    try:
        reset_postgres(url)
    except Exception as error:
        unavailable(f"PostgreSQL is not reachable at {url}: {error}")
    return url


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


class RequestIsolatingClient(FlaskClient):
    """Each request gets an application context of its own, as in production (fresh `g`, its own
    database session), although the test itself holds one open for its factories."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            response.get_data()  # read the body while the request's context still exists
        return response


@pytest.fixture(scope="session")
def app(database_url, instance_path) -> Iterator[Flask]:
    os.environ["AUDITKIT_INSTANCE_PATH"] = instance_path
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "t" * 48,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "DEMO_COMPLAINTS": 0,  # tests that want demo complaints seed them themselves
    })
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        load_standard()
        db.engine.dispose()
    yield application


MINI = Path(__file__).parent / "data" / "mini"


def load_standard() -> None:
    """The shipped clause library and checklists, and the small test library, as `auditkit setup` would
    load them: shared, committed, present for every test."""
    from auditkit.standard import library
    from auditkit.standard.cli import import_shipped

    import_shipped()
    documents, problems = library.read_directory([MINI])
    assert not problems
    library.import_batch(library.check_documents(documents))
    db.session.commit()


def _sqlite_real_savepoints(connection) -> Callable[[], None]:
    """pysqlite defers BEGIN until the first write, which breaks SAVEPOINT; the rollback isolation needs
    real nested transactions (SQLAlchemy's documented recipe), on this test's connection only — the
    application keeps pysqlite's behaviour, which concurrent writers rely on. Returns the undo."""
    raw = connection.connection.dbapi_connection
    raw.isolation_level = None

    def begin(conn):
        conn.exec_driver_sql("BEGIN")

    event.listen(connection, "begin", begin)

    def undo() -> None:
        event.remove(connection, "begin", begin)
        raw.isolation_level = ""

    return undo


def _empty_all_tables() -> None:
    with db.engine.begin() as connection:
        # Tables that refer to themselves (ON DELETE RESTRICT): cut the links first.
        connection.execute(db.metadata.tables["complaint_category"].update().values(parent_id=None))
        connection.execute(db.metadata.tables["assessment"].update().values(kind="baseline", baseline_id=None,
                                                                              revises_id=None))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(autouse=True)
def isolated(request, app) -> Iterator[None]:
    """Every test runs in a transaction rolled back at its end; `committed` tests commit for real (threads,
    a live server) and the tables are emptied afterwards."""
    if request.node.get_closest_marker("committed"):
        with app.app_context():
            _empty_all_tables()
            load_standard()
            yield
            db.session.remove()
            _empty_all_tables()
            load_standard()
        return
    with app.app_context():
        connection = db.engine.connect()
        undo = _sqlite_real_savepoints(connection) if connection.dialect.name == "sqlite" else None
        transaction = connection.begin()
        original = db.session
        # A plain SQLAlchemy session: Flask-SQLAlchemy's own would pick the engine, not this connection.
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        db.session = scoped_session(factory, scopefunc=_app_ctx_id)
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            if undo:
                undo()
            connection.close()


_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


class Factory:
    """Builds committed-in-the-test-transaction records with sensible defaults."""

    def __init__(self):
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def organisation(self, **values) -> Organisation:
        n = self._next()
        values = {"name": f"Organisation {n}", "slug": f"org-{n}", "locale": "en", "timezone": "UTC",
                  "settings": {}, **values}
        organisation = Organisation(**values)
        db.session.add(organisation)
        db.session.flush()
        return organisation

    def user(self, **values) -> User:
        n = self._next()
        values = {"email": f"user{n}@example.org", "name": f"User {n}", "password_hash": password_hash(),
                  **values}
        user = User(**values)
        db.session.add(user)
        db.session.flush()
        return user

    def member(self, organisation: Organisation, role: Role | str, user: User | None = None) -> User:
        user = user or self.user(email=f"{Role(role).value}{self._next()}@{organisation.slug}.example")
        db.session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=Role(role).value))
        db.session.flush()
        return user


@pytest.fixture
def make() -> Factory:
    return Factory()


@pytest.fixture
def org(make) -> Organisation:
    return make.organisation(name="Alpha Telecom", slug="alpha")


@pytest.fixture
def other_org(make) -> Organisation:
    return make.organisation(name="Beta Insurance", slug="beta")


def _role_fixture(role: Role):
    @pytest.fixture(name=role.value)
    def member_with_role(make, org) -> User:
        return make.member(org, role)

    return member_with_role


consultant = _role_fixture(Role.CONSULTANT)
auditor = _role_fixture(Role.AUDITOR)
manager = _role_fixture(Role.MANAGER)
handler = _role_fixture(Role.HANDLER)
viewer = _role_fixture(Role.VIEWER)


@pytest.fixture
def admin(make) -> User:
    return make.user(email="root@example.org", is_system_admin=True)


def actor_of(user: User, organisation: Organisation) -> Actor:
    role = next(m.role for m in user.memberships if m.organisation_id == organisation.id)
    return Actor(user.id, organisation.id, Role(role), user.email)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client) -> Callable[[User], FlaskClient]:
    """Sign a user in on the test client without the cost of a password check."""

    def sign_in(user: User) -> FlaskClient:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return sign_in


@pytest.fixture
def count_queries() -> Callable[[], AbstractContextManager[list[str]]]:
    """`with count_queries() as seen:` collects the SQL statements run inside the block."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        seen: list[str] = []
        connection = db.session.get_bind()

        def note(_connection, _cursor, statement, *_args) -> None:
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            event.remove(connection, "before_cursor_execute", note)

    return counting
