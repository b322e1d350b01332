"""Announcements (/announcements): the sender's list and form, the reader's page with 我已阅读, and the receipts with
the one-tap reminder to the unread."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from ..core.clock import local_now, local_today
from ..core.errors import DomainError
from ..core.forms import show_error
from ..core.htmx import render
from ..core.listing import page_arg, paginate
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..people.forms import EmptyForm
from ..permissions import authorize, classes_seen, requires
from . import bp, services
from .forms import AnnouncementForm
from .models import Announcement


@bp.route("/")
@requires("announcements.receipts")
def index():
    pagination = paginate(services.listed(acting_user()), page_arg(request.args), current_app.config["PAGE_SIZE"])
    tallies = services.tallies([a.id for a in pagination.items])
    return render("announcements/index.html", "announcements/_rows.html", pagination=pagination, tallies=tallies)


@bp.route("/new", methods=["GET", "POST"])
@requires("announcements.send")
@submit_once(message=_l("This announcement was already sent; it was not sent twice."))
def new():
    me = acting_user()
    audiences = services.audiences_for(me, local_now())
    form = AnnouncementForm()
    form.audience.choices = [SelectChoice("", _("Choose whom it is for"))] + [
        SelectChoice(a.value, a.label, optgroup=a.group) for a in audiences.values()]
    if request.method == "GET":
        issue_token(form)
        if request.args.get("audience") in audiences:
            form.audience.data = request.args["audience"]
    if form.validate_on_submit():
        try:
            ann, created = services.send(me, form.values(), form.submit_token.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The announcement was sent to %(who)s.", who=ann.audience_label) if created
                  else _("This announcement was already sent; it was not sent twice."), "success")
            return redirect(url_for("announcements.receipts", announcement_id=ann.id))
    else:
        renew_bad_token(form)
    return render_template("announcements/form.html", form=form, audiences=audiences)


@bp.route("/<int:announcement_id>")
@requires("announcements.view")
def show(announcement_id):
    ann = authorize("announcements.view", db.session.get(Announcement, announcement_id))
    addressed, confirmed_at = services.opened(acting_user(), ann)
    return render_template("announcements/show.html", ann=ann, addressed=addressed, confirmed_at=confirmed_at,
                           form=EmptyForm())


@bp.route("/<int:announcement_id>/confirm", methods=["POST"])
@requires("announcements.view")
def confirm(announcement_id):
    ann = authorize("announcements.view", db.session.get(Announcement, announcement_id))
    if EmptyForm().validate_on_submit():
        try:
            services.confirm(acting_user(), ann)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Thank you. The sender can see that you have read it."), "success")
    return redirect(url_for("announcements.show", announcement_id=ann.id))


@bp.route("/<int:announcement_id>/receipts")
@requires("announcements.receipts")
def receipts(announcement_id):
    ann = authorize("announcements.receipts", db.session.get(Announcement, announcement_id))
    rows = services.receipts(ann)
    return render_template("announcements/receipts.html", ann=ann, rows=rows, waiting=services.unread(ann, rows),
                           shown_classes=classes_seen(acting_user()),
                           reminded_today=services.reminded_today(ann, local_today()), form=EmptyForm())


@bp.route("/<int:announcement_id>/remind", methods=["POST"])
@requires("announcements.receipts")
def remind(announcement_id):
    ann = authorize("announcements.receipts", db.session.get(Announcement, announcement_id))
    if EmptyForm().validate_on_submit():
        try:
            n = services.remind(acting_user(), ann, local_today())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("%(n)d families that had not read it were reminded.", n=n) if ann.for_families
                  else _("%(n)d people who had not read it were reminded.", n=n), "success")
    return redirect(url_for("announcements.receipts", announcement_id=ann.id))
