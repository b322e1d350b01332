from flask import current_app, request
from flask_login import current_user

from ..core.htmx import render
from ..core.listing import clean_query, paginate
from ..permissions import requires
from . import bp, log
from .labels import action_label, record_label


@bp.route("/audit")
@requires("audit.view")
def index():
    q = clean_query(request.args.get("q"))
    pagination = paginate(log.search(current_user.school_id, q), request.args.get("page", 1, type=int),
                          current_app.config["PAGE_SIZE"])
    return render("audit/index.html", "audit/_rows.html", pagination=pagination, q=q,
                  names=log.record_names(pagination.items), action_label=action_label, record_label=record_label)
