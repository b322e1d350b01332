"""Fixtures: one app and database per session, emptied before each test; clients that speak CSRF."""
import contextvars
import os
import re
import uuid
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.config import TestConfig, _normalise_db_url
from portal.core import clock
from portal.extensions import db
from tests import factories

# The job runner's queue (portal/jobs.py, imported by the tests that need it) of the tests' own, out of the
# instance folder: one per worker process.
os.environ.setdefault("JOBS_DB", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"carebridge-jobs-{os.getpid()}.db"))


def stopped_at_day_end(wall):
    """`wall`, held at the last instant of the day it reads now."""
    day_end = datetime.combine(wall().date(), time.max)
    return lambda: min(wall(), day_end)


# Test modules take the school's date when they are imported (TODAY = local_today()), before the tests run. A
# run that crosses midnight in Shanghai (16:00 UTC) would see the portal's day move under them, and a date that
# was tomorrow become today; so for the run, the portal's clock stops at the day's last instant instead.
clock._wall = stopped_at_day_end(clock._wall)

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def require(condition: bool, reason: str):
    """Skip on a developer machine without the tool; in CI a missing tool is a failure, never a skip."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run this test)", pytrace=False)
    pytest.skip(reason)


def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    url = _normalise_db_url(url)
    name = make_url(url).database or ""
    if "test" not in name:
        pytest.exit(f"Refusing to run tests against database {name!r}: its name must contain 'test'.", returncode=2)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # tests run side by side (make test: pytest -n): each worker empties a database of its own
        own = make_url(url).set(database=f"{name}_{worker}")
        with _pg_admin(own) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
        url = own.render_as_string(hide_password=False)
    return url


test_database_url.__test__ = False


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    return test_database_url(tmp_path_factory)


def make_config(url, **extra):
    return type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **extra})


def crashing_app(url, message="boom"):
    """The portal with one public page that raises, to see the 500 page as a user would."""
    app = create_app(make_config(url, PROPAGATE_EXCEPTIONS=False))

    @app.route("/_boom")
    def _boom():
        raise RuntimeError(message)

    _boom.policy = "public"
    return app


@pytest.fixture
def new_db_url(db_url, tmp_path):
    """Makes databases of the test's own, empty, of the same kind as the test database; dropped afterwards."""
    url = make_url(db_url)
    made = []

    def make(label="fresh"):
        suffix = uuid.uuid4().hex[:8]
        if url.get_backend_name() == "sqlite":
            return f"sqlite:///{tmp_path / f'{label}-{suffix}.db'}"
        name = f"{url.database}_{label}_{suffix}"
        with _pg_admin(url) as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    yield make
    for name in made:
        with _pg_admin(url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_admin(url):
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    return engine.connect()


@pytest.fixture
def empty_db_url(new_db_url):
    """A database of its own, empty, of the same kind as the test database."""
    return new_db_url("empty")


@pytest.fixture(scope="session")
def app(db_url, tmp_path_factory):
    # Photos uploaded by tests go to a temporary folder, never the developer's instance/.
    app = create_app(make_config(db_url, EVENT_PHOTO_DIR=str(tmp_path_factory.mktemp("event-photos")),
                                 DISTRICT_FILE_DIR=str(tmp_path_factory.mktemp("district-files"))))
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def empty_all_tables():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _ctx(request, app):
    """Each test starts with empty tables and an app context; a test of a class whose data is built once for all its
    tests (tests/test_permissions.py) starts on that data."""
    with app.app_context():
        if "class_data" not in request.fixturenames:
            empty_all_tables()
        yield
        db.session.remove()


class _IsolatedHttp:
    """Runs each request in an empty contextvars context, so it gets its own app context, g and
    database session, as in production; the test's own session then ends its transaction."""

    def __init__(self, app):
        self._client = app.test_client()

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name not in ("get", "post", "open", "put", "delete", "patch", "head"):
            return attr

        def call(*args, **kw):
            resp = contextvars.Context().run(attr, *args, **kw)
            db.session.commit()
            return resp

        return call


class Client:
    """A test client plus CSRF handling the way a browser page would do it."""

    def __init__(self, app):
        self.http = _IsolatedHttp(app)

    def __getattr__(self, name):
        return getattr(self.http, name)

    def csrf(self, url="/login"):
        page = self.http.get(url)
        if page.status_code in (301, 302):
            page = self.http.get("/settings")
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url}"
        return match.group(1) or match.group(2)

    def post_form(self, url, data=None, token_from="/login", **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(token_from))
        return self.http.post(url, data=data, **kw)

    def htmx(self, url, **kw):
        return self.http.get(url, headers={"HX-Request": "true"}, **kw)

    def login(self, username, password=factories.PASSWORD, remember=False):
        data = {"username": username, "password": password}
        if remember:
            data["remember"] = "y"
        return self.post_form("/login", data)

    def logout(self):
        return self.post_form("/logout", token_from="/settings")


@pytest.fixture
def door_always_open(app):
    """For tests of seats and attendance rather than of the door's hours: the door takes check-ins from a month
    before a session to a year after (the factories' sessions start a week ahead, and registration closes before the
    start; past sessions get their attendance in a test's set-up)."""
    before = app.config["CHECK_IN_OPENS_BEFORE"], app.config["CHECK_IN_CLOSES_AFTER"]
    app.config["CHECK_IN_OPENS_BEFORE"], app.config["CHECK_IN_CLOSES_AFTER"] = timedelta(days=30), timedelta(days=365)
    yield
    app.config["CHECK_IN_OPENS_BEFORE"], app.config["CHECK_IN_CLOSES_AFTER"] = before


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def world():
    return make_world()


def make_world():
    """A school with two classes, a tagged student in each, and one user per role; plus another school. The bureau's
    关工委 above the first, with its administrator and officer; another district's above the second."""
    s = factories.school("滨湖实验小学")
    own, other = factories.school_class(s, 3, "2班"), factories.school_class(s, 4, "1班")
    fam = factories.family(s, "王小明家")
    pupil = factories.student(own, "王小明", family=fam)
    stranger = factories.student(other, "赵小红")
    vol = factories.volunteer(s)
    users = {
        "admin": factories.user(s, "admin", "admin"),
        "coordinator": factories.user(s, "coordinator", "coordinator", mobile="13900000002"),
        "teacher": factories.user(s, "teacher", "teacher", classes=[own]),
        "volunteer": factories.user(s, "volunteer", "volunteer", volunteer_id=vol.id),
        "parent": factories.user(s, "parent", "parent", guardian_id=fam.guardians[0].id),
    }
    for child in (pupil, stranger):
        factories.consent(child, users["coordinator"])
        child.support_tags = [factories.tag(s, "留守"), factories.tag(s, "单亲")]
    db.session.commit()
    far = factories.school("远方学校")
    far_class = factories.school_class(far, 3, "2班")
    far_pupil = factories.student(far_class, "钱小宝")
    far_fam = factories.family(far)
    bureau = factories.unit("滨湖区教育局关工委", schools=[s])
    far_unit = factories.unit("远方区教育局关工委", schools=[far])
    users["unit_admin"] = factories.unit_user(bureau, "unit_admin", "district")
    users["unit_officer"] = factories.unit_user(bureau, "unit_officer", "officer")
    far_officer = factories.unit_user(far_unit, "unit_officer", "far-officer")
    return SimpleNamespace(school=s, own_class=own, other_class=other, family=fam, pupil=pupil, stranger=stranger,
                           volunteer=vol, users=users, far=far, far_class=far_class, far_pupil=far_pupil,
                           far_family=far_fam, unit=bureau, far_unit=far_unit,
                           far_officer=far_officer)


@pytest.fixture
def login_as(app, world):
    def _login(role):
        c = Client(app)
        r = c.login(world.users[role].username)
        assert r.status_code == 302, r.get_data(as_text=True)
        return c

    return _login
