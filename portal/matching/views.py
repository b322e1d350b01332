from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.htmx import is_htmx, render
from ..core.listing import clean_query, page_arg, paginate
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..needs.models import Need
from ..needs.services import NeedFilters, need_cards, open_count
from ..needs.services import page_options as need_page_options
from ..offers.models import Offer
from ..pairs import services as pairs
from ..pairs.forms import CreateForm
from ..people import services as people
from ..permissions import authorize, requires
from . import bp, services
from .models import MatchPlan, Proposal
from .reasons import reasons_text


@bp.app_template_filter("reasons")
def _reasons(reasons):
    return reasons_text(reasons)


@bp.route("/")
@requires("matching.use")
def index():
    f = NeedFilters.from_args(request.args, clean_query)
    f.status, f.sort = "open", request.args.get("sort") if request.args.get("sort") in ("new", "waiting") else "urgency"
    pagination = paginate(need_cards(acting_user(), f), page_arg(request.args), current_app.config["PAGE_SIZE"])
    return render("matching/index.html", "matching/_needs.html", pagination=pagination, f=f, page_only=lambda: {
        "categories": [(c.id, c.name) for c in people.categories_of(current_user.school_id, active_only=False)],
        "plan": services.latest_plan(current_user.school_id)})


def _create_form():
    form = CreateForm()
    if request.method == "GET":
        issue_token(form)
    return form


def _pair_from_ticks(form, model, nothing_ticked, sides):
    """A sent suggestion list: the ticked rows become one pair and the answer is a redirect to it;
    None when the page is to be shown again with a message."""
    if not form.validate_on_submit():
        renew_bad_token(form)
        return None
    ticked = [row for row in (db.session.get(model, i) for i in dict.fromkeys(form.chosen.data or [])) if row]
    if not ticked:
        flash(nothing_ticked, "error")
        return None
    needs, offers = sides(ticked)
    try:
        pair, created = pairs.create_pair(acting_user(), needs, offers, local_today(), form.submit_token.data)
    except DomainError as err:
        flash(err.message, "error")
        return None
    flash(_("Pair made. The volunteer sees it on their home page.") if created
          else _("This pair was already made; it was not made twice."), "success")
    return redirect(url_for("pairs.show", pair_id=pair.id))


@bp.route("/needs/<int:need_id>", methods=["GET", "POST"])
@requires("matching.use")
@submit_once(message=_l("This pair was already made; it was not made twice."))
def need(need_id):
    """Suggestions for one need; ticking one volunteer makes 一对一, several make 多对一 (二帮一 …)."""
    need = authorize("matching.use", db.session.get(Need, need_id, options=need_page_options()))
    form = _create_form()
    made = _pair_from_ticks(form, Offer, _("Please tick at least one volunteer."), lambda offers: ([need], offers))
    if made:
        return made
    rows, nearest = services.suggestions_or_nearest(need) if need.status == "open" else ([], [])
    return render_template("matching/need.html", need=need, rows=rows, form=form, nearest=nearest,
                           earlier=pairs.pairs_of_need(need), left_out=services.not_suggested(need))


@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
@requires("matching.use")
@submit_once(message=_l("This pair was already made; it was not made twice."))
def offer(offer_id):
    """Needs one offer suits best; ticking several makes a small group (一对多)."""
    offer = authorize("matching.use", db.session.get(Offer, offer_id))
    form = _create_form()
    made = _pair_from_ticks(form, Need, _("Please tick at least one need."), lambda needs: (needs, [offer]))
    if made:
        return made
    return render_template("matching/offer.html", offer=offer, rows=services.needs_for_offer(offer), form=form)


@bp.route("/plans", methods=["POST"])
@requires("matching.use")
def make_plan():
    plan = services.make_plan(acting_user())
    return redirect(url_for("matching.plan", plan_id=plan.id))


def _plan(plan_id):
    return authorize("matching.use", db.session.get(MatchPlan, plan_id))


@bp.route("/plans/<int:plan_id>")
@requires("matching.use")
def plan(plan_id):
    plan = _plan(plan_id)
    proposals = db.session.scalars(
        select(Proposal).options(selectinload(Proposal.need).selectinload(Need.student),
                                 selectinload(Proposal.need).selectinload(Need.category),
                                 selectinload(Proposal.offer).selectinload(Offer.volunteer))
        .where(Proposal.plan_id == plan.id).order_by(Proposal.score.desc(), Proposal.id)).all()
    latest = services.latest_plan(current_user.school_id)
    return render("matching/plan.html", "matching/_proposals.html", plan=plan, proposals=proposals, latest=latest,
                  page_only=lambda: {"unplaced": services.unplaced(plan) if latest and latest.id == plan.id else []})


def _proposal(proposal_id):
    return authorize("matching.use", db.session.get(Proposal, proposal_id))


def _decided(proposal):
    if is_htmx():
        return render_template("matching/_proposal_response.html", p=proposal,
                               open_count=open_count(current_user))
    return redirect(url_for("matching.plan", plan_id=proposal.plan_id))


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
@requires("matching.use")
def accept(proposal_id):
    proposal = _proposal(proposal_id)
    services.accept(acting_user(), proposal, local_today())
    return _decided(proposal)


@bp.route("/proposals/<int:proposal_id>/reject", methods=["POST"])
@requires("matching.use")
def reject(proposal_id):
    proposal = _proposal(proposal_id)
    services.reject(acting_user(), proposal)
    return _decided(proposal)


@bp.route("/plans/<int:plan_id>/accept-all", methods=["POST"])
@requires("matching.use")
def accept_all(plan_id):
    plan = _plan(plan_id)
    made, failed = services.accept_all(acting_user(), plan, local_today())
    flash(_("%(made)d pairs made.", made=made) + (
        " " + _("%(failed)d could not be made; see the rows marked.", failed=failed) if failed else ""),
        "success" if not failed else "warning")
    return redirect(url_for("matching.plan", plan_id=plan.id))


