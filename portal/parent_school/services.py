"""Courses and sessions for coordinators; what a family sees; feedback, completion and coverage.

Seats are taken and given back only through portal.registrations.services.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..extensions import db
from ..notices import services as notices
from ..people.models import Family, Guardian, SchoolClass, Student, Volunteer
from ..permissions import scope
from ..registrations import services as seats
from ..registrations.models import Registration
from .models import Course, CourseSession, Feedback, SeatQuota

ROSTER_FILTERS = ("confirmed", "waitlisted", "cancelled", "attended", "absent")


# Courses and sessions

def save_course(course: Course | None, data: dict, by) -> Course:
    lecturer_id = data.get("lecturer_volunteer_id") or None
    if lecturer_id:
        lecturer = db.session.get(Volunteer, lecturer_id)
        if lecturer is None or lecturer.school_id != by.school_id:
            raise DomainError(_("Please choose a volunteer of this school."), "lecturer_volunteer_id")
    elif not data.get("lecturer_name"):
        raise DomainError(_("Please choose a volunteer or name the outside expert."), "lecturer_name")
    grades = sorted({int(g) for g in data.get("grades") or []})
    offered = set(db.session.scalars(select(SchoolClass.grade).where(SchoolClass.school_id == by.school_id,
                                                                     SchoolClass.active.is_(True))))
    if not set(grades) <= offered:
        raise DomainError(_("Please choose grades from the list."), "grades")
    if data.get("mandatory") and not grades:
        raise DomainError(_("A mandatory course names the grades whose families must attend."), "grades")
    if course is None:
        course = Course(school_id=by.school_id, created_by_id=by.id)
        db.session.add(course)
    course.title, course.kind, course.topic = data["title"], data["kind"], data.get("topic") or ""
    course.lecturer_volunteer_id = lecturer_id
    course.lecturer_name = "" if lecturer_id else data["lecturer_name"]
    course.target_grades = ",".join(str(g) for g in grades)
    course.mandatory, course.sessions_required = bool(data.get("mandatory")), data["sessions_required"]
    with saving(_("The course could not be saved. Please try again.")):
        db.session.flush()
        record(by, "course.save", course, course.title)
    return course


def _check_times(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise DomainError(_("The session must end after it starts."), "ends_at")
    if data["deadline"] > data["starts_at"]:
        raise DomainError(_("Registration must close before the session starts."), "deadline")


def _check_quotas(course: Course, quotas: dict[int, int], capacity: int, school_id: int) -> None:
    if not quotas:
        return
    classes = {c.id: c for c in db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(quotas),
                                                                              SchoolClass.school_id == school_id))}
    if set(classes) != set(quotas):
        raise DomainError(_("Please reserve seats only for classes of this school."), "quotas")
    if any(not course.for_grade(c.grade) for c in classes.values()):
        raise DomainError(_("Seats can be reserved only for classes the course is for."), "quotas")
    if sum(quotas.values()) > capacity:
        raise DomainError(_("%(n)d seats are reserved for classes, more than the %(cap)d seats of the session.",
                            n=sum(quotas.values()), cap=capacity), "quotas")


def save_session(session: CourseSession | None, course: Course, data: dict, quotas: dict[int, int], by,
                 now: datetime | None = None) -> tuple[CourseSession, list[Registration]]:
    """Create or change a session; seats a larger capacity or a released reservation frees go to the
    waiting families at once. Returns the session and the families promoted."""
    now = now or seats.local_now()
    _check_times(data)
    _check_quotas(course, quotas, data["capacity"], by.school_id)
    if session is None:
        session = CourseSession(school_id=course.school_id, course_id=course.id, status="open")
        db.session.add(session)
    before = (session.starts_at, session.place) if session.id is not None else None
    with seats.holding(session):
        if session.id is not None and data["capacity"] < session.taken:
            raise DomainError(_("%(n)d families already hold seats; the capacity cannot be lower.", n=session.taken),
                              "capacity")
        for key in ("title", "starts_at", "ends_at", "place", "online_url", "capacity", "deadline"):
            setattr(session, key, data[key])
        session.quotas = [SeatQuota(class_id=cid, seats=n) for cid, n in sorted(quotas.items())]
        db.session.flush()
        # Families may wait while no seat is taken (every seat held for a class): promote whatever `taken` is.
        promoted = seats.promote(session, now)
        change = before and seats.moved(session, before, now)
        if change:
            seats.tell_changed(session, *change)
        record(by, "course_session.save", session, f"{course.title} {session.starts_at:%Y-%m-%d %H:%M}")
    return session, promoted


def set_status(session: CourseSession, status: str, by, reason: str = "") -> None:
    """Close or reopen registration, cancel the session (with a reason every family sees), or mark it held."""
    if status == "cancelled" and not reason:
        raise DomainError(_("Please tell the families why the session is cancelled."), "reason")
    with seats.holding(session):
        if session.status == "cancelled":
            raise DomainError(_("This session has been cancelled."))
        session.status = status
        if status == "cancelled":
            session.cancel_reason = reason
            seats.tell_changed(session)
        record(by, f"course_session.{status}", session, reason)


def courses(school_id: int, include_inactive: bool = False) -> list[Course]:
    stmt = select(Course).where(Course.school_id == school_id).options(selectinload(Course.sessions),
                                                                         selectinload(Course.lecturer_volunteer))
    if not include_inactive:
        stmt = stmt.where(Course.active.is_(True))
    return db.session.scalars(stmt.order_by(Course.mandatory.desc(), Course.kind, Course.id)).all()


def upcoming_sessions(school_id: int, now: datetime, limit: int = 50) -> list[CourseSession]:
    return db.session.scalars(
        select(CourseSession).where(CourseSession.school_id == school_id, CourseSession.ends_at > now)
        .order_by(CourseSession.starts_at, CourseSession.id).limit(limit)
        .options(selectinload(CourseSession.course))).all()


def roster(session: CourseSession, which: str, q: str = "") -> list[Registration]:
    conditions = {
        "confirmed": [Registration.status == "confirmed"],
        "waitlisted": [Registration.status == "waitlisted"],
        "cancelled": [Registration.status == "cancelled"],
        "attended": [Registration.attended_at.is_not(None)],
        "absent": [Registration.status == "confirmed", Registration.attended_at.is_(None)],
    }[which]
    if q:
        conditions.append(or_(Student.name.like(f"%{q}%"), Student.name_initials.like(f"{q.lower()}%"),
                              Registration.family_id.in_(select(Guardian.family_id).where(Guardian.name.like(f"%{q}%")))))
    return db.session.scalars(
        select(Registration).join(Student, Registration.student_id == Student.id)
        .where(Registration.session_id == session.id, *conditions)
        .order_by(Registration.seq)
        .options(joinedload(Registration.family).selectinload(Family.guardians),
                 contains_eager(Registration.student), joinedload(Registration.school_class))).all()


def session_page_options(staff: bool):
    """What a session's page shows of the session, loaded with it; only staff see the seats reserved per class."""
    course = joinedload(CourseSession.course).joinedload(Course.lecturer_volunteer)
    return (course, selectinload(CourseSession.quotas).joinedload(SeatQuota.school_class)) if staff else (course,)


def roster_counts(session: CourseSession) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.status, Registration.attended_at.is_not(None), func.count())
        .where(Registration.session_id == session.id).group_by(Registration.status,
                                                               Registration.attended_at.is_not(None))).all()
    counts = dict.fromkeys(ROSTER_FILTERS, 0)
    for status, attended, n in rows:
        counts[status] += n
        if status == "confirmed":
            counts["attended" if attended else "absent"] += n
    return counts


def door_search(session: CourseSession, q: str, limit: int = 20) -> list[tuple[Student, Registration | None]]:
    """Children of the course's grades whose name, pinyin initials or guardian's name matches, with their
    family's registration."""
    if not q:
        return []
    like = f"%{q}%"
    guardian_families = select(Guardian.family_id).where(Guardian.school_id == session.school_id,
                                                         Guardian.name.like(like))
    grades = session.course.grades
    in_grades = Student.class_id.in_(select(SchoolClass.id).where(SchoolClass.grade.in_(grades))) if grades else True
    students = db.session.scalars(
        select(Student).where(Student.school_id == session.school_id, Student.active.is_(True),
                              Student.family_id.is_not(None), in_grades,
                              or_(Student.name.like(like), Student.name_initials.like(f"{q.lower()}%"),
                                  Student.family_id.in_(guardian_families)))
        .order_by(Student.name_initials, Student.id).limit(limit)
        .options(selectinload(Student.school_class), selectinload(Student.family).selectinload(Family.guardians))).all()
    regs = {r.family_id: r for r in db.session.scalars(
        select(Registration).where(Registration.session_id == session.id,
                                   Registration.family_id.in_({s.family_id for s in students})))}
    return [(s, regs.get(s.family_id)) for s in students]


# What a family sees

@dataclass
class Choice:
    """A session a family may register for, with the children it may come for and its registration."""

    session: CourseSession
    children: list[Student]
    registration: Registration | None = None
    position: int = 0


def _children(family: Family) -> list[Student]:
    # With their classes in the same statement: each child's grade picks the sessions.
    return db.session.scalars(select(Student).where(Student.family_id == family.id, Student.active.is_(True))
                              .order_by(Student.id).options(joinedload(Student.school_class))).all()


def sessions_for_family(family: Family, now: datetime) -> list[Choice]:
    """Sessions not yet over of courses for a grade of the family's children, soonest first."""
    children = _children(family)
    if not children:
        return []
    sessions = db.session.scalars(
        select(CourseSession).join(Course).where(CourseSession.school_id == family.school_id,
                                                 CourseSession.ends_at > now, Course.active.is_(True))
        .order_by(CourseSession.starts_at, CourseSession.id)
        .options(contains_eager(CourseSession.course).joinedload(Course.lecturer_volunteer))).all()
    regs = _family_regs(family, [s.id for s in sessions])
    positions = _waiting_positions(regs.values())
    offers = []
    for s in sessions:
        eligible = [c for c in children if s.course.for_grade(c.school_class.grade)]
        reg = regs.get(s.id)
        if eligible or reg is not None:
            offers.append(Choice(s, eligible, reg, positions.get(reg.id, 0) if reg is not None else 0))
    return offers


def _family_regs(family: Family, session_ids) -> dict[int, Registration]:
    if not session_ids:
        return {}
    return {r.session_id: r for r in db.session.scalars(
        select(Registration).where(Registration.family_id == family.id, Registration.session_id.in_(session_ids))
        .options(joinedload(Registration.student)))}


def _waiting_positions(regs) -> dict[int, int]:
    """waiting_position of every waitlisted registration of a session, in one statement."""
    ids = [r.id for r in regs if r.status == "waitlisted"]
    if not ids:
        return {}
    ahead = aliased(Registration)
    rows = db.session.execute(
        select(Registration.id, func.count(ahead.id))
        .outerjoin(ahead, and_(ahead.session_id == Registration.session_id, ahead.status == "waitlisted",
                               ahead.seq < Registration.seq))
        .where(Registration.id.in_(ids)).group_by(Registration.id)).all()
    return {reg_id: n + 1 for reg_id, n in rows}


def waiting_position(reg: Registration | None) -> int:
    return seats.waiting_position(reg) if reg is not None and reg.status == "waitlisted" else 0


def past_registrations(family: Family, now: datetime) -> list[Registration]:
    """Registrations of sessions that are over, newest first, for feedback and the record."""
    return db.session.scalars(
        select(Registration).join(CourseSession).where(Registration.family_id == family.id,
                                                       CourseSession.ends_at <= now,
                                                       Registration.status == "confirmed")
        .order_by(CourseSession.starts_at.desc())
        .options(contains_eager(Registration.session).joinedload(CourseSession.course),
                 joinedload(Registration.feedback), joinedload(Registration.student))).all()


def attendance_of(family_id: int) -> list[Registration]:
    """Sessions the family checked in at, newest first: the parent-school record on a child's page."""
    return db.session.scalars(
        select(Registration).join(CourseSession).where(Registration.family_id == family_id,
                                                       Registration.attended_at.is_not(None))
        .order_by(CourseSession.starts_at.desc())
        .options(contains_eager(Registration.session).joinedload(CourseSession.course),
                 joinedload(Registration.student))).all()


# Completion

def attended_counts(course: Course, family_ids=None) -> dict[int, int]:
    """Sessions of the course each family attended."""
    stmt = (select(Registration.family_id, func.count())
            .join(CourseSession, Registration.session_id == CourseSession.id)
            .where(CourseSession.course_id == course.id, CourseSession.status != "cancelled",
                   Registration.attended_at.is_not(None)).group_by(Registration.family_id))
    if family_ids is not None:
        stmt = stmt.where(Registration.family_id.in_(family_ids))
    return dict(db.session.execute(stmt).all())


@dataclass
class Progress:
    course: Course
    attended: int
    completed: bool
    last_attended: datetime | None = None


def family_progress(family: Family) -> list[Progress]:
    """Every course the family has attended a session of, with whether it is complete."""
    rows = db.session.execute(
        select(CourseSession.course_id, func.count(), func.max(CourseSession.starts_at))
        .join(Registration, Registration.session_id == CourseSession.id)
        .where(Registration.family_id == family.id, Registration.attended_at.is_not(None),
               CourseSession.status != "cancelled").group_by(CourseSession.course_id)).all()
    by_id = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_([r[0] for r in rows])))}
    return [Progress(by_id[cid], n, n >= by_id[cid].sessions_required, last) for cid, n, last in rows]


def certificate(family: Family, course: Course) -> Progress:
    progress = next((p for p in family_progress(family) if p.course.id == course.id), None)
    if progress is None or not progress.completed:
        raise DomainError(_("The course is complete after %(n)d sessions attended.", n=course.sessions_required))
    return progress


# Feedback

def save_feedback(reg: Registration, rating: int, comment: str, by) -> Feedback:
    if reg.attended_at is None:
        raise DomainError(_("Feedback is for families who attended the session."))
    if not 1 <= (rating or 0) <= 5:
        raise DomainError(_("Please choose from 1 to 5 stars."), "rating")
    if reg.feedback is not None:
        raise DomainError(_("Your family has already given feedback on this session. Thank you!"))
    fb = Feedback(registration_id=reg.id, rating=rating, comment=comment or "")
    db.session.add(fb)
    with saving(_("Your family has already given feedback on this session. Thank you!")):
        db.session.flush()
    return fb


@dataclass
class Rating:
    average: float
    count: int


def ratings(session_ids) -> dict[int, Rating]:
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Registration.session_id, func.avg(Feedback.rating), func.count())
        .join(Feedback, Feedback.registration_id == Registration.id)
        .where(Registration.session_id.in_(session_ids)).group_by(Registration.session_id)).all()
    return {sid: Rating(round(float(avg), 1), n) for sid, avg, n in rows}


def course_ratings(school_id: int) -> dict[int, Rating]:
    rows = db.session.execute(
        select(CourseSession.course_id, func.avg(Feedback.rating), func.count())
        .join(Registration, Registration.session_id == CourseSession.id)
        .join(Feedback, Feedback.registration_id == Registration.id)
        .where(CourseSession.school_id == school_id).group_by(CourseSession.course_id)).all()
    return {cid: Rating(round(float(avg), 1), n) for cid, avg, n in rows}


def comments(session: CourseSession) -> list[Feedback]:
    return db.session.scalars(
        select(Feedback).join(Registration).where(Registration.session_id == session.id, Feedback.comment != "")
        .order_by(Feedback.created_at.desc())).all()


# Coverage of a mandatory course

@dataclass
class ClassCoverage:
    school_class: SchoolClass
    families: int = 0
    registered: int = 0
    completed: int = 0
    missing: list[tuple[Family, list[Student], str]] = field(default_factory=list)


def coverage(course: Course, reader=None) -> list[ClassCoverage]:
    """For each class of the course's grades (those the reader may see, when given): its families, how many
    registered for a session of the course, how many completed it, and the families still to reach (not registered,
    or registered but not complete)."""
    classes_stmt = select(SchoolClass).where(SchoolClass.school_id == course.school_id, SchoolClass.active.is_(True))
    if course.grades:
        classes_stmt = classes_stmt.where(SchoolClass.grade.in_(course.grades))
    if reader is not None:
        classes_stmt = classes_stmt.where(scope(reader, SchoolClass))
    classes = db.session.scalars(classes_stmt.order_by(SchoolClass.grade, SchoolClass.name)).all()
    students = db.session.scalars(
        select(Student).where(Student.class_id.in_([c.id for c in classes]), Student.active.is_(True),
                              Student.family_id.is_not(None))
        .order_by(Student.name_initials, Student.id)
        .options(selectinload(Student.family).selectinload(Family.guardians))).all()
    family_ids = {s.family_id for s in students}
    registered = set(db.session.scalars(
        select(Registration.family_id).join(CourseSession, Registration.session_id == CourseSession.id)
        .where(CourseSession.course_id == course.id, CourseSession.status != "cancelled",
               Registration.status != "cancelled", Registration.family_id.in_(family_ids))))
    attended = attended_counts(course, family_ids)
    rows = {c.id: ClassCoverage(c) for c in classes}
    per_class: dict[int, dict[int, list[Student]]] = {c.id: {} for c in classes}
    for s in students:
        per_class[s.class_id].setdefault(s.family_id, []).append(s)
    for cid, families in per_class.items():
        row = rows[cid]
        for fid, kids in families.items():
            row.families += 1
            done = attended.get(fid, 0) >= course.sessions_required
            row.registered += fid in registered or done
            row.completed += done
            if not done:
                state = "registered" if fid in registered else ("started" if attended.get(fid) else "none")
                row.missing.append((kids[0].family, kids, state))
    return list(rows.values())


UNREGISTERED = "course.unregistered"
REMIND_DAYS_BEFORE = 3  # the families not registered for a required course are reminded this long before it closes


@dataclass
class Reminded:
    unregistered: int  # families of the class not registered
    families: int  # of them, families told now
    without_login: list[Family]  # families not registered that no notice reaches: to be phoned


def remind_unregistered(actor, course: Course, klass: SchoolClass, today: date) -> Reminded:
    """Tell every family of the class that has not registered for the course (in one tap, by its class teacher or
    the office): a notice to each of its logins, once a day at most."""
    if not (course.mandatory and course.active):
        raise DomainError(_("Only families who have not registered for a required course are reminded."))
    row = next((r for r in coverage(course, actor) if r.school_class.id == klass.id), None)
    if row is None:
        raise DomainError(_("%(klass)s is not in the grades this course is for.", klass=klass.label))
    families = [family for family, _kids, state in row.missing if state == "none"]
    if not families:
        return Reminded(0, 0, [])
    with saving():
        done = _tell_unregistered(course, families, today)
        record(actor, "course.remind_unregistered", course, f"class={klass.id} families={done.families}")
    return done


def _tell_unregistered(course: Course, families: list[Family], today: date) -> Reminded:
    """A notice to each of the families' logins, keyed by the day: a family is told about a course once a day."""
    told, without = 0, []
    for family in families:
        readers = notices.family_readers(family.id)
        if not readers:
            without.append(family)
            continue
        added = notices.notify(readers, UNREGISTERED, f"course:{course.id}", lambda: _(
            "Please register for the parent-school course %(course)s: it is required for your child's grade. "
            "Choose a session on the parent school page.", course=course.title),
            notices.link("parent_school.index"), due=datetime.combine(today, time.min))
        told += added > 0
    return Reminded(len(families), told, without)


def remind_before_deadlines(today: date) -> int:
    """By itself, REMIND_DAYS_BEFORE days before a session of a required course stops taking registrations: every
    family of the course's grades not yet registered for it is reminded (once that day, whoever else reminded them).
    Returns how many families were told."""
    soon = datetime.combine(today + timedelta(days=REMIND_DAYS_BEFORE), time.min)
    closing = select(CourseSession.course_id).where(CourseSession.status == "open", CourseSession.deadline >= soon,
                                                    CourseSession.deadline < soon + timedelta(days=1))
    told = 0
    for course in db.session.scalars(select(Course).where(Course.mandatory.is_(True), Course.active.is_(True),
                                                          Course.id.in_(closing)).order_by(Course.id)).all():
        families = [family for row in coverage(course) for family, _kids, state in row.missing if state == "none"]
        if not families:
            continue
        with saving():
            done = _tell_unregistered(course, families, today)
            record(None, "course.remind_unregistered", course, f"by itself families={done.families}")
        told += done.families
    return told


def reminder_receipts(course: Course, rows: list[ClassCoverage]) -> dict[int, tuple[datetime, bool]]:
    """family id -> (when last reminded, whether read), for the families of the page reminded about this course."""
    family_ids = [family.id for r in rows for family, _kids, _state in r.missing]
    return notices.read_by_family(UNREGISTERED, f"course:{course.id}", family_ids)
