"""Reminders a family gets before what it registered for: the day before at 18:00 and two hours before, with the
place and the check-in code; and after a parent-school session it attended, the invitation to give feedback and,
when that session completed the course, word that its certificate is ready. The job runner calls send_due() and
after_sessions() every minute (portal/jobs.py); each notice's due time is part of its key, so a run repeated, late
or on two servers at once sends it once."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..core.display import cn_when
from ..core.errors import saving
from ..events.models import Event, EventHelper
from ..extensions import db
from ..parent_school import services as parent_school
from ..parent_school.models import CourseSession
from ..people.models import Guardian
from ..registrations import services as seats
from ..registrations.models import Registration
from . import services as notices
from .models import Notice

EVENING_BEFORE = time(18, 0)
HOURS_BEFORE = timedelta(hours=2)
# How far ahead a run looks: the evening before is at most 30 hours before a start at midnight.
LOOKAHEAD = timedelta(hours=30)


def due_times(starts_at: datetime) -> dict[str, datetime]:
    """The reminders of a start time, by kind: 18:00 the day before, and two hours before."""
    evening = datetime.combine(starts_at.date() - timedelta(days=1), EVENING_BEFORE)
    return {"reminder.day_before": evening, "reminder.hours_before": starts_at - HOURS_BEFORE}


def send_due(now: datetime) -> int:
    """Every reminder whose time has come for a start still ahead; returns how many registrations were reminded now.
    When both are due (a family registered on the day), only the nearer one is sent."""
    sessions = select(CourseSession.id).where(CourseSession.status.in_(("open", "closed")),
                                              CourseSession.starts_at > now,
                                              CourseSession.starts_at <= now + LOOKAHEAD)
    events = select(Event.id).where(Event.status == "planned", Event.starts_at > now,
                                    Event.starts_at <= now + LOOKAHEAD)
    regs = db.session.scalars(select(Registration).where(
        Registration.status == "confirmed", Registration.attended_at.is_(None),
        or_(Registration.session_id.in_(sessions), Registration.event_id.in_(events)))
        .order_by(Registration.id)).all()
    # Reminders already written: a run every minute looks them up once rather than writing each again.
    written = set(db.session.execute(select(Notice.subject, Notice.kind, Notice.due_at).where(
        Notice.kind.in_(("reminder.day_before", "reminder.hours_before", "event.tomorrow")),
        Notice.due_at > now - LOOKAHEAD)).all())
    sent = 0
    with saving():
        for reg in regs:
            holder = reg.holder
            due = {kind: at for kind, at in due_times(holder.starts_at).items() if at <= now}
            if not due:
                continue
            kind = "reminder.hours_before" if "reminder.hours_before" in due else "reminder.day_before"
            if (f"registration:{reg.id}", kind, due[kind]) in written:
                continue
            _remind(reg, holder, kind, due[kind], today=holder.starts_at.date() == now.date())
            sent += 1
        sent += _remind_helpers(events.where(Event.precision.in_(("time", "day"))), now, written)
    return sent


def _remind_helpers(events, now: datetime, written: set) -> int:
    """The volunteers helping, speaking at or leading an event: the evening before, with the place and time."""
    helpers = db.session.scalars(select(EventHelper).where(EventHelper.status == "confirmed",
                                                           EventHelper.event_id.in_(events))
                                 .options(joinedload(EventHelper.event)).order_by(EventHelper.id)).all()
    sent = 0
    for helper in helpers:
        event = helper.event
        due = due_times(event.starts_at)["reminder.day_before"]
        if due > now or (f"helper:{helper.id}", "event.tomorrow", due) in written:
            continue
        facts = {"what": event.title, "role": helper.role_label, "when": cn_when(event.starts_at),
                 "place": event.place or "—"}
        today = event.starts_at.date() == now.date()

        def text(facts=facts, today=today) -> str:
            if today:
                return _("Today you are %(role)s at %(what)s: %(when)s, %(place)s.", **facts)
            return _("Tomorrow you are %(role)s at %(what)s: %(when)s, %(place)s.", **facts)
        sent += notices.notify(notices.volunteer_readers(helper.volunteer_id), "event.tomorrow", f"helper:{helper.id}",
                               text, notices.link("events.show", event_id=event.id), due=due) > 0
    return sent


def _remind(reg: Registration, holder, kind: str, due: datetime, today: bool) -> None:
    def text() -> str:
        what = holder.label if holder.REG_KEY == "event_id" else f"{_('Parent school')}：{holder.label}"
        facts = {"what": what, "when": cn_when(holder.starts_at), "place": holder.place or "—", "code": reg.code}
        if kind == "reminder.hours_before":
            return _("In two hours: %(what)s, %(when)s, %(place)s. Your check-in code is %(code)s.", **facts)
        if today:  # the evening before has passed: a family that registered today, or a runner that was down
            return _("Today: %(what)s, %(when)s, %(place)s. Your check-in code is %(code)s.", **facts)
        return _("Tomorrow: %(what)s, %(when)s, %(place)s. Your check-in code is %(code)s.", **facts)

    seats.tell_family(reg, kind, text, due=due)


# How far back a run looks for sessions that have ended: a runner down longer than this leaves those families
# unasked, rather than every run looking again at every family of the day who cannot be told.
AFTER = timedelta(hours=3)


def after_sessions(now: datetime) -> int:
    """For each family that checked in at a parent-school session that has ended: an invitation to give feedback
    (unless it has), and, once per course, word that the certificate is ready when the family has completed it.
    Returns how many notices were written now."""
    ended = select(CourseSession.id).where(CourseSession.status != "cancelled", CourseSession.ends_at <= now,
                                           CourseSession.ends_at > now - AFTER)
    regs = db.session.scalars(select(Registration).where(Registration.session_id.in_(ended),
                                                         Registration.attended_at.is_not(None))
                              .options(joinedload(Registration.session).joinedload(CourseSession.course),
                                       joinedload(Registration.feedback)).order_by(Registration.id)).all()
    if not regs:
        return 0
    invited = set(db.session.scalars(select(Notice.subject).where(Notice.kind == "feedback.invited",
                                                                  Notice.due_at > now - AFTER)).all())
    certified = set(db.session.execute(
        select(Guardian.family_id, Notice.subject).join(User, User.guardian_id == Guardian.id)
        .join(Notice, Notice.user_id == User.id).where(Notice.kind == "certificate.ready",
                                                       Guardian.family_id.in_({r.family_id for r in regs}))).all())
    readers_of = notices.readers_by_family({r.family_id for r in regs})
    written = 0
    with saving():
        for reg in regs:
            session, course = reg.session, reg.session.course
            readers = readers_of.get(reg.family_id, [])
            if not readers:
                continue
            if reg.feedback is None and f"registration:{reg.id}" not in invited:
                written += notices.notify(readers, "feedback.invited", f"registration:{reg.id}", lambda course=course: _(
                    "Thank you for coming to %(course)s. How was it? One tap gives your stars.", course=course.title),
                    notices.link("parent_school.session", session_id=session.id), due=session.ends_at)
            subject = f"course:{course.id}"
            if (reg.family_id, subject) not in certified and parent_school.attended_counts(
                    course, [reg.family_id]).get(reg.family_id, 0) >= course.sessions_required:
                written += notices.notify(readers, "certificate.ready", subject, lambda course=course: _(
                    "Your family has completed the parent-school course %(course)s: its certificate is ready to "
                    "open and print.", course=course.title),
                    notices.link("parent_school.certificate", course_id=course.id), due=session.ends_at)
                certified.add((reg.family_id, subject))
    return written
