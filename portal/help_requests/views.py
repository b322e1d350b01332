from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import render
from ..core.listing import page_arg, paginate
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..people import services as people
from ..permissions import authorize, can, requires
from . import bp, services
from .forms import AnswerForm, HelpForm
from .models import HELP_STATUS, HelpRequest


@bp.route("/")
@requires("help.view")
def index():
    status = request.args.get("status", "new" if can(current_user, "help.manage") else "")
    pagination = paginate(services.help_list(acting_user(), status), page_arg(request.args),
                          current_app.config["PAGE_SIZE"])
    return render("help/index.html", "help/_results.html", pagination=pagination, status=status, statuses=HELP_STATUS)


@bp.route("/new", methods=["GET", "POST"])
@requires("help.submit")
@submit_once(message=_l("This request was already sent; it was not sent twice."))
def new():
    me = acting_user()
    family = me.family
    if family is None:
        flash(_("Your account is not linked to a family yet. Ask the committee office."), "error")
        return redirect(url_for("help.index"))
    form = HelpForm()
    children = [c for c in family.children if c.active]
    form.student_id.choices = options([(c.id, f"{c.name}（{c.school_class.label}）") for c in children])
    form.category_id.choices = options([(0, _("Choose one"))] + [(c.id, c.name) for c in people.categories_of(me.school_id)])
    if request.method == "GET":
        issue_token(form)
        form.contact_phone.data = me.guardian.mobile if me.guardian else ""
    if form.validate_on_submit():
        try:
            req, created = services.submit(me, form.values(), form.submit_token.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Your request has been sent. The committee office will contact you.") if created
                  else _("This request was already sent; it was not sent twice."), "success")
            return redirect(url_for("help.show", help_id=req.id))
    else:
        renew_bad_token(form)
    return render_template("help/form.html", form=form)


@bp.route("/<int:help_id>", methods=["GET", "POST"])
@requires("help.view")
def show(help_id):
    req = authorize("help.view", db.session.get(HelpRequest, help_id))
    form = AnswerForm() if can(current_user, "help.manage") else None
    if form is not None and form.validate_on_submit():
        try:
            services.answer(acting_user(), req, form.reply.data)
        except DomainError as err:
            if err.field:
                form.reply.errors = list(form.reply.errors) + [err.message]
            else:  # already handled: the answer form is no longer shown, so say it above
                flash(err.message, "error")
        else:
            flash(_("Answered. The family sees the answer on their page."), "success")
            return redirect(url_for("help.index"))
    elif request.method == "POST" and form is None:
        return redirect(url_for("help.show", help_id=req.id))
    return render_template("help/show.html", req=req, form=form)
