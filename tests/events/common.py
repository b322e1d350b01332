"""What the event service tests share: an event of the world's school, reading seats and helpers back afresh.

Running calls at the same moment and writing many families at once come from the parent-school tests, which
exercise the same seat service."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal.events.models import Event, EventHelper
from portal.extensions import db
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests.parent_school.common import at_once, many_families  # noqa: F401  (re-exported for the event tests)


def event_for(world, capacity=0, starts_in_days=7, grades=(), classes=(), leads=(), helpers=0, speakers=0, **kw):
    """An event of the world's school `starts_in_days` from now (Shanghai wall clock, 14:00–16:00). With seats it is
    open to parents and registration closes the day before; `grades`/`classes` narrow its audience."""
    precision = kw.pop("precision", "time")
    start = kw.pop("starts_at", None) or (seats.local_now() + timedelta(days=starts_in_days)).replace(
        hour=14, minute=0, second=0, microsecond=0)
    e = Event(school_id=kw.pop("school_id", world.school.id), title=kw.pop("title", "红色故事会"),
              kind=kw.pop("kind", "红色故事会"), precision=precision, starts_at=start,
              ends_at=kw.pop("ends_at", start + timedelta(hours=2) if precision == "time" else None),
              capacity=capacity, for_parents=kw.pop("for_parents", capacity > 0),
              deadline=kw.pop("deadline", start - timedelta(days=1) if capacity else None),
              audience_grades=",".join(str(g) for g in grades), helpers_needed=helpers, speakers_needed=speakers,
              status=kw.pop("status", "planned"), created_by_id=world.users["coordinator"].id, **kw)
    e.classes, e.leads = list(classes), list(leads)
    db.session.add(e)
    db.session.commit()
    return e


def undated(world, title, precision, day: date, **kw):
    """A 行事历 entry known only by its month ("month") or half year ("half")."""
    return event_for(world, title=title, precision=precision, starts_at=datetime.combine(day, time()), **kw)


def fresh_event(event_id) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event_id)


def event_reg(event, child) -> Registration | None:
    """The registration of the child's family for the event, read afresh."""
    db.session.expire_all()
    return db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                        Registration.family_id == child.family_id))


def event_regs(event_id) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(Registration.event_id == event_id)
                              .order_by(Registration.seq)).all()


def event_positions(event_id) -> list[int]:
    """候补第 N 位 of every family waiting for the event, in the order the list is served."""
    return [seats.waiting_position(r) for r in event_regs(event_id) if r.status == "waitlisted"]


def helpers_of(event_id, status=None) -> list[EventHelper]:
    db.session.expire_all()
    stmt = select(EventHelper).where(EventHelper.event_id == event_id)
    if status:
        stmt = stmt.where(EventHelper.status == status)
    return db.session.scalars(stmt.order_by(EventHelper.id)).all()


def rows(model, *conds) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*conds))
