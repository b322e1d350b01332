"""Events and the 行事历: saving, who sees what, helpers signing up, the summary with attendance and hours.

Families register through portal.registrations.services, the same seat service as the parent school.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..core.errors import DomainError, saving
from ..core.listing import clean_query, to_id
from ..core.models import utcnow
from ..extensions import db
from ..hours import services as hours
from ..hours.models import HourEntry
from ..parent_school.models import CourseSession
from ..people.models import GRADE_NAMES, SchoolClass, Volunteer
from ..people.services import term_for
from ..permissions import can, holders, may_sign_in, scope
from ..registrations import services as seats
from ..registrations.models import Registration
from . import access
from .models import EVENT_KINDS, PARTNER_KINDS, PRECISIONS, Event, EventHelper, Partner

MAX_TITLE = 100  # Event.title is String(100); PostgreSQL refuses a longer one with an error, not a constraint
HALF_NAMES = {1: "上半年", 7: "下半年"}
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


# Partners ----------------------------------------------------------------------------------------

def partners(school_id: int, active_only: bool = True) -> list[Partner]:
    stmt = select(Partner).where(Partner.school_id == school_id)
    if active_only:
        stmt = stmt.where(Partner.active.is_(True))
    return db.session.scalars(stmt.order_by(Partner.kind, Partner.name)).all()


def save_partner(actor, partner: Partner | None, data: dict) -> Partner:
    if data.get("kind") not in PARTNER_KINDS:
        raise DomainError(_("Please choose the kind of partner."), "kind")
    name = data["name"]
    clash = db.session.scalar(select(Partner).where(Partner.school_id == actor.school_id, Partner.name == name))
    if clash is not None and clash is not partner:
        raise DomainError(_("A partner with this name is already in the list."), "name")
    if partner is None:
        partner = Partner(school_id=actor.school_id)
        db.session.add(partner)
    partner.name, partner.kind = name, data["kind"]
    partner.contact, partner.phone = data.get("contact") or "", data.get("phone") or ""
    partner.active = bool(data.get("active", True))
    with saving(_("A partner with this name is already in the list."), "name"):
        db.session.flush()
        record(actor, "partner.save", partner, partner.name)
    return partner


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
    if event is None:
        event = Event(school_id=sid, created_by_id=actor.id, status="planned")
        db.session.add(event)
    else:
        seats.lock(event)
        if capacity < event.taken:
            db.session.rollback()
            raise DomainError(_("%(n)d families already hold seats; the seats cannot be fewer.", n=event.taken),
                              "capacity")
        for role in ("helper", "speaker"):
            have = sum(1 for h in event.helpers if h.role == role and h.status == "confirmed")
            if have > (data.get(f"{role}s_needed") or 0):
                db.session.rollback()
                raise DomainError(_("%(n)d volunteers have already signed up; ask fewer of them to withdraw first.",
                                    n=have), f"{role}s_needed")
    event.title, event.kind, event.description = data["title"], data["kind"], data.get("description") or ""
    event.partner_id = partner.id if partner else None
    event.place, event.precision, event.starts_at, event.ends_at = data.get("place") or "", data["precision"], starts, ends
    event.lead_groups = data.get("lead_groups") or ""
    event.audience_grades = ",".join(str(g) for g in grades)
    event.for_parents, event.for_volunteers = bool(data.get("for_parents")), bool(data.get("for_volunteers"))
    event.capacity, event.deadline = capacity, deadline
    event.helpers_needed, event.speakers_needed = data.get("helpers_needed") or 0, data.get("speakers_needed") or 0
    event.leads, event.classes = leads, classes
    _set_lead_volunteers(actor, event, lead_volunteers)
    with saving(_("The event could not be saved. Please try again.")):
        db.session.flush()
        if capacity > 0:
            seats.promote(event, seats.local_now())
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
    seats.lock(event)
    event.status, event.cancel_reason = status, reason if status == "cancelled" else ""
    record(actor, f"event.{status}", event, reason)
    db.session.commit()


# Who sees what -------------------------------------------------------------------------------------

def responsible_text(event: Event) -> str:
    """The 责任人 column: staff, groups and volunteers, as on the paper table."""
    names = [u.display_name for u in event.leads]
    names += [g for g in event.lead_groups.replace("，", "、").split("、") if g.strip()]
    names += [h.volunteer.name for h in event.helpers if h.role == "lead" and h.status == "confirmed"]
    return "、".join(dict.fromkeys(n.strip() for n in names))


def _loaded(stmt):
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
    events = db.session.scalars(_loaded(stmt).limit(limit)).all()
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


def needing_help(volunteer_id: int, school_id: int, now: datetime) -> list[Event]:
    """Planned events still short of helpers or speakers, which this volunteer has not joined."""
    joined = select(EventHelper.event_id).where(EventHelper.volunteer_id == volunteer_id,
                                                EventHelper.status == "confirmed")
    events = db.session.scalars(select(Event).where(
        Event.school_id == school_id, Event.status == "planned", Event.starts_at >= now,
        or_(Event.helpers_needed > 0, Event.speakers_needed > 0), Event.id.not_in(joined))
        .order_by(Event.starts_at).options(selectinload(Event.helpers))).all()
    return [e for e in events if open_places(e, "helper") or open_places(e, "speaker")]


def committed(volunteer_id: int, school_id: int, now: datetime) -> list[EventHelper]:
    """The coming events this volunteer leads, speaks at or helps with, soonest first: what they have promised."""
    return db.session.scalars(
        select(EventHelper).join(Event, Event.id == EventHelper.event_id)
        .where(EventHelper.volunteer_id == volunteer_id, EventHelper.status == "confirmed",
               Event.school_id == school_id, Event.status == "planned",
               func.coalesce(Event.ends_at, Event.starts_at) >= now.replace(hour=0, minute=0, second=0, microsecond=0))
        .order_by(Event.starts_at, Event.id).options(selectinload(EventHelper.event))).all()


def open_places(event: Event, role: str) -> int:
    needed = event.helpers_needed if role == "helper" else event.speakers_needed
    return needed - sum(1 for h in event.helpers if h.role == role and h.status == "confirmed")


# Volunteers signing up -----------------------------------------------------------------------------

def sign_up(event: Event, volunteer: Volunteer, role: str, by, now: datetime | None = None) -> EventHelper:
    """Take a helper's or speaker's place; the event's row is locked, so two volunteers never take the last one.
    Asking again for the place one has is answered with it, not an error."""
    now = now or seats.local_now()
    if role not in ("helper", "speaker"):
        raise DomainError(_("Please choose to help or to speak."), "role")
    if volunteer.school_id != event.school_id or not volunteer.active:
        raise DomainError(_("Please choose an active volunteer."))
    seats.lock(event)
    try:
        if event.status != "planned" or now >= event.starts_at and event.dated:
            raise DomainError(_("This event no longer takes sign-ups."))
        helper = db.session.scalar(select(EventHelper).where(EventHelper.event_id == event.id,
                                                             EventHelper.volunteer_id == volunteer.id)
                                   .execution_options(populate_existing=True))
        if helper is not None and helper.status == "confirmed" and helper.role == role:
            db.session.commit()  # a double tap: the place is already theirs, which is what they asked for
            return helper
        if helper is not None and helper.status == "confirmed":
            raise DomainError(_("You are already on this event as %(role)s.", role=helper.role_label))
        taken = db.session.scalar(select(func.count()).where(EventHelper.event_id == event.id,
                                                             EventHelper.role == role,
                                                             EventHelper.status == "confirmed"))
        needed = event.helpers_needed if role == "helper" else event.speakers_needed
        if taken >= needed:
            raise DomainError(_("All places have been taken. Thank you all the same!"))
    except DomainError:
        db.session.rollback()
        raise
    if helper is None:
        helper = EventHelper(school_id=event.school_id, event_id=event.id, volunteer_id=volunteer.id, added_by_id=by.id)
        db.session.add(helper)
    helper.role, helper.status, helper.added_by_id = role, "confirmed", by.id
    with saving(_("You are already on this event.")):
        db.session.flush()
        record(by, "event.sign_up", event, f"volunteer={volunteer.id} role={role}")
    return helper


def withdraw(helper: EventHelper, by, now: datetime | None = None) -> None:
    now = now or seats.local_now()
    event = seats.lock(helper.event)
    db.session.refresh(helper)
    if event.dated and now >= event.starts_at and not can(by, "events.manage"):
        db.session.rollback()
        raise DomainError(_("The event has started; please tell the committee office."))
    helper.status = "cancelled"
    record(by, "event.withdraw", event, f"volunteer={helper.volunteer_id}")
    db.session.commit()


def withdraw_volunteer(actor, volunteer_id: int, now: datetime) -> int:
    """A deactivated volunteer comes off every event still to come (as 责任人, speaker or helper), so its places
    show as open again. Returns how many."""
    helpers = db.session.scalars(
        select(EventHelper).join(Event).where(EventHelper.volunteer_id == volunteer_id,
                                              EventHelper.status == "confirmed", Event.status == "planned",
                                              or_(Event.precision.not_in(("time", "day")), Event.starts_at > now))).all()
    for helper in helpers:
        helper.status = "cancelled"
        record(actor, "event.withdraw", helper.event, f"volunteer={volunteer_id} deactivated")
    db.session.commit()
    return len(helpers)


# The calendar ----------------------------------------------------------------------------------------

@dataclass
class Period:
    key: str
    name: str
    starts: date
    ends: date  # inclusive


def period(key: str | None, today: date) -> Period:
    """A term ("2026-1", "2026-2") or a school year ("2026"); the current term when the key is unknown."""
    try:
        if key and "-" in key:
            year, half = (int(x) for x in key.split("-"))
            if 2000 <= year <= 2100 and half in (1, 2):
                name, starts, ends = term_for(date(year, 9, 1) if half == 1 else date(year + 1, 3, 1))
                return Period(key, name, starts, ends)
        elif key:
            year = int(key)
            if 2000 <= year <= 2100:
                return Period(key, f"{year}–{year + 1}学年", date(year, 9, 1), date(year + 1, 8, 31))
    except ValueError:
        pass
    name, starts, ends = term_for(today)
    return Period(f"{starts.year if starts.month == 9 else starts.year - 1}-{1 if starts.month == 9 else 2}",
                  name, starts, ends)


def periods_around(today: date) -> list[Period]:
    """The terms and school years offered in the calendar's filter: last year's to next year's."""
    current = period(None, today)
    year = int(current.key.split("-")[0])
    out = []
    for y in (year + 1, year, year - 1):
        out += [period(f"{y}-2", today), period(f"{y}-1", today), period(str(y), today)]
    return out


@dataclass
class MonthGroup:
    label: str
    events: list = field(default_factory=list)


def calendar_events(school_id: int, p: Period, kind: str = "", month: int | None = None,
                    user=None) -> list[Event]:
    starts = datetime.combine(p.starts, datetime.min.time())
    ends = datetime.combine(p.ends + timedelta(days=1), datetime.min.time())
    stmt = select(Event).where(Event.school_id == school_id, Event.starts_at < ends,
                               Event.starts_at >= starts - timedelta(days=184))
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if user is not None:
        stmt = stmt.where(scope(user, Event))
    events = db.session.scalars(_loaded(stmt.order_by(Event.starts_at, Event.id))).all()
    events = [e for e in events if period_end(e) > starts]
    if month:
        events = [e for e in events if e.precision != "half" and e.starts_at.month == month]
    return events


def month_groups(events: list[Event], p: Period) -> list[MonthGroup]:
    """By month as on the paper 行事历; half-year entries after the months. Within a month, entries known only by
    the month come first."""
    spans_years = p.starts.year != p.ends.year
    months: dict[tuple, MonthGroup] = {}
    halves: dict[tuple, MonthGroup] = {}
    for e in sorted(events, key=lambda e: (e.starts_at.year, e.starts_at.month, e.dated, e.starts_at, e.id)):
        y, m = e.starts_at.year, e.starts_at.month
        if e.precision == "half":
            halves.setdefault((y, m), MonthGroup(f"{y}年{HALF_NAMES[m]}")).events.append(e)
        else:
            label = f"{y}年{m}月" if spans_years else f"{m}月"
            months.setdefault((y, m), MonthGroup(label)).events.append(e)
    return [months[k] for k in sorted(months)] + [halves[k] for k in sorted(halves)]


def when_text(event: Event) -> str:
    """The date as the calendar prints it: 3月5日 14:00–16:00, 3月（日期待定）, 2026年下半年."""
    s = event.starts_at
    if event.precision == "half":
        return f"{s.year}年{HALF_NAMES[s.month]}"
    if event.precision == "month":
        return f"{s.month}月（日期待定）"
    text = f"{s.month}月{s.day}日"
    if event.precision == "time":
        text += f" {s:%H:%M}"
        if event.ends_at and event.ends_at.date() == s.date():
            text += f"–{event.ends_at:%H:%M}"
    return text


# Private calendar feed -----------------------------------------------------------------------------

def feed_token(user, renew: bool = False) -> str:
    if user.calendar_token is None or renew:
        user.calendar_token = secrets.token_urlsafe(24)
        record(user, "calendar.feed_token", user, "renewed" if renew else "created")
        db.session.commit()
    return user.calendar_token


def user_by_feed_token(token: str) -> User | None:
    # Only what secrets.token_urlsafe makes: a NUL byte in the address would make PostgreSQL refuse the query.
    if not token or len(token) > 64 or not FEED_TOKEN.fullmatch(token):
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    return user if user is not None and may_sign_in(user) else None


def feed_events(user, now: datetime) -> list[Event]:
    """The user's own dated events from 60 days back: those they lead, help at, or registered for; the whole
    school's for coordinators."""
    stmt = select(Event).where(Event.school_id == user.school_id, Event.precision.in_(("time", "day")),
                               Event.starts_at >= now - timedelta(days=60))
    own = access.feed_condition(user)
    if own is not None:
        stmt = stmt.where(own)
    return db.session.scalars(_loaded(stmt.order_by(Event.starts_at))).all()


def feed_sessions(user, now: datetime) -> list[Registration]:
    """A parent's parent-school registrations, for the same feed."""
    if user.family is None:  # only a parent's account has a family
        return []
    return db.session.scalars(select(Registration).join(CourseSession).where(
        Registration.family_id == user.family.id, Registration.status.in_(seats.ACTIVE),
        CourseSession.starts_at >= now - timedelta(days=60)).options(
        selectinload(Registration.session).selectinload(CourseSession.course))).all()


# After the event -----------------------------------------------------------------------------------

def save_summary(actor, event: Event, summary: str, participants: int | None) -> None:
    if event.status == "cancelled":
        raise DomainError(_("A cancelled event has no summary."))
    if event.dated and seats.local_now() < event.starts_at:
        raise DomainError(_("The summary is written after the event has started."))
    if participants is not None and not 0 <= participants <= 100000:
        raise DomainError(_("Please give a whole number from 0 to 100000."), "participants")
    event.summary, event.participants = summary, participants
    event.summarised_at, event.summarised_by_id = utcnow(), actor.id
    if event.status == "planned":
        event.status = "done"
    record(actor, "event.summary", event, f"participants={participants}")
    db.session.commit()


@dataclass
class HelperClaim:
    helper: EventHelper
    attended: bool
    hours: str = ""


def record_helpers(actor, event: Event, claims: list[HelperClaim], day: date, today: date) -> int:
    """Attendance of the event's volunteers and their hours in one step: a pending hour entry for each volunteer who
    came and has none for this event yet. All or nothing. Returns the number of entries made."""
    made = 0
    try:
        for claim in claims:
            h = claim.helper
            if h.event_id != event.id:
                raise DomainError(_("Please choose volunteers of this event."))
            h.attended = claim.attended
            if not claim.attended or h.hour_entry_id is not None or not claim.hours:
                continue
            value = hours.parse_hours(claim.hours, f"hours-{h.id}")
            entry = hours.new_entry(actor, h.volunteer, {"worked_on": day, "hours": value, "activity": "event",
                                                         "event_id": event.id, "note": event.title[:200]}, today,
                                    field=f"hours-{h.id}")
            h.hour_entry_id = entry.id
            made += 1
        record(actor, "event.attendance", event, f"helpers={len(claims)} hours_entries={made}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return made


def family_attendance(actor, event: Event, attended_ids: set[int]) -> int:
    """Tick the families who came after the event, from the paper sign-in sheet; not before it has begun."""
    if event.dated and seats.local_now() < event.starts_at:
        raise DomainError(_("Attendance is ticked after the event has started."))
    seats.lock(event)
    changed = 0
    for reg in db.session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                             Registration.status == "confirmed")
                                  .execution_options(populate_existing=True)):
        came = reg.id in attended_ids
        if came and reg.attended_at is None:
            reg.attended_at, reg.checked_in_by_id = utcnow(), actor.id
            changed += 1
        elif not came and reg.attended_at is not None:
            reg.attended_at, reg.checked_in_by_id = None, None
            changed += 1
    record(actor, "event.family_attendance", event, f"attended={len(attended_ids)}")
    db.session.commit()
    return changed


def registrations(event: Event) -> list[Registration]:
    return db.session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                         Registration.status != "cancelled")
                              .order_by(Registration.status, Registration.seq)
                              .options(selectinload(Registration.student), selectinload(Registration.school_class),
                                       selectinload(Registration.family))).all()


def logged_hours(event: Event) -> dict[int, Decimal]:
    """Hours already on the ledger for this event, by volunteer (pending or approved)."""
    return dict(db.session.execute(
        select(HourEntry.volunteer_id, func.sum(HourEntry.hours)).where(
            HourEntry.event_id == event.id, HourEntry.status.in_(("pending", "approved")))
        .group_by(HourEntry.volunteer_id)).all())

