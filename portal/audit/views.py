from flask import current_app, request
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.models import User
from ..events.models import Event
from ..extensions import db
from ..htmx import render
from ..listing import clean_query, paginate
from ..parent_school.models import Course
from ..people.models import Family, SchoolClass, Student, Volunteer, YoungTeacher
from ..permissions import requires
from . import bp
from .labels import action_label, actions_matching, record_label
from .models import AuditEntry

# What a record is called in the log, by type: its name where it has one.
_NAMED = {"Student": (Student, "name"), "Family": (Family, "name"), "Volunteer": (Volunteer, "name"),
          "YoungTeacher": (YoungTeacher, "name"), "SchoolClass": (SchoolClass, "label"),
          "User": (User, "display_name"), "Event": (Event, "title"), "Course": (Course, "title")}


@bp.route("/audit")
@requires("audit.view")
def index():
    q = clean_query(request.args.get("q"))
    stmt = select(AuditEntry).where(AuditEntry.school_id == current_user.school_id)
    if q:
        stmt = stmt.where(or_(AuditEntry.action.like(f"{q}%"), AuditEntry.action.in_(actions_matching(q))))
    pagination = paginate(stmt.order_by(AuditEntry.id.desc()), request.args.get("page", 1, type=int),
                          current_app.config["PAGE_SIZE"])
    return render("audit/index.html", "audit/_rows.html", pagination=pagination, q=q, names=_names(pagination.items),
                  action_label=action_label, record_label=record_label)


def _names(entries) -> dict[tuple[str, int], str]:
    """(type, id) -> the record's name, for the page's entries: one statement per type shown."""
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
