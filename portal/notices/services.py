"""Notices: written with the change that causes them (an outbox), read in the notice centre.

notify() adds one row per reader to the caller's transaction, so a seat given and its notice commit together or
not at all; the unique key (reader, kind, subject, due time) turns a second notice of the same thing into nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..auth.models import User
from ..core.clock import local_now
from ..core.errors import saving
from ..core.models import utcnow
from ..extensions import db
from ..people.models import Guardian
from . import kinds
from .channels import channels_for, group_service, group_target, link  # noqa: F401 (callers say notices.link)
from .models import Delivery, Notice, NoticeChoice

KEPT_DAYS = 365


def notify(readers, kind: str, subject: str, text: Callable[[], str], url: str = "",
           due: datetime | None = None) -> int:
    """A notice for each active reader who has not turned this kind off, and its deliveries by e-mail or SMS where
    the reader gets those (at once, or held for the evening's digest), in the current transaction (the caller's
    change commits them). `text()` says it, in each reader's language. Returns how many notices were new (the same
    one again is not)."""
    what = kinds.KINDS[kind]
    due = due or local_now()
    readers = [user for user in readers if user.active]
    modes = kinds.modes_for(what, [user.id for user in readers]) if readers else {}
    rows = []
    for user in readers:
        if modes[user.id] != kinds.OFF:
            with force_locale(user.locale or "zh_CN"):
                said = text()
            rows.append({"school_id": user.school_id, "user_id": user.id, "kind": kind, "subject": subject,
                         "due_at": due, "text": said[:300], "url": url, "created_at": utcnow()})
    if not rows:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    added = db.session.execute(dialect.insert(Notice).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "subject", "due_at"]).returning(Notice.id, Notice.user_id)).all()
    readers_by_id = {user.id: user for user in readers}
    now = local_now()
    deliveries = []
    for notice_id, user_id in added:
        held = modes[user_id] == kinds.DIGEST
        deliveries += [{"school_id": readers_by_id[user_id].school_id, "notice_id": notice_id, "channel": channel,
                        "address": address, "digest": held, "next_try_at": kinds.next_digest(now) if held else now,
                        "created_at": utcnow()}
                       for channel, address in channels_for(readers_by_id[user_id])]
    if deliveries:
        db.session.execute(insert(Delivery), deliveries)
    return len(added)


def post_to_group(school_id: int, kind: str, subject: str, text: Callable[[], str], url: str, due: datetime) -> int:
    """One post to the school's staff group, where it has a robot, in the current transaction: keyed like a notice
    (kind, subject, due time) and for the school, so a job run twice posts once, whatever the staff chose for their
    own notices. Returns 1 when it is new."""
    target = group_target(school_id)
    if target is None:
        return 0
    with force_locale("zh_CN"):
        said = text()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    added = db.session.execute(dialect.insert(Delivery).values(
        school_id=school_id, notice_id=None, key=f"{school_id}:{kind}:{subject}:{due:%Y-%m-%dT%H:%M}"[:120],
        text=said[:300], url=url, channel="group", address=group_service(target[0]), digest=False,
        next_try_at=local_now(), created_at=utcnow()).on_conflict_do_nothing(index_elements=["key"])
        .returning(Delivery.id)).all()
    return len(added)


def family_readers(family_id) -> list[User]:
    """The logins of a family's guardians (or of the families a subquery of family ids selects)."""
    which = Guardian.family_id == family_id if isinstance(family_id, int) else Guardian.family_id.in_(family_id)
    return db.session.scalars(select(User).join(Guardian, User.guardian_id == Guardian.id)
                              .where(which, User.active.is_(True))).all()


def readers_by_family(family_ids) -> dict[int, list[User]]:
    """The logins of each of these families, in one statement."""
    out: dict[int, list[User]] = {}
    for family_id, user in db.session.execute(select(Guardian.family_id, User).join(User, User.guardian_id == Guardian.id)
                                              .where(Guardian.family_id.in_(family_ids), User.active.is_(True))):
        out.setdefault(family_id, []).append(user)
    return out


def read_by_family(kind: str, subject: str, family_ids) -> dict[int, tuple[datetime, bool]]:
    """For the families told this (kind, subject): when they were last told, and whether one of their logins has
    read that telling."""
    rows = db.session.execute(
        select(Guardian.family_id, Notice.due_at, Notice.read_at).join(User, User.guardian_id == Guardian.id)
        .join(Notice, Notice.user_id == User.id)
        .where(Notice.kind == kind, Notice.subject == subject, Guardian.family_id.in_(family_ids))).all()
    latest: dict[int, tuple[datetime, bool]] = {}
    for family_id, due, read_at in rows:
        seen = latest.get(family_id)
        if seen is None or due > seen[0]:
            latest[family_id] = (due, read_at is not None)
        elif due == seen[0]:
            latest[family_id] = (due, seen[1] or read_at is not None)
    return latest


def volunteer_readers(volunteer_id) -> list[User]:
    """The login of a volunteer (or of the volunteers a subquery of volunteer ids selects)."""
    which = User.volunteer_id == volunteer_id if isinstance(volunteer_id, int) else User.volunteer_id.in_(volunteer_id)
    return db.session.scalars(select(User).where(which, User.active.is_(True))).all()


def chose(kind: str):
    """The ids of users who turned on a kind that is off unless chosen."""
    return select(NoticeChoice.user_id).where(NoticeChoice.kind == kind, NoticeChoice.mode != kinds.OFF)


def notices_of(user):
    """The reader's notices of the last year, newest first."""
    since = local_now() - timedelta(days=KEPT_DAYS)
    return (select(Notice).where(Notice.user_id == user.id, Notice.due_at >= since)
            .order_by(Notice.created_at.desc(), Notice.id.desc()))


def unread_count_query(user):
    return select(func.count(Notice.id)).where(Notice.user_id == user.id, Notice.read_at.is_(None))


def mark_read(notice: Notice) -> None:
    if notice.read_at is None:
        with saving():
            notice.read_at = utcnow()


def mark_all_read(user) -> int:
    """Every notice but the announcements: an announcement counts as read for its sender only once it is opened."""
    with saving():
        done = db.session.execute(update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None),
                                                       Notice.kind != "announcement").values(read_at=utcnow()))
    return done.rowcount


def forget_old() -> int:
    """Notices are kept a year."""
    with saving():
        gone = db.session.execute(delete(Notice).where(Notice.due_at < local_now() - timedelta(days=KEPT_DAYS)))
    return gone.rowcount


def save_choices(user, chosen: dict[str, str]) -> None:
    """The reader's choice per kind; only a choice the kind offers is kept, and one equal to the default is not
    stored."""
    offered = {k.key: k for k in kinds.kinds_for(user)}
    with saving(_("Your choices were being saved from another page at the same moment. Please look and save again.")):
        for key, mode in chosen.items():
            kind = offered.get(key)
            if kind is None or mode not in kind.modes():
                continue
            db.session.execute(delete(NoticeChoice).where(NoticeChoice.user_id == user.id, NoticeChoice.kind == key))
            if mode != kind.default:
                db.session.add(NoticeChoice(school_id=user.school_id, user_id=user.id, kind=key, mode=mode))
