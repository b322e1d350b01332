"""Volunteers signing up to help or speak at an event, withdrawing, and the events still short of them."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..extensions import db
from ..notices import services as notices
from ..people.models import Volunteer
from ..permissions import can
from ..registrations import services as seats
from .models import Event, EventHelper


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


def sign_up(event: Event, volunteer: Volunteer, role: str, by, now: datetime | None = None) -> EventHelper:
    """Take a helper's or speaker's place; the event's row is locked, so two volunteers never take the last one.
    Asking again for the place one has is answered with it, not an error."""
    now = now or seats.local_now()
    if role not in ("helper", "speaker"):
        raise DomainError(_("Please choose to help or to speak."), "role")
    if volunteer.school_id != event.school_id or not volunteer.active:
        raise DomainError(_("Please choose an active volunteer."))
    with seats.holding(event, conflict=_("You are already on this event.")):
        if event.status != "planned" or now >= event.starts_at and event.dated:
            raise DomainError(_("This event no longer takes sign-ups."))
        helper = db.session.scalar(select(EventHelper).where(EventHelper.event_id == event.id,
                                                             EventHelper.volunteer_id == volunteer.id)
                                   .execution_options(populate_existing=True))
        if helper is not None and helper.status == "confirmed" and helper.role == role:
            return helper  # a double tap: the place is already theirs, which is what they asked for
        if helper is not None and helper.status == "confirmed":
            raise DomainError(_("You are already on this event as %(role)s.", role=helper.role_label))
        taken = db.session.scalar(select(func.count()).where(EventHelper.event_id == event.id,
                                                             EventHelper.role == role,
                                                             EventHelper.status == "confirmed"))
        needed = event.helpers_needed if role == "helper" else event.speakers_needed
        if taken >= needed:
            raise DomainError(_("All places have been taken. Thank you all the same!"))
        if helper is None:
            helper = EventHelper(school_id=event.school_id, event_id=event.id, volunteer_id=volunteer.id,
                                 added_by_id=by.id)
            db.session.add(helper)
        helper.role, helper.status, helper.added_by_id = role, "confirmed", by.id
        db.session.flush()
        record(by, "event.sign_up", event, f"volunteer={volunteer.id} role={role}")
        _tell_leads(event, lambda: _("%(name)s signed up as %(role)s for %(event)s.", name=volunteer.name,
                                     role=helper.role_label, event=event.title))
    return helper


def _tell_leads(event: Event, text) -> None:
    """The event's 责任人 among the staff hear of each volunteer who signs up or withdraws."""
    notices.notify([user for user in event.leads if user.active], "event.signup", f"event:{event.id}", text,
                   notices.link("events.show", event_id=event.id), due=seats.local_now())


def withdraw(helper: EventHelper, by, now: datetime | None = None) -> None:
    now = now or seats.local_now()
    event = helper.event
    with seats.holding(event) as held:
        db.session.refresh(helper)
        if event.dated and now >= event.starts_at and not can(by, "events.manage"):
            raise DomainError(_("The event has started; please tell the committee office."))
        if helper.status == "cancelled":  # withdrawn already (a second tab): nothing to record or tell again
            held.discard()
            return
        helper.status = "cancelled"
        record(by, "event.withdraw", event, f"volunteer={helper.volunteer_id}")
        _tell_leads(event, lambda: _("%(name)s withdrew from %(event)s.", name=helper.volunteer.name,
                                     event=event.title))


def withdraw_volunteer(actor, volunteer_id: int, now: datetime) -> int:
    """A deactivated volunteer comes off every event still to come (as 责任人, speaker or helper), so its places
    show as open again. Returns how many."""
    helpers = db.session.scalars(
        select(EventHelper).join(Event).where(EventHelper.volunteer_id == volunteer_id,
                                              EventHelper.status == "confirmed", Event.status == "planned",
                                              or_(Event.precision.not_in(("time", "day")), Event.starts_at > now))).all()
    with saving():
        for helper in helpers:
            helper.status = "cancelled"
            record(actor, "event.withdraw", helper.event, f"volunteer={volunteer_id} deactivated")
    return len(helpers)
