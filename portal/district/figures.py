"""The district's figures: one row per school for a period, each figure defined as on the school's own report
(reports/services.py, whose definitions these repeat per school), from one statement per figure for all the schools
at once — a unit of 200 schools reads as fast as one of 20. Figures only: no statement here selects a child's name,
tag or note.

The period is the same for every school, so their rows compare: a school term as the calendar has it
(第一学期 September–January, 第二学期 February–August) or a calendar year; the previous period is the term or year
before."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import String, and_, case, cast, distinct, func, literal, or_, select, tuple_

from ..events.models import Event
from ..extensions import db
from ..hours.models import HourEntry
from ..hours.totals import Period, year_period
from ..needs.models import Need
from ..pairs.models import Pair, PairNeed
from ..pairs.services import OVERDUE_DAYS
from ..parent_school.models import Course, CourseSession, Feedback
from ..people.models import SchoolClass, Student, Volunteer, student_tags
from ..people.services import term_for
from ..registrations.models import Registration
from ..reports.services import _created_in, _local_in, _running_in, _utc, one_decimal, share


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str  # "%", "days", "hours" or "" (a count)
    better: str  # "higher" or "lower": which side of a threshold is 达标; "" for a figure with no threshold
    now_only: bool = False  # a state of today, with no previous period to compare with


FIGURES = (
    Figure("needs", _l("Needs raised"), "", ""),
    Figure("matched", _l("Needs matched"), "%", "higher"),
    Figure("days", _l("Days to a first pair (median)"), "days", "lower"),
    Figure("coverage", _l("Special-group coverage"), "%", "higher"),
    Figure("pairs", _l("Pairs running"), "", ""),
    Figure("overdue", _l("Pairs overdue for a visit"), "", "lower", now_only=True),
    Figure("volunteers", _l("Volunteers who served"), "", ""),
    Figure("hours", _l("Approved hours"), "hours", ""),
    Figure("events", _l("Events held"), "", ""),
    Figure("sessions", _l("Parent-school sessions"), "", ""),
    Figure("attendance", lazy_pgettext("district figure", "Attendance"), "%", "higher"),
    Figure("mandatory", _l("Mandatory-course coverage"), "%", "higher", now_only=True),
    Figure("satisfaction", _l("Satisfaction"), "%", "higher"),
)
BY_KEY = {f.key: f for f in FIGURES}
WITH_THRESHOLD = tuple(f for f in FIGURES if f.better)


# Periods --------------------------------------------------------------------------------------------

def term_period(day: date) -> Period:
    name, start, end = term_for(day)
    return Period(f"t{start:%Y%m}", name, start, end)


def periods(today: date) -> list[Period]:
    """The current term and the five before it, then this calendar year and the two before."""
    terms, day = [], today
    for _i in range(6):
        term = term_period(day)
        terms.append(term)
        day = term.start - timedelta(days=1)
    return terms + [year_period(today.year - i) for i in range(3)]


def previous(period: Period) -> Period:
    if period.key.startswith("y"):
        return year_period(period.start.year - 1)
    return term_period(period.start - timedelta(days=1))


def period_from_arg(value: str | None, today: date) -> tuple[Period, list[Period]]:
    choices = periods(today)
    return next((p for p in choices if p.key == value), choices[0]), choices


# One row per school ---------------------------------------------------------------------------------------

@dataclass
class Row:
    school_id: int
    name: str
    unit: str
    values: dict[str, float | int | None] = field(default_factory=dict)
    before: dict[str, float | int | None] = field(default_factory=dict)

    def change(self, key: str) -> float | None:
        now, then = self.values.get(key), self.before.get(key)
        if now is None or then is None or BY_KEY[key].now_only:
            return None
        return one_decimal(Decimal(str(now)) - Decimal(str(then)))


def _in(column, school_ids):
    return column.in_(school_ids)


def values(school_ids: list[int], periods: list[Period], now: datetime) -> dict[int, list[dict]]:
    """Every figure of every school for each period: {school_id: [{figure key: value} per period]}, each figure read
    for all the periods in one statement. A count with nothing is 0; a share or a median with nothing to divide is
    None; a figure of today only (now_only) is given for the first period."""
    out = {sid: [{f.key: None if f.unit in ("%", "days") else 0 for f in FIGURES if i == 0 or not f.now_only}
                 for i in range(len(periods))] for sid in school_ids}
    if not school_ids:
        return out
    for figures in (_needs(school_ids, periods), _coverage(school_ids, periods), _pairs(school_ids, periods, now.date()),
                    _hours(school_ids, periods), _events(school_ids, periods), _parent_school(school_ids, periods, now)):
        for (sid, i), got in figures.items():
            out[sid][i].update({k: v for k, v in got.items() if i == 0 or not BY_KEY[k].now_only})
    for sid, got in _mandatory(school_ids).items():
        out[sid][0].update(got)
    return out


def _each(periods, condition):
    """One count per period, of the rows meeting `condition(period)`."""
    return [func.count(case((condition(p), 1))) for p in periods]


def _spread(rows, periods, make):
    """{(school_id, period index): make(figures of that period)} from rows of (school_id, *figures per period)."""
    n = len(rows[0]) - 1 if rows else 0
    width = n // len(periods)
    return {(row[0], i): make(*row[1 + i * width:1 + (i + 1) * width]) for row in rows for i in range(len(periods))}


def _needs(school_ids, periods):
    """Needs raised in the period; the share in a pair (of any status); the median days from raising to the first
    pair."""
    first = (select(PairNeed.need_id, func.min(Pair.created_at).label("first"))
             .join(Pair, Pair.id == PairNeed.pair_id).where(_in(Pair.school_id, school_ids))
             .group_by(PairNeed.need_id).subquery())
    raised = db.session.execute(
        select(Need.school_id, *_each(periods, lambda p: _created_in(Need.created_at, p)))
        .where(_in(Need.school_id, school_ids), or_(*(_created_in(Need.created_at, p) for p in periods)))
        .group_by(Need.school_id)).all()
    # Only the matched needs come back one by one, for their days to a first pair.
    matched = db.session.execute(
        select(Need.school_id, Need.created_at, first.c.first)
        .join(first, first.c.need_id == Need.id)
        .where(_in(Need.school_id, school_ids), or_(*(_created_in(Need.created_at, p) for p in periods)))).all()
    bounds = [(_utc(p.start), _utc(p.end + timedelta(days=1))) for p in periods]
    days: dict[tuple[int, int], list[int]] = {}
    for sid, created, first_pair in matched:
        key = (sid, next(i for i, (start, end) in enumerate(bounds) if start <= created < end))
        days.setdefault(key, []).append(max((_shanghai_day(first_pair) - _shanghai_day(created)).days, 0))
    return {key: {"needs": n, "matched": share(len(days.get(key, ())), n),
                  "days": statistics.median(days[key]) if days.get(key) else None}
            for key, n in _spread(raised, periods, lambda n: n).items()}


def _shanghai_day(utc_value: datetime) -> date:
    """reports' _local_day for many rows: Shanghai keeps no summer time, so its day is always UTC's plus 8 hours."""
    return (utc_value + timedelta(hours=8)).date()


def _coverage(school_ids, periods):
    """Active students with a support tag, in an active class, and the share of them with a running pair."""
    def covered(p):  # the students of the unit's schools with a pair running in the period, gathered once
        return (select(Need.student_id).join(PairNeed, PairNeed.need_id == Need.id).join(Pair, Pair.id == PairNeed.pair_id)
                .where(_in(Pair.school_id, school_ids), _running_in(p)))

    tagged = select(student_tags.c.student_id).where(student_tags.c.student_id == Student.id).exists()
    rows = db.session.execute(
        select(Student.school_id, *(c for p in periods for c in (
            func.count(Student.id), func.count(case((Student.id.in_(covered(p)), 1))))))
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(_in(Student.school_id, school_ids), Student.active.is_(True), SchoolClass.active.is_(True), tagged)
        .group_by(Student.school_id)).all()
    return _spread(rows, periods, lambda n, covered: {"coverage": share(covered, n)})


def _pairs(school_ids, periods, today):
    """Pairs running in the period; pairs running today without a visit for OVERDUE_DAYS."""
    base = func.coalesce(Pair.last_visit_on, Pair.started_on)
    overdue = func.count(case((and_(Pair.status == "active", base <= today - timedelta(days=OVERDUE_DAYS)), 1)))
    rows = db.session.execute(
        select(Pair.school_id, *(c for p in periods for c in (func.count(case((_running_in(p), 1))), overdue)))
        .where(_in(Pair.school_id, school_ids)).group_by(Pair.school_id)).all()
    return _spread(rows, periods, lambda running, late: {"pairs": running, "overdue": late})


def _hours(school_ids, periods):
    """Approved hours worked in the period (corrections included), and the volunteers they are of."""
    def within(p):
        return and_(*p.conditions())

    approved = and_(_in(HourEntry.school_id, school_ids), HourEntry.status == "approved")
    totals = db.session.execute(
        select(HourEntry.school_id, *(func.sum(case((within(p), HourEntry.hours))) for p in periods))
        .where(approved, or_(*(within(p) for p in periods))).group_by(HourEntry.school_id)).all()
    # Volunteers with an approved entry in the period, asked per volunteer: counting distinct volunteers over the
    # entries sorted the whole year's ledger of the district.
    def served(p):
        return (select(HourEntry.id).where(HourEntry.volunteer_id == Volunteer.id, HourEntry.status == "approved",
                                           within(p)).exists())

    served_rows = db.session.execute(
        select(Volunteer.school_id, *(func.count(case((served(p), 1))) for p in periods))
        .where(_in(Volunteer.school_id, school_ids)).group_by(Volunteer.school_id)).all()
    out = _spread(totals, periods, lambda total: {"hours": one_decimal(total or 0)})
    for key, got in _spread(served_rows, periods, lambda n: {"volunteers": n}).items():
        out.setdefault(key, {}).update(got)
    return out


def _events(school_ids, periods):
    """Events of the period held (done)."""
    rows = db.session.execute(
        select(Event.school_id, *_each(periods, lambda p: _local_in(Event.starts_at, p)))
        .where(_in(Event.school_id, school_ids), Event.status == "done",
               or_(*(_local_in(Event.starts_at, p) for p in periods)))
        .group_by(Event.school_id)).all()
    return _spread(rows, periods, lambda n: {"events": n})


def _parent_school(school_ids, periods, now):
    """Sessions held in the period; attendance (registered families, not walk-ins, who checked in); satisfaction (the
    share of their ratings of four or five stars)."""
    def held(p):
        return _local_in(CourseSession.starts_at, p)

    confirmed = and_(Registration.status == "confirmed", Registration.walk_in.is_(False))
    rows = db.session.execute(
        select(CourseSession.school_id, *(c for p in periods for c in (
            func.count(distinct(case((held(p), CourseSession.id)))),
            func.count(case((and_(held(p), confirmed), 1))),
            func.count(case((and_(held(p), confirmed, Registration.attended_at.is_not(None)), 1))),
            func.count(case((held(p), Feedback.id))), func.count(case((and_(held(p), Feedback.rating >= 4), 1))))))
        .outerjoin(Registration, Registration.session_id == CourseSession.id)
        .outerjoin(Feedback, Feedback.registration_id == Registration.id)
        .where(_in(CourseSession.school_id, school_ids), CourseSession.status != "cancelled",
               CourseSession.starts_at <= now, or_(*(held(p) for p in periods)))
        .group_by(CourseSession.school_id)).all()
    return _spread(rows, periods, lambda sessions, registered, came, ratings, satisfied: {
        "sessions": sessions, "attendance": share(came, registered), "satisfaction": share(satisfied, ratings)})


def _mandatory(school_ids):
    """As the school's report: for each active mandatory course, the families of each active class of its grades,
    and the share of them who attended as many of its sessions as it asks for (over the course's whole life)."""
    mandatory = and_(_in(Course.school_id, school_ids), Course.mandatory.is_(True), Course.active.is_(True))
    # (course, family) where the family attended enough of the course's sessions, gathered once.
    done = (select(CourseSession.course_id, Registration.family_id)
            .join(Registration, Registration.session_id == CourseSession.id)
            .join(Course, Course.id == CourseSession.course_id)
            .where(mandatory, CourseSession.status != "cancelled", Registration.attended_at.is_not(None))
            .group_by(CourseSession.course_id, Registration.family_id, Course.sessions_required)
            .having(func.count() >= Course.sessions_required))
    # target_grades holds "3,4": a class's grade is among them when ",3,4," holds ",3,".
    of_grade = or_(Course.target_grades == "", (literal(",") + Course.target_grades + literal(",")).like(
        literal("%,") + cast(SchoolClass.grade, String) + literal(",%")))
    # Each course's classes first, then the families of those classes only.
    classes = (select(Course.id.label("course_id"), Course.school_id, SchoolClass.id.label("class_id"))
               .join(SchoolClass, and_(SchoolClass.school_id == Course.school_id, SchoolClass.active.is_(True), of_grade))
               .where(mandatory).subquery())
    families = (select(classes.c.school_id, classes.c.course_id, classes.c.class_id, Student.family_id)
                .join(Student, Student.class_id == classes.c.class_id)
                .where(Student.active.is_(True), Student.family_id.is_not(None)).distinct().subquery())
    rows = db.session.execute(
        select(families.c.school_id, func.count(),
               func.count(case((tuple_(families.c.course_id, families.c.family_id).in_(done), 1))))
        .group_by(families.c.school_id)).all()
    return {sid: {"mandatory": share(n_done, n)} for sid, n, n_done in rows}


def status(figure: Figure, value, threshold) -> str | None:
    """"met" or "missed" against the unit's line; None without a line or a value."""
    if threshold is None or value is None or not figure.better:
        return None
    met = value >= threshold if figure.better == "higher" else value <= threshold
    return "met" if met else "missed"


STATUS_LABELS = {"met": _l("Met"), "missed": _l("Not met")}


def shown(figure: Figure, value) -> str:
    """A figure as the pages show it: 85%, 66.7%, 12, 36.5."""
    if value is None:
        return "—"
    text = f"{value:.1f}".removesuffix(".0") if isinstance(value, float) else str(value)
    return f"{text}%" if figure.unit == "%" else text


def change_text(change: float) -> str:
    """The change from the previous period with its sign: +3, -2.5 (points, for a share)."""
    return f"{change:+.1f}".removesuffix(".0")
