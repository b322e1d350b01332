from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import utcnow
from ..extensions import db


class AuditEntry(db.Model):
    """Who saw or changed what. Rows are only ever added."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(db.ForeignKey("school.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. student.tags.view
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user = relationship("User")
