"""家校社活动 and who is responsible (责任人) for each."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import SchoolScoped, Timestamped

EVENT_STATUS = {"planned": _l("Planned"), "done": _l("Done"), "cancelled": _l("Cancelled")}

event_leads = db.Table(
    "event_lead",
    db.Column("event_id", db.ForeignKey("event.id"), primary_key=True),
    db.Column("user_id", db.ForeignKey("user.id"), primary_key=True, index=True),
)


class Event(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (CheckConstraint("status IN ('planned', 'done', 'cancelled')", name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), default="planned")
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))

    # 责任人 with an account: a teacher among them verifies helpers' hours for this event.
    leads = relationship("User", secondary=event_leads, order_by="User.id")

    @property
    def status_label(self):
        return EVENT_STATUS[self.status]
