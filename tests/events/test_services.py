"""The event services as families, volunteers and the committee office meet them: registering for an event through
the shared seat service, saving an event, helpers signing up, attendance and hours after the event, photos, the
行事历 and the private calendar feed."""
import os
import struct
import zlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.errors import DomainError
from portal.events import access, after, calendar, photos, signup, transfer
from portal.events import feed as private_feed
from portal.events import services as events
from portal.events.models import Event, EventHelper, EventPhoto, Partner
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.events.common import (
    event_for,
    event_positions,
    event_reg,
    event_regs,
    fresh_event,
    helpers_of,
    rows,
    undated,
)
from tests.factories import zh
from tests.helpers import audits, count
from tests.parent_school.common import reg_of, session_for


@pytest.fixture
def parent(world):
    return world.users["parent"]


@pytest.fixture
def office(world):
    return world.users["coordinator"]


def message(excinfo):
    return excinfo.value.message


def statuses(event, children):
    return [(r.status if r else None) for r in (event_reg(event, c) for c in children)]


# === 1. Families registering for an event ============================================================

def test_families_take_the_seats_and_then_wait_in_order(world, parent):
    e = event_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 5)

    results = [seats.register(e, k, parent) for k in kids]

    assert [created for _, created in results] == [True] * 5
    assert statuses(e, kids) == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert event_positions(e.id) == [1, 2, 3]
    assert seats.waiting_position(event_reg(e, kids[4])) == 3
    e = fresh_event(e.id)
    assert (e.taken, e.free, e.queue_no) == (2, 0, 5)
    assert e.state(seats.local_now()) == "full"
    regs = event_regs(e.id)
    assert [r.seq for r in regs] == [1, 2, 3, 4, 5]
    assert all(r.event_id == e.id and r.session_id is None and r.holder.id == e.id for r in regs)
    assert all(len(r.code) == seats.CODE_LENGTH and set(r.code) <= set(seats.CODE_ALPHABET) for r in regs)
    assert len({r.code for r in regs}) == 5


def test_registering_again_keeps_the_place(world, parent):
    e = event_for(world, capacity=1)
    first, second = factories.families_with_children(world.own_class, 2)
    reg, _ = seats.register(e, first, parent)
    seats.register(e, second, parent)

    again, created = seats.register(e, first, parent)
    waiting, created_waiting = seats.register(e, second, parent)

    assert (created, created_waiting) == (False, False)
    assert (again.id, again.status, again.seq) == (reg.id, "confirmed", 1)
    assert (waiting.status, seats.waiting_position(waiting)) == ("waitlisted", 1)
    assert count(Registration) == 2 and (fresh_event(e.id).taken, fresh_event(e.id).queue_no) == (1, 2)


def test_a_cancelled_seat_goes_to_the_first_waiting_family(world, parent):
    e = event_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 5)
    for k in kids:
        seats.register(e, k, parent)

    promoted = seats.cancel(event_reg(e, kids[0]), parent)

    assert [p.family_id for p in promoted] == [kids[2].family_id]
    assert statuses(e, kids) == ["cancelled", "confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert event_reg(e, kids[2]).promoted_at is not None and event_reg(e, kids[0]).cancelled_at is not None
    assert event_positions(e.id) == [1, 2]
    assert fresh_event(e.id).taken == 2

    # Leaving the waiting list frees no seat; the others move up.
    assert seats.cancel(event_reg(e, kids[3]), parent) == []
    assert statuses(e, kids)[3:] == ["cancelled", "waitlisted"]
    assert seats.waiting_position(event_reg(e, kids[4])) == 1 and fresh_event(e.id).taken == 2


def test_the_freed_seat_and_its_promotion_are_one_transaction(world, parent, monkeypatch):
    """If handing the seat on fails, the cancellation is not saved on its own: no seat is lost in between."""
    e = event_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    for k in kids:
        seats.register(e, k, parent)

    def broken(*args, **kw):
        raise RuntimeError("promotion failed")

    monkeypatch.setattr(seats, "promote", broken)
    with pytest.raises(RuntimeError):
        seats.cancel(event_reg(e, kids[0]), parent)
    db.session.rollback()  # what the request's teardown does

    assert statuses(e, kids) == ["confirmed", "waitlisted"] and fresh_event(e.id).taken == 1


@pytest.mark.parametrize("audience, who", [
    ({"grades": (1, 7)}, "一年级、初一"),
    ({"classes": "other"}, "四年级1班"),
])
def test_an_event_for_other_families_refuses_with_a_message(world, parent, audience, who):
    if audience.get("classes"):
        audience = {"classes": [world.other_class]}
    e = event_for(world, capacity=5, **audience)

    with pytest.raises(DomainError) as err:
        seats.register(e, world.pupil, parent)  # 三年级2班

    assert message(err) == zh("This event is for the families of %(who)s.", who=who)
    assert message(err).startswith("本活动面向") and err.value.field == "student_id"
    assert count(Registration) == 0 and (fresh_event(e.id).taken, fresh_event(e.id).queue_no) == (0, 0)


def test_the_audience_admits_its_grades_and_its_classes(world, parent):
    e = event_for(world, capacity=5, grades=(3,), classes=[world.other_class])
    grade_kid = factories.families_with_children(world.own_class, 1, "三年级")[0]
    class_kid = factories.families_with_children(world.other_class, 1, "四年级")[0]
    fifth = factories.families_with_children(factories.school_class(world.school, 5, "1班"), 1, "五年级")[0]

    assert [seats.register(e, k, parent)[0].status for k in (grade_kid, class_kid)] == ["confirmed", "confirmed"]
    with pytest.raises(DomainError) as err:
        seats.register(e, fifth, parent)
    assert message(err) == zh("This event is for the families of %(who)s.", who="三年级、四年级1班")
    assert fresh_event(e.id).taken == 2


@pytest.mark.parametrize("case, msgid", [
    ("cancelled", "This event has been cancelled."),
    ("held", "This event is over."),
    ("past", "This event is over."),
    ("after the deadline", "Registration for this event has closed."),
    ("started", "Registration for this event has closed."),
    ("no seats", "Registration for this event has closed."),
])
def test_registration_is_refused_when_the_event_is_not_open(world, parent, case, msgid):
    kw = {"capacity": 5}
    if case == "cancelled":
        kw["status"] = "cancelled"
    elif case == "held":
        kw["status"] = "done"
    elif case == "past":
        kw["starts_in_days"] = -1
    elif case == "no seats":
        kw = {"capacity": 0, "for_parents": True}
    e = event_for(world, **kw)
    now = {"after the deadline": e.closes_at, "started": e.starts_at + timedelta(minutes=5)}.get(case)

    with pytest.raises(DomainError) as err:
        seats.register(e, world.pupil, parent, now=now)

    assert message(err) == zh(msgid)
    assert count(Registration) == 0
    assert (fresh_event(e.id).taken, fresh_event(e.id).queue_no) == (0, 0)


def test_cancelling_the_event_stops_registration(world, parent, office):
    e = event_for(world, capacity=5)
    first, second = factories.families_with_children(world.own_class, 2)
    seats.register(e, first, parent)

    events.set_status(office, e, "cancelled", "暴雨预警")

    with pytest.raises(DomainError) as err:
        seats.register(fresh_event(e.id), second, parent)
    assert message(err) == zh("This event has been cancelled.")
    assert statuses(e, [first, second]) == ["confirmed", None]


def test_event_and_parent_school_registrations_never_mix(world, parent):
    e = event_for(world, capacity=1)
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 3)
    for k in kids:
        seats.register(e, k, parent)
        seats.register(s, k, parent)

    # Each holder has its own seats, queue and waiting list.
    assert statuses(e, kids) == ["confirmed", "waitlisted", "waitlisted"]
    assert [reg_of(s, k).status for k in kids] == ["confirmed", "waitlisted", "waitlisted"]
    assert [r.seq for r in event_regs(e.id)] == [1, 2, 3]
    assert [reg_of(s, k).seq for k in kids] == [1, 2, 3]
    assert event_positions(e.id) == [1, 2] and seats.waiting_position(reg_of(s, kids[2])) == 2
    assert count(Registration) == 6
    s_now = db.session.get(type(s), s.id)
    assert (fresh_event(e.id).taken, fresh_event(e.id).queue_no, s_now.taken, s_now.queue_no) == (1, 3, 1, 3)

    # Cancelling the event seat promotes for the event only.
    promoted = seats.cancel(event_reg(e, kids[0]), parent)
    assert [p.family_id for p in promoted] == [kids[1].family_id] and promoted[0].event_id == e.id
    assert [reg_of(s, k).status for k in kids] == ["confirmed", "waitlisted", "waitlisted"]
    assert seats.waiting_position(reg_of(s, kids[1])) == 1

    # A session's code does not check a family in at the event.
    code = reg_of(s, kids[0]).code
    with pytest.raises(DomainError) as err:
        seats.check_in(e, code, world.users["coordinator"])
    assert message(err) == zh("No family registered for this event has the code %(code)s.", code=code)
    assert reg_of(s, kids[0]).attended_at is None


def test_codes_and_queue_numbers_are_unique_per_holder_in_the_database(world, parent):
    e = event_for(world, capacity=5)
    s = session_for(world, capacity=5)
    kid, other = factories.families_with_children(world.own_class, 2)
    reg, _ = seats.register(e, kid, parent)
    code = reg.code

    def row(**kw):
        base = dict(school_id=world.school.id, family_id=other.family_id, student_id=other.id, class_id=other.class_id,
                    status="waitlisted", seq=9, code="ZZZZZZ", registered_by_id=parent.id)
        return Registration(**{**base, **kw})

    # The same code and number at a parent-school session is another holder's business.
    db.session.add(row(session_id=s.id, code=code, seq=1))
    db.session.commit()
    for clash in (dict(event_id=e.id, code=code), dict(event_id=e.id, seq=1),
                  dict(event_id=e.id, family_id=kid.family_id), dict(event_id=e.id, session_id=s.id),
                  dict()):
        db.session.add(row(**clash))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert rows(Registration, Registration.event_id == e.id) == 1
    assert rows(Registration, Registration.session_id == s.id) == 1


def test_the_database_refuses_an_overbooked_event(world, parent):
    e = event_for(world, capacity=1)
    seats.register(e, world.pupil, parent)
    fresh_event(e.id).taken = 2
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert fresh_event(e.id).taken == 1


# === 3. Saving an event ================================================================================

DAY = date.today() + timedelta(days=10)


def event_data(**over):
    data = {"title": "缅怀革命先烈，老少共祭英雄", "kind": "节日活动", "precision": "time", "day": DAY,
            "start": time(14), "end": time(16), "place": "学校报告厅", "partner_id": 0, "description": "清明节",
            "lead_ids": [], "lead_groups": "五年级组", "lead_volunteer_ids": [], "grades": [], "class_ids": [],
            "for_parents": True, "for_volunteers": False, "capacity": 30, "deadline_day": DAY - timedelta(days=1),
            "deadline_time": time(20), "helpers_needed": 2, "speakers_needed": 1}
    data.update(over)
    return data


def test_saving_an_event_keeps_what_was_given(world, office):
    partner = Partner(school_id=world.school.id, name="滨湖社区", kind="社区")
    db.session.add(partner)
    db.session.commit()
    teacher = world.users["teacher"]

    e = events.save_event(office, None, event_data(
        partner_id=partner.id, lead_ids=[teacher.id], lead_volunteer_ids=[world.volunteer.id], grades=[4, 3],
        class_ids=[world.own_class.id]))

    e = fresh_event(e.id)
    assert (e.title, e.kind, e.place, e.description, e.status) == (
        "缅怀革命先烈，老少共祭英雄", "节日活动", "学校报告厅", "清明节", "planned")
    assert (e.precision, e.starts_at, e.ends_at) == ("time", datetime.combine(DAY, time(14)),
                                                     datetime.combine(DAY, time(16)))
    assert (e.capacity, e.taken, e.deadline) == (30, 0, datetime.combine(DAY - timedelta(days=1), time(20)))
    assert (e.audience_grades, [c.id for c in e.classes], [u.id for u in e.leads]) == ("3,4", [world.own_class.id],
                                                                                       [teacher.id])
    assert (e.partner_id, e.helpers_needed, e.speakers_needed, e.created_by_id) == (partner.id, 2, 1, office.id)
    assert [(h.volunteer_id, h.role, h.status) for h in e.helpers] == [(world.volunteer.id, "lead", "confirmed")]
    assert events.responsible_text(e) == "teacher、五年级组、张建国"
    assert [a.object_id for a in audits("event.save")] == [e.id]


def test_without_a_deadline_registration_closes_at_the_start(world, office):
    e = events.save_event(office, None, event_data(deadline_day=None))
    assert fresh_event(e.id).deadline == datetime.combine(DAY, time(14))


@pytest.mark.parametrize("precision, day, starts", [
    ("day", date(2026, 3, 5), datetime(2026, 3, 5)),
    ("month", date(2026, 4, 17), datetime(2026, 4, 1)),
    ("half", date(2026, 10, 5), datetime(2026, 7, 1)),
    ("half", date(2026, 6, 30), datetime(2026, 1, 1)),
])
def test_an_entry_known_by_day_month_or_half_year_starts_at_its_first_day(world, office, precision, day, starts):
    e = events.save_event(office, None, event_data(precision=precision, day=day, capacity=0, for_parents=False))
    e = fresh_event(e.id)
    assert (e.precision, e.starts_at, e.ends_at, e.deadline, e.capacity) == (precision, starts, None, None, 0)


@pytest.mark.parametrize("over, field, msgid", [
    ({"kind": ""}, "kind", "Please choose the type of event."),
    ({"kind": "运动会"}, "kind", "Please choose the type of event."),
    ({"day": None}, "day", "Please give the date, e.g. 2026-03-05."),
    ({"start": None}, "start", "Please give the time, e.g. 19:00."),
    ({"end": time(14)}, "end", "The event must end after it starts."),
    ({"end": time(13)}, "end", "The event must end after it starts."),
    ({"precision": "day"}, "capacity", "Registration needs a date and a start time."),
    ({"precision": "month"}, "capacity", "Registration needs a date and a start time."),
    ({"for_parents": False}, "capacity", "Families register only for events open to parents."),
    ({"deadline_day": DAY + timedelta(days=1)}, "deadline_day", "Registration must close before the event starts."),
    ({"deadline_day": DAY, "deadline_time": time(14, 1)}, "deadline_day",
     "Registration must close before the event starts."),
    ({"grades": [3, 13]}, "grades", "Please choose grades from the list."),
    ({"title": ""}, "title", "Please give the event a title."),
    ({"title": "   "}, "title", "Please give the event a title."),
    ({"precision": "week", "capacity": 0}, "precision", "Please choose how precisely the date is known."),
    ({"deadline_time": None}, "deadline_time", "Please give the time, e.g. 19:00."),
])
def test_a_wrong_event_is_refused_beside_the_field_and_nothing_is_saved(world, office, over, field, msgid):
    with pytest.raises(DomainError) as err:
        events.save_event(office, None, event_data(**over))
    assert (err.value.field, message(err)) == (field, zh(msgid))
    assert count(Event) == 0 and count(EventHelper) == 0 and audits("event.save") == []


def test_a_title_longer_than_the_column_is_refused(world, office):
    with pytest.raises(DomainError) as err:
        events.save_event(office, None, event_data(title="长" * 101))
    assert (err.value.field, message(err)) == ("title", zh("At most %(max)d characters.", max=100))
    assert count(Event) == 0
    assert fresh_event(events.save_event(office, None, event_data(title="长" * 100)).id).title == "长" * 100


@pytest.mark.parametrize("case", ["far partner", "no such partner", "far lead", "parent as lead", "far volunteer",
                                  "far class", "lead id too big", "class id not a number"])
def test_choices_of_another_school_are_refused(world, office, case):
    far_partner = Partner(school_id=world.far.id, name="远方社区", kind="社区")
    db.session.add(far_partner)
    db.session.commit()
    far_user = factories.user(world.far, "teacher", "far_teacher")
    far_volunteer = factories.volunteer(world.far, "远方志愿者")
    over, field, msgid = {
        "far partner": ({"partner_id": far_partner.id}, "partner_id", "Please choose a partner from the list."),
        "no such partner": ({"partner_id": 99999}, "partner_id", "Please choose a partner from the list."),
        "far lead": ({"lead_ids": [world.users["teacher"].id, far_user.id]}, "lead_ids",
                     "Please choose staff from the list."),
        "parent as lead": ({"lead_ids": [world.users["parent"].id]}, "lead_ids", "Please choose staff from the list."),
        "far volunteer": ({"lead_volunteer_ids": [far_volunteer.id]}, "lead_volunteer_ids",
                          "Please choose volunteers from the list."),
        "far class": ({"class_ids": [world.own_class.id, world.far_class.id]}, "class_ids",
                      "Please choose classes from the list."),
        "lead id too big": ({"lead_ids": [2**40]}, "lead_ids", "Please choose staff from the list."),
        "class id not a number": ({"class_ids": ["三班"]}, "class_ids", "Please choose classes from the list."),
    }[case]

    with pytest.raises(DomainError) as err:
        events.save_event(office, None, event_data(**over))

    assert (err.value.field, message(err)) == (field, zh(msgid))
    assert count(Event) == 0 and count(EventHelper) == 0


def test_seats_cannot_drop_below_the_families_holding_them(world, office, parent):
    e = events.save_event(office, None, event_data(capacity=5))
    kids = factories.families_with_children(world.own_class, 3)
    for k in kids:
        seats.register(e, k, parent)

    with pytest.raises(DomainError) as err:
        events.save_event(office, fresh_event(e.id), event_data(capacity=2, title="改过的标题"))

    assert (err.value.field, message(err)) == ("capacity", zh("%(n)d families already hold seats; the seats cannot be "
                                                              "fewer.", n=3))
    e = fresh_event(e.id)
    assert (e.title, e.capacity, e.taken) == ("缅怀革命先烈，老少共祭英雄", 5, 3)
    assert statuses(e, kids) == ["confirmed"] * 3 and len(audits("event.save")) == 1

    events.save_event(office, e, event_data(capacity=3))
    assert (fresh_event(e.id).capacity, fresh_event(e.id).taken) == (3, 3)


def test_more_seats_go_to_the_waiting_families_in_order(world, office, parent):
    e = events.save_event(office, None, event_data(capacity=1))
    kids = factories.families_with_children(world.own_class, 4)
    for k in kids:
        seats.register(e, k, parent)

    events.save_event(office, fresh_event(e.id), event_data(capacity=3))

    assert statuses(e, kids) == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert event_positions(e.id) == [1] and fresh_event(e.id).taken == 3


@pytest.mark.parametrize("role", ["helper", "speaker"])
def test_helper_places_cannot_drop_below_the_volunteers_signed_up(world, office, role):
    e = events.save_event(office, None, event_data(helpers_needed=2, speakers_needed=2,
                                                   lead_volunteer_ids=[world.volunteer.id]))
    for name in ("李秀英", "王德明"):
        signup.sign_up(fresh_event(e.id), factories.volunteer(world.school, name), role, office)

    with pytest.raises(DomainError) as err:
        events.save_event(office, fresh_event(e.id), event_data(**{f"{role}s_needed": 1, "title": "改过的标题"}))

    assert (err.value.field, message(err)) == (
        f"{role}s_needed", zh("%(n)d volunteers have already signed up; ask fewer of them to withdraw first.", n=2))
    e = fresh_event(e.id)
    assert (e.title, e.helpers_needed, e.speakers_needed) == ("缅怀革命先烈，老少共祭英雄", 2, 2)
    assert len(helpers_of(e.id, "confirmed")) == 3  # the lead is not counted among the places


def test_taking_a_volunteer_off_the_leads_cancels_the_role(world, office):
    other = factories.volunteer(world.school, "李秀英")
    e = events.save_event(office, None, event_data(lead_volunteer_ids=[world.volunteer.id, other.id]))
    events.save_event(office, fresh_event(e.id), event_data(lead_volunteer_ids=[other.id]))
    assert {(h.volunteer_id, h.status) for h in helpers_of(e.id)} == {(world.volunteer.id, "cancelled"),
                                                                       (other.id, "confirmed")}
    assert events.lead_volunteer_ids(fresh_event(e.id)) == [other.id]


# === 4. Volunteers signing up; the event's status ========================================================

def test_a_volunteer_signs_up_and_the_places_run_out(world, office):
    e = event_for(world, helpers=2, speakers=1)
    vols = [world.volunteer] + [factories.volunteer(world.school, n) for n in ("李秀英", "王德明", "赵国庆")]

    first = signup.sign_up(e, vols[0], "helper", office)
    signup.sign_up(fresh_event(e.id), vols[1], "helper", office)
    signup.sign_up(fresh_event(e.id), vols[2], "speaker", office)

    assert (first.role, first.status, first.added_by_id) == ("helper", "confirmed", office.id)
    for role in ("helper", "speaker"):
        with pytest.raises(DomainError) as err:
            signup.sign_up(fresh_event(e.id), vols[3], role, office)
        assert message(err) == zh("All places have been taken. Thank you all the same!")
    assert [(h.volunteer_id, h.role) for h in helpers_of(e.id)] == [(vols[0].id, "helper"), (vols[1].id, "helper"),
                                                                    (vols[2].id, "speaker")]
    assert (signup.open_places(fresh_event(e.id), "helper"), signup.open_places(fresh_event(e.id), "speaker")) == (0, 0)
    assert len(audits("event.sign_up")) == 3


def test_signing_up_twice_or_as_a_lead_is_refused(world, office):
    e = event_for(world, helpers=3, speakers=1)
    lead = factories.volunteer(world.school, "李秀英")
    e.helpers.append(EventHelper(school_id=e.school_id, volunteer_id=lead.id, role="lead", added_by_id=office.id))
    db.session.commit()
    signup.sign_up(fresh_event(e.id), world.volunteer, "helper", office)

    for vol, role, label in ((world.volunteer, "speaker", "Helper"), (lead, "helper", "Responsible")):
        with pytest.raises(DomainError) as err:
            signup.sign_up(fresh_event(e.id), vol, role, office)
        assert message(err) == zh("You are already on this event as %(role)s.", role=zh(label))
    assert [(h.volunteer_id, h.role) for h in helpers_of(e.id)] == [(lead.id, "lead"), (world.volunteer.id, "helper")]


@pytest.mark.parametrize("case, msgid, field", [
    ("role", "Please choose to help or to speak.", "role"),
    ("far volunteer", "Please choose an active volunteer.", None),
    ("inactive", "Please choose an active volunteer.", None),
    ("cancelled", "This event no longer takes sign-ups.", None),
    ("held", "This event no longer takes sign-ups.", None),
    ("started", "This event no longer takes sign-ups.", None),
])
def test_sign_ups_that_are_refused(world, office, case, msgid, field):
    e = event_for(world, helpers=3, status={"cancelled": "cancelled", "held": "done"}.get(case, "planned"))
    vol = world.volunteer
    if case == "far volunteer":
        vol = factories.volunteer(world.far, "远方志愿者")
    elif case == "inactive":
        vol.active = False
        db.session.commit()
    now = e.starts_at if case == "started" else None

    with pytest.raises(DomainError) as err:
        signup.sign_up(e, vol, "lead" if case == "role" else "helper", office, now=now)

    assert (message(err), err.value.field) == (zh(msgid), field)
    assert count(EventHelper) == 0


def test_a_month_only_entry_takes_sign_ups_during_its_month(world, office):
    e = undated(world, "社区清洁日", "month", seats.local_now().date().replace(day=1), helpers=1)
    helper = signup.sign_up(e, world.volunteer, "helper", office)
    assert helper.status == "confirmed" and len(helpers_of(e.id, "confirmed")) == 1


def test_withdrawing_frees_the_place_and_signing_up_again_reuses_the_row(world, office):
    e = event_for(world, helpers=1)
    other = factories.volunteer(world.school, "李秀英")
    me = factories.user(world.school, "volunteer", "vol_li", volunteer_id=other.id)
    helper = signup.sign_up(e, world.volunteer, "helper", office)

    signup.withdraw(helper, world.users["volunteer"])
    assert [h.status for h in helpers_of(e.id)] == ["cancelled"]
    signup.sign_up(fresh_event(e.id), other, "helper", me)
    signup.withdraw(helpers_of(e.id, "confirmed")[0], me)
    again = signup.sign_up(fresh_event(e.id), world.volunteer, "helper", office)

    assert again.id == helper.id and again.status == "confirmed"
    assert [(h.volunteer_id, h.status) for h in helpers_of(e.id)] == [(world.volunteer.id, "confirmed"),
                                                                       (other.id, "cancelled")]
    assert len(audits("event.withdraw")) == 2


def test_after_the_start_only_the_office_takes_a_volunteer_off(world, office):
    e = event_for(world, helpers=1)
    helper = signup.sign_up(e, world.volunteer, "helper", office)
    started = e.starts_at + timedelta(minutes=1)

    with pytest.raises(DomainError) as err:
        signup.withdraw(helper, world.users["volunteer"], now=started)
    assert message(err) == zh("The event has started; please tell the committee office.")
    assert [h.status for h in helpers_of(e.id)] == ["confirmed"]

    signup.withdraw(helpers_of(e.id)[0], office, now=started)
    assert [h.status for h in helpers_of(e.id)] == ["cancelled"]


def test_cancelling_needs_a_reason(world, office):
    e = event_for(world, capacity=5)
    with pytest.raises(DomainError) as err:
        events.set_status(office, e, "cancelled", "")
    assert (err.value.field, message(err)) == ("reason", zh("Please say why, for the families and volunteers."))
    assert (fresh_event(e.id).status, audits("event.cancelled")) == ("planned", [])

    events.set_status(office, fresh_event(e.id), "cancelled", "暴雨预警")
    e = fresh_event(e.id)
    assert (e.status, e.cancel_reason) == ("cancelled", "暴雨预警")
    assert e.state(seats.local_now()) == "cancelled"
    assert [a.detail for a in audits("event.cancelled")] == ["暴雨预警"]

    events.set_status(office, e, "planned")  # planned again: the reason goes
    assert (fresh_event(e.id).status, fresh_event(e.id).cancel_reason) == ("planned", "")


def test_an_event_is_marked_held_only_once_it_has_started(world, office):
    e = event_for(world)
    with pytest.raises(DomainError) as err:
        events.set_status(office, e, "done", now=e.starts_at - timedelta(minutes=1))
    assert message(err) == zh("An event can be marked as held once it has started.")
    assert fresh_event(e.id).status == "planned"

    events.set_status(office, fresh_event(e.id), "done", now=e.starts_at)
    assert fresh_event(e.id).status == "done"


def test_an_unknown_status_is_refused(world, office):
    e = event_for(world, starts_in_days=-1)
    with pytest.raises(DomainError) as err:
        events.set_status(office, e, "postponed", "下周再办")
    assert message(err) == zh("Please choose a status.") and fresh_event(e.id).status == "planned"


# === 5. After the event: attendance and hours ==============================================================

@pytest.fixture
def held(world, office):
    """An event that took place yesterday with three volunteer helpers (signed up before it)."""
    e = event_for(world, starts_in_days=-1, helpers=3, title="社区服务日")
    vols = [world.volunteer, factories.volunteer(world.school, "李秀英"), factories.volunteer(world.school, "王德明")]
    before = e.starts_at - timedelta(days=2)
    helpers = [signup.sign_up(fresh_event(e.id), v, "helper", office, now=before) for v in vols]
    return fresh_event(e.id), helpers


def hour_entries():
    db.session.expire_all()
    return db.session.scalars(select(HourEntry).order_by(HourEntry.id)).all()


def attendance(event_id):
    return [(h.attended, h.hour_entry_id is not None) for h in helpers_of(event_id)]


def test_attendance_and_hours_in_one_step(world, office, held):
    e, helpers = held
    day, today = e.starts_at.date(), date.today()
    claims = [after.HelperClaim(helpers[0], True, "2.5"), after.HelperClaim(helpers[1], True, ""),
              after.HelperClaim(helpers[2], False, "3")]

    made = after.record_helpers(office, e, claims, day, today)

    assert made == 1
    assert attendance(e.id) == [(True, True), (True, False), (False, False)]
    [entry] = hour_entries()
    assert (entry.volunteer_id, entry.hours, entry.worked_on, entry.status) == (
        world.volunteer.id, Decimal("2.5"), day, "pending")
    assert (entry.activity, entry.event_id, entry.note, entry.entered_by_id, entry.on_behalf) == (
        "event", e.id, "社区服务日", office.id, True)
    assert helpers_of(e.id)[0].hour_entry_id == entry.id
    assert after.logged_hours(fresh_event(e.id)) == {world.volunteer.id: Decimal("2.5")}
    assert len(audits("event.attendance")) == 1


def test_recording_twice_does_not_log_the_hours_twice(world, office, held):
    e, helpers = held
    day, today = e.starts_at.date(), date.today()
    claims = lambda: [after.HelperClaim(h, True, "2") for h in helpers_of(e.id)]  # noqa: E731

    assert after.record_helpers(office, fresh_event(e.id), claims(), day, today) == 3
    assert after.record_helpers(office, fresh_event(e.id), claims(), day, today) == 0

    assert len(hour_entries()) == 3
    assert sorted(h.volunteer_id for h in hour_entries()) == sorted(h.volunteer_id for h in helpers)
    assert attendance(e.id) == [(True, True)] * 3

    # Ticked off afterwards: the entry stays on the ledger for review, it is not logged again when re-ticked.
    hs = helpers_of(e.id)
    after.record_helpers(office, fresh_event(e.id), [after.HelperClaim(hs[0], False, "")], day, today)
    after.record_helpers(office, fresh_event(e.id), [after.HelperClaim(helpers_of(e.id)[0], True, "2")], day, today)
    assert len(hour_entries()) == 3


@pytest.mark.parametrize("typed, msgid, kw", [
    ("0.3", "Hours go in half-hour steps, e.g. 0.5, 1 or 1.5.", {}),
    ("-1", "The hours must be more than 0.", {}),
    ("0", "The hours must be more than 0.", {}),
    ("abc", "Please enter the hours as a number, e.g. 1.5.", {}),
    ("13", "At most %(n)s hours can be recorded for one day.", {"n": Decimal("12")}),
    ("NaN", "The hours must be more than 0.", {}),
])
def test_one_bad_hours_value_saves_nothing(world, office, held, typed, msgid, kw):
    e, helpers = held
    claims = [after.HelperClaim(helpers[0], True, "2"), after.HelperClaim(helpers[1], True, typed),
              after.HelperClaim(helpers[2], False, "")]

    with pytest.raises(DomainError) as err:
        after.record_helpers(office, e, claims, e.starts_at.date(), date.today())

    assert (err.value.field, message(err)) == (f"hours-{helpers[1].id}", zh(msgid, **kw))
    assert hour_entries() == []
    assert attendance(e.id) == [(None, False)] * 3
    assert audits("event.attendance") == [] and audits("hours.on_behalf") == []


def test_hours_past_the_days_limit_save_nothing(world, office, held):
    e, helpers = held
    day = e.starts_at.date()
    factories.hour_entry(helpers[2].volunteer, office, hours="11", day=day, status="approved")
    claims = [after.HelperClaim(h, True, "2") for h in helpers]

    with pytest.raises(DomainError) as err:
        after.record_helpers(office, e, claims, day, date.today())

    assert err.value.field == f"hours-{helpers[2].id}"
    assert [(h.volunteer_id, h.hours) for h in hour_entries()] == [(helpers[2].volunteer_id, Decimal("11"))]
    assert attendance(e.id) == [(None, False)] * 3


def test_volunteers_of_another_event_are_refused(world, office, held):
    e, helpers = held
    other = event_for(world, starts_in_days=-1, helpers=1, title="另一场")
    stranger = signup.sign_up(other, factories.volunteer(world.school, "赵国庆"), "helper", office,
                              now=other.starts_at - timedelta(days=1))

    with pytest.raises(DomainError) as err:
        after.record_helpers(office, e, [after.HelperClaim(helpers[0], True, "2"),
                                          after.HelperClaim(stranger, True, "2")], e.starts_at.date(), date.today())

    assert message(err) == zh("Please choose volunteers of this event.")
    assert hour_entries() == [] and attendance(e.id)[0] == (None, False) and helpers_of(other.id)[0].attended is None


def test_family_attendance_ticks_and_unticks(world, office, parent):
    e = event_for(world, capacity=2, starts_in_days=-1)
    kids = factories.families_with_children(world.own_class, 3)
    before = e.deadline - timedelta(days=1)
    for k in kids:
        seats.register(e, k, parent, now=before)
    regs = {k.id: event_reg(e, k) for k in kids}
    assert [regs[k.id].status for k in kids] == ["confirmed", "confirmed", "waitlisted"]

    changed = after.family_attendance(office, fresh_event(e.id), {regs[k.id].id for k in kids})

    assert changed == 2  # the waiting family held no seat: not ticked
    got = [event_reg(e, k) for k in kids]
    assert [r.attended_at is not None for r in got] == [True, True, False]
    assert [r.checked_in_by_id for r in got] == [office.id, office.id, None]

    assert after.family_attendance(office, fresh_event(e.id), {regs[kids[1].id].id}) == 1
    assert [event_reg(e, k).attended_at is not None for k in kids] == [False, True, False]
    assert after.family_attendance(office, fresh_event(e.id), {regs[kids[1].id].id}) == 0
    assert len(audits("event.family_attendance")) == 3


# === 6. Photos ===========================================================================================

def _png() -> bytes:
    """A real 1×1 white PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
PNG = _png()


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    monkeypatch.setitem(app.config, "EVENT_PHOTO_DIR", str(folder))
    return folder


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("name, data, mime, ext", [("合影.jpg", JPEG, "image/jpeg", "jpg"),
                                                   ("截图.png", PNG, "image/png", "png"),
                                                   ("IMG_0001", JPEG, "image/jpeg", "jpg"),
                                                   ("photo.png", JPEG, "image/jpeg", "jpg")])
def test_a_jpeg_or_png_is_kept_by_its_signature(world, office, photo_dir, name, data, mime, ext):
    e = event_for(world, starts_in_days=-1)

    photo = photos.add(office, e, name, data)

    db.session.expire_all()
    [stored] = db.session.scalars(select(EventPhoto)).all()
    assert stored.id == photo.id
    assert (stored.event_id, stored.content_type, stored.size, stored.original_name, stored.uploaded_by_id) == (
        e.id, mime, len(data), name, office.id)
    assert stored.stored_name.startswith(f"{e.id}-") and stored.stored_name.endswith(f".{ext}")
    assert files_in(photo_dir) == [stored.stored_name]
    assert (photo_dir / stored.stored_name).read_bytes() == data
    assert photos.path_of(stored) == photo_dir / stored.stored_name
    assert [a.detail for a in audits("event.photo.add")] == [stored.stored_name]


@pytest.mark.parametrize("name, data, msgid, kw", [
    ("notes.jpg", "这不是照片".encode(), "Only JPEG or PNG photos can be added.", {}),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01", "Only JPEG or PNG photos "
     "can be added.", {}),
    ("scan.pdf", b"%PDF-1.4\n", "Only JPEG or PNG photos can be added.", {}),
    ("empty.jpg", b"", "The file is empty.", {}),
    ("big.jpg", JPEG + b"\x00" * 200, "The photo is larger than %(n)d MB. Please send a smaller one.", {"n": 0}),
])
def test_a_file_that_is_not_a_small_photo_is_refused_and_nothing_is_kept(app, world, office, photo_dir, monkeypatch,
                                                                         name, data, msgid, kw):
    monkeypatch.setitem(app.config, "EVENT_PHOTO_MAX_BYTES", 200)
    e = event_for(world, starts_in_days=-1)
    with pytest.raises(DomainError) as err:
        photos.add(office, e, name, data)
    assert message(err) == zh(msgid, **kw)
    assert count(EventPhoto) == 0 and files_in(photo_dir) == []


def test_a_photo_of_exactly_the_limit_is_kept(app, world, office, photo_dir, monkeypatch):
    data = JPEG + b"\x00" * (200 - len(JPEG))
    monkeypatch.setitem(app.config, "EVENT_PHOTO_MAX_BYTES", 200)
    photos.add(office, event_for(world), "ok.jpg", data)
    assert count(EventPhoto) == 1 and len(files_in(photo_dir)) == 1


def test_an_event_keeps_a_limited_number_of_photos(world, office, photo_dir, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTOS", 2)
    e = event_for(world)
    photos.add(office, e, "1.jpg", JPEG)
    photos.add(office, fresh_event(e.id), "2.png", PNG)
    with pytest.raises(DomainError) as err:
        photos.add(office, fresh_event(e.id), "3.jpg", JPEG)
    assert message(err) == zh("An event keeps at most %(n)d photos.", n=2)
    assert count(EventPhoto) == 2 and len(files_in(photo_dir)) == 2


@pytest.mark.parametrize("failing", ["audit", "commit"])
def test_a_failed_save_leaves_no_file_behind(world, office, photo_dir, monkeypatch, failing):
    """Before the file is moved into place (the audit row) or after it (the commit): no row, no file."""
    e = event_for(world)

    def broken(*args, **kw):
        raise RuntimeError("database went away")

    if failing == "audit":
        monkeypatch.setattr(photos, "record", broken)
    else:
        monkeypatch.setattr(db.session, "commit", broken)
    with pytest.raises(RuntimeError):
        photos.add(office, e, "合影.jpg", JPEG)
    monkeypatch.undo()
    assert count(EventPhoto) == 0 and files_in(photo_dir) == []


def test_control_characters_are_dropped_from_the_name(world, office, photo_dir):
    photo = photos.add(office, event_for(world), "合\x00影\n.jpg", JPEG)
    db.session.expire_all()
    assert db.session.get(EventPhoto, photo.id).original_name == "合影.jpg"


def test_by_default_photos_are_kept_under_the_instance_folder_never_static(monkeypatch):
    from portal import config

    if os.environ.get("EVENT_PHOTO_DIR"):
        pytest.skip("EVENT_PHOTO_DIR is set in this environment")
    folder = Path(config.Config.EVENT_PHOTO_DIR)
    assert folder == config.INSTANCE_DIR / "event-photos"
    assert "static" not in folder.parts


def test_the_default_limit_refuses_a_photo_over_4_mb(world, office, photo_dir):
    from portal.config import Config

    data = JPEG + b"\x00" * (Config.EVENT_PHOTO_MAX_BYTES + 1 - len(JPEG))
    with pytest.raises(DomainError) as err:
        photos.add(office, event_for(world), "大图.jpg", data)
    assert message(err) == zh("The photo is larger than %(n)d MB. Please send a smaller one.", n=4)
    assert count(EventPhoto) == 0 and files_in(photo_dir) == []


def test_deleting_a_photo_removes_its_file(world, office, photo_dir):
    e = event_for(world)
    keep = photos.add(office, e, "keep.png", PNG)
    gone = photos.add(office, fresh_event(e.id), "gone.jpg", JPEG)
    keep_name, gone_name = keep.stored_name, gone.stored_name

    photos.delete(office, gone)

    db.session.expire_all()
    assert [p.stored_name for p in db.session.scalars(select(EventPhoto))] == [keep_name]
    assert files_in(photo_dir) == [keep_name]
    assert [a.detail for a in audits("event.photo.delete")] == [gone_name]


# === 7. The 行事历 ============================================================================================

@pytest.mark.parametrize("key, today, expected", [
    ("2026-1", date(2026, 3, 10), ("2026-1", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31))),
    ("2026-2", date(2026, 3, 10), ("2026-2", "2026–2027学年第二学期", date(2027, 2, 1), date(2027, 8, 31))),
    ("2026", date(2026, 3, 10), ("2026", "2026–2027学年", date(2026, 9, 1), date(2027, 8, 31))),
    ("abc", date(2026, 3, 10), ("2025-2", "2025–2026学年第二学期", date(2026, 2, 1), date(2026, 8, 31))),
    (None, date(2026, 10, 1), ("2026-1", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31))),
    ("", date(2027, 1, 20), ("2026-1", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31))),
    ("2026-3", date(2026, 3, 10), ("2025-2", "2025–2026学年第二学期", date(2026, 2, 1), date(2026, 8, 31))),
    ("2026-1-1", date(2026, 3, 10), ("2025-2", "2025–2026学年第二学期", date(2026, 2, 1), date(2026, 8, 31))),
    ("-", date(2026, 3, 10), ("2025-2", "2025–2026学年第二学期", date(2026, 2, 1), date(2026, 8, 31))),
    ("1999", date(2026, 10, 1), ("2026-1", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31))),
    ("9" * 400, date(2026, 10, 1), ("2026-1", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31))),
])
def test_a_period_is_a_term_or_a_school_year_and_the_current_term_otherwise(key, today, expected):
    p = calendar.period(key, today)
    assert (p.key, p.name, p.starts, p.ends) == expected


@pytest.fixture
def term_one(world):
    """Entries of the 2026–2027 first term as the paper 行事历 has them, created out of order."""
    e = {
        "oct_talk": event_for(world, title="十月讲座", kind="讲座", starts_at=datetime(2026, 10, 12, 14)),
        "oct_month": undated(world, "十月待定", "month", date(2026, 10, 1), kind="节日活动"),
        "sep_day": event_for(world, title="开学典礼", kind="节日活动", precision="day", starts_at=datetime(2026, 9, 20)),
        "oct_day": event_for(world, title="国庆活动", kind="节日活动", precision="day", starts_at=datetime(2026, 10, 3)),
        "half": undated(world, "优质化建设考核", "half", date(2026, 7, 1), kind="评选申报"),
        "jan": event_for(world, title="期末家长会", kind="会议", starts_at=datetime(2027, 1, 8, 19)),
        "oct_month2": undated(world, "十月待定二", "month", date(2026, 10, 1), kind="其他"),
        # Outside the term:
        "aug_month": undated(world, "八月待定", "month", date(2026, 8, 1)),
        "aug_last": event_for(world, title="八月最后一天", precision="day", starts_at=datetime(2026, 8, 31)),
        "feb": event_for(world, title="下学期开学", starts_at=datetime(2027, 2, 1, 8)),
        "first_half": undated(world, "上半年考核", "half", date(2026, 1, 1)),
        "far": event_for(world, title="远方的活动", school_id=world.far.id, starts_at=datetime(2026, 10, 12, 14)),
    }
    return e


def test_calendar_events_of_a_term(world, term_one):
    p = calendar.period("2026-1", date(2026, 10, 1))
    got = calendar.calendar_events(world.school.id, p)
    expected = ["sep_day", "oct_month", "oct_month2", "oct_day", "oct_talk", "jan", "half"]
    assert {e.id for e in got} == {term_one[k].id for k in expected}


def test_month_groups_follow_the_paper_calendar(world, term_one):
    p = calendar.period("2026-1", date(2026, 10, 1))
    got = calendar.calendar_events(world.school.id, p)

    groups = calendar.month_groups(list(reversed(got)), p)

    ids = {v.id: k for k, v in term_one.items()}
    assert [(g.label, [ids[e.id] for e in g.events]) for g in groups] == [
        ("2026年9月", ["sep_day"]),
        ("2026年10月", ["oct_month", "oct_month2", "oct_day", "oct_talk"]),
        ("2027年1月", ["jan"]),
        ("2026年下半年", ["half"]),
    ]


def test_month_groups_of_a_term_within_one_year_say_only_the_month(world):
    a = event_for(world, title="三月", starts_at=datetime(2027, 3, 5, 14))
    b = undated(world, "三月待定", "month", date(2027, 3, 1))
    c = undated(world, "上半年", "half", date(2027, 1, 1))
    groups = calendar.month_groups([c, a, b], calendar.period("2026-2", date(2027, 3, 1)))
    assert [(g.label, [e.id for e in g.events]) for g in groups] == [("3月", [b.id, a.id]), ("2027年上半年", [c.id])]


def test_calendar_events_by_kind_and_month(world, term_one):
    p = calendar.period("2026-1", date(2026, 10, 1))
    by_kind = calendar.calendar_events(world.school.id, p, kind="节日活动")
    assert {e.id for e in by_kind} == {term_one[k].id for k in ("sep_day", "oct_day", "oct_month")}
    october = calendar.calendar_events(world.school.id, p, month=10)
    assert [e.id for e in october] == [term_one[k].id for k in ("oct_month", "oct_month2", "oct_day", "oct_talk")]
    # The half-year entry starts in July but belongs to no month.
    assert calendar.calendar_events(world.school.id, p, month=7) == []


@pytest.mark.parametrize("precision, starts, ends, text", [
    ("time", datetime(2026, 3, 5, 14), datetime(2026, 3, 5, 16), "3月5日 14:00–16:00"),
    ("time", datetime(2026, 3, 5, 9, 30), None, "3月5日 09:30"),
    ("time", datetime(2026, 3, 5, 14), datetime(2026, 3, 6, 10), "3月5日 14:00"),
    ("day", datetime(2026, 12, 25), None, "12月25日"),
    ("month", datetime(2026, 4, 1), None, "4月（日期待定）"),
    ("half", datetime(2026, 7, 1), None, "2026年下半年"),
    ("half", datetime(2027, 1, 1), None, "2027年上半年"),
])
def test_when_text(precision, starts, ends, text):
    assert calendar.when_text(Event(precision=precision, starts_at=starts, ends_at=ends)) == text


def visible_titles(world, user, p):
    got = calendar.calendar_events(world.school.id, p, user=user)
    # What the list shows is what the detail page lets the user open.
    every = calendar.calendar_events(world.school.id, p)
    assert {e.id for e in got} == {e.id for e in every if access.may_see(user, e)}
    return sorted(e.title for e in got)


def test_a_teacher_sees_the_events_they_lead_and_those_for_their_classes_or_the_whole_school(world):
    teacher = world.users["teacher"]  # 三年级2班
    day = datetime(2026, 10, 12, 14)
    event_for(world, title="我负责的", leads=[teacher], grades=(5,), starts_at=day)
    event_for(world, title="我的班", classes=[world.own_class], starts_at=day)
    event_for(world, title="三年级", grades=(3,), starts_at=day)
    event_for(world, title="三四年级", grades=(3, 4), starts_at=day)
    event_for(world, title="全校", leads=[world.users["coordinator"]], starts_at=day)
    event_for(world, title="四年级", grades=(4,), starts_at=day)
    event_for(world, title="别的班", classes=[world.other_class], starts_at=day)
    event_for(world, title="远方的", school_id=world.far.id, grades=(3,), starts_at=day)

    assert visible_titles(world, teacher, calendar.period("2026-1", date(2026, 10, 1))) == sorted(
        ["我负责的", "我的班", "三年级", "三四年级", "全校"])


def test_a_parent_sees_parent_events_for_the_childs_grade_class_or_school_and_those_registered_for(world):
    day = datetime(2026, 10, 12, 14)
    event_for(world, title="全校家长", for_parents=True, starts_at=day)
    event_for(world, title="三年级家长", for_parents=True, grades=(3,), starts_at=day)
    event_for(world, title="我孩子的班", for_parents=True, classes=[world.own_class], starts_at=day)
    event_for(world, title="四年级家长", for_parents=True, grades=(4,), starts_at=day)
    event_for(world, title="只给学生的", grades=(3,), starts_at=day)
    # Registered before the office narrowed the audience to 四年级: the family still sees it.
    taken = event_for(world, title="报过名的", capacity=5, starts_at=day)
    seats.register(taken, world.pupil, world.users["parent"], now=taken.deadline - timedelta(days=1))
    taken.audience_grades = "4"
    db.session.commit()

    for_term = calendar.period("2026-1", date(2026, 10, 1))
    assert visible_titles(world, world.users["parent"], for_term) == sorted(["全校家长", "三年级家长", "我孩子的班", "报过名的"])


def test_a_first_grade_teacher_does_not_see_senior_high_events(world):
    """Grades are stored as "1,10": a teacher of 一年级 is not the audience of an event for 高一 (10) or 高二 (12)."""
    first = factories.school_class(world.school, 1, "1班")
    teacher = factories.user(world.school, "teacher", "teacher_g1", classes=[first])
    day = datetime(2026, 10, 12, 14)
    event_for(world, title="一年级", grades=(1,), starts_at=day)
    event_for(world, title="一年级和初一", grades=(1, 7), starts_at=day)
    event_for(world, title="高一", grades=(10,), starts_at=day)
    event_for(world, title="高一高二", grades=(10, 11), starts_at=day)
    event_for(world, title="初三高三", grades=(9, 12), starts_at=day)

    assert visible_titles(world, teacher, calendar.period("2026-1", date(2026, 10, 1))) == sorted(["一年级", "一年级和初一"])


def test_a_volunteer_sees_events_open_to_volunteers_or_asking_for_help(world, office):
    day = datetime(2026, 10, 12, 14)
    event_for(world, title="志愿者开放", for_volunteers=True, starts_at=day)
    event_for(world, title="需要帮手", helpers=2, starts_at=day)
    event_for(world, title="需要讲师", speakers=1, starts_at=day)
    mine = event_for(world, title="我是责任人", starts_at=day)
    mine.helpers.append(EventHelper(school_id=mine.school_id, volunteer_id=world.volunteer.id, role="lead",
                                    added_by_id=office.id))
    db.session.commit()
    event_for(world, title="家长活动", capacity=20, starts_at=day)
    event_for(world, title="内部会议", kind="会议", starts_at=day)

    assert visible_titles(world, world.users["volunteer"], calendar.period("2026-1", date(2026, 10, 1))) == sorted(
        ["志愿者开放", "需要帮手", "需要讲师", "我是责任人"])


TODAY = date(2026, 3, 1)  # in the 2025–2026 school year


@pytest.mark.parametrize("text, expected", [
    ("3月5日", ("day", datetime(2026, 3, 5), None)),
    ("3月5号", ("day", datetime(2026, 3, 5), None)),
    ("9月1日", ("day", datetime(2025, 9, 1), None)),
    ("3月5日 14:00-16:00", ("time", datetime(2026, 3, 5, 14), datetime(2026, 3, 5, 16))),
    ("3月5日14：00—16：00", ("time", datetime(2026, 3, 5, 14), datetime(2026, 3, 5, 16))),
    ("3月5日 14:00", ("time", datetime(2026, 3, 5, 14), None)),
    ("2026-03-05", ("day", datetime(2026, 3, 5), None)),
    ("2026/3/5 9:30", ("time", datetime(2026, 3, 5, 9, 30), None)),
    ("2027年1月8日", ("day", datetime(2027, 1, 8), None)),
    ("\u30003月5日\u3000", ("day", datetime(2026, 3, 5), None)),
    ("三月", ("month", datetime(2026, 3, 1), None)),
    ("十一月", ("month", datetime(2025, 11, 1), None)),
    ("4月份", ("month", datetime(2026, 4, 1), None)),
    ("2026年4月", ("month", datetime(2026, 4, 1), None)),
    ("下半年", ("half", datetime(2026, 7, 1), None)),
    ("2027年上半年", ("half", datetime(2027, 1, 1), None)),
])
def test_parse_when_reads_the_paper_calendars_dates(text, expected):
    assert transfer.parse_when(text, TODAY) == expected


@pytest.mark.parametrize("text", ["2月30日", "13月", "abc", "3月5日 16:00-14:00", "3月5日 14:00-14:00", "3月5日 25:00",
                                  "", "3月32日", "2026年", "十三月", "3月5日 下午"])
def test_parse_when_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        transfer.parse_when(text, TODAY)


@pytest.mark.parametrize("cell, items", [
    ("1、缅怀革命先烈，老少共祭英雄\n2、“党在我心中”刻纸作品参观展示",
     ["缅怀革命先烈，老少共祭英雄", "“党在我心中”刻纸作品参观展示"]),
    ("1. 家长会\n   （各班教室）\n2）安全教育\n\n三、颁奖", ["家长会（各班教室）", "安全教育", "颁奖"]),
    ("1、只有一项", ["只有一项"]),
    ("没有编号的活动\n写了两行", ["没有编号的活动 写了两行"]),
    ("", [""]),
])
def test_split_items_gives_one_entry_per_number(cell, items):
    assert transfer.split_items(cell) == items


def test_import_rows_pair_the_leads_with_the_numbered_items(world, office):
    rows_in = [
        {"line": 2, "values": {"when": "四月", "title": "1、缅怀革命先烈\n2、刻纸作品展示", "leads": "teacher、五年级组\n张建国",
                               "kind": "节日活动"}},
        {"line": 3, "values": {"when": "4月31日", "title": "错的日子"}},
        {"line": 4, "values": {"when": "四月", "title": "缅怀革命先烈"}},
        {"line": 5, "values": {"when": "下半年", "title": "考核", "kind": "运动会"}},
    ]

    checked = transfer.check_rows(office, rows_in)

    assert checked[0].errors == []
    first, second = checked[0].data["events"]
    assert (first["title"], first["precision"], first["lead_ids"], first["lead_groups"]) == (
        "缅怀革命先烈", "month", [world.users["teacher"].id], "五年级组")
    assert (second["title"], second["lead_volunteer_ids"], second["lead_groups"]) == ("刻纸作品展示", [world.volunteer.id],
                                                                                      "")
    assert datetime.fromisoformat(first["starts_at"]).day == 1 and first["kind"] == "节日活动"
    assert checked[1].errors == [["时间", zh("Write the time like 3月5日, 3月5日 14:00-16:00, 2026-03-05, 三月 or 下半年.")]]
    assert checked[2].errors == [["活动安排", zh("Duplicate: same as row %(line)d.", line=2)]]
    assert [h for h, _ in checked[3].errors] == ["类型"]


# === 8. The private calendar feed ==========================================================================

def test_a_feed_token_is_made_once_and_renewing_retires_the_old_one(world):
    user = world.users["teacher"]
    token = private_feed.feed_token(user)
    assert token and private_feed.feed_token(user) == token
    assert private_feed.user_by_feed_token(token).id == user.id

    new = private_feed.feed_token(user, renew=True)

    assert new != token
    assert private_feed.user_by_feed_token(token) is None
    assert private_feed.user_by_feed_token(new).id == user.id
    db.session.expire_all()
    assert db.session.get(type(user), user.id).calendar_token == new
    assert [a.detail for a in audits("calendar.feed_token")] == ["created", "renewed"]


def test_a_feed_token_of_an_inactive_user_or_a_strange_token_finds_nobody(world):
    user = world.users["volunteer"]
    token = private_feed.feed_token(user)
    assert private_feed.user_by_feed_token("") is None and private_feed.user_by_feed_token("x" * 65) is None
    assert private_feed.user_by_feed_token(token + "x") is None
    assert private_feed.user_by_feed_token(token[:10] + "\x00") is None  # PostgreSQL would refuse the query itself
    assert private_feed.user_by_feed_token(token).id == user.id
    user.active = False
    db.session.commit()
    assert private_feed.user_by_feed_token(token) is None


@pytest.fixture
def feed_world(world, office, parent):
    """Dated events of the last weeks and the coming ones, and what each role is part of."""
    now = seats.local_now()
    teacher = world.users["teacher"]
    e = {
        "led": event_for(world, title="我负责的", leads=[teacher], starts_in_days=3),
        "led_long_ago": event_for(world, title="很久以前", leads=[teacher], starts_in_days=-61),
        "led_month": undated(world, "待定的月份", "month", now.date().replace(day=1) + timedelta(days=40), leads=[teacher]),
        "class_event": event_for(world, title="我班的", classes=[world.own_class], starts_in_days=4),
        "helping": event_for(world, title="我帮忙的", helpers=2, starts_in_days=5),
        "withdrawn": event_for(world, title="我退出的", helpers=2, starts_in_days=6),
        "registered": event_for(world, title="报了名的", capacity=1, starts_in_days=8),
        "waiting": event_for(world, title="候补的", capacity=1, starts_in_days=9),
        "cancelled_reg": event_for(world, title="取消报名的", capacity=5, starts_in_days=10),
        "recent": event_for(world, title="上个月的", precision="day", starts_in_days=-30),
        "far": event_for(world, title="远方的", school_id=world.far.id, leads=[], starts_in_days=3),
    }
    signup.sign_up(e["helping"], world.volunteer, "helper", office)
    signup.sign_up(e["withdrawn"], world.volunteer, "helper", office)
    signup.withdraw(helpers_of(e["withdrawn"].id)[0], office)
    others = factories.families_with_children(world.own_class, 1)
    seats.register(e["registered"], world.pupil, parent)
    seats.register(e["waiting"], others[0], office)
    seats.register(e["waiting"], world.pupil, parent)
    reg, _ = seats.register(e["cancelled_reg"], world.pupil, parent)
    seats.cancel(reg, parent)
    return e


def feed_titles(user):
    return [e.title for e in private_feed.feed_events(user, seats.local_now())]


def test_the_feed_of_a_teacher_has_the_events_they_lead(world, feed_world):
    assert feed_titles(world.users["teacher"]) == ["我负责的"]


def test_the_feed_of_a_volunteer_has_the_events_they_help_at(world, feed_world):
    assert feed_titles(world.users["volunteer"]) == ["我帮忙的"]


def test_the_feed_of_a_parent_has_the_events_the_family_registered_for(world, feed_world):
    assert feed_titles(world.users["parent"]) == ["报了名的", "候补的"]


def test_the_feed_of_a_coordinator_has_every_dated_event_of_the_school(world, feed_world):
    assert feed_titles(world.users["coordinator"]) == ["上个月的", "我负责的", "我班的", "我帮忙的", "我退出的", "报了名的",
                                                       "候补的", "取消报名的"]


def test_family_attendance_is_not_ticked_before_the_event(world, office, parent):
    e = event_for(world, capacity=2, starts_in_days=2)
    kid = factories.families_with_children(world.own_class, 1)[0]
    seats.register(e, kid, parent)

    with pytest.raises(DomainError) as err:
        after.family_attendance(office, fresh_event(e.id), {event_reg(e, kid).id})

    assert message(err) == zh("Attendance is ticked after the event has started.")
    assert event_reg(e, kid).attended_at is None
