"""The ledger's invariants under random sequences of logging, review and corrections.

Whatever mix of valid and invalid operations runs (refusals are expected and ignored), after every step:
- each volunteer's total (summary and the totals list) is the sum of their approved rows, recomputed here;
- no volunteer's day holds more than 12 net hours of pending and approved rows, nor less than 0;
- every reversal cancels exactly one approved, non-reversal row, and no row is reversed twice;
- an approved row, once seen, never changes.
"""
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.clock import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.hours import ledger, totals
from portal.hours.models import MAX_HOURS_PER_DAY, HourEntry
from portal.people.models import Volunteer
from tests import factories
from tests.conftest import empty_all_tables

TODAY = local_today()
ALL_TIME = totals.Period("all", "all")

# Half-hour steps from -1 to 13, plus a few that are not numbers of hours at all.
HOURS = st.one_of(st.integers(-2, 26).map(lambda n: str(Decimal(n) / 2)),
                  st.sampled_from(["0.3", "12.5", "abc", "NaN", "", "1e-999999999"]))
CORRECTED = st.one_of(st.none(), st.just(""), st.just("same"), HOURS)
REASONS = st.sampled_from(["记错了", "重复登记", "", "  ", "因" * 201])


class Ledger(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        db.session.rollback()
        empty_all_tables()
        self.seen_approved: dict[int, tuple] = {}

    @initialize(n=st.integers(2, 3))
    def school(self, n):
        self.school = factories.school("滨湖实验小学")
        self.coord = factories.user(self.school, "coordinator")
        names = ["张建国", "李桂英", "王志强"][:n]
        self.volunteers = [factories.volunteer(self.school, name) for name in names]
        self.own_users = [factories.user(self.school, "volunteer", volunteer_id=v.id) for v in self.volunteers]
        self.vol_ids = [v.id for v in self.volunteers]

    # --- operations ----------------------------------------------------------------------------

    def _try(self, call):
        try:
            return call()
        except DomainError:
            db.session.rollback()
            return None

    def _ids(self):
        return db.session.scalars(select(HourEntry.id).order_by(HourEntry.id)).all()

    @rule(who=st.integers(0, 2), by_self=st.booleans(), days_back=st.integers(-1, 29), hours=HOURS,
          activity=st.sampled_from(["lecture", "safety", "event", "nonsense"]))
    def log(self, who, by_self, days_back, hours, activity):
        i = who % len(self.vol_ids)
        volunteer = db.session.get(Volunteer, self.vol_ids[i])
        actor = self.own_users[i] if by_self else self.coord
        data = {"worked_on": TODAY - timedelta(days=days_back), "hours": hours, "activity": activity}
        self._try(lambda: ledger.log_hours(actor, volunteer, data, TODAY))

    def _pick(self, data):
        ids = self._ids() + [10 ** 6]  # and one id that does not exist
        return data.draw(st.lists(st.sampled_from(ids), max_size=6))

    @rule(data=st.data())
    def approve(self, data):
        self._try(lambda: ledger.review(self.coord, self._pick(data), "approve"))

    @rule(data=st.data(), reason=REASONS)
    def reject(self, data, reason):
        self._try(lambda: ledger.review(self.coord, self._pick(data), "reject", reason))

    @rule(data=st.data(), corrected=CORRECTED, reason=REASONS, stale=st.booleans())
    def reverse(self, data, corrected, reason, stale):
        ids = self._ids()
        if not ids:
            return
        entry = db.session.get(HourEntry, data.draw(st.sampled_from(ids)))
        if corrected == "same":
            corrected = str(entry.hours)
        if stale:  # as a second office that opened the row before the first corrected it
            set_committed_value(entry, "reversal", None)
        self._try(lambda: ledger.reverse(self.coord, entry, reason, corrected, TODAY))

    # --- invariants ----------------------------------------------------------------------------

    def _rows(self):
        db.session.expire_all()
        return db.session.execute(select(HourEntry.id, HourEntry.volunteer_id, HourEntry.worked_on, HourEntry.hours,
                                         HourEntry.status, HourEntry.reverses_id, HourEntry.activity)).all()

    @invariant()
    def totals_are_the_sum_of_approved_rows(self):
        rows = self._rows()
        listed = {t.volunteer.id: t for t in totals.volunteer_totals(self.school.id, ALL_TIME)}
        for vid in self.vol_ids:
            approved = sum((r.hours for r in rows if r.volunteer_id == vid and r.status == "approved"), Decimal(0))
            this_year = sum((r.hours for r in rows if r.volunteer_id == vid and r.status == "approved"
                             and r.worked_on.year == TODAY.year), Decimal(0))
            pending = sum((r.hours for r in rows if r.volunteer_id == vid and r.status == "pending"), Decimal(0))
            summary = totals.summary(db.session.get(Volunteer, vid), TODAY)
            assert (summary.total, summary.year, summary.pending) == (approved, this_year, pending)
            assert (listed[vid].approved, listed[vid].pending) == (approved, pending)
            assert approved >= 0

    @invariant()
    def no_day_holds_more_than_12_hours(self):
        days: dict[tuple, Decimal] = {}
        for r in self._rows():
            if r.status in ("pending", "approved"):
                days[(r.volunteer_id, r.worked_on)] = days.get((r.volunteer_id, r.worked_on), Decimal(0)) + r.hours
        for key, hours in days.items():
            assert Decimal(0) <= hours <= MAX_HOURS_PER_DAY, (key, hours)

    @invariant()
    def reversals_cancel_one_approved_row_each(self):
        rows = {r.id: r for r in self._rows()}
        targets = [r.reverses_id for r in rows.values() if r.reverses_id is not None]
        assert len(targets) == len(set(targets))
        for r in rows.values():
            if r.reverses_id is None:
                assert r.hours > 0
                continue
            target = rows[r.reverses_id]
            assert (r.status, target.status, target.reverses_id) == ("approved", "approved", None)
            assert (r.hours, r.volunteer_id, r.worked_on) == (-target.hours, target.volunteer_id, target.worked_on)

    @invariant()
    def approved_rows_never_change(self):
        for r in self._rows():
            if r.id in self.seen_approved:
                assert tuple(r) == self.seen_approved[r.id]
            elif r.status == "approved":
                self.seen_approved[r.id] = tuple(r)


def test_ledger_invariants_hold_under_random_operations():
    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture]))
