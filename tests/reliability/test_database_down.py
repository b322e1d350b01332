"""The database out of reach: every page says so in Chinese with 503 and Retry-After, htmx requests too, and the
health check reports it; an error in a statement on a database that answers stays a 500."""
import pytest
from sqlalchemy.exc import InterfaceError, OperationalError

from portal import create_app
from tests.conftest import CSRF_RE, make_config

DOWN = "系统暂时无法连接数据库，请稍后再试。"
# Places no database answers: a file in a folder that does not exist; a port nothing listens on.
UNREACHABLE = {
    "sqlite": "sqlite:///{tmp}/missing-dir/carebridge.db",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/carebridge_test",
}
SIGNED_IN_PAGES = ["/", "/needs/", "/hours/", "/parent-school/", "/settings"]


def _app(url, **extra):
    return create_app(make_config(url, PROPAGATE_EXCEPTIONS=False, **extra))


@pytest.fixture(params=sorted(UNREACHABLE))
def down(request, tmp_path):
    return _app(UNREACHABLE[request.param].format(tmp=tmp_path)).test_client()


def _signed_in(client):
    """The cookie a signed-in browser sends; the portal looks its user up in the database on every request."""
    with client.session_transaction() as session:
        session["_user_id"] = "session-token-of-a-teacher"
        session["_fresh"] = True
    return client


def _says_down(r):
    body = r.get_data(as_text=True)
    assert r.status_code == 503, body[-800:]
    assert DOWN in body, body[-800:]
    assert int(r.headers["Retry-After"]) > 0
    assert r.headers["Cache-Control"] == "no-store"
    assert "Traceback" not in body and "OperationalError" not in body
    return body


def test_login_page_and_login_say_the_database_is_unreachable(down):
    body = _says_down(down.get("/login"))
    assert "<h1>" in body and "返回首页" in body  # the portal's own error page
    token = CSRF_RE.search(body)
    assert token, "the error page still carries a CSRF token"
    _says_down(down.post("/login", data={"username": "teacher", "password": "x" * 10,
                                         "csrf_token": token.group(1) or token.group(2)}))


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_say_the_database_is_unreachable(down, path):
    _says_down(_signed_in(down).get(path))


def test_htmx_request_gets_503_and_the_message_alone(down):
    r = _signed_in(down).get("/needs/?q=数学", headers={"HX-Request": "true"})
    body = _says_down(r)
    assert "<html" not in body, "an htmx request gets the message, not a whole page"
    assert "HX-Request" in r.headers["Vary"]


def test_healthz_says_the_database_is_unreachable(down):
    r = down.get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error" and r.get_json()["database"] != "ok"


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"), connection_invalidated=True),
    InterfaceError("SELECT 1", {}, Exception("the connection is closed"), connection_invalidated=True),
], ids=["operational", "interface"])
def test_a_connection_lost_mid_request_is_503(db_url, error):
    app = _app(db_url)

    @app.route("/_lost")
    def _lost():
        raise error

    _lost.policy = "public"
    _says_down(app.test_client().get("/_lost"))


def test_an_error_in_a_statement_is_still_a_500(tmp_path):
    """A database that answers but lacks the tables (migrations not run): a fault to fix, not a wait-and-retry."""
    r = _signed_in(_app(f"sqlite:///{tmp_path}/empty.db").test_client()).get("/needs/")
    body = r.get_data(as_text=True)
    assert r.status_code == 500, body[-800:]
    assert "出错了" in body and DOWN not in body
