"""How a request ends its transaction: what it read is ended cheaply, what it wrote and did not commit is gone;
and how a PostgreSQL connection the server dropped is replaced."""
import pytest
from sqlalchemy import create_engine, func, insert, make_url, select, text
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.core import database
from portal.extensions import db
from portal.people.models import School
from tests.conftest import Client, make_config


def _app_with_unfinished_writes(url):
    """The portal with two public pages that write and answer 200 without committing, as a view with a bug
    or a handled error would."""
    app = create_app(make_config(url))

    @app.route("/_flushed")
    def _flushed():
        db.session.execute(insert(School).values(name="写了没提交小学"))
        return "ok"

    @app.route("/_pending")
    def _pending():
        db.session.add(School(name="加了没写小学"))
        return "ok"

    _flushed.policy = _pending.policy = "public"
    return app


def test_a_request_that_wrote_without_committing_saves_nothing(db_url):
    app = _app_with_unfinished_writes(db_url)
    client = app.test_client()
    assert client.get("/_flushed").status_code == 200
    assert client.get("/_pending").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == 0


def test_pages_that_only_read_keep_postgresql_prepared_statements(db_url, world):
    """psycopg prepares a statement run five times on a connection, and forgets them all at a ROLLBACK: pages
    that only read end with COMMIT, so PostgreSQL stops planning the same statements on every request."""
    app = create_app(make_config(db_url))  # its own pool: one connection, as a worker has
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL only: the sqlite3 module keeps its own statement cache")
    c = Client(app)
    assert c.login(world.users["coordinator"].username).status_code == 302
    for _ in range(8):
        assert c.get("/needs/").status_code == 200
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) > 0


def _postgresql_app(db_url):
    app = create_app(make_config(db_url))  # its own pool: one connection, as a worker has
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("PostgreSQL only: a SQLite connection is a file, nothing drops it")
    return app


def _server_drops_the_connection(app):
    """What a restart of PostgreSQL (or an administrator) does to the worker's pooled connection."""
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.commit()
    admin = create_engine(make_url(app.config["SQLALCHEMY_DATABASE_URI"]), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    with admin.connect() as conn:
        # Waits (up to 5 s) until the server process has gone, so the next request meets a dead connection.
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    admin.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_a_request_uses_it(db_url, world, monkeypatch):
    app = _postgresql_app(db_url)
    c = Client(app)
    assert c.login(world.users["coordinator"].username).status_code == 302
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0)  # every connection counts as idle
    _server_drops_the_connection(app)
    r = c.get("/needs/")
    assert r.status_code == 200, r.get_data(as_text=True)[-500:]


def test_a_busy_connection_is_not_tried_first_and_one_request_pays_for_its_loss(db_url, world, monkeypatch):
    """No SELECT 1 before each request's work; when the server drops a connection in use a moment ago, that
    request gets the 503 page, and the next finds a new connection."""
    app = _postgresql_app(db_url)
    c = Client(app)
    assert c.login(world.users["coordinator"].username).status_code == 302
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 3600)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _server_drops_the_connection(app)
    assert c.get("/needs/").status_code == 503
    assert c.get("/needs/").status_code == 200
