"""How a request ends its transaction: what it read is ended cheaply, what it wrote and did not commit is gone."""
import pytest
from sqlalchemy import func, insert, select, text

from portal import create_app
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
