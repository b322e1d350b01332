"""Deactivating a person (停用) ends their access at the next request, and ends what they take part in with a reason.

Before: a deactivated family's parent kept the children's page, logged in afresh and took a confirmed seat; a
deactivated volunteer kept seeing the paired child, logged hours, logged in afresh, and the pair stayed active.
"""
from datetime import timedelta

from portal.events import feed as private_feed
from portal.events import signup
from portal.events.models import Event
from portal.extensions import db
from portal.needs.models import Need
from portal.pairs.models import Pair
from portal.pairs.services import create_pair
from portal.registrations import services as seats
from portal.registrations.models import Registration
from portal.registrations.services import local_now
from tests import factories
from tests.conftest import Client


def _deactivate(c, kind, obj_id):
    r = c.post_form(f"/people/{kind}/{obj_id}/active", {"active": "0"}, token_from="/people/students")
    assert r.status_code == 302
    return c.get(r.headers["Location"]).get_data(as_text=True)


def _pair(world, volunteers, student, name):
    coordinator = world.users["coordinator"]
    cat = factories.category(world.school, name)
    need = factories.need(student, cat, coordinator)
    offers = [factories.offer(v, cat, coordinator) for v in volunteers]
    pair, _ = create_pair(coordinator, [need], offers, local_now().date())
    return pair.id, need.id


def _signed_out(c, path):
    r = c.get(path)
    return r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_a_deactivated_volunteer_loses_access_at_once_and_leaves_pairs_and_events(app, world, login_as):
    other = factories.volunteer(world.school, "李志强", phone="13900001111")
    alone, alone_need = _pair(world, [world.volunteer], world.pupil, "学业辅导")
    shared, _ = _pair(world, [world.volunteer, other], world.stranger, "心理疏导")
    coming = factories.event(world.school, "重阳慰问", day=local_now().date() + timedelta(days=5), helpers_needed=2)
    signup.sign_up(coming, world.volunteer, "helper", world.users["volunteer"])
    feed = private_feed.feed_token(world.users["volunteer"])
    db.session.commit()

    phone = login_as("volunteer")
    assert "王小明" in phone.get(f"/pairs/{alone}").get_data(as_text=True)
    assert Client(app).http.get(f"/calendar/feed/{feed}.ics").status_code == 200

    page = _deactivate(login_as("coordinator"), "volunteer", world.volunteer.id)

    assert _signed_out(phone, f"/pairs/{alone}") and _signed_out(phone, "/hours/new")
    fresh = Client(app)
    assert fresh.login(world.users["volunteer"].username).status_code == 200  # the login form again
    assert _signed_out(fresh, "/")
    assert Client(app).http.get(f"/calendar/feed/{feed}.ics").status_code == 404
    db.session.expire_all()
    assert db.session.get(Pair, alone).status == "ended" and db.session.get(Pair, alone).end_reason == "volunteer"
    assert db.session.get(Need, alone_need).status == "open"  # back on the menu for someone else
    assert db.session.get(Pair, shared).status == "pending"  # goes on, to be confirmed as before
    assert [m.volunteer_id for m in db.session.get(Pair, shared).current_members] == [other.id]
    assert signup.open_places(db.session.get(Event, coming.id), "helper") == 2
    # The office is told: two pairs left (one ended, one going on without them), one event.
    assert "已停用" in page and "退出了 2 个进行中的结对" in page and "撤下了 1 项还未开始的活动" in page


def test_a_deactivated_family_loses_parent_access_and_its_seats_go_to_families_waiting(app, world, login_as):
    course = factories.course(world.school, world.users["coordinator"], grades=(3, 4))
    session = factories.course_session(course, capacity=1)
    mine, _ = seats.register(session, world.pupil, world.users["parent"])
    waiting_family = factories.family(world.school, "候补家")
    waiting_child = factories.student(world.other_class, "候补生", family=waiting_family)
    waiting, _ = seats.register(session, waiting_child, world.users["coordinator"])
    assert (mine.status, waiting.status) == ("confirmed", "waitlisted")

    phone = login_as("parent")
    assert "王小明" in phone.get("/my/family").get_data(as_text=True)

    page = _deactivate(login_as("coordinator"), "family", world.family.id)

    assert _signed_out(phone, "/my/family") and _signed_out(phone, f"/parent-school/sessions/{session.id}")
    fresh = Client(app)
    assert fresh.login(world.users["parent"].username).status_code == 200  # the login form again
    assert _signed_out(fresh, "/")
    db.session.expire_all()
    assert db.session.get(Registration, mine.id).status == "cancelled"
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert "取消了 1 个还未开始的报名" in page


def test_a_deactivated_student_s_running_pairs_end_with_the_reason(world, login_as):
    pair, need = _pair(world, [world.volunteer], world.pupil, "学业辅导")
    page = _deactivate(login_as("coordinator"), "student", world.pupil.id)
    assert "1 个进行中的结对已结束" in page
    db.session.expire_all()
    assert db.session.get(Pair, pair).status == "ended"
    assert db.session.get(Need, need).status == "closed"
    assert db.session.get(Need, need).close_reason == "学生档案已停用"
