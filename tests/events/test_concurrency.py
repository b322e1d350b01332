"""Seats and helper places of an event hold when everybody arrives at the same moment (SQLite by default,
PostgreSQL with DATABASE_URL): each call runs in its own thread with its own app context and database session."""
from datetime import time, timedelta

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.events import services as events
from portal.events import signup
from portal.events.models import Event, EventHelper
from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.people.models import Student, Volunteer
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.events.common import at_once, event_for, event_positions, event_regs, fresh_event, helpers_of, many_families
from tests.factories import zh
from tests.parent_school.common import reg_of, session_for

FULL = "All places have been taken. Thank you all the same!"


def _register(event_id, student_id, user_id):
    reg, created = seats.register(db.session.get(Event, event_id), db.session.get(Student, student_id),
                                  db.session.get(User, user_id))
    return reg.family_id, reg.status, created


def _cancel(registration_id, user_id):
    return [p.id for p in seats.cancel(db.session.get(Registration, registration_id), db.session.get(User, user_id))]


def _sign_up(event_id, volunteer_id, user_id, role="helper"):
    """A volunteer taking a place; the refusal's message if there is none."""
    try:
        helper = signup.sign_up(db.session.get(Event, event_id), db.session.get(Volunteer, volunteer_id), role,
                                db.session.get(User, user_id))
        return helper.volunteer_id, helper.status
    except DomainError as err:
        return err.message


def _volunteers(world, n):
    """n volunteers of the school, each with an account of their own."""
    out = []
    for i in range(n):
        v = factories.volunteer(world.school, f"志愿者{i}")
        out.append((v.id, factories.user(world.school, "volunteer", f"helper{i}", volunteer_id=v.id).id))
    return out


def test_60_families_register_for_20_seats_at_once(app, world):
    e = event_for(world, capacity=20)
    kids = many_families(world.own_class, 60, "活动")
    parent_id = world.users["parent"].id

    results = at_once(app, [lambda kid_id=k.id: _register(e.id, kid_id, parent_id) for k in kids])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert all(created for _, _, created in results)
    assert sorted(status for _, status, _ in results) == ["confirmed"] * 20 + ["waitlisted"] * 40
    regs = event_regs(e.id)
    assert len(regs) == 60 and [r.seq for r in regs] == list(range(1, 61))
    # The first 20 arrivals hold the seats; the rest wait 1..40 in their order of arrival.
    assert [r.status for r in regs] == ["confirmed"] * 20 + ["waitlisted"] * 40
    assert event_positions(e.id) == list(range(1, 41))
    assert len({r.code for r in regs}) == 60
    told = {family_id: status for family_id, status, _ in results}
    assert all(told[r.family_id] == r.status for r in regs)
    e = fresh_event(e.id)
    assert (e.taken, e.queue_no, e.state(seats.local_now())) == (20, 60, "full")


def test_seat_holders_cancelling_at_once_seat_as_many_first_waiting_families(app, world):
    e = event_for(world, capacity=10)
    kids = many_families(world.own_class, 20, "退订")
    parent = world.users["parent"]
    for k in kids:
        seats.register(e, k, parent)
    regs = event_regs(e.id)
    holders = [r.id for r in regs if r.status == "confirmed"][:6]
    first_waiting = [r.id for r in regs if r.status == "waitlisted"][:6]

    results = at_once(app, [lambda rid=rid: _cancel(rid, parent.id) for rid in holders])

    assert all(isinstance(r, list) and len(r) == 1 for r in results), results
    assert sorted(r[0] for r in results) == sorted(first_waiting)
    now = {r.id: r.status for r in event_regs(e.id)}
    assert [now[rid] for rid in holders + first_waiting] == ["cancelled"] * 6 + ["confirmed"] * 6
    assert fresh_event(e.id).taken == 10 and event_positions(e.id) == [1, 2, 3, 4]


def test_one_family_from_several_tabs_holds_one_place(app, world):
    e = event_for(world, capacity=3)
    parent_id = world.users["parent"].id

    results = at_once(app, [lambda: _register(e.id, world.pupil.id, parent_id) for _ in range(4)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(created for _, _, created in results) == [False, False, False, True]
    assert {status for _, status, _ in results} == {"confirmed"}
    assert len(event_regs(e.id)) == 1
    assert (fresh_event(e.id).taken, fresh_event(e.id).queue_no) == (1, 1)  # a repeat draws no number


def test_a_family_registering_for_an_event_and_a_session_at_once_gets_both(app, world):
    e = event_for(world, capacity=1)
    s = session_for(world, capacity=1)
    parent_id = world.users["parent"].id

    def session_seat():
        reg, created = seats.register(db.session.get(CourseSession, s.id), db.session.get(Student, world.pupil.id),
                                      db.session.get(User, parent_id))
        return reg.family_id, reg.status, created

    results = at_once(app, [lambda: _register(e.id, world.pupil.id, parent_id), session_seat])

    assert results == [(world.family.id, "confirmed", True)] * 2
    assert [r.status for r in event_regs(e.id)] == ["confirmed"] and reg_of(s, world.pupil).status == "confirmed"
    assert fresh_event(e.id).taken == 1 and db.session.get(CourseSession, s.id).taken == 1


def test_the_office_lowering_the_seats_while_families_register(app, world):
    """Either the office is first (the late families wait) or the families are (the office is told how many hold
    seats); never more families seated than seats."""
    office = world.users["coordinator"]
    day = seats.local_now().date() + timedelta(days=10)
    data = {"title": "亲子阅读", "kind": "讲座", "precision": "time", "day": day, "start": time(14), "end": time(16),
            "for_parents": True, "capacity": 5, "deadline_day": day - timedelta(days=1), "deadline_time": time(20)}
    e = events.save_event(office, None, data)
    kids = many_families(world.own_class, 5, "改座")
    for k in kids[:3]:
        seats.register(e, k, office)

    def lower():
        try:
            events.save_event(db.session.get(User, office.id), db.session.get(Event, e.id), dict(data, capacity=3))
            return "saved"
        except DomainError as err:
            return err.field

    results = at_once(app, [lower] + [lambda kid_id=k.id: _register(e.id, kid_id, office.id)[1] for k in kids[3:]])

    e = fresh_event(e.id)
    regs = event_regs(e.id)
    confirmed = sum(r.status == "confirmed" for r in regs)
    assert e.taken == confirmed <= e.capacity
    if results[0] == "saved":
        assert (e.capacity, e.taken) == (3, 3) and sorted(results[1:]) == ["waitlisted", "waitlisted"]
    else:
        assert results[0] == "capacity" and e.capacity == 5 and "confirmed" in results[1:]


# --- volunteers --------------------------------------------------------------------------------------

def test_12_volunteers_signing_up_at_once_for_3_places(app, world):
    e = event_for(world, helpers=3)
    vols = _volunteers(world, 12)

    results = at_once(app, [lambda v=v, u=u: _sign_up(e.id, v, u) for v, u in vols])

    taken = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if not isinstance(r, tuple)]
    assert len(taken) == 3 and all(status == "confirmed" for _, status in taken)
    assert refused == [zh(FULL)] * 9 and zh(FULL) != FULL  # told in Chinese, not the English message id
    rows = helpers_of(e.id)
    assert len(rows) == 3 and {h.status for h in rows} == {"confirmed"}
    assert {h.volunteer_id for h in rows} == {v for v, _ in taken}
    assert signup.open_places(fresh_event(e.id), "helper") == 0


def test_helpers_and_speakers_at_once_fill_their_own_places(app, world):
    e = event_for(world, helpers=2, speakers=1)
    vols = _volunteers(world, 8)

    results = at_once(app, [lambda i=i, v=v, u=u: _sign_up(e.id, v, u, "helper" if i % 2 else "speaker")
                            for i, (v, u) in enumerate(vols)])

    assert sorted(str(r) for r in results if not isinstance(r, tuple)) == [zh(FULL)] * 5
    rows = helpers_of(e.id, "confirmed")
    assert sorted(h.role for h in rows) == ["helper", "helper", "speaker"]


def test_one_volunteer_from_three_tabs_takes_one_place(app, world):
    e = event_for(world, helpers=3)
    vid, uid = _volunteers(world, 1)[0]

    results = at_once(app, [lambda: _sign_up(e.id, vid, uid) for _ in range(3)])

    # A double tap is answered with the place taken, never with an error.
    assert results == [(vid, "confirmed")] * 3
    assert len(helpers_of(e.id)) == 1


def test_a_volunteer_withdrawing_while_another_takes_the_last_place(app, world):
    e = event_for(world, helpers=1)
    (first, first_user), (second, second_user) = _volunteers(world, 2)
    assert _sign_up(e.id, first, first_user) == (first, "confirmed")
    helper_id = helpers_of(e.id)[0].id

    def withdraw():
        signup.withdraw(db.session.get(EventHelper, helper_id), db.session.get(User, first_user))
        return "withdrawn"

    results = at_once(app, [withdraw, lambda: _sign_up(e.id, second, second_user)])

    assert results[0] == "withdrawn"
    assert results[1] in ((second, "confirmed"), zh(FULL))
    confirmed = helpers_of(e.id, "confirmed")
    assert len(confirmed) <= 1
    assert [h.volunteer_id for h in confirmed] == ([second] if results[1] == (second, "confirmed") else [])
