"""Events: saving one, and who sees what. Partners, the 行事历, the private feed, volunteers signing up and what
follows the event are in partners.py, calendar.py, feed.py, signup.py and after.py.

Families register through portal.registrations.services, the same seat service as the parent school.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..core.display import cn_when
from ..core.errors import DomainError
from ..core.listing import clean_query, to_id
from ..extensions import db
from ..notices import services as notices
from ..people.models import GRADE_NAMES, SchoolClass, Volunteer
from ..permissions import holders, scope
from ..registrations import services as seats
from .models import EVENT_KINDS, PRECISIONS, Event, EventHelper, Partner

MAX_TITLE = 100  # Event.title is String(100); PostgreSQL refuses a longer one with an error, not a constraint


# Saving an event -----------------------------------------------------------------------------------

def lead_user_choices(school_id: int) -> list[User]:
    """Staff and teachers who may be named 责任人."""
    return db.session.scalars(select(User).where(User.school_id == school_id, User.active.is_(True),
                                                 holders("events.lead")).order_by(User.display_name)).all()


def volunteer_choices(school_id: int) -> list[Volunteer]:
    return db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id, Volunteer.active.is_(True))
                              .order_by(Volunteer.name_initials, Volunteer.id)).all()


def period_start(precision: str, day: date) -> date:
    """The first day of the month or half year an undated 行事历 entry is planned for."""
    if precision == "month":
        return day.replace(day=1)
    if precision == "half":
        return date(day.year, 1 if day.month <= 6 else 7, 1)
    return day


def _check_when(data: dict) -> tuple[datetime, datetime | None]:
    precision = data.get("precision")
    if precision not in PRECISIONS:
        raise DomainError(_("Please choose how precisely the date is known."), "precision")
    day = data.get("day")
    if day is None:
        raise DomainError(_("Please give the date, e.g. 2026-03-05."), "day")
    if precision == "time":
        if data.get("start") is None:
            raise DomainError(_("Please give the time, e.g. 19:00."), "start")
        starts = datetime.combine(day, data["start"])
        ends = datetime.combine(day, data["end"]) if data.get("end") else None
        if ends is not None and ends <= starts:
            raise DomainError(_("The event must end after it starts."), "end")
        return starts, ends
    return datetime.combine(period_start(precision, day), datetime.min.time()), None


def _ids_of(model, school_id: int, ids, field_name: str, message: str, extra=()):
    ids = {to_id(i) for i in ids or [] if i}
    if None in ids:  # no record has such an id (and a number too big for the column would crash the query)
        raise DomainError(message, field_name)
    if not ids:
        return []
    found = db.session.scalars(select(model).where(model.id.in_(ids), model.school_id == school_id, *extra)).all()
    if len(found) != len(ids):
        raise DomainError(message, field_name)
    return found


def save_event(actor, event: Event | None, data: dict) -> Event:
    """Create or change an event; seats and helper places never drop below what is already taken."""
    sid = actor.school_id
    title = data.get("title") or ""
    if not title.strip():
        raise DomainError(_("Please give the event a title."), "title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("At most %(max)d characters.", max=MAX_TITLE), "title")
    if data.get("kind") not in EVENT_KINDS:
        raise DomainError(_("Please choose the type of event."), "kind")
    starts, ends = _check_when(data)
    partner = None
    if data.get("partner_id"):
        partner = db.session.get(Partner, data["partner_id"])
        if partner is None or partner.school_id != sid:
            raise DomainError(_("Please choose a partner from the list."), "partner_id")
    leads = _ids_of(User, sid, data.get("lead_ids"), "lead_ids", _("Please choose staff from the list."),
                    (holders("events.lead"),))
    lead_volunteers = _ids_of(Volunteer, sid, data.get("lead_volunteer_ids"), "lead_volunteer_ids",
                              _("Please choose volunteers from the list."))
    classes = _ids_of(SchoolClass, sid, data.get("class_ids"), "class_ids", _("Please choose classes from the list."))
    grades = sorted({int(g) for g in data.get("grades") or []})
    if not set(grades) <= set(GRADE_NAMES):
        raise DomainError(_("Please choose grades from the list."), "grades")
    capacity = data.get("capacity") or 0
    if capacity and data["precision"] != "time":
        raise DomainError(_("Registration needs a date and a start time."), "capacity")
    if capacity and not data.get("for_parents"):
        raise DomainError(_("Families register only for events open to parents."), "capacity")
    deadline = None
    if capacity:
        if data.get("deadline_day") and data.get("deadline_time") is None:
            raise DomainError(_("Please give the time, e.g. 19:00."), "deadline_time")
        deadline = datetime.combine(data["deadline_day"], data["deadline_time"]) if data.get("deadline_day") else starts
        if deadline > starts:
            raise DomainError(_("Registration must close before the event starts."), "deadline_day")
    before = (event.starts_at, event.place) if event is not None else None
    asked_before = event is not None and (event.helpers_needed or event.speakers_needed)
    if event is None:
        event = Event(school_id=sid, created_by_id=actor.id, status="planned")
        db.session.add(event)
    with seats.holding(event, conflict=_("The event could not be saved. Please try again.")):
        if event.id is not None:
            if capacity < event.taken:
                raise DomainError(_("%(n)d families already hold seats; the seats cannot be fewer.", n=event.taken),
                                  "capacity")
            for role in ("helper", "speaker"):
                have = sum(1 for h in event.helpers if h.role == role and h.status == "confirmed")
                if have > (data.get(f"{role}s_needed") or 0):
                    raise DomainError(_("%(n)d volunteers have already signed up; ask fewer of them to withdraw "
                                        "first.", n=have), f"{role}s_needed")
        event.title, event.kind, event.description = data["title"], data["kind"], data.get("description") or ""
        event.partner_id = partner.id if partner else None
        event.place, event.precision, event.starts_at, event.ends_at = (data.get("place") or "", data["precision"],
                                                                        starts, ends)
        event.lead_groups = data.get("lead_groups") or ""
        event.audience_grades = ",".join(str(g) for g in grades)
        event.for_parents, event.for_volunteers = bool(data.get("for_parents")), bool(data.get("for_volunteers"))
        event.capacity, event.deadline = capacity, deadline
        event.helpers_needed, event.speakers_needed = data.get("helpers_needed") or 0, data.get("speakers_needed") or 0
        event.leads, event.classes = leads, classes
        _set_lead_volunteers(actor, event, lead_volunteers)
        db.session.flush()
        if capacity > 0:
            seats.promote(event, seats.local_now())
        change = before and seats.moved(event, before, seats.local_now())
        if change:
            seats.tell_changed(event, *change)
            _tell_volunteers(event, *change)
        if not asked_before and (event.helpers_needed or event.speakers_needed) and event.status == "planned":
            _tell_the_skilled(event)
        record(actor, "event.save", event, event.title)
    return event


def _set_lead_volunteers(actor, event: Event, volunteers: list[Volunteer]) -> None:
    wanted = {v.id for v in volunteers}
    current = {h.volunteer_id: h for h in event.helpers}
    for h in event.helpers:
        if h.role == "lead" and h.volunteer_id not in wanted:
            h.status = "cancelled"
    for vid in wanted:
        h = current.get(vid)
        if h is None:
            h = EventHelper(school_id=event.school_id, volunteer_id=vid, role="lead", added_by_id=actor.id)
            event.helpers.append(h)
            db.session.add(h)
        h.role, h.status = "lead", "confirmed"


def lead_volunteer_ids(event: Event) -> list[int]:
    return [h.volunteer_id for h in event.helpers if h.role == "lead" and h.status == "confirmed"]


def set_status(actor, event: Event, status: str, reason: str = "", now: datetime | None = None) -> None:
    now = now or seats.local_now()
    if status == "cancelled" and not reason:
        raise DomainError(_("Please say why, for the families and volunteers."), "reason")
    if status == "done" and now < event.starts_at:
        raise DomainError(_("An event can be marked as held once it has started."))
    if status not in ("planned", "done", "cancelled"):
        raise DomainError(_("Please choose a status."))
    with seats.holding(event) as held:
        was = event.status
        if was == status == "cancelled":
            raise DomainError(_("This event has been cancelled."))
        if was == status:  # a second tab or a resend: nothing changes, nobody is told again
            held.discard()
            return
        event.status, event.cancel_reason = status, reason if status == "cancelled" else ""
        if status == "cancelled" or was == "cancelled":
            seats.tell_changed(event, restored=was == "cancelled")
            _tell_volunteers(event, restored=was == "cancelled")
        record(actor, f"event.{status}", event, reason)


def _tell_the_skilled(event: Event) -> None:
    """Volunteers who asked to hear of events needing them, and one of whose skills the event names, hear that it
    asks for helpers or speakers: when it is new, or first asks."""
    text = f"{event.title} {event.kind} {event.description}"
    offered = db.session.execute(
        select(User, Volunteer.skills).join(Volunteer, Volunteer.id == User.volunteer_id)
        .where(User.id.in_(notices.chose("event.needs_you")), User.active.is_(True),
               Volunteer.school_id == event.school_id, Volunteer.active.is_(True))).all()
    readers = [user for user, skills in offered
               if any(len(word) >= 2 and word in text for word in re.split(r"[、,，;；/\s]+", skills))]
    notices.notify(readers, "event.needs_you", f"event:{event.id}", lambda: _(
        "%(what)s (%(when)s) asks for volunteers with your skills: %(helpers)d helpers, %(speakers)d speakers.",
        what=event.title, when=cn_when(event.starts_at), helpers=event.helpers_needed,
        speakers=event.speakers_needed), notices.link("events.show", event_id=event.id), due=seats.local_now())


def _tell_volunteers(event: Event, was: datetime | None = None, was_place: str | None = None,
                     restored: bool = False) -> None:
    """The volunteers signed up to help or speak at the event, and those leading it: it was cancelled, is back on, or
    moved."""
    def text() -> str:
        return seats.change_text(_("%(event)s, where you signed up to help,", event=event.title), event, was,
                                 was_place, restored)
    helping = select(EventHelper.volunteer_id).where(EventHelper.event_id == event.id,
                                                     EventHelper.status == "confirmed")
    notices.notify(notices.volunteer_readers(helping), "event.changed", f"event:{event.id}", text,
                   seats.holder_link(event), due=seats.local_now())


# Who sees what -------------------------------------------------------------------------------------

def responsible_text(event: Event) -> str:
    """The 责任人 column: staff, groups and volunteers, as on the paper table."""
    names = [u.display_name for u in event.leads]
    names += [g for g in event.lead_groups.replace("，", "、").split("、") if g.strip()]
    names += [h.volunteer.name for h in event.helpers if h.role == "lead" and h.status == "confirmed"]
    return "、".join(dict.fromkeys(n.strip() for n in names))


def loaded(stmt):
    return stmt.options(selectinload(Event.leads), selectinload(Event.partner), selectinload(Event.classes),
                        selectinload(Event.helpers).selectinload(EventHelper.volunteer))


@dataclass
class EventFilters:
    which: str = "upcoming"  # upcoming, past, all
    kind: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args):
        which = args.get("which", "upcoming")
        kind = args.get("kind", "")
        return cls(which=which if which in ("upcoming", "past", "all") else "upcoming",
                   kind=kind if kind in EVENT_KINDS else "", q=clean_query(args.get("q")))


def event_list(user, f: EventFilters, now: datetime, limit: int = 200) -> list[Event]:
    stmt = select(Event).where(scope(user, Event))
    today = datetime.combine(now.date(), datetime.min.time())
    if f.which == "upcoming":
        stmt = stmt.where(Event.starts_at >= today - timedelta(days=183), Event.status == "planned")
        stmt = stmt.where(or_(Event.starts_at >= today, Event.precision.in_(("month", "half"))))
        stmt = stmt.order_by(Event.starts_at, Event.id)
    elif f.which == "past":
        stmt = stmt.where(or_(Event.starts_at < today, Event.status == "done")).order_by(Event.starts_at.desc(), Event.id)
    else:
        stmt = stmt.order_by(Event.starts_at.desc(), Event.id)
    if f.kind:
        stmt = stmt.where(Event.kind == f.kind)
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(or_(Event.title.like(like), Event.place.like(like), Event.lead_groups.like(like)))
    events = db.session.scalars(loaded(stmt).limit(limit)).all()
    if f.which == "upcoming":  # a month-only entry stays until its month is over
        events = [e for e in events if e.dated or period_end(e) > today]
    return events


def period_end(event: Event) -> datetime:
    start = event.starts_at
    if event.precision == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if event.precision == "half":
        return start.replace(year=start.year + 1, month=1) if start.month == 7 else start.replace(month=7)
    return event.ends
