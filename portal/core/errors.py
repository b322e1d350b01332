"""A domain error carries a message for the user and, when it is about one field, that field's name."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@contextmanager
def saving(conflict_message: str, field: str | None = None):
    """Flush, audit and commit as one; a constraint clash becomes a message, nothing half-saved."""
    from ..extensions import db

    try:
        yield
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise DomainError(conflict_message, field) from exc
    except Exception:
        db.session.rollback()
        raise
