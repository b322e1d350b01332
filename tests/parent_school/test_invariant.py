"""The seat rules under random sequences of registering, cancelling, checking in, walk-ins and the office
giving more seats or releasing reserved ones, while the clock moves from before the deadline to after the start.

Refusals are expected and ignored. After every step:
- the session's taken count is the number of confirmed registrations, and never more than its capacity;
- before the session starts, no family waits while a seat it may take is free (a free seat held for another
  class is not one it may take);
- the waiting positions (候补第 N 位) are 1..n in the order of arrival, and no two registrations share a place in it;
- only a confirmed family is checked in.
Each step also checks what the family or the office would see right away: who got the freed seat, and whether
a waiting family at the door or a walk-in got one.
"""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from portal.core.errors import DomainError
from portal.extensions import db
from portal.parent_school.models import CourseSession, SeatQuota
from portal.parent_school.services import save_session, set_status
from portal.people.models import Student
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.conftest import empty_all_tables
from tests.parent_school.common import many_families

pytestmark = pytest.mark.usefixtures("door_always_open")

FAMILIES_PER_CLASS = 4
FAMILY = st.integers(0, 2 * FAMILIES_PER_CLASS - 1)
# Where the clock stands: before the deadline, between the deadline and the start, after the start.
PHASES = ("open", "after deadline", "started")
ROW = (Registration.id, Registration.family_id, Registration.class_id, Registration.session_id, Registration.status,
       Registration.seq, Registration.code, Registration.attended_at, Registration.walk_in)


def may_take_a_seat(class_id, confirmed_classes, capacity, quotas) -> bool:
    """The rule as the office explains it: each free seat is either held for a class whose families have not
    yet filled its reservation, or general; a family may take a seat held for its class or a general one."""
    free = capacity - len(confirmed_classes)
    held = {c: max(0, n - confirmed_classes.count(c)) for c, n in quotas.items()}
    general = free - sum(held.values())
    return free > 0 and (held.get(class_id, 0) > 0 or general > 0)


class Seats(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        db.session.rollback()
        empty_all_tables()
        self.phase = 0

    @initialize(capacity=st.integers(1, 4), reserved=st.integers(0, 3),
                arrivals=st.lists(FAMILY, max_size=8))
    def session(self, capacity, reserved, arrivals):
        school = factories.school("滨湖实验小学")
        self.office = factories.user(school, "coordinator")
        self.parent = factories.user(school, "parent")
        self.classes = [factories.school_class(school, 3, "1班"), factories.school_class(school, 3, "2班")]
        course = factories.course(school, self.office, grades=(3,))
        quotas = {self.classes[0].id: min(reserved, capacity)} if reserved else {}
        s = factories.course_session(course, capacity=capacity, quotas=quotas)
        self.session_id, self.deadline, self.starts_at = s.id, s.deadline, s.starts_at
        kids = [k for c in self.classes for k in many_families(c, FAMILIES_PER_CLASS, f"{c.name}家庭")]
        self.kids = [(k.id, k.family_id) for k in kids]
        for i in arrivals:  # most sequences should start with a waiting list
            self.register(i)

    # --- helpers ---------------------------------------------------------------------------------

    def _session(self) -> CourseSession:
        db.session.expire_all()
        return db.session.get(CourseSession, self.session_id)

    def _seats(self):
        """The session as plain values: a copy that the services' refreshing cannot change under the test."""
        capacity, taken, status = db.session.execute(
            select(CourseSession.capacity, CourseSession.taken, CourseSession.status)
            .where(CourseSession.id == self.session_id)).one()
        quotas = dict(db.session.execute(select(SeatQuota.class_id, SeatQuota.seats)
                                         .where(SeatQuota.session_id == self.session_id)).all())
        return SimpleNamespace(capacity=capacity, taken=taken, status=status, quotas=quotas)

    def _kid(self, i):
        return db.session.get(Student, self.kids[i][0])

    def _now(self):
        return {"open": self.deadline - timedelta(hours=3), "after deadline": self.deadline + timedelta(hours=1),
                "started": self.starts_at + timedelta(minutes=10)}[PHASES[self.phase]]

    def _regs(self):
        """Every registration of the session as a plain row, in the order of arrival."""
        return db.session.execute(select(*ROW).where(Registration.session_id == self.session_id)
                                  .order_by(Registration.seq)).all()

    def _reg(self, i, regs=None):
        family_id = self.kids[i][1]
        return next((r for r in (self._regs() if regs is None else regs) if r.family_id == family_id), None)

    def _promotions(self, regs, seats_now, freed=None):
        """Who the waiting list would seat now, in its order, if registration `freed` were gone."""
        confirmed = [r.class_id for r in regs if r.status == "confirmed" and r.id != freed]
        chosen = []
        for r in regs:
            if r.status == "waitlisted" and may_take_a_seat(r.class_id, confirmed, seats_now.capacity,
                                                            seats_now.quotas):
                chosen.append(r.id)
                confirmed.append(r.class_id)
        return chosen

    def _try(self, call):
        try:
            return call(), None
        except DomainError as err:
            db.session.rollback()
            return None, err

    # --- what families and the office do ---------------------------------------------------------

    @rule(families=st.lists(FAMILY, min_size=1, max_size=3))
    def families_register(self, families):
        for i in families:
            self.register(i)

    def register(self, i):
        kid = self._kid(i)
        regs, now = self._regs(), self._seats()
        before = self._reg(i, regs)
        seat = may_take_a_seat(kid.class_id, [r.class_id for r in regs if r.status == "confirmed"], now.capacity,
                               now.quotas)
        waiting = sum(1 for r in regs if r.status == "waitlisted")
        result, err = self._try(lambda: seats.register(self._session(), kid, self.parent, self._now()))
        if PHASES[self.phase] != "open" or now.status == "cancelled":
            assert err is not None and self._reg(i) == before
            return
        assert err is None, err.message
        reg, created = result
        after = self._reg(i)
        assert created == (before is None or before.status == "cancelled")
        if created:
            assert after.status == ("confirmed" if seat else "waitlisted")
            assert after.seq == max([r.seq for r in regs], default=0) + 1  # the back of the queue
            if after.status == "waitlisted":
                assert seats.waiting_position(after) == waiting + 1
        else:
            assert after == before

    @rule(i=FAMILY, staff=st.booleans())
    def a_family_cancels(self, i, staff):
        self.cancel(i, staff)

    @rule(k=st.integers(0, 7), staff=st.booleans())
    def a_family_holding_a_seat_cancels(self, k, staff):
        holders = [r.family_id for r in self._regs() if r.status == "confirmed"]
        if holders:
            family_ids = [f for _, f in self.kids]
            self.cancel(family_ids.index(holders[k % len(holders)]), staff)

    @rule(i=FAMILY, what=st.sampled_from(["check in", "walk in", "undo"]),
          typed=st.sampled_from(["as is", "lower", "spaced"]))
    def at_the_door(self, i, what, typed):
        if what == "check in":
            self.check_in(i, typed)
        elif what == "walk in":
            self.walk_in(i)
        else:
            self.undo_check_in(i)

    def cancel(self, i, staff):
        regs, now = self._regs(), self._seats()
        before = self._reg(i, regs)
        if before is None:
            return
        promotes = (before.status == "confirmed" and PHASES[self.phase] != "started"
                    and now.status not in ("cancelled", "done"))
        expected = self._promotions(regs, now, freed=before.id) if promotes else []
        reg = db.session.get(Registration, before.id)
        promoted, err = self._try(lambda: seats.cancel(reg, self.office if staff else self.parent, self._now(), staff))
        after = self._reg(i)
        if before.status == "cancelled":
            assert (err, promoted, after) == (None, [], before)
        elif before.attended_at is not None or (not staff and PHASES[self.phase] != "open"
                                                and before.status == "confirmed"):
            assert err is not None and after == before
        else:
            assert err is None, err.message
            assert [p.id for p in promoted] == expected
            assert after.status == "cancelled"

    def check_in(self, i, typed):
        before = self._reg(i)
        if before is None:
            return
        code = {"as is": before.code, "lower": before.code.lower(), "spaced": " ".join(before.code)}[typed]
        now = self._seats()
        result, err = self._try(lambda: seats.check_in(self._session(), code, self.office))
        after = self._reg(i)
        if now.status == "cancelled" or before.status == "cancelled" or (
                before.status == "waitlisted" and now.taken >= now.capacity):
            assert err is not None and after == before
        else:
            assert err is None, err.message
            assert result[1] == (before.attended_at is None)
            assert after.status == "confirmed" and after.attended_at is not None
            if before.attended_at is not None:
                assert after.attended_at == before.attended_at

    def walk_in(self, i):
        before, now = self._reg(i), self._seats()
        result, err = self._try(lambda: seats.walk_in(self._session(), self._kid(i), self.office))
        after = self._reg(i)
        active = before is not None and before.status in seats.ACTIVE
        holds_seat = before is not None and before.status == "confirmed"
        if now.status == "cancelled" or (now.taken >= now.capacity and not holds_seat):
            assert err is not None and after == before
        else:
            assert err is None, err.message
            assert after.status == "confirmed" and after.attended_at is not None
            assert after.walk_in == (before.walk_in if active else True)

    def undo_check_in(self, i):
        before = self._reg(i)
        if before is None:
            return
        seats.undo_check_in(db.session.get(Registration, before.id), self.office)
        after = self._reg(i)
        assert after.attended_at is None and after.status == before.status

    @rule(more=st.integers(0, 2), reserved=st.integers(0, 3))
    def office_edits_seats(self, more, reserved):
        """More seats, or a reservation changed: the freed seats go to the waiting families at once, in order."""
        s, regs, now = self._session(), self._regs(), self._seats()
        capacity = now.capacity + more
        quotas = {self.classes[0].id: min(reserved, capacity)} if reserved else {}
        data = {k: getattr(s, k) for k in ("title", "starts_at", "ends_at", "place", "online_url", "deadline")}
        promotes = PHASES[self.phase] != "started" and now.status not in ("cancelled", "done")
        expected = self._promotions(regs, SimpleNamespace(capacity=capacity, quotas=quotas)) if promotes else []
        result, err = self._try(lambda: save_session(s, s.course, dict(data, capacity=capacity), quotas, self.office,
                                                     self._now()))
        assert err is None, err.message
        assert [p.id for p in result[1]] == expected
        assert self._seats().capacity == capacity

    # The clock moves and sessions are cancelled only now and then: most sequences should be spent while
    # registration is open.
    @precondition(lambda self: self.phase < len(PHASES) - 1)
    @rule(now_and_then=st.integers(0, 3))
    def time_passes(self, now_and_then):
        if now_and_then == 0:
            self.phase += 1

    @rule(now_and_then=st.integers(0, 19))
    def office_cancels_the_session(self, now_and_then):
        if now_and_then:
            return
        self._try(lambda: set_status(self._session(), "cancelled", self.office, "讲师临时有事"))

    # --- invariants (one reading of the database, three checks) --------------------------------------

    @invariant()
    def seat_rules_hold(self):
        if not hasattr(self, "session_id"):
            return
        now, regs = self._seats(), self._regs()
        self.taken_is_the_number_of_confirmed_families(now, regs)
        self.nobody_waits_for_a_seat_they_may_take(now, regs)
        self.waiting_positions_follow_the_order_of_arrival(regs)

    def taken_is_the_number_of_confirmed_families(self, now, regs):
        assert now.taken == sum(1 for r in regs if r.status == "confirmed") <= now.capacity

    def nobody_waits_for_a_seat_they_may_take(self, now, regs):
        if PHASES[self.phase] == "started" or now.status in ("cancelled", "done"):
            return
        confirmed = [r.class_id for r in regs if r.status == "confirmed"]
        for r in regs:
            if r.status == "waitlisted":
                assert not may_take_a_seat(r.class_id, confirmed, now.capacity, now.quotas), \
                    f"family {r.family_id} waits by a free seat"

    def waiting_positions_follow_the_order_of_arrival(self, regs):
        assert len({r.seq for r in regs}) == len(regs) and len({r.code for r in regs}) == len(regs)
        waiting = [r for r in regs if r.status == "waitlisted"]
        assert [seats.waiting_position(r) for r in waiting] == list(range(1, len(waiting) + 1))
        assert all(r.attended_at is None or r.status == "confirmed" for r in regs)


def test_seat_rules_hold_under_random_operations():
    run_state_machine_as_test(Seats, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture]))
