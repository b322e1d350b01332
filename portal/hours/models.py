"""服务时长 ledger rows: pending → approved / rejected; approved rows are never edited."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import SchoolScoped, utcnow

HOUR_STATUS = {"pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected")}
MAX_HOURS_PER_DAY = Decimal("12")


class HourEntry(SchoolScoped, db.Model):
    __tablename__ = "hour_entry"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 12", name="hours_range"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    worked_on: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    activity: Mapped[str] = mapped_column(String(20), default="pair_visit")
    pair_id: Mapped[int | None] = mapped_column(db.ForeignKey("pair.id"), index=True)
    # One claim per visit record.
    visit_id: Mapped[int | None] = mapped_column(db.ForeignKey("visit.id"), unique=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    entered_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    volunteer = relationship("Volunteer")

    @property
    def status_label(self):
        return HOUR_STATUS[self.status]
