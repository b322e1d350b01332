"""Totals of 服务时长: periods, a volunteer's summary and progress to the next 表彰 level, per term, activity and
五老 kind, and per volunteer. Every total is a sum over approved rows, reversals (negative rows) included.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..people.models import VOLUNTEER_KINDS, Term, Volunteer
from .ledger import ZERO, volunteer_match
from .models import ACTIVITIES, HourEntry, RecognitionLevel

DEFAULT_LEVELS = (("一星志愿者", Decimal(50)), ("二星志愿者", Decimal(100)), ("三星志愿者", Decimal(200)))


@dataclass(frozen=True)
class Period:
    """A span of days for totals: a calendar year, a term, or all time (start and end None)."""

    key: str
    label: str
    start: date | None = None
    end: date | None = None

    def conditions(self):
        conds = []
        if self.start:
            conds.append(HourEntry.worked_on >= self.start)
        if self.end:
            conds.append(HourEntry.worked_on <= self.end)
        return conds


def year_period(year: int) -> Period:
    return Period(f"y{year}", _("Year %(year)d", year=year), date(year, 1, 1), date(year, 12, 31))


def periods(school_id: int, today: date) -> list[Period]:
    """The choices of the totals page: this year and the previous two, every term, all time."""
    terms = db.session.scalars(select(Term).where(Term.school_id == school_id).order_by(Term.starts_on.desc())).all()
    return ([year_period(today.year - i) for i in range(3)]
            + [Period(f"t{t.id}", t.name, t.starts_on, t.ends_on) for t in terms]
            + [Period("all", _("All time"))])


def period_from_arg(value: str | None, school_id: int, today: date) -> Period:
    choices = {p.key: p for p in periods(school_id, today)}
    return choices.get(value or "", choices[f"y{today.year}"])


def only_approved(*conds):
    return [HourEntry.status == "approved", *conds]


def sum_hours(*conds) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(HourEntry.hours), 0)).where(*conds)) or 0)


# Read here, not in recognition.py: a volunteer's summary shows the next level, and recognition.py (which saves the
# levels and lists who reached them) builds on these totals.
def levels(school_id: int) -> list[tuple[str, Decimal]]:
    """The school's 表彰 levels, lowest first; the defaults until the school sets its own."""
    rows = db.session.execute(select(RecognitionLevel.name, RecognitionLevel.min_hours)
                              .where(RecognitionLevel.school_id == school_id)
                              .order_by(RecognitionLevel.min_hours)).all()
    return [(n, Decimal(h)) for n, h in rows] or list(DEFAULT_LEVELS)


@dataclass
class Progress:
    year_hours: Decimal
    reached: tuple | None
    next_level: tuple | None

    @property
    def remaining(self) -> Decimal:
        return max(self.next_level[1] - self.year_hours, ZERO) if self.next_level else ZERO

    @property
    def percent(self) -> int:
        if not self.next_level:
            return 100
        low = self.reached[1] if self.reached else ZERO
        return int(min(max((self.year_hours - low) / (self.next_level[1] - low) * 100, 0), 100))


def progress(levels, year_hours: Decimal) -> Progress:
    reached = [lv for lv in levels if year_hours >= lv[1]]
    ahead = [lv for lv in levels if year_hours < lv[1]]
    return Progress(year_hours, reached[-1] if reached else None, ahead[0] if ahead else None)


@dataclass
class Summary:
    total: Decimal
    year: Decimal
    term: Decimal
    term_name: str
    pending: Decimal
    by_term: list
    by_activity: list
    progress: Progress
    levels: list


def summary(volunteer: Volunteer, today: date) -> Summary:
    """A volunteer's page: totals in all, this year and this term, per term and activity, and the next level."""
    from ..people.services import current_term

    vid = volunteer.id
    term = current_term(volunteer.school_id, today)
    year = year_period(today.year)
    # One grouped read feeds the totals, the per-term and the per-activity figures.
    rows = db.session.execute(
        select(HourEntry.status, HourEntry.worked_on, HourEntry.activity, func.sum(HourEntry.hours))
        .where(HourEntry.volunteer_id == vid, HourEntry.status.in_(("approved", "pending")))
        .group_by(HourEntry.status, HourEntry.worked_on, HourEntry.activity)).all()
    approved = [(day, activity, Decimal(h)) for status, day, activity, h in rows if status == "approved"]
    total = sum((h for _d, _a, h in approved), ZERO)
    year_hours = sum((h for d, _a, h in approved if year.start <= d <= year.end), ZERO)
    term_hours = sum((h for d, _a, h in approved if term.starts_on <= d <= term.ends_on), ZERO)
    pending = sum((Decimal(h) for status, _d, _a, h in rows if status == "pending"), ZERO)
    lvls = levels(volunteer.school_id)
    return Summary(total=total, year=year_hours, term=term_hours, term_name=term.name, pending=pending,
                   by_term=_per_term(_terms_of(volunteer.school_id), ((d, h) for d, _a, h in approved)),
                   by_activity=_per_activity((a, h) for _d, a, h in approved),
                   progress=progress(lvls, year_hours), levels=lvls)


def _terms_of(school_id: int):
    return db.session.scalars(select(Term).where(Term.school_id == school_id).order_by(Term.starts_on.desc())).all()


def _per_term(terms, day_hours) -> list[tuple[str, Decimal]]:
    sums: dict[str, Decimal] = {}
    for day, hours in day_hours:
        name = next((t.name for t in terms if t.starts_on <= day <= t.ends_on), _("Outside school terms"))
        sums[name] = sums.get(name, ZERO) + Decimal(hours)
    order = [t.name for t in terms] + [_("Outside school terms")]
    return [(n, sums[n]) for n in order if sums.get(n)]


def _per_activity(activity_hours) -> list[tuple[str, Decimal]]:
    sums: dict[str, Decimal] = {}
    for activity, hours in activity_hours:
        if hours:
            sums[activity] = sums.get(activity, ZERO) + Decimal(hours)
    return [(ACTIVITIES[a], sums[a]) for a in ACTIVITIES if sums.get(a)]


def by_term(volunteer: Volunteer, start: date | None = None, end: date | None = None) -> list[tuple[str, Decimal]]:
    """Approved hours per term of the school (newest first); days outside every term under 其他时间."""
    terms = _terms_of(volunteer.school_id)
    conds = [HourEntry.volunteer_id == volunteer.id, *only_approved()]
    if start:
        conds.append(HourEntry.worked_on >= start)
    if end:
        conds.append(HourEntry.worked_on <= end)
    rows = db.session.execute(select(HourEntry.worked_on, func.sum(HourEntry.hours)).where(*conds)
                              .group_by(HourEntry.worked_on)).all()
    return _per_term(terms, rows)


def by_activity(conds) -> list[tuple[str, Decimal]]:
    rows = db.session.execute(select(HourEntry.activity, func.sum(HourEntry.hours)).where(*only_approved(*conds))
                              .group_by(HourEntry.activity)).all()
    return _per_activity(rows)


def by_kind(school_id: int, period: Period) -> list[tuple[str, Decimal, int]]:
    """Approved hours and volunteers with hours per 五老 kind."""
    rows = db.session.execute(
        select(Volunteer.kind, func.sum(HourEntry.hours), func.count(func.distinct(HourEntry.volunteer_id)))
        .join(Volunteer, Volunteer.id == HourEntry.volunteer_id)
        .where(*only_approved(HourEntry.school_id == school_id, *period.conditions())).group_by(Volunteer.kind)).all()
    got = {k: (Decimal(h or 0), n) for k, h, n in rows}
    return [(k, *got.get(k, (ZERO, 0))) for k in VOLUNTEER_KINDS]


def one_occasion():
    """A row that stands for an occasion of service: not a reversal, and not an entry a correction reversed (its
    replacement, if any, is the occasion)."""
    reversal = aliased(HourEntry)
    return and_(HourEntry.reverses_id.is_(None),
                ~select(reversal.id).where(reversal.reverses_id == HourEntry.id).exists())


@dataclass
class VolunteerTotal:
    volunteer: Volunteer
    approved: Decimal
    pending: Decimal
    entries: int


def volunteer_totals(school_id: int, period: Period, kind: str = "", q: str = "") -> list[VolunteerTotal]:
    """Every volunteer of the school with their approved and pending hours in the period, most hours first."""
    approved = func.coalesce(func.sum(case((HourEntry.status == "approved", HourEntry.hours), else_=0)), 0)
    pending = func.coalesce(func.sum(case((HourEntry.status == "pending", HourEntry.hours), else_=0)), 0)
    counted = func.count(case((one_occasion(), HourEntry.id)))
    join_on = [HourEntry.volunteer_id == Volunteer.id, *period.conditions()]
    stmt = (select(Volunteer, approved, pending, counted).outerjoin(HourEntry, db.and_(*join_on))
            .where(Volunteer.school_id == school_id).group_by(Volunteer.id)
            .order_by(approved.desc(), Volunteer.name_initials, Volunteer.id))
    if kind in VOLUNTEER_KINDS:
        stmt = stmt.where(Volunteer.kind == kind)
    if q:
        stmt = stmt.where(volunteer_match(q))
    return [VolunteerTotal(v, Decimal(a), Decimal(p), n) for v, a, p, n in db.session.execute(stmt)
            if v.active or a or p]
