"""How a change ends: the seat service's `holding` (lock, the block, commit; rollback on anything else) and `saving`
everywhere else. Each test ends the test's own transaction before it reads, so it sees only what was committed."""
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
def holder(world):
    return factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)),
                                    capacity=5)


def _stored(session_id):
    """(taken, queue_no, registrations) as committed: what the test did without committing is dropped first."""
    db.session.rollback()
    s = db.session.get(CourseSession, session_id)
    count = db.session.scalar(select(func.count()).select_from(Registration).where(Registration.session_id == s.id))
    return s.taken, s.queue_no, count


def _registration(world, holder, code="ABCDEF"):
    return Registration(school_id=holder.school_id, session_id=holder.id, family_id=world.family.id, code=code,
                        student_id=world.pupil.id, class_id=world.pupil.class_id, status="confirmed", seq=1,
                        registered_by_id=world.users["parent"].id)


def test_a_block_that_ends_normally_commits_the_seat_and_the_drawn_number(world, holder):
    with seats.holding(holder, arrival=True):
        holder.taken += 1
        db.session.add(_registration(world, holder))
    assert _stored(holder.id) == (1, 1, 1)


def test_an_error_in_the_block_rolls_back_everything_it_did_and_reaches_the_caller(world, holder):
    with pytest.raises(DomainError, match="不行"):
        with seats.holding(holder, arrival=True):
            holder.taken += 1
            db.session.add(_registration(world, holder))
            db.session.flush()
            raise DomainError("不行")
    assert _stored(holder.id) == (0, 0, 0)


def test_an_unexpected_error_rolls_back_too(world, holder):
    with pytest.raises(ZeroDivisionError):
        with seats.holding(holder):
            holder.taken += 1
            db.session.flush()
            1 / 0  # noqa: B018
    assert _stored(holder.id) == (0, 0, 0)


def test_discarding_keeps_nothing_not_even_the_number_drawn_on_arrival(world, holder):
    with seats.holding(holder, arrival=True) as held:
        assert holder.queue_no == 1  # drawn under the lock
        holder.taken += 1
        held.discard()
    assert _stored(holder.id) == (0, 0, 0)


def test_a_constraint_clash_becomes_the_conflict_message_with_nothing_saved(world, holder):
    seats.register(holder, world.pupil, world.users["parent"])
    with pytest.raises(DomainError, match="已经报过名"):
        with seats.holding(holder, arrival=True, conflict="已经报过名"):
            holder.taken += 1
            db.session.add(_registration(world, holder, code="XYZXYZ"))  # a second row for the same family
    assert _stored(holder.id) == (1, 1, 1)


def test_a_holder_not_yet_saved_is_saved_without_a_lock(world, holder):
    fresh = CourseSession(school_id=holder.school_id, course_id=holder.course_id, starts_at=holder.starts_at,
                          ends_at=holder.ends_at, deadline=holder.deadline, capacity=3, status="open")
    db.session.add(fresh)
    with seats.holding(fresh):
        pass
    assert _stored(fresh.id) == (0, 0, 0)


def test_saving_without_a_message_lets_the_clash_through_after_the_rollback(world, holder):
    seats.register(holder, world.pupil, world.users["parent"])
    with pytest.raises(IntegrityError):
        with saving():
            holder.title = "改过的标题"
            db.session.add(_registration(world, holder, code="XYZXYZ"))
    db.session.expire_all()
    assert db.session.get(CourseSession, holder.id).title != "改过的标题"
    assert _stored(holder.id) == (1, 1, 1)
