"""Units above schools: an education bureau's 关工委 and, under it, optional 学区 or 镇街; each school belongs to one.
A unit's users (unit_admin, unit_officer) see its subtree's figures, never its children."""
from __future__ import annotations

from datetime import date, datetime

from flask import g
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, CheckConstraint, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, utcnow
from ..extensions import db


class Unit(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent = relationship("Unit", remote_side=[id])


class UnitThreshold(db.Model):
    """A figure's 达标 line the unit sets for its schools (参训率 ≥ 80 %); a unit without one of its own takes its
    parent's."""

    __tablename__ = "unit_threshold"
    __table_args__ = (UniqueConstraint("unit_id", "figure"),
                      CheckConstraint("value >= 0", name="value_not_negative"))
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("unit.id", ondelete="CASCADE"))
    figure: Mapped[str] = mapped_column(String(30))
    value: Mapped[float] = mapped_column(Numeric(8, 1, asdecimal=False))


def units_below(unit_id: int) -> set[int]:
    """The unit and every unit under it, read once per request: units are few, a deployment's tree fits in memory."""
    cache = g.setdefault("units_below", {})
    if unit_id not in cache:
        children: dict[int | None, list[int]] = {}
        for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
            children.setdefault(parent, []).append(uid)
        found, todo = set(), [unit_id]
        while todo:
            uid = todo.pop()
            if uid not in found:
                found.add(uid)
                todo.extend(children.get(uid, ()))
        cache[unit_id] = found
    return cache[unit_id]


def forget_tree() -> None:
    """After a unit is added: the next units_below reads the tree again."""
    g.pop("units_below", None)



# Tasks down, returns up (任务下发) ----------------------------------------------------------------------

TASK_KINDS = {
    "activity": _l("Theme activity"),
    "competition": _l("Competition (essays, speeches)"),
    "report": _l("Report form (上报表册)"),
    "summary": _l("Year-end summary"),
}
# What a school returns: a written summary, photos, files, a list of entries (competitions), a form of figures.
RETURN_PARTS = {
    "summary": _l("A written summary"),
    "photos": _l("Photos"),
    "files": _l("Files"),
    "entries": _l("Entries (title, author, class, 指导教师, file)"),
    "figures": _l("A form of figures (上报表册)"),
}
RETURN_STATES = {
    "unread": lazy_pgettext("task state", "Not read"),
    "read": lazy_pgettext("task state", "Read"),
    "draft": lazy_pgettext("task state", "Being drafted"),
    "submitted": lazy_pgettext("task state", "Submitted"),
    "returned": lazy_pgettext("task state", "Sent back to change"),
    "approved": lazy_pgettext("task state", "Approved"),
}
# What a unit may read of a school's return: only what the school submitted (a draft, or a return sent back and being
# changed, is the school's own until it submits it).
SHOWN_TO_UNIT = ("submitted", "approved")
AWARDS = {"first": _l("First prize"), "second": _l("Second prize"), "third": _l("Third prize"),
          "merit": _l("Honourable mention")}


class Task(db.Model):
    """What a unit asks of the schools under it, with its deadline and what each must return."""

    __table_args__ = (CheckConstraint("kind IN ('activity', 'competition', 'report', 'summary')", name="kind_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date]  # the deadline
    parts: Mapped[str] = mapped_column(String(60))  # RETURN_PARTS keys, comma separated
    # The 上报表册 (report_forms.py): {"columns": [name…], "rows": [{"label", "units": [per column], "notes": [per
    # column], "source"}…]}.
    form: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    results_published_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit = relationship("Unit")
    attachments = relationship("TaskFile", primaryjoin="and_(TaskFile.task_id == Task.id, TaskFile.return_id.is_(None))",
                               order_by="TaskFile.id", viewonly=True)

    @property
    def part_keys(self) -> list[str]:
        return [p for p in self.parts.split(",") if p]


class TaskReturn(SchoolScoped, db.Model):
    """One school's copy of a task: its state and what the school returns."""

    __tablename__ = "task_return"
    __table_args__ = (
        UniqueConstraint("task_id", "school_id"),
        CheckConstraint("state IN ('unread', 'read', 'draft', 'submitted', 'returned', 'approved')", name="state_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="unread")
    summary: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # the school's copy of the form: {"r0c0": "12", …}
    read_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    returned_reason: Mapped[str] = mapped_column(String(500), default="")
    reminded_on: Mapped[date | None]  # the school's day it was last reminded: at most once a day
    organising_award: Mapped[bool] = mapped_column(default=False)  # 优秀组织奖
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    task = relationship("Task")
    school = relationship("School")
    entries = relationship("TaskEntry", order_by="TaskEntry.id", back_populates="task_return")
    files = relationship("TaskFile", order_by="TaskFile.id", viewonly=True)


class TaskFile(db.Model):
    """A file under the instance folder, named by the portal: a task's attachment (no return), or a photo, file or
    entry's file a school returned."""

    __tablename__ = "task_file"
    __table_args__ = (CheckConstraint("kind IN ('attachment', 'photo', 'file', 'entry')", name="kind_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[int | None] = mapped_column(db.ForeignKey("task_return.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskEntry(SchoolScoped, db.Model):
    """A competition entry a school returns: the names in it are the school's own, given for the entry."""

    __tablename__ = "task_entry"
    __table_args__ = (CheckConstraint("award IS NULL OR award IN ('first', 'second', 'third', 'merit')",
                                      name="award_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(db.ForeignKey("task_return.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    author: Mapped[str] = mapped_column(String(40))
    class_name: Mapped[str] = mapped_column(String(40), default="")
    teacher: Mapped[str] = mapped_column(String(40), default="")  # 指导教师
    file_id: Mapped[int | None] = mapped_column(db.ForeignKey("task_file.id"))
    award: Mapped[str | None] = mapped_column(String(10))
    teacher_award: Mapped[bool] = mapped_column(default=False)  # 优秀指导教师

    task_return = relationship("TaskReturn", back_populates="entries")
    file = relationship("TaskFile")
