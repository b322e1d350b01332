"""家校社活动: events with their 责任人, audience, registration, helpers, summary and photos.

Event times are wall-clock times in Asia/Shanghai, like parent-school sessions. A 行事历 entry planned for
a month only ("四月") or a half year ("下半年") keeps the first day of that period in starts_at and says
how much of it is known in `precision`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped, utcnow
from ..extensions import db
from ..people.models import GRADE_NAMES

EVENT_STATUS = {"planned": _l("Planned"), "done": _l("Done"), "cancelled": _l("Cancelled")}
# What a family reads about registering: the stored status, or worked out from the seats and the clock.
EVENT_STATES = {"open": _l("Open for registration"), "full": _l("Full – waiting list open"),
                "closed": _l("Registration closed"), "cancelled": _l("Cancelled"), "done": _l("Over")}
# The words of the paper 行事历, kept as they are written there (data, not interface text).
EVENT_KINDS = ("五老进课堂", "红色故事会", "社区服务", "参观教育基地", "节日活动", "讲座", "家访", "会议", "评选申报", "其他")
PARTNER_KINDS = ("社区", "图书馆", "校外辅导站", "教育基地", "专业机构", "其他")
PRECISIONS = ("time", "day", "month", "half")
HELPER_ROLES = {"lead": _l("Responsible"), "speaker": _l("Speaker"), "helper": _l("Helper")}
MAX_CAPACITY = 5000
MAX_HELPERS = 200

event_leads = db.Table(
    "event_lead",
    db.Column("event_id", db.ForeignKey("event.id"), primary_key=True),
    db.Column("user_id", db.ForeignKey("user.id"), primary_key=True, index=True),
)

event_classes = db.Table(
    "event_class",
    db.Column("event_id", db.ForeignKey("event.id"), primary_key=True),
    db.Column("class_id", db.ForeignKey("school_class.id"), primary_key=True),
)


class Partner(SchoolScoped, Timestamped, db.Model):
    """共建单位: a community, library, 校外辅导站 or education base the school works with."""

    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="社区")
    contact: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)


class Event(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="status_known"),
        CheckConstraint("precision IN ('time', 'day', 'month', 'half')", name="precision_known"),
        # Registration takes seats through the shared registration service; the database refuses overbooking.
        CheckConstraint(f"capacity BETWEEN 0 AND {MAX_CAPACITY} AND taken >= 0 AND taken <= capacity", name="seats"),
        CheckConstraint(f"helpers_needed BETWEEN 0 AND {MAX_HELPERS} AND speakers_needed BETWEEN 0 AND {MAX_HELPERS}",
                        name="helpers_range"),
        CheckConstraint("participants IS NULL OR participants >= 0", name="participants_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(db.Text, default="")
    partner_id: Mapped[int | None] = mapped_column(db.ForeignKey("partner.id"), index=True)
    place: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    precision: Mapped[str] = mapped_column(String(8), default="time")
    # 责任人 without an account of their own: 五年级组, 学发中心, 三-六年级语文老师 …
    lead_groups: Mapped[str] = mapped_column(String(200), default="")
    # Audience: grades as "1,7" and/or classes (event_class); neither means the whole school's students.
    audience_grades: Mapped[str] = mapped_column(String(40), default="")
    for_parents: Mapped[bool] = mapped_column(default=False)
    for_volunteers: Mapped[bool] = mapped_column(default=False)
    # Family registration; capacity 0 means no registration.
    capacity: Mapped[int] = mapped_column(default=0)
    taken: Mapped[int] = mapped_column(default=0)
    queue_no: Mapped[int] = mapped_column(default=0)
    deadline: Mapped[datetime | None]
    helpers_needed: Mapped[int] = mapped_column(default=0)
    speakers_needed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(db.Text, default="")
    participants: Mapped[int | None]
    summarised_at: Mapped[datetime | None]
    summarised_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))

    # 责任人 with an account: a teacher among them verifies helpers' hours for this event.
    leads = relationship("User", secondary=event_leads, order_by="User.id")
    classes = relationship("SchoolClass", secondary=event_classes, order_by="(SchoolClass.grade, SchoolClass.name)")
    partner = relationship(Partner)
    helpers: Mapped[list[EventHelper]] = relationship(back_populates="event", order_by="EventHelper.id")
    photos: Mapped[list[EventPhoto]] = relationship(back_populates="event", order_by="EventPhoto.id")
    registrations = relationship("Registration", back_populates="event", order_by="Registration.seq")

    # The registration service finds an event's registrations by this column.
    REG_KEY = "event_id"

    @property
    def status_label(self):
        return EVENT_STATUS[self.status]

    @property
    def label(self) -> str:
        return self.title

    @property
    def dated(self) -> bool:
        """A day is known, not only a month or half year."""
        return self.precision in ("time", "day")

    @property
    def grades(self) -> list[int]:
        return [int(g) for g in self.audience_grades.split(",") if g]

    @property
    def grades_text(self) -> str:
        return "、".join(GRADE_NAMES.get(g, str(g)) for g in self.grades)

    @property
    def with_registration(self) -> bool:
        return self.capacity > 0

    @property
    def free(self) -> int:
        return self.capacity - self.taken

    @property
    def ends(self) -> datetime:
        """When the event is over: its end, or the end of its day."""
        if self.ends_at:
            return self.ends_at
        return self.starts_at.replace(hour=0, minute=0) + timedelta(days=1)

    @property
    def closes_at(self) -> datetime:
        return self.deadline or self.starts_at

    def for_student(self, student) -> bool:
        """Whether the child's family belongs to the audience of a registration."""
        if not self.grades and not self.classes:
            return True
        return student.school_class.grade in self.grades or student.class_id in {c.id for c in self.classes}

    def admits(self, student) -> str | None:
        if self.for_student(student):
            return None
        return _("This event is for the families of %(who)s.", who=self.audience_students_text)

    @property
    def audience_students_text(self) -> str:
        return "、".join([self.grades_text] * bool(self.grades) + [c.label for c in self.classes])

    def state(self, now: datetime) -> str:
        """open, full, closed, cancelled or done, as a family would read it at `now` (Shanghai time)."""
        if self.status in ("cancelled", "done"):
            return self.status
        if now >= self.ends:
            return "done"
        if not self.with_registration or not self.dated or now >= self.closes_at or now >= self.starts_at:
            return "closed"
        return "full" if self.taken >= self.capacity else "open"

    def state_label(self, now: datetime):
        return EVENT_STATES[self.state(now)]


class EventHelper(SchoolScoped, db.Model):
    """A volunteer at an event: a 责任人 named by staff, or a speaker or helper who signed up."""

    __tablename__ = "event_helper"
    __table_args__ = (
        UniqueConstraint("event_id", "volunteer_id"),
        CheckConstraint("role IN ('lead', 'speaker', 'helper')", name="role_known"),
        CheckConstraint("status IN ('confirmed', 'cancelled')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("event.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    attended: Mapped[bool | None]
    hour_entry_id: Mapped[int | None] = mapped_column(db.ForeignKey("hour_entry.id"))
    added_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="helpers")
    volunteer = relationship("Volunteer")
    hour_entry = relationship("HourEntry")

    @property
    def role_label(self):
        return HELPER_ROLES[self.role]


class EventPhoto(SchoolScoped, db.Model):
    """A photo of an event, stored as a file under the instance folder (never in static/)."""

    __tablename__ = "event_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(db.ForeignKey("event.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(60), unique=True)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="photos")
