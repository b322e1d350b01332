"""Notices: written with the change that causes them (an outbox), read in the notice centre.

notify() adds one row per reader to the caller's transaction, so a seat given and its notice commit together or
not at all; the unique key (reader, kind, subject, due time) turns a second notice of the same thing into nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..auth.models import User
from ..core.clock import local_now
from ..core.errors import saving
from ..core.models import utcnow
from ..extensions import db
from ..people.models import Guardian
from .models import Notice

KEPT_DAYS = 365


def notify(readers, kind: str, subject: str, text: str, url: str = "", due: datetime | None = None) -> None:
    """A notice for each active reader, in the current transaction (the caller's change commits it)."""
    due = due or local_now()
    rows = [{"school_id": user.school_id, "user_id": user.id, "kind": kind, "subject": subject, "due_at": due,
             "text": text[:300], "url": url, "created_at": utcnow()} for user in readers if user.active]
    if not rows:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(Notice).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "subject", "due_at"]))


def link(endpoint: str, **values) -> str:
    """The path of what a notice is about; a job outside any request builds it the same way."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def family_readers(family_id: int) -> list[User]:
    """The logins of a family's guardians."""
    return db.session.scalars(select(User).join(Guardian, User.guardian_id == Guardian.id)
                              .where(Guardian.family_id == family_id, User.active.is_(True))).all()


def volunteer_readers(volunteer_id: int) -> list[User]:
    return db.session.scalars(select(User).where(User.volunteer_id == volunteer_id, User.active.is_(True))).all()


def notices_of(user):
    """The reader's notices of the last year, newest first."""
    since = local_now() - timedelta(days=KEPT_DAYS)
    return (select(Notice).where(Notice.user_id == user.id, Notice.due_at >= since)
            .order_by(Notice.due_at.desc(), Notice.id.desc()))


def unread_count_query(user):
    return select(func.count(Notice.id)).where(Notice.user_id == user.id, Notice.read_at.is_(None))


def mark_read(notice: Notice) -> None:
    if notice.read_at is None:
        with saving():
            notice.read_at = utcnow()


def mark_all_read(user) -> int:
    with saving():
        done = db.session.execute(update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
                                  .values(read_at=utcnow()))
    return done.rowcount
