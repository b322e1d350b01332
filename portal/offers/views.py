from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import is_htmx, render
from ..core.listing import clean_query, page_arg, paginate, to_id
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..menus.slots import MODE_CHOICES, SLOT_CHOICES
from ..people import services as people
from ..people.forms import EmptyForm
from ..people.models import Volunteer
from ..permissions import authorize, can, requires
from . import bp, services
from .forms import OfferForm
from .models import OFFER_STATUS, Offer


def _sort_labels():
    return {"new": _("Newest first"), "free": _("Most free places first"), "name": _("By volunteer name")}


@bp.route("/")
@requires("offers.view")
def index():
    f = services.OfferFilters.from_args(request.args, clean_query)
    pagination = paginate(services.offer_cards(acting_user(), f), page_arg(request.args),
                          current_app.config["PAGE_SIZE"])
    return render("offers/index.html", "offers/_results.html", pagination=pagination, f=f, page_only=lambda: {
        "categories": [(c.id, c.name) for c in people.categories_of(current_user.school_id, active_only=False)],
        "statuses": OFFER_STATUS, "slots": SLOT_CHOICES, "modes": MODE_CHOICES, "sorts": _sort_labels()})


def _prepare(form: OfferForm, offer: Offer | None):
    me = acting_user()
    form.category_id.choices = options([(0, _("Choose one"))] + [(c.id, c.name) for c in people.categories_of(me.school_id)])
    if offer is not None and not offer.category.active:
        form.category_id.choices += options([(offer.category.id, offer.category.name)])
    if can(me, "offers.manage"):
        volunteers = db.session.scalars(people.volunteer_list(me.school_id).where(Volunteer.active.is_(True))).all()
        form.volunteer_id.choices = options([(0, _("Choose a volunteer"))] +
                                            [(v.id, v.label) for v in volunteers])
    else:
        del form.volunteer_id


def _volunteer(form):
    if form.volunteer_id is None:  # a volunteer's own form: the field is deleted, which leaves None
        return None
    return db.session.get(Volunteer, form.volunteer_id.data or 0)


@bp.route("/new", methods=["GET", "POST"])
@requires("offers.edit")
@submit_once(message=_l("This offer was already saved; it was not saved twice."))
def new():
    me = acting_user()
    if me.role == "volunteer" and me.volunteer is None:
        flash(_("Your account is not linked to a volunteer record yet. Ask the committee office."), "error")
        return redirect(url_for("offers.index"))
    form = OfferForm()
    if request.method == "GET":
        issue_token(form)
        if hasattr(form, "volunteer_id"):
            form.volunteer_id.data = to_id(request.args.get("volunteer_id"))
    _prepare(form, None)
    if form.validate_on_submit():
        try:
            offer, created = services.save_offer(me, None, _volunteer(form), form.values(), form.submit_token.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Thank you! Your offer is on the resource menu.") if me.role == "volunteer" and created
                  else _("Offer saved.") if created else _("This offer was already saved; it was not saved twice."),
                  "success")
            return redirect(url_for("offers.index"))
    else:
        renew_bad_token(form)
    return render_template("offers/form.html", form=form, offer=None,
                           title=_("What I can offer") if me.role == "volunteer" else _("New offer for a volunteer"))


@bp.context_processor
def _helpers():
    return {"offer_status": OFFER_STATUS}


def _card(offer, **extra):
    return render_template("offers/_card_response.html", offer=offer, active_count=services.active_count(current_user),
                           **extra)


@bp.route("/<int:offer_id>/card")
@requires("offers.view")
def card(offer_id):
    offer = authorize("offers.view", db.session.get(Offer, offer_id))
    if not is_htmx():  # a reloaded fragment: the list it belongs to
        return redirect(url_for("offers.index"))
    return render_template("offers/_card.html", offer=offer)


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@requires("offers.edit")
def edit(offer_id):
    offer = authorize("offers.edit", db.session.get(Offer, offer_id))
    form = OfferForm(obj=offer, prefix=f"e{offer.id}" if is_htmx() else "")
    del form.submit_token  # guards creation only; imported offers have none
    if request.method == "GET":
        form.slots.set_mask(offer.slots)
        form.modes.set_mask(offer.modes)
        form.available.data = offer.status == "active"
    _prepare(form, offer)
    if form.validate_on_submit():
        volunteer = _volunteer(form) if form.volunteer_id is not None else offer.volunteer
        try:
            offer, _created = services.save_offer(acting_user(), offer, volunteer, form.values())
        except DomainError as err:
            show_error(form, err)
        else:
            if is_htmx():
                return _card(offer, saved=True)
            flash(_("Offer saved."), "success")
            return redirect(url_for("offers.index"))
    if is_htmx():
        return render_template("offers/_edit.html", form=form, offer=offer)
    return render_template("offers/form.html", form=form, offer=offer, title=_("Edit offer"))


@bp.route("/<int:offer_id>/status", methods=["POST"])
@requires("offers.edit")
def status(offer_id):
    offer = authorize("offers.edit", db.session.get(Offer, offer_id))
    if EmptyForm().validate_on_submit():
        try:
            services.set_status(acting_user(), offer, request.form.get("status", ""))
        except DomainError as err:
            flash(err.message, "error")
    if is_htmx():
        return _card(offer)
    return redirect(url_for("offers.index"))
