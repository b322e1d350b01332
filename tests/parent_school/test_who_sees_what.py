"""Who sees what in the parent school."""
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.parent_school.models import Feedback
from portal.permissions import visible
from portal.registrations.models import Registration
from portal.registrations.services import local_now
from tests import factories
from tests.factories import zh
from tests.helpers import client_for, count, main_text
from tests.parent_school.common import PS, check_in, course, family_with_login, reg_of, register, regs

pytestmark = pytest.mark.usefixtures("door_always_open")


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
