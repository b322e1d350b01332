"""What each role sees first: a volunteer their hours and pairs, a parent their sessions and courses, a teacher their
students' needs and pairs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..needs.models import NEED_STATUS, Need
from ..needs.services import NeedFilters, need_list
from ..pairs.models import Pair
from ..pairs.services import PairFilters, card_options, pair_list
from ..parent_school import services as parent_school
from ..parent_school.models import Course
from ..people.models import Family

HOME_LIST = 5


@dataclass
class CourseProgress:
    course: Course
    attended: int

    @property
    def completed(self) -> bool:
        return self.attended >= self.course.sessions_required


@dataclass
class ParentHome:
    coming: list[parent_school.Choice]
    courses: list[CourseProgress]


def parent_home(family: Family, now: datetime) -> ParentHome:
    """The family's coming registrations, and each course it has attended a session of or must take (an active
    mandatory course for a child's grade) with the sessions attended so far."""
    coming = [c for c in parent_school.sessions_for_family(family, now)
              if c.registration is not None and c.registration.status != "cancelled"]
    done = {p.course.id: p for p in parent_school.family_progress(family)}
    grades = {c.school_class.grade for c in family.children if c.active}
    mandatory = db.session.scalars(select(Course).where(Course.school_id == family.school_id,
                                                        Course.mandatory.is_(True), Course.active.is_(True))
                                   .order_by(Course.id)).all()
    courses = [CourseProgress(p.course, p.attended) for p in done.values()]
    courses += [CourseProgress(c, 0) for c in mandatory if c.id not in done and any(c.for_grade(g) for g in grades)]
    courses.sort(key=lambda cp: (not cp.course.mandatory, cp.course.id))
    return ParentHome(coming, courses)


@dataclass
class TeacherHome:
    need_counts: dict[str, int]
    waiting: list[Need]
    pairs: list[Pair]
    pairs_total: int


def teacher_home(user, today: date) -> TeacherHome:
    """Needs of the teacher's students by status, those waiting longest for a match, and their running pairs,
    longest without a visit first."""
    scope = need_list(user, NeedFilters()).order_by(None)
    counts = dict(db.session.execute(
        select(Need.status, func.count()).where(Need.id.in_(scope.with_only_columns(Need.id)))
        .group_by(Need.status)).all())
    waiting = db.session.scalars(
        need_list(user, NeedFilters(status="open", sort="waiting")).limit(HOME_LIST)
        .options(joinedload(Need.student), joinedload(Need.category))).all()
    pairs_stmt = pair_list(user, PairFilters(), today)
    pairs = db.session.scalars(pairs_stmt.limit(HOME_LIST).options(*card_options())).all()
    total = db.session.scalar(select(func.count()).select_from(pairs_stmt.order_by(None).subquery())) or 0
    return TeacherHome({s: counts.get(s, 0) for s in NEED_STATUS}, waiting, pairs, total)
