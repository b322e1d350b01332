"""需求菜单: what a student or young teacher needs."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped
from ..extensions import db

NEED_STATUS = {
    "open": _l("Awaiting match"),
    "matched": _l("Matched"),
    "done": _l("Completed"),
    "closed": _l("Closed"),
}


class Need(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        CheckConstraint("(student_id IS NULL) <> (young_teacher_id IS NULL)", name="one_beneficiary"),
        CheckConstraint("urgency BETWEEN 1 AND 3", name="urgency_range"),
        CheckConstraint("status IN ('open', 'matched', 'done', 'closed')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(db.ForeignKey("student.id"), index=True)
    young_teacher_id: Mapped[int | None] = mapped_column(db.ForeignKey("young_teacher.id"), index=True)
    category_id: Mapped[int] = mapped_column(db.ForeignKey("category.id"), index=True)
    term_id: Mapped[int] = mapped_column(db.ForeignKey("term.id"), index=True)
    detail: Mapped[str] = mapped_column(db.Text)
    skills: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[int] = mapped_column(default=1)
    slots: Mapped[int] = mapped_column(default=0)
    modes: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    close_reason: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    # The token of the form that created it: a second submit of the same form finds this row.
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    student = relationship("Student")
    young_teacher = relationship("YoungTeacher")
    category = relationship("Category")
    term = relationship("Term")
    created_by = relationship("User")

    @property
    def status_label(self):
        return NEED_STATUS[self.status]
