"""Each user's private calendar feed: the secret token in its address, and the events and sessions it lists."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..core.errors import saving
from ..extensions import db
from ..parent_school.models import CourseSession
from ..permissions import may_sign_in
from ..registrations import services as seats
from ..registrations.models import Registration
from . import access
from .models import Event
from .services import loaded

FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def feed_token(user, renew: bool = False) -> str:
    if user.calendar_token is None or renew:
        with saving():
            user.calendar_token = secrets.token_urlsafe(24)
            record(user, "calendar.feed_token", user, "renewed" if renew else "created")
    return user.calendar_token


def user_by_feed_token(token: str) -> User | None:
    # Only what secrets.token_urlsafe makes: a NUL byte in the address would make PostgreSQL refuse the query.
    if not token or len(token) > 64 or not FEED_TOKEN.fullmatch(token):
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    return user if user is not None and may_sign_in(user) else None


def feed_events(user, now: datetime) -> list[Event]:
    """The user's own dated events from 60 days back: those they lead, help at, or registered for; the whole
    school's for coordinators."""
    stmt = select(Event).where(Event.school_id == user.school_id, Event.precision.in_(("time", "day")),
                               Event.starts_at >= now - timedelta(days=60))
    own = access.feed_condition(user)
    if own is not None:
        stmt = stmt.where(own)
    return db.session.scalars(loaded(stmt.order_by(Event.starts_at))).all()


def feed_sessions(user, now: datetime) -> list[Registration]:
    """A parent's parent-school registrations, for the same feed."""
    if user.family is None:  # only a parent's account has a family
        return []
    return db.session.scalars(select(Registration).join(CourseSession).where(
        Registration.family_id == user.family.id, Registration.status.in_(seats.ACTIVE),
        CourseSession.starts_at >= now - timedelta(days=60)).options(
        selectinload(Registration.session).selectinload(CourseSession.course))).all()
