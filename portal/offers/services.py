"""Offers: the list with its filters, saving (also on a volunteer's behalf) and pausing. Each write commits."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.listing import int_arg
from ..core.submit_token import earlier_submit, save_once
from ..extensions import db
from ..menus.services import usable_category
from ..people.models import Volunteer
from ..permissions import can, scope
from .models import OFFER_STATUS, Offer

SORTS = ("new", "free", "name")


@dataclass
class OfferFilters:
    q: str = ""
    category_id: int | None = None
    status: str = ""
    slot: int | None = None
    mode: int | None = None
    free_only: bool = False
    sort: str = "new"

    @classmethod
    def from_args(cls, args, clean):
        status, sort = args.get("status", ""), args.get("sort", "new")
        return cls(q=clean(args.get("q")), category_id=int_arg(args, "category_id"),
                   status=status if status in OFFER_STATUS else "", slot=int_arg(args, "slot"), mode=int_arg(args, "mode"),
                   free_only=args.get("free_only") == "1", sort=sort if sort in SORTS else "new")

    def args(self) -> dict:
        out = {"q": self.q, "category_id": self.category_id, "status": self.status, "slot": self.slot,
               "mode": self.mode, "free_only": "1" if self.free_only else "",
               "sort": self.sort if self.sort != "new" else ""}
        return {k: v for k, v in out.items() if v}


def _scope(user):
    return select(Offer).join(Volunteer, Offer.volunteer_id == Volunteer.id).where(scope(user, Offer))


def offer_list(user, f: OfferFilters):
    stmt = _scope(user)
    if f.q:
        like = f"%{f.q}%"
        conds = [Volunteer.name.ilike(like), Offer.skills.ilike(like), Offer.detail.ilike(like),
                 Volunteer.kind.like(like)]
        if f.q.isascii() and f.q.isalpha():
            conds.append(Volunteer.name_initials.like(f"{f.q.lower()}%"))
        stmt = stmt.where(or_(*conds))
    if f.category_id:
        stmt = stmt.where(Offer.category_id == f.category_id)
    if f.status:
        stmt = stmt.where(Offer.status == f.status)
    if f.slot:
        stmt = stmt.where(or_(Offer.slots == 0, Offer.slots.op("&")(f.slot) != 0))
    if f.mode:
        stmt = stmt.where(or_(Offer.modes == 0, Offer.modes.op("&")(f.mode) != 0))
    if f.free_only:
        stmt = stmt.where(Offer.used < Offer.capacity)
    order = {
        "new": (Offer.created_at.desc(), Offer.id.desc()),
        "free": ((Offer.capacity - Offer.used).desc(), Offer.id),
        "name": (Volunteer.name_initials, Offer.id),
    }[f.sort]
    return stmt.order_by(*order)


def offer_cards(user, f: OfferFilters):
    """offer_list with what a card shows loaded with the page: the list already joins the volunteer."""
    return offer_list(user, f).options(contains_eager(Offer.volunteer), joinedload(Offer.category),
                                       joinedload(Offer.entered_by))


def active_count_query(user):
    return select(func.count()).select_from(_scope(user).where(Offer.status == "active").subquery())


def active_count(user) -> int:
    """The menu badge's number, sent again out of band when a card changes it."""
    return db.session.scalar(active_count_query(user)) or 0


def save_offer(actor, offer: Offer | None, volunteer: Volunteer | None, data: dict,
               submit_token: str | None = None) -> tuple[Offer, bool]:
    """Create or update an offer; a volunteer only for themself, staff on anyone's behalf."""
    earlier = earlier_submit(Offer, submit_token) if offer is None else None
    if earlier is not None:
        return earlier, False
    on_behalf = can(actor, "offers.manage")
    if not on_behalf:
        volunteer = actor.volunteer
    if volunteer is None or volunteer.school_id != actor.school_id or not volunteer.active:
        raise DomainError(_("Please choose a volunteer from the list."), "volunteer_id")
    usable_category(actor, data["category_id"])
    if offer is not None and data["capacity"] < offer.used:
        raise DomainError(_("%(used)d people are already paired with this offer; the capacity cannot be lower.",
                            used=offer.used), "capacity")
    creating = offer is None
    offer = offer or Offer(school_id=actor.school_id, entered_by_id=actor.id, submit_token=submit_token or None)
    offer.volunteer_id = volunteer.id
    if on_behalf:
        offer.on_behalf, offer.entered_by_id = True, actor.id
    for key in ("category_id", "skills", "detail", "slots", "modes", "capacity"):
        setattr(offer, key, data[key])
    if "status" in data:
        offer.status = data["status"]
    action = ("offer.create" if creating else "offer.update") + (".on_behalf" if on_behalf else "")

    def write():
        db.session.add(offer)
        db.session.flush()
        record(actor, action, offer, f"volunteer={volunteer.id}")
        return offer

    saved, fresh = save_once(Offer, submit_token if creating else None,
                             _("The offer could not be saved. Please try again."), write)
    return saved, fresh and creating


def set_status(actor, offer: Offer, status: str) -> Offer:
    if status not in OFFER_STATUS:
        raise DomainError(_("Unknown status."), "status")
    with saving():
        old, offer.status = offer.status, status
        record(actor, "offer.status", offer, f"{old}→{status}")
    return offer
