"""The one way seats are taken and given back, for parent-school sessions and for events alike.

A seat holder is a CourseSession or an Event: both keep capacity, taken and queue_no, say which Registration column
points at them (REG_KEY), when registration closes (closes_at), their state at a given time, and whether a child's
family may come (admits). Every change runs in `holding(holder)`, which starts by locking the holder's row with an
UPDATE, before anything is read (a registration writes a family's first row under the lock without looking for one,
and a row the family had is read again under the lock): PostgreSQL then holds the row until commit, and SQLite
takes its write lock (waiting out busy_timeout) on a fresh snapshot. So two registrations for one holder run one
after the other, the seat count read under the lock is the true one, the database's CHECK (taken <= capacity) is
the last guard, and a freed seat goes to the first family waiting in the same transaction that freed it.
"""
from __future__ import annotations

import secrets
import unicodedata
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..core.clock import local_now
from ..core.database import busy
from ..core.display import cn_when
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..extensions import db
from ..notices import services as notices
from ..parent_school.models import SeatQuota
from .models import ACTIVE, Registration

# No 0/O, 1/I/L: a code read aloud or typed on a phone is not mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def normalise_code(text: str) -> str:
    """Upper case, without spaces or dashes; full-width ＡＢ３ (a Chinese input method's) read as AB3."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())[:CODE_LENGTH * 2]


def of(holder):
    """The condition picking the holder's registrations."""
    return getattr(Registration, holder.REG_KEY) == holder.id


def _lock(holder, arrival: bool = False):
    """Take the holder's row for this transaction and read it afresh in the same statement (UPDATE … RETURNING:
    the lock is held until commit, so every statement under it delays the next family); `arrival` also draws a
    queue number. A storm can queue past any worker timeout, so the wait is bounded (database.py: LOCK_WAIT_SECONDS,
    tried twice), and then the family is told to try again in a minute; `holding` rolls back, so nothing is saved."""
    model = type(holder)
    stmt = (update(model).where(model.id == holder.id)
            .values(queue_no=model.queue_no + (1 if arrival else 0)).returning(model))
    options = {"synchronize_session": False, "populate_existing": True}
    # SQLite's failed write leaves the transaction as it was, so it is tried again here; on PostgreSQL a lock wait
    # that times out ends the transaction, and its connection's one wait is already twice as long.
    for _attempt in range(2 if db.engine.dialect.name == "sqlite" else 1):
        try:
            return db.session.scalars(stmt, execution_options=options).one()
        except OperationalError as err:
            if not busy(err):
                raise
    raise DomainError(_("Many people are doing this at the same moment. Please try again in a minute."))


class Held:
    """A block's hold on a seat holder: whether its work is kept."""

    def __init__(self):
        self.kept = True

    def discard(self) -> None:
        """The block found nothing to change: its transaction rolls back, so the lock's write is not kept either (a
        queue number drawn on arrival stays free for the next family)."""
        self.kept = False


@contextmanager
def holding(holder, arrival: bool = False, conflict: str | None = None):
    """The one way a change to a holder's seats ends (pretix's atomic + lock_objects): the holder's row is locked
    and the holder object read afresh in place (`arrival` also draws a queue number), the block runs, and its
    transaction commits as the block ends or rolls back on any exception; a constraint's refusal (IntegrityError)
    becomes `conflict` when one is given. A holder not yet in the database has nothing to lock, as no one else can
    see it, and draws no number."""
    held = Held()
    with saving(conflict):
        if holder.id is not None:
            _lock(holder, arrival)
        yield held
        if not held.kept:
            db.session.rollback()


def _family_registration(holder, family_id: int) -> Registration | None:
    """The family's registration as the database has it now: a copy loaded earlier in this request (before the
    lock) must not stand in for it, or a row another request changed meanwhile would be counted twice."""
    return db.session.scalar(select(Registration).where(of(holder), Registration.family_id == family_id)
                             .execution_options(populate_existing=True))


def _draw() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _new_code(holder, family_id: int | None = None) -> tuple[str, Registration | None]:
    """A code none of the holder's registrations has, and the family's registration if it has one, in one look.
    Drawn before the lock, by looking up the draw rather than reading every code under it; a draw another family
    takes meanwhile (about one in 10⁹) is refused by the unique constraint, as a double registration is."""
    while True:
        code = _draw()
        found = db.session.scalars(select(Registration).where(
            of(holder), or_(Registration.code == code, Registration.family_id == family_id))
            .execution_options(populate_existing=True)).all()
        if all(r.code != code for r in found):
            return code, next(iter(found), None)


def _quotas(holder) -> dict[int, int]:
    if holder.REG_KEY != "session_id":  # seats are reserved per class only for parent-school sessions
        return {}
    return dict(db.session.execute(select(SeatQuota.class_id, SeatQuota.seats).where(SeatQuota.session_id == holder.id)).all())


def _new_registration(holder, family_id: int, code: str) -> Registration:
    return Registration(school_id=holder.school_id, family_id=family_id, code=code, **{holder.REG_KEY: holder.id})


def admissible(holder, class_id: int, at_door: bool = False) -> bool:
    """Whether a family of this class may take a seat now. Seats reserved for a class go to its families
    first; the rest are open to all. At the door the reservations no longer hold: any free seat is taken."""
    if holder.taken >= holder.capacity:
        return False
    quotas = _quotas(holder)
    if at_door or not quotas:
        return True
    counts = dict(db.session.execute(
        select(Registration.class_id, func.count()).where(of(holder), Registration.status == "confirmed")
        .group_by(Registration.class_id)).all())
    if counts.get(class_id, 0) < quotas.get(class_id, 0):
        return True
    general = holder.capacity - sum(quotas.values())
    general_used = sum(max(0, n - quotas.get(k, 0)) for k, n in counts.items())
    return general_used < general


def promote(holder, now: datetime) -> list[Registration]:
    """Give free seats to waiting families in their order of arrival; runs inside the caller's `holding()`."""
    if holder.status in ("cancelled", "done") or now >= holder.starts_at:
        return []
    promoted = []
    waiting = db.session.scalars(select(Registration).where(of(holder), Registration.status == "waitlisted")
                                 .order_by(Registration.seq).execution_options(populate_existing=True)).all()
    for reg in waiting:
        if holder.taken >= holder.capacity:
            break
        if admissible(holder, reg.class_id):
            reg.status, reg.promoted_at = "confirmed", utcnow()
            holder.taken += 1
            db.session.flush()
            promoted.append(reg)
            tell_family(reg, "registration.promoted", lambda reg=reg: _(
                "You have a seat now, off the waiting list: %(what)s, %(when)s, %(place)s. Your check-in code is "
                "%(code)s.", what=holder.label, when=cn_when(holder.starts_at), place=holder.place or "—",
                code=reg.code))
    return promoted


def tell_family(reg: Registration, kind: str, text, due: datetime | None = None, but=None) -> None:
    """A notice to the family's logins (`but` one of them) about its registration, leading to the session's or
    event's page: in the transaction that changed it, or at a reminder's due time."""
    readers = [user for user in notices.family_readers(reg.family_id) if but is None or user.id != but.id]
    if not readers:
        return
    notices.notify(readers, kind, f"registration:{reg.id}", text, holder_link(reg.holder), due=due)


def tell_changed(holder, was: datetime | None = None, was_place: str | None = None, restored: bool = False) -> None:
    """Every family registered or waiting for the holder is told it was cancelled (with the reason), is back on
    (`restored`), or moved from `was` (and `was_place`): what must reach a family, whatever it chose for other
    notices."""
    families = select(Registration.family_id).where(of(holder), Registration.status.in_(ACTIVE))

    def text() -> str:
        what = holder.label if holder.REG_KEY == "event_id" else f"{_('Parent school')}：{holder.label}"
        return change_text(what, holder, was, was_place, restored)
    notices.notify(notices.family_readers(families), "session.changed", f"{holder.REG_KEY[:-3]}:{holder.id}", text,
                   holder_link(holder), due=local_now())


def change_text(what: str, holder, was: datetime | None, was_place: str | None, restored: bool = False) -> str:
    """What a session's or event's change says: cancelled with the reason, back on, or moved."""
    if holder.status == "cancelled":
        return _("Cancelled: %(what)s (%(when)s) will not take place. %(reason)s", what=what,
                 when=cn_when(holder.starts_at), reason=holder.cancel_reason)
    if restored:
        return _("Back on: %(what)s takes place after all, %(when)s, %(place)s.", what=what,
                 when=cn_when(holder.starts_at), place=holder.place or "—")
    return _("Changed: %(what)s is now %(when)s, %(place)s (it was %(before)s).", what=what,
             when=cn_when(holder.starts_at), place=holder.place or "—",
             before="，".join(x for x in (cn_when(was) if was else "", was_place or "") if x))


def holder_link(holder) -> str:
    """The page of a session or an event, where a notice about it leads."""
    if holder.REG_KEY == "session_id":
        return notices.link("parent_school.session", session_id=holder.id)
    return notices.link("events.show", event_id=holder.id)


def moved(holder, before: tuple[datetime, str], now: datetime) -> tuple[datetime | None, str | None] | None:
    """What of (start, place) changed since `before`, for tell_changed; None when neither did, or when nobody is to be
    told: the holder is cancelled, or it had already taken place."""
    was, was_place = before
    if holder.status == "cancelled" or was <= now:
        return None
    if (holder.starts_at, holder.place or "") == (was, was_place or ""):
        return None
    return (was if holder.starts_at != was else None), (was_place if (holder.place or "") != (was_place or "")
                                                         else None)


def _closed_message(holder, state: str) -> str:
    if holder.REG_KEY == "event_id":
        return {"cancelled": _("This event has been cancelled."),
                "done": _("This event is over."),
                "closed": _("Registration for this event has closed.")}[state]
    return {"cancelled": _("This session has been cancelled."),
            "done": _("This session is over."),
            "closed": _("Registration for this session has closed.")}[state]


def child_to_register(family, chosen: int, offered: list[int]):
    """The child chosen on a family's form; a form offering one child only sends no choice, and means that one."""
    chosen = chosen or (offered[0] if len(offered) == 1 else 0)
    student = next((c for c in family.children if c.id == chosen and c.active), None)
    if student is None:
        raise DomainError(_("Please choose one of your children."))
    return student


class _Taken(Exception):
    """A unique constraint refused the registration's row: the family has one already, or the code was drawn."""


def register(holder, student, by, now: datetime | None = None) -> tuple[Registration, bool]:
    """Register the child's family: a seat if one is free for it, else the next place on the waiting list.
    Returns the registration and whether it is new (False: the family was already registered)."""
    now = now or local_now()
    family = student.family
    if family is None or not student.active or student.school_id != holder.school_id:
        raise DomainError(_("Please choose one of your children."), "student_id")
    problem = holder.admits(student)
    if problem:
        raise DomainError(problem, "student_id")
    # A family has no row for the session yet almost always, so its row is written without looking for one first:
    # a statement fewer for every family of a storm. The unique constraints refuse the rare rest (a second tab, a
    # family registering again after cancelling, a code drawn twice), which then take the careful way. A double
    # submit now waits its turn for the lock and costs more than a registration: cheaper overall while repeats are
    # rare (the figures are in the commit that made it so, ac5b7ff).
    try:
        return _take_place(holder, student, by, _draw(), None, now)
    except _Taken:
        pass
    # The family's registration is looked for before the lock, which every family of a storm waits for in turn.
    # One it has is read again under the lock; one another tab of the family adds meanwhile is refused by the
    # unique constraint, and that tab's registration is the answer.
    code, reg = _new_code(holder, family.id)
    if reg is not None and reg.status in ACTIVE and holder.state(now) in ("open", "full"):
        db.session.rollback()  # end the read: nothing was locked or changed
        return reg, False
    try:
        return _take_place(holder, student, by, code, reg, now)
    except _Taken:
        first = _family_registration(holder, family.id)
        if first is None or first.status not in ACTIVE:
            raise DomainError(_("Your family is already registered for this session.")
                              if holder.REG_KEY == "session_id"
                              else _("Your family is already registered for this event.")) from None
        db.session.rollback()  # end the read, as above
        return first, False


def _take_place(holder, student, by, code: str, reg: Registration | None, now: datetime
                ) -> tuple[Registration, bool]:
    """Under the holder's lock: a seat or the next place on the waiting list for the family, in its row `reg`
    (one it had, which is read again under the lock) or a new one with `code`; committed. Raises _Taken, rolled
    back, when a unique constraint refuses the row."""
    try:
        with holding(holder, arrival=True) as held:
            state = holder.state(now)
            if state not in ("open", "full"):
                raise DomainError(_closed_message(holder, state))
            if reg is not None:
                reg = _family_registration(holder, student.family_id)
                if reg.status in ACTIVE:
                    held.discard()
                    return reg, False
            status = "confirmed" if admissible(holder, student.class_id) else "waitlisted"
            if reg is None:
                reg = _new_registration(holder, student.family_id, code)
            reg.student_id, reg.class_id, reg.registered_by_id = student.id, student.class_id, by.id
            reg.seq, reg.cancelled_at, reg.promoted_at, reg.walk_in, reg.status = (holder.queue_no, None, None, False,
                                                                                    status)
            db.session.add(reg)
            if status == "confirmed":
                holder.taken += 1
                db.session.flush()
                # The family's other logins: whoever registered sees it on the page. One statement more in a
                # storm for a family with one login, the usual case.
                tell_family(reg, "registration.confirmed", lambda: _(
                    "%(who)s registered your family: %(what)s, %(when)s, %(place)s. Your check-in code is %(code)s.",
                    who=by.display_name, what=holder.label, when=cn_when(holder.starts_at),
                    place=holder.place or "—", code=reg.code), but=by)
            committed = {"status": status, "seq": holder.queue_no, "session_id": None, "event_id": None,
                         holder.REG_KEY: holder.id}
    except IntegrityError as exc:
        raise _Taken from exc
    for key, value in committed.items():  # what the caller reads next, as committed: no statement to read it back
        set_committed_value(reg, key, value)
    return reg, True


def waiting_position(reg: Registration) -> int:
    """候补第 N 位: how many families wait before this one, plus one."""
    same = (Registration.session_id == reg.session_id if reg.session_id is not None
            else Registration.event_id == reg.event_id)
    return db.session.scalar(select(func.count()).where(same, Registration.status == "waitlisted",
                                                        Registration.seq < reg.seq)) + 1


def cancel(reg: Registration, by, now: datetime | None = None, staff: bool = False) -> list[Registration]:
    """Cancel a registration; a seat it held goes to the first family waiting. Families may cancel until the
    deadline, staff at any time before check-in. Returns the families promoted."""
    now = now or local_now()
    holder = reg.holder
    with holding(holder) as held:
        db.session.refresh(reg)
        if reg.status == "cancelled":
            held.discard()
            return []
        if reg.attended_at is not None:
            raise DomainError(_("This family has already checked in; the registration cannot be cancelled."))
        if not staff and now >= holder.closes_at and reg.status == "confirmed":  # leaving the waiting list frees no seat
            raise DomainError(_("The deadline has passed; to cancel now, please tell the committee office."))
        held_seat = reg.status == "confirmed"
        reg.status, reg.cancelled_at, reg.promoted_at = "cancelled", utcnow(), None
        promoted = []
        if held_seat:
            holder.taken -= 1
            db.session.flush()
            promoted = promote(holder, now)
        if staff:
            record(by, "registration.cancel", reg, f"{holder.REG_KEY}={holder.id} family={reg.family_id}")
            tell_family(reg, "registration.cancelled", lambda: _(
                "The committee office cancelled your registration for %(what)s (%(when)s). If you did not expect "
                "this, please ask the office.", what=holder.label, when=cn_when(holder.starts_at)))
    return promoted


def cancel_family(actor, family_id: int, now: datetime) -> int:
    """A deactivated family's registrations for sessions and events still to come are cancelled by the office;
    each seat goes to the first family waiting. Returns how many."""
    regs = db.session.scalars(select(Registration).where(Registration.family_id == family_id,
                                                         Registration.status.in_(ACTIVE),
                                                         Registration.attended_at.is_(None))).all()
    cancelled = 0
    for reg in regs:
        if reg.holder.starts_at > now:
            try:
                cancel(reg, actor, now, staff=True)
            except DomainError:  # checked in meanwhile
                continue
            cancelled += 1
    return cancelled


def _attend(reg: Registration, by, holder) -> None:
    if reg.status == "waitlisted":
        if not admissible(holder, reg.class_id, at_door=True):
            raise DomainError(_("This family is on the waiting list and there is no free seat."))
        reg.status, reg.promoted_at = "confirmed", utcnow()
        holder.taken += 1
    reg.attended_at, reg.checked_in_by_id = utcnow(), by.id


def check_in_window(holder) -> tuple[datetime, datetime]:
    """When the door takes check-ins, in the holder's wall-clock time (Shanghai): from a while before the start, so
    attendance never counts before it happens, until a while after the end, for late families and the list tidied
    up that evening."""
    config = current_app.config
    return holder.starts_at - config["CHECK_IN_OPENS_BEFORE"], holder.ends + config["CHECK_IN_CLOSES_AFTER"]


def check_in_closed(holder, now: datetime | None = None) -> str | None:
    """Why the door takes no check-in now (not open yet, or closed), or None while it does."""
    now = now or local_now()
    opens, closes = check_in_window(holder)
    if now < opens:
        return _("Check-in opens at %(when)s.", when=cn_when(opens))
    if now > closes:
        return _("Check-in closed at %(when)s.", when=cn_when(closes))
    return None


def _door_open(holder) -> None:
    message = check_in_closed(holder)
    if message:
        raise DomainError(message)


def check_in(holder, code: str, by) -> tuple[Registration, bool]:
    """Check a family in by its code. Returns the registration and whether it was checked in just now
    (False: it had checked in before)."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        raise DomainError(_("A check-in code has %(n)d letters and digits.", n=CODE_LENGTH), "code")
    reg = db.session.scalar(select(Registration).where(of(holder), Registration.code == code))
    if reg is None:
        raise DomainError(_("No family of this session has the code %(code)s.", code=code)
                          if holder.REG_KEY == "session_id" else
                          _("No family registered for this event has the code %(code)s.", code=code), "code")
    return check_in_registration(reg, by)


def check_in_registration(reg: Registration, by) -> tuple[Registration, bool]:
    holder = reg.holder
    with holding(holder) as held:
        db.session.refresh(reg)
        if holder.status == "cancelled":
            raise DomainError(_closed_message(holder, "cancelled"))
        if reg.status == "cancelled":
            raise DomainError(_("This family cancelled its registration."))
        if reg.attended_at is not None:
            held.discard()
            return reg, False
        _door_open(holder)
        _attend(reg, by, holder)
    return reg, True


def walk_in(holder, student, by) -> tuple[Registration, bool]:
    """A family that comes to the door: checked in on its registration, or added if a seat is free."""
    family = student.family
    if family is None or student.school_id != holder.school_id:
        raise DomainError(_("This student has no family on record; add the family first."))
    code = _new_code(holder)[0]
    twice = (_("This family is already registered for this session.") if holder.REG_KEY == "session_id"
             else _("This family is already registered for this event."))
    with holding(holder, arrival=True, conflict=twice) as held:
        reg = _family_registration(holder, family.id)
        registered = reg is not None and reg.status in ACTIVE
        if registered:  # checked in on its registration, without the queue number this arrival drew
            held.discard()
        else:
            if holder.status == "cancelled":
                raise DomainError(_closed_message(holder, "cancelled"))
            _door_open(holder)
            if holder.taken >= holder.capacity:
                raise DomainError(_("No seat is free: all %(n)d seats are taken.", n=holder.capacity))
            if reg is None:
                reg = _new_registration(holder, family.id, code)
            reg.student_id, reg.class_id, reg.registered_by_id = student.id, student.class_id, by.id
            reg.seq, reg.cancelled_at, reg.walk_in, reg.status = holder.queue_no, None, True, "confirmed"
            reg.attended_at, reg.checked_in_by_id = utcnow(), by.id
            db.session.add(reg)
            holder.taken += 1
    if registered:
        return check_in_registration(reg, by)
    return reg, True


def undo_check_in(reg: Registration, by) -> None:
    """A check-in made by mistake; the seat stays the family's."""
    holder = reg.holder
    with holding(holder):
        db.session.refresh(reg)
        if reg.attended_at is not None:
            reg.attended_at, reg.checked_in_by_id = None, None
            record(by, "registration.undo_check_in", reg, f"{holder.REG_KEY}={holder.id}")
