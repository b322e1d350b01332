"""The seat rules of the parent-school registration service, as families and the committee office see them:
seats, the waiting list (候补第 N 位), promotion, reserved class seats, deadlines, check-in and walk-ins."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core.errors import DomainError
from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.factories import zh
from tests.helpers import audits, count
from tests.parent_school.common import (
    at_once,
    confirmed_count,
    fresh,
    positions,
    reg_of,
    registrations,
    session_for,
    statuses,
)

pytestmark = pytest.mark.usefixtures("door_always_open")


@pytest.fixture
def parent(world):
    return world.users["parent"]


@pytest.fixture
def office(world):
    return world.users["coordinator"]


def register_all(session, children, by, now=None):
    return [seats.register(session, c, by, now) for c in children]


def message(excinfo):
    return excinfo.value.message


# --- seats and the waiting list ------------------------------------------------------------------

def test_families_take_the_free_seats_and_then_wait_in_order(world, parent):
    s = session_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 4)
    results = register_all(s, kids, parent)

    assert [created for _, created in results] == [True] * 4
    assert statuses(s, kids) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert positions(s.id) == [1, 2]
    assert seats.waiting_position(reg_of(s, kids[3])) == 2
    s = fresh(s.id)
    assert (s.taken, s.free, s.queue_no) == (2, 0, 4)
    assert s.state(seats.local_now()) == "full"
    regs = registrations(s.id)
    assert [r.seq for r in regs] == [1, 2, 3, 4]
    assert all(len(r.code) == seats.CODE_LENGTH and set(r.code) <= set(seats.CODE_ALPHABET) for r in regs)
    assert len({r.code for r in regs}) == 4
    assert {r.registered_by_id for r in regs} == {parent.id}


def test_registering_again_changes_nothing(world, parent):
    s = session_for(world, capacity=1)
    first, second = factories.families_with_children(world.own_class, 2)
    reg, created = seats.register(s, first, parent)
    waiting, _ = seats.register(s, second, parent)
    code, seq = reg.code, reg.seq

    again, created_again = seats.register(s, first, parent)
    still_waiting, created_waiting = seats.register(s, second, parent)

    assert (created, created_again, created_waiting) == (True, False, False)
    assert (again.id, again.code, again.seq, again.status) == (reg.id, code, seq, "confirmed")
    assert (still_waiting.status, seats.waiting_position(still_waiting)) == ("waitlisted", 1)
    assert count(Registration) == 2
    assert (fresh(s.id).taken, fresh(s.id).queue_no) == (1, 2)


def test_a_code_drawn_twice_is_drawn_again(world, parent, monkeypatch):
    s = session_for(world, capacity=3)
    first, second = factories.families_with_children(world.own_class, 2)
    taken = seats.register(s, first, parent)[0].code
    draws = iter([taken, taken, "XYZ234"])  # the first family's code, at the first try and again on the careful way
    monkeypatch.setattr(seats, "_draw", lambda: next(draws))

    reg, created = seats.register(s, second, parent)

    assert (created, reg.code, reg.status) == (True, "XYZ234", "confirmed")
    assert [r.code for r in registrations(s.id)] == [taken, "XYZ234"]
    assert (fresh(s.id).taken, fresh(s.id).queue_no) == (2, 2)


def test_a_family_with_two_children_holds_one_place(world, parent):
    s = session_for(world, capacity=3)
    fam = factories.family(world.school, "李家")
    older = factories.student(world.other_class, "李大宝", family=fam)
    younger = factories.student(world.own_class, "李小宝", family=fam)
    reg, created = seats.register(s, older, parent)
    same, created_again = seats.register(s, younger, parent)
    assert (created, created_again, same.id) == (True, False, reg.id)
    assert reg_of(s, younger).student_id == older.id
    assert count(Registration) == 1 and fresh(s.id).taken == 1


def test_the_database_refuses_a_second_registration_of_a_family_and_an_overbooked_session(world, parent):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, parent)
    db.session.add(Registration(school_id=s.school_id, session_id=s.id, family_id=kid.family_id, student_id=kid.id,
                                class_id=kid.class_id, status="waitlisted", seq=99, code="ZZZZZZ",
                                registered_by_id=parent.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(CourseSession).where(CourseSession.id == s.id).values(taken=3))
        db.session.commit()
    db.session.rollback()
    assert fresh(s.id).taken == 1 and count(Registration) == 1


# --- cancelling and promotion --------------------------------------------------------------------

def test_a_cancelled_seat_goes_to_the_first_waiting_family_at_once(world, parent):
    s = session_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 5)
    register_all(s, kids, parent)

    promoted = seats.cancel(reg_of(s, kids[0]), parent)

    assert [p.family_id for p in promoted] == [kids[2].family_id]
    assert statuses(s, kids) == ["cancelled", "confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert reg_of(s, kids[2]).promoted_at is not None and reg_of(s, kids[0]).cancelled_at is not None
    assert [seats.waiting_position(reg_of(s, k)) for k in kids[3:]] == [1, 2]
    assert fresh(s.id).taken == 2 == confirmed_count(s.id)
    assert audits("registration.cancel") == []  # a family's own cancellation is not an office action


def test_cancelling_a_waiting_place_moves_the_others_up_and_frees_no_seat(world, parent):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 4)
    register_all(s, kids, parent)
    assert seats.cancel(reg_of(s, kids[1]), parent) == []
    assert statuses(s, kids) == ["confirmed", "cancelled", "waitlisted", "waitlisted"]
    assert [seats.waiting_position(reg_of(s, k)) for k in kids[2:]] == [1, 2]
    assert fresh(s.id).taken == 1


def test_cancelling_twice_gives_the_seat_back_once(world, parent):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 3)
    register_all(s, kids, parent)
    reg = reg_of(s, kids[0])
    assert len(seats.cancel(reg, parent)) == 1
    assert seats.cancel(reg, parent) == []
    assert statuses(s, kids) == ["cancelled", "confirmed", "waitlisted"]
    assert fresh(s.id).taken == 1


def test_a_family_that_cancels_and_comes_back_goes_to_the_back_of_the_queue(world, parent):
    s = session_for(world, capacity=1)
    first, second, third = factories.families_with_children(world.own_class, 3)
    register_all(s, [first, second, third], parent)
    reg = reg_of(s, first)
    old_id, old_code = reg.id, reg.code

    seats.cancel(reg, parent)
    again, created = seats.register(s, first, parent)

    assert created and again.id == old_id and again.code == old_code
    assert (again.status, again.cancelled_at, again.promoted_at) == ("waitlisted", None, None)
    assert statuses(s, [first, second, third]) == ["waitlisted", "confirmed", "waitlisted"]
    assert seats.waiting_position(reg_of(s, third)) == 1 and seats.waiting_position(reg_of(s, first)) == 2
    assert again.seq == 4 and count(Registration) == 3


def test_coming_back_to_a_free_seat_takes_it(world, parent):
    s = session_for(world, capacity=3)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, parent)
    seats.cancel(reg, parent)
    assert fresh(s.id).taken == 0
    again, created = seats.register(s, kid, parent)
    assert created and again.status == "confirmed" and fresh(s.id).taken == 1 and count(Registration) == 1


def test_a_stale_copy_in_the_same_request_does_not_count_a_family_twice(app, world, parent):
    """The family's page loaded its cancelled registration; meanwhile another tab registered again. Registering
    from the first tab must read the row under the lock, not the copy it already holds."""
    s = session_for(world, capacity=3)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, parent)
    seats.cancel(reg, parent)
    stale = reg_of(s, kid)
    assert stale.status == "cancelled"
    def other_tab():
        reg, created = seats.register(db.session.get(CourseSession, s.id), db.session.get(type(kid), kid.id),
                                      db.session.get(type(parent), parent.id))
        return reg.status, created

    assert at_once(app, [other_tab], expire=False) == [("confirmed", True)]

    again, created_again = seats.register(db.session.get(CourseSession, s.id), kid, parent)

    assert (created_again, again.status) == (False, "confirmed")
    assert fresh(s.id).taken == 1 == confirmed_count(s.id)


def test_families_may_cancel_only_before_the_deadline(world, parent):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, parent)
    deadline = fresh(s.id).deadline

    with pytest.raises(DomainError) as err:
        seats.cancel(reg_of(s, kids[0]), parent, now=deadline)
    assert message(err) == zh("The deadline has passed; to cancel now, please tell the committee office.")
    assert statuses(s, kids) == ["confirmed", "waitlisted"] and fresh(s.id).taken == 1

    promoted = seats.cancel(reg_of(s, kids[0]), parent, now=deadline - timedelta(minutes=1))
    assert [p.family_id for p in promoted] == [kids[1].family_id]


def test_a_waiting_family_may_leave_the_list_after_the_deadline(world, parent):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 3)
    register_all(s, kids, parent)
    after_deadline = fresh(s.id).deadline + timedelta(minutes=5)

    assert seats.cancel(reg_of(s, kids[1]), parent, now=after_deadline) == []
    assert statuses(s, kids) == ["confirmed", "cancelled", "waitlisted"]
    assert seats.waiting_position(reg_of(s, kids[2])) == 1


def test_the_office_may_cancel_after_the_deadline_and_the_seat_still_goes_to_the_waiting_family(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    after_deadline = fresh(s.id).deadline + timedelta(hours=2)

    promoted = seats.cancel(reg_of(s, kids[0]), office, now=after_deadline, staff=True)

    assert [p.family_id for p in promoted] == [kids[1].family_id]
    assert statuses(s, kids) == ["cancelled", "confirmed"]
    [entry] = audits("registration.cancel")
    assert (entry.user_id, entry.object_id) == (office.id, reg_of(s, kids[0]).id)


def test_once_the_session_has_started_a_freed_seat_is_not_handed_out(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    started = fresh(s.id).starts_at + timedelta(minutes=5)
    assert seats.cancel(reg_of(s, kids[0]), office, now=started, staff=True) == []
    assert statuses(s, kids) == ["cancelled", "waitlisted"] and fresh(s.id).taken == 0


def test_cancelling_in_a_cancelled_session_promotes_nobody(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    fresh(s.id).status = "cancelled"
    db.session.commit()
    assert seats.cancel(reg_of(s, kids[0]), office, staff=True) == []
    assert statuses(s, kids) == ["cancelled", "waitlisted"]


def test_no_cancelling_after_check_in(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    seats.check_in(s, reg_of(s, kids[0]).code, office)
    for staff in (False, True):
        with pytest.raises(DomainError) as err:
            seats.cancel(reg_of(s, kids[0]), office, staff=staff)
        assert message(err) == zh("This family has already checked in; the registration cannot be cancelled.")
    assert statuses(s, kids) == ["confirmed", "waitlisted"] and fresh(s.id).taken == 1


# --- when registration is refused ----------------------------------------------------------------

@pytest.mark.parametrize("case, state, msgid", [
    ("after the deadline", "closed", "Registration for this session has closed."),
    ("closed by the office", "closed", "Registration for this session has closed."),
    ("after it started", "closed", "Registration for this session has closed."),
    ("cancelled", "cancelled", "This session has been cancelled."),
    ("marked held", "done", "This session is over."),
    ("after it ended", "done", "This session is over."),
])
def test_registration_is_refused_when_the_session_is_not_open(world, parent, case, state, msgid):
    s = session_for(world, capacity=5)
    kid = factories.families_with_children(world.own_class, 1)[0]
    now = seats.local_now()
    if case == "after the deadline":
        now = s.deadline
    elif case == "after it started":
        now = s.starts_at
    elif case == "after it ended":
        now = s.ends_at + timedelta(minutes=1)
    elif case in ("closed by the office", "cancelled", "marked held"):
        s.status = {"closed by the office": "closed", "cancelled": "cancelled", "marked held": "done"}[case]
        db.session.commit()
    assert fresh(s.id).state(now) == state

    with pytest.raises(DomainError) as err:
        seats.register(fresh(s.id), kid, parent, now=now)

    assert message(err) == zh(msgid)
    assert count(Registration) == 0
    assert (fresh(s.id).taken, fresh(s.id).queue_no) == (0, 0)


def test_registration_is_open_until_the_deadline(world, parent):
    s = session_for(world, capacity=5)
    kid = factories.families_with_children(world.own_class, 1)[0]
    just_before = s.deadline - timedelta(seconds=1)
    assert s.state(just_before) == "open"
    reg, created = seats.register(s, kid, parent, now=just_before)
    assert created and reg.status == "confirmed"


def test_session_states_as_a_family_reads_them(world):
    s = session_for(world, capacity=1)
    now = seats.local_now()
    assert s.state(now) == "open"
    s.taken = 1
    assert s.state(now) == "full"
    assert s.state(s.deadline - timedelta(seconds=1)) == "full"
    assert s.state(s.deadline) == "closed"
    assert s.state(s.starts_at) == "closed"
    assert s.state(s.ends_at) == "done"
    s.status = "cancelled"
    assert s.state(now) == "cancelled"
    db.session.rollback()


def test_a_child_of_a_grade_the_course_is_not_for_is_refused(world, parent):
    course = factories.course(world.school, world.users["coordinator"], title="初一衔接", grades=(1, 7))
    s = factories.course_session(course, capacity=5)
    with pytest.raises(DomainError) as err:
        seats.register(s, world.pupil, parent)
    assert message(err) == zh("This course is for the families of %(grades)s.", grades="一年级、初一")
    assert err.value.field == "student_id"
    assert count(Registration) == 0 and fresh(s.id).queue_no == 0


@pytest.mark.parametrize("who", ["no family", "left school", "other school"])
def test_only_a_child_of_the_school_with_a_family_may_be_registered(world, parent, who):
    s = session_for(world, capacity=5)
    if who == "no family":
        child = factories.student(world.own_class, "孤儿")
    elif who == "left school":
        child = factories.families_with_children(world.own_class, 1)[0]
        child.active, child.status = False, "left"
        db.session.commit()
    else:
        child = factories.student(world.far_class, "钱小宝", family=world.far_family)
    with pytest.raises(DomainError) as err:
        seats.register(s, child, parent)
    assert message(err) == zh("Please choose one of your children.") and err.value.field == "student_id"
    assert count(Registration) == 0


# --- seats reserved for a class ------------------------------------------------------------------

def test_reserved_seats_wait_for_their_class(world, parent):
    """Class A (三年级2班) has 2 of 4 seats reserved: class B takes only the 2 general seats."""
    s = session_for(world, capacity=4, quotas={world.own_class.id: 2})
    b_kids = factories.families_with_children(world.other_class, 3, "乙")
    register_all(s, b_kids, parent)

    assert statuses(s, b_kids) == ["confirmed", "confirmed", "waitlisted"]
    assert seats.waiting_position(reg_of(s, b_kids[2])) == 1
    assert fresh(s.id).taken == 2  # two seats free, but held for class A

    a_kids = factories.families_with_children(world.own_class, 3, "甲")
    register_all(s, a_kids, parent)

    assert statuses(s, a_kids) == ["confirmed", "confirmed", "waitlisted"]
    assert positions(s.id) == [1, 2]
    assert [r.family_id for r in registrations(s.id) if r.status == "waitlisted"] == \
        [b_kids[2].family_id, a_kids[2].family_id]
    assert fresh(s.id).taken == 4


def test_a_class_uses_general_seats_once_its_reservation_is_full(world, parent):
    s = session_for(world, capacity=4, quotas={world.own_class.id: 1})
    a_kids = factories.families_with_children(world.own_class, 4, "甲")
    b_kid = factories.families_with_children(world.other_class, 1, "乙")[0]
    register_all(s, a_kids[:3], parent)
    seats.register(s, b_kid, parent)
    seats.register(s, a_kids[3], parent)
    assert statuses(s, a_kids) == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert reg_of(s, b_kid).status == "confirmed" and fresh(s.id).taken == 4


def test_promotion_gives_a_reserved_seat_to_its_class_even_when_another_family_waits_longer(world, parent):
    s = session_for(world, capacity=4, quotas={world.own_class.id: 2})
    b_kids = factories.families_with_children(world.other_class, 3, "乙")
    a_kids = factories.families_with_children(world.own_class, 3, "甲")
    register_all(s, b_kids, parent)
    register_all(s, a_kids, parent)  # waiting: B3 first, then A3

    promoted = seats.cancel(reg_of(s, a_kids[0]), parent)
    assert [p.family_id for p in promoted] == [a_kids[2].family_id]
    assert reg_of(s, b_kids[2]).status == "waitlisted" and seats.waiting_position(reg_of(s, b_kids[2])) == 1

    promoted = seats.cancel(reg_of(s, b_kids[0]), parent)  # a general seat: B3 has waited longest
    assert [p.family_id for p in promoted] == [b_kids[2].family_id]
    assert positions(s.id) == [] and fresh(s.id).taken == 4 == confirmed_count(s.id)


def test_a_freed_general_seat_goes_to_the_first_waiting_family_whatever_its_class(world, parent):
    s = session_for(world, capacity=3, quotas={world.own_class.id: 1})
    a_kids = factories.families_with_children(world.own_class, 3, "甲")
    b_kid = factories.families_with_children(world.other_class, 1, "乙")[0]
    register_all(s, a_kids, parent)  # reserved seat, then both general seats
    seats.register(s, b_kid, parent)  # waits
    promoted = seats.cancel(reg_of(s, a_kids[1]), parent)
    assert [p.family_id for p in promoted] == [b_kid.family_id]


# --- at the door -----------------------------------------------------------------------------------

def test_check_in_by_code_ignores_case_and_spaces_and_happens_once(world, office):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, office)
    typed = " " + " ".join(reg.code[:3].lower()) + "-" + reg.code[3:].lower() + " "

    first, created = seats.check_in(s, typed, office)
    attended = first.attended_at
    again, created_again = seats.check_in(s, reg.code, office)

    assert (created, created_again) == (True, False)
    assert first.id == again.id == reg.id and attended is not None
    assert reg_of(s, kid).attended_at == attended and reg_of(s, kid).checked_in_by_id == office.id
    assert fresh(s.id).taken == 1


def test_a_code_typed_in_full_width_characters_is_understood(world, office):
    """A Chinese input method in full-width mode types ＡＢ３ for AB3."""
    s = session_for(world, capacity=2)
    reg, _ = seats.register(s, factories.families_with_children(world.own_class, 1)[0], office)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in reg.code.lower())
    checked, created = seats.check_in(s, full_width, office)
    assert created and checked.id == reg.id


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFG", "AB CD"])
def test_a_code_of_the_wrong_length_is_refused_beside_the_field(world, office, typed):
    s = session_for(world, capacity=2)
    with pytest.raises(DomainError) as err:
        seats.check_in(s, typed, office)
    assert message(err) == zh("A check-in code has %(n)d letters and digits.", n=6) and err.value.field == "code"


def test_an_unknown_code_or_a_code_of_another_session_is_refused(world, office):
    s = session_for(world, capacity=2)
    other = session_for(world, capacity=2)
    reg, _ = seats.register(other, factories.families_with_children(world.own_class, 1)[0], office)
    with pytest.raises(DomainError) as err:
        seats.check_in(s, reg.code.lower(), office)
    assert message(err) == zh("No family of this session has the code %(code)s.", code=reg.code)
    assert reg_of(other, reg.student).attended_at is None


def test_a_cancelled_family_or_a_cancelled_session_is_not_checked_in(world, office):
    s = session_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    seats.cancel(reg_of(s, kids[0]), office)
    with pytest.raises(DomainError) as err:
        seats.check_in(s, reg_of(s, kids[0]).code, office)
    assert message(err) == zh("This family cancelled its registration.")
    fresh(s.id).status = "cancelled"
    db.session.commit()
    with pytest.raises(DomainError) as err:
        seats.check_in(s, reg_of(s, kids[1]).code, office)
    assert message(err) == zh("This session has been cancelled.")
    assert [reg_of(s, k).attended_at for k in kids] == [None, None]


def test_a_waiting_family_at_the_door_gets_a_seat_only_if_one_is_free(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 3)
    register_all(s, kids, office)
    with pytest.raises(DomainError) as err:
        seats.check_in(s, reg_of(s, kids[1]).code, office)
    assert message(err) == zh("This family is on the waiting list and there is no free seat.")
    assert statuses(s, kids) == ["confirmed", "waitlisted", "waitlisted"]
    assert reg_of(s, kids[1]).attended_at is None

    started = fresh(s.id).starts_at + timedelta(minutes=1)
    seats.cancel(reg_of(s, kids[0]), office, now=started, staff=True)  # no promotion once it has started
    reg, created = seats.check_in(s, reg_of(s, kids[2]).code, office)  # whoever comes first to the door

    assert created and reg.status == "confirmed" and reg.attended_at is not None
    assert statuses(s, kids) == ["cancelled", "waitlisted", "confirmed"]
    assert fresh(s.id).taken == 1


def test_at_the_door_a_reserved_seat_goes_to_any_family(world, office):
    s = session_for(world, capacity=2, quotas={world.own_class.id: 1})
    b_kids = factories.families_with_children(world.other_class, 2, "乙")
    register_all(s, b_kids, office)
    assert statuses(s, b_kids) == ["confirmed", "waitlisted"]
    reg, created = seats.check_in(s, reg_of(s, b_kids[1]).code, office)
    assert created and reg.status == "confirmed" and fresh(s.id).taken == 2


def test_undoing_a_check_in_keeps_the_seat(world, office):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    register_all(s, kids, office)
    reg, _ = seats.check_in(s, reg_of(s, kids[0]).code, office)

    seats.undo_check_in(reg, office)

    reg = reg_of(s, kids[0])
    assert (reg.status, reg.attended_at, reg.checked_in_by_id) == ("confirmed", None, None)
    assert fresh(s.id).taken == 1 and reg_of(s, kids[1]).status == "waitlisted"
    assert len(audits("registration.undo_check_in")) == 1
    seats.undo_check_in(reg, office)  # nothing to undo: no second audit row
    assert len(audits("registration.undo_check_in")) == 1
    _, created = seats.check_in(s, reg.code, office)
    assert created
    seats.undo_check_in(reg_of(s, kids[0]), office)
    assert [p.family_id for p in seats.cancel(reg_of(s, kids[0]), office, staff=True)] == [kids[1].family_id]


def test_a_walk_in_takes_a_free_seat_and_is_checked_in(world, office):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, created = seats.walk_in(s, kid, office)
    assert created and (reg.status, reg.walk_in) == ("confirmed", True)
    assert reg.attended_at is not None and reg.checked_in_by_id == office.id
    assert fresh(s.id).taken == 1 and reg.seq == 1


def test_a_walk_in_is_refused_when_every_seat_is_taken(world, office):
    s = session_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 3)
    register_all(s, kids[:2], office)
    with pytest.raises(DomainError) as err:
        seats.walk_in(s, kids[2], office)
    assert message(err) == zh("No seat is free: all %(n)d seats are taken.", n=2)
    assert reg_of(s, kids[2]) is None and fresh(s.id).taken == 2 and fresh(s.id).queue_no == 2


def test_a_walk_in_of_a_registered_family_checks_it_in(world, office):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, office)
    same, created = seats.walk_in(s, kid, office)
    assert created and same.id == reg.id and same.attended_at is not None and not same.walk_in
    assert (fresh(s.id).taken, count(Registration)) == (1, 1)
    _, created_again = seats.walk_in(s, kid, office)
    assert not created_again


def test_a_walk_in_of_a_family_that_had_cancelled_reuses_its_registration(world, office):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    reg, _ = seats.register(s, kid, office)
    seats.cancel(reg, office)
    again, created = seats.walk_in(s, kid, office)
    assert created and again.id == reg.id and (again.status, again.walk_in, again.cancelled_at) == ("confirmed", True, None)
    assert fresh(s.id).taken == 1 and count(Registration) == 1


def test_a_walk_in_takes_a_reserved_seat_and_not_in_a_cancelled_session(world, office):
    s = session_for(world, capacity=1, quotas={world.own_class.id: 1})
    b_kids = factories.families_with_children(world.other_class, 2, "乙")
    reg, created = seats.walk_in(s, b_kids[0], office)
    assert created and reg.status == "confirmed"
    fresh(s.id).status = "cancelled"
    db.session.commit()
    with pytest.raises(DomainError) as err:
        seats.walk_in(s, b_kids[1], office)
    assert message(err) == zh("This session has been cancelled.")
    assert reg_of(s, b_kids[1]) is None


# --- more seats from the office --------------------------------------------------------------------

def test_raising_the_capacity_seats_the_waiting_families_in_order(world, office):
    from portal.parent_school.services import save_session

    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 4)
    register_all(s, kids, office)
    data = {k: getattr(s, k) for k in ("title", "starts_at", "ends_at", "place", "online_url", "deadline")}

    _, promoted = save_session(s, s.course, dict(data, capacity=3), {}, office)

    assert [p.family_id for p in promoted] == [kids[1].family_id, kids[2].family_id]
    assert statuses(s, kids) == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert positions(s.id) == [1] and fresh(s.id).taken == 3


def test_releasing_a_reservation_seats_the_families_waiting_for_it(world, office):
    """Every seat held for class A and no class-A family yet: releasing the hold seats class B's families."""
    from portal.parent_school.services import save_session

    s = session_for(world, capacity=2, quotas={world.own_class.id: 2})
    b_kids = factories.families_with_children(world.other_class, 3, "乙")
    register_all(s, b_kids, office)
    assert statuses(s, b_kids) == ["waitlisted"] * 3 and fresh(s.id).taken == 0
    data = {k: getattr(s, k) for k in ("title", "starts_at", "ends_at", "place", "online_url", "deadline")}

    _, promoted = save_session(s, s.course, dict(data, capacity=2), {}, office)

    assert [p.family_id for p in promoted] == [b_kids[0].family_id, b_kids[1].family_id]
    assert statuses(s, b_kids) == ["confirmed", "confirmed", "waitlisted"]
    assert positions(s.id) == [1] and fresh(s.id).taken == 2


def test_registrations_record_the_class_the_child_was_in(world, parent):
    s = session_for(world, capacity=2)
    kid = factories.families_with_children(world.other_class, 1)[0]
    reg, _ = seats.register(s, kid, parent)
    stored = db.session.scalar(select(Registration).where(Registration.id == reg.id))
    assert (stored.class_id, stored.student_id, stored.family_id) == (world.other_class.id, kid.id, kid.family_id)
