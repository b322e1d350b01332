"""Reading the audit log: the entries a search finds, and what each record is called. Kept apart from services.py,
which every domain imports to write entries, so that these domain models are imported by the log page only."""
from sqlalchemy import or_, select

from ..announcements.models import Announcement
from ..auth.models import User
from ..events.models import Event
from ..extensions import db
from ..parent_school.models import Course
from ..people.models import Family, SchoolClass, Student, Volunteer, YoungTeacher
from .labels import actions_matching
from .models import AuditEntry

# What a record is called in the log, by type: its name where it has one.
_NAMED = {"Student": (Student, "name"), "Family": (Family, "name"), "Volunteer": (Volunteer, "name"),
          "YoungTeacher": (YoungTeacher, "name"), "SchoolClass": (SchoolClass, "label"),
          "User": (User, "display_name"), "Event": (Event, "title"), "Course": (Course, "title"),
          "Announcement": (Announcement, "title")}


def search(school_id: int, q: str):
    """The school's entries, newest first; `q` finds an action by its code's start or by words of its label."""
    stmt = select(AuditEntry).where(AuditEntry.school_id == school_id)
    if q:
        stmt = stmt.where(or_(AuditEntry.action.like(f"{q}%"), AuditEntry.action.in_(actions_matching(q))))
    return stmt.order_by(AuditEntry.id.desc())


def record_names(entries) -> dict[tuple[str, int], str]:
    """(type, id) -> the record's name, for the entries shown: one statement per type."""
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.object_type in _NAMED and e.object_id:
            wanted.setdefault(e.object_type, set()).add(e.object_id)
    names = {}
    for kind, ids in wanted.items():
        model, attr = _NAMED[kind]
        for row in db.session.scalars(select(model).where(model.id.in_(ids))):
            names[kind, row.id] = getattr(row, attr)
    return names
