"""Events as their users meet them: through the test client, with CSRF, as full pages and htmx partials.

The office plans an event with its 责任人, audience, seats and volunteer places, edits it, cancels it with a reason
and afterwards writes the summary, ticks who came (the volunteers' hours become pending entries in the same
step) and adds photos. A family registers, waits its turn and cancels; a volunteer signs up to help or speak
and withdraws. Bad input gets a Chinese message and saves nothing. The calendar, its Excel files and the iCal
feed are tested in test_calendar_views.py; seat races in the service and concurrency tests beside this file.
"""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.events.models import Event, EventHelper, EventPhoto, Partner
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.events.common import event_for, event_reg, fresh_event, helpers_of
from tests.factories import zh
from tests.helpers import audits, client_for, count, field_error, flash_text, follow, form_for, main_text, send

EV = "/events"
HUGE = "99999999999999999999"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# --- building and reading ------------------------------------------------------------------------

def later(days=10):
    return (seats.local_now() + timedelta(days=days)).date()


def event_data(**changes) -> dict:
    """What the new-event form sends for a plain 14:00–16:00 event ten days from now; None leaves a field out."""
    data = {"title": "缅怀革命先烈，老少共祭英雄", "kind": "红色故事会", "precision": "time", "day": later().isoformat(),
            "start": "14:00", "end": "16:00", "place": "学校报告厅", "partner_id": "0", "description": "五老讲英雄故事",
            "lead_groups": "五年级组", "capacity": "0", "deadline_day": "", "deadline_time": "20:00",
            "helpers_needed": "0", "speakers_needed": "0"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def partner(school, name="滨湖社区居委会", kind="社区"):
    p = Partner(school_id=school.id, name=name, kind=kind)
    db.session.add(p)
    db.session.commit()
    return p


def events() -> list[Event]:
    db.session.expire_all()
    return db.session.scalars(select(Event).order_by(Event.id)).all()


def volunteer_client(app, world, name):
    """Another volunteer of the school with an account: (volunteer, client)."""
    v = factories.volunteer(world.school, name)
    return v, client_for(app, factories.user(world.school, "volunteer", volunteer_id=v.id))


def parent_client(app, world, school_class, name):
    """Another family of the school, one child in `school_class`, with a parent account: (child, client)."""
    fam = factories.family(world.school, f"{name}家")
    child = factories.student(school_class, name, family=fam)
    return child, client_for(app, factories.user(world.school, "parent", guardian_id=fam.guardians[0].id))


def register(event, child, now=None):
    """A registration the office made earlier through the seat service."""
    reg, _ = seats.register(db.session.get(Event, event.id), child, _coordinator_of(event), now=now)
    return reg


def past_event(world, **kw):
    """An event that took place two days ago."""
    return event_for(world, starts_in_days=-2, **kw)


def sign_up_directly(event, volunteer, role="helper", by=None):
    """A volunteer who signed up before the event."""
    h = EventHelper(school_id=event.school_id, event_id=event.id, volunteer_id=volunteer.id, role=role,
                    added_by_id=(by or _coordinator_of(event)).id)
    db.session.add(h)
    db.session.commit()
    return h


def selected(html, name) -> str:
    """The chosen option of a select (the page parser of the parent-school tests reads no selects' choice)."""
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    m = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block)
    return (m.group(1) or m.group(2)) if m else ""


def send_edit(c, event, **changes):
    """Open the event's edit page and send its form as the browser would, with `changes` typed in."""
    url = f"{EV}/{event.id}/edit"
    page = c.get(url).get_data(as_text=True)
    kept = {"kind": selected(page, "kind"), "partner_id": selected(page, "partner_id")}
    return send(c, page, "", page=url, **{**kept, **changes})


def _coordinator_of(event):
    from portal.auth.models import User

    return db.session.scalar(select(User).where(User.school_id == event.school_id, User.role == "coordinator"))


# =================================================================================================
# The office plans an event
# =================================================================================================

def test_the_new_event_form_offers_the_schools_staff_volunteers_partners_and_classes(world, login_as):
    partner(world.school)
    partner(world.far, "远方社区")
    factories.user(world.far, "teacher", "far-teacher", display_name="远方老师")
    factories.volunteer(world.far, "远方志愿者")
    c = login_as("coordinator")
    r = c.get(f"{EV}/new?day={later().isoformat()}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    form = form_for(html, "")
    assert ("day", later().isoformat()) in form["fields"]
    text = main_text(html)
    assert "滨湖社区居委会" in text and "远方社区" not in text
    assert "张建国" in text and "远方志愿者" not in text and "远方老师" not in text
    assert "三年级2班" in text and "四年级1班" in text and "三年级" in text
    # A parent or volunteer account is no 责任人 choice; the teacher is.
    assert f'name="lead_ids" type="checkbox" value="{world.users["teacher"].id}"' in html
    assert f'value="{world.users["parent"].id}"' not in html.split('name="lead_ids"', 1)[1].split("</fieldset>")[0]
    # A date that does not exist in the address is ignored, not an error.
    assert c.get(f"{EV}/new?day=2026-02-30").status_code == 200


def test_a_coordinator_creates_an_event_with_leads_audience_seats_and_volunteer_places(world, login_as):
    p = partner(world.school)
    teacher = world.users["teacher"]
    day = later()
    c = login_as("coordinator")
    r = c.post_form(f"{EV}/new", event_data(
        partner_id=str(p.id), lead_ids=[str(teacher.id)], lead_volunteer_ids=[str(world.volunteer.id)],
        grades=["3"], class_ids=[str(world.other_class.id)], for_parents="y", for_volunteers="y", capacity="30",
        deadline_day=(day - timedelta(days=2)).isoformat(), deadline_time="18:30", helpers_needed="2",
        speakers_needed="1"), token_from=f"{EV}/new")
    assert r.status_code == 302, field_errors(r.get_data(as_text=True))
    [e] = events()
    assert r.headers["Location"] == f"{EV}/{e.id}"
    assert (e.title, e.kind, e.place, e.partner_id, e.description) == (
        "缅怀革命先烈，老少共祭英雄", "红色故事会", "学校报告厅", p.id, "五老讲英雄故事")
    assert (e.precision, e.starts_at, e.ends_at) == ("time", _at(day, 14), _at(day, 16))
    assert [u.id for u in e.leads] == [teacher.id] and e.lead_groups == "五年级组"
    assert [(h.volunteer_id, h.role, h.status) for h in e.helpers] == [(world.volunteer.id, "lead", "confirmed")]
    assert e.grades == [3] and [c_.id for c_ in e.classes] == [world.other_class.id]
    assert (e.for_parents, e.for_volunteers, e.capacity, e.taken) == (True, True, 30, 0)
    assert e.deadline == _at(day - timedelta(days=2), 18, 30)
    assert (e.helpers_needed, e.speakers_needed, e.status) == (2, 1, "planned")
    assert e.created_by_id == world.users["coordinator"].id
    assert len(audits("event.save")) == 1
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Event saved.") in flash_text(html)
    text = main_text(html)
    assert "缅怀革命先烈，老少共祭英雄" in text and "teacher、五年级组、张建国" in text
    assert "滨湖社区居委会（社区）" in text and "三年级、四年级1班" in text
    assert zh("%(taken)d of %(capacity)d taken", taken=0, capacity=30) in text


def test_save_and_add_another_opens_a_new_form_for_the_same_day(world, login_as):
    c = login_as("coordinator")
    r = c.post_form(f"{EV}/new", event_data(next="new"), token_from=f"{EV}/new")
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/new?day={later().isoformat()}"
    assert len(events()) == 1


def test_a_month_only_entry_needs_no_time_and_keeps_the_first_of_the_month(world, login_as):
    c = login_as("coordinator")
    day = later(40)
    r = c.post_form(f"{EV}/new", event_data(precision="month", day=day.isoformat(), start="", end=""),
                    token_from=f"{EV}/new")
    assert r.status_code == 302
    [e] = events()
    assert (e.precision, e.starts_at, e.ends_at) == ("month", _at(day.replace(day=1), 0), None)
    assert f"{day.month}月（日期待定）" in main_text(c.get(r.headers["Location"]).get_data(as_text=True))


def _at(day, hour, minute=0):
    from datetime import datetime, time

    return datetime.combine(day, time(hour, minute))


def field_errors(html) -> dict[str, str]:
    return dict(re.findall(r'<small class="field-error" id="([\w-]+)-error">(.*?)</small>', html, re.S))


def _bad_event_cases():
    day = later()
    return [
        ("title", {"title": ""}, lambda w: zh("Please give the event a title.")),
        ("title", {"title": "红色\x00故事会"}, lambda w: zh("Contains characters that are not allowed.")),
        ("title", {"title": "长" * 101}, None),
        ("kind", {"kind": "联欢会"}, lambda w: zh("Please choose the type of event.")),
        ("day", {"day": ""}, lambda w: zh("Please give the date, e.g. 2026-03-05.")),
        ("day", {"day": "2026-02-30"}, None),
        ("start", {"start": ""}, lambda w: zh("Please give the time, e.g. 19:00.")),
        ("start", {"start": "25:00"}, None),
        ("end", {"end": "13:00"}, lambda w: zh("The event must end after it starts.")),
        ("end", {"end": "14:00"}, lambda w: zh("The event must end after it starts.")),
        ("capacity", {"capacity": "-1"}, lambda w: zh("Please give a whole number from 0 to %(max)d.", max=5000)),
        ("capacity", {"capacity": "5001", "for_parents": "y"},
         lambda w: zh("Please give a whole number from 0 to %(max)d.", max=5000)),
        ("capacity", {"capacity": "三十"}, None),
        ("capacity", {"capacity": "30"}, lambda w: zh("Families register only for events open to parents.")),
        ("capacity", {"capacity": "30", "for_parents": "y", "precision": "month", "start": ""},
         lambda w: zh("Registration needs a date and a start time.")),
        ("deadline_day", {"capacity": "30", "for_parents": "y", "deadline_day": (day + timedelta(days=1)).isoformat()},
         lambda w: zh("Registration must close before the event starts.")),
        ("deadline_day", {"capacity": "30", "for_parents": "y", "deadline_day": day.isoformat(),
                          "deadline_time": "15:00"}, lambda w: zh("Registration must close before the event starts.")),
        ("helpers_needed", {"helpers_needed": "201"}, lambda w: zh("Please give a whole number from 0 to %(max)d.",
                                                                   max=200)),
        ("speakers_needed", {"speakers_needed": "-3"}, lambda w: zh("Please give a whole number from 0 to %(max)d.",
                                                                    max=200)),
        ("partner_id", {"partner_id": "far"}, lambda w: zh("Please choose a partner from the list.")),
        ("partner_id", {"partner_id": "999999"}, lambda w: zh("Please choose a partner from the list.")),
        ("lead_ids", {"lead_ids": ["parent"]}, lambda w: zh("Please choose staff from the list.")),
        ("lead_ids", {"lead_ids": ["far"]}, lambda w: zh("Please choose staff from the list.")),
        ("lead_ids", {"lead_ids": [HUGE]}, lambda w: zh("Please choose staff from the list.")),
        ("lead_ids", {"lead_ids": ["abc"]}, None),
        ("lead_volunteer_ids", {"lead_volunteer_ids": ["far"]}, lambda w: zh("Please choose volunteers from the list.")),
        ("lead_volunteer_ids", {"lead_volunteer_ids": [HUGE]}, lambda w: zh("Please choose volunteers from the list.")),
        ("class_ids", {"class_ids": ["far"]}, lambda w: zh("Please choose classes from the list.")),
        ("class_ids", {"class_ids": [str(2**31)]}, lambda w: zh("Please choose classes from the list.")),
        ("grades", {"grades": ["13"]}, lambda w: zh("Please choose grades from the list.")),
        ("place", {"place": "报告厅\x00"}, lambda w: zh("Contains characters that are not allowed.")),
        ("description", {"description": "x" * 2001}, None),
    ]


BAD_EVENT_CASES = _bad_event_cases()


@pytest.mark.parametrize(("field", "changes", "message"), BAD_EVENT_CASES,
                         ids=[f"{f}-{i}" for i, (f, _c, _m) in enumerate(BAD_EVENT_CASES)])
def test_a_bad_event_form_comes_back_with_a_message_beside_the_field_and_saves_nothing(world, login_as, field,
                                                                                     changes, message):
    far = {"partner_id": str(partner(world.far, "远方社区").id),
           "lead_ids": str(factories.user(world.far, "teacher", "far-teacher").id),
           "lead_volunteer_ids": str(factories.volunteer(world.far, "远方志愿者").id),
           "class_ids": str(world.far_class.id)}
    named = {"parent": str(world.users["parent"].id)}
    data = {k: ([far[k] if x == "far" else named.get(x, x) for x in v] if isinstance(v, list)
                else far[k] if v == "far" else v) for k, v in changes.items()}
    c = login_as("coordinator")
    r = c.post_form(f"{EV}/new", event_data(**data), token_from=f"{EV}/new")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    shown = field_error(html, field)
    assert shown, (field, field_errors(html), flash_text(html))
    if message is not None:
        assert message(world) in shown
    # The form keeps what was typed elsewhere, and nothing was saved.
    assert "五年级组" in html
    assert events() == [] and audits("event.save") == []


def test_editing_an_event_shows_its_values_and_saves_the_change(world, login_as):
    teacher = world.users["teacher"]
    e = event_for(world, capacity=10, grades=(3,), leads=[teacher], title="家长开放日", place="操场")
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}/edit").get_data(as_text=True)
    fields = dict(form_for(page, "")["fields"])
    assert fields["title"] == "家长开放日" and fields["place"] == "操场" and fields["capacity"] == "10"
    assert fields["day"] == e.starts_at.date().isoformat() and fields["start"] == "14:00" and fields["end"] == "16:00"
    assert fields["lead_ids"] == str(teacher.id) and fields["grades"] == "3" and fields["for_parents"] == "y"
    assert fields["deadline_day"] == (e.starts_at.date() - timedelta(days=1)).isoformat()
    assert selected(page, "kind") == "红色故事会"
    r = send_edit(c, e, title="家长开放日（改期）", place="学校报告厅", start="15:00", end="17:00", capacity="20")
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/{e.id}"
    e = fresh_event(e.id)
    assert (e.title, e.place, e.capacity, e.starts_at.hour, e.ends_at.hour) == ("家长开放日（改期）", "学校报告厅", 20,
                                                                              15, 17)
    assert [u.id for u in e.leads] == [teacher.id] and e.grades == [3] and len(events()) == 1


def test_seats_already_taken_cannot_be_edited_away_and_nothing_else_changes(app, world, login_as):
    e = event_for(world, capacity=2, grades=(3,), title="亲子运动会")
    kids = factories.families_with_children(world.own_class, 2, "甲")
    for child in kids:
        register(e, child)
    c = login_as("coordinator")
    r = send_edit(c, e, title="改了名字", capacity="1")
    assert r.status_code == 200
    assert zh("%(n)d families already hold seats; the seats cannot be fewer.", n=2) in field_error(
        r.get_data(as_text=True), "capacity")
    e = fresh_event(e.id)
    assert (e.title, e.capacity, e.taken) == ("亲子运动会", 2, 2)
    # Nor helper places below the volunteers already signed up.
    e.helpers_needed = 1
    db.session.commit()
    sign_up_directly(e, world.volunteer)
    r = send_edit(c, e, helpers_needed="0")
    assert r.status_code == 200
    assert zh("%(n)d volunteers have already signed up; ask fewer of them to withdraw first.", n=1) in field_error(
        r.get_data(as_text=True), "helpers_needed")
    assert fresh_event(e.id).helpers_needed == 1


def test_more_seats_give_waiting_families_their_place(world, login_as):
    e = event_for(world, capacity=1, title="亲子阅读会")
    first, second = factories.families_with_children(world.own_class, 2, "乙")
    register(e, first)
    waiting = register(e, second)
    assert waiting.status == "waitlisted"
    c = login_as("coordinator")
    assert send_edit(c, e, capacity="2").status_code == 302
    assert event_reg(e, second).status == "confirmed" and fresh_event(e.id).taken == 2


def test_an_event_of_another_school_is_not_found_and_a_teacher_cannot_plan(world, login_as):
    far = event_for(world, school_id=world.far.id, title="远方的活动")
    c = login_as("coordinator")
    for url in (f"{EV}/{far.id}", f"{EV}/{far.id}/edit", f"{EV}/{far.id}/report"):
        assert c.get(url).status_code == 404, url
    r = c.post_form(f"{EV}/{far.id}/edit", event_data(title="改别人的"), token_from=f"{EV}/new")
    assert r.status_code == 404 and fresh_event(far.id).title == "远方的活动"
    t = login_as("teacher")
    assert t.get(f"{EV}/new").status_code == 403
    assert t.post_form(f"{EV}/new", event_data(), token_from="/settings").status_code == 403
    assert len(events()) == 1


def test_a_post_without_csrf_token_is_refused(world, login_as):
    e = event_for(world, capacity=5, helpers=1)
    c = login_as("coordinator")
    assert c.http.post(f"{EV}/new", data=event_data()).status_code == 400
    assert c.http.post(f"{EV}/{e.id}/status", data={"status": "cancelled", "reason": "下雨"}).status_code == 400
    assert c.http.post(f"{EV}/{e.id}/photos", data={"photo": (io.BytesIO(JPEG), "a.jpg")},
                       content_type="multipart/form-data").status_code == 400
    p = login_as("parent")
    assert p.http.post(f"{EV}/{e.id}/register", data={}).status_code == 400
    assert p.http.post("/calendar/feed", data={}).status_code == 400
    v = login_as("volunteer")
    assert v.http.post(f"{EV}/{e.id}/sign-up", data={"role": "helper"}).status_code == 400
    assert len(events()) == 1 and fresh_event(e.id).status == "planned"
    assert helpers_of(e.id) == [] and count(EventPhoto) == 0 and count(Registration) == 0


def test_the_list_is_a_full_page_or_the_rows_for_htmx(world, login_as):
    event_for(world, title="红色故事会", kind="红色故事会")
    event_for(world, title="社区清洁日", kind="社区服务", place="滨湖社区")
    event_for(world, school_id=world.far.id, title="远方的活动")
    c = login_as("coordinator")
    html = c.get(f"{EV}/").get_data(as_text=True)
    assert "<nav" in html and "红色故事会" in html and "社区清洁日" in html and "远方的活动" not in html
    r = c.htmx(f"{EV}/?kind=社区服务")
    part = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert "<nav" not in part and "<html" not in part
    assert "社区清洁日" in part and "红色故事会" not in part
    part = c.htmx(f"{EV}/?q=滨湖").get_data(as_text=True)
    assert "社区清洁日" in part and "红色故事会" not in part
    for odd in ("?which=never&kind=联欢会", "?q=%00", "?q=" + "长" * 300, "?q=%25_"):
        assert c.get(f"{EV}/{odd}").status_code == 200, odd


# =================================================================================================
# Cancelling an event
# =================================================================================================

def test_cancelling_needs_a_reason_which_families_then_read(world, login_as):
    e = event_for(world, capacity=5, grades=(3,), title="春季研学")
    register(e, world.pupil)
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    r = send(c, page, f"{EV}/{e.id}/status", reason="")
    assert zh("Please say why, for the families and volunteers.") in flash_text(follow(c, r))
    assert fresh_event(e.id).status == "planned"
    r = send(c, page, f"{EV}/{e.id}/status", reason="暴雨预警，活动取消")
    assert zh("Status changed to “%(status)s”.", status=zh("Cancelled")) in flash_text(follow(c, r))
    e = fresh_event(e.id)
    assert (e.status, e.cancel_reason) == ("cancelled", "暴雨预警，活动取消")
    assert [a.detail for a in audits("event.cancelled")] == ["暴雨预警，活动取消"]
    # The family that registered reads why.
    text = main_text(login_as("parent").get(f"{EV}/{e.id}").get_data(as_text=True))
    assert zh("This event has been cancelled.") in text and "暴雨预警，活动取消" in text
    # Back to planned clears the reason.
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    send(c, page, f"{EV}/{e.id}/status")
    assert (fresh_event(e.id).status, fresh_event(e.id).cancel_reason) == ("planned", "")


def test_an_unknown_status_or_an_overlong_reason_is_refused(world, login_as):
    e = event_for(world)
    c = login_as("coordinator")
    for data, message in (({"status": "exploded"}, zh("Please choose a status.")),
                          ({"status": "done"}, zh("An event can be marked as held once it has started.")),
                          ({"status": "cancelled", "reason": "x" * 201}, None)):
        r = c.post_form(f"{EV}/{e.id}/status", data, token_from=f"{EV}/{e.id}")
        assert r.status_code == 302
        shown = flash_text(follow(c, r))
        assert shown and (message is None or message in shown), shown
        assert fresh_event(e.id).status == "planned"


# =================================================================================================
# A family registers
# =================================================================================================

def test_a_family_registers_and_sees_it_is_registered(world, login_as):
    e = event_for(world, capacity=5, grades=(3,), title="亲子阅读会")
    c = login_as("parent")
    listing = c.get(f"{EV}/").get_data(as_text=True)
    assert "亲子阅读会" in listing
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert zh("%(n)d seats free", n=5) in main_text(page)
    form = form_for(page, f"{EV}/{e.id}/register")
    assert not form["options"]  # one child: nothing to choose
    r = send(c, page, f"{EV}/{e.id}/register")
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/{e.id}"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Registered. See you at the event!") in flash_text(html)
    assert zh("Registered") in main_text(html) and "王小明" in main_text(html)
    reg = event_reg(e, world.pupil)
    assert (reg.status, reg.student_id, reg.class_id, reg.registered_by_id) == (
        "confirmed", world.pupil.id, world.own_class.id, world.users["parent"].id)
    assert fresh_event(e.id).taken == 1
    # The same page sent again changes nothing.
    r = send(c, page, f"{EV}/{e.id}/register")
    assert zh("Your family was already registered; nothing changed.") in flash_text(follow(c, r))
    assert fresh_event(e.id).taken == 1 and count(Registration) == 1
    # The list shows the family's registration.
    assert zh("Registered") in main_text(c.get(f"{EV}/").get_data(as_text=True))


def test_a_full_event_puts_the_family_on_the_waiting_list_and_cancelling_promotes_the_next(app, world, login_as):
    e = event_for(world, capacity=1, title="参观纪念馆")
    first, first_c = parent_client(app, world, world.own_class, "甲一")
    second, _ = parent_client(app, world, world.own_class, "甲二")
    register(e, first)
    register(e, second)
    c = login_as("parent")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert zh("Join the waiting list") in page
    r = send(c, page, f"{EV}/{e.id}/register")
    html = follow(c, r)
    assert zh("All places are taken: your family is on the waiting list; its place is shown below.") in flash_text(html)
    assert zh("Waiting list no. %(n)d", n=2) in main_text(html)
    assert event_reg(e, world.pupil).status == "waitlisted"
    # The first family cancels: the seat goes to the first one waiting, and our family moves up.
    page = first_c.get(f"{EV}/{e.id}").get_data(as_text=True)
    reg = event_reg(e, first)
    r = send(first_c, page, f"{EV}/registrations/{reg.id}/cancel")
    assert zh("Your registration is cancelled.") in flash_text(follow(first_c, r))
    assert event_reg(e, first).status == "cancelled"
    assert event_reg(e, second).status == "confirmed" and fresh_event(e.id).taken == 1
    html = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert zh("Waiting list no. %(n)d", n=1) in main_text(html)


def test_a_waiting_family_leaves_the_list(world, login_as):
    e = event_for(world, capacity=1)
    other, = factories.families_with_children(world.own_class, 1, "丙")
    register(e, other)
    mine = register(e, world.pupil)
    c = login_as("parent")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    r = send(c, page, f"{EV}/registrations/{mine.id}/cancel")
    assert r.status_code == 302
    assert event_reg(e, world.pupil).status == "cancelled" and fresh_event(e.id).taken == 1
    # Registering again is possible: the family joins the end of the list.
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    send(c, page, f"{EV}/{e.id}/register")
    assert event_reg(e, world.pupil).status == "waitlisted"


def test_a_family_with_one_child_in_the_audience_registers_it_in_one_tap(world, login_as):
    """Two children, one of them in grade 4: the form offers nothing to choose and registers that child."""
    sibling = factories.student(world.other_class, "王小华", family=world.family)  # grade 4
    e = event_for(world, capacity=5, grades=(4,), title="四年级研学")
    c = login_as("parent")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert not form_for(page, f"{EV}/{e.id}/register")["options"]
    r = send(c, page, f"{EV}/{e.id}/register")
    assert zh("Registered. See you at the event!") in flash_text(follow(c, r))
    reg = event_reg(e, sibling)
    assert (reg.status, reg.student_id, reg.class_id) == ("confirmed", sibling.id, world.other_class.id)


def test_a_family_may_register_only_a_child_of_the_audience(world, login_as):
    sibling = factories.student(world.other_class, "王小华", family=world.family)  # grade 4
    neighbour, = factories.families_with_children(world.other_class, 1, "丁")
    e = event_for(world, capacity=5, grades=(4,), title="四年级研学")
    c = login_as("parent")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    for chosen, message in ((str(world.pupil.id), zh("This event is for the families of %(who)s.", who="四年级")),
                            (str(neighbour.id), zh("Please choose one of your children.")),
                            (str(world.far_pupil.id), zh("Please choose one of your children."))):
        r = send(c, page, f"{EV}/{e.id}/register", **{f"e{e.id}__student_id": chosen})
        assert r.status_code == 302, chosen
        assert message in flash_text(follow(c, r)), chosen
        assert count(Registration) == 0, chosen
    r = send(c, page, f"{EV}/{e.id}/register", **{f"e{e.id}__student_id": str(sibling.id)})
    assert zh("Registered. See you at the event!") in flash_text(follow(c, r))
    assert event_reg(e, sibling).student_id == sibling.id


def test_a_family_with_two_children_in_the_audience_chooses_one(world, login_as):
    sibling = factories.student(world.other_class, "王小华", family=world.family)  # grade 4
    e = event_for(world, capacity=5, grades=(3, 4))
    c = login_as("parent")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    form = form_for(page, f"{EV}/{e.id}/register")
    assert sorted(form["options"][f"e{e.id}-student_id"]) == sorted([str(world.pupil.id), str(sibling.id)])
    for chosen in ("", "0", "abc", HUGE, str(world.stranger.id)):
        r = send(c, page, f"{EV}/{e.id}/register", **{f"e{e.id}__student_id": chosen})
        assert zh("Please choose one of your children.") in flash_text(follow(c, r)), chosen
        assert count(Registration) == 0
    send(c, page, f"{EV}/{e.id}/register", **{f"e{e.id}__student_id": str(sibling.id)})
    assert event_reg(e, sibling).student_id == sibling.id


def test_a_family_cannot_register_after_the_deadline_or_for_a_cancelled_event(world, login_as):
    closed = event_for(world, capacity=5, deadline=seats.local_now() - timedelta(hours=1))
    cancelled = event_for(world, capacity=5, status="cancelled", cancel_reason="场地维修")
    c = login_as("parent")
    for e, message in ((closed, zh("Registration for this event has closed.")),
                       (cancelled, zh("This event has been cancelled."))):
        r = c.post_form(f"{EV}/{e.id}/register", {}, token_from=f"{EV}/{e.id}")
        assert message in flash_text(follow(c, r))
    assert count(Registration) == 0


def test_events_without_registration_or_not_for_parents_take_no_family(world, login_as):
    no_seats = event_for(world, for_parents=True)
    not_for_parents = event_for(world, capacity=5, for_parents=False)
    c = login_as("parent")
    assert c.get(f"{EV}/{not_for_parents.id}").status_code == 404
    for e in (no_seats, not_for_parents):
        r = c.post_form(f"{EV}/{e.id}/register", {f"e{e.id}-student_id": str(world.pupil.id)},
                        token_from="/settings")
        assert r.status_code == 404
    assert count(Registration) == 0


def test_a_parent_never_cancels_another_familys_registration(app, world, login_as):
    e = event_for(world, capacity=5)
    neighbour, _ = parent_client(app, world, world.own_class, "李小华")
    theirs = register(e, neighbour)
    c = login_as("parent")
    r = c.post_form(f"{EV}/registrations/{theirs.id}/cancel", {}, token_from=f"{EV}/{e.id}")
    assert r.status_code == 404 and event_reg(e, neighbour).status == "confirmed"
    # A session's registration is no event registration.
    s = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)), capacity=5)
    ps_reg, _ = seats.register(s, world.pupil, world.users["parent"])
    r = c.post_form(f"{EV}/registrations/{ps_reg.id}/cancel", {}, token_from=f"{EV}/{e.id}")
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, ps_reg.id).status == "confirmed"


def test_the_office_sees_the_registered_families_and_cancels_one(world, login_as):
    e = event_for(world, capacity=1, title="亲子手工")
    waiting, = factories.families_with_children(world.own_class, 1, "戊")
    mine = register(e, world.pupil)
    register(e, waiting)
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    text = main_text(page)
    assert "王小明家" in text and "戊0家" in text and zh("On the waiting list") in text
    r = send(c, page, f"{EV}/registrations/{mine.id}/cancel")
    shown = flash_text(follow(c, r))
    assert zh("Registration of %(family)s cancelled.", family="王小明家") in shown
    assert zh("Seat given to %(names)s from the waiting list.", names="戊0家") in shown
    assert event_reg(e, waiting).status == "confirmed"


# =================================================================================================
# A volunteer signs up
# =================================================================================================

def test_a_volunteer_signs_up_to_help_and_withdraws(world, login_as):
    e = event_for(world, helpers=2, speakers=1, title="社区清洁日")
    c = login_as("volunteer")
    listing = c.get(f"{EV}/").get_data(as_text=True)
    assert zh("Events that need you") in listing and "社区清洁日" in listing
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert zh("I will help (%(n)d needed)", n=2) in page and zh("I will speak (%(n)d needed)", n=1) in page
    r = send(c, page, f"{EV}/{e.id}/sign-up", role="helper")
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/{e.id}"
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Thank you! You are on the list as %(role)s.", role=zh("Helper")) in flash_text(html)
    assert zh("You are on this event. Thank you!") in main_text(html)
    [h] = helpers_of(e.id)
    assert (h.volunteer_id, h.role, h.status, h.added_by_id) == (world.volunteer.id, "helper", "confirmed",
                                                                 world.users["volunteer"].id)
    # Signing up again (a double tap, the old page sent twice) keeps one place and says so, without an error.
    r = send(c, page, f"{EV}/{e.id}/sign-up", role="helper")
    again = follow(c, r)
    assert zh("Thank you! You are on the list as %(role)s.", role=zh("Helper")) in flash_text(again)
    assert "flash-error" not in again
    assert len(helpers_of(e.id, "confirmed")) == 1
    # Withdrawing frees the place.
    r = send(c, html, f"{EV}/helpers/{h.id}/withdraw")
    assert zh("You are no longer on this event.") in flash_text(follow(c, r))
    assert helpers_of(e.id)[0].status == "cancelled"
    # And the volunteer may come back as a speaker.
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    r = send(c, page, f"{EV}/{e.id}/sign-up", role="speaker")
    assert zh("Thank you! You are on the list as %(role)s.", role=zh("Speaker")) in flash_text(follow(c, r))
    [h] = helpers_of(e.id)
    assert (h.role, h.status) == ("speaker", "confirmed")


def test_the_last_place_goes_once_and_bad_roles_are_refused(app, world, login_as):
    e = event_for(world, helpers=1, title="敬老院慰问")
    _other, other_c = volunteer_client(app, world, "李建华")
    c = login_as("volunteer")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    for role in ("lead", "", "admin"):
        r = send(c, page, f"{EV}/{e.id}/sign-up", role=role)
        assert zh("Please choose to help or to speak.") in flash_text(follow(c, r)), role
    r = send(c, page, f"{EV}/{e.id}/sign-up", role="speaker")  # no speaker is needed
    assert zh("All places have been taken. Thank you all the same!") in flash_text(follow(c, r))
    assert helpers_of(e.id) == []
    send(c, page, f"{EV}/{e.id}/sign-up", role="helper")
    other_page = other_c.get(f"{EV}/{e.id}").get_data(as_text=True)
    assert zh("No volunteer place is open at this event.") in main_text(other_page)
    r = other_c.post_form(f"{EV}/{e.id}/sign-up", {"role": "helper"}, token_from=f"{EV}/{e.id}")
    assert zh("All places have been taken. Thank you all the same!") in flash_text(follow(other_c, r))
    assert [(h.volunteer_id, h.status) for h in helpers_of(e.id)] == [(world.volunteer.id, "confirmed")]
    # Nor can the other volunteer take our volunteer's name off.
    [h] = helpers_of(e.id)
    r = other_c.post_form(f"{EV}/helpers/{h.id}/withdraw", {}, token_from=f"{EV}/{e.id}")
    assert r.status_code == 404 and helpers_of(e.id)[0].status == "confirmed"


def test_a_volunteer_does_not_see_an_event_not_open_to_volunteers(world, login_as):
    closed = event_for(world, capacity=5, title="家长会")
    far = event_for(world, school_id=world.far.id, helpers=3)
    c = login_as("volunteer")
    assert c.get(f"{EV}/{closed.id}").status_code == 404
    assert "家长会" not in c.get(f"{EV}/").get_data(as_text=True)
    for e in (closed, far):
        r = c.post_form(f"{EV}/{e.id}/sign-up", {"role": "helper"}, token_from="/settings")
        assert r.status_code == 404
    assert count(EventHelper) == 0


def test_no_sign_up_once_the_event_has_started_or_is_cancelled(world, login_as):
    started = event_for(world, starts_in_days=0, helpers=2, starts_at=seats.local_now() - timedelta(minutes=30))
    cancelled = event_for(world, helpers=2, status="cancelled", cancel_reason="下雨")
    c = login_as("volunteer")
    for e in (started, cancelled):
        r = c.post_form(f"{EV}/{e.id}/sign-up", {"role": "helper"}, token_from="/settings")
        assert zh("This event no longer takes sign-ups.") in flash_text(follow(c, r))
    assert count(EventHelper) == 0


def test_the_office_takes_a_volunteer_off_an_event(world, login_as):
    e = event_for(world, helpers=2)
    h = sign_up_directly(e, world.volunteer)
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}").get_data(as_text=True)
    r = send(c, page, f"{EV}/helpers/{h.id}/withdraw")
    assert zh("%(name)s is no longer on this event.", name="张建国") in flash_text(follow(c, r))
    assert helpers_of(e.id)[0].status == "cancelled"


# =================================================================================================
# After the event: summary, attendance and hours, photos
# =================================================================================================

def test_the_summary_is_saved_and_the_event_marked_as_held(world, login_as):
    e = past_event(world, title="红色故事会")
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}/report").get_data(as_text=True)
    assert zh("After the event") in main_text(page)
    r = send(c, page, f"{EV}/{e.id}/report", summary="五老讲述英雄故事，学生认真聆听。", participants="120")
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/{e.id}/report"
    assert zh("Summary saved.") in flash_text(follow(c, r))
    e = fresh_event(e.id)
    assert (e.summary, e.participants, e.status, e.summarised_by_id) == (
        "五老讲述英雄故事，学生认真聆听。", 120, "done", world.users["coordinator"].id)
    assert e.summarised_at is not None
    # The form shows what was saved.
    fields = dict(form_for(c.get(f"{EV}/{e.id}/report").get_data(as_text=True), f"{EV}/{e.id}/report")["fields"])
    assert fields["summary"].strip() == "五老讲述英雄故事，学生认真聆听。" and fields["participants"] == "120"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"summary": ""}, "summary", "Please write a few lines about the event."),
    ({"summary": "x\x00y"}, "summary", "Contains characters that are not allowed."),
    ({"participants": "-1"}, "participants", "Please give a whole number from 0 to 100000."),
    ({"participants": "100001"}, "participants", "Please give a whole number from 0 to 100000."),
    ({"participants": "很多"}, "participants", None),
    ({"summary": "x" * 5001}, "summary", None),
])
def test_a_bad_summary_comes_back_with_a_message(world, login_as, changes, field, message):
    e = past_event(world)
    c = login_as("coordinator")
    data = {"summary": "活动顺利开展", "participants": "30", **changes}
    r = c.post_form(f"{EV}/{e.id}/report", data, token_from=f"{EV}/{e.id}/report")
    assert r.status_code == 200
    shown = field_error(r.get_data(as_text=True), field)
    assert shown and (message is None or zh(message) in shown), shown
    e = fresh_event(e.id)
    assert (e.summary, e.participants, e.status) == ("", None, "planned")


def test_no_summary_before_the_event_or_for_a_cancelled_one(world, login_as):
    coming = event_for(world)
    cancelled = past_event(world, status="cancelled", cancel_reason="下雨")
    c = login_as("coordinator")
    for e, message in ((coming, "The summary is written after the event has started."),
                       (cancelled, "A cancelled event has no summary.")):
        r = c.post_form(f"{EV}/{e.id}/report", {"summary": "写早了"}, token_from=f"{EV}/{e.id}/report")
        assert r.status_code == 200
        assert zh(message) in flash_text(r.get_data(as_text=True))
        assert fresh_event(e.id).summary == ""


def test_helpers_attendance_and_hours_become_pending_entries_in_one_step(app, world, login_as):
    teacher = world.users["teacher"]
    e = past_event(world, helpers=3, leads=[teacher], title="社区清洁日")
    other, _ = volunteer_client(app, world, "李建华")
    absent, _ = volunteer_client(app, world, "王秀英")
    mine, theirs, away = (sign_up_directly(e, v) for v in (world.volunteer, other, absent))
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}/report").get_data(as_text=True)
    action = f"{EV}/{e.id}/helpers-attendance"
    fields = dict(form_for(page, action)["fields"])
    assert fields[f"attended-{mine.id}"] == "y" and fields[f"hours-{mine.id}"] == "2"
    r = send(c, page, action, **{f"hours__{theirs.id}": "1.5", f"attended__{away.id}": None})
    assert r.status_code == 302 and r.headers["Location"] == f"{EV}/{e.id}/report"
    html = follow(c, r)
    assert zh("Attendance saved; %(n)d hour entries are waiting for approval.", n=2) in flash_text(html)
    db.session.expire_all()
    entries = {h.volunteer_id: (h.hours, h.status, h.event_id, h.activity, h.worked_on)
               for h in db.session.scalars(select(HourEntry))}
    day = e.starts_at.date()
    assert entries == {world.volunteer.id: (Decimal("2"), "pending", e.id, "event", day),
                       other.id: (Decimal("1.5"), "pending", e.id, "event", day)}
    helpers = {h.id: h for h in helpers_of(e.id)}
    assert (helpers[mine.id].attended, helpers[theirs.id].attended, helpers[away.id].attended) == (True, True, False)
    assert helpers[mine.id].hour_entry_id is not None and helpers[away.id].hour_entry_id is None
    # The page now shows the logged hours; saving again makes no second entry.
    from portal.core.display import hours_text

    text = main_text(html)
    assert zh("%(h)s h logged", h=hours_text(Decimal("1.5"))) in text
    assert f'name="hours-{mine.id}"' not in html and f'name="hours-{away.id}"' in html
    r = c.post_form(action, {f"attended-{mine.id}": "y", f"attended-{theirs.id}": "y", f"hours-{mine.id}": "3"},
                    token_from=f"{EV}/{e.id}/report")
    assert zh("Attendance saved; %(n)d hour entries are waiting for approval.", n=0) in flash_text(follow(c, r))
    assert count(HourEntry) == 2
    # The teacher responsible verifies them in the hours queue.
    queue = main_text(login_as("teacher").get("/hours/queue").get_data(as_text=True))
    assert "张建国" in queue and "李建华" in queue


@pytest.mark.parametrize("hours", ["abc", "-1", "0", "0.3", "25", "1e9", "NaN", "1,5"])
def test_a_bad_hours_value_names_the_volunteer_and_saves_nothing(app, world, login_as, hours):
    e = past_event(world, helpers=2)
    other, _ = volunteer_client(app, world, "李建华")
    good, bad = sign_up_directly(e, world.volunteer), sign_up_directly(e, other)
    c = login_as("coordinator")
    r = c.post_form(f"{EV}/{e.id}/helpers-attendance", {f"attended-{good.id}": "y", f"hours-{good.id}": "2",
                                                        f"attended-{bad.id}": "y", f"hours-{bad.id}": hours},
                    token_from=f"{EV}/{e.id}/report")
    assert r.status_code == 302
    shown = flash_text(follow(c, r))
    assert shown.startswith("李建华") or "李建华" in shown, shown
    assert zh("Attendance saved; %(n)d hour entries are waiting for approval.", n=1) not in shown
    assert count(HourEntry) == 0
    assert [(h.attended, h.hour_entry_id) for h in helpers_of(e.id)] == [(None, None), (None, None)]


def test_families_attendance_is_ticked_from_the_sign_in_sheet(world, login_as):
    e = event_for(world, capacity=5, title="亲子运动会")
    kids = factories.families_with_children(world.own_class, 2, "己")
    early = e.starts_at - timedelta(days=3)
    regs = [register(e, child, now=early) for child in (*kids, world.pupil)]
    # The event is over now.
    row = db.session.get(Event, e.id)
    row.starts_at, row.ends_at, row.deadline = (seats.local_now() - timedelta(days=1),
                                                seats.local_now() - timedelta(hours=22),
                                                seats.local_now() - timedelta(days=2))
    db.session.commit()
    c = login_as("coordinator")
    page = c.get(f"{EV}/{e.id}/report").get_data(as_text=True)
    assert "己0家" in main_text(page) and "王小明家" in main_text(page)
    r = c.post_form(f"{EV}/{e.id}/families-attendance", {"came": [str(regs[0].id), str(regs[2].id), "abc", HUGE]},
                    token_from=f"{EV}/{e.id}/report")
    assert zh("Attendance saved.") in flash_text(follow(c, r))
    db.session.expire_all()
    came = {r_.id: r_.attended_at is not None for r_ in db.session.scalars(select(Registration))}
    assert came == {regs[0].id: True, regs[1].id: False, regs[2].id: True}
    # Unticking takes a family off again.
    c.post_form(f"{EV}/{e.id}/families-attendance", {"came": [str(regs[2].id)]}, token_from=f"{EV}/{e.id}/report")
    db.session.expire_all()
    assert {r_.id for r_ in db.session.scalars(select(Registration).where(Registration.attended_at.is_not(None)))} \
        == {regs[2].id}


def _upload_photo(c, e, data, name="photo.jpg"):
    return c.post_form(f"{EV}/{e.id}/photos", {"photo": (io.BytesIO(data), name)}, token_from=f"{EV}/{e.id}/report",
                       content_type="multipart/form-data")


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVENT_PHOTO_DIR", str(tmp_path))
    return tmp_path


def test_photos_are_checked_by_their_bytes_and_served_only_to_staff_and_the_teacher(app, world, login_as,
                                                                                   photo_dir):
    teacher = world.users["teacher"]
    e = past_event(world, leads=[teacher], grades=(5,), title="红色故事会")
    c = login_as("coordinator")
    r = _upload_photo(c, e, JPEG, "现场.jpg")
    assert zh("Photo added.") in flash_text(follow(c, r))
    [p] = db.session.scalars(select(EventPhoto)).all()
    assert (p.event_id, p.content_type, p.size, p.original_name) == (e.id, "image/jpeg", len(JPEG), "现场.jpg")
    assert (photo_dir / p.stored_name).read_bytes() == JPEG
    assert p.stored_name.endswith(".jpg") and "现场" not in p.stored_name
    # A PNG by its bytes, whatever its name says.
    _upload_photo(c, e, PNG, "photo.jpg")
    assert [x.content_type for x in db.session.scalars(select(EventPhoto).order_by(EventPhoto.id))] == [
        "image/jpeg", "image/png"]
    for data, name, message in ((b"just some text, not a photo", "photo.jpg", "Only JPEG or PNG photos can be added."),
                                (b"<svg onload=alert(1)>", "x.svg", "Only JPEG or PNG photos can be added."),
                                (b"", "empty.jpg", "The file is empty.")):
        r = _upload_photo(c, e, data, name)
        assert r.status_code == 302
        assert zh(message) in flash_text(follow(c, r)), name
    r = c.post_form(f"{EV}/{e.id}/photos", {}, token_from=f"{EV}/{e.id}/report", content_type="multipart/form-data")
    assert zh("Please choose a photo.") in flash_text(follow(c, r))
    assert count(EventPhoto) == 2 and len(list(photo_dir.iterdir())) == 2
    # The report page shows the photo; fetching it is never cached.
    page = c.get(f"{EV}/{e.id}/report").get_data(as_text=True)
    assert f'src="{EV}/photos/{p.id}"' in page
    r = c.get(f"{EV}/photos/{p.id}")
    assert r.status_code == 200 and r.data == JPEG and r.mimetype == "image/jpeg"
    assert "no-store" in r.headers["Cache-Control"] and r.headers["X-Content-Type-Options"] == "nosniff"
    assert login_as("teacher").get(f"{EV}/photos/{p.id}").status_code == 200  # the teacher responsible
    assert login_as("volunteer").get(f"{EV}/photos/{p.id}").status_code == 403
    assert login_as("parent").get(f"{EV}/photos/{p.id}").status_code == 403
    # A teacher neither responsible for the event nor teaching its grade does not know the photo.
    other_teacher = factories.user(world.school, "teacher", "other-teacher", classes=[world.own_class])
    assert client_for(app, other_teacher).get(f"{EV}/photos/{p.id}").status_code == 404


def test_a_photo_too_large_is_refused(app, world, login_as, photo_dir, monkeypatch):
    monkeypatch.setitem(app.config, "EVENT_PHOTO_MAX_BYTES", 1024)
    e = past_event(world)
    c = login_as("coordinator")
    r = _upload_photo(c, e, JPEG + b"\x00" * 2048)
    assert r.status_code == 302
    assert zh("The photo is larger than %(n)d MB. Please send a smaller one.", n=0) in flash_text(follow(c, r))
    assert count(EventPhoto) == 0 and list(photo_dir.iterdir()) == []


def test_removing_a_photo_deletes_its_file(world, login_as, photo_dir):
    e = past_event(world)
    c = login_as("coordinator")
    _upload_photo(c, e, JPEG)
    [photo_id] = db.session.scalars(select(EventPhoto.id)).all()
    page = c.get(f"{EV}/{e.id}/report").get_data(as_text=True)
    r = send(c, page, f"{EV}/photos/{photo_id}/delete")
    assert zh("Photo removed.") in flash_text(follow(c, r))
    assert count(EventPhoto) == 0 and list(photo_dir.iterdir()) == []
    assert c.get(f"{EV}/photos/{photo_id}").status_code == 404
    assert len(audits("event.photo.delete")) == 1


def test_a_photo_whose_file_is_missing_is_not_found_not_a_crash(world, login_as, photo_dir):
    """After a database restore without the photo folder, the page must still work."""
    e = past_event(world)
    c = login_as("coordinator")
    _upload_photo(c, e, JPEG)
    [p] = db.session.scalars(select(EventPhoto)).all()
    (photo_dir / p.stored_name).unlink()
    assert c.get(f"{EV}/photos/{p.id}").status_code == 404
    assert c.get(f"{EV}/{e.id}/report").status_code == 200


# =================================================================================================
# The partner directory
# =================================================================================================

def test_partners_are_added_and_edited_with_messages_for_bad_input(world, login_as):
    partner(world.far, "远方社区")
    c = login_as("coordinator")
    r = c.post_form(f"{EV}/partners", {"name": "区少儿图书馆", "kind": "图书馆", "contact": "刘老师",
                                       "phone": "0571-88888888", "active": "y"}, token_from=f"{EV}/partners")
    assert r.status_code == 302
    assert zh("Partner saved.") in flash_text(follow(c, r))
    db.session.expire_all()
    [p] = db.session.scalars(select(Partner).where(Partner.school_id == world.school.id)).all()
    assert (p.name, p.kind, p.contact, p.active) == ("区少儿图书馆", "图书馆", "刘老师", True)
    for data, field, message in (({"name": "", "kind": "社区"}, "name", "Please give the name."),
                                 ({"name": "区少儿图书馆", "kind": "社区"}, "name",
                                  "A partner with this name is already in the list."),
                                 ({"name": "新单位", "kind": "外星"}, "kind", "Please choose the kind of partner."),
                                 ({"name": "新\x00单位", "kind": "社区"}, "name",
                                  "Contains characters that are not allowed.")):
        r = c.post_form(f"{EV}/partners", data, token_from=f"{EV}/partners")
        assert r.status_code == 200
        assert zh(message) in field_error(r.get_data(as_text=True), field), data
    # The same name in another school is no clash; a rename is saved.
    r = c.post_form(f"{EV}/partners/{p.id}", {"name": "远方社区", "kind": "图书馆"}, token_from=f"{EV}/partners")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Partner, p.id).name == "远方社区" and db.session.get(Partner, p.id).active is False
    assert count(Partner) == 2
