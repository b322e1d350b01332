"""A bounded wait for a seat (issue 27, item 8). A registration waited for the session's row lock without limit,
until gunicorn killed the worker; now it waits LOCK_WAIT_SECONDS, tries once more, then says to try again in a
minute, with nothing saved. Run on SQLite (the database's write lock) and on PostgreSQL (the row lock)."""
import sqlite3
import time

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db
from portal.registrations.models import Registration
from tests import factories
from tests.conftest import Client, make_config
from tests.helpers import follow, send

PS = "/parent-school"


def test_a_family_behind_a_held_seat_is_told_to_try_again_in_a_minute_and_nothing_is_saved(db_url, world):
    course = factories.course(world.school, world.users["coordinator"], grades=(3, 4))
    session = factories.course_session(course, capacity=10)
    quick = create_app(make_config(db_url, LOCK_WAIT_SECONDS=0.3))
    parent = Client(quick)
    assert parent.login(world.users["parent"].username).status_code == 302
    page = parent.get(f"{PS}/sessions/{session.id}").get_data(as_text=True)

    with db.engine.connect() as other:  # another request in the middle of seating a family holds the session
        other.execute(text("UPDATE course_session SET queue_no = queue_no WHERE id = :id"), {"id": session.id})
        started = time.monotonic()
        r = send(parent, page, f"{PS}/sessions/{session.id}/register")
        took = time.monotonic() - started
        other.rollback()

    assert took < 5, f"waited {took:.1f} s"
    assert "人数较多，请稍后再试" in follow(parent, r)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0

    r = send(parent, page, f"{PS}/sessions/{session.id}/register")  # the lock is free again: the seat is taken
    assert db.session.scalar(select(Registration.status)) == "confirmed"


def test_any_write_that_waited_its_time_behind_others_answers_try_again_not_a_crash(db_url):
    """Outside a seat's lock, a write that gave up waiting (SQLite's busy timeout, PostgreSQL's lock_timeout) gets
    the same words, as a 503 page with nothing saved, instead of the 500 page."""
    app = create_app(make_config(db_url, PROPAGATE_EXCEPTIONS=False))

    @app.route("/_busy")
    def _busy():
        raise OperationalError("UPDATE need SET status = ?", {}, sqlite3.OperationalError("database is locked"))

    _busy.policy = "public"
    r = app.test_client().get("/_busy")
    assert r.status_code == 503 and "人数较多，请稍后再试" in r.get_data(as_text=True)
