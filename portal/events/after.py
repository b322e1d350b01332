"""After the event: its summary, the volunteers who came with their hours, and the families who came."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..extensions import db
from ..hours import ledger as hours
from ..hours.models import HourEntry
from ..registrations import services as seats
from ..registrations.models import Registration
from .models import Event, EventHelper


def save_summary(actor, event: Event, summary: str, participants: int | None) -> None:
    if event.status == "cancelled":
        raise DomainError(_("A cancelled event has no summary."))
    if event.dated and seats.local_now() < event.starts_at:
        raise DomainError(_("The summary is written after the event has started."))
    if participants is not None and not 0 <= participants <= 100000:
        raise DomainError(_("Please give a whole number from 0 to 100000."), "participants")
    with saving():
        event.summary, event.participants = summary, participants
        event.summarised_at, event.summarised_by_id = utcnow(), actor.id
        if event.status == "planned":
            event.status = "done"
        record(actor, "event.summary", event, f"participants={participants}")


@dataclass
class HelperClaim:
    helper: EventHelper
    attended: bool
    hours: str = ""


def record_helpers(actor, event: Event, claims: list[HelperClaim], day: date, today: date) -> int:
    """Attendance of the event's volunteers and their hours in one step: a pending hour entry for each volunteer who
    came and has none for this event yet. All or nothing. Returns the number of entries made."""
    made = 0
    with saving():
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
    return made


def family_attendance(actor, event: Event, attended_ids: set[int]) -> int:
    """Tick the families who came after the event, from the paper sign-in sheet; not before it has begun."""
    if event.dated and seats.local_now() < event.starts_at:
        raise DomainError(_("Attendance is ticked after the event has started."))
    changed = 0
    with seats.holding(event):
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
