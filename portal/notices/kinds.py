"""Every kind of notice the portal writes: who gets it, and what each reader may choose for it.

A reader picks per kind: at once, in a daily digest (the e-mail or SMS of 19:00 gathers the day's notices), or off
(not written at all). What must reach them (a session cancelled or moved, an announcement) has no choice. The
settings page lists the kinds of the reader's roles; notify() refuses a kind not listed here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import lazy_pgettext
from sqlalchemy import select

from ..auth.models import STAFF
from ..extensions import db
from .models import NoticeChoice

NOW, DIGEST, OFF = "now", "digest", "off"
DIGEST_AT = time(19, 0)
MODE_LABELS = {NOW: lazy_pgettext("notice choice", "At once"),
               DIGEST: lazy_pgettext("notice choice", "In the daily digest (19:00)"),
               OFF: lazy_pgettext("notice choice", "Off")}


@dataclass(frozen=True)
class Kind:
    key: str
    label: object
    audience: str  # family, volunteer, teacher, office, staff (teachers and office) or everyone
    must_reach: bool = False
    digest: bool = True  # a reminder for a time cannot wait for the evening's digest
    default: str = NOW

    def modes(self) -> tuple[str, ...]:
        if self.must_reach:
            return (NOW,)
        return (NOW, DIGEST, OFF) if self.digest else (NOW, OFF)


KINDS = {k.key: k for k in (
    Kind("announcement", lazy_pgettext("notice kind", "Announcements from the school"), "everyone", must_reach=True),
    Kind("registration.confirmed", lazy_pgettext("notice kind", "Registered by another of the family, with the check-in code"),
         "family"),
    Kind("registration.promoted", lazy_pgettext("notice kind", "A seat off the waiting list"), "family"),
    Kind("registration.cancelled", lazy_pgettext("notice kind", "Registration cancelled by the office"), "family",
         must_reach=True),
    Kind("session.changed", lazy_pgettext("notice kind", "A session or event moved or cancelled"), "family",
         must_reach=True),
    Kind("reminder.day_before", lazy_pgettext("notice kind", "Reminder the evening before"), "family", digest=False),
    Kind("reminder.hours_before", lazy_pgettext("notice kind", "Reminder two hours before"), "family", digest=False),
    Kind("course.unregistered", lazy_pgettext("notice kind", "A required course not yet registered for"), "family"),
    Kind("feedback.invited", lazy_pgettext("notice kind", "Asked for feedback after a session"), "family"),
    Kind("certificate.ready", lazy_pgettext("notice kind", "A course completed: its certificate is ready"), "family"),
    Kind("help.answered", lazy_pgettext("notice kind", "Help request answered"), "family"),
    Kind("hours.approved", lazy_pgettext("notice kind", "Hours approved"), "volunteer"),
    Kind("hours.rejected", lazy_pgettext("notice kind", "Hours sent back"), "volunteer"),
    Kind("event.changed", lazy_pgettext("notice kind", "An event you help at moved or cancelled"), "volunteer",
         must_reach=True),
    Kind("event.tomorrow", lazy_pgettext("notice kind", "The evening before an event you help at"), "volunteer",
         digest=False),
    Kind("event.needs_you", lazy_pgettext("notice kind", "New events asking for volunteers with my skills"),
         "volunteer", default=OFF),
    Kind("pair.started", lazy_pgettext("notice kind", "A new pair, or a pair confirmed"), "volunteer"),
    Kind("pair.paused", lazy_pgettext("notice kind", "A pair paused or resumed"), "volunteer"),
    Kind("pair.ended", lazy_pgettext("notice kind", "A pair ended"), "volunteer"),
    Kind("visit.due", lazy_pgettext("notice kind", "A visit due in three days"), "volunteer"),
    Kind("pair.attention", lazy_pgettext("notice kind", "No visit for 14 days (需关注)"), "volunteer"),
    Kind("pair.overdue", lazy_pgettext("notice kind", "No visit for 30 days (逾期)"), "volunteer"),
    Kind("need.matched", lazy_pgettext("notice kind", "A need of my class matched with a volunteer"), "teacher"),
    Kind("event.signup", lazy_pgettext("notice kind", "A volunteer signed up for or withdrew from my event"),
         "staff"),
    Kind("help.waiting", lazy_pgettext("notice kind", "Help requests waiting (each morning)"), "office"),
    Kind("hours.waiting", lazy_pgettext("notice kind", "Hours waiting more than 3 days for me to verify"), "staff"),
    Kind("digest.weekly", lazy_pgettext("notice kind", "The office's weekly digest (Monday morning)"), "office"),
    Kind("task.new", lazy_pgettext("notice kind", "A task from the district"), "office", must_reach=True),
    Kind("task.returned", lazy_pgettext("notice kind", "A return sent back by the district"), "office", must_reach=True),
    Kind("task.reminder", lazy_pgettext("notice kind", "The district's reminder of a task not yet submitted"), "office",
         must_reach=True),
    Kind("task.results", lazy_pgettext("notice kind", "A competition's results published"), "office"),
)}


def audiences(user) -> set[str]:
    out = {"everyone"}
    if user.guardian_id:
        out.add("family")
    if user.volunteer_id:
        out.add("volunteer")
    if user.role == "teacher":
        out.add("teacher")
    if user.role in STAFF:
        out.add("office")
    if user.role in STAFF or user.role == "teacher":
        out.add("staff")
    return out


def kinds_for(user) -> list[Kind]:
    """The kinds this reader can get, in the order of KINDS."""
    theirs = audiences(user)
    return [k for k in KINDS.values() if k.audience in theirs]


def choices_of(user) -> dict[str, str]:
    """The reader's choice for each of their kinds (the default where they made none)."""
    made = dict(db.session.execute(select(NoticeChoice.kind, NoticeChoice.mode)
                                   .where(NoticeChoice.user_id == user.id)).all())
    return {k.key: made.get(k.key, k.default) if not k.must_reach else NOW for k in kinds_for(user)}


def modes_for(kind: Kind, user_ids) -> dict[int, str]:
    """Each reader's choice for one kind: one statement for all of a notice's readers."""
    if kind.must_reach:
        return {user_id: NOW for user_id in user_ids}
    made = dict(db.session.execute(select(NoticeChoice.user_id, NoticeChoice.mode).where(
        NoticeChoice.kind == kind.key, NoticeChoice.user_id.in_(list(user_ids)))).all())
    return {user_id: made.get(user_id, kind.default) for user_id in user_ids}


def next_digest(now: datetime) -> datetime:
    today = datetime.combine(now.date(), DIGEST_AT)
    return today if now < today else today + timedelta(days=1)
