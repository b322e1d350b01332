"""A notice: one sentence for one user about one thing, written in the transaction of the change that causes it."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, false
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

    user = db.relationship("User")


DELIVERY_LABELS = {"email": lazy_pgettext("delivery", "E-mail"), "sms": lazy_pgettext("delivery", "SMS"),
                   "group": lazy_pgettext("delivery", "Staff group robot"),
                   "pending": lazy_pgettext("delivery", "Waiting to be sent"), "sent": lazy_pgettext("delivery", "Sent"),
                   "failed": lazy_pgettext("delivery", "Failed"), "skipped": lazy_pgettext("delivery", "Not needed")}

GROUP_SERVICES = {"wecom": lazy_pgettext("delivery", "WeCom group"), "dingtalk": lazy_pgettext("delivery", "DingTalk group")}


class Delivery(SchoolScoped, db.Model):
    """A notice sent beyond the portal on one channel, written with the notice (the outbox): pending until the job
    runner sends it, retried with back-off, then sent or failed with the reason, in a log the office reads."""

    __table_args__ = (
        UniqueConstraint("notice_id", "channel"),
        CheckConstraint("channel IN ('email', 'sms', 'group')", name="channel_known"),
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name="status_known"),
        Index("ix_delivery_due", "status", "next_try_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # A reader's notice sent on; none for a post to the staff's group, which carries its own key, text and link.
    notice_id: Mapped[int | None] = mapped_column(db.ForeignKey("notice.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(String(300), default="", server_default="")
    url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(120))  # the e-mail address or mobile it went to
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime]  # Shanghai wall-clock time
    last_error: Mapped[str] = mapped_column(String(300), default="")
    # Held for the reader's daily digest: sent with the others of the day in one message.
    digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice = db.relationship("Notice")


class NoticeChoice(SchoolScoped, db.Model):
    """How one reader wants one kind of notice, where it differs from the kind's default (notices/kinds.py)."""

    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        CheckConstraint("mode IN ('now', 'digest', 'off')", name="mode_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))
