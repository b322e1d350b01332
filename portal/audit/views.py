from flask import current_app, request
from flask_login import current_user
from sqlalchemy import select

from ..htmx import render
from ..listing import clean_query, paginate
from ..permissions import requires
from . import bp
from .models import AuditEntry


@bp.route("/audit")
@requires("audit.view")
def index():
    q = clean_query(request.args.get("q"))
    stmt = select(AuditEntry).where(AuditEntry.school_id == current_user.school_id)
    if q:
        stmt = stmt.where(AuditEntry.action.like(f"{q}%"))
    pagination = paginate(stmt.order_by(AuditEntry.id.desc()), request.args.get("page", 1, type=int),
                          current_app.config["PAGE_SIZE"])
    return render("audit/index.html", "audit/_rows.html", pagination=pagination, q=q)
