"""Column helpers shared by every domain's models."""
from datetime import UTC, datetime

from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SchoolScoped:
    """Every record belongs to one school."""

    school_id: Mapped[int] = mapped_column(db.ForeignKey("school.id"), index=True)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
