"""A family: finds the sessions for its children's grades, registers in one tap, waits its turn, cancels, adds
the session to its phone's calendar, gives feedback and prints a certificate."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.qr import qr_svg
from portal.extensions import db
from portal.parent_school.models import CourseSession, Feedback
from portal.registrations.services import local_now
from tests import factories
from tests.factories import zh
from tests.helpers import audits, client_for, count, counting, flash_text, follow, form_for, forms, main_text, send
from tests.parent_school.common import PS, check_in, course, door_page, family_with_login, reg_of, register, regs

pytestmark = pytest.mark.usefixtures("door_always_open")


def test_family_sees_sessions_for_its_childrens_grades_only(world, login_as):
    first = course(world, "一年级新生家长课", grades=(1,))
    everyone = course(world, "全校家长安全讲座", grades=())
    third = course(world, "三年级习惯养成", grades=(3,))
    fourth = course(world, "四年级青春期准备", grades=(4,))
    old = course(world, "去年的课", grades=(3,))
    gone = course(world, "停开的课", grades=(3,), active=False)
    far = factories.course(world.far, factories.user(world.far, "coordinator", "far-coord"), title="远方学校的课",
                           grades=(3,))
    sessions = {c.title: factories.course_session(c) for c in (first, everyone, third, fourth, gone, far)}
    factories.course_session(old, starts_at=local_now().replace(hour=9, minute=0, second=0, microsecond=0)
                             - timedelta(days=3))

    c = login_as("parent")
    r = c.get(f"{PS}/")
    assert r.status_code == 200
    text = main_text(r.get_data(as_text=True))
    assert "全校家长安全讲座" in text and "三年级习惯养成" in text
    for title in ("一年级新生家长课", "四年级青春期准备", "去年的课", "停开的课", "远方学校的课"):
        assert title not in text, title
    # Each session offers a one-tap form; the grade-1 session's page does not exist for this family.
    html = r.get_data(as_text=True)
    for title in ("全校家长安全讲座", "三年级习惯养成"):
        form_for(html, f"{PS}/sessions/{sessions[title].id}/register")
    assert c.get(f"{PS}/sessions/{sessions['一年级新生家长课'].id}").status_code == 404
    assert c.get(f"{PS}/sessions/{sessions['远方学校的课'].id}").status_code == 404
    assert c.get(f"{PS}/sessions/{sessions['三年级习惯养成'].id}").status_code == 200


def test_a_family_registers_in_one_tap_and_gets_its_code_and_qr(world, login_as):
    s = factories.course_session(course(world, "三年级习惯养成", grades=(3,)), capacity=30)
    c = login_as("parent")
    page = c.get(f"{PS}/").get_data(as_text=True)
    action = f"{PS}/sessions/{s.id}/register"
    form = form_for(page, action)
    assert (f"s{s.id}-student_id", str(world.pupil.id)) in form["fields"]  # the only child, sent hidden
    assert not form["options"]  # nothing to choose
    r = send(c, page, action)
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}"
    [reg] = regs(s)
    assert (reg.status, reg.family_id, reg.student_id, reg.class_id, reg.registered_by_id) == (
        "confirmed", world.family.id, world.pupil.id, world.own_class.id, world.users["parent"].id)
    assert db.session.get(CourseSession, s.id).taken == 1
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Registered. Show your check-in code at the door.") in flash_text(html)
    text = main_text(html)
    assert zh("Registered") in text and reg.code in text
    # The QR code is drawn in the page (no image to fetch) and leads staff to this family's check-in.
    qr = re.search(r'<div class="qr"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert qr.lstrip().startswith("<svg")
    assert qr_svg(f"http://localhost{PS}/check-in/{s.id}/{reg.code}") in html
    # The list now shows the registration among the family's own.
    mine = c.get(f"{PS}/").get_data(as_text=True).split('id="open-h"')[0]
    assert "三年级习惯养成" in mine and zh("Registered") in main_text(mine)


def test_a_family_registers_and_sees_its_seat_in_few_statements(world, login_as):
    """A registration storm is 300 families doing this at once, and every statement is a round trip to
    PostgreSQL: the family with its children is one, and a family's page loads no seats reserved per class."""
    factories.student(world.other_class, "王小华", family=world.family)
    s = factories.course_session(course(world), capacity=30, quotas={world.own_class.id: 2})
    c = login_as("parent")
    action, child = f"{PS}/sessions/{s.id}/register", {f"s{s.id}__student_id": str(world.pupil.id)}
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    with counting() as posted:
        r = send(c, page, action, **child)
    with counting() as shown:
        html = follow(c, r)
    assert reg_of(s, world.pupil).code in main_text(html)
    assert len(posted) <= 8, posted  # seats reserved for a class: the quotas and the class counts under the lock
    assert len(shown) <= 4, shown


def test_a_family_registering_for_the_first_time_is_not_looked_for_first(world, login_as):
    """A family almost never has a row for the session yet: its row is written straight away, under the lock, and
    the unique constraint catches the rare family that has one. A storm's POST is a statement shorter for it."""
    s = factories.course_session(course(world), capacity=30)
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    with counting() as posted:
        r = send(c, page, f"{PS}/sessions/{s.id}/register")
    assert r.headers["Location"] == f"{PS}/sessions/{s.id}"
    assert reg_of(s, world.pupil).status == "confirmed"
    assert not [q for q in posted if q.startswith("SELECT") and "FROM registration" in q], posted
    assert len(posted) <= 8, posted  # one of them finds the family's other logins, to tell them


def test_registering_twice_keeps_one_registration(world, login_as):
    s = factories.course_session(course(world), capacity=30)
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    first = send(c, page, f"{PS}/sessions/{s.id}/register")
    again = send(c, page, f"{PS}/sessions/{s.id}/register")  # the same page, sent a second time
    assert first.status_code == again.status_code == 302
    assert zh("Your family was already registered; nothing changed.") in flash_text(follow(c, again))
    assert len(regs(s)) == 1 and db.session.get(CourseSession, s.id).taken == 1


def test_a_family_with_two_children_must_choose_one_of_its_own(app, world, login_as):
    sibling = factories.student(world.other_class, "王小华", family=world.family)  # grade 4
    s = factories.course_session(course(world, grades=(3, 4)), capacity=30)
    neighbour, _ = family_with_login(app, world, world.own_class, "李小华")
    far_child = factories.student(world.far_class, "钱小贝", family=world.far_family)
    c = login_as("parent")
    page = c.get(f"{PS}/").get_data(as_text=True)
    action = f"{PS}/sessions/{s.id}/register"
    form = form_for(page, action)
    assert sorted(form["options"][f"s{s.id}-student_id"]) == sorted([str(world.pupil.id), str(sibling.id)])
    for chosen in (str(neighbour.id), str(far_child.id), "0", "abc", None):
        r = send(c, page, action, **{f"s{s.id}__student_id": chosen})
        assert r.status_code == 302
        assert zh("Please choose one of your children.") in flash_text(follow(c, r)), chosen
        assert regs(s) == []
    r = send(c, page, action, **{f"s{s.id}__student_id": str(sibling.id)})
    assert r.headers["Location"] == f"{PS}/sessions/{s.id}"
    [reg] = regs(s)
    assert (reg.family_id, reg.student_id, reg.class_id) == (world.family.id, sibling.id, world.other_class.id)


def test_a_child_outside_the_courses_grades_cannot_be_registered_for_it(world, login_as):
    sibling = factories.student(world.other_class, "王小华", family=world.family).id  # grade 4
    s = factories.course_session(course(world, grades=(3,)), capacity=30)
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    # The form offers only the grade-3 child; a grade-4 child sent anyway is refused.
    assert (f"s{s.id}-student_id", str(world.pupil.id)) in form_for(page, f"{PS}/sessions/{s.id}/register")["fields"]
    r = send(c, page, f"{PS}/sessions/{s.id}/register", **{f"s{s.id}__student_id": str(sibling)})
    assert zh("This course is for the families of %(grades)s.", grades="三年级") in flash_text(follow(c, r))
    assert regs(s) == []


def test_a_full_session_puts_the_family_on_the_waiting_list(app, world, login_as):
    s = factories.course_session(course(world), capacity=1)
    first, _ = family_with_login(app, world, world.own_class, "甲一")
    second, _ = family_with_login(app, world, world.own_class, "甲二")
    register(s, first)
    register(s, second)
    c = login_as("parent")
    page = c.get(f"{PS}/").get_data(as_text=True)
    assert zh("Join the waiting list") in page
    r = send(c, page, f"{PS}/sessions/{s.id}/register")
    assert r.status_code == 302
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("All seats are taken: your family is on the waiting list; its place is shown below.") in flash_text(html)
    assert zh("Waiting list no. %(n)d", n=2) in main_text(html)
    assert reg_of(s, world.pupil).status == "waitlisted"
    assert db.session.get(CourseSession, s.id).taken == 1
    # No code to show while waiting.
    assert reg_of(s, world.pupil).code not in main_text(html)
    listing = c.get(f"{PS}/")
    assert listing.status_code == 200
    assert zh("Waiting list no. %(n)d", n=2) in main_text(listing.get_data(as_text=True))


def test_cancelling_before_the_deadline_gives_the_seat_to_the_first_waiting_family(app, world, login_as):
    s = factories.course_session(course(world), capacity=1)
    c = login_as("parent")
    send(c, c.get(f"{PS}/").get_data(as_text=True), f"{PS}/sessions/{s.id}/register")
    first, first_c = family_with_login(app, world, world.own_class, "甲一")
    second, _ = family_with_login(app, world, world.other_class, "乙二")
    register(s, first)
    register(s, second)
    assert [r.status for r in regs(s)] == ["confirmed", "waitlisted", "waitlisted"]

    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    r = send(c, page, f"{PS}/registrations/{reg_of(s, world.pupil).id}/cancel")
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Your registration is cancelled.") in flash_text(html)
    # The family may register again: the page offers the form once more.
    form_for(html, f"{PS}/sessions/{s.id}/register")
    assert (reg_of(s, world.pupil).status, reg_of(s, first).status, reg_of(s, second).status) == (
        "cancelled", "confirmed", "waitlisted")
    assert db.session.get(CourseSession, s.id).taken == 1
    # The first waiting family reads the news on its session page and its list.
    theirs = first_c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    text = main_text(theirs)
    assert zh("Registered") in text
    assert zh("A seat became free: your family moved up from the waiting list.") in text
    assert reg_of(s, first).code in text
    assert zh("A seat became free: your family moved up from the waiting list.") in main_text(
        first_c.get(f"{PS}/").get_data(as_text=True))


def test_cancelling_after_the_deadline_is_refused(world, login_as):
    now = local_now()
    s = factories.course_session(course(world), capacity=5, deadline=now - timedelta(hours=1))
    reg = register(s, world.pupil, world.users["parent"], now=now - timedelta(days=1))
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert f"{PS}/registrations/{reg.id}/cancel" not in page  # no button after the deadline
    r = c.http.post(f"{PS}/registrations/{reg.id}/cancel", data={"csrf_token": c.csrf(f"{PS}/sessions/{s.id}")})
    assert r.status_code == 302
    assert zh("The deadline has passed; to cancel now, please tell the committee office.") in flash_text(follow(c, r))
    assert reg_of(s, world.pupil).status == "confirmed"
    assert db.session.get(CourseSession, s.id).taken == 1


def test_a_form_sent_after_the_deadline_is_refused(world, login_as):
    """The page was opened while registration was open; the tap comes after it closed."""
    s = factories.course_session(course(world), capacity=5)
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    row = db.session.get(CourseSession, s.id)
    row.deadline = local_now() - timedelta(minutes=1)
    db.session.commit()
    r = send(c, page, f"{PS}/sessions/{s.id}/register")
    assert r.status_code == 302
    assert zh("Registration for this session has closed.") in flash_text(follow(c, r))
    assert regs(s) == []
    html = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert f"{PS}/sessions/{s.id}/register" not in html
    assert zh("Registration closed") in main_text(html)


def _status_form(c, session_id, status):
    page = c.get(f"{PS}/sessions/{session_id}").get_data(as_text=True)
    found = [f for f in forms(page) if f["action"] == f"{PS}/sessions/{session_id}/status"
             and ("status", status) in f["fields"]]
    assert len(found) == 1, f"{len(found)} forms to set {status}"
    return c.http.post(f"{PS}/sessions/{session_id}/status", data=dict(found[0]["fields"]))


def test_the_office_closes_and_reopens_registration(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    staff, c = login_as("coordinator"), login_as("parent")
    r = _status_form(staff, s.id, "closed")
    assert zh("Registration closed.") in flash_text(follow(staff, r))
    assert db.session.get(CourseSession, s.id).status == "closed"
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert f"{PS}/sessions/{s.id}/register" not in page and zh("Registration closed") in main_text(page)
    assert f"{PS}/sessions/{s.id}/register" not in c.get(f"{PS}/").get_data(as_text=True)
    r = _status_form(staff, s.id, "open")
    assert zh("Registration reopened.") in flash_text(follow(staff, r))
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert send(c, page, f"{PS}/sessions/{s.id}/register").status_code == 302
    assert reg_of(s, world.pupil).status == "confirmed"
    # A status the page never offers changes nothing.
    token = staff.csrf(f"{PS}/sessions/{s.id}")
    r = staff.http.post(f"{PS}/sessions/{s.id}/status", data={"status": "deleted", "csrf_token": token})
    assert zh("The form is out of date. Please try again.") in flash_text(follow(staff, r))
    assert db.session.get(CourseSession, s.id).status == "open"


def _cancel_session(c, session_id, reason="主讲老师临时生病，另行通知"):
    page = c.get(f"{PS}/sessions/{session_id}").get_data(as_text=True)
    forms_ = [f for f in forms(page) if f["action"] == f"{PS}/sessions/{session_id}/status"
              and ("status", "cancelled") in f["fields"]]
    assert len(forms_) == 1
    data = dict(forms_[0]["fields"]) | {"reason": reason}
    return c.http.post(f"{PS}/sessions/{session_id}/status", data=data)


def test_a_cancelled_session_tells_every_registered_family_why(world, login_as):
    s = factories.course_session(course(world, "三年级习惯养成"), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    staff = login_as("coordinator")
    # A reason is required.
    r = _cancel_session(staff, s.id, reason="")
    assert zh("Please tell the families why the session is cancelled.") in flash_text(follow(staff, r))
    assert db.session.get(CourseSession, s.id).status == "open"
    r = _cancel_session(staff, s.id)
    assert r.status_code == 302
    assert zh("Session cancelled; every registered family sees it on their page.") in flash_text(follow(staff, r))
    row = db.session.get(CourseSession, s.id)
    assert (row.status, row.cancel_reason) == ("cancelled", "主讲老师临时生病，另行通知")
    assert len(audits("course_session.cancelled")) == 1

    c = login_as("parent")
    for url in (f"{PS}/sessions/{s.id}", f"{PS}/"):
        text = main_text(c.get(url).get_data(as_text=True))
        assert zh("Session cancelled") in text and "主讲老师临时生病，另行通知" in text, url
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert reg.code not in main_text(page) and '<div class="qr"' not in page
    # Nobody is checked in to it at the door.
    r = send(staff, door_page(staff, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
    assert r.status_code == 200
    assert zh("This session has been cancelled.") in flash_text(r.get_data(as_text=True))
    assert reg_of(s, world.pupil).attended_at is None
    # Once cancelled, the session cannot be reopened.
    open_form = staff.csrf(f"{PS}/sessions/{s.id}")
    r = staff.http.post(f"{PS}/sessions/{s.id}/status", data={"status": "open", "csrf_token": open_form})
    assert zh("This session has been cancelled.") in flash_text(follow(staff, r))
    assert db.session.get(CourseSession, s.id).status == "cancelled"


# --- the calendar file ---------------------------------------------------------------------------

def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ics(body: bytes) -> dict[str, list[str]]:
    """Properties of an iCalendar file, after checking its lines the way RFC 5545 wants them."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "a line ends without CR"
    assert "\r" not in text.replace("\r\n", ""), "a bare CR"
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, f"{len(line.encode())} octets: {line!r}"
    props: dict[str, list[str]] = {}
    for line in re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]:
        name, _, value = line.partition(":")
        props.setdefault(name.split(";")[0], []).append(_unescape(value))
    return props


def test_the_calendar_file_reads_back_in_utc_with_short_crlf_lines(world, login_as):
    title = "家长学校专题讲座：如何与青春期孩子沟通, 倾听; 陪伴成长——从日常对话到情绪管理的十个方法"
    c_ = course(world, title, topic="第一部分：倾听。\n第二部分：表达。")
    starts = (local_now() + timedelta(days=9)).replace(hour=19, minute=30, second=0, microsecond=0)
    s = factories.course_session(c_, starts_at=starts, ends_at=starts + timedelta(hours=1, minutes=15),
                                 place="学校报告厅（东楼三层）")
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert f'href="{PS}/registrations/{reg.id}.ics"' in page
    r = c.get(f"{PS}/registrations/{reg.id}.ics")
    assert r.status_code == 200
    assert r.mimetype == "text/calendar"
    assert "attachment" in r.headers["Content-Disposition"]
    assert any(len(line.encode()) > 60 for line in r.data.decode().split("\r\n")), "nothing long enough to fold"
    props = parse_ics(r.data)
    assert props["BEGIN"][0] == "VCALENDAR" and "VEVENT" in props["BEGIN"] and props["VERSION"] == ["2.0"]
    utc = "%Y%m%dT%H%M%SZ"
    assert props["DTSTART"] == [(starts - timedelta(hours=8)).strftime(utc)]
    assert props["DTEND"] == [(starts + timedelta(hours=1, minutes=15) - timedelta(hours=8)).strftime(utc)]
    [summary] = props["SUMMARY"]
    assert title in summary
    assert props["LOCATION"] == ["学校报告厅（东楼三层）"]
    assert "第一部分：倾听。\n第二部分：表达。" in props["DESCRIPTION"][0]
    assert props["STATUS"] == ["CONFIRMED"]
    assert len(props["UID"]) == 1 and props["UID"][0]
    # After the school cancels, the same download says so.
    seats_row = db.session.get(CourseSession, s.id)
    seats_row.status, seats_row.cancel_reason = "cancelled", "停电"
    db.session.commit()
    assert parse_ics(c.get(f"{PS}/registrations/{reg.id}.ics").data)["STATUS"] == ["CANCELLED"]


def test_an_early_morning_session_is_on_the_previous_day_in_utc(world, login_as):
    starts = (local_now() + timedelta(days=5)).replace(hour=7, minute=0, second=0, microsecond=0)
    s = factories.course_session(course(world), starts_at=starts, ends_at=starts + timedelta(hours=1))
    reg = register(s, world.pupil, world.users["parent"])
    props = parse_ics(login_as("parent").get(f"{PS}/registrations/{reg.id}.ics").data)
    assert props["DTSTART"] == [(starts - timedelta(days=1)).strftime("%Y%m%dT230000Z")]


# --- feedback and certificates -------------------------------------------------------------------

def test_feedback_only_after_check_in_and_only_once(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("parent")
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert f"{PS}/registrations/{reg.id}/feedback" not in page
    token = c.csrf(f"{PS}/sessions/{s.id}")
    r = c.http.post(f"{PS}/registrations/{reg.id}/feedback", data={"rating": "5", "csrf_token": token})
    assert zh("Feedback is for families who attended the session.") in flash_text(follow(c, r))
    assert count(Feedback) == 0

    check_in(reg, world)
    page = c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    action = f"{PS}/registrations/{reg.id}/feedback"
    for bad in ("0", "6", "x", "-1", None):
        r = send(c, page, action, rating=bad, comment="很好")
        assert r.status_code == 302
        assert zh("Please choose from 1 to 5 stars.") in flash_text(follow(c, r)), bad
        assert count(Feedback) == 0
    r = send(c, page, action, rating="4", comment="讲得\x00很好")
    assert zh("Contains characters that are not allowed.") in flash_text(follow(c, r))
    assert count(Feedback) == 0
    r = send(c, page, action, rating="4", comment="讲得很实用，希望多办")
    assert r.headers["Location"] == f"{PS}/sessions/{s.id}"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Thank you for your feedback!") in flash_text(html)
    fb = db.session.scalar(select(Feedback))
    assert (fb.registration_id, fb.rating, fb.comment) == (reg.id, 4, "讲得很实用，希望多办")
    assert action not in html and "★★★★ · 讲得很实用，希望多办" in main_text(html)
    # The same form sent again (a second tap, an old tab) changes nothing.
    r = send(c, page, action, rating="1", comment="再评一次")
    assert zh("Your family has already given feedback on this session. Thank you!") in flash_text(follow(c, r))
    assert count(Feedback) == 1 and db.session.scalar(select(Feedback.rating)) == 4
    # The office reads the comment and the rating.
    staff = login_as("coordinator").get(f"{PS}/sessions/{s.id}").get_data(as_text=True)
    assert "讲得很实用，希望多办" in staff and zh("average rating of %(n)d", n=1) in staff


def test_feedback_from_the_list_of_past_sessions(world, login_as):
    start = (local_now() - timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
    s = factories.course_session(course(world, "上周的讲座"), starts_at=start)
    reg = register(s, world.pupil, world.users["parent"], now=start - timedelta(days=3))
    check_in(reg, world)
    c = login_as("parent")
    page = c.get(f"{PS}/").get_data(as_text=True)
    past = page.split('id="past-h"')[1]
    assert "上周的讲座" in past and zh("Attended") in past
    r = send(c, page, f"{PS}/registrations/{reg.id}/feedback", rating="5")
    assert r.status_code == 302
    assert db.session.scalar(select(Feedback.rating)) == 5
    assert f"{PS}/registrations/{reg.id}/feedback" not in c.get(f"{PS}/").get_data(as_text=True)


def test_certificate_after_enough_sessions_attended(app, world, login_as):
    c_ = course(world, "好家长必修课", sessions_required=2)
    s1, s2, s3 = (factories.course_session(c_, starts_in_days=d) for d in (3, 10, 17))
    c = login_as("parent")
    url = f"{PS}/courses/{c_.id}/certificate"
    r = c.get(url)
    assert r.status_code == 302
    assert zh("The course is complete after %(n)d sessions attended.", n=2) in flash_text(follow(c, r))

    check_in(register(s1, world.pupil, world.users["parent"]), world)
    register(s2, world.pupil, world.users["parent"])  # registered, not attended: does not count
    r = c.get(url)
    assert r.status_code == 302
    assert zh("The course is complete after %(n)d sessions attended.", n=2) in flash_text(follow(c, r))
    listing = main_text(c.get(f"{PS}/").get_data(as_text=True))
    assert zh("%(n)d of %(m)d sessions attended", n=1, m=2) in listing
    assert zh("Print the certificate") not in listing

    check_in(register(s3, world.pupil, world.users["parent"]), world)
    listing = c.get(f"{PS}/").get_data(as_text=True)
    assert zh("%(n)d of %(m)d sessions attended", n=2, m=2) in main_text(listing)
    assert f'href="{url}"' in listing
    r = c.get(url)
    assert r.status_code == 200
    body = re.search(r'<p class="cert-body">(.*?)</p>', r.get_data(as_text=True), re.S).group(1)
    assert "王小明" in body and "好家长必修课" in body and "2" in body
    # Another family of the school has no certificate for it.
    other = factories.family(world.school, "李家")
    factories.student(world.own_class, "李小华", family=other)
    factories.user(world.school, "parent", "li-parent", guardian_id=other.guardians[0].id)
    r = client_for(app, _user("li-parent")).get(url)
    assert r.status_code == 302
    # The office prints it for the family that completed, and for no other.
    staff = login_as("coordinator")
    r = staff.get(f"{url}?family={world.family.id}")
    assert r.status_code == 200 and "王小明" in re.search(r'<p class="cert-body">(.*?)</p>',
                                                          r.get_data(as_text=True), re.S).group(1)
    assert staff.get(f"{url}?family={other.id}").status_code == 302
    assert staff.get(f"{url}?family={world.far_family.id}").status_code == 404


def _user(username):
    from portal.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))
