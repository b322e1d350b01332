"""The notice centre (issue 30, first part): a notice is written in the transaction of the change that causes it,
once, and the reader finds it behind the bell, marks it read by opening it, and lands on what it is about."""
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.core.errors import saving
from portal.extensions import db
from portal.hours import ledger
from portal.notices import services as notices
from portal.notices.models import Notice
from portal.people import retention
from portal.registrations import services as seats
from tests import factories
from tests.helpers import client_for, flash_text, follow, main_text, run_at_once


def _notices(user) -> list[Notice]:
    db.session.expire_all()
    return db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)).all()


def _bell(html: str) -> str:
    m = re.search(r'<a [^>]*class="notice-bell[^>]*aria-label="([^"]*)"', html)
    return m.group(1) if m else ""


@pytest.fixture
def full_session(world):
    """A session with one seat: 王小明's family holds it, a second family of the class waits with its own login."""
    coord = world.users["coordinator"]
    session = factories.course_session(factories.course(world.school, coord, grades=(3,)), capacity=1)
    waiting_family = factories.family(world.school, "李家")
    child = factories.student(world.own_class, "李小华", family=waiting_family)
    mother = factories.user(world.school, "parent", "li_mother", guardian_id=waiting_family.guardians[0].id)
    held, _ = seats.register(session, world.pupil, world.users["parent"])
    waits, _ = seats.register(session, child, mother)
    assert (held.status, waits.status) == ("confirmed", "waitlisted")
    return session, held, waits, mother


def test_the_office_cancels_a_seat_and_the_family_waiting_is_told_at_once(app, world, full_session):
    session, held, waits, mother = full_session
    office = world.users["coordinator"]

    seats.cancel(held, office, staff=True)

    (told,) = _notices(mother)
    assert told.kind == "registration.promoted" and told.read_at is None
    assert f"签到码是 {waits.code}" in told.text and session.course.title in told.text
    (cancelled,) = _notices(world.users["parent"])
    assert cancelled.kind == "registration.cancelled" and "关工委办公室取消了" in cancelled.text

    phone = client_for(app, mother)
    home = phone.get("/").get_data(as_text=True)
    assert _bell(home) == "消息，1 条未读"
    page = main_text(phone.get("/notices/").get_data(as_text=True))
    assert "未读" in page and f"签到码是 {waits.code}" in page
    opened = phone.get(f"/notices/{told.id}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/parent-school/sessions/{session.id}"
    assert waits.code in main_text(phone.get(opened.headers["Location"]).get_data(as_text=True))
    assert _bell(phone.get("/").get_data(as_text=True)) == "消息，0 条未读"
    assert _notices(mother)[0].read_at is not None


def test_the_bell_asks_again_and_shows_a_notice_written_after_the_page_was_opened(app, world, full_session):
    session, held, _waits, mother = full_session
    phone = client_for(app, mother)
    home = phone.get("/").get_data(as_text=True)
    assert _bell(home) == "消息，0 条未读" and 'hx-get="/notices/bell" hx-trigger="every 8s"' in home

    seats.cancel(held, world.users["coordinator"], staff=True)
    db.session.commit()

    bell = phone.get("/notices/bell", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _bell(bell) == "消息，1 条未读" and '<span class="nav-count" id="nav-count-notices">1</span>' in bell
    assert "<html" not in bell


def test_a_session_that_ended_sends_the_bell_page_back_to_login_and_then_to_the_page_it_was_on(app):
    bell = app.test_client().get("/notices/bell", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/parent-school/sessions/3?tab=roster"})
    assert bell.status_code == 401
    assert bell.headers["HX-Redirect"] == "/login?next=/parent-school/sessions/3?tab%3Droster"


def test_a_notice_and_its_cause_commit_or_roll_back_together(world, full_session, monkeypatch):
    _session, held, waits, mother = full_session

    def audit_fails(*_args, **_kw):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(seats, "record", audit_fails)  # the last step of the office's cancellation
    with pytest.raises(RuntimeError):
        seats.cancel(held, world.users["coordinator"], staff=True)

    assert _notices(mother) == [] and _notices(world.users["parent"]) == []
    db.session.expire_all()
    assert (db.session.get(type(held), held.id).status, db.session.get(type(waits), waits.id).status) == (
        "confirmed", "waitlisted")


def test_the_same_notice_twice_is_one_even_from_two_servers_at_once(app, world):
    parent = world.users["parent"]
    due = datetime(2026, 12, 7, 18, 0)

    def send():
        reader = db.session.get(type(parent), parent.id)
        notices.notify([reader], "reminder.day_before", "registration:1", lambda: "明天19:00家长学校", due=due)
        db.session.commit()

    errors = run_at_once(app, send)
    notices.notify([parent], "reminder.day_before", "registration:1", lambda: "明天19:00家长学校", due=due)
    db.session.commit()

    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 1


def test_a_volunteer_is_told_when_hours_are_approved_or_sent_back(world):
    office, volunteer = world.users["coordinator"], world.users["volunteer"]
    first = factories.hour_entry(world.volunteer, volunteer, hours="2", day=datetime(2026, 11, 3).date())
    second = factories.hour_entry(world.volunteer, volunteer, hours="1.5", day=datetime(2026, 11, 5).date())

    ledger.review(office, [first.id], "approve")
    ledger.review(office, [second.id], "reject", "日期写错了，应是11月6日")
    ledger.review(office, [first.id], "approve")  # approving again changes nothing, and says nothing

    approved, sent_back = _notices(volunteer)
    assert approved.text == "您11月3日的服务时长已通过审核：2小时。"
    assert sent_back.text.startswith("您11月5日的服务时长（1.5小时）被退回：日期写错了，应是11月6日。")
    assert approved.url == "/hours/" and (approved.kind, sent_back.kind) == ("hours.approved", "hours.rejected")


def test_a_family_is_told_its_help_request_was_answered(app, world, login_as):
    request = factories.help_request(world.pupil, factories.category(world.school), world.users["parent"])
    office = login_as("coordinator")
    page = office.get(f"/help/{request.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    office.post(f"/help/{request.id}", data={"csrf_token": token, "reply": "已安排张老师周三联系您。"})

    (told,) = _notices(world.users["parent"])
    assert told.text == "关工委办公室已答复您为王小明提交的求助。" and told.url == f"/help/{request.id}"


def test_a_reader_opens_only_their_own_notices_and_marks_all_read_in_one_tap(app, world, login_as):
    parent, teacher = world.users["parent"], world.users["teacher"]
    for n in range(3):
        notices.notify([parent], "help.answered", f"help:{n}", lambda n=n: f"第{n}条")
    notices.notify([teacher], "help.answered", "help:9", lambda: "老师的通知")
    db.session.commit()
    theirs = _notices(teacher)[0]
    c = login_as("parent")

    assert c.get(f"/notices/{theirs.id}").status_code == 404
    done = c.post_form("/notices/read", {}, token_from="/notices/")
    assert flash_text(follow(c, done)) == "3 条消息已标为已读。"
    assert all(n.read_at for n in _notices(parent)) and _notices(teacher)[0].read_at is None


def test_notices_are_kept_a_year(world, monkeypatch):
    parent = world.users["parent"]
    now = datetime(2026, 12, 7, 3, 0)
    monkeypatch.setattr(clock, "_wall", lambda: now)
    notices.notify([parent], "help.answered", "help:1", lambda: "去年的消息", due=datetime(2025, 12, 6, 9, 0))
    notices.notify([parent], "help.answered", "help:2", lambda: "上个月的消息", due=datetime(2026, 11, 7, 9, 0))
    db.session.commit()

    assert notices.forget_old() == 1
    assert [n.text for n in _notices(parent)] == ["上个月的消息"]


def test_a_family_anonymised_by_the_retention_run_keeps_no_notices_or_address(world):
    parent = world.users["parent"]
    parent.email = "wang.mama@example.com"
    notices.notify([parent], "help.answered", "help:1", lambda: "关工委办公室已答复您为王小明提交的求助。")
    db.session.commit()

    with saving():
        retention._anonymise_family(None, world.family)

    assert _notices(parent) == [] and parent.email == ""


def test_each_reader_gets_the_notice_in_their_own_language(world, full_session):
    _session, held, waits, mother = full_session
    mother.locale = "en"
    db.session.commit()

    seats.cancel(held, world.users["coordinator"], staff=True)  # the office works in Chinese

    (told,) = _notices(mother)
    assert told.text.startswith("You have a seat now, off the waiting list") and waits.code in told.text
    assert _notices(world.users["parent"])[0].text.startswith("关工委办公室取消了")
