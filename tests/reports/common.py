"""What the report tests share: a term to report on, and builders that write needs, pairs, registrations and
events with the dates the tests choose (never the wall clock's)."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.events.models import Event
from portal.extensions import db
from portal.hours.totals import Period
from portal.needs.models import Need
from portal.pairs.models import Pair, PairNeed
from portal.parent_school.models import Feedback
from portal.people.models import Student, SupportTag, Term
from portal.registrations.models import Registration
from tests import factories

TERM_NAME = "2026–2027学年第一学期"
TERM_START, TERM_END = date(2026, 9, 1), date(2027, 1, 31)


def utc(*args) -> datetime:
    """A naive UTC time, as created_at columns hold it (Shanghai is 8 hours ahead)."""
    return datetime(*args)


def noon(day: date) -> datetime:
    """Noon in Shanghai on `day`, as naive UTC."""
    return datetime.combine(day, time(4))


def term(school, name=TERM_NAME, starts=TERM_START, ends=TERM_END, current=False) -> Term:
    t = Term(school_id=school.id, name=name, starts_on=starts, ends_on=ends, is_current=current)
    db.session.add(t)
    db.session.commit()
    return t


def period(t: Term) -> Period:
    """The period the dashboard offers for a term."""
    return Period(f"t{t.id}", t.name, t.starts_on, t.ends_on)


def need(beneficiary, category, by, t: Term, created: datetime, status="open") -> Need:
    return factories.need(beneficiary, category, by, term_id=t.id, created_at=created, status=status)


def pair(by, t: Term, needs, status="active", started_on=date(2026, 9, 10), created=None, ended_on=None,
         end_reason=None, last_visit_on=None, kind="one_to_one") -> Pair:
    """A pair of the term's school for the needs (members are not needed by the figures)."""
    if status == "ended":
        end_reason = end_reason or "goal"
    p = Pair(school_id=t.school_id, kind=kind, status=status, term_id=t.id, started_on=started_on,
             created_at=created or noon(started_on), ended_on=ended_on, end_reason=end_reason,
             last_visit_on=last_visit_on, created_by_id=by.id)
    db.session.add(p)
    db.session.flush()
    db.session.add_all([PairNeed(pair_id=p.id, need_id=n.id) for n in needs])
    db.session.commit()
    return p


def tagged(school_class, name, *tags, family=None, active=True) -> Student:
    """A student of the class with the named support tags of the class's school (none: untagged)."""
    s = factories.student(school_class, name, family=family, active=active)
    s.support_tags = [db.session.scalar(select(SupportTag).where(SupportTag.school_id == s.school_id,
                                                                 SupportTag.name == t)) for t in tags]
    db.session.commit()
    return s


def registration(session, kid, by, status="confirmed", attended=False, walk_in=False, rating=None) -> Registration:
    """The kid's family's registration for a parent-school session, written directly (no seat service)."""
    seq = len(session.registrations) + 1
    r = Registration(school_id=session.school_id, session_id=session.id, family_id=kid.family_id, student_id=kid.id,
                     class_id=kid.class_id, status=status, seq=seq, code=f"R{seq:05d}", registered_by_id=by.id,
                     walk_in=walk_in, attended_at=session.starts_at - timedelta(hours=8) if attended else None)
    db.session.add(r)
    db.session.flush()
    if rating is not None:
        db.session.add(Feedback(registration_id=r.id, rating=rating))
    db.session.commit()
    db.session.expire(session, ["registrations"])
    return r


def event(school, title, starts_at: datetime, kind="红色故事会", status="planned", participants=None, **kw) -> Event:
    e = Event(school_id=school.id, title=title, kind=kind, starts_at=starts_at, status=status,
              participants=participants, **kw)
    db.session.add(e)
    db.session.commit()
    return e
