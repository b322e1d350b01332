"""The office reads the roster, cancels sessions, and checks families in at the door."""
import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.registrations import services as seats
from portal.registrations.models import Registration
from portal.registrations.services import local_now
from tests import factories
from tests.factories import zh
from tests.helpers import audits, field_error, flash_text, follow, form_for, main_text, send
from tests.parent_school.common import PS, course, door_page, reg_of, register, regs, roster_names

pytestmark = pytest.mark.usefixtures("door_always_open")


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
    assert "<html" in page and roster_names(page) == expected
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
    assert roster_names(html) == expected


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




@pytest.mark.parametrize("typed", ["CODE", "code", " co de ", "co-de", "ｃｏｄｅ"])
def test_check_in_by_typed_code(world, login_as, typed):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    code = reg.code
    typed = {"CODE": code, "code": code.lower(), " co de ": f" {code[:3].lower()} {code[3:].lower()} ",
             "co-de": f"{code[:3]}-{code[3:]}".lower(),
             "ｃｏｄｅ": "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())}[typed]
    c = login_as("coordinator")
    r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
    assert r.status_code == 302 and r.headers["Location"] == f"{PS}/sessions/{s.id}/door"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Checked in: %(family)s (%(child)s, %(klass)s).", family="王小明家", child="王小明",
              klass="三年级2班") in flash_text(html)
    row = reg_of(s, world.pupil)
    assert row.attended_at is not None and row.checked_in_by_id == world.users["coordinator"].id
    assert zh("%(a)d checked in · %(t)d of %(c)d seats taken · %(w)d waiting", a=1, t=1, c=5, w=0) in html
    # Typed a second time: it says so and keeps the first time.
    first = row.attended_at
    r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
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
        r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=typed)
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
    assert roster_names(roster_page) == ["王小明"] and zh("(walk-in)") in roster_page
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
    assert roster_names(html) == []
    row = reg_of(s, kids[1])
    assert (row.status, row.attended_at, row.checked_in_by_id) == ("confirmed", None, None)
    assert db.session.get(CourseSession, s.id).taken == 2
    assert len(audits("registration.undo_check_in")) == 1
    # And the family can be checked in again.
    r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=row.code)
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
    r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
    assert r.status_code == 200
    assert zh("This family is on the waiting list and there is no free seat.") in flash_text(r.get_data(as_text=True))
    assert reg_of(s, world.pupil).status == "waitlisted"
    seats.cancel(db.session.get(Registration, first.id), world.users["coordinator"], staff=True)
    assert reg_of(s, world.pupil).status == "confirmed"  # promoted when the seat freed
    r = send(c, door_page(c, s), f"{PS}/sessions/{s.id}/check-in", code=reg.code)
    assert r.status_code == 302 and reg_of(s, world.pupil).attended_at is not None
