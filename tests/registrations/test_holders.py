"""One registration table serves parent-school sessions and events: a registration of one kind never reaches the
other kind's pages, and one family may hold both."""
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories


def _event_with_seats(world, seats_n=5):
    start = (seats.local_now() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return factories.event(world.school, title="老少共读", day=start.date(), for_parents=True, capacity=seats_n,
                           deadline=start - timedelta(days=1))


def test_one_family_holds_a_session_seat_and_an_event_seat(world):
    parent = world.users["parent"]
    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)))
    event = _event_with_seats(world)
    on_session, _ = seats.register(session, world.pupil, parent)
    on_event, _ = seats.register(event, world.pupil, parent)
    db.session.expire_all()
    rows = db.session.scalars(select(Registration).where(Registration.family_id == world.family.id)).all()
    assert {(r.session_id, r.event_id, r.status) for r in rows} == {(session.id, None, "confirmed"),
                                                                    (None, event.id, "confirmed")}
    assert (on_session.seq, on_event.seq) == (1, 1)
    assert on_session.holder.id == session.id and on_event.holder.id == event.id


def test_an_event_registration_is_not_found_on_parent_school_pages(world, login_as):
    event = _event_with_seats(world)
    reg, _ = seats.register(event, world.pupil, world.users["parent"])
    parent = login_as("parent")
    for url in (f"/parent-school/registrations/{reg.id}/cancel", f"/parent-school/registrations/{reg.id}/feedback"):
        assert parent.post_form(url, {}, token_from="/events/").status_code == 404, url
    assert parent.get(f"/parent-school/registrations/{reg.id}.ics").status_code == 404
    office = login_as("coordinator")
    assert office.post_form(f"/parent-school/registrations/{reg.id}/cancel", {},
                            token_from="/events/").status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == "confirmed"


def test_a_session_registration_is_not_found_on_event_pages(world, login_as):
    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)))
    reg, _ = seats.register(session, world.pupil, world.users["parent"])
    for role in ("parent", "coordinator"):
        c = login_as(role)
        assert c.post_form(f"/events/registrations/{reg.id}/cancel", {}, token_from="/events/").status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == "confirmed"
