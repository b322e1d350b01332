"""A domain error carries a message for the user and, when it is about one field, that field's name."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError


class DomainError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@contextmanager
def saving(conflict_message: str | None = None, field: str | None = None):
    """The one way a change ends: the block's changes commit together as it ends, or roll back on any exception,
    so nothing is half-saved. A constraint clash becomes `conflict_message` when one is given, and otherwise
    reaches the caller (after the rollback) as the IntegrityError it is."""
    from ..extensions import db

    try:
        yield
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if conflict_message is None:
            raise
        raise DomainError(conflict_message, field) from exc
    except BaseException:
        db.session.rollback()
        raise
