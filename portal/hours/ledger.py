"""服务时长, the ledger: logging hours, review, corrections and the lists of entries. Each write commits.

A correction never edits a row: a reversal (a negative approved row) cancels it, so every sum over approved rows
stays right.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.listing import int_arg
from ..core.models import utcnow
from ..core.submit_token import save_once
from ..events.models import Event
from ..extensions import db
from ..needs.models import Need
from ..notices import services as notices
from ..pairs.models import Pair, PairNeed, PairVolunteer
from ..people.models import VOLUNTEER_KINDS, Volunteer
from ..permissions import can, scope
from .models import ACTIVITIES, HOUR_STEP, MAX_HOURS_PER_DAY, HourEntry

MAX_NOTE = 500
MAX_REASON = 200
MAX_BACKDATE_DAYS = 366  # what a volunteer may log; older service comes to the office on paper
OFFICE_BACKDATE_DAYS = 5 * 366  # the office enters paper records of the last five years
MAX_BATCH = 500
ZERO = Decimal(0)


# --- logging -------------------------------------------------------------------------------------

def parse_hours(text, field: str = "hours") -> Decimal:
    """Hours as typed or tapped: more than 0, at most a day's maximum, in half-hour steps."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Please enter the hours as a number, e.g. 1.5."), field) from None
    if not value.is_finite() or value <= 0:
        raise DomainError(_("The hours must be more than 0."), field)
    if value > MAX_HOURS_PER_DAY:
        raise DomainError(_("At most %(n)s hours can be recorded for one day.", n=MAX_HOURS_PER_DAY), field)
    # value % HOUR_STEP alone passes 1e-999999999999: the remainder underflows to 0 (and the database refuses it).
    if value != value.quantize(HOUR_STEP) or value % HOUR_STEP:
        raise DomainError(_("Hours go in half-hour steps, e.g. 0.5, 1 or 1.5."), field)
    return value


def day_total(volunteer_id: int, day: date) -> Decimal:
    """Hours already claimed for a day: pending and approved rows, corrections included."""
    return db.session.scalar(select(func.coalesce(func.sum(HourEntry.hours), 0)).where(
        HourEntry.volunteer_id == volunteer_id, HourEntry.worked_on == day,
        HourEntry.status.in_(("pending", "approved")))) or ZERO


def check_day(volunteer_id: int, day: date, hours: Decimal, field: str = "hours", less: Decimal = ZERO):
    """Within the transaction that then saves: two logs for one volunteer at once are taken one after the
    other (the first write locks the volunteer's row), so the second sees the first's hours."""
    db.session.execute(update(Volunteer).where(Volunteer.id == volunteer_id)
                       .values(updated_at=Volunteer.updated_at).execution_options(synchronize_session=False))
    already = Decimal(day_total(volunteer_id, day)) - less
    if already + hours > MAX_HOURS_PER_DAY:
        from ..core.display import cn_day

        raise DomainError(_("%(day)s already has %(had)s hours; %(more)s more would pass the limit of %(max)s hours "
                            "a day.", day=cn_day(day), had=_h(already), more=_h(hours), max=_h(MAX_HOURS_PER_DAY)),
                          field)


def _h(value: Decimal) -> str:
    from ..core.display import hours_text
    return hours_text(Decimal(value))


def check_date(day: date | None, today: date, field: str = "worked_on", office: bool = False):
    if day is None:
        raise DomainError(_("Please give the date, e.g. 2026-03-05."), field)
    if day > today:
        raise DomainError(_("The date cannot be in the future."), field)
    if office and day < today - timedelta(days=OFFICE_BACKDATE_DAYS):
        raise DomainError(_("Only service within the last five years can be entered."), field)
    if not office and day < today - timedelta(days=MAX_BACKDATE_DAYS):
        raise DomainError(_("Only service within the last year can be logged here. Please ask the office about older "
                            "service."), field)


def pairs_for_logging(volunteer_id: int) -> list[Pair]:
    """The volunteer's pairs that hours may be linked to: those they are or were in, not ended long ago."""
    return db.session.scalars(
        select(Pair).join(PairVolunteer, PairVolunteer.pair_id == Pair.id)
        .where(PairVolunteer.volunteer_id == volunteer_id, PairVolunteer.left_at.is_(None),
               Pair.status.in_(("pending", "active", "paused")))
        .order_by(Pair.id.desc())
        # The form labels each pair with its beneficiaries and category.
        .options(selectinload(Pair.pair_needs).joinedload(PairNeed.need).options(
            joinedload(Need.student), joinedload(Need.young_teacher), joinedload(Need.category)))).unique().all()


def events_for_logging(school_id: int, today: date) -> list[Event]:
    """Events of the last 60 days and today, newest first: hours are logged after helping."""
    return db.session.scalars(
        select(Event).where(Event.school_id == school_id, Event.status != "cancelled",
                            Event.starts_at >= today - timedelta(days=60), Event.starts_at < today + timedelta(days=1))
        .order_by(Event.starts_at.desc()).limit(50)).all()


def _checked(actor, volunteer: Volunteer, data: dict, today: date, field: str = "hours") -> dict:
    if volunteer.school_id != actor.school_id or not volunteer.active:
        raise DomainError(_("Please choose an active volunteer."), "volunteer_id")
    day = data.get("worked_on")
    on_behalf = actor.volunteer_id != volunteer.id
    check_date(day, today, office=on_behalf)
    hours = parse_hours(data.get("hours"), field)
    activity = data.get("activity") or ""
    if activity not in ACTIVITIES:
        raise DomainError(_("Please choose what kind of service it was."), "activity")
    pair_id, event_id = data.get("pair_id") or None, data.get("event_id") or None
    if pair_id and pair_id not in {p.id for p in pairs_for_logging(volunteer.id)}:
        raise DomainError(_("Please choose one of this volunteer’s pairs, or none."), "pair_id")
    event = db.session.get(Event, event_id) if event_id else None
    if event_id and (event is None or event.school_id != volunteer.school_id or event.status == "cancelled"):
        raise DomainError(_("Please choose one of the school’s events, or none."), "event_id")
    note = (data.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("Please keep it under %(n)d characters.", n=MAX_NOTE), "note")
    return {"worked_on": day, "hours": hours, "activity": activity, "pair_id": pair_id, "event_id": event_id,
            "note": note, "on_behalf": on_behalf}


def _write(actor, volunteer: Volunteer, values: dict, field: str = "hours", submit_token: str | None = None):
    check_day(volunteer.id, values["worked_on"], values["hours"], field)
    entry = HourEntry(school_id=volunteer.school_id, volunteer_id=volunteer.id, status="pending",
                      entered_by_id=actor.id, submit_token=submit_token or None, **values)
    db.session.add(entry)
    db.session.flush()
    if values["on_behalf"]:
        record(actor, "hours.on_behalf", entry,
               f"volunteer={volunteer.id} day={values['worked_on']} hours={values['hours']}")
    return entry


def log_hours(actor, volunteer: Volunteer, data: dict, today: date,
              submit_token: str | None = None) -> tuple[HourEntry, bool]:
    """A pending entry for a volunteer; by the volunteer themself, or by staff on their behalf (audited)."""
    values = _checked(actor, volunteer, data, today)
    return save_once(HourEntry, submit_token, _("The hours could not be saved. Please try again."),
                     lambda: _write(actor, volunteer, values, submit_token=submit_token))


def new_entry(actor, volunteer: Volunteer, data: dict, today: date, field: str = "hours") -> HourEntry:
    """A pending entry as log_hours makes it, inside the caller's transaction (which commits or rolls back)."""
    return _write(actor, volunteer, _checked(actor, volunteer, data, today, field), field)


# --- review --------------------------------------------------------------------------------------

def reviewable(actor):
    """Conditions on HourEntry for the rows this user may verify (the rule is permissions.scope's). Reversals are
    never pending (stored approved: the table's CHECK), so callers asking for pending rows need no condition on
    reverses_id; queue() adds one for the other statuses."""
    # Not here: on SQLite (no ANALYZE statistics) `reverses_id IS NULL` sent the planner down the UNIQUE index on
    # reverses_id, where nearly every row is NULL, instead of the school/status index: the pending count in every
    # staff page's menu badge and the queue walked the whole ledger.
    return [scope(actor, HourEntry, "hours.verify")]


def review(actor, ids, action: str, reason: str = "") -> int:
    """Approve or reject pending rows. Only rows still pending change, so approving twice counts once.
    Returns how many rows changed."""
    if action not in ("approve", "reject"):
        raise DomainError(_("Please choose approve or reject."))
    ids = sorted({i for i in ids if i})[:MAX_BATCH]
    if not ids:
        raise DomainError(_("Please tick at least one entry."))
    reason = (reason or "").strip()
    if action == "reject" and not reason:
        raise DomainError(_("Please give a reason for sending the hours back, so the volunteer knows what to fix."),
                          "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("Please keep the reason under %(n)d characters.", n=MAX_REASON), "reason")
    with saving(_("The entries could not be updated. Please try again.")):
        changed = db.session.execute(
            update(HourEntry).where(HourEntry.id.in_(ids), HourEntry.status == "pending", *reviewable(actor))
            .values(status="approved" if action == "approve" else "rejected", reviewed_by_id=actor.id,
                    reviewed_at=utcnow(), reason=reason if action == "reject" else "")
            .returning(HourEntry.id, HourEntry.volunteer_id, HourEntry.worked_on, HourEntry.hours)
            .execution_options(synchronize_session=False)).all()
        done = len(changed)
        if done:
            record(actor, f"hours.{action}", None, f"ids={','.join(map(str, ids))[:400]} changed={done}")
            _tell_volunteers(changed, action, reason)
    db.session.expire_all()
    return done


def _tell_volunteers(changed, action: str, reason: str) -> None:
    """One notice per volunteer whose hours were just approved or sent back, with the reviewer's change."""
    by_volunteer: dict[int, list] = {}
    for row in changed:
        by_volunteer.setdefault(row.volunteer_id, []).append(row)
    for volunteer_id, rows in by_volunteer.items():
        hours = _h(sum((r.hours for r in rows), ZERO))
        days = "、".join(sorted({f"{r.worked_on.month}月{r.worked_on.day}日" for r in rows}))
        def text(days=days, hours=hours):
            if action == "approve":
                return _("Your hours of %(days)s were approved: %(hours)s hours.", days=days, hours=hours)
            return _("Your hours of %(days)s (%(hours)s hours) were sent back: %(reason)s. Please correct them and "
                     "send them again.", days=days, hours=hours, reason=reason)
        kind = "hours.approved" if action == "approve" else "hours.rejected"
        notices.notify(notices.volunteer_readers(volunteer_id), kind, f"hours:{min(r.id for r in rows)}", text,
                       notices.link("hours.index"))


def reverse(actor, entry: HourEntry, reason: str, corrected: str | None, today: date) -> HourEntry:
    """Correct an approved row: a reversing row cancels it; with corrected hours, an approved replacement
    carries the right figure. The row itself is never edited."""
    if entry.status != "approved" or entry.is_reversal:
        raise DomainError(_("Only approved hours are corrected this way; pending hours are approved or sent back."))
    if entry.reversal is not None:
        raise DomainError(_("These hours were already corrected."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please say why the hours are corrected."), "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("Please keep the reason under %(n)d characters.", n=MAX_REASON), "reason")
    new_hours = parse_hours(corrected, "corrected") if (corrected or "").strip() else None
    if new_hours is not None and new_hours == entry.hours:
        raise DomainError(_("The corrected hours are the same as before."), "corrected")
    now = utcnow()
    common = {"school_id": entry.school_id, "volunteer_id": entry.volunteer_id, "worked_on": entry.worked_on,
              "activity": entry.activity, "pair_id": entry.pair_id, "event_id": entry.event_id, "status": "approved",
              "entered_by_id": actor.id, "on_behalf": True, "reviewed_by_id": actor.id, "reviewed_at": now,
              "reason": reason}
    try:
        with saving(_("These hours were already corrected.")):
            if new_hours is not None:
                check_day(entry.volunteer_id, entry.worked_on, new_hours, "corrected", less=entry.hours)
            reversal = HourEntry(hours=-entry.hours, reverses_id=entry.id, note=entry.note, **common)
            db.session.add(reversal)
            db.session.flush()
            if new_hours is not None:
                db.session.add(HourEntry(hours=new_hours, note=entry.note, **common))
            record(actor, "hours.reverse", entry, f"hours={entry.hours} corrected={new_hours} reason={reason}")
    finally:
        db.session.expire_all()
    return reversal


# --- lists ---------------------------------------------------------------------------------------

QUEUE_STATUSES = ("pending", "approved", "rejected", "all")


@dataclass
class QueueFilters:
    q: str = ""
    status: str = "pending"
    activity: str = ""
    kind: str = ""
    entered: str = ""  # "self" or "staff"
    event_id: int | None = None

    @classmethod
    def from_args(cls, args, clean):
        status = args.get("status") or "pending"
        activity, kind, entered = args.get("activity") or "", args.get("kind") or "", args.get("entered") or ""
        return cls(q=clean(args.get("q")), status=status if status in QUEUE_STATUSES else "pending",
                   activity=activity if activity in ACTIVITIES else "",
                   kind=kind if kind in VOLUNTEER_KINDS else "", entered=entered if entered in ("self", "staff") else "",
                   event_id=int_arg(args, "event_id"))

    def args(self) -> dict:
        return {k: v for k, v in vars(self).items() if v and not (k == "status" and v == "pending")}


def card_loads():
    """What an entry's card shows, loaded with the page rather than one query per card."""
    # Joined: each is one row at most (reverses_id is unique), so a page's LIMIT still counts entries.
    return (joinedload(HourEntry.volunteer), joinedload(HourEntry.entered_by), joinedload(HourEntry.reversal),
            joinedload(HourEntry.event).selectinload(Event.leads))


def volunteer_match(q: str):
    """A volunteer by part of the name, or by pinyin initials ("zjg" finds 张建国)."""
    conds = [Volunteer.name.like(f"%{q}%")]
    if q.isascii() and q.isalpha():
        conds.append(Volunteer.name_initials.like(f"{q.lower()}%"))
    return or_(*conds)


def queue(actor, f: QueueFilters):
    # An entry's volunteer is of the entry's school; the join says so, or the page's count and a search by name
    # read every volunteer of the deployment.
    stmt = (select(HourEntry)
            .join(Volunteer, and_(Volunteer.id == HourEntry.volunteer_id, Volunteer.school_id == actor.school_id))
            .where(*reviewable(actor))
            .order_by(HourEntry.worked_on.desc(), HourEntry.id.desc()).options(*card_loads()))
    if f.status != "all":
        stmt = stmt.where(HourEntry.status == f.status)
    if f.status != "pending":  # reversals are approved rows, never reviewed themselves (see reviewable)
        stmt = stmt.where(HourEntry.reverses_id.is_(None))
    if f.q:
        stmt = stmt.where(volunteer_match(f.q))
    if f.activity:
        stmt = stmt.where(HourEntry.activity == f.activity)
    if f.kind:
        stmt = stmt.where(Volunteer.kind == f.kind)
    if f.entered:
        stmt = stmt.where(HourEntry.on_behalf.is_(f.entered == "staff"))
    if f.event_id:
        stmt = stmt.where(HourEntry.event_id == f.event_id)
    return stmt


def pending_count_query(actor):
    if not can(actor, "hours.verify"):
        return select(literal(0))
    return select(func.count()).select_from(HourEntry).where(HourEntry.status == "pending", *reviewable(actor))


def pending_count(actor) -> int:
    if not can(actor, "hours.verify"):
        return 0
    return db.session.scalar(pending_count_query(actor)) or 0


def history(volunteer_id: int, limit: int | None = None):
    stmt = (select(HourEntry).where(HourEntry.volunteer_id == volunteer_id)
            .order_by(HourEntry.worked_on.desc(), HourEntry.id.desc()))
    return db.session.scalars(stmt.limit(limit) if limit else stmt).all()
