from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import render
from ..core.listing import clean_query, page_arg, paginate, to_id
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..matching import services as matching
from ..offers.models import Offer
from ..people import services as people
from ..permissions import authorize, can, requires
from . import bp, services
from .forms import EndForm, ReassignForm, RenewForm, VisitForm
from .models import PAIR_KINDS, PAIR_STATUS, Pair, PairVolunteer


@bp.app_context_processor
def _pair_helpers():
    return {"follow_state": lambda pair: services.follow_state(pair, local_today()), "due_on": services.due_on,
            "class_label": services.class_label}


@bp.route("/")
@requires("pairs.view")
def index():
    f = services.PairFilters.from_args(request.args, clean_query)
    pagination = paginate(services.pair_cards(acting_user(), f, local_today()), page_arg(request.args),
                          current_app.config["PAGE_SIZE"])
    return render("pairs/index.html", "pairs/_results.html", pagination=pagination, f=f, page_only=lambda: {
        "kinds": PAIR_KINDS, "statuses": PAIR_STATUS,
        "terms": [(t.id, t.name) for t in people.terms_of(current_user.school_id)]})


def _pair(pair_id, action="pairs.view", options=()):
    return authorize(action, db.session.get(Pair, pair_id, options=options))


@bp.route("/<int:pair_id>")
@requires("pairs.view")
def show(pair_id):
    pair = _pair(pair_id)
    me = acting_user()
    end_form = EndForm() if can(me, "pairs.manage") and pair.status != "ended" else None
    return render_template("pairs/show.html", pair=pair, visits=services.visits_for(me, pair), end_form=end_form,
                           my_pair=me.volunteer_id in {m.volunteer_id for m in pair.current_members})


@bp.route("/<int:pair_id>/<any(confirm, pause, resume):action>", methods=["POST"])
@requires("pairs.confirm")
def move(pair_id, action):
    pair = _pair(pair_id, "pairs.confirm" if action == "confirm" else "pairs.manage")
    try:
        services.move(acting_user(), pair, action)
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("The pair is now “%(status)s”.", status=pair.status_label), "success")
    return redirect(url_for("pairs.show", pair_id=pair.id))


@bp.route("/<int:pair_id>/end", methods=["POST"])
@requires("pairs.manage")
def end(pair_id):
    pair = _pair(pair_id, "pairs.manage")
    form = EndForm()
    if form.validate_on_submit():
        try:
            services.end(acting_user(), pair, form.reason.data, form.note.data, form.no_rematch.data, local_today())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The pair has ended. Free places went back to the volunteers’ offers."), "success")
            return redirect(url_for("pairs.show", pair_id=pair.id))
    return render_template("pairs/show.html", pair=pair, visits=services.visits_for(acting_user(), pair), end_form=form,
                           my_pair=False, end_open=True)


@bp.route("/<int:pair_id>/reassign/<int:member_id>", methods=["GET", "POST"])
@requires("pairs.manage")
def reassign(pair_id, member_id):
    # The card's loads also put the member in the session, so the page needs no lookup per person.
    pair = _pair(pair_id, "pairs.manage", services.card_options())
    member = db.session.get(PairVolunteer, member_id)
    if member is None or member.pair_id != pair.id or member.left_at is not None:
        flash(_("Please choose a volunteer of this pair."), "error")
        return redirect(url_for("pairs.show", pair_id=pair.id))
    rows = [(m, o) for m, o in _candidates(pair) if o.volunteer_id not in {v.volunteer_id for v in pair.current_members}]
    form = ReassignForm()
    form.offer_id.choices = options([(0, _("Choose the new volunteer"))] + [(o.id, o.volunteer.label) for _m, o in rows])
    if form.validate_on_submit():
        offer = db.session.get(Offer, form.offer_id.data)
        try:
            if offer is None:
                raise DomainError(_("Please choose the new volunteer."), "offer_id")
            services.replace_volunteer(acting_user(), pair, member, offer)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("%(new)s takes over from %(old)s.", new=offer.volunteer.name, old=member.volunteer.name), "success")
            return redirect(url_for("pairs.show", pair_id=pair.id))
    return render_template("pairs/reassign.html", pair=pair, member=member, rows=rows, form=form)


def _candidates(pair):
    """Offers ranked for the pair's (first) need, as if it were waiting again."""
    need = pair.needs[0]
    info = matching.need_infos(pair.school_id, [need.id], any_status=True)
    if not info:
        return []
    return matching.rank_offers(info[0], pair.school_id)


@bp.route("/<int:pair_id>/visits/new", methods=["GET", "POST"])
@requires("visits.record")
@submit_once(message=_l("This visit was already recorded; it was not saved twice."))
def new_visit(pair_id):
    pair = _pair(pair_id, "visits.record")
    me = acting_user()
    form = VisitForm()
    members = pair.current_members
    if me.role == "volunteer":
        del form.volunteer_id
    else:
        form.volunteer_id.choices = options([(0, _("Choose a volunteer"))] +
                                            [(m.volunteer_id, m.volunteer.label) for m in members])
        if len(members) == 1 and not form.volunteer_id.data:
            form.volunteer_id.data = members[0].volunteer_id
    if request.method == "GET":
        issue_token(form)
        form.visited_on.data = local_today()
    if form.validate_on_submit():
        volunteer_id = me.volunteer_id if form.volunteer_id is None else form.volunteer_id.data
        try:
            _visit, created = services.add_visit(me, pair, volunteer_id, form.values(), local_today(),
                                                 form.submit_token.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Visit recorded, thank you. The hours wait for the office to approve.") if created
                  else _("This visit was already recorded; it was not saved twice."), "success")
            return redirect(url_for("home.index") if me.role == "volunteer" else url_for("pairs.show", pair_id=pair.id))
    else:
        renew_bad_token(form)
    return render_template("pairs/visit_form.html", pair=pair, form=form)


@bp.route("/renew", methods=["GET", "POST"])
@requires("pairs.manage")
@submit_once()
def renew():
    me = acting_user()
    term = people.current_term(me.school_id, local_today())
    chosen_term = db.session.get(type(term), to_id(request.values.get("term_id")) or 0)
    if chosen_term is not None and chosen_term.school_id == me.school_id:
        term = chosen_term
    form = RenewForm()
    if form.validate_on_submit():
        try:
            target, n = services.renew(me, me.school_id, term, set(form.pair_ids.data or []))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("%(n)d pairs carried over into %(term)s.", n=n, term=target.name), "success")
            return redirect(url_for("pairs.index", term_id=target.id))
    return render_template("pairs/renew.html", plan=services.renewal(me.school_id, term), form=form,
                           terms=people.terms_of(me.school_id))
