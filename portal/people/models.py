"""Schools, terms, classes, students, families, volunteers and the shared lists."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypinyin import Style, lazy_pinyin
from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import local_today
from ..core.models import SchoolScoped, Timestamped, utcnow
from ..extensions import db

VOLUNTEER_KINDS = ("老干部", "老战士", "老专家", "老教师", "老模范")
GENDERS = ("男", "女")
GRADE_NAMES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
               7: "初一", 8: "初二", 9: "初三", 10: "高一", 11: "高二", 12: "高三"}


def school_year_under_way(day: date) -> int:
    """The school year a day belongs to: September to August."""
    return day.year if day.month >= 9 else day.year - 1


def initials(name: str) -> str:
    """Pinyin initials, so '张小明' is found by 'zxm'."""
    return "".join(p[0] for p in lazy_pinyin(name or "", style=Style.FIRST_LETTER) if p).lower()


class School(db.Model):
    __table_args__ = (CheckConstraint("first_grade BETWEEN 1 AND last_grade AND last_grade <= 12", name="grades"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The grades the school teaches (小学 1–6, 初中 7–9 …): a roster's class outside them is a mistake, and the
    # last one is the grade that graduates when the year rolls over.
    first_grade: Mapped[int] = mapped_column(default=1, server_default="1")
    last_grade: Mapped[int] = mapped_column(default=6, server_default="6")
    # The school year the classes are in (2026 for 2026–2027): the one under way when the school was created, then
    # the one the last 学年升级 moved them into.
    school_year: Mapped[int] = mapped_column(default=lambda: school_year_under_way(local_today()))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The unit above the school (a 学区, or the bureau's 关工委 itself); none while the deployment has no units.
    unit_id: Mapped[int | None] = mapped_column(db.ForeignKey("unit.id"), index=True)

    @property
    def grades(self) -> range:
        return range(self.first_grade, self.last_grade + 1)


class Term(SchoolScoped, db.Model):
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    is_current: Mapped[bool] = mapped_column(default=False)


teacher_classes = db.Table(
    "teacher_class",
    db.Column("user_id", db.ForeignKey("user.id"), primary_key=True),
    db.Column("class_id", db.ForeignKey("school_class.id"), primary_key=True),
)


class SchoolClass(SchoolScoped, Timestamped, db.Model):
    __tablename__ = "school_class"
    __table_args__ = (
        UniqueConstraint("school_id", "grade", "name"),
        CheckConstraint("grade BETWEEN 1 AND 12", name="grade_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))  # e.g. "3班"
    active: Mapped[bool] = mapped_column(default=True)
    students: Mapped[list[Student]] = relationship(back_populates="school_class")
    teachers = relationship("User", secondary=teacher_classes, back_populates="classes")

    @property
    def label(self) -> str:
        return f"{GRADE_NAMES.get(self.grade, str(self.grade))}{self.name}"


student_tags = db.Table(
    "student_tag",
    db.Column("student_id", db.ForeignKey("student.id"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("support_tag.id"), primary_key=True),
)


class SupportTag(SchoolScoped, db.Model):
    """特殊群体标签: sensitive personal data of a minor."""

    __tablename__ = "support_tag"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


class Family(SchoolScoped, Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_initials: Mapped[str] = mapped_column(String(60), default="", index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    # Family situation is sensitive: shown only where support tags are.
    notes: Mapped[str] = mapped_column(db.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    guardians: Mapped[list[Guardian]] = relationship(back_populates="family", order_by="Guardian.id")
    children: Mapped[list[Student]] = relationship(back_populates="family", order_by="Student.id")


class Guardian(SchoolScoped, Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(db.ForeignKey("family.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    relation: Mapped[str] = mapped_column(String(20))  # 父亲, 母亲, 祖父母 …
    mobile: Mapped[str] = mapped_column(String(20), default="")
    family: Mapped[Family] = relationship(back_populates="guardians")


STUDENT_STATUSES = {"enrolled": _l("In school"), "graduated": _l("Graduated"), "transferred": _l("Transferred out"),
                    "left": _l("Left (deactivated)")}


class Student(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (UniqueConstraint("school_id", "student_no"),
                      CheckConstraint("status IN ('enrolled', 'graduated', 'transferred', 'left')", name="status_known"),
                      CheckConstraint("(status = 'enrolled') = active", name="status_active"))
    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(40))
    name_initials: Mapped[str] = mapped_column(String(40), default="", index=True)
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date | None]
    class_id: Mapped[int] = mapped_column(db.ForeignKey("school_class.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(db.ForeignKey("family.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Why a student is no longer in the lists (在读, 已毕业, 转出, 停用) and since when: the retention of their
    # sensitive data counts from left_on.
    status: Mapped[str] = mapped_column(String(12), default="enrolled", server_default="enrolled")
    left_on: Mapped[date | None]
    # Set when the retention run replaced the name, birth date and 学籍号 (people/retention.py).
    anonymised_at: Mapped[datetime | None]
    school_class: Mapped[SchoolClass] = relationship(back_populates="students")
    family: Mapped[Family | None] = relationship(back_populates="children")
    support_tags: Mapped[list[SupportTag]] = relationship(secondary=student_tags, order_by="SupportTag.id")
    consents: Mapped[list[Consent]] = relationship(back_populates="student", order_by="Consent.id")

    @property
    def active_consent(self) -> Consent | None:
        return next((c for c in self.consents if c.withdrawn_at is None), None)


class RetentionPolicy(SchoolScoped, db.Model):
    """How long a school keeps each kind of a child's record after the child has left (PIPL Art. 19 and 47; the
    2019 provisions on children's personal information, Art. 20): months from Student.left_on, and for event
    photos from the event's day."""

    __tablename__ = "retention_policy"
    __table_args__ = (UniqueConstraint("school_id"),
                      CheckConstraint("support_months BETWEEN 0 AND 120 AND visit_months BETWEEN 0 AND 120 AND "
                                      "help_months BETWEEN 0 AND 120 AND identity_months BETWEEN 0 AND 120 AND "
                                      "photo_months BETWEEN 0 AND 120", name="months_range"))
    id: Mapped[int] = mapped_column(primary_key=True)
    support_months: Mapped[int] = mapped_column(default=6)  # support tags, family notes
    visit_months: Mapped[int] = mapped_column(default=24)  # what visits' notes say
    help_months: Mapped[int] = mapped_column(default=24)  # what help requests and their replies say
    identity_months: Mapped[int] = mapped_column(default=36)  # name, birth date, 学籍号; the family's guardians
    photo_months: Mapped[int] = mapped_column(default=36)  # event photos, from the event's day
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ErasureRequest(SchoolScoped, db.Model):
    """A guardian asks for a child's sensitive data to be erased (PIPL Art. 47); the office confirms it."""

    __tablename__ = "erasure_request"
    __table_args__ = (CheckConstraint("status IN ('pending', 'done')", name="status_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(db.ForeignKey("student.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    handled_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    handled_at: Mapped[datetime | None]
    student: Mapped[Student] = relationship()


class Consent(SchoolScoped, db.Model):
    """A guardian's consent to store a child's sensitive data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(db.ForeignKey("student.id"), index=True)
    guardian_name: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))  # 纸质签字 / 线上确认
    given_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    student: Mapped[Student] = relationship(back_populates="consents")


class Volunteer(SchoolScoped, Timestamped, db.Model):
    """A 五老 volunteer."""

    __table_args__ = (CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    name_initials: Mapped[str] = mapped_column(String(40), default="", index=True)
    kind: Mapped[str] = mapped_column(String(10))
    skills: Mapped[str] = mapped_column(String(300), default="")
    former_unit: Mapped[str] = mapped_column(String(100), default="", server_default="")  # 原单位
    phone: Mapped[str] = mapped_column(String(20), default="")
    birth_year: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        """How a volunteer is named where one is chosen from a list: two of the same name differ by kind or mobile."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        if len(digits) < 4:
            return f"{self.name}（{self.kind}）"
        return _("%(name)s (%(kind)s, mobile ending %(digits)s)", name=self.name, kind=self.kind, digits=digits[-4:])


class YoungTeacher(SchoolScoped, Timestamped, db.Model):
    """A young teacher: beneficiary of needs under 青蓝工程."""

    __tablename__ = "young_teacher"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    name_initials: Mapped[str] = mapped_column(String(40), default="", index=True)
    subject: Mapped[str] = mapped_column(String(30), default="")
    joined_year: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class Category(SchoolScoped, db.Model):
    """One list shared by needs and offers."""

    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


DEFAULT_CATEGORIES = ("学业辅导", "心理疏导", "思想引导", "生活帮困", "生涯规划", "兴趣特长",
                      "法治安全", "青年教师成长", "家庭教育指导")
DEFAULT_SUPPORT_TAGS = ("留守", "单亲", "困难家庭", "残疾", "学困", "随迁子女", "行为偏差")
