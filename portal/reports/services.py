"""The committee's figures for a term or a calendar year. Each function pins one definition:

- needs of a period: needs raised (created) in it, with the status they have now (the bar's darker part is
  已对接 + 已完成 now, so a need whose pair ended and that was reopened is not in it);
- matched: a need of the period that is in a pair (of any status), and the days from raising it to its first pair;
- covered: an active student with a support tag who had a running pair in the period: active now and started by
  the period's end, or ended on or after its start (a pair still to be confirmed, or paused, does not count);
- hours: approved entries (corrections included) by the day worked;
- events: events starting in the period, cancelled ones counted apart;
- parent school: sessions held in the period (started by now, not cancelled); attendance is the share of families
  registered (not walk-ins) who checked in; satisfaction is the feedback of those sessions.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..core.clock import SHANGHAI
from ..core.errors import saving
from ..events.models import EVENT_KINDS, Event
from ..extensions import db
from ..hours import totals as hours
from ..hours.models import HourEntry
from ..hours.totals import Period
from ..needs.models import NEED_STATUS, Need
from ..pairs.models import END_REASONS, PAIR_KINDS, Pair, PairNeed
from ..pairs.services import ATTENTION_DAYS, OVERDUE_DAYS
from ..parent_school.models import Course, CourseSession, Feedback
from ..people.models import GRADE_NAMES, VOLUNTEER_KINDS, Category, SchoolClass, Student, SupportTag, Volunteer, student_tags
from ..people.services import current_term, terms_of
from ..registrations.models import Registration

ZERO = Decimal(0)
TOP_VOLUNTEERS = 10


# Periods -------------------------------------------------------------------------------------------

def periods(school_id: int, today: date, terms=None) -> list[Period]:
    """Every term of the school (newest first), then this calendar year and the two before."""
    return ([Period(f"t{t.id}", t.name, t.starts_on, t.ends_on) for t in terms or terms_of(school_id)]
            + [hours.year_period(today.year - i) for i in range(3)])


def period_from_arg(value: str | None, school_id: int, today: date) -> tuple[Period, list[Period]]:
    """The period asked for, else the current term; with the list to choose from."""
    terms = terms_of(school_id)
    choices = periods(school_id, today, terms)
    by_key = {p.key: p for p in choices}
    if value in by_key:
        return by_key[value], choices
    # The rule of current_term, read off the terms already loaded; it runs only to create a missing term.
    term = (next((t for t in terms if t.is_current), None)
            or next((t for t in terms if t.starts_on <= today <= t.ends_on), None)
            or current_term(school_id, today))
    key = f"t{term.id}"
    if key not in by_key:  # current_term has just created it
        choices = periods(school_id, today)
        by_key = {p.key: p for p in choices}
    return by_key[key], choices


def _utc(day: date) -> datetime:
    """Midnight of a Shanghai day as the naive UTC time that created_at columns hold."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def _created_in(column, period: Period):
    return and_(column >= _utc(period.start), column < _utc(period.end + timedelta(days=1)))


def _local_in(column, period: Period):
    """For columns holding Shanghai wall-clock times (session and event times)."""
    return and_(column >= datetime.combine(period.start, time.min),
                column < datetime.combine(period.end + timedelta(days=1), time.min))


def _local_day(value: datetime) -> date:
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI).date()


def one_decimal(value) -> float:
    """Rounded half up, as Excel and the district's forms do (round() would give 6.25 → 6.2)."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return one_decimal(Decimal(part) * 100 / Decimal(whole)) if whole else None


def months(period: Period) -> list[date]:
    """First days of the months the period touches."""
    out, day = [], period.start.replace(day=1)
    while day <= period.end:
        out.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


# Needs and matching --------------------------------------------------------------------------------

@dataclass
class CategoryRow:
    name: str
    by_status: dict[str, int]
    active: bool = True

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def matched(self) -> int:
        """Matched or already completed: the need found its helper."""
        return self.by_status["matched"] + self.by_status["done"]


def needs_by_category(school_id: int, period: Period) -> list[CategoryRow]:
    """Needs raised in the period per category and current status; every active category, even with none."""
    rows = db.session.execute(
        select(Category.id, Category.name, Category.active, Need.status, func.count(Need.id))
        .outerjoin(Need, and_(Need.category_id == Category.id, Need.school_id == school_id,
                              _created_in(Need.created_at, period)))
        .where(Category.school_id == school_id)
        .group_by(Category.id, Category.name, Category.active, Category.sort_order, Need.status)
        .order_by(Category.sort_order, Category.id)).all()
    out: dict[int, CategoryRow] = {}
    for cid, name, active, status, n in rows:
        row = out.setdefault(cid, CategoryRow(name, dict.fromkeys(NEED_STATUS, 0), active))
        if status is not None:
            row.by_status[status] = n
    return [r for r in out.values() if r.active or r.total]


@dataclass
class Matching:
    raised: int
    matched: int
    days: list[int]

    @property
    def share(self) -> float | None:
        return share(self.matched, self.raised)

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days) if self.days else None

    @property
    def mean_days(self) -> float | None:
        return one_decimal(Decimal(sum(self.days)) / len(self.days)) if self.days else None

    @property
    def buckets(self) -> list[tuple[str, int]]:
        """How long matching took, in bands a committee talks in."""
        bands = ((_("Within a week"), 0, 7), (_("1–2 weeks"), 8, 14), (_("2–4 weeks"), 15, 30),
                 (_("Over a month"), 31, None))
        return [(label, sum(1 for d in self.days if d >= low and (high is None or d <= high)))
                for label, low, high in bands]


def matching(school_id: int, period: Period) -> Matching:
    rows = db.session.execute(
        select(Need.id, Need.created_at, func.min(Pair.created_at))
        .outerjoin(PairNeed, PairNeed.need_id == Need.id).outerjoin(Pair, Pair.id == PairNeed.pair_id)
        .where(Need.school_id == school_id, _created_in(Need.created_at, period))
        .group_by(Need.id, Need.created_at)).all()
    days = [max((_local_day(first) - _local_day(raised)).days, 0) for _id, raised, first in rows if first]
    return Matching(raised=len(rows), matched=len(days), days=days)


# Special-group coverage ----------------------------------------------------------------------------

@dataclass
class ClassCoverage:
    school_class: SchoolClass
    tagged: int = 0
    covered: int = 0

    @property
    def share(self) -> float | None:
        return share(self.covered, self.tagged)


@dataclass
class Uncovered:
    """Plain values, so the page still reads them after the audit row is committed."""

    student_id: int
    name: str
    student_no: str
    class_label: str
    tags: list[str]
    # What stands between the student and a running pair: "none" (no need raised), "open" (a need waits for a
    # match), "pending" (matched, the pair not yet confirmed) or "paused" (the pair is paused); need_id and pair_id
    # lead to it.
    need_state: str = "none"
    need_id: int | None = None
    pair_id: int | None = None

    @property
    def need_state_label(self) -> str:
        return UNCOVERED_STATES[self.need_state]


UNCOVERED_STATES = {"none": _l("None raised"), "open": _l("Waiting for a match"),
                    "pending": _l("Matched, the pair is to be confirmed"), "paused": _l("The pair is paused")}


@dataclass
class Coverage:
    classes: list[ClassCoverage]
    uncovered: list[Uncovered] = field(default_factory=list)

    @property
    def tagged(self) -> int:
        return sum(c.tagged for c in self.classes)

    @property
    def covered(self) -> int:
        return sum(c.covered for c in self.classes)

    @property
    def share(self) -> float | None:
        return share(self.covered, self.tagged)

    @property
    def grades(self) -> list[tuple[str, int, int, float | None]]:
        out: dict[int, list[int]] = {}
        for c in self.classes:
            row = out.setdefault(c.school_class.grade, [0, 0])
            row[0] += c.tagged
            row[1] += c.covered
        return [(GRADE_NAMES.get(g, str(g)), t, n, share(n, t)) for g, (t, n) in sorted(out.items())]


def _running_in(period: Period):
    return or_(and_(Pair.status == "active", Pair.started_on <= period.end),
               and_(Pair.status == "ended", Pair.started_on <= period.end, Pair.ended_on >= period.start))


def note_coverage_view(actor, period: Period, cov) -> None:
    """The names of children without a running pair are sensitive: every look at them is audited."""
    with saving():
        record(actor, "reports.coverage_view", None, f"period={period.key} uncovered={len(cov.uncovered)}")


def coverage(school_id: int, period: Period, with_names: bool = False) -> Coverage:
    """Students with a support tag per class, and how many had a running pair in the period. With names: the
    uncovered students with their tags, for staff to act on (sensitive: the caller audits)."""
    # Written from the student's own needs out to their pairs: PostgreSQL keeps the written join order
    # (join_collapse_limit), and from pair_need out it hashed every running pair of the deployment.
    running = (select(Need.id).join(PairNeed, PairNeed.need_id == Need.id).join(Pair, Pair.id == PairNeed.pair_id)
               .where(Need.student_id == Student.id, Need.school_id == school_id, _running_in(period)).exists())
    # A class closed with students still in it counts no more.
    tagged = db.session.execute(
        select(Student.id, SchoolClass, SupportTag.name, running)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(student_tags, student_tags.c.student_id == Student.id)
        .join(SupportTag, SupportTag.id == student_tags.c.tag_id)
        .where(Student.school_id == school_id, Student.active.is_(True), SchoolClass.active.is_(True))
        .order_by(SchoolClass.grade, SchoolClass.name, SupportTag.id)).all()
    rows: dict[int, ClassCoverage] = {}
    class_of: dict[int, int] = {}
    tags: dict[int, list[str]] = {}
    covered: set[int] = set()
    for sid, klass, tag, is_running in tagged:
        row = rows.setdefault(klass.id, ClassCoverage(klass))
        if sid not in class_of:
            class_of[sid] = klass.id
            row.tagged += 1
            if is_running:
                row.covered += 1
                covered.add(sid)
        tags.setdefault(sid, []).append(tag)
    result = Coverage(list(rows.values()))
    if with_names:
        classes = [r.school_class for r in rows.values()]
        missing = [sid for sid in class_of if sid not in covered]
        state = _uncovered_states(missing)
        students = db.session.execute(select(Student.id, Student.name, Student.student_no, Student.class_id,
                                             Student.name_initials).where(Student.id.in_(missing))).all()
        order = {c.id: i for i, c in enumerate(classes)}
        students.sort(key=lambda s: (order[s.class_id], s.name_initials, s.id))
        result.uncovered = [Uncovered(s.id, s.name, s.student_no, rows[s.class_id].school_class.label, tags[s.id],
                                      *state.get(s.id, ("none", None, None))) for s in students]
    return result


def _uncovered_states(student_ids: list[int]) -> dict[int, tuple[str, int, int | None]]:
    """Each student's need nearest to a running pair: a pair to confirm or resume before a need to match."""
    rows = db.session.execute(
        select(Need.student_id, Need.id, Need.status, Pair.id, Pair.status)
        .outerjoin(PairNeed, PairNeed.need_id == Need.id).outerjoin(Pair, Pair.id == PairNeed.pair_id)
        .where(Need.student_id.in_(student_ids), Need.status.in_(("open", "matched")))
        .order_by(Need.id, Pair.id)).all()
    rank = {"pending": 0, "paused": 1, "open": 2}
    out: dict[int, tuple[str, int, int | None]] = {}
    for student_id, need_id, need_status, pair_id, pair_status in rows:
        state = pair_status if pair_status in ("pending", "paused") else "open" if need_status == "open" else None
        if state and (student_id not in out or rank[state] < rank[out[student_id][0]]):
            out[student_id] = (state, need_id, pair_id if state != "open" else None)
    return out


# Pairs ----------------------------------------------------------------------------------------------

@dataclass
class PairFigures:
    active: int
    by_kind: list[tuple[str, int]]
    attention: int
    overdue: int
    started: int
    ended: list[tuple[str, int]]

    @property
    def ended_total(self) -> int:
        return sum(n for _label, n in self.ended)


def pair_figures(school_id: int, period: Period, today: date) -> PairFigures:
    """Pairs running today by kind with their follow-up state, and pairs started and ended in the period."""
    base = func.coalesce(Pair.last_visit_on, Pair.started_on)
    active = Pair.status == "active"
    rows = db.session.execute(
        select(Pair.kind, Pair.status, Pair.end_reason,
               func.sum(case((active, 1), else_=0)),
               func.sum(case((and_(active, base <= today - timedelta(days=ATTENTION_DAYS),
                                   base > today - timedelta(days=OVERDUE_DAYS)), 1), else_=0)),
               func.sum(case((and_(active, base <= today - timedelta(days=OVERDUE_DAYS)), 1), else_=0)),
               func.sum(case((Pair.started_on.between(period.start, period.end), 1), else_=0)),
               func.sum(case((and_(Pair.status == "ended", Pair.ended_on.between(period.start, period.end)), 1),
                             else_=0)))
        .where(Pair.school_id == school_id).group_by(Pair.kind, Pair.status, Pair.end_reason)).all()
    kinds, ended = Counter(), Counter()
    attention = overdue = started = 0
    for kind, _status, reason, n_active, n_attention, n_overdue, n_started, n_ended in rows:
        kinds[kind] += n_active or 0
        attention += n_attention or 0
        overdue += n_overdue or 0
        started += n_started or 0
        if n_ended:
            ended[reason] += n_ended
    return PairFigures(active=sum(kinds.values()), by_kind=[(str(PAIR_KINDS[k]), kinds[k]) for k in PAIR_KINDS],
                       attention=attention, overdue=overdue, started=started,
                       ended=[(str(END_REASONS[r]), ended[r]) for r in END_REASONS if ended[r]])


# Volunteer hours ------------------------------------------------------------------------------------

@dataclass
class MonthHours:
    month: date
    hours: Decimal = ZERO
    entries: int = 0


@dataclass
class TopVolunteer:
    volunteer: Volunteer
    hours: Decimal
    entries: int


def hours_by_month(school_id: int, period: Period) -> list[MonthHours]:
    rows = db.session.execute(
        select(HourEntry.worked_on, func.sum(HourEntry.hours), func.count(case((HourEntry.reverses_id.is_(None), 1))))
        .where(HourEntry.school_id == school_id, HourEntry.status == "approved", *period.conditions())
        .group_by(HourEntry.worked_on)).all()
    out = {m: MonthHours(m) for m in months(period)}
    for day, total, n in rows:
        row = out[day.replace(day=1)]
        row.hours += Decimal(total)
        row.entries += n
    return list(out.values())


def hours_per_volunteer(school_id: int, period: Period) -> list[TopVolunteer]:
    """Approved hours and entries (reversals not counted) of every volunteer with approved rows in the period."""
    # The entries' volunteers are the school's (an entry is written for a volunteer of its school); said here too, so
    # the volunteers are read by school and not the whole deployment's hashed against the entries.
    rows = db.session.execute(
        select(Volunteer, func.sum(HourEntry.hours), func.count(case((HourEntry.reverses_id.is_(None), 1))))
        .join(HourEntry, HourEntry.volunteer_id == Volunteer.id)
        .where(Volunteer.school_id == school_id, HourEntry.school_id == school_id, HourEntry.status == "approved",
               *period.conditions())
        .group_by(Volunteer.id)).all()
    return [TopVolunteer(v, Decimal(h or 0), n) for v, h, n in rows]


def hours_by_kind(school_id: int, period: Period, per_volunteer=None) -> list[tuple[str, Decimal, int]]:
    """Approved hours and volunteers with hours per 五老 kind (as hours.by_kind, from the per-volunteer rows)."""
    got: dict[str, tuple[Decimal, int]] = {}
    for t in per_volunteer if per_volunteer is not None else hours_per_volunteer(school_id, period):
        h, n = got.get(t.volunteer.kind, (ZERO, 0))
        got[t.volunteer.kind] = (h + t.hours, n + 1)
    return [(k, *got.get(k, (ZERO, 0))) for k in VOLUNTEER_KINDS]


def top_volunteers(school_id: int, period: Period, limit: int = TOP_VOLUNTEERS, per_volunteer=None
                   ) -> list[TopVolunteer]:
    """Most approved hours in the period; ties by name, so the list is the same each time."""
    rows = per_volunteer if per_volunteer is not None else hours_per_volunteer(school_id, period)
    ranked = sorted((t for t in rows if t.hours > 0), key=lambda t: (-t.hours, t.volunteer.name_initials, t.volunteer.id))
    return ranked[:limit]


# Events ---------------------------------------------------------------------------------------------

@dataclass
class MonthEvents:
    month: date
    by_kind: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass
class EventFigures:
    months: list[MonthEvents]
    by_kind: list[tuple[str, int]]
    done: int
    planned: int
    cancelled: int
    participants: int
    events: list[Event]


def event_figures(school_id: int, period: Period) -> EventFigures:
    events = db.session.scalars(
        select(Event).where(Event.school_id == school_id, _local_in(Event.starts_at, period))
        .order_by(Event.starts_at, Event.id)).all()
    per_month = {m: MonthEvents(m) for m in months(period)}
    kinds, states = Counter(), Counter()
    for e in events:
        states[e.status] += 1
        if e.status == "cancelled":
            continue
        per_month[e.starts_at.date().replace(day=1)].by_kind[e.kind] += 1
        kinds[e.kind] += 1
    order = [k for k in EVENT_KINDS if kinds[k]] + sorted(k for k in kinds if k not in EVENT_KINDS)
    return EventFigures(months=list(per_month.values()), by_kind=[(k, kinds[k]) for k in order],
                        done=states["done"], planned=states["planned"], cancelled=states["cancelled"],
                        participants=sum(e.participants or 0 for e in events if e.status == "done"), events=events)


# Parent school ---------------------------------------------------------------------------------------

@dataclass
class SessionRow:
    session: CourseSession
    registered: int
    came: int
    walk_ins: int
    rating: float | None
    ratings: int

    @property
    def rate(self) -> float | None:
        return share(self.came, self.registered)


@dataclass
class ClassCompletion:
    course: Course
    school_class: SchoolClass
    families: int
    started: int
    completed: int

    @property
    def share(self) -> float | None:
        return share(self.completed, self.families)


@dataclass
class ParentSchool:
    sessions: list[SessionRow]
    stars: list[tuple[int, int]]
    completion: list[ClassCompletion]

    @property
    def registered(self) -> int:
        return sum(s.registered for s in self.sessions)

    @property
    def came(self) -> int:
        return sum(s.came for s in self.sessions)

    @property
    def walk_ins(self) -> int:
        return sum(s.walk_ins for s in self.sessions)

    @property
    def rate(self) -> float | None:
        return share(self.came, self.registered)

    @property
    def ratings(self) -> int:
        return sum(n for _s, n in self.stars)

    @property
    def average(self) -> float | None:
        return one_decimal(Decimal(sum(s * n for s, n in self.stars)) / self.ratings) if self.ratings else None

    @property
    def satisfied(self) -> float | None:
        """满意率: the share of ratings of four or five stars."""
        return share(sum(n for s, n in self.stars if s >= 4), self.ratings)


def parent_school(school_id: int, period: Period, now: datetime) -> ParentSchool:
    held = and_(CourseSession.school_id == school_id, CourseSession.status != "cancelled",
                CourseSession.starts_at <= now, _local_in(CourseSession.starts_at, period))
    confirmed = and_(Registration.status == "confirmed", Registration.walk_in.is_(False))
    # Every course at once, set on the sessions below: not a query per session.
    courses = db.session.scalars(select(Course).where(Course.school_id == school_id).order_by(Course.id)).all()
    rows = db.session.execute(
        select(CourseSession,
               func.count(case((confirmed, 1))),
               func.count(case((and_(confirmed, Registration.attended_at.is_not(None)), 1))),
               func.count(case((and_(Registration.walk_in.is_(True), Registration.attended_at.is_not(None)), 1))),
               func.avg(Feedback.rating), func.count(Feedback.id))
        .outerjoin(Registration, Registration.session_id == CourseSession.id)
        .outerjoin(Feedback, Feedback.registration_id == Registration.id)
        .where(held).group_by(CourseSession.id).order_by(CourseSession.starts_at, CourseSession.id)).all()
    by_id = {c.id: c for c in courses}
    for s, *_figures in rows:
        set_committed_value(s, "course", by_id[s.course_id])
    sessions = [SessionRow(s, reg, came, walk, one_decimal(avg) if avg is not None else None, n)
                for s, reg, came, walk, avg, n in rows]
    # From the sessions held out to their feedback, in the order PostgreSQL keeps: from feedback out, it joined all
    # the deployment's feedback to all its registrations before keeping the school's.
    stars = dict(db.session.execute(
        select(Feedback.rating, func.count()).select_from(CourseSession)
        .join(Registration, Registration.session_id == CourseSession.id)
        .join(Feedback, Feedback.registration_id == Registration.id).where(held)
        .group_by(Feedback.rating)).all())
    return ParentSchool(sessions=sessions, stars=[(s, stars.get(s, 0)) for s in range(5, 0, -1)],
                        completion=mandatory_completion(school_id, courses))


def mandatory_completion(school_id: int, courses=None) -> list[ClassCompletion]:
    """For each active mandatory course, per class of its grades: families with a child there, those who attended
    a session of it, and those who attended as many as the course asks for (over the course's whole life, not one
    period)."""
    if courses is None:
        courses = db.session.scalars(select(Course).where(Course.school_id == school_id).order_by(Course.id)).all()
    courses = [c for c in courses if c.mandatory and c.active]
    if not courses:
        return []
    attended = (
        select(CourseSession.course_id, Registration.family_id, func.count().label("n"))
        .join(Registration, Registration.session_id == CourseSession.id)
        .where(CourseSession.school_id == school_id, CourseSession.course_id.in_([c.id for c in courses]),
               CourseSession.status != "cancelled", Registration.attended_at.is_not(None))
        .group_by(CourseSession.course_id, Registration.family_id).subquery())
    # Each class's families, with the sessions each family attended per course, in one statement.
    rows = db.session.execute(
        select(SchoolClass, Student.family_id, attended.c.course_id, attended.c.n)
        .join(Student, Student.class_id == SchoolClass.id)
        .outerjoin(attended, attended.c.family_id == Student.family_id)
        .where(SchoolClass.school_id == school_id, SchoolClass.active.is_(True), Student.active.is_(True),
               Student.family_id.is_not(None)).distinct().order_by(SchoolClass.grade, SchoolClass.name)).all()
    classes = list({klass.id: klass for klass, *_rest in rows}.values())
    required = {c.id: c.sessions_required for c in courses}
    seen = {(cid, fid) for _k, fid, cid, _n in rows if cid is not None}
    done = {(cid, fid) for _k, fid, cid, n in rows if cid is not None and n >= required[cid]}
    per_class: dict[int, set[int]] = {}
    for klass, fid, _c, _n in rows:
        per_class.setdefault(klass.id, set()).add(fid)
    out = []
    for course in courses:
        for klass in classes:
            if course.grades and klass.grade not in course.grades:
                continue
            fams = per_class.get(klass.id, set())
            if fams:
                out.append(ClassCompletion(course, klass, len(fams), sum((course.id, f) in seen for f in fams),
                                           sum((course.id, f) in done for f in fams)))
    return out


# Everything at once -----------------------------------------------------------------------------------

@dataclass
class Dashboard:
    period: Period
    needs: list[CategoryRow]
    matching: Matching
    coverage: Coverage
    pairs: PairFigures
    hours_by_month: list[MonthHours]
    hours_by_kind: list[tuple[str, Decimal, int]]
    top_volunteers: list[TopVolunteer]
    events: EventFigures
    parent_school: ParentSchool

    @property
    def hours_total(self) -> Decimal:
        return sum((m.hours for m in self.hours_by_month), ZERO)

    @property
    def needs_total(self) -> int:
        return sum(r.total for r in self.needs)


def dashboard(school_id: int, period: Period, now: datetime) -> Dashboard:
    per_volunteer = hours_per_volunteer(school_id, period)
    return Dashboard(
        period=period, needs=needs_by_category(school_id, period), matching=matching(school_id, period),
        coverage=coverage(school_id, period), pairs=pair_figures(school_id, period, now.date()),
        hours_by_month=hours_by_month(school_id, period),
        hours_by_kind=hours_by_kind(school_id, period, per_volunteer),
        top_volunteers=top_volunteers(school_id, period, per_volunteer=per_volunteer),
        events=event_figures(school_id, period), parent_school=parent_school(school_id, period, now))
