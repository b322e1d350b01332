"""Logins and the failed-login ledger used for throttling."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped, utcnow
from ..extensions import db
from ..people.models import teacher_classes

ROLES = ("admin", "coordinator", "teacher", "volunteer", "parent")
STAFF = frozenset({"admin", "coordinator"})  # the committee office: every record of the school
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "teacher": _l("Class teacher"),
    "volunteer": _l("Volunteer"),
    "parent": _l("Parent"),
}
# A unit's users (an education bureau's 关工委 above the schools): they belong to a unit, not a school.
UNIT_ROLES = ("unit_admin", "unit_officer")
UNIT_ROLE_LABELS = {
    "unit_admin": _l("Unit administrator"),
    "unit_officer": _l("Unit officer"),
}


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (CheckConstraint("(school_id IS NULL) <> (unit_id IS NULL)", name="school_or_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # A school's user has its school; a unit's user its unit instead, and no school.
    school_id: Mapped[int | None] = mapped_column(db.ForeignKey("school.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("unit.id"), index=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at logout and deactivation, so an old session or remember cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    large_text: Mapped[bool] = mapped_column(default=False)
    volunteer_id: Mapped[int | None] = mapped_column(db.ForeignKey("volunteer.id"), unique=True)
    guardian_id: Mapped[int | None] = mapped_column(db.ForeignKey("guardian.id"), unique=True)
    last_login_at: Mapped[datetime | None]
    # Set while the password is one the office gave out (opening the login, or a reset): it works until then, and
    # the first login with it must set the user's own.
    temporary_password_until: Mapped[datetime | None]
    # The secret in the user's private calendar feed URL; a new one makes the old URL stop working.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Notices beyond the portal (notices/channels.py): an e-mail address of the user's choosing, and whether
    # notices also go there and by SMS to the mobile, where the school has configured those channels.
    email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    notices_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    notices_by_sms: Mapped[bool] = mapped_column(default=True, server_default=true())

    classes = relationship("SchoolClass", secondary=teacher_classes, back_populates="teachers",
                           order_by="(SchoolClass.grade, SchoolClass.name)")
    volunteer = relationship("Volunteer")
    guardian = relationship("Guardian")
    school = relationship("School")
    unit = relationship("Unit")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    @property
    def in_unit(self) -> bool:
        """A unit's user, above the schools."""
        return self.unit_id is not None

    @property
    def sms_mobile(self) -> str:
        """Where SMS go: the account's mobile, else the one on the guardian's or volunteer's record."""
        record = (self.guardian.mobile if self.guardian else "") or (self.volunteer.phone if self.volunteer else "")
        return self.mobile or record or ""

    @property
    def family(self):
        return self.guardian.family if self.guardian else None


class LoginFailure(db.Model):
    """One failed login; counted per key over a sliding window."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
