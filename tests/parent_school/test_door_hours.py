"""The door takes check-ins from two hours before a session starts until three hours after it ends: a family's code
shown five days early counts for nothing, and the door page says when it opens."""
from datetime import timedelta

from portal.core import clock
from portal.core.display import cn_when
from portal.registrations import services as seats
from tests import factories
from tests.factories import zh
from tests.helpers import flash_text
from tests.parent_school.common import PS, course, reg_of, register


def _at(monkeypatch, when):
    monkeypatch.setattr(clock, "_wall", lambda: when)


def _door(c, s) -> str:
    return c.get(f"{PS}/sessions/{s.id}/door?q={s.course.title[:1]}").get_data(as_text=True)


def test_a_code_five_days_early_is_refused_and_the_door_says_when_it_opens(world, login_as, monkeypatch):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("coordinator")
    _at(monkeypatch, (s.starts_at - timedelta(days=5)).replace(hour=3, minute=24))

    page = _door(c, s)
    r = c.post_form(f"{PS}/sessions/{s.id}/check-in", {"code": reg.code}, token_from=f"{PS}/sessions/{s.id}/door")

    opens = zh("Check-in opens at %(when)s.", when=cn_when(s.starts_at - timedelta(hours=2)))
    assert opens in page and 'name="code"' not in page
    assert r.status_code == 200 and opens in r.get_data(as_text=True)
    assert reg_of(s, world.pupil).attended_at is None
    scan = c.get(f"{PS}/check-in/{s.id}/{reg.code}").get_data(as_text=True)
    assert opens in scan and zh("Confirm check-in") not in scan


def test_the_door_opens_two_hours_before_the_start(world, login_as, monkeypatch):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    c = login_as("coordinator")
    _at(monkeypatch, s.starts_at - timedelta(hours=2, minutes=1))
    assert seats.check_in_closed(s) is not None
    _at(monkeypatch, s.starts_at - timedelta(hours=1, minutes=59))

    assert 'name="code"' in _door(c, s)
    r = c.post_form(f"{PS}/sessions/{s.id}/check-in", {"code": reg.code}, token_from=f"{PS}/sessions/{s.id}/door")

    assert r.status_code == 302 and reg_of(s, world.pupil).attended_at is not None


def test_the_door_closes_three_hours_after_the_end_for_codes_and_walk_ins(world, login_as, monkeypatch):
    s = factories.course_session(course(world), capacity=5)
    reg = register(s, world.pupil, world.users["parent"])
    late = factories.families_with_children(world.own_class, 1)[0]
    c = login_as("coordinator")
    _at(monkeypatch, s.ends_at + timedelta(hours=3, minutes=1))
    closed = zh("Check-in closed at %(when)s.", when=cn_when(s.ends_at + timedelta(hours=3)))

    assert closed in _door(c, s)
    r = c.post_form(f"{PS}/sessions/{s.id}/check-in", {"code": reg.code}, token_from=f"{PS}/sessions/{s.id}/door")
    assert closed in r.get_data(as_text=True)
    r = c.post_form(f"{PS}/sessions/{s.id}/walk-in", {"student_id": str(late.id)},
                    token_from=f"{PS}/sessions/{s.id}/door")
    assert closed in flash_text(c.get(r.headers["Location"]).get_data(as_text=True))
    assert reg_of(s, world.pupil).attended_at is None and reg_of(s, late) is None
