"""The hours ledger at the service level: logging, the daily maximum, review, locked approved rows,
corrections by reversing rows, totals, recognition levels and issued service records."""
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.models import AuditEntry
from portal.core.clock import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.hours import ledger, recognition, totals
from portal.hours.models import HourEntry, RecognitionLevel, ServiceRecord
from portal.pairs import services as pair_services
from portal.pairs.models import Visit
from portal.people.models import VOLUNTEER_KINDS, Term
from tests import factories
from tests.factories import zh
from tests.helpers import audits, count, menu_categories

TODAY = local_today()
YEAR = TODAY.year
D = Decimal


# --- helpers -----------------------------------------------------------------------------------

@pytest.fixture
def coord(world):
    return world.users["coordinator"]


@pytest.fixture
def me(world):
    """The volunteer's own account."""
    return world.users["volunteer"]


def _data(**over):
    data = {"worked_on": TODAY, "hours": "2", "activity": "lecture", "pair_id": 0, "event_id": 0, "note": ""}
    data.update(over)
    return data


def _log(actor, volunteer, token=None, **over):
    entry, _created = ledger.log_hours(actor, volunteer, _data(**over), TODAY, token)
    return entry


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def _rows():
    """Every ledger row as the database has it: (id, volunteer_id, day, hours, status, reverses_id)."""
    db.session.expire_all()
    return db.session.execute(select(HourEntry.id, HourEntry.volunteer_id, HourEntry.worked_on, HourEntry.hours,
                                     HourEntry.status, HourEntry.reverses_id).order_by(HourEntry.id)).all()


def _refused(call, field, message=None):
    """The call raises a DomainError about `field` and leaves no new ledger row or audit entry behind."""
    before = (_rows(), count(AuditEntry), count(ServiceRecord), count(Visit))
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.field == field, err.value.message
    if message is not None:
        assert err.value.message == message
    db.session.rollback()
    assert (_rows(), count(AuditEntry), count(ServiceRecord), count(Visit)) == before
    return err.value


def _approved(volunteer, by, hours, day=TODAY, **kw):
    return factories.hour_entry(volunteer, by, str(hours), day=day, status="approved", **kw)


def _total(volunteer):
    return totals.summary(_fresh(type(volunteer), volunteer.id), TODAY).total


def _spread(volunteer, by, total, year=YEAR):
    """Approved hours adding up to `total` within one calendar year, at most 10 a day."""
    left, day = D(str(total)), date(year, 1, 5)
    while left > 0:
        part = min(left, D(10))
        _approved(volunteer, by, part, day=day)
        left -= part
        day += timedelta(days=1)


# --- logging -----------------------------------------------------------------------------------

def test_a_volunteer_logging_their_own_hours_gets_a_pending_entry_not_on_behalf(world, me):
    entry, created = ledger.log_hours(me, world.volunteer, _data(hours="1.5", note="  讲红色故事  "), TODAY)
    entry = _fresh(HourEntry, entry.id)
    assert created
    assert (entry.status, entry.on_behalf, entry.hours, entry.entered_by_id, entry.note) == (
        "pending", False, D("1.5"), me.id, "讲红色故事")
    assert audits("hours.on_behalf") == []
    assert totals.summary(world.volunteer, TODAY).pending == D("1.5")
    assert totals.summary(world.volunteer, TODAY).total == 0


def test_staff_logging_for_a_volunteer_is_on_behalf_and_audited(world, coord):
    entry = _log(coord, world.volunteer, hours="3")
    entry = _fresh(HourEntry, entry.id)
    assert (entry.status, entry.on_behalf, entry.entered_by_id) == ("pending", True, coord.id)
    [audit] = audits("hours.on_behalf")
    assert (audit.user_id, audit.object_type, audit.object_id) == (coord.id, "HourEntry", entry.id)
    assert f"volunteer={world.volunteer.id}" in audit.detail


def test_the_oldest_allowed_day_is_366_days_back(world, me):
    entry = _log(me, world.volunteer, worked_on=TODAY - timedelta(days=366))
    assert _fresh(HourEntry, entry.id).worked_on == TODAY - timedelta(days=366)


def test_the_office_enters_paper_records_of_the_last_five_years_only(world, coord):
    entry = _log(coord, world.volunteer, worked_on=TODAY - timedelta(days=4 * 365))
    assert _fresh(HourEntry, entry.id).on_behalf
    _refused(lambda: _log(coord, world.volunteer, worked_on=TODAY - timedelta(days=5 * 366 + 1)), "worked_on")


@pytest.mark.parametrize("day", [TODAY + timedelta(days=1), TODAY - timedelta(days=367), None],
                         ids=["future", "older_than_366_days", "missing"])
def test_bad_dates_are_refused(world, me, day):
    _refused(lambda: _log(me, world.volunteer, worked_on=day), "worked_on")


@pytest.mark.parametrize("hours", ["0", "-1", "0.3", "12.5", "13", "abc", "NaN", "Infinity", "-Infinity", "sNaN",
                                   "", None, "1e400", "1e-999999999999", "0.5e-99999999"])
def test_bad_hours_are_refused(world, me, hours):
    _refused(lambda: _log(me, world.volunteer, hours=hours), "hours")


@pytest.mark.parametrize("hours", ["0.5", "12", " 2 ", "1.50"])
def test_good_hours_are_taken(world, me, hours):
    entry = _log(me, world.volunteer, hours=hours)
    assert _fresh(HourEntry, entry.id).hours == D(hours.strip())


@pytest.mark.parametrize("activity", ["dancing", "", None])
def test_an_unknown_activity_is_refused(world, me, activity):
    _refused(lambda: _log(me, world.volunteer, activity=activity), "activity")


def test_a_pair_the_volunteer_is_not_in_is_refused(world, coord):
    cats = menu_categories(world)
    other = factories.volunteer(world.school, "李桂英")
    need = factories.need(world.pupil, cats.study, coord)
    pair, _ = pair_services.create_pair(coord, [need], [factories.offer(other, cats.study, coord)], TODAY)
    _refused(lambda: _log(coord, world.volunteer, pair_id=pair.id, activity="pair_visit"), "pair_id")
    # The volunteer who is in the pair may link it.
    entry = _log(coord, other, pair_id=pair.id, activity="pair_visit")
    assert _fresh(HourEntry, entry.id).pair_id == pair.id


def test_an_event_of_another_school_or_a_cancelled_event_is_refused(world, me):
    far_event = factories.event(world.far, day=TODAY)
    cancelled = factories.event(world.school, "取消的活动", day=TODAY, status="cancelled")
    _refused(lambda: _log(me, world.volunteer, event_id=far_event.id, activity="event"), "event_id")
    _refused(lambda: _log(me, world.volunteer, event_id=cancelled.id, activity="event"), "event_id")
    _refused(lambda: _log(me, world.volunteer, event_id=987654, activity="event"), "event_id")
    ours = factories.event(world.school, day=TODAY)
    assert _fresh(HourEntry, _log(me, world.volunteer, event_id=ours.id, activity="event").id).event_id == ours.id


def test_a_note_longer_than_500_is_refused(world, me):
    _refused(lambda: _log(me, world.volunteer, note="记" * 501), "note")
    assert len(_fresh(HourEntry, _log(me, world.volunteer, note="记" * 500).id).note) == 500


def test_inactive_or_foreign_volunteers_are_refused(world, coord):
    world.volunteer.active = False
    db.session.commit()
    _refused(lambda: _log(coord, world.volunteer), "volunteer_id")
    far_volunteer = factories.volunteer(world.far, "钱老师")
    _refused(lambda: _log(coord, far_volunteer), "volunteer_id")


def test_a_day_holds_at_most_12_hours(world, me):
    _log(me, world.volunteer, hours="8")
    _log(me, world.volunteer, hours="4")
    err = _refused(lambda: _log(me, world.volunteer, hours="0.5"), "hours")
    assert "12" in err.message
    # Other days are not affected.
    assert _log(me, world.volunteer, hours="0.5", worked_on=TODAY - timedelta(days=1))


def test_the_daily_maximum_counts_approved_and_pending_but_not_rejected(world, me, coord):
    first = _log(me, world.volunteer, hours="8")
    ledger.review(coord, [first.id], "approve")
    _refused(lambda: _log(me, world.volunteer, hours="4.5"), "hours")
    second = _log(me, world.volunteer, hours="4")
    ledger.review(coord, [second.id], "reject", "时长有误")
    assert _log(me, world.volunteer, hours="4")
    _refused(lambda: _log(me, world.volunteer, hours="0.5"), "hours")


def test_the_daily_maximum_is_per_volunteer(world, coord):
    other = factories.volunteer(world.school, "李桂英")
    _log(coord, world.volunteer, hours="12")
    assert _log(coord, other, hours="12")


def test_the_same_submit_token_saves_once(world, me):
    first, created = ledger.log_hours(me, world.volunteer, _data(hours="8"), TODAY, "t" * 32)
    again, created_again = ledger.log_hours(me, world.volunteer, _data(hours="8"), TODAY, "t" * 32)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert count(HourEntry) == 1
    assert totals.summary(world.volunteer, TODAY).pending == 8


# --- visits share the daily maximum ------------------------------------------------------------

@pytest.fixture
def pair(world, coord):
    cats = menu_categories(world)
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord)
    pair, _ = pair_services.create_pair(coord, [need], [offer], TODAY)
    return pair


def _visit(actor, pair, volunteer, hours):
    visit, _ = pair_services.add_visit(actor, pair, volunteer.id, {"visited_on": TODAY, "mode": "talk", "hours": hours,
                                                                   "content": "辅导数学作业"}, TODAY)
    return visit


def test_visits_and_logged_hours_share_the_12_hour_day(world, coord, me, pair):
    _visit(me, pair, world.volunteer, "8")
    [claim] = db.session.scalars(select(HourEntry)).all()
    assert (claim.activity, claim.hours, claim.status, claim.pair_id) == ("pair_visit", 8, "pending", pair.id)
    _log(me, world.volunteer, hours="4")
    _refused(lambda: _visit(me, pair, world.volunteer, "0.5"), "hours")
    _refused(lambda: _log(me, world.volunteer, hours="0.5"), "hours")


def test_logged_hours_limit_a_later_visit(world, coord, me, pair):
    _log(me, world.volunteer, hours="11")
    _refused(lambda: _visit(me, pair, world.volunteer, "1.5"), "hours")
    assert _visit(me, pair, world.volunteer, "1")
    assert ledger.day_total(world.volunteer.id, TODAY) == 12


# --- review ------------------------------------------------------------------------------------

def test_review_changes_only_pending_rows(world, coord):
    vol = world.volunteer
    pending = factories.hour_entry(vol, coord, "2", day=TODAY)
    rejected = factories.hour_entry(vol, coord, "3", day=TODAY, status="rejected", reason="重复")
    approved = _approved(vol, coord, "1", day=TODAY - timedelta(days=1))
    assert ledger.review(coord, [pending.id, rejected.id, approved.id], "approve") == 1
    assert [(r.id, r.status) for r in (_fresh(HourEntry, i) for i in (pending.id, rejected.id, approved.id))] == [
        (pending.id, "approved"), (rejected.id, "rejected"), (approved.id, "approved")]
    assert _fresh(HourEntry, pending.id).reviewed_by_id == coord.id
    assert _fresh(HourEntry, rejected.id).reason == "重复"
    assert ledger.review(coord, [rejected.id, approved.id], "reject", "不对") == 0
    assert _fresh(HourEntry, approved.id).status == "approved"
    assert _fresh(HourEntry, approved.id).reason == ""


def test_approving_twice_counts_once(world, coord):
    a = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    b = factories.hour_entry(world.volunteer, coord, "1.5", day=TODAY - timedelta(days=1))
    assert ledger.review(coord, [a.id, b.id, a.id], "approve") == 2
    assert ledger.review(coord, [a.id, b.id], "approve") == 0
    assert _total(world.volunteer) == D("3.5")
    [t] = totals.volunteer_totals(world.school.id, totals.Period("all", "all"))
    assert (t.approved, t.pending, t.entries) == (D("3.5"), 0, 2)
    [audit] = audits("hours.approve")
    assert audit.user_id == coord.id and "changed=2" in audit.detail


def test_rejecting_needs_a_short_reason(world, coord):
    entry = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    _refused(lambda: ledger.review(coord, [entry.id], "reject"), "reason")
    _refused(lambda: ledger.review(coord, [entry.id], "reject", "   "), "reason")
    _refused(lambda: ledger.review(coord, [entry.id], "reject", "因" * 201), "reason")
    assert _fresh(HourEntry, entry.id).status == "pending"
    assert ledger.review(coord, [entry.id], "reject", "因" * 200) == 1
    entry = _fresh(HourEntry, entry.id)
    assert (entry.status, entry.reason, entry.reviewed_by_id) == ("rejected", "因" * 200, coord.id)
    [audit] = audits("hours.reject")
    assert audit.user_id == coord.id
    assert _total(world.volunteer) == 0


def test_review_refuses_an_unknown_action_or_no_ids(world, coord):
    entry = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    with pytest.raises(DomainError):
        ledger.review(coord, [entry.id], "delete")
    with pytest.raises(DomainError):
        ledger.review(coord, [], "approve")
    assert _fresh(HourEntry, entry.id).status == "pending"


def test_review_leaves_another_schools_rows_alone(world, coord):
    far_volunteer = factories.volunteer(world.far, "钱老师")
    far_admin = factories.user(world.far, "admin")
    theirs = factories.hour_entry(far_volunteer, far_admin, "2", day=TODAY)
    ours = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    assert ledger.review(coord, [theirs.id, ours.id], "approve") == 1
    assert _fresh(HourEntry, theirs.id).status == "pending"
    assert _fresh(HourEntry, ours.id).status == "approved"
    assert ledger.review(coord, [theirs.id], "reject", "不是本校") == 0
    assert _fresh(HourEntry, theirs.id).status == "pending"


def test_a_teacher_reviews_only_hours_of_events_they_lead(world, coord):
    teacher = world.users["teacher"]
    led = factories.event(world.school, "家长课堂", leads=[teacher], day=TODAY)
    other = factories.event(world.school, "安全巡逻", leads=[coord], day=TODAY)
    mine = factories.hour_entry(world.volunteer, coord, "2", day=TODAY, event_id=led.id, activity="event")
    not_mine = factories.hour_entry(world.volunteer, coord, "2", day=TODAY - timedelta(days=1), event_id=other.id,
                                    activity="event")
    no_event = factories.hour_entry(world.volunteer, coord, "1", day=TODAY - timedelta(days=2))
    assert ledger.review(teacher, [mine.id, not_mine.id, no_event.id], "approve") == 1
    assert [_fresh(HourEntry, e.id).status for e in (mine, not_mine, no_event)] == ["approved", "pending", "pending"]
    assert _fresh(HourEntry, mine.id).reviewed_by_id == teacher.id
    assert ledger.pending_count(teacher) == 0
    assert ledger.pending_count(coord) == 2


def test_a_volunteer_reviews_nothing(world, me, coord):
    entry = factories.hour_entry(world.volunteer, me, "2", day=TODAY)
    assert ledger.review(me, [entry.id], "approve") == 0
    assert _fresh(HourEntry, entry.id).status == "pending"
    assert ledger.pending_count(me) == 0


def test_only_a_teacher_among_an_events_leads_reviews_its_hours(world, me, coord):
    """Leads are any accounts; a volunteer or parent listed as 责任人 still verifies nothing (not their own hours)."""
    parent = world.users["parent"]
    led = factories.event(world.school, "家长课堂", leads=[me, parent], day=TODAY)
    entry = factories.hour_entry(world.volunteer, me, "2", day=TODAY, event_id=led.id, activity="event")
    for actor in (me, parent):
        assert ledger.review(actor, [entry.id], "approve") == 0
        assert ledger.review(actor, [entry.id], "reject", "不行") == 0
        assert db.session.scalars(ledger.queue(actor, ledger.QueueFilters(status="all"))).all() == []
    assert _fresh(HourEntry, entry.id).status == "pending"
    assert audits("hours.approve") == []


def test_nobody_reviews_reversal_rows(world, coord):
    teacher = world.users["teacher"]
    led = factories.event(world.school, "家长课堂", leads=[teacher], day=TODAY)
    original = _approved(world.volunteer, coord, "3", event_id=led.id, activity="event")
    reversal = ledger.reverse(coord, original, "记错了", "", TODAY)
    reversal = _fresh(HourEntry, reversal.id)
    for actor in (teacher, world.users["volunteer"], coord):
        everything = ledger.QueueFilters(status="all")
        assert reversal.id not in {e.id for e in db.session.scalars(ledger.queue(actor, everything))}
    assert ledger.review(coord, [reversal.id], "reject", "不要") == 0
    assert _fresh(HourEntry, reversal.id).status == "approved"


# --- approved rows are locked ------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("hours", D("3")), ("worked_on", TODAY - timedelta(days=1)), ("volunteer_id", "other"), ("status", "rejected"),
    ("status", "pending"), ("activity", "safety"),
])
@pytest.mark.parametrize("loaded", ["loaded", "expired", "stale"])
def test_an_approved_row_cannot_be_changed_through_the_orm(world, coord, field, value, loaded):
    other = factories.volunteer(world.school, "李桂英")
    entry = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    assert ledger.review(coord, [entry.id], "approve") == 1  # leaves every object expired
    before = _rows()
    entry = db.session.get(HourEntry, entry.id)
    if loaded == "loaded":
        db.session.refresh(entry)
    elif loaded == "expired":
        db.session.expire(entry)
    else:  # as loaded by a request that read the row just before the approval committed
        db.session.refresh(entry)
        set_committed_value(entry, "status", "pending")
    setattr(entry, field, other.id if value == "other" else value)
    if (loaded, field, value) == ("stale", "status", "pending"):
        db.session.flush()  # the session believes nothing changed and writes nothing
    else:
        with pytest.raises(ValueError, match="locked"):
            db.session.flush()
    db.session.rollback()
    assert _rows() == before
    assert _total(world.volunteer) == 2


def test_a_pending_row_can_still_be_edited_and_an_approved_row_annotated(world, coord):
    entry = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    entry.hours = D("3")
    db.session.commit()
    assert _fresh(HourEntry, entry.id).hours == 3
    ledger.review(coord, [entry.id], "approve")
    entry = db.session.get(HourEntry, entry.id)
    entry.note = "补充说明"
    db.session.commit()
    assert _fresh(HourEntry, entry.id).note == "补充说明"


# --- corrections -------------------------------------------------------------------------------

def test_only_approved_rows_are_reversed(world, coord):
    pending = factories.hour_entry(world.volunteer, coord, "2", day=TODAY)
    rejected = factories.hour_entry(world.volunteer, coord, "2", day=TODAY, status="rejected", reason="x")
    for entry in (pending, rejected):
        _refused(lambda e=entry: ledger.reverse(coord, e, "记错了", "", TODAY), None)
    original = _approved(world.volunteer, coord, "2")
    reversal = ledger.reverse(coord, original, "记错了", "", TODAY)
    _refused(lambda: ledger.reverse(coord, _fresh(HourEntry, reversal.id), "再改", "1", TODAY), None)


def test_reversing_without_corrected_hours_cancels_the_row(world, coord):
    keep = _approved(world.volunteer, coord, "1", day=TODAY - timedelta(days=1))
    original = _approved(world.volunteer, coord, "2.5", note="讲座")
    assert _total(world.volunteer) == D("3.5")
    reversal = ledger.reverse(coord, original, "  活动取消了  ", None, TODAY)
    reversal = _fresh(HourEntry, reversal.id)
    assert (reversal.hours, reversal.status, reversal.reverses_id, reversal.reason, reversal.worked_on,
            reversal.volunteer_id, reversal.note) == (D("-2.5"), "approved", original.id, "活动取消了", TODAY,
                                                      world.volunteer.id, "讲座")
    assert _fresh(HourEntry, original.id).status == "approved"
    assert _fresh(HourEntry, original.id).reversal.id == reversal.id
    assert count(HourEntry) == 3
    assert _total(world.volunteer) == 1
    assert ledger.day_total(world.volunteer.id, TODAY) == 0
    [audit] = audits("hours.reverse")
    assert audit.object_id == original.id and audit.user_id == coord.id
    assert keep.id


def test_reversing_with_corrected_hours_adds_an_approved_replacement(world, coord):
    original = _approved(world.volunteer, coord, "4", activity="safety")
    ledger.reverse(coord, original, "实际3小时", "3", TODAY)
    rows = db.session.scalars(select(HourEntry).order_by(HourEntry.id)).all()
    assert [(r.hours, r.status, r.reverses_id, r.activity) for r in rows] == [
        (D(4), "approved", None, "safety"), (D(-4), "approved", original.id, "safety"),
        (D(3), "approved", None, "safety")]
    assert _total(world.volunteer) == 3
    [t] = totals.volunteer_totals(world.school.id, totals.Period("all", "all"))
    assert (t.approved, t.entries) == (3, 1)  # the replacement stands for the one occasion
    assert totals.by_activity([HourEntry.volunteer_id == world.volunteer.id]) == [(zh("Safety patrol"), 3)]


def test_a_correction_needs_a_short_reason(world, coord):
    original = _approved(world.volunteer, coord, "4")
    _refused(lambda: ledger.reverse(coord, original, "", "3", TODAY), "reason")
    _refused(lambda: ledger.reverse(coord, original, "   ", "3", TODAY), "reason")
    _refused(lambda: ledger.reverse(coord, original, "因" * 201, "3", TODAY), "reason")
    assert ledger.reverse(coord, original, "因" * 200, "3", TODAY)


def test_a_row_is_corrected_once(world, coord):
    original = _approved(world.volunteer, coord, "4")
    ledger.reverse(coord, original, "实际3小时", "3", TODAY)
    again = _fresh(HourEntry, original.id)
    _refused(lambda: ledger.reverse(coord, again, "再改一次", "2", TODAY), None,
             zh("These hours were already corrected."))
    _refused(lambda: ledger.reverse(coord, again, "取消", "", TODAY), None, zh("These hours were already corrected."))
    assert _total(world.volunteer) == 3


def test_a_correction_racing_another_is_stopped_by_the_database(world, coord):
    """Two offices opened the row before either corrected it: the unique reverses_id refuses the second."""
    original = _approved(world.volunteer, coord, "4")
    ledger.reverse(coord, original, "活动取消", "", TODAY)
    stale = _fresh(HourEntry, original.id)
    set_committed_value(stale, "reversal", None)  # as loaded before the other correction committed
    _refused(lambda: ledger.reverse(coord, stale, "也取消", "", TODAY), None, zh("These hours were already corrected."))
    assert _total(world.volunteer) == 0


@pytest.mark.parametrize("corrected", ["4", "4.0", " 4 "])
def test_corrected_hours_equal_to_the_original_are_refused(world, coord, corrected):
    original = _approved(world.volunteer, coord, "4")
    _refused(lambda: ledger.reverse(coord, original, "核对", corrected, TODAY), "corrected")


@pytest.mark.parametrize("corrected", ["0", "0.3", "13", "abc", "NaN", "-2", "1e-999999999999"])
def test_bad_corrected_hours_are_refused(world, coord, corrected):
    original = _approved(world.volunteer, coord, "4")
    _refused(lambda: ledger.reverse(coord, original, "核对", corrected, TODAY), "corrected")


def test_corrected_hours_may_not_push_the_day_over_12(world, coord, me):
    original = _approved(world.volunteer, coord, "8")
    _log(me, world.volunteer, hours="3")
    _refused(lambda: ledger.reverse(coord, original, "实际10小时", "10", TODAY), "corrected")
    assert _total(world.volunteer) == 8
    ledger.reverse(coord, _fresh(HourEntry, original.id), "实际9小时", "9", TODAY)
    assert _total(world.volunteer) == 9
    assert ledger.day_total(world.volunteer.id, TODAY) == 12


def test_a_replacement_row_can_itself_be_corrected(world, coord):
    original = _approved(world.volunteer, coord, "4")
    ledger.reverse(coord, original, "实际3小时", "3", TODAY)
    replacement = db.session.scalar(select(HourEntry).where(HourEntry.hours == 3))
    ledger.reverse(coord, replacement, "实际2小时", "2", TODAY)
    assert _total(world.volunteer) == 2
    assert ledger.day_total(world.volunteer.id, TODAY) == 2


# --- totals ------------------------------------------------------------------------------------

@pytest.fixture
def terms(world):
    """The term today falls in and an earlier one, with a holiday between them."""
    now = Term(school_id=world.school.id, name="本学期", starts_on=TODAY - timedelta(days=60),
               ends_on=TODAY + timedelta(days=60))
    earlier = Term(school_id=world.school.id, name="上学期", starts_on=TODAY - timedelta(days=250),
                   ends_on=TODAY - timedelta(days=100))
    db.session.add_all([now, earlier])
    db.session.commit()
    return now, earlier


def test_summary_totals_a_volunteers_hours(world, coord, terms):
    now, earlier = terms
    vol = world.volunteer
    in_now = TODAY
    in_earlier = earlier.starts_on + timedelta(days=10)
    holiday = earlier.ends_on + timedelta(days=5)  # between the terms
    long_ago = earlier.starts_on - timedelta(days=400)
    _approved(vol, coord, "2", day=in_now, activity="lecture")
    _approved(vol, coord, "3", day=in_earlier, activity="safety")
    _approved(vol, coord, "1.5", day=holiday, activity="lecture")
    _approved(vol, coord, "4", day=long_ago, activity="home_visit")
    factories.hour_entry(vol, coord, "1", day=TODAY)  # pending
    factories.hour_entry(vol, coord, "5", day=TODAY, status="rejected", reason="x")
    other = factories.volunteer(world.school, "李桂英")
    _approved(other, coord, "7", day=TODAY)

    s = totals.summary(vol, TODAY)
    this_year = sum((h for d, h in ((in_now, 2), (in_earlier, 3), (holiday, D("1.5")), (long_ago, 4))
                     if d.year == YEAR), D(0))
    assert (s.total, s.year, s.term, s.term_name, s.pending) == (D("10.5"), this_year, 2, "本学期", 1)
    assert s.by_term == [("本学期", 2), ("上学期", 3), (zh("Outside school terms"), D("5.5"))]
    assert zh("Outside school terms") == "学期以外"
    assert s.by_activity == [(zh("Talk or class"), D("3.5")), (zh("Home visit"), 4), (zh("Safety patrol"), 3)]
    assert s.progress.year_hours == this_year


def test_summary_counts_a_correction(world, coord, terms):
    original = _approved(world.volunteer, coord, "6")
    ledger.reverse(coord, original, "实际2小时", "2", TODAY)
    s = totals.summary(_fresh(type(world.volunteer), world.volunteer.id), TODAY)
    assert (s.total, s.year, s.term) == (2, 2, 2)
    assert s.by_term == [("本学期", 2)]


@pytest.fixture
def three(world, coord):
    """Three volunteers of different kinds with different hours, and one of another school."""
    zhang = world.volunteer  # 张建国, 老教师
    li = factories.volunteer(world.school, "李桂英", kind="老干部")
    wang = factories.volunteer(world.school, "王志强", kind="老战士")
    _approved(li, coord, "10")
    _approved(li, coord, "2", day=date(YEAR - 1, 6, 1))
    original = _approved(zhang, coord, "4", day=TODAY - timedelta(days=1) if TODAY.day > 1 else TODAY)
    ledger.reverse(coord, original, "实际5小时", "5", TODAY)
    factories.hour_entry(zhang, coord, "2", day=TODAY)  # pending
    factories.hour_entry(wang, coord, "3", day=TODAY, status="rejected", reason="x")
    far = factories.volunteer(world.far, "钱老师", kind="老干部")
    _approved(far, factories.user(world.far, "admin"), "9")
    return zhang, li, wang


def _names(rows):
    return [r.volunteer.name for r in rows]


def test_volunteer_totals_lists_most_hours_first(world, three):
    zhang, li, wang = three
    rows = totals.volunteer_totals(world.school.id, totals.Period("all", "all"))
    assert _names(rows) == ["李桂英", "张建国", "王志强"]
    # 张建国: the corrected row and its replacement are entries, the reversal is not.
    assert [(r.approved, r.pending, r.entries) for r in rows[:2]] == [(12, 0, 2), (5, 2, 2)]
    assert (rows[2].approved, rows[2].pending) == (0, 0)


def test_volunteer_totals_by_period(world, three):
    year = totals.volunteer_totals(world.school.id, totals.year_period(YEAR))
    assert [(r.volunteer.name, r.approved) for r in year] == [("李桂英", 10), ("张建国", 5), ("王志强", 0)]
    last = totals.volunteer_totals(world.school.id, totals.year_period(YEAR - 1))
    # A tie is broken by the pinyin initials: wzq before zjg.
    assert [(r.volunteer.name, r.approved, r.entries) for r in last] == [("李桂英", 2, 1), ("王志强", 0, 0),
                                                                          ("张建国", 0, 0)]


@pytest.mark.parametrize("kind, q, names", [
    ("老干部", "", ["李桂英"]), ("老战士", "", ["王志强"]), ("老模范", "", []), ("不是类别", "", ["李桂英", "张建国", "王志强"]),
    ("", "李", ["李桂英"]), ("", "zjg", ["张建国"]), ("", "ZJ", ["张建国"]), ("", "w", ["王志强"]),
    ("", "志", ["王志强"]), ("", "xyz", []), ("老干部", "张", []),
])
def test_volunteer_totals_filter_by_kind_and_search(world, three, kind, q, names):
    assert _names(totals.volunteer_totals(world.school.id, totals.Period("all", "all"), kind, q)) == names


def test_an_inactive_volunteer_without_hours_is_left_out(world, coord, three):
    zhang, li, wang = three
    wang.active = False
    li.active = False
    db.session.commit()
    assert _names(totals.volunteer_totals(world.school.id, totals.Period("all", "all"))) == ["李桂英", "张建国"]


def test_by_kind_lists_all_five_kinds(world, three):
    rows = totals.by_kind(world.school.id, totals.Period("all", "all"))
    assert [k for k, _h, _n in rows] == list(VOLUNTEER_KINDS)
    assert {k: (h, n) for k, h, n in rows} == {"老干部": (12, 1), "老战士": (0, 0), "老专家": (0, 0),
                                               "老教师": (5, 1), "老模范": (0, 0)}
    last_year = {k: (h, n) for k, h, n in totals.by_kind(world.school.id, totals.year_period(YEAR - 1))}
    assert last_year["老干部"] == (2, 1) and last_year["老教师"] == (0, 0)


def test_by_kind_with_no_hours_at_all(world):
    assert totals.by_kind(world.school.id, totals.Period("all", "all")) == [(k, 0, 0) for k in VOLUNTEER_KINDS]


def test_periods_offer_years_terms_and_all_time(world, coord, terms):
    now, earlier = terms
    choices = totals.periods(world.school.id, TODAY)
    assert [p.key for p in choices] == [f"y{YEAR}", f"y{YEAR - 1}", f"y{YEAR - 2}", f"t{now.id}", f"t{earlier.id}",
                                        "all"]
    assert totals.period_from_arg(None, world.school.id, TODAY).key == f"y{YEAR}"
    assert totals.period_from_arg("t999999", world.school.id, TODAY).key == f"y{YEAR}"
    assert totals.period_from_arg("all", world.school.id, TODAY).key == "all"
    rows = [(earlier.starts_on, D(3)), (earlier.ends_on, D(2)), (earlier.ends_on + timedelta(days=1), D(1)),
            (earlier.starts_on - timedelta(days=1), D("0.5")), (date(YEAR - 3, 5, 5), D(4)), (date(YEAR, 1, 1), D(6)),
            (date(YEAR - 1, 12, 31), D("1.5"))]
    for day, hours in rows:
        _approved(world.volunteer, coord, hours, day=day)
    factories.hour_entry(world.volunteer, coord, "2", day=TODAY)  # pending: never in the approved figures
    by_period = {p.key: totals.volunteer_totals(world.school.id, p)[0].approved for p in choices}
    assert by_period[f"t{earlier.id}"] == 5
    assert by_period[f"t{now.id}"] == sum((h for d, h in rows if now.starts_on <= d <= now.ends_on), D(0))
    assert by_period["all"] == D(18)
    for back in range(3):
        assert by_period[f"y{YEAR - back}"] == sum((h for d, h in rows if d.year == YEAR - back), D(0))
    assert by_period[f"y{YEAR}"] >= 6 and by_period[f"y{YEAR - 1}"] >= D("1.5")


# --- recognition levels ------------------------------------------------------------------------

def test_the_default_levels_are_50_100_200(world):
    assert totals.levels(world.school.id) == [("一星志愿者", 50), ("二星志愿者", 100), ("三星志愿者", 200)]


def test_saved_levels_replace_the_defaults(world, coord):
    recognition.save_levels(coord, [("银牌", " 120 "), ("铜牌", "60"), ("", ""), ("金牌", "240.5")])
    assert totals.levels(world.school.id) == [("铜牌", 60), ("银牌", 120), ("金牌", D("240.5"))]
    assert totals.levels(world.far.id) == list(totals.DEFAULT_LEVELS)
    assert len(audits("hours.levels")) == 1


def _row_msg(msgid, n):
    return zh(msgid) % {"n": n}


@pytest.mark.parametrize("rows, message", [
    ([("", "50")], ("Row %(n)d: please give the level a name.", 1)),
    ([("铜牌", "50"), ("  ", "60")], ("Row %(n)d: please give the level a name.", 2)),
    ([("铜牌" * 16, "50")], ("Row %(n)d: please keep the name under 30 characters.", 1)),
    ([("铜牌", "abc")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "50"), ("银牌", "")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 2)),
    ([("铜牌", "0")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "-5")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "50.3")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "5000.5")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "NaN")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "Infinity")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "1e-999999999999")], ("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", 1)),
    ([("铜牌", "50"), ("银牌", "50.0")], "Two levels have the same name or the same hours. Please make each different."),
    ([("铜牌", "50"), ("铜牌", "60")], "Two levels have the same name or the same hours. Please make each different."),
    ([(f"第{i}级", str(10 * i)) for i in range(1, 8)], ("At most %(n)d levels.", 6)),
    ([], "Please keep at least one level."),
    ([("", ""), (" ", " ")], "Please keep at least one level."),
], ids=["no_name", "no_name_row2", "long_name", "abc", "empty_hours", "zero", "negative", "not_half", "too_many_hours",
        "nan", "infinity", "underflow", "same_hours", "same_name", "seven", "none", "blank_rows"])
def test_bad_levels_are_refused_whole(world, coord, rows, message):
    recognition.save_levels(coord, [("铜牌", "30"), ("银牌", "80")])
    before = totals.levels(world.school.id)
    with pytest.raises(DomainError) as err:
        recognition.save_levels(coord, rows)
    expected = _row_msg(*message) if isinstance(message, tuple) else zh(message)
    assert err.value.message == expected
    db.session.rollback()
    assert totals.levels(world.school.id) == before
    assert count(RecognitionLevel) == 2 and len(audits("hours.levels")) == 1


def test_six_levels_are_allowed(world, coord):
    recognition.save_levels(coord, [(f"第{i}级", str(10 * i)) for i in range(6, 0, -1)])
    assert [h for _n, h in totals.levels(world.school.id)] == [10, 20, 30, 40, 50, 60]


def test_recognition_puts_each_volunteer_in_their_highest_level_of_the_year(world, coord):
    names = ["甲", "乙", "丙", "丁", "戊", "己"]
    vols = {n: factories.volunteer(world.school, n) for n in names}
    _spread(vols["甲"], coord, 50)  # exactly the first level
    _spread(vols["乙"], coord, "99.5")
    _spread(vols["丙"], coord, 100)
    _spread(vols["丁"], coord, 260)
    _spread(vols["戊"], coord, "49.5")
    _spread(vols["己"], coord, 30)
    _spread(vols["己"], coord, 300, year=YEAR - 1)  # another year counts for that year only
    far = factories.volunteer(world.far, "庚")
    _spread(far, factories.user(world.far, "admin"), 300)
    groups = recognition.recognition(world.school.id, YEAR)
    assert [(level[0], [t.volunteer.name for t in rows]) for level, rows in groups] == [
        ("三星志愿者", ["丁"]), ("二星志愿者", ["丙"]), ("一星志愿者", ["乙", "甲"])]
    last = recognition.recognition(world.school.id, YEAR - 1)
    assert [(level[0], [t.volunteer.name for t in rows]) for level, rows in last] == [
        ("三星志愿者", ["己"]), ("二星志愿者", []), ("一星志愿者", [])]


def test_recognition_follows_saved_levels_and_ignores_pending_hours(world, coord):
    recognition.save_levels(coord, [("铜牌", "10"), ("银牌", "20")])
    a, b = factories.volunteer(world.school, "甲"), factories.volunteer(world.school, "乙")
    _spread(a, coord, 20)
    _spread(b, coord, "19.5")
    factories.hour_entry(b, coord, "5", day=TODAY)  # pending: not yet counted
    groups = recognition.recognition(world.school.id, YEAR)
    assert [(level[0], [t.volunteer.name for t in rows]) for level, rows in groups] == [
        ("银牌", ["甲"]), ("铜牌", ["乙"])]


@pytest.mark.parametrize("hours, reached, next_level, remaining, percent", [
    ("0", None, "一星志愿者", 50, 0),
    ("25", None, "一星志愿者", 25, 50),
    ("49.5", None, "一星志愿者", D("0.5"), 99),
    ("50", "一星志愿者", "二星志愿者", 50, 0),
    ("75", "一星志愿者", "二星志愿者", 25, 50),
    ("150", "二星志愿者", "三星志愿者", 50, 50),
    ("200", "三星志愿者", None, 0, 100),
    ("999", "三星志愿者", None, 0, 100),
])
def test_progress_towards_the_next_level(world, hours, reached, next_level, remaining, percent):
    p = totals.progress(totals.levels(world.school.id), D(hours))
    assert (p.reached and p.reached[0], p.next_level and p.next_level[0], p.remaining, p.percent) == (
        reached, next_level, remaining, percent)


def test_summary_progress_uses_this_years_hours(world, coord):
    _spread(world.volunteer, coord, 60)
    _spread(world.volunteer, coord, 100, year=YEAR - 1)
    p = totals.summary(world.volunteer, TODAY).progress
    assert (p.year_hours, p.reached[0], p.next_level[0], p.remaining, p.percent) == (60, "一星志愿者", "二星志愿者", 40, 20)


# --- service records ---------------------------------------------------------------------------

def test_a_corrected_entry_counts_as_one_occasion_on_the_record_and_in_the_totals(world, coord):
    start = TODAY - timedelta(days=30)
    corrected = _approved(world.volunteer, coord, "3", day=TODAY - timedelta(days=3))
    cancelled = _approved(world.volunteer, coord, "1", day=TODAY - timedelta(days=2))
    _approved(world.volunteer, coord, "2", day=TODAY)
    ledger.reverse(coord, corrected, "记错了", "2.5", TODAY)
    ledger.reverse(coord, cancelled, "没有去", None, TODAY)

    figures = json.loads(recognition.issue_record(coord, world.volunteer, start, TODAY, TODAY).breakdown)

    assert D(figures["total"]) == D("4.5") and figures["entries"] == 2  # the 2.5 replacing the 3, and the 2
    [total] = [t for t in totals.volunteer_totals(world.school.id, totals.period_from_arg("all", world.school.id,
                                                                                                TODAY))
               if t.volunteer.id == world.volunteer.id]
    assert total.entries == 2


def test_an_issued_record_keeps_its_figures(world, coord):
    start = TODAY - timedelta(days=30)
    _approved(world.volunteer, coord, "3", day=TODAY - timedelta(days=3), activity="safety")
    _approved(world.volunteer, coord, "2", day=TODAY)
    _approved(world.volunteer, coord, "8", day=start - timedelta(days=1))  # before the period
    later = factories.hour_entry(world.volunteer, coord, "4", day=TODAY - timedelta(days=1))  # pending
    rec = recognition.issue_record(coord, world.volunteer, start, TODAY, TODAY)
    assert (rec.serial, rec.total_hours, rec.period_from, rec.period_to) == (f"{YEAR}-0001", 5, start, TODAY)
    figures = json.loads(rec.breakdown)
    assert D(figures["total"]) == 5 and figures["entries"] == 2
    assert {a: D(h) for a, h in figures["by_activity"]} == {zh("Talk or class"): 2, zh("Safety patrol"): 3}
    [audit] = audits("hours.service_record")
    assert audit.object_id == rec.id

    ledger.review(coord, [later.id], "approve")
    ledger.reverse(coord, _fresh(HourEntry, later.id), "实际1小时", "1", TODAY)
    stored = _fresh(ServiceRecord, rec.id)
    assert stored.total_hours == 5 and json.loads(stored.breakdown) == figures
    again = recognition.issue_record(coord, world.volunteer, start, TODAY, TODAY)
    assert (again.serial, again.total_hours) == (f"{YEAR}-0002", 6)


def test_serials_run_per_school(world, coord):
    far_volunteer = factories.volunteer(world.far, "钱老师")
    far_admin = factories.user(world.far, "admin")
    other = factories.volunteer(world.school, "李桂英")
    for vol, by in ((world.volunteer, coord), (other, coord), (far_volunteer, far_admin)):
        _approved(vol, by, "2")
    serials = [recognition.issue_record(coord, world.volunteer, TODAY, TODAY, TODAY).serial,
               recognition.issue_record(coord, other, TODAY, TODAY, TODAY).serial,
               recognition.issue_record(far_admin, far_volunteer, TODAY, TODAY, TODAY).serial,
               recognition.issue_record(coord, world.volunteer, TODAY, TODAY, TODAY).serial]
    assert serials == [f"{YEAR}-0001", f"{YEAR}-0002", f"{YEAR}-0001", f"{YEAR}-0003"]
    assert [r.serial for r in recognition.records_of(world.volunteer)] in (
        [f"{YEAR}-0003", f"{YEAR}-0001"], [f"{YEAR}-0001", f"{YEAR}-0003"])
    assert len(recognition.records_of(world.volunteer)) == 2


def test_serials_restart_with_a_new_year(world, coord):
    _approved(world.volunteer, coord, "2", day=date(YEAR, 1, 1))
    db.session.add(ServiceRecord(school_id=world.school.id, serial=f"{YEAR - 1}-0007", volunteer_id=world.volunteer.id,
                                 period_from=date(YEAR - 1, 1, 1), period_to=date(YEAR - 1, 12, 31), total_hours=D(1),
                                 issued_by_id=coord.id))
    db.session.commit()
    assert recognition.issue_record(coord, world.volunteer, date(YEAR, 1, 1), TODAY, TODAY).serial == f"{YEAR}-0001"


def test_records_are_refused_without_approved_hours_or_with_a_bad_period(world, coord):
    vol = world.volunteer
    factories.hour_entry(vol, coord, "2", day=TODAY)  # pending only
    _refused(lambda: recognition.issue_record(coord, vol, TODAY - timedelta(days=10), TODAY, TODAY), "period_from")
    _approved(vol, coord, "2", day=TODAY - timedelta(days=20))
    _refused(lambda: recognition.issue_record(coord, vol, TODAY - timedelta(days=10), TODAY, TODAY), "period_from")
    _refused(lambda: recognition.issue_record(coord, vol, TODAY - timedelta(days=30), TODAY + timedelta(days=1), TODAY),
             "period_to")
    _refused(lambda: recognition.issue_record(coord, vol, TODAY, TODAY - timedelta(days=30), TODAY), "period_to")
    _refused(lambda: recognition.issue_record(coord, vol, None, TODAY, TODAY), "period_from")
    _refused(lambda: recognition.issue_record(coord, vol, TODAY, None, TODAY), "period_to")
    # Cancelled hours are no hours.
    original = db.session.scalar(select(HourEntry).where(HourEntry.status == "approved"))
    ledger.reverse(coord, original, "取消", "", TODAY)
    _refused(lambda: recognition.issue_record(coord, vol, TODAY - timedelta(days=30), TODAY, TODAY), "period_from")
    assert count(ServiceRecord) == 0
