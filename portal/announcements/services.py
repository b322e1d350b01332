"""Announcements (通知): staff write to an audience, each of its logins finds a notice in the bell, readers confirm
when asked, and the sender sees who read it and reminds the rest in one tap.

Whom an announcement is addressed to is fixed when it is sent: one recipient row per family (the parents of a grade or
a class, the families registered or waiting for a session or event), per volunteer or per member of staff. Their
logins are looked up when they are needed, so a family whose login was opened after the sending is still reminded.
A recipient has read it when one of its logins has opened its notice (Notice.read_at, set by the bell or by opening
the announcement); has confirmed it when one of them tapped 我已阅读 (AnnouncementReceipt).

send() writes the announcement, its recipients, their notices and the audit entry in one transaction (an outbox: all
of them or none); remind() tells the recipients not yet read (or confirmed) again, once a day at most.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import String, and_, cast, distinct, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..core.clock import local_now
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..core.submit_token import earlier_submit, save_once
from ..events.models import Event
from ..extensions import db
from ..notices import services as notices
from ..notices.models import Notice
from ..parent_school.models import CourseSession
from ..people.models import GRADE_NAMES, Family, Guardian, SchoolClass, Student, Volunteer
from ..permissions import STAFF, scope
from ..registrations.models import ACTIVE, Registration
from .models import (
    KIND,
    MAX_BODY,
    MAX_TITLE,
    Announcement,
    AnnouncementReceipt,
    AnnouncementRecipient,
    addressed_to,
)

STAFF_ROLES = (*sorted(STAFF), "teacher")  # "all staff": the office and the class teachers


# --- whom to: the audiences a sender may choose ----------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    value: str  # as the form sends it: "class:12", "volunteers"
    kind: str  # grade, class, session, event, volunteers or staff
    target_id: int | None
    label: str
    group: str  # the heading it is listed under


def _short_day(moment: datetime) -> str:
    return _("%(month)d/%(day)d", month=moment.month, day=moment.day)


def audiences_for(actor, now: datetime) -> dict[str, Audience]:
    """What the actor may send to, in the order the form lists it: the office, every audience of its school (all
    volunteers, all staff, the parents of a grade or a class, the families registered for a session or an event still
    to come); a class teacher, the parents of her own classes."""
    out: list[Audience] = []
    if actor.role in STAFF:
        everyone = _("The whole school")
        out += [Audience("volunteers", "volunteers", None, _("All volunteers"), everyone),
                Audience("staff", "staff", None, _("All staff"), everyone)]
        classes = db.session.scalars(select(SchoolClass).where(
            SchoolClass.school_id == actor.school_id, SchoolClass.active.is_(True))
            .order_by(SchoolClass.grade, SchoolClass.name)).all()
        out += [Audience(f"grade:{grade}", "grade", grade,
                         _("Parents of all of %(grade)s", grade=GRADE_NAMES.get(grade, str(grade))),
                         _("Parents of a grade"))
                for grade in sorted({c.grade for c in classes})]
    elif actor.role == "teacher":
        classes = [c for c in actor.classes if c.active]
    else:
        return {}
    out += [Audience(f"class:{c.id}", "class", c.id, _("Parents of %(klass)s", klass=c.label), _("Parents of a class"))
            for c in classes]
    if actor.role in STAFF:
        sessions = db.session.scalars(select(CourseSession).where(
            CourseSession.school_id == actor.school_id, CourseSession.status.in_(("open", "closed")),
            CourseSession.ends_at > now).order_by(CourseSession.starts_at, CourseSession.id)
            .options(selectinload(CourseSession.course))).all()
        out += [Audience(f"session:{s.id}", "session", s.id, _(
            "Parent school: the families registered for %(what)s (%(day)s)", what=s.label, day=_short_day(s.starts_at)),
            _("Registered for a parent-school session")) for s in sessions]
        today = datetime.combine(now.date(), time.min)
        events = db.session.scalars(select(Event).where(
            Event.school_id == actor.school_id, Event.status == "planned", Event.capacity > 0,
            or_(Event.ends_at > now, and_(Event.ends_at.is_(None), Event.starts_at >= today)))
            .order_by(Event.starts_at, Event.id)).all()
        out += [Audience(f"event:{e.id}", "event", e.id, _(
            "Event: the families registered for %(what)s (%(day)s)", what=e.title, day=_short_day(e.starts_at)),
            _("Registered for an event")) for e in events]
    return {a.value: a for a in out}


def _recipients(actor, audience: Audience) -> tuple[str, list[int]]:
    """The audience as it is now: ("family_id", the families), ("volunteer_id", the volunteers) or ("user_id", the
    members of staff, the sender left out). Active ones of the actor's school only."""
    sid, target = actor.school_id, audience.target_id
    if audience.kind in ("grade", "class"):
        which = SchoolClass.grade == target if audience.kind == "grade" else SchoolClass.id == target
        ids = select(Student.family_id).join(SchoolClass, SchoolClass.id == Student.class_id).join(
            Family, Family.id == Student.family_id).where(
            Student.school_id == sid, Student.active.is_(True), SchoolClass.active.is_(True), Family.active.is_(True),
            which)
        return "family_id", sorted(set(db.session.scalars(ids)))
    if audience.kind in ("session", "event"):
        holder = Registration.session_id if audience.kind == "session" else Registration.event_id
        ids = select(Registration.family_id).join(Family, Family.id == Registration.family_id).where(
            Registration.school_id == sid, holder == target, Registration.status.in_(ACTIVE), Family.active.is_(True))
        return "family_id", sorted(set(db.session.scalars(ids)))
    if audience.kind == "volunteers":
        return "volunteer_id", db.session.scalars(select(Volunteer.id).where(
            Volunteer.school_id == sid, Volunteer.active.is_(True)).order_by(Volunteer.id)).all()
    return "user_id", db.session.scalars(select(User.id).where(
        User.school_id == sid, User.role.in_(STAFF_ROLES), User.active.is_(True), User.id != actor.id)
        .order_by(User.id)).all()


def _readers(column: str, ids: list[int]) -> list[User]:
    """The active logins of the recipients."""
    if column == "family_id":
        return notices.family_readers(ids)
    if column == "volunteer_id":
        return notices.volunteer_readers(ids)
    return db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))).all()


# --- sending ---------------------------------------------------------------------------------------------------


def _checked(actor, data: dict) -> tuple[str, str, Audience, bool]:
    title = (data.get("title") or "").strip()
    body = (data.get("body") or "").strip()
    if not title:
        raise DomainError(_("Please give the announcement a title."), "title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("Please keep the title to %(n)d characters.", n=MAX_TITLE), "title")
    if not body:
        raise DomainError(_("Please write what the announcement says."), "body")
    if len(body) > MAX_BODY:
        raise DomainError(_("Please keep the text to %(n)d characters.", n=MAX_BODY), "body")
    audience = audiences_for(actor, local_now()).get(data.get("audience") or "")
    if audience is None:
        raise DomainError(_("Please choose from the list whom it is for."), "audience")
    return title, body, audience, bool(data.get("confirm"))


def send(actor, data: dict, submit_token: str | None = None) -> tuple[Announcement, bool]:
    """Send an announcement: the row, one recipient per family or person of the audience, a notice to each of their
    logins and the audit entry, in one transaction. Returns (it, True), or (the one an earlier send of the same form
    made, False). An audience with nobody in it, or with no one who has a login, is refused."""
    earlier = earlier_submit(Announcement, submit_token)
    if earlier is not None:
        return earlier, False
    title, body, audience, confirm = _checked(actor, data)
    column, ids = _recipients(actor, audience)
    if not ids:
        raise DomainError(_("There is nobody in %(who)s to send it to.", who=audience.label), "audience")
    readers = _readers(column, ids)
    if not readers:
        raise DomainError(_("No one in %(who)s has a login yet, so the announcement would reach nobody. Please phone "
                            "them, or open their logins first.", who=audience.label), "audience")

    def write():
        ann = Announcement(school_id=actor.school_id, title=title, body=body, audience=audience.kind,
                           target_id=audience.target_id, audience_label=audience.label[:120], confirm=confirm,
                           sent_by_id=actor.id, sent_at=utcnow(), submit_token=submit_token or None)
        db.session.add(ann)
        db.session.flush()
        db.session.execute(AnnouncementRecipient.__table__.insert(),
                           [{"announcement_id": ann.id, column: i} for i in ids])
        notices.notify(readers, KIND, ann.subject, lambda: _notice_text(title, confirm),
                       notices.link("announcements.show", announcement_id=ann.id), due=local_now())
        record(actor, "announcement.send", ann,
               f"audience={audience.value} recipients={len(ids)} logins={len(readers)} confirm={int(confirm)}")
        return ann

    return save_once(Announcement, submit_token, _("The announcement could not be sent. Please try again."), write)


def _notice_text(title: str, confirm: bool, reminder: bool = False) -> str:
    if reminder:
        return (_("Reminder: please read the announcement %(title)s and confirm that you have read it.", title=title)
                if confirm else _("Reminder: please read the announcement %(title)s.", title=title))
    return (_("Announcement: %(title)s (please confirm that you have read it)", title=title) if confirm
            else _("Announcement: %(title)s", title=title))


# --- reading ---------------------------------------------------------------------------------------------------


def is_addressed(user, ann: Announcement) -> bool:
    return db.session.scalar(select(AnnouncementRecipient.id).where(
        AnnouncementRecipient.announcement_id == ann.id, addressed_to(user)).limit(1)) is not None


def opened(reader, ann: Announcement) -> tuple[bool, datetime | None]:
    """The reader opened the announcement: their notices of it are read (however they came: the bell, an e-mail's
    link). Returns whether it was addressed to them, and when they confirmed it."""
    if not is_addressed(reader, ann):
        return False, None
    with saving():
        db.session.execute(update(Notice).where(Notice.user_id == reader.id, Notice.kind == KIND,
                                                Notice.subject == ann.subject, Notice.read_at.is_(None))
                           .values(read_at=utcnow()))
    return True, _confirmed_at(reader, ann)


def _confirmed_at(reader, ann: Announcement) -> datetime | None:
    return db.session.scalar(select(AnnouncementReceipt.confirmed_at).where(
        AnnouncementReceipt.announcement_id == ann.id, AnnouncementReceipt.user_id == reader.id))


def confirm(reader, ann: Announcement) -> datetime:
    """The reader's 我已阅读, once: a second tap keeps the first time."""
    if not ann.confirm:
        raise DomainError(_("This announcement does not ask for a confirmation."))
    if not is_addressed(reader, ann):
        raise DomainError(_("This announcement was not sent to you, so there is nothing to confirm."))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    with saving():
        db.session.execute(dialect.insert(AnnouncementReceipt).values(
            announcement_id=ann.id, user_id=reader.id, confirmed_at=utcnow()).on_conflict_do_nothing(
            index_elements=["announcement_id", "user_id"]))
        db.session.execute(update(Notice).where(Notice.user_id == reader.id, Notice.kind == KIND,
                                                Notice.subject == ann.subject, Notice.read_at.is_(None))
                           .values(read_at=utcnow()))
    return _confirmed_at(reader, ann)


# --- the sender's view: lists, receipts, reminders ---------------------------------------------------------------


def listed(user):
    """The announcements whose receipts the user may see: the office all of its school's, a teacher her own; newest
    first."""
    return (select(Announcement).where(scope(user, Announcement, "announcements.receipts"))
            .order_by(Announcement.sent_at.desc(), Announcement.id.desc()).options(selectinload(Announcement.sent_by)))


def _logins(announcement_ids):
    """(recipient_id, announcement_id, user_id, active) for every login of the announcements' recipients: a family's
    guardians' logins, a volunteer's, a member of staff's own."""
    r = AnnouncementRecipient
    cols = (r.id.label("recipient_id"), r.announcement_id.label("announcement_id"), User.id.label("user_id"),
            User.active.label("active"))
    of = r.announcement_id.in_(announcement_ids)
    return union_all(
        select(*cols).join(Guardian, Guardian.family_id == r.family_id).join(User, User.guardian_id == Guardian.id)
        .where(of),
        select(*cols).join(User, User.volunteer_id == r.volunteer_id).where(of),
        select(*cols).join(User, User.id == r.user_id).where(of))


@dataclass
class Tally:
    recipients: int = 0
    read: int = 0
    confirmed: int = 0


def tallies(announcement_ids: list[int]) -> dict[int, Tally]:
    """For each announcement: how many families or people it was addressed to, and how many of them have read it
    and confirmed it. Three statements for a page of announcements."""
    out = {i: Tally() for i in announcement_ids}
    if not announcement_ids:
        return out
    r = AnnouncementRecipient
    for ann_id, n in db.session.execute(select(r.announcement_id, func.count()).where(
            r.announcement_id.in_(announcement_ids)).group_by(r.announcement_id)):
        out[ann_id].recipients = n
    logins = _logins(announcement_ids).subquery()
    subject = literal(f"{KIND}:", String) + cast(logins.c.announcement_id, String)
    read = select(logins.c.announcement_id, func.count(distinct(logins.c.recipient_id))).join(Notice, and_(
        Notice.user_id == logins.c.user_id, Notice.kind == KIND, Notice.subject == subject,
        Notice.read_at.is_not(None))).group_by(logins.c.announcement_id)
    for ann_id, n in db.session.execute(read):
        out[ann_id].read = n
    confirmed = select(logins.c.announcement_id, func.count(distinct(logins.c.recipient_id))).join(
        AnnouncementReceipt, and_(AnnouncementReceipt.user_id == logins.c.user_id,
                                  AnnouncementReceipt.announcement_id == logins.c.announcement_id)
    ).group_by(logins.c.announcement_id)
    for ann_id, n in db.session.execute(confirmed):
        out[ann_id].confirmed = n
    return out


@dataclass
class Receipt:
    """One family or person the announcement was addressed to, as the sender reads it."""
    recipient: AnnouncementRecipient
    logins: list[int]  # their active logins now
    read: bool
    confirmed_at: datetime | None

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def done(self, ann: Announcement) -> bool:
        """Read, or confirmed where the announcement asks for it."""
        return self.confirmed if ann.confirm else self.read or self.confirmed

    @property
    def name(self) -> str:
        r = self.recipient
        return r.family.name if r.family_id else r.volunteer.name if r.volunteer_id else r.user.display_name


def receipts(ann: Announcement) -> list[Receipt]:
    """Every family or person the announcement was addressed to, with whether they read or confirmed it: those with
    no login first (to be phoned), then those not done yet, then the rest; each group by name."""
    recipients = db.session.scalars(select(AnnouncementRecipient).where(
        AnnouncementRecipient.announcement_id == ann.id).order_by(AnnouncementRecipient.id).options(
        selectinload(AnnouncementRecipient.family).selectinload(Family.guardians),
        selectinload(AnnouncementRecipient.family).selectinload(Family.children).selectinload(Student.school_class),
        selectinload(AnnouncementRecipient.volunteer), selectinload(AnnouncementRecipient.user))).all()
    logins = db.session.execute(_logins([ann.id])).all()
    everyone = {row.user_id for row in logins}
    read = set(db.session.scalars(select(Notice.user_id).where(
        Notice.user_id.in_(everyone), Notice.kind == KIND, Notice.subject == ann.subject,
        Notice.read_at.is_not(None)))) if everyone else set()
    confirmed = dict(db.session.execute(select(AnnouncementReceipt.user_id, AnnouncementReceipt.confirmed_at).where(
        AnnouncementReceipt.announcement_id == ann.id)).all())
    by_recipient: dict[int, list] = {}
    for row in logins:
        by_recipient.setdefault(row.recipient_id, []).append(row)
    out = []
    for r in recipients:
        rows = by_recipient.get(r.id, [])
        times = [confirmed[row.user_id] for row in rows if row.user_id in confirmed]
        out.append(Receipt(r, [row.user_id for row in rows if row.active], any(row.user_id in read for row in rows),
                           min(times) if times else None))
    out.sort(key=lambda x: (bool(x.logins), x.done(ann), x.name))
    return out


def unread(ann: Announcement, rows: list[Receipt]) -> list[Receipt]:
    """The recipients a reminder reaches: not done yet, with a login."""
    return [x for x in rows if x.logins and not x.done(ann)]


def remind(actor, ann: Announcement, today: date) -> int:
    """Tell the recipients who have not read it (or not confirmed it, where it asks) again: a fresh notice to each
    of their logins, once a day at most per announcement. Returns how many families or people were reminded."""
    waiting = unread(ann, receipts(ann))
    if not waiting:
        raise DomainError(_("Everyone with a login has read it; there is nobody to remind."))
    with saving():
        took = db.session.execute(update(Announcement).where(
            Announcement.id == ann.id, or_(Announcement.reminded_on.is_(None), Announcement.reminded_on < today))
            .values(reminded_on=today).execution_options(synchronize_session=False))
        if took.rowcount != 1:
            raise DomainError(_("The unread were reminded today already; you can remind them again tomorrow."))
        readers = db.session.scalars(select(User).where(
            User.id.in_([user_id for x in waiting for user_id in x.logins]))).all()
        title, asks = ann.title, ann.confirm
        notices.notify(readers, KIND, ann.subject, lambda: _notice_text(title, asks, reminder=True),
                       notices.link("announcements.show", announcement_id=ann.id), due=datetime.combine(today, time.min))
        record(actor, "announcement.remind", ann, f"recipients={len(waiting)} logins={len(readers)}")
    return len(waiting)


def reminded_today(ann: Announcement, today: date) -> bool:
    return ann.reminded_on == today

