"""An uploaded spreadsheet waiting for confirmation: checked rows, nothing applied yet."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import SchoolScoped, utcnow
from ..extensions import db


class ImportBatch(SchoolScoped, db.Model):
    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "needs", "offers", "events" or "roster"
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    # A menu's sheet: [{"line": 2, "values": {...}, "errors": [...]}, ...]; a roster: the rows as read (roster.py).
    rows: Mapped[list | dict] = mapped_column(db.JSON, default=list)
    # A roster's file, kept until it is imported so that a column the user names can be read again.
    data: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
