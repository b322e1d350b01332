"""The parent school as its users meet it: through the test client, with CSRF, as full pages and htmx partials.

A family finds the sessions for its children's grades, registers in one tap, waits its turn, cancels, adds the
session to its phone's calendar, gives feedback and prints a certificate. The office plans courses and sessions,
reads the roster, checks families in at the door, exports attendance and sees which families a mandatory course
has not reached yet. Seat races are tested by the service tests beside this file.
"""
import io
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.parent_school import exports
from portal.parent_school.models import Course, CourseSession, Feedback, SeatQuota
from portal.parent_school.services import set_status
from portal.permissions import visible
from portal.registrations import services as seats
from portal.registrations.models import Registration
from portal.registrations.services import local_now
from tests import factories
from tests.conftest import Client
from tests.factories import zh
from tests.helpers import audits, chips_error, count, counting, field_error

pytestmark = pytest.mark.usefixtures("door_always_open")

CJK = re.compile(r"[\u4e00-\u9fff]")
PS = "/parent-school"


# --- reading pages -------------------------------------------------------------------------------

class _FormParser(HTMLParser):
    """Every <form> of a page with the values a browser would send unchanged (hidden inputs, ticked boxes,
    text as filled in) and the options of its selects."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(), "fields": [],
                          "options": {}, "disabled": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
            self._form["options"][self._select] = []
        elif tag == "option" and self._select:
            self._form["options"][self._select].append(a.get("value"))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._form["fields"].append((self._textarea, ""))
        elif tag == "button" and "disabled" in a:
            self._form["disabled"].append(a)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            name, text = self._form["fields"][-1]
            self._form["fields"][-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms(html) -> list[dict]:
    p = _FormParser()
    p.feed(html)
    return p.forms


def form_for(html, action) -> dict:
    """The one form of the page that posts to `action` (its path, without a query string); a form without an
    action posts to the page itself, `action` is then that page's address and `self` is passed as True."""
    found = [f for f in forms(html) if f["method"] == "post" and f["action"].split("?")[0] == action]
    assert len(found) == 1, f"{len(found)} forms post to {action!r}"
    return found[0]


def send(c, html, action, page=None, **changes):
    """Send the page's form for `action` as the browser would, with `changes` typed in (None leaves a field out).
    For a form that posts back to its own page, `action` is "" and `page` that page's address."""
    form = form_for(html, action)
    data = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return c.http.post(form["action"] or page, data=data)


def flash_text(html) -> str:
    m = re.search(r'<div id="flash"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""


def main_text(html) -> str:
    """What the reader sees in the page's main region, tags removed."""
    m = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    body = re.sub(r"<svg.*?</svg>", "", m.group(1) if m else html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def quota_error(html) -> str:
    m = re.search(r'<small class="field-error" id="quotas-error">(.*?)</small>', html, re.S)
    return m.group(1).strip() if m else ""


def follow(c, r):
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return c.get(r.headers["Location"]).get_data(as_text=True)


def client_for(app, user) -> Client:
    c = Client(app)
    assert c.login(user.username).status_code == 302
    return c


def _stale(c):
    with c.http.session_transaction() as sess:
        sess["auth_at"] = 0


def _sheet(data: bytes, name=None) -> list[list]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[name] if name else wb.active
    return [list(row) for row in ws.iter_rows(values_only=True)]


# --- building the school -------------------------------------------------------------------------

def course(world, title="好家长沟通课", grades=(3, 4), **kw):
    return factories.course(world.school, world.users["coordinator"], title=title, grades=grades, **kw)


def family_with_login(app, world, school_class, name):
    """Another family of the school, with one child in `school_class` and a parent account; (child, client)."""
    fam = factories.family(world.school, f"{name}家")
    child = factories.student(school_class, name, family=fam)
    user = factories.user(world.school, "parent", guardian_id=fam.guardians[0].id)
    return child, client_for(app, user)


def register(session, child, by=None, now=None):
    """A registration made through the service, as if the family had tapped earlier."""
    reg, _ = seats.register(session, child, by or child_parent(child), now=now)
    return reg


def child_parent(child):
    from portal.auth.models import User

    guardian_ids = [g.id for g in child.family.guardians]
    user = db.session.scalar(select(User).where(User.guardian_id.in_(guardian_ids)))
    if user is None:
        user = db.session.scalar(select(User).where(User.role == "coordinator", User.school_id == child.school_id))
    return user


def check_in(reg, world):
    seats.check_in_registration(db.session.get(Registration, reg.id), world.users["coordinator"])


def reg_of(session, child) -> Registration | None:
    db.session.expire_all()
    return db.session.scalar(select(Registration).where(Registration.session_id == session.id,
                                                        Registration.family_id == child.family_id))


def regs(session) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(Registration.session_id == session.id)
                              .order_by(Registration.seq)).all()


# =================================================================================================
# A family
# =================================================================================================

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
    assert exports.qr_svg(f"http://localhost{PS}/check-in/{s.id}/{reg.code}") in html
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
    assert len(posted) <= 7, posted


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
    r = send(staff, _door(staff, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
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


# =================================================================================================
# The office: courses and sessions
# =================================================================================================

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


# =================================================================================================
# The office: the roster, cancelling, the door
# =================================================================================================

def _names(html, candidates=("甲0", "甲1", "甲2", "甲3", "王小明")) -> list[str]:
    """The children listed in a roster's rows, in its order."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1) if body else "", re.S):
        text = re.sub(r"<[^>]+>", " ", row)
        out += [n for n in candidates if re.search(rf"(?<![\w]){n}(?![\w家])", text)][:1]
    return out


@pytest.fixture
def roster(world):
    """A session of 2 seats: 甲0 registered, 甲1 registered and checked in, 甲2 waiting, 甲3 cancelled."""
    s = factories.course_session(course(world), capacity=2)
    kids = factories.families_with_children(world.own_class, 4, "甲")
    coord = world.users["coordinator"]
    regs_ = [register(s, k, coord) for k in kids]
    seats.cancel(db.session.get(Registration, regs_[3].id), coord, staff=True)
    check_in(regs_[1], world)
    return s, kids, regs_


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["甲0", "甲1"]),
    ("?status=confirmed", ["甲0", "甲1"]),
    ("?status=waitlisted", ["甲2"]),
    ("?status=attended", ["甲1"]),
    ("?status=absent", ["甲0"]),
    ("?status=cancelled", ["甲3"]),
    ("?status=bogus", ["甲0", "甲1"]),
    ("?status=waitlisted&q=甲", ["甲2"]),
    ("?status=confirmed&q=甲1", ["甲1"]),
    ("?status=cancelled&q=GUARDIAN3", ["甲3"]),
    ("?status=confirmed&q=王", []),
])
def test_the_roster_lists_the_families_of_each_state(world, login_as, roster, query, expected):
    s, kids, _regs = roster
    query = query.replace("GUARDIAN3", kids[3].family.guardians[0].name)
    c = login_as("coordinator")
    r = c.get(f"{PS}/sessions/{s.id}{query}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<html" in page and _names(page) == expected
    # The tabs count each list.
    counts = dict(re.findall(r'status=(\w+)[^"]*"[^>]*>[^<]*<span class="nav-count[^"]*">(\d+)</span>', page))
    assert counts == {"confirmed": "2", "waitlisted": "1", "attended": "1", "absent": "1", "cancelled": "1"}
    assert "1 / 2" not in main_text(page) and "2 / 2" in main_text(page)
    # The guardians' phone numbers are there to call.
    assert all(f"tel:{reg.family.guardians[0].mobile}" in page for reg in regs(s)
               if reg.student.name in expected)
    partial = c.htmx(f"{PS}/sessions/{s.id}{query}")
    assert "HX-Request" in partial.headers["Vary"]
    html = partial.get_data(as_text=True)
    assert "<html" not in html and "<main" not in html and zh("Print the sign-in sheet") not in html
    assert _names(html) == expected


def test_staff_cancel_a_registration_and_the_seat_goes_to_the_first_waiting_family(world, login_as, roster):
    s, kids, regs_ = roster
    # Staff may cancel after the deadline, which families may not.
    row = db.session.get(CourseSession, s.id)
    row.deadline = local_now() - timedelta(hours=1)
    db.session.commit()
    c = login_as("coordinator")
    page = c.get(f"{PS}/sessions/{s.id}?status=absent").get_data(as_text=True)
    r = send(c, page, f"{PS}/registrations/{regs_[0].id}/cancel")
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}?status=absent"
    flash = flash_text(follow(c, r))
    assert zh("Registration of %(family)s cancelled.", family="甲0家") in flash
    assert zh("Seat given to %(names)s from the waiting list.", names="甲2家") in flash
    assert [reg_of(s, k).status for k in kids] == ["cancelled", "confirmed", "confirmed", "cancelled"]
    assert db.session.get(CourseSession, s.id).taken == 2
    *_, entry = audits("registration.cancel")  # the fixture's own cancel came first
    assert len(audits("registration.cancel")) == 2
    assert (entry.user_id, entry.object_id) == (world.users["coordinator"].id, regs_[0].id)
    # A family that has checked in is not cancelled.
    token = c.csrf(f"{PS}/sessions/{s.id}")
    r = c.http.post(f"{PS}/registrations/{regs_[1].id}/cancel", data={"csrf_token": token})
    assert zh("This family has already checked in; the registration cannot be cancelled.") in flash_text(follow(c, r))
    assert reg_of(s, kids[1]).status == "confirmed"


def _door(c, s):
    return c.get(f"{PS}/sessions/{s.id}/door").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["CODE", "code", " co de ", "co-de", "ｃｏｄｅ"])
def test_check_in_by_typed_code(world, login_as, typed):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    code = reg.code
    typed = {"CODE": code, "code": code.lower(), " co de ": f" {code[:3].lower()} {code[3:].lower()} ",
             "co-de": f"{code[:3]}-{code[3:]}".lower(),
             "ｃｏｄｅ": "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())}[typed]
    c = login_as("coordinator")
    r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}/door"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(html)
    row = reg_of(s, world.pupil)
    assert row.attended_at is not None and row.checked_in_by_id == world.users["coordinator"].id
    assert zh("%(a)d checked in · %(t)d of %(c)d seats taken · %(w)d waiting", a=1, t=1, c=5, w=0) in html
    # Typed a second time: it says so and keeps the first time.
    first = row.attended_at
    r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
    assert zh("%(family)s had already checked in.", family="王小明家") in flash_text(follow(c, r))
    assert reg_of(s, world.pupil).attended_at == first


def test_a_wrong_code_is_named_beside_the_field(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    other = factories.course_session(course(world, "另一门课"), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    elsewhere = register(other, factories.families_with_children(world.own_class, 1, "甲")[0])
    wrong = next(ch * 6 for ch in "ABCDEFGH" if ch * 6 not in (reg.code, elsewhere.code))
    c = login_as("coordinator")
    for typed, message in ((wrong.lower(), zh("No family of this session has the code %(code)s.", code=wrong)),
                           (elsewhere.code, zh("No family of this session has the code %(code)s.",
                                               code=elsewhere.code)),
                           ("AB3", zh("A check-in code has %(n)d letters and digits.", n=6)),
                           ("", zh("Please type the family's check-in code.")),
                           ("AB\x003CD", zh("Contains characters that are not allowed."))):
        r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
        assert r.status_code == 200, typed
        html = r.get_data(as_text=True)
        assert field_error(html, "code") == message, typed
        form_for(html, f"{PS}/sessions/{s.id}/check-in")  # ready for the next try
    assert [r.attended_at for r in regs(s)] == [None]
    assert reg_of(other, elsewhere.student).attended_at is None


def test_find_a_family_by_name_or_initials_and_check_it_in(app, world, login_as):
    s = factories.course_session(course(world, grades=(3,)), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    wang_hua = factories.student(world.own_class, "王小华", family=factories.family(world.school, "王华家"))
    factories.student(world.other_class, "王小军", family=factories.family(world.school, "王军家"))  # grade 4
    factories.student(world.far_class, "王小远", family=world.far_family)  # another school
    guardian = world.family.guardians[0].name
    c = login_as("coordinator")
    for q, expected in (("王小", ["王小华", "王小明"]), ("wxm", ["王小明"]), ("WX", ["王小华", "王小明"]),
                        (guardian, ["王小明"]), ("赵", [])):
        r = c.get(f"{PS}/sessions/{s.id}/door?q={q}", headers={"HX-Request": "true", "HX-Target": "results"})
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "<html" not in html and 'name="code"' not in html, q
        found = re.findall(r'<h3 class="card-title">([^<]+?) <small>', html)
        assert sorted(found) == expected, q
        if not expected:
            assert zh("No child or guardian matches “%(q)s”.", q=q) in html
    # Without htmx the same search is the whole page.
    page = c.get(f"{PS}/sessions/{s.id}/door?q=wxm").get_data(as_text=True)
    assert "<html" in page and 'name="code"' in page and "王小明" in page
    # The registered family has a check-in button; the other a walk-in one.
    html = c.get(f"{PS}/sessions/{s.id}/door?q=王小", headers={"HX-Request": "true", "HX-Target": "results"}
                 ).get_data(as_text=True)
    form_for(html, f"{PS}/registrations/{reg.id}/check-in")
    walk = form_for(html, f"{PS}/sessions/{s.id}/walk-in")
    assert ("student_id", str(wang_hua.id)) in walk["fields"]
    r = send(c, page, f"{PS}/registrations/{reg.id}/check-in")
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}/door"
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(follow(c, r))
    assert reg_of(s, world.pupil).attended_at is not None
    html = c.get(f"{PS}/sessions/{s.id}/door?q=wxm", headers={"HX-Request": "true", "HX-Target": "results"}
                 ).get_data(as_text=True)
    assert zh("Checked in") in html and f"{PS}/registrations/{reg.id}/check-in" not in html


def test_search_of_an_all_grades_course_finds_every_grade(world, login_as):
    s = factories.course_session(course(world, grades=()), capacity=5)
    factories.student(world.other_class, "王小军", family=factories.family(world.school, "王军家"))  # grade 4
    html = login_as("coordinator").get(f"{PS}/sessions/{s.id}/door?q=王小", headers={
        "HX-Request": "true", "HX-Target": "results"}).get_data(as_text=True)
    assert sorted(re.findall(r'<h3 class="card-title">([^<]+?) <small>', html)) == ["王小军", "王小明"]


def test_the_walk_in_button_adds_the_family_and_checks_it_in(world, login_as):
    """The button under a family found by name, sent as the browser sends it."""
    s = factories.course_session(course(world), capacity=2)
    c = login_as("coordinator")
    page = c.get(f"{PS}/sessions/{s.id}/door?q=王小明").get_data(as_text=True)
    r = send(c, page, f"{PS}/sessions/{s.id}/walk-in")
    assert r.status_code == 302
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(follow(c, r))
    walk = reg_of(s, world.pupil)
    assert walk is not None and (walk.status, walk.walk_in) == ("confirmed", True)


def _walk_in(c, s, student_id):
    return c.post_form(f"{PS}/sessions/{s.id}/walk-in", {"student_id": student_id},
                       token_from=f"{PS}/sessions/{s.id}/door")


def test_a_walk_in_takes_a_free_seat_and_is_refused_when_full(world, login_as):
    s = factories.course_session(course(world), capacity=2)
    a, b = factories.families_with_children(world.own_class, 2, "甲")
    register(s, a, world.users["coordinator"])
    c = login_as("coordinator")
    r = _walk_in(c, s, str(world.pupil.id))
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}/door"
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(follow(c, r))
    walk = reg_of(s, world.pupil)
    assert (walk.status, walk.walk_in, walk.attended_at is not None, walk.registered_by_id) == (
        "confirmed", True, True, world.users["coordinator"].id)
    assert db.session.get(CourseSession, s.id).taken == 2
    roster_page = c.get(f"{PS}/sessions/{s.id}?status=attended").get_data(as_text=True)
    assert _names(roster_page) == ["王小明"] and zh("(walk-in)") in roster_page
    # Full now: the button is greyed out, and a walk-in sent anyway is refused.
    page = c.get(f"{PS}/sessions/{s.id}/door?q={b.name}").get_data(as_text=True)
    assert form_for(page, f"{PS}/sessions/{s.id}/walk-in")["disabled"]
    r = _walk_in(c, s, str(b.id))
    assert zh("No seat is free: all %(n)d seats are taken.", n=2) in flash_text(follow(c, r))
    assert reg_of(s, b) is None and len(regs(s)) == 2
    # A child of another school, or none, is not added.
    for student_id in (str(world.far_pupil.id), "", "abc"):
        r = _walk_in(c, s, student_id)
        assert zh("Please choose the child from the list.") in flash_text(follow(c, r)), student_id
    assert len(regs(s)) == 2 and db.session.get(CourseSession, s.id).taken == 2


def test_undo_a_check_in_keeps_the_seat(world, login_as, roster):
    s, kids, regs_ = roster
    c = login_as("coordinator")
    page = c.get(f"{PS}/sessions/{s.id}?status=attended").get_data(as_text=True)
    r = send(c, page, f"{PS}/registrations/{regs_[1].id}/undo-check-in")
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}?status=attended"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Check-in of %(family)s undone.", family="甲1家") in flash_text(html)
    assert _names(html) == []
    row = reg_of(s, kids[1])
    assert (row.status, row.attended_at, row.checked_in_by_id) == ("confirmed", None, None)
    assert db.session.get(CourseSession, s.id).taken == 2
    assert len(audits("registration.undo_check_in")) == 1
    # And the family can be checked in again.
    r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=row.code)
    assert r.status_code == 302 and reg_of(s, kids[1]).attended_at is not None


def test_the_qr_code_opens_the_family_with_a_confirm_button(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("coordinator")
    r = c.get(f"{PS}/check-in/{s.id}/{reg.code}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    text = main_text(html)
    assert "王小明" in text and "三年级2班" in text and "王小明家" in text and world.family.guardians[0].name in text
    assert zh("Confirm check-in") in text
    assert reg_of(s, world.pupil).attended_at is None  # opening the link checks no one in
    r = send(c, html, f"{PS}/sessions/{s.id}/check-in")
    assert r.status_code == 302
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(follow(c, r))
    assert reg_of(s, world.pupil).attended_at is not None
    again = c.get(f"{PS}/check-in/{s.id}/{reg.code}").get_data(as_text=True)
    assert zh("Checked in") in main_text(again) and zh("Confirm check-in") not in main_text(again)
    # A code of no family of this session.
    html = c.get(f"{PS}/check-in/{s.id}/ZZZZZZ").get_data(as_text=True)
    assert zh("No family of this session has this code.") in main_text(html)
    assert f"{PS}/sessions/{s.id}/check-in" not in html


def test_a_waiting_family_at_the_door_gets_a_free_seat(world, login_as):
    s = factories.course_session(course(world), capacity=1)
    a, = factories.families_with_children(world.own_class, 1, "甲")
    first = register(s, a, world.users["coordinator"])
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("coordinator")
    r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
    assert r.status_code == 200
    assert zh("This family is on the waiting list and there is no free seat.") in flash_text(r.get_data(as_text=True))
    assert reg_of(s, world.pupil).status == "waitlisted"
    seats.cancel(db.session.get(Registration, first.id), world.users["coordinator"], staff=True)
    assert reg_of(s, world.pupil).status == "confirmed"  # promoted when the seat freed
    r = send(c, _door(c, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
    assert r.status_code == 302 and reg_of(s, world.pupil).attended_at is not None


# =================================================================================================
# The office: what it prints and exports
# =================================================================================================

@pytest.mark.parametrize("which", ["attendance", "coverage"])
def test_exports_need_a_freshly_typed_password(world, login_as, which):
    c_ = course(world, mandatory=True)
    s = factories.course_session(c_)
    url = {"attendance": f"{PS}/sessions/{s.id}/attendance.xlsx", "coverage": f"{PS}/courses/{c_.id}/coverage.xlsx"}[which]
    c = login_as("coordinator")
    _stale(c)
    r = c.get(url)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/confirm-password?about=children&next=")
    assert unquote(r.headers["Location"]).split("next=", 1)[1].rstrip("?") == url
    assert audits("course_session.export") == [] and audits("course.coverage_export") == []
    back = r.headers["Location"]
    r = c.post_form(back, {"password": factories.PASSWORD}, token_from=back)
    assert r.status_code == 302 and unquote(r.headers["Location"]).rstrip("?") == url
    r = c.get(r.headers["Location"])
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert len(audits("course_session.export") + audits("course.coverage_export")) == 1


def test_attendance_workbook_lists_registered_and_waiting_families_with_their_check_in(world, login_as, roster):
    s, kids, regs_ = roster
    walk_child, = factories.families_with_children(world.own_class, 1, "丙")
    row = db.session.get(CourseSession, s.id)
    row.capacity = 3
    db.session.commit()
    seats.walk_in(db.session.get(CourseSession, s.id), walk_child, world.users["coordinator"])
    r = login_as("coordinator").get(f"{PS}/sessions/{s.id}/attendance.xlsx")
    assert r.status_code == 200
    assert f"attendance-{s.id}.xlsx" in r.headers["Content-Disposition"]
    assert "家长学校签到表" in unquote(r.headers["Content-Disposition"])
    rows = _sheet(r.data)
    assert rows[0] == [h for h, _w in exports.ATTENDANCE]
    body = {row[2]: row for row in rows[1:]}
    assert sorted(body) == ["丙0", "甲0", "甲1", "甲2"]  # not the family that cancelled
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    assert (body["甲0"][5], body["甲0"][6]) == ("已报名", None)
    assert body["甲2"][5] == "候补"
    assert body["甲1"][5] == "已报名" and isinstance(body["甲1"][6], datetime)
    # Check-in times are Shanghai wall-clock times, as on the door page.
    assert abs(body["甲1"][6] - local_now()) < timedelta(minutes=5)
    assert (body["丙0"][7], body["甲1"][7]) == ("是", None)
    assert body["甲0"][1] == "甲0家" and body["甲0"][3] == "三年级2班"
    assert kids[0].family.guardians[0].name in body["甲0"][4]
    [entry] = audits("course_session.export")
    assert entry.object_id == s.id


def test_the_printable_sign_in_sheet_lists_the_registered_families(world, login_as, roster):
    s, kids, _regs = roster
    r = login_as("coordinator").get(f"{PS}/sessions/{s.id}/sign-in-sheet")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    sheet = re.search(r'<article class="sign-sheet">(.*?)</article>', html, re.S).group(1)
    assert "滨湖实验小学" in sheet and "好家长沟通课" in sheet and "学校报告厅" in sheet
    assert _names(sheet) == ["甲0", "甲1"]  # registered; not the waiting or the cancelled family
    assert kids[0].family.guardians[0].name in sheet
    assert zh("Registered: %(n)d families. Checked in: ____ families.", n=2) in main_text(sheet)
    assert "data-print" in html


@pytest.fixture
def mandatory(world):
    """A mandatory course for grades 3 and 4 that needs two sessions, and the families of three classes:

    三年级2班 (the teacher's): 王小明家 nothing; 甲0 registered only; 甲1 attended twice; 甲2 attended once;
    甲3 cancelled; 甲4 registered for a session the school then cancelled.
    四年级1班: 乙0 attended twice, 乙1 nothing (and 赵小红, who has no family on record).
    三年级5班: 丙0 attended twice. 一年级1班 (not the course's grades): 丁0 nothing.
    """
    coord = world.users["coordinator"]
    c_ = course(world, "新生家长必修课", grades=(3, 4), mandatory=True, sessions_required=2)
    s1, s2, s3 = (factories.course_session(c_, capacity=50, starts_in_days=d) for d in (3, 10, 17))
    class5 = factories.school_class(world.school, 3, "5班")
    class1 = factories.school_class(world.school, 1, "1班")
    jia = factories.families_with_children(world.own_class, 5, "甲")
    yi = factories.families_with_children(world.other_class, 2, "乙")
    bing = factories.families_with_children(class5, 1, "丙")
    factories.families_with_children(class1, 1, "丁")
    register(s1, jia[0], coord)
    for child in (jia[1], yi[0], bing[0]):
        check_in(register(s1, child, coord), world)
        check_in(register(s2, child, coord), world)
    check_in(register(s1, jia[2], coord), world)
    seats.cancel(register(s1, jia[3], coord), coord, staff=True)
    register(s3, jia[4], coord)
    set_status(db.session.get(CourseSession, s3.id), "cancelled", coord, "场地检修")
    return c_


def _coverage_rows(html) -> dict[str, tuple[int, ...]]:
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)/(\d+)</td>'
                      r'\s*<td class="num">(\d+)/(\d+)', html)
    return {label: tuple(int(n) for n in numbers) for label, *numbers in rows}


def _missing(html) -> dict[str, str]:
    """Child → the badge of each family still to reach."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r'<li><strong>([^<]+)</strong>.*?<span class="badge[^"]*">([^<]+)</span></li>', html, re.S)}


def test_coverage_of_a_mandatory_course_counts_each_class(world, login_as, mandatory):
    c = login_as("coordinator")
    html = c.get(f"{PS}/courses/{mandatory.id}/coverage").get_data(as_text=True)
    # families, registered / families, completed / families
    assert _coverage_rows(html) == {"三年级2班": (6, 3, 6, 1, 6), "三年级5班": (1, 1, 1, 1, 1),
                                    "四年级1班": (2, 1, 2, 1, 2)}
    assert _missing(html) == {"王小明": zh("Not registered"), "甲0": zh("Registered, not completed"),
                              "甲2": zh("Registered, not completed"), "甲3": zh("Not registered"),
                              "甲4": zh("Not registered"), "乙1": zh("Not registered")}
    assert "丁0" not in html and "赵小红" not in html
    # The course page shows the same figures.
    course_page = c.get(f"{PS}/courses/{mandatory.id}").get_data(as_text=True)
    assert _coverage_rows(course_page) == _coverage_rows(html)


def test_a_teacher_sees_the_coverage_of_their_own_classes_only(world, login_as, mandatory):
    c = login_as("teacher")
    index = c.get(f"{PS}/").get_data(as_text=True)
    assert f'href="{PS}/courses/{mandatory.id}/coverage"' in index
    html = c.get(f"{PS}/courses/{mandatory.id}/coverage").get_data(as_text=True)
    assert _coverage_rows(html) == {"三年级2班": (6, 3, 6, 1, 6)}
    assert set(_missing(html)) == {"王小明", "甲0", "甲2", "甲3", "甲4"}
    assert "乙1" not in html and "丙0" not in html and "四年级" not in main_text(html)
    # Nor in the workbook.
    r = c.get(f"{PS}/courses/{mandatory.id}/coverage.xlsx")
    assert r.status_code == 200
    assert {row[0] for row in _sheet(r.data)[1:]} == {"三年级2班"}
    assert [row[:4] for row in _sheet(r.data, "各班完成情况")[1:]] == [["三年级2班", 6, 3, 1]]
    # The office's pages stay closed to a teacher.
    assert c.get(f"{PS}/courses/{mandatory.id}").status_code == 403
    assert c.get(f"{PS}/sessions/{mandatory.sessions[0].id}").status_code == 403


def test_coverage_workbook_lists_the_families_still_to_reach_with_their_phones(world, login_as, mandatory):
    r = login_as("coordinator").get(f"{PS}/courses/{mandatory.id}/coverage.xlsx")
    assert r.status_code == 200
    assert f"coverage-{mandatory.id}.xlsx" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["未完成家庭", "各班完成情况"]
    rows = _sheet(r.data)
    assert rows[0] == [h for h, _w in exports.COVERAGE]
    by_child = {row[1]: row for row in rows[1:]}
    assert set(by_child) == {"王小明", "甲0", "甲2", "甲3", "甲4", "乙1"}
    assert by_child["王小明"][0] == "三年级2班" and by_child["王小明"][2] == "王小明家"
    assert by_child["王小明"][4] == world.family.guardians[0].mobile
    assert by_child["王小明"][5] == "未报名" and by_child["甲0"][5] == "已报名，未完成"
    summary = {row[0]: row[1:] for row in _sheet(r.data, "各班完成情况")[1:]}
    assert summary == {"三年级2班": [6, 3, 1, "16%"], "三年级5班": [1, 1, 1, "100%"], "四年级1班": [2, 1, 1, "50%"]}
    [entry] = audits("course.coverage_export")
    assert entry.object_id == mandatory.id


# =================================================================================================
# Who sees what
# =================================================================================================

def test_a_parent_never_reaches_another_familys_registration(app, world, login_as):
    s = factories.course_session(course(world), capacity=5)
    neighbour, neighbour_c = family_with_login(app, world, world.own_class, "李小华")
    theirs = register(s, neighbour)
    mine = register(s, world.pupil, world.users["parent"])
    check_in(theirs, world)
    c = login_as("parent")
    token = c.csrf(f"{PS}/sessions/{s.id}")
    assert c.get(f"{PS}/registrations/{theirs.id}.ics").status_code == 404
    assert c.http.post(f"{PS}/registrations/{theirs.id}/cancel", data={"csrf_token": token}).status_code == 404
    assert c.http.post(f"{PS}/registrations/{theirs.id}/feedback",
                       data={"csrf_token": token, "rating": "1"}).status_code == 404
    assert reg_of(s, neighbour).status == "confirmed" and count(Feedback) == 0
    # The session page shows the parent's own registration only.
    text = main_text(c.get(f"{PS}/sessions/{s.id}").get_data(as_text=True))
    assert mine.code in text and theirs.code not in text and "李小华" not in text
    # The rule itself.
    parent, teacher, volunteer = (world.users[r] for r in ("parent", "teacher", "volunteer"))
    theirs, mine = db.session.get(Registration, theirs.id), db.session.get(Registration, mine.id)
    assert visible(parent, mine) and not visible(parent, theirs)
    assert not visible(teacher, mine) and not visible(volunteer, mine)
    assert visible(world.users["coordinator"], theirs) and visible(world.users["admin"], theirs)
    far_coord = factories.user(world.far, "coordinator", "far-coord")
    assert not visible(far_coord, mine)
    # A parent without a family on record sees no one's.
    lonely = factories.user(world.school, "parent", "lonely-parent")
    assert not visible(lonely, mine)
    assert neighbour_c.get(f"{PS}/registrations/{mine.id}.ics").status_code == 404


def test_a_parent_account_without_a_family_is_told_so(world, app):
    lonely = factories.user(world.school, "parent", "lonely-parent")
    s = factories.course_session(course(world, grades=()), capacity=5)
    c = client_for(app, lonely)
    page = c.get(f"{PS}/").get_data(as_text=True)
    assert zh("Your account is not linked to a family yet. Ask the committee office.") in main_text(page)
    assert c.get(f"{PS}/sessions/{s.id}").status_code == 404
    r = c.post_form(f"{PS}/sessions/{s.id}/register", {}, token_from="/settings")
    assert r.status_code == 404 and regs(s) == []


def test_the_office_list_shows_coming_sessions_of_its_school(world, login_as):
    c_ = course(world, "好家长沟通课")
    coming = factories.course_session(c_, capacity=5)
    start = (local_now() - timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    factories.course_session(course(world, "上周的讲座"), starts_at=start)
    far = factories.course(world.far, factories.user(world.far, "coordinator", "far-coord"), title="远方学校的课")
    factories.course_session(far)
    register(coming, world.pupil, world.users["parent"])
    html = login_as("coordinator").get(f"{PS}/").get_data(as_text=True)
    upcoming = html.split('id="upcoming-h"')[1].split('id="courses-h"')[0]
    assert "好家长沟通课" in upcoming and "1 / 5" in main_text(upcoming)
    assert f'href="{PS}/sessions/{coming.id}/door"' in upcoming
    assert "上周的讲座" not in upcoming and "远方学校的课" not in html


def test_teachers_and_volunteers_cannot_register(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    for role in ("teacher", "volunteer", "coordinator"):
        c = login_as(role)
        r = c.post_form(f"{PS}/sessions/{s.id}/register", {f"s{s.id}-student_id": str(world.pupil.id)},
                        token_from="/settings")
        assert r.status_code == 403, role
    assert regs(s) == []


def test_a_parent_reaches_no_office_page(world, login_as):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("parent")
    for url in (f"{PS}/sessions/{s.id}/door", f"{PS}/sessions/{s.id}/attendance.xlsx",
                f"{PS}/sessions/{s.id}/sign-in-sheet", f"{PS}/check-in/{s.id}/{reg.code}", f"{PS}/courses/new",
                f"{PS}/courses/{s.course_id}", f"{PS}/courses/{s.course_id}/coverage", f"{PS}/sessions/{s.id}/edit"):
        assert c.get(url).status_code == 403, url
    # Their own code cannot check them in.
    r = c.post_form(f"{PS}/sessions/{s.id}/check-in", {"code": reg.code}, token_from="/settings")
    assert r.status_code == 403 and reg_of(s, world.pupil).attended_at is None
