"""What the job runner tells by itself once a day or a week (portal/jobs.py): volunteers whose visit is coming due or
overdue, the office what waits for it, and the office's weekly digest. Each notice's due time is the day's (or the
threshold's) fixed hour, part of its key, so a run repeated, late or on two servers at once tells once.
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth.models import STAFF, User
from ..core.clock import SHANGHAI
from ..core.display import cn_date
from ..core.errors import saving
from ..extensions import db
from ..help_requests.models import HelpRequest
from ..hours.ledger import reviewable
from ..hours.models import HourEntry
from ..needs.models import Need
from ..pairs import services as pairs
from ..pairs.models import Pair, PairNeed
from ..parent_school.models import CourseSession
from ..people.models import Category
from ..permissions import can
from . import services as notices
from .models import Notice

VISIT_SOON_DAYS = 3  # a volunteer hears of a visit coming due this many days before it is 需关注
FOLLOW_UP_AT = time(9, 0)
OFFICE_AT = time(8, 30)
HOURS_WAITING_DAYS = 3  # hours waiting this long for verification are told to who verifies them
WEEK_AHEAD = timedelta(days=14)  # the digest's sessions with empty seats: those of the next two weeks


def _stages():
    """(days without a visit, kind), the furthest first."""
    return ((pairs.OVERDUE_DAYS, "pair.overdue"), (pairs.ATTENTION_DAYS, "pair.attention"),
            (pairs.ATTENTION_DAYS - VISIT_SOON_DAYS, "visit.due"))


def follow_up_pairs(today: date) -> int:
    """Each running pair's volunteers, once per stage of each stretch without a visit: a visit due in three days,
    需关注 at 14 days, 逾期 at 30. A visit starts a new stretch (and so new notices). Returns how many pairs were told
    now."""
    first = today - timedelta(days=_stages()[-1][0])
    running = db.session.scalars(
        select(Pair).where(Pair.status == "active", func.coalesce(Pair.last_visit_on, Pair.started_on) <= first)
        .options(selectinload(Pair.members), selectinload(Pair.pair_needs).selectinload(PairNeed.need)
                 .selectinload(Need.student))).all()
    written = set(db.session.execute(select(Notice.subject, Notice.kind, Notice.due_at).where(
        Notice.kind.in_([kind for _days, kind in _stages()]),
        Notice.due_at >= datetime.combine(today - timedelta(days=pairs.OVERDUE_DAYS * 2), time.min))).all())
    told = 0
    with saving():
        for pair in running:
            since = pairs.since(pair)
            days, kind = next((d, k) for d, k in _stages() if (today - since).days >= d)
            due = datetime.combine(since + timedelta(days=days), FOLLOW_UP_AT)
            if (f"pair:{pair.id}", kind, due) in written:
                continue
            told += bool(notices.notify(notices.volunteer_readers([m.volunteer_id for m in pair.current_members]),
                                        kind, f"pair:{pair.id}", _follow_up_text(pair, kind, since),
                                        notices.link("pairs.show", pair_id=pair.id), due=due))
    return told


def _follow_up_text(pair: Pair, kind: str, since: date):
    who = pairs.names_of(pair)
    last = cn_date(since)
    due = cn_date(since + timedelta(days=pairs.ATTENTION_DAYS))

    def text() -> str:
        if kind == "visit.due":
            return _("A visit to %(who)s is due by %(due)s (the last was on %(last)s).", who=who, due=due, last=last)
        if kind == "pair.attention":
            return _("需关注: no visit to %(who)s since %(last)s. Please visit or call, and record it.", who=who,
                     last=last)
        return _("逾期: no visit to %(who)s for a month, since %(last)s. Please visit or call, or tell the office.",
                 who=who, last=last)
    return text


def _office(school_id: int) -> list[User]:
    return db.session.scalars(select(User).where(User.school_id == school_id, User.role.in_(STAFF),
                                                 User.active.is_(True)).order_by(User.id)).all()


def tell_the_office(today: date) -> int:
    """Each morning: the office of each school with help requests waiting hears how many; and whoever verifies
    hours hears of those waiting more than HOURS_WAITING_DAYS days. Returns how many notices were written."""
    due = datetime.combine(today, OFFICE_AT)
    written = 0
    with saving():
        waiting = db.session.execute(select(HelpRequest.school_id, func.count(), func.min(HelpRequest.created_at))
                                     .where(HelpRequest.status == "new").group_by(HelpRequest.school_id)).all()
        for school_id, n, oldest in waiting:
            def text(n=n, oldest=oldest) -> str:
                return ngettext("%(num)d help request from a family is waiting for an answer, since %(day)s.",
                                "%(num)d help requests from families are waiting for an answer; the oldest since "
                                "%(day)s.", n, day=cn_date(oldest))
            written += notices.notify(_office(school_id), "help.waiting", "help:waiting", text,
                                      notices.link("help.index"), due=due)
            notices.post_to_group(school_id, "help.waiting", "help:waiting", text, notices.link("help.index"), due)
        # Entries are stamped in UTC: the local midnight three days ago, as UTC.
        before = (datetime.combine(today - timedelta(days=HOURS_WAITING_DAYS), time.min, tzinfo=SHANGHAI)
                  .astimezone(UTC).replace(tzinfo=None))
        schools = db.session.scalars(select(HourEntry.school_id).where(
            HourEntry.status == "pending", HourEntry.created_at < before).distinct()).all()
        verifiers = db.session.scalars(select(User).where(User.school_id.in_(schools), User.active.is_(True),
                                                          User.role.in_(STAFF | {"teacher"}))).all()
        for user in verifiers:
            if not can(user, "hours.verify"):
                continue
            n = db.session.scalar(select(func.count()).select_from(HourEntry).where(
                HourEntry.status == "pending", HourEntry.created_at < before, *reviewable(user)))
            if n:
                written += notices.notify([user], "hours.waiting", "hours:waiting", lambda n=n: ngettext(
                    "%(num)d entry of volunteers' hours has waited more than %(days)d days for you to verify it.",
                    "%(num)d entries of volunteers' hours have waited more than %(days)d days for you to verify them.",
                    n, days=HOURS_WAITING_DAYS), notices.link("hours.queue"), due=due)
    return written


def weekly_digest(today: date) -> int:
    """Monday morning, for each school's office: pairs overdue, needs waiting by category, and sessions of the next
    two weeks with empty seats, in one notice."""
    due = datetime.combine(today, OFFICE_AT)
    overdue_since = today - timedelta(days=pairs.OVERDUE_DAYS)
    school_ids = db.session.scalars(select(User.school_id).where(User.role.in_(STAFF), User.active.is_(True))
                                    .distinct()).all()
    written = 0
    with saving():
        for school_id in school_ids:
            overdue = db.session.scalar(select(func.count()).select_from(Pair).where(
                Pair.school_id == school_id, Pair.status == "active",
                func.coalesce(Pair.last_visit_on, Pair.started_on) <= overdue_since))
            needs = Counter(dict(db.session.execute(
                select(Need.category_id, func.count()).where(Need.school_id == school_id, Need.status == "open")
                .group_by(Need.category_id)).all()))
            names = dict(db.session.execute(select(Category.id, Category.name)
                                            .where(Category.id.in_(list(needs)))).all())
            start = datetime.combine(today, time.min)
            empty = db.session.execute(select(CourseSession.id, CourseSession.capacity - CourseSession.taken).where(
                CourseSession.school_id == school_id, CourseSession.status == "open",
                CourseSession.starts_at >= start, CourseSession.starts_at < start + WEEK_AHEAD,
                CourseSession.taken < CourseSession.capacity)).all()
            waiting = "、".join(f"{names[cid]} {n}" for cid, n in needs.most_common())

            def text(overdue=overdue, waiting=waiting, empty=empty) -> str:
                return _("This week: %(overdue)d pairs without a visit for a month; needs waiting: %(needs)s; "
                         "%(sessions)d parent-school sessions of the next two weeks have %(seats)d empty seats.",
                         overdue=overdue, needs=waiting or pgettext("needs waiting", "none"), sessions=len(empty),
                         seats=sum(n for _id, n in empty))
            written += notices.notify(_office(school_id), "digest.weekly", "digest:weekly", text,
                                      notices.link("reports.index"), due=due)
            notices.post_to_group(school_id, "digest.weekly", "digest:weekly", text, notices.link("reports.index"),
                                  due)
    return written
