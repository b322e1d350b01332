"""A notice: one sentence for one user about one thing, written in the transaction of the change that causes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import SchoolScoped, utcnow
from ..extensions import db


class Notice(SchoolScoped, db.Model):
    __table_args__ = (
        # Exactly once: a second notice of one kind about one subject for one reader at one due time is the
        # first one (a job run twice, two servers at once, a change saved twice).
        UniqueConstraint("user_id", "kind", "subject", "due_at"),
        Index("ix_notice_user_unread", "user_id", "read_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # What it is about, as "registration:12": with the kind and the due time, the notice's key.
    subject: Mapped[str] = mapped_column(String(60))
    # When it is meant for: the change's moment, or a reminder's local time.
    due_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
