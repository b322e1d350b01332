"""Courses, their sessions with seats (some reserved per class), and families' feedback.

Session times (starts_at, ends_at, deadline) are wall-clock times in Asia/Shanghai, as printed on a notice;
record timestamps (created_at, attended_at …) are UTC like everywhere else.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped, utcnow
from ..extensions import db
from ..people.models import GRADE_NAMES

COURSE_KINDS = {"required": _l("Prescribed course"), "elective": _l("Elective course")}
SESSION_STATUS = {"open": _l("Open for registration"), "closed": _l("Registration closed"),
                  "cancelled": _l("Cancelled"), "done": _l("Held")}
# What a family sees: the stored status, or "full" and "closed" worked out from the seats and the clock.
SESSION_STATES = dict(SESSION_STATUS, full=_l("Full – waiting list open"))


class Course(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        CheckConstraint("kind IN ('required', 'elective')", name="kind_known"),
        CheckConstraint("sessions_required BETWEEN 1 AND 50", name="sessions_required_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="required")
    topic: Mapped[str] = mapped_column(String(500), default="")
    # The lecturer is one of the school's volunteers, or an outside expert named in lecturer_name.
    lecturer_volunteer_id: Mapped[int | None] = mapped_column(db.ForeignKey("volunteer.id"))
    lecturer_name: Mapped[str] = mapped_column(String(60), default="")
    # Grades as "1,7"; empty means every grade.
    target_grades: Mapped[str] = mapped_column(String(40), default="")
    mandatory: Mapped[bool] = mapped_column(default=False)
    sessions_required: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))

    lecturer_volunteer = relationship("Volunteer")
    sessions: Mapped[list[CourseSession]] = relationship(back_populates="course",
                                                         order_by="(CourseSession.starts_at, CourseSession.id)")

    @property
    def grades(self) -> list[int]:
        return [int(g) for g in self.target_grades.split(",") if g]

    @property
    def grades_text(self) -> str:
        return "、".join(GRADE_NAMES.get(g, str(g)) for g in self.grades)

    @property
    def lecturer(self) -> str:
        return self.lecturer_volunteer.name if self.lecturer_volunteer else self.lecturer_name

    @property
    def kind_label(self):
        return COURSE_KINDS[self.kind]

    def for_grade(self, grade: int) -> bool:
        return not self.target_grades or grade in self.grades


class CourseSession(SchoolScoped, Timestamped, db.Model):
    __tablename__ = "course_session"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'cancelled', 'done')", name="status_known"),
        # The database itself refuses an overbooked session.
        CheckConstraint("capacity BETWEEN 1 AND 5000 AND taken >= 0 AND taken <= capacity", name="seats"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(db.ForeignKey("course.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(100), default="")
    online_url: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int]
    # Confirmed registrations; changed only by the registration service while it holds this row.
    taken: Mapped[int] = mapped_column(default=0)
    # Arrivals so far: each registration takes the next number, which orders the waiting list.
    queue_no: Mapped[int] = mapped_column(default=0)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="open")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")

    course: Mapped[Course] = relationship(back_populates="sessions")
    quotas: Mapped[list[SeatQuota]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                   order_by="SeatQuota.class_id")
    registrations = relationship("Registration", back_populates="session", order_by="Registration.seq")

    # The registration service finds a session's registrations by this column.
    REG_KEY = "session_id"

    @property
    def label(self) -> str:
        return self.title or self.course.title

    @property
    def free(self) -> int:
        return self.capacity - self.taken

    @property
    def closes_at(self) -> datetime:
        return self.deadline

    @property
    def ends(self) -> datetime:
        return self.ends_at

    def admits(self, student) -> str | None:
        """Why the child's family may not register, or None."""
        if self.course.for_grade(student.school_class.grade):
            return None
        return _("This course is for the families of %(grades)s.", grades=self.course.grades_text)

    def state(self, now: datetime) -> str:
        """open, full, closed, cancelled or done, as a family would read it at `now` (Shanghai time)."""
        if self.status in ("cancelled", "done"):
            return self.status
        if now >= self.ends_at:
            return "done"
        if self.status == "closed" or now >= self.deadline or now >= self.starts_at:
            return "closed"
        return "full" if self.taken >= self.capacity else "open"

    def state_label(self, now: datetime):
        return SESSION_STATES[self.state(now)]


class SeatQuota(db.Model):
    """Seats of a session held for the families of one class."""

    __tablename__ = "seat_quota"
    __table_args__ = (CheckConstraint("seats >= 1", name="seats_positive"),)
    session_id: Mapped[int] = mapped_column(db.ForeignKey("course_session.id"), primary_key=True)
    class_id: Mapped[int] = mapped_column(db.ForeignKey("school_class.id"), primary_key=True)
    seats: Mapped[int]
    session: Mapped[CourseSession] = relationship(back_populates="quotas")
    school_class = relationship("SchoolClass")


class Feedback(db.Model):
    """One family's rating of a session it attended."""

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(db.ForeignKey("registration.id"), unique=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    registration = relationship("Registration", backref=db.backref("feedback", uselist=False))
