"""求助 (爱心热线): a parent asks for help for their child; staff triage it."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped
from ..extensions import db

HELP_STATUS = {
    "new": _l("Received, not yet handled"),
    "need": _l("Taken on: help is being arranged"),
    "answered": _l("Answered and closed"),
}
CONTACT_METHODS = ("电话", "微信", "到校面谈")


class HelpRequest(SchoolScoped, Timestamped, db.Model):
    __tablename__ = "help_request"
    __table_args__ = (
        CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_range"),
        CheckConstraint("status IN ('new', 'need', 'answered')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(db.ForeignKey("family.id"), index=True)
    student_id: Mapped[int] = mapped_column(db.ForeignKey("student.id"), index=True)
    category_id: Mapped[int] = mapped_column(db.ForeignKey("category.id"))
    detail: Mapped[str] = mapped_column(db.Text)
    urgency: Mapped[int] = mapped_column(default=1)
    contact_method: Mapped[str] = mapped_column(String(10))
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    contact_time: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)
    reply: Mapped[str] = mapped_column(db.Text, default="")
    need_id: Mapped[int | None] = mapped_column(db.ForeignKey("need.id"))
    submitted_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    handled_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    handled_at: Mapped[datetime | None]
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    family = relationship("Family")
    student = relationship("Student")
    category = relationship("Category")
    need = relationship("Need")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    handled_by = relationship("User", foreign_keys=[handled_by_id])

    @property
    def status_label(self):
        return HELP_STATUS[self.status]
