"""The notice centre (/notices): a reader's notices, newest first; opening one marks it read and goes to what it is
about."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..core.htmx import render
from ..core.listing import page_arg, paginate
from ..core.users import acting_user
from ..extensions import db
from ..permissions import authorize, requires
from . import bp, channels, services
from .models import DELIVERY_LABELS, GROUP_SERVICES, Notice


@bp.route("/")
@requires("notices.view")
def index():
    pagination = paginate(services.notices_of(acting_user()), page_arg(request.args), current_app.config["PAGE_SIZE"])
    return render("notices/index.html", "notices/_rows.html", pagination=pagination, form=FlaskForm())


@bp.route("/<int:notice_id>")
@requires("notices.view")
def show(notice_id):
    notice = authorize("notices.view", db.session.get(Notice, notice_id))
    services.mark_read(notice)
    return redirect(notice.url or url_for("notices.index"))


@bp.route("/bell")
@requires("notices.view")
def bell():
    """The bell alone, with the unread count as it is now: every page asks for it while it is in use."""
    unread = db.session.scalar(services.unread_count_query(acting_user()))
    return render_template("notices/_bell.html", unread=unread)


@bp.route("/read", methods=["POST"])
@requires("notices.view")
def read_all():
    if FlaskForm().validate_on_submit():
        n = services.mark_all_read(acting_user())
        flash(_("%(n)d notices marked as read.", n=n) if n else _("Every notice was already read."), "success")
    return redirect(url_for("notices.index"))


@bp.route("/deliveries")
@requires("notices.deliveries")
def deliveries():
    """What went out by e-mail and SMS, and what could not: the office's delivery log."""
    me = acting_user()
    pagination = paginate(channels.deliveries_of(me.school_id), page_arg(request.args),
                          current_app.config["PAGE_SIZE"])
    return render("notices/deliveries.html", "notices/_deliveries.html", pagination=pagination,
                  labels=DELIVERY_LABELS, services=GROUP_SERVICES, configured=channels.configured(me.school_id))
