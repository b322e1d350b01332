"""资源菜单: what a volunteer offers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped
from ..extensions import db

OFFER_STATUS = {"active": _l("Available"), "paused": _l("Paused")}
MAX_CAPACITY = 20


class Offer(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        CheckConstraint(f"capacity BETWEEN 1 AND {MAX_CAPACITY}", name="capacity_range"),
        # Pairing takes a place with an atomic conditional update; this keeps it honest.
        CheckConstraint("used >= 0 AND used <= capacity", name="used_within_capacity"),
        CheckConstraint("status IN ('active', 'paused')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    category_id: Mapped[int] = mapped_column(db.ForeignKey("category.id"), index=True)
    skills: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(db.Text, default="")
    slots: Mapped[int] = mapped_column(default=0)
    modes: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int] = mapped_column(default=1)
    used: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    entered_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    # Filled in by staff for a volunteer who does not use a phone.
    on_behalf: Mapped[bool] = mapped_column(default=False)
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    volunteer = relationship("Volunteer")
    category = relationship("Category")
    entered_by = relationship("User")

    @property
    def status_label(self):
        return OFFER_STATUS[self.status]

    @property
    def free(self) -> int:
        return self.capacity - self.used
