"""服务时长: the ledger. Rows go pending → approved / rejected; an approved row is never edited, a correction
is a reversing row (negative hours) pointing at it. Recognition levels and issued service records."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, Numeric, String, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, utcnow
from ..events.models import Event
from ..extensions import db

HOUR_STATUS = {"pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected")}
# 活动类别 of an hours entry. "pair_visit" rows come from visit records.
ACTIVITIES = {
    "pair_visit": _l("Pair mentoring"),
    "lecture": _l("Talk or class"),
    "event": _l("Event service"),
    "home_visit": _l("Home visit"),
    "parent_school": _l("Parent school"),
    "safety": _l("Safety patrol"),
    "other": _l("Other service"),
}
MAX_HOURS_PER_DAY = Decimal("12")
HOUR_STEP = Decimal("0.5")


class HourEntry(SchoolScoped, db.Model):
    __tablename__ = "hour_entry"
    __table_args__ = (
        # A reversal carries the negated hours of the row it corrects; every other row is positive.
        CheckConstraint("(reverses_id IS NULL AND hours > 0 AND hours <= 12) OR "
                        "(reverses_id IS NOT NULL AND hours < 0 AND hours >= -12 AND status = 'approved')",
                        name="hours_range"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        Index("ix_hour_entry_volunteer_day", "volunteer_id", "worked_on"),
        Index("ix_hour_entry_school_status_day", "school_id", "status", "worked_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    worked_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    activity: Mapped[str] = mapped_column(String(20), default="pair_visit")
    pair_id: Mapped[int | None] = mapped_column(db.ForeignKey("pair.id"), index=True)
    # One claim per visit record.
    visit_id: Mapped[int | None] = mapped_column(db.ForeignKey("visit.id"), unique=True)
    event_id: Mapped[int | None] = mapped_column(db.ForeignKey("event.id"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    entered_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None]
    # Why a row was rejected, or why a reversal corrects its row.
    reason: Mapped[str] = mapped_column(String(200), default="")
    # Unique: a row is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(db.ForeignKey("hour_entry.id"), unique=True)
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    volunteer = relationship("Volunteer")
    event = relationship(Event)
    pair = relationship("Pair")
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    reverses = relationship("HourEntry", remote_side=[id], foreign_keys=[reverses_id],
                            back_populates="reversal")
    reversal = relationship("HourEntry", foreign_keys=[reverses_id], back_populates="reverses", uselist=False)

    @property
    def status_label(self):
        return HOUR_STATUS[self.status]

    @property
    def activity_label(self):
        return ACTIVITIES.get(self.activity, self.activity)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


LOCKED_FIELDS = ("volunteer_id", "worked_on", "hours", "activity", "pair_id", "event_id", "reverses_id", "school_id")


@event.listens_for(HourEntry, "before_update")
def _approved_rows_are_locked(_mapper, connection, target):
    """Belt and braces for the services: an approved row's facts never change through the ORM."""
    state = db.inspect(target)
    # The stored status, not the session's idea of it: an expired or stale object has no old value in its
    # history (a status set on it would unlock the row), and review() approves with a bulk UPDATE.
    table = HourEntry.__table__
    if connection.scalar(select(table.c.status).where(table.c.id == target.id)) != "approved":
        return
    changed = [f for f in (*LOCKED_FIELDS, "status") if state.attrs[f].history.has_changes()]
    if changed:
        raise ValueError(f"approved hour entry {target.id} is locked ({', '.join(changed)})")


class RecognitionLevel(SchoolScoped, db.Model):
    """A yearly 表彰 level: volunteers with at least min_hours approved in a calendar year reach it."""

    __tablename__ = "recognition_level"
    __table_args__ = (UniqueConstraint("school_id", "min_hours"),
                      CheckConstraint("min_hours > 0 AND min_hours <= 5000", name="min_hours_range"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    min_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))


class ServiceRecord(SchoolScoped, db.Model):
    """志愿服务记录证明 as issued: the figures are kept as they were on the day, under a serial number."""

    __tablename__ = "service_record"
    __table_args__ = (UniqueConstraint("school_id", "serial"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20))
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    period_from: Mapped[date]
    period_to: Mapped[date]
    total_hours: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    # JSON: the approved hours by term and by activity, as printed.
    breakdown: Mapped[str] = mapped_column(db.Text, default="{}")
    issued_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    volunteer = relationship("Volunteer")
    issued_by = relationship("User")
    school = relationship("School")
