"""An announcement (通知): staff write to an audience; the rows it was addressed to; who confirmed reading it."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, utcnow
from ..extensions import db

KIND = "announcement"  # its notices' kind (notices/kinds.py)
MAX_TITLE, MAX_BODY = 60, 2000
# Parents: one recipient per family of the grade or class, or registered (or waiting) for the session or event.
FAMILY_AUDIENCES = ("grade", "class", "session", "event")
AUDIENCES = (*FAMILY_AUDIENCES, "volunteers", "staff")


class Announcement(SchoolScoped, db.Model):
    __table_args__ = (
        CheckConstraint("audience IN ('grade', 'class', 'session', 'event', 'volunteers', 'staff')",
                        name="audience_known"),
        # A grade number, or the id of a class, session or event; none for all volunteers or all staff.
        CheckConstraint("(target_id IS NULL) = (audience IN ('volunteers', 'staff'))", name="target_fits"),
        Index("ix_announcement_school_sent", "school_id", "sent_at"),  # a school's list, newest first
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    body: Mapped[str] = mapped_column(db.Text)
    audience: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int | None]
    # Who it went to, as the sender chose it ("三年级2班家长"): a class renamed at the year's rollover or a session
    # retitled later does not change whom it was sent to.
    audience_label: Mapped[str] = mapped_column(String(120))
    confirm: Mapped[bool] = mapped_column(default=False)  # asks each reader to tap 我已阅读
    sent_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The school's date of the last reminder to the unread: once a day at most.
    reminded_on: Mapped[date | None]
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    sent_by = relationship("User")

    @property
    def subject(self) -> str:
        """Its notices' subject: with the kind and due time, each notice's key."""
        return f"{KIND}:{self.id}"

    @property
    def for_families(self) -> bool:
        return self.audience in FAMILY_AUDIENCES


class AnnouncementRecipient(db.Model):
    """One family, volunteer or member of staff the announcement was addressed to when it was sent. Their logins are
    looked up when needed: a family whose login is opened later can still be reminded."""

    __tablename__ = "announcement_recipient"
    __table_args__ = (
        UniqueConstraint("announcement_id", "family_id"),
        UniqueConstraint("announcement_id", "volunteer_id"),
        UniqueConstraint("announcement_id", "user_id"),
        CheckConstraint("(CASE WHEN family_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN volunteer_id IS NULL THEN 0 "
                        "ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_recipient"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(db.ForeignKey("announcement.id", ondelete="CASCADE"))
    family_id: Mapped[int | None] = mapped_column(db.ForeignKey("family.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), index=True)

    family = relationship("Family")
    volunteer = relationship("Volunteer")
    user = relationship("User")


class AnnouncementReceipt(db.Model):
    """A reader's 我已阅读: once per login and announcement."""

    __tablename__ = "announcement_receipt"
    __table_args__ = (UniqueConstraint("announcement_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(db.ForeignKey("announcement.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)


def addressed_to(user):
    """A condition on AnnouncementRecipient: the rows that address this user, as a member of staff, a volunteer or
    a guardian of a family."""
    family_id = user.guardian.family_id if user.guardian_id and user.guardian is not None else None
    return or_(AnnouncementRecipient.user_id == user.id,
               AnnouncementRecipient.volunteer_id == (user.volunteer_id or 0),
               AnnouncementRecipient.family_id == (family_id or 0))
