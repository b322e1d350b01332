"""The home page as each role meets it (issue 9 item 4): a volunteer sees their hours and pairs, a parent their
sessions and course completion, a teacher their students' needs and pairs, the office its reports card.

Each test builds a little data by hand and reads what GET "/" shows, in the Chinese interface.
"""
import re
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest

from portal.core.clock import SHANGHAI, local_today
from portal.core.models import utcnow
from portal.events import calendar, signup
from portal.events import services as events
from portal.extensions import db
from portal.hours.models import RecognitionLevel
from portal.pairs.services import create_pair, end
from portal.parent_school.services import set_status
from portal.people.models import Term
from portal.registrations import services as seats
from tests import factories
from tests.events.common import event_for
from tests.factories import zh
from tests.helpers import client_for, menu_categories

pytestmark = pytest.mark.usefixtures("door_always_open")

TODAY = local_today()
YEAR = TODAY.year


# --- reading the page ----------------------------------------------------------------------------

def home(c) -> str:
    r = c.get("/")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_data(as_text=True)


def section(html, title_id) -> str:
    """The home-page section headed by the heading with this id; "" when the page has none."""
    m = re.search(rf'<section[^>]*aria-labelledby="{title_id}"[^>]*>(.*?)</section>', html, re.S)
    return m.group(1) if m else ""


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def stats(html) -> dict[str, str]:
    """The big numbers of a stat grid, by their label."""
    return {label.strip(): n.strip() for n, label in
            re.findall(r'<strong>([^<]*)</strong>\s*<span>([^<]*)</span>', html)}


def items(html) -> list[str]:
    """The entries of the lists in `html`, as text, in page order."""
    return [text(li) for li in re.findall(r"<li>(.*?)</li>", html, re.S)]


def item_for(html, name) -> str:
    """The one list entry that mentions `name`."""
    found = [i for i in items(html) if name in i]
    assert len(found) == 1, f"{len(found)} entries mention {name!r}: {items(html)}"
    return found[0]


# --- building ------------------------------------------------------------------------------------

def pair(world, volunteer, students, category, day=TODAY):
    """A running pair (pending, as the office makes it) of the volunteer with one need of each student."""
    coord = world.users["coordinator"]
    needs = [factories.need(s, category, coord) for s in students]
    offer = factories.offer(volunteer, category, coord, capacity=len(students))
    return create_pair(coord, needs, [offer], day)[0]


def volunteer_user(world, name):
    v = factories.volunteer(world.school, name)
    return v, factories.user(world.school, "volunteer", volunteer_id=v.id)


def family_child(world, school_class, name):
    fam = factories.family(world.school, f"{name}家")
    return factories.student(school_class, name, family=fam)


# --- volunteer -----------------------------------------------------------------------------------

def test_volunteer_sees_approved_hours_of_year_and_term_and_pending_hours(world, login_as):
    db.session.add(Term(school_id=world.school.id, name="测试学期", starts_on=date(YEAR, 3, 1),
                        ends_on=date(YEAR, 7, 31), is_current=True))
    db.session.commit()
    coord, vol = world.users["coordinator"], world.volunteer
    factories.hour_entry(vol, coord, "2", date(YEAR, 3, 10), "approved")       # this term and year
    factories.hour_entry(vol, coord, "1.5", date(YEAR, 1, 5), "approved")     # this year, before the term
    factories.hour_entry(vol, coord, "4", date(YEAR - 1, 12, 20), "approved")  # last year
    factories.hour_entry(vol, coord, "3", date(YEAR, 3, 11), "pending")       # not approved yet
    factories.hour_entry(vol, coord, "0.5", date(YEAR, 3, 12), "rejected")
    other = factories.volunteer(world.school, "李志愿")
    factories.hour_entry(other, coord, "10", date(YEAR, 3, 10), "approved")
    factories.hour_entry(other, coord, "6", date(YEAR, 3, 10), "pending")

    box = section(home(login_as("volunteer")), "my-hours-title")
    assert zh("My service hours") in box
    assert stats(box) == {zh("hours this year"): "3.5", zh("hours this term"): "2",
                          zh("hours waiting for approval"): "3"}
    # The default levels start at 50 hours: 46.5 to go.
    assert zh("%(h)s more hours this year to reach “%(level)s” (%(need)s hours).",
              h="46.5", level="一星志愿者", need="50") in box
    assert '<progress value="7"' in box


def test_volunteer_progress_follows_the_schools_levels(world, login_as):
    db.session.add_all([RecognitionLevel(school_id=world.school.id, name="铜牌", min_hours=Decimal(5)),
                        RecognitionLevel(school_id=world.school.id, name="银牌", min_hours=Decimal(10))])
    db.session.commit()
    coord = world.users["coordinator"]
    factories.hour_entry(world.volunteer, coord, "6", TODAY, "approved")
    c = login_as("volunteer")
    assert zh("%(h)s more hours this year to reach “%(level)s” (%(need)s hours).", h="4", level="银牌", need="10") \
        in section(home(c), "my-hours-title")
    factories.hour_entry(world.volunteer, coord, "4", TODAY, "approved")
    box = section(home(c), "my-hours-title")
    assert zh("This year you have reached the highest level, “%(level)s”. Thank you!", level="银牌") in box
    assert "<progress" not in box


def test_volunteer_with_no_hours_sees_zeros(world, login_as):
    box = section(home(login_as("volunteer")), "my-hours-title")
    assert stats(box) == {zh("hours this year"): "0", zh("hours this term"): "0",
                          zh("hours waiting for approval"): "0"}


def test_volunteer_sees_their_running_pairs_only(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    mine = pair(world, world.volunteer, [world.pupil], cats.study)
    over = pair(world, world.volunteer, [factories.student(world.own_class, "陈小刚")], cats.mind)
    end(coord, over, "goal", "", False, TODAY)
    other, _ = volunteer_user(world, "李志愿")
    pair(world, other, [world.stranger], cats.study)

    html = home(login_as("volunteer"))
    box = section(html, "my-pairs-title")
    assert box.count('class="pair-home') == 1
    assert world.pupil.name in box and f'/pairs/{mine.id}"' in box
    assert zh("Confirm: the pair has started") in box
    assert "陈小刚" not in html and f"/pairs/{over.id}\"" not in html
    assert world.stranger.name not in html
    assert zh("You have no pair yet. The office will pair you with a student who needs your help.") not in box


def test_volunteer_without_pairs_is_told_so(world, login_as):
    box = section(home(login_as("volunteer")), "my-pairs-title")
    assert zh("You have no pair yet. The office will pair you with a student who needs your help.") in box


def test_events_that_need_the_volunteer(world, login_as):
    coord = world.users["coordinator"]
    wanted = event_for(world, title="重阳节敬老活动", helpers=2)
    speaker = event_for(world, title="英雄故事宣讲", speakers=1, starts_in_days=12)
    joined = event_for(world, title="植树节劳动", helpers=3)
    signup.sign_up(joined, world.volunteer, "helper", coord)
    db.session.commit()
    full = event_for(world, title="清明祭扫", helpers=1)
    other, _ = volunteer_user(world, "李志愿")
    signup.sign_up(full, other, "helper", coord)
    db.session.commit()
    event_for(world, title="上周的读书会", helpers=2, starts_in_days=-3)
    event_for(world, title="已取消的运动会", helpers=2, status="cancelled")
    event_for(world, title="无需志愿者的家长会", capacity=30)
    event_for(world, title="别校的活动", helpers=2, school_id=world.far.id)

    html = home(login_as("volunteer"))
    box = section(html, "wanted-title")
    assert zh("Events that need you") in box
    shown = items(box)
    assert [i.split(" ")[0] for i in shown] == ["重阳节敬老活动", "英雄故事宣讲"]  # soonest first
    assert f'href="/events/{wanted.id}"' in box and f'href="/events/{speaker.id}"' in box
    for title in ("植树节劳动", "清明祭扫", "上周的读书会", "已取消的运动会", "无需志愿者的家长会", "别校的活动"):
        assert title not in box


def test_at_most_five_events_are_listed_soonest_first(world, login_as):
    for day in (9, 3, 7, 5, 11, 4):
        event_for(world, title=f"第{day}天的活动", helpers=1, starts_in_days=day)
    shown = items(section(home(login_as("volunteer")), "wanted-title"))
    assert [i.split(" ")[0] for i in shown] == [f"第{d}天的活动" for d in (3, 4, 5, 7, 9)]


def test_no_events_section_when_nothing_needs_the_volunteer(world, login_as):
    coord = world.users["coordinator"]
    joined = event_for(world, title="植树节劳动", helpers=1)
    signup.sign_up(joined, world.volunteer, "helper", coord)
    db.session.commit()
    html = home(login_as("volunteer"))
    assert section(html, "wanted-title") == "" and zh("Events that need you") not in html


def test_volunteer_account_without_a_volunteer_record_still_gets_home(world, app):
    event_for(world, title="重阳节敬老活动", helpers=2)
    u = factories.user(world.school, "volunteer", "lonely", volunteer_id=None)
    html = home(client_for(app, u))
    assert zh("My pairs") in html
    assert section(html, "my-hours-title") == "" and "重阳节敬老活动" not in html


# --- parent --------------------------------------------------------------------------------------

def _session(world, course, title, days=7, capacity=10):
    return factories.course_session(course, capacity=capacity, starts_in_days=days, title=title)


def test_parent_sees_coming_sessions_with_their_state(world, login_as):
    coord = world.users["coordinator"]
    course = factories.course(world.school, coord, title="好家长沟通课", grades=(3,))
    booked = _session(world, course, "沟通课第一讲", days=5)
    seats.register(booked, world.pupil, coord)
    crowded = _session(world, course, "沟通课第二讲", days=6, capacity=1)
    for name in ("甲同学", "乙同学"):  # one takes the seat, one waits ahead of the family
        seats.register(crowded, family_child(world, world.own_class, name), coord)
    seats.register(crowded, world.pupil, coord)
    dropped = _session(world, course, "沟通课第三讲", days=8)
    reg, _ = seats.register(dropped, world.pupil, coord)
    seats.cancel(reg, coord)
    called_off = _session(world, course, "沟通课第四讲", days=9)
    seats.register(called_off, world.pupil, coord)
    set_status(called_off, "cancelled", coord, "讲师生病")
    _session(world, course, "沟通课第五讲", days=10)  # open, but the family did not register
    past = _session(world, course, "沟通课上月讲", days=-30)
    seats.walk_in(past, world.pupil, coord)

    box = section(home(login_as("parent")), "my-sessions-title")
    coming = box.split(f"<h3>{zh('Courses')}</h3>")[0]
    assert [i.split(" ")[0] for i in items(coming)] == ["沟通课第一讲", "沟通课第二讲", "沟通课第四讲"]
    assert zh("Registered") in item_for(coming, "沟通课第一讲")
    assert zh("Waiting list, number %(n)d", n=2) in item_for(coming, "沟通课第二讲")
    assert zh("Cancelled") in item_for(coming, "沟通课第四讲")
    assert zh("Registered") not in item_for(coming, "沟通课第四讲")
    for gone in ("沟通课第三讲", "沟通课第五讲", "沟通课上月讲"):
        assert gone not in coming
    assert f'href="/parent-school/sessions/{booked.id}"' in coming
    assert zh("No coming session registered yet.") not in box


def test_parent_without_registrations_is_told_so(world, login_as):
    course = factories.course(world.school, world.users["coordinator"], title="好家长沟通课", grades=(3,))
    _session(world, course, "沟通课第一讲")
    box = section(home(login_as("parent")), "my-sessions-title")
    assert zh("No coming session registered yet.") in box and "沟通课第一讲" not in box


def _courses(html) -> str:
    box = section(html, "my-sessions-title")
    head = f"<h3>{zh('Courses')}</h3>"
    return box.split(head, 1)[1] if head in box else ""


def test_mandatory_course_shows_progress_until_completed(world, login_as):
    coord = world.users["coordinator"]
    must = factories.course(world.school, coord, title="三年级家长必修课", grades=(3,), mandatory=True,
                            sessions_required=2)
    factories.course(world.school, coord, title="五年级家长必修课", grades=(5,), mandatory=True, sessions_required=2)
    factories.course(world.school, coord, title="停开的必修课", grades=(3,), mandatory=True, active=False)
    first, second = _session(world, must, "必修第一讲", days=-20), _session(world, must, "必修第二讲", days=-10)
    c = login_as("parent")

    courses = _courses(home(c))
    entry = item_for(courses, "三年级家长必修课")
    assert zh("Mandatory") in entry and zh("%(n)d of %(total)d sessions attended", n=0, total=2) in entry
    assert zh("Completed") not in entry
    assert "五年级家长必修课" not in courses and "停开的必修课" not in courses

    seats.walk_in(first, world.pupil, coord)
    entry = item_for(_courses(home(c)), "三年级家长必修课")
    assert zh("%(n)d of %(total)d sessions attended", n=1, total=2) in entry and zh("Completed") not in entry

    seats.walk_in(second, world.pupil, coord)
    entry = item_for(_courses(home(c)), "三年级家长必修课")
    assert zh("Completed") in entry and "已参加" not in entry


def test_registered_but_not_attended_does_not_count(world, login_as):
    coord = world.users["coordinator"]
    must = factories.course(world.school, coord, title="三年级家长必修课", grades=(3,), mandatory=True,
                            sessions_required=1)
    seats.register(_session(world, must, "必修第一讲", days=3), world.pupil, coord)
    entry = item_for(_courses(home(login_as("parent"))), "三年级家长必修课")
    assert zh("%(n)d of %(total)d sessions attended", n=0, total=1) in entry and zh("Completed") not in entry


def test_elective_course_appears_once_the_family_attended(world, login_as):
    coord = world.users["coordinator"]
    elective = factories.course(world.school, coord, title="亲子阅读选修课", grades=(3,), sessions_required=2)
    held = _session(world, elective, "阅读第一讲", days=-5)
    c = login_as("parent")
    html = home(c)
    assert "亲子阅读选修课" not in _courses(html) and "阅读第一讲" not in html

    seats.walk_in(held, world.pupil, coord)
    entry = item_for(_courses(home(c)), "亲子阅读选修课")
    assert zh("Mandatory") not in entry
    assert zh("%(n)d of %(total)d sessions attended", n=1, total=2) in entry


def test_a_course_the_family_attended_stays_listed_after_it_is_switched_off(world, login_as):
    coord = world.users["coordinator"]
    must = factories.course(world.school, coord, title="三年级家长必修课", grades=(3,), mandatory=True,
                            sessions_required=2)
    seats.walk_in(_session(world, must, "必修第一讲", days=-5), world.pupil, coord)
    must.active = False
    db.session.commit()
    entry = item_for(_courses(home(login_as("parent"))), "三年级家长必修课")
    assert zh("%(n)d of %(total)d sessions attended", n=1, total=2) in entry


def test_other_families_attendance_does_not_count(world, login_as):
    coord = world.users["coordinator"]
    must = factories.course(world.school, coord, title="三年级家长必修课", grades=(3,), mandatory=True)
    held = _session(world, must, "必修第一讲", days=-5)
    seats.walk_in(held, family_child(world, world.own_class, "邻居孩子"), coord)
    elective = factories.course(world.school, coord, title="亲子阅读选修课", grades=(3,))
    seats.walk_in(_session(world, elective, "阅读第一讲", days=-5), family_child(world, world.own_class, "邻居二"),
                  coord)
    courses = _courses(home(login_as("parent")))
    assert zh("%(n)d of %(total)d sessions attended", n=0, total=1) in item_for(courses, "三年级家长必修课")
    assert "亲子阅读选修课" not in courses


def test_parent_account_without_a_family_still_gets_home(world, app):
    course = factories.course(world.school, world.users["coordinator"], title="三年级家长必修课", grades=(3,),
                              mandatory=True)
    _session(world, course, "必修第一讲")
    u = factories.user(world.school, "parent", "nofamily", guardian_id=None)
    html = home(client_for(app, u))
    assert section(html, "my-sessions-title") == "" and "三年级家长必修课" not in html


# --- teacher -------------------------------------------------------------------------------------

def test_teacher_need_counts_cover_their_own_classes_only(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    kids = [factories.student(world.own_class, f"本班{i}") for i in range(4)]
    factories.need(world.pupil, cats.study, coord)
    factories.need(kids[0], cats.mind, coord)
    factories.need(kids[1], cats.study, coord, status="done")
    factories.need(kids[2], cats.study, coord, status="closed")
    pair(world, world.volunteer, [kids[3]], cats.study)  # its need is now 已对接
    factories.need(world.stranger, cats.study, coord)  # another class of the school
    factories.need(factories.student(world.other_class, "外班生"), cats.mind, coord, status="done")
    factories.need(factories.young_teacher(world.school), cats.study, coord)
    factories.need(world.far_pupil, cats.far, coord)

    box = section(home(login_as("teacher")), "my-needs-title")
    assert zh("My students’ needs") in box
    assert stats(box) == {zh("Awaiting match"): "2", zh("Matched"): "1", zh("Completed"): "1"}
    assert 'href="/needs/?status=open"' in box and 'href="/needs/?status=closed"' not in box
    # Only needs still waiting are "waiting longest", however old the others are.
    waiting = box.split(zh("Waiting longest for a match"), 1)[1].split("</ul>", 1)[0]
    assert sorted(i.split(" ")[0] for i in items(waiting)) == sorted([world.pupil.name, "本班0"])


def test_teacher_with_no_needs_sees_zeros(world, login_as):
    cats = menu_categories(world)
    factories.need(world.stranger, cats.study, world.users["coordinator"])
    box = section(home(login_as("teacher")), "my-needs-title")
    assert stats(box) == {zh("Awaiting match"): "0", zh("Matched"): "0", zh("Completed"): "0"}
    assert zh("Waiting longest for a match") not in box


def test_teacher_sees_open_needs_waiting_longest_first_at_most_five(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    now = utcnow().replace(microsecond=0)
    ages = {"学生甲": 3, "学生乙": 40, "学生丙": 12, "学生丁": 25, "学生戊": 1, "学生己": 30, "学生庚": 7}
    for name, days in ages.items():
        factories.need(factories.student(world.own_class, name), cats.study, coord, created_at=now - timedelta(days=days))
    factories.need(factories.student(world.own_class, "早已完成"), cats.study, coord, status="done",
                   created_at=now - timedelta(days=90))
    factories.need(world.stranger, cats.mind, coord, created_at=now - timedelta(days=100))

    box = section(home(login_as("teacher")), "my-needs-title")
    assert zh("Waiting longest for a match") in box
    waiting = box.split(zh("Waiting longest for a match"), 1)[1].split("</ul>", 1)[0]
    assert [i.split(" ")[0] for i in items(waiting)] == ["学生乙", "学生己", "学生丁", "学生丙", "学生庚"]
    oldest = (now - timedelta(days=40)).replace(tzinfo=UTC).astimezone(SHANGHAI)
    assert f"{oldest.year}年{oldest.month}月{oldest.day}日" in items(waiting)[0]
    assert "学生甲" not in box and "学生戊" not in box and "早已完成" not in box
    assert world.stranger.name not in box


def test_teacher_sees_pairs_of_their_students_never_another_class(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    mine = pair(world, world.volunteer, [world.pupil], cats.study)
    classmate = factories.student(world.own_class, "陈小刚")
    second, _ = volunteer_user(world, "王秀英")
    group = pair(world, second, [classmate], cats.mind)
    ended = pair(world, world.volunteer, [factories.student(world.own_class, "周结束")], cats.mind)
    end(coord, ended, "goal", "", False, TODAY)
    outsider, _ = volunteer_user(world, "李志愿")
    theirs = pair(world, outsider, [world.stranger], cats.study)

    html = home(login_as("teacher"))
    box = section(html, "my-needs-title")
    head = re.search(rf"<h2>{zh('My students’ pairs')} <small>(\d+)</small></h2>", box)
    assert head and head.group(1) == "2"
    listed = box.split(head.group(0), 1)[1]
    assert f"{world.pupil.name} · {world.volunteer.name}" in item_for(listed, world.pupil.name)
    assert "陈小刚 · 王秀英" in item_for(listed, "陈小刚")
    assert f'href="/pairs/{mine.id}"' in listed and f'href="/pairs/{group.id}"' in listed
    assert "周结束" not in listed
    # Privacy: nothing of another class's pair reaches the page.
    assert world.stranger.name not in html and "李志愿" not in html and f'href="/pairs/{theirs.id}"' not in html
    assert zh("All %(n)d pairs", n=2) not in html


def test_teacher_sees_five_pairs_and_the_count_of_all(world, login_as):
    cats = menu_categories(world)
    for i in range(6):
        pair(world, world.volunteer, [factories.student(world.own_class, f"结对生{i}")], cats.study,
             day=TODAY - timedelta(days=i))
    pair(world, world.volunteer, [world.stranger], cats.study, day=TODAY - timedelta(days=30))
    box = section(home(login_as("teacher")), "my-needs-title")
    assert f"{zh('My students’ pairs')} <small>6</small>" in box
    listed = box.split("<small>6</small>", 1)[1]
    # Longest without a visit first: the pair started earliest leads, the newest one is left off.
    assert [i.split(" ")[0] for i in items(listed)] == [f"结对生{i}" for i in (5, 4, 3, 2, 1)]
    assert zh("All %(n)d pairs", n=6) in listed and 'href="/pairs/"' in listed
    assert world.stranger.name not in box


def test_teacher_without_pairs_is_told_so(world, login_as):
    box = section(home(login_as("teacher")), "my-needs-title")
    assert f"{zh('My students’ pairs')} <small>0</small>" in box
    assert zh("None of your students is in a pair yet.") in box


def test_only_a_teacher_gets_the_students_section(world, login_as):
    cats = menu_categories(world)
    factories.need(world.pupil, cats.study, world.users["coordinator"])
    for role in ("coordinator", "volunteer", "parent"):
        html = home(login_as(role))
        assert section(html, "my-needs-title") == "" and zh("Waiting longest for a match") not in html, role


# --- office --------------------------------------------------------------------------------------

REPORTS_CARD = re.compile(r"<article>\s*<h2>(?P<title>[^<]*)</h2>(?P<body>(?:(?!</article>).)*)</article>", re.S)


def reports_card(html) -> str:
    cards = [m.group("body") for m in REPORTS_CARD.finditer(html) if m.group("title") == zh("Reports")]
    assert len(cards) <= 1
    return cards[0] if cards else ""


def test_coordinator_home_has_the_reports_card(world, login_as):
    card = reports_card(home(login_as("coordinator")))
    assert 'href="/reports/"' in card and zh("Open the reports") in card


def test_reports_card_is_for_the_office_only(world, login_as):
    assert 'href="/reports/"' in reports_card(home(login_as("admin")))
    for role in ("teacher", "volunteer", "parent"):
        assert reports_card(home(login_as(role))) == "", role


def test_staff_and_parents_get_no_volunteer_sections(world, login_as):
    for role in ("coordinator", "teacher", "parent"):
        html = home(login_as(role))
        assert section(html, "my-hours-title") == "" and section(html, "my-pairs-title") == "", role
    assert section(home(login_as("coordinator")), "my-sessions-title") == ""



def test_a_volunteer_sees_the_events_they_promised_beside_their_pairs(world, login_as):
    office = world.users["coordinator"]
    soon = event_for(world, starts_in_days=3, title="五老进课堂：红色故事", helpers=2, place="三年级2班")
    later = event_for(world, starts_in_days=20, title="重阳节敬老活动", speakers=1)
    gone = event_for(world, starts_in_days=-5, title="上周的社区服务", helpers=2)
    off = event_for(world, starts_in_days=4, title="取消的讲座", helpers=2)
    for e, role in ((soon, "helper"), (later, "speaker"), (off, "helper")):
        signup.sign_up(e, world.volunteer, role, office)
    events.set_status(office, off, "cancelled", "下雨")
    gone_helper = events.EventHelper(school_id=gone.school_id, event_id=gone.id, volunteer_id=world.volunteer.id,
                                     role="helper", added_by_id=office.id)
    db.session.add(gone_helper)
    db.session.commit()

    html = login_as("volunteer").get("/").get_data(as_text=True)

    mine = html.split('id="my-events-title"')[1].split("</section>")[0]
    assert mine.index("五老进课堂：红色故事") < mine.index("重阳节敬老活动")
    assert zh("Helper") in mine and zh("Speaker") in mine and "三年级2班" in mine
    assert calendar.when_text(soon) in mine
    assert "上周的社区服务" not in mine and "取消的讲座" not in mine
    assert html.index('id="my-pairs-title"') < html.index('id="my-events-title"') < html.index('id="my-hours-title"')
