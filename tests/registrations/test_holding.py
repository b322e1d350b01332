"""How a change ends: the seat service's `holding` (lock, the block, commit; rollback on anything else) and `saving`
everywhere else. Each test reads the database afresh afterwards, as the next request would."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core.errors import DomainError, saving
from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories


@pytest.fixture
def session(world):
    return factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)),
                                    capacity=5)


def _stored(session_id):
    db.session.expire_all()
    s = db.session.get(CourseSession, session_id)
    count = db.session.scalar(select(func.count()).select_from(Registration).where(Registration.session_id == s.id))
    return s.taken, s.queue_no, count


def _registration(world, holder, code="ABCDEF"):
    return Registration(school_id=holder.school_id, session_id=holder.id, family_id=world.family.id, code=code,
                        student_id=world.pupil.id, class_id=world.pupil.class_id, status="confirmed", seq=1,
                        registered_by_id=world.users["parent"].id)


def test_a_block_that_ends_normally_commits_the_seat_and_the_drawn_number(world, session):
    with seats.holding(session, arrival=True) as held:
        held.holder.taken += 1
        db.session.add(_registration(world, session))
    assert _stored(session.id) == (1, 1, 1)


def test_an_error_in_the_block_rolls_back_everything_it_did_and_reaches_the_caller(world, session):
    with pytest.raises(DomainError, match="不行"):
        with seats.holding(session, arrival=True) as held:
            held.holder.taken += 1
            db.session.add(_registration(world, session))
            db.session.flush()
            raise DomainError("不行")
    assert _stored(session.id) == (0, 0, 0)


def test_an_unexpected_error_rolls_back_too(world, session):
    with pytest.raises(ZeroDivisionError):
        with seats.holding(session) as held:
            held.holder.taken += 1
            db.session.flush()
            1 / 0  # noqa: B018
    assert _stored(session.id) == (0, 0, 0)


def test_giving_back_keeps_nothing_not_even_the_number_drawn_on_arrival(world, session):
    with seats.holding(session, arrival=True) as held:
        assert held.holder.queue_no == 1  # drawn under the lock
        held.holder.taken += 1
        held.give_back()
    assert _stored(session.id) == (0, 0, 0)


def test_a_constraint_clash_becomes_the_conflict_message_with_nothing_saved(world, session):
    seats.register(session, world.pupil, world.users["parent"])
    with pytest.raises(DomainError, match="已经报过名"):
        with seats.holding(session, arrival=True, conflict="已经报过名") as held:
            held.holder.taken += 1
            db.session.add(_registration(world, session, code="XYZXYZ"))  # a second row for the same family
    assert _stored(session.id) == (1, 1, 1)


def test_a_holder_not_yet_saved_is_saved_without_a_lock(world, session):
    fresh = CourseSession(school_id=session.school_id, course_id=session.course_id, starts_at=session.starts_at,
                          ends_at=session.ends_at, deadline=session.deadline, capacity=3, status="open")
    db.session.add(fresh)
    with seats.holding(fresh):
        pass
    assert _stored(fresh.id) == (0, 0, 0)


def test_saving_without_a_message_lets_the_clash_through_after_the_rollback(world, session):
    seats.register(session, world.pupil, world.users["parent"])
    with pytest.raises(IntegrityError):
        with saving():
            session.title = "改过的标题"
            db.session.add(_registration(world, session, code="XYZXYZ"))
    db.session.expire_all()
    assert db.session.get(CourseSession, session.id).title != "改过的标题"
    assert _stored(session.id) == (1, 1, 1)
