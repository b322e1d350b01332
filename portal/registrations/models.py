"""One family's registration for one parent-school session or one event, with its place in the queue and its
check-in."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped
from ..extensions import db

REGISTRATION_STATUS = {"confirmed": _l("Registered"), "waitlisted": _l("On the waiting list"),
                       "cancelled": _l("Cancelled")}


ACTIVE = ("confirmed", "waitlisted")  # a registration that holds a seat or a place in the queue

class Registration(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        # One registration per family per session; a family that cancels and comes back reuses its row.
        UniqueConstraint("session_id", "family_id"),
        UniqueConstraint("session_id", "code"),
        UniqueConstraint("session_id", "seq"),
        UniqueConstraint("event_id", "family_id"),
        UniqueConstraint("event_id", "code"),
        UniqueConstraint("event_id", "seq"),
        CheckConstraint("(session_id IS NULL) <> (event_id IS NULL)", name="one_holder"),
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status_known"),
        CheckConstraint("attended_at IS NULL OR status = 'confirmed'", name="attended_holds_seat"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(db.ForeignKey("course_session.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(db.ForeignKey("event.id"), index=True)
    family_id: Mapped[int] = mapped_column(db.ForeignKey("family.id"), index=True)
    # The child the family comes for, and that child's class when registering (reserved seats count by it).
    student_id: Mapped[int] = mapped_column(db.ForeignKey("student.id"), index=True)
    class_id: Mapped[int] = mapped_column(db.ForeignKey("school_class.id"))
    status: Mapped[str] = mapped_column(String(12))
    # Order of arrival in the session's queue: the waiting list is served by it.
    seq: Mapped[int]
    # Short code typed or scanned at the door.
    code: Mapped[str] = mapped_column(String(8))
    registered_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    attended_at: Mapped[datetime | None]
    walk_in: Mapped[bool] = mapped_column(default=False)
    checked_in_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))

    session = relationship("CourseSession", back_populates="registrations")
    event = relationship("Event", back_populates="registrations")
    family = relationship("Family")
    student = relationship("Student")
    school_class = relationship("SchoolClass")

    @property
    def holder(self):
        """The session or event the seat is for."""
        return self.session if self.session_id is not None else self.event

    @property
    def status_label(self):
        return REGISTRATION_STATUS[self.status]
