"""The office plans courses and sessions: forms that say what is wrong beside the field and save nothing."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.parent_school.models import Course, CourseSession, SeatQuota
from portal.registrations.services import local_now
from tests import factories
from tests.factories import zh
from tests.helpers import CJK, audits, chips_error, count, field_error, flash_text, follow, main_text, send
from tests.parent_school.common import PS, course, quota_error, reg_of, register, regs

pytestmark = pytest.mark.usefixtures("door_always_open")


def _changed(data: dict, changes: dict) -> dict:
    """The form data with some fields changed; None leaves a field out, as a browser that never sent it."""
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


def _course_data(**changes) -> dict:
    data = {"title": "新生家长入学适应", "kind": "required", "topic": "帮助孩子适应小学生活", "lecturer_volunteer_id": "0",
            "lecturer_name": "区家庭教育指导中心 刘老师", "grades": ["3"], "mandatory": "y", "sessions_required": "2"}
    return _changed(data, changes)


def test_coordinator_creates_a_mandatory_course(world, login_as):
    c = login_as("coordinator")
    form = c.get(f"{PS}/courses/new").get_data(as_text=True)
    # The grades offered are those the school has classes in.
    assert re.findall(r'name="grades"[^>]*value="(\d+)"', form) == ["3", "4"]
    r = c.post_form(f"{PS}/courses/new", _course_data(), token_from=f"{PS}/courses/new")
    course_ = db.session.scalar(select(Course))
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/courses/{course_.id}"
    assert (course_.title, course_.kind, course_.target_grades, course_.mandatory, course_.sessions_required,
            course_.lecturer_name, course_.lecturer_volunteer_id, course_.created_by_id, course_.school_id) == (
        "新生家长入学适应", "required", "3", True, 2, "区家庭教育指导中心 刘老师", None, world.users["coordinator"].id,
        world.school.id)
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Course “%(title)s” saved.", title="新生家长入学适应") in flash_text(page)
    assert len(audits("course.save")) == 1
    # A volunteer of the school as lecturer; editing keeps one row.
    edit = c.get(f"{PS}/courses/{course_.id}/edit").get_data(as_text=True)
    assert re.search(r'name="grades"[^>]*value="3"[^>]*checked|checked[^>]*name="grades"[^>]*value="3"', edit)
    r = send(c, edit, "", f"{PS}/courses/{course_.id}/edit", lecturer_volunteer_id=str(world.volunteer.id),
             grades=["3", "4"], mandatory=None, title="家长入学适应课")
    assert r.status_code == 302
    db.session.expire_all()
    course_ = db.session.scalar(select(Course))
    assert (course_.title, course_.target_grades, course_.mandatory, course_.lecturer_volunteer_id,
            course_.lecturer, course_.topic) == ("家长入学适应课", "3,4", False, world.volunteer.id, "张建国",
                                                 "帮助孩子适应小学生活")
    assert count(Course) == 1


BAD_COURSES = [
    ("NUL in title", {"title": "家长\x00课"}, "title", "Contains characters that are not allowed."),
    ("10k-char title", {"title": "长" * 10_000}, "title", None),
    ("no title", {"title": "   "}, "title", "Please give the course a title."),
    ("mandatory without grades", {"grades": None}, "grades", "A mandatory course names the grades whose families must "
                                                             "attend."),
    ("no lecturer", {"lecturer_name": ""}, "lecturer_name", "Please choose a volunteer or name the outside expert."),
    ("another school's volunteer", {"lecturer_volunteer_id": "FAR"}, "lecturer_volunteer_id",
     "Please choose a volunteer of this school."),
    ("sessions 0", {"sessions_required": "0"}, "sessions_required", "Please give a whole number from 1 to 50."),
    ("sessions 51", {"sessions_required": "51"}, "sessions_required", "Please give a whole number from 1 to 50."),
    ("sessions as words", {"sessions_required": "两"}, "sessions_required", None),
    ("a grade without classes", {"grades": ["1"]}, "grades", None),
    ("a grade as words", {"grades": ["三"]}, "grades", None),
    ("unknown kind", {"kind": "party"}, "kind", None),
    ("NUL in topic", {"topic": "内容\x00"}, "topic", "Contains characters that are not allowed."),
    ("long expert name", {"lecturer_name": "名" * 61}, "lecturer_name", None),
]


@pytest.mark.parametrize(("label", "bad", "field", "message"), BAD_COURSES, ids=[b[0] for b in BAD_COURSES])
def test_a_bad_course_form_says_why_beside_the_field_and_saves_nothing(world, login_as, label, bad, field, message):
    far_volunteer = factories.volunteer(world.far, "钱老师")
    bad = {k: (str(far_volunteer.id) if v == "FAR" else v) for k, v in bad.items()}
    r = login_as("coordinator").post_form(f"{PS}/courses/new", _course_data(**bad), token_from=f"{PS}/courses/new")
    assert r.status_code == 200, f"{label}: {r.status_code}; saved {db.session.scalars(select(Course.title)).all()!r}"
    html = r.get_data(as_text=True)
    shown = chips_error(html, field) if field in ("grades", "kind") else field_error(html, field)
    assert shown, f"{label}: no message beside {field}"
    assert CJK.search(shown), f"{label}: not in Chinese: {shown!r}"
    if message:
        assert shown == zh(message)
    assert count(Course) == 0
    assert audits("course.save") == []


def _session_data(c_, **changes) -> dict:
    day = local_now().date() + timedelta(days=14)
    data = {"title": "第一讲", "day": day.isoformat(), "start": "19:00", "end": "20:30", "place": "学校报告厅",
            "online_url": "", "capacity": "30", "deadline_day": (day - timedelta(days=2)).isoformat(),
            "deadline_time": "20:00"}
    return _changed(data, changes)


@pytest.fixture
def grade3(world):
    """A grade-3 course, and a second grade-3 class beside the world's (whose families may get reserved seats)."""
    return course(world, "三年级家长课", grades=(3,)), factories.school_class(world.school, 3, "5班")


def test_coordinator_adds_a_session_with_reserved_seats(world, login_as, grade3):
    c_, class5 = grade3
    c = login_as("coordinator")
    url = f"{PS}/courses/{c_.id}/sessions/new"
    form = c.get(url).get_data(as_text=True)
    # Seats can be reserved for the classes of the course's grades only.
    assert sorted(re.findall(r'name="quota-(\d+)"', form)) == sorted([str(world.own_class.id), str(class5.id)])
    data = _session_data(c_, **{f"quota-{world.own_class.id}": "5", f"quota-{class5.id}": ""})
    r = c.post_form(url, data, token_from=url)
    s = db.session.scalar(select(CourseSession))
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}"
    day = local_now().date() + timedelta(days=14)
    assert (s.course_id, s.title, s.starts_at, s.ends_at, s.deadline, s.capacity, s.place, s.status, s.taken) == (
        c_.id, "第一讲", datetime.combine(day, datetime.min.time()).replace(hour=19),
        datetime.combine(day, datetime.min.time()).replace(hour=20, minute=30),
        datetime.combine(day - timedelta(days=2), datetime.min.time()).replace(hour=20), 30, "学校报告厅", "open", 0)
    assert [(q.class_id, q.seats) for q in s.quotas] == [(world.own_class.id, 5)]
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Session saved.") in flash_text(page)
    assert "三年级2班 5" in main_text(page)


BAD_SESSIONS = [
    ("end before start", {"end": "18:00"}, "end", "The session must end after it starts."),
    ("end at the start", {"end": "19:00"}, "end", "The session must end after it starts."),
    ("deadline after start", {"deadline_day": "DAY", "deadline_time": "19:30"}, "deadline_day",
     "Registration must close before the session starts."),
    ("capacity 0", {"capacity": "0"}, "capacity", "Please give a whole number from 1 to 5000."),
    ("capacity 5001", {"capacity": "5001"}, "capacity", "Please give a whole number from 1 to 5000."),
    ("capacity as words", {"capacity": "三十"}, "capacity", None),
    ("no date", {"day": ""}, "day", "Please give the date, e.g. 2026-03-05."),
    ("impossible date", {"day": "2026-02-30"}, "day", None),
    ("impossible time", {"start": "25:00"}, "start", None),
    ("NUL in place", {"place": "报告厅\x00"}, "place", "Contains characters that are not allowed."),
    ("10k-char title", {"title": "长" * 10_000}, "title", None),
    ("not a link", {"online_url": "javascript:alert(1)"}, "online_url",
     "Please give a link starting with http:// or https://."),
    ("quotas above capacity", {"capacity": "5", "quota-OWN": "3", "quota-FIVE": "3"}, "quotas",
     ("%(n)d seats are reserved for classes, more than the %(cap)d seats of the session.", {"n": 6, "cap": 5})),
    ("quota as words", {"quota-OWN": "五"}, "quotas", ("%(klass)s: please give a whole number of seats.",
                                                       {"klass": "三年级2班"})),
    ("negative quota", {"quota-OWN": "-2"}, "quotas", ("%(klass)s: please give a whole number of seats.",
                                                       {"klass": "三年级2班"})),
    ("quota with a fraction", {"quota-FIVE": "2.5"}, "quotas", ("%(klass)s: please give a whole number of seats.",
                                                                {"klass": "三年级5班"})),
    ("quota for a class of another grade", {"quota-GRADE4": "2"}, "quotas",
     "Seats can be reserved only for classes the course is for."),
    ("quota for another school's class", {"quota-FAR": "2"}, "quotas",
     "Please reserve seats only for classes of this school."),
]


@pytest.mark.parametrize(("label", "bad", "field", "message"), BAD_SESSIONS, ids=[b[0] for b in BAD_SESSIONS])
def test_a_bad_session_form_says_why_beside_the_field_and_saves_nothing(world, login_as, grade3, label, bad, field,
                                                                      message):
    c_, class5 = grade3
    names = {"OWN": world.own_class.id, "FIVE": class5.id, "GRADE4": world.other_class.id, "FAR": world.far_class.id}
    day = _session_data(c_)["day"]
    bad = {re.sub(r"OWN|FIVE|GRADE4|FAR", lambda m: str(names[m.group()]), k): (day if v == "DAY" else v)
           for k, v in bad.items()}
    url = f"{PS}/courses/{c_.id}/sessions/new"
    r = login_as("coordinator").post_form(url, _session_data(c_, **bad), token_from=url)
    saved = [(s.id, [(q.class_id, q.seats) for q in s.quotas]) for s in db.session.scalars(select(CourseSession))]
    assert r.status_code == 200, f"{label}: {r.status_code}; saved {saved}"
    html = r.get_data(as_text=True)
    shown = quota_error(html) if field == "quotas" else field_error(html, field)
    assert shown, f"{label}: no message beside {field}"
    assert CJK.search(shown), f"{label}: not in Chinese: {shown!r}"
    if message:
        msgid, kw = message if isinstance(message, tuple) else (message, {})
        assert shown == zh(msgid, **kw)
    assert count(CourseSession) == 0 and count(SeatQuota) == 0
    # What was typed comes back, so it can be corrected.
    for k, v in bad.items():
        if k.startswith("quota-") and re.search(rf'name="{k}"', html):
            assert re.search(rf'name="{k}"[^>]*value="{re.escape(v)}"', html), k


def _edit(c, s, **changes):
    url = f"{PS}/sessions/{s.id}/edit"
    return send(c, c.get(url).get_data(as_text=True), "", url, **changes)


def test_capacity_cannot_go_below_the_seats_taken(app, world, login_as):
    s = factories.course_session(course(world), capacity=5)
    for child in factories.families_with_children(world.own_class, 3, "甲"):
        register(s, child, world.users["coordinator"])
    c = login_as("coordinator")
    r = _edit(c, s, capacity="2")
    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), "capacity") == zh(
        "%(n)d families already hold seats; the capacity cannot be lower.", n=3)
    db.session.expire_all()
    assert db.session.get(CourseSession, s.id).capacity == 5
    assert audits("course_session.save") == []
    # Exactly the seats taken is fine.
    assert _edit(c, s, capacity="3").status_code == 302
    db.session.expire_all()
    assert db.session.get(CourseSession, s.id).capacity == 3


def test_raising_capacity_gives_seats_to_waiting_families_in_order(world, login_as):
    s = factories.course_session(course(world), capacity=1)
    kids = factories.families_with_children(world.own_class, 4, "甲")
    for child in kids:
        register(s, child, world.users["coordinator"])
    assert [r.status for r in regs(s)] == ["confirmed", "waitlisted", "waitlisted", "waitlisted"]
    c = login_as("coordinator")
    edit = c.get(f"{PS}/sessions/{s.id}/edit").get_data(as_text=True)
    assert re.search(r'id="capacity"[^>]*value="1"', edit)
    r = send(c, edit, "", f"{PS}/sessions/{s.id}/edit", capacity="3")
    assert r.status_code == 302
    flash = flash_text(follow(c, r))
    assert zh("Session saved.") in flash
    assert zh("%(n)d families moved from the waiting list to a seat.", n=2) in flash
    assert [reg_of(s, k).status for k in kids] == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert db.session.get(CourseSession, s.id).taken == 3
    # Saving again without a change promotes nobody.
    flash = flash_text(follow(c, _edit(c, s)))
    assert zh("Session saved.") in flash and "递补" not in flash
    assert [reg_of(s, k).status for k in kids] == ["confirmed", "confirmed", "confirmed", "waitlisted"]


def test_editing_a_session_keeps_its_reserved_seats(world, login_as, grade3):
    c_, class5 = grade3
    s = factories.course_session(c_, capacity=10, quotas={world.own_class.id: 4, class5.id: 2})
    c = login_as("coordinator")
    edit = c.get(f"{PS}/sessions/{s.id}/edit").get_data(as_text=True)
    assert re.search(rf'name="quota-{world.own_class.id}"[^>]*value="4"', edit)
    r = send(c, edit, "", f"{PS}/sessions/{s.id}/edit", capacity="12", place="东楼会议室")
    assert r.status_code == 302
    db.session.expire_all()
    row = db.session.get(CourseSession, s.id)
    assert (row.capacity, row.place) == (12, "东楼会议室")
    assert sorted((q.class_id, q.seats) for q in row.quotas) == sorted([(world.own_class.id, 4), (class5.id, 2)])
    # Emptying one releases it.
    r = _edit(c, s, **{f"quota-{class5.id}": ""})
    assert r.status_code == 302
    db.session.expire_all()
    assert [(q.class_id, q.seats) for q in db.session.get(CourseSession, s.id).quotas] == [(world.own_class.id, 4)]
