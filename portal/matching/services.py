"""Suggestions for one need, needs for one offer, and the staged plan for the whole menu."""
from __future__ import annotations

import time
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..extensions import db
from ..needs.models import Need
from ..offers.models import Offer
from ..pairs import services as pairs
from ..pairs.models import Pair, PairNeed, PairVolunteer, stayed_to_the_end
from ..people.models import Category, Student, Volunteer, student_tags
from . import planner
from .models import MatchPlan, Proposal
from .scoring import History, NeedInfo, OfferInfo, near_misses, ranked, score, skill_words

SUGGESTIONS = 10


def offer_infos(school_id: int) -> list[OfferInfo]:
    """Offers that could take someone now: active, a free place, the volunteer active."""
    load = dict(db.session.execute(
        select(PairVolunteer.volunteer_id, func.count()).join(Pair, Pair.id == PairVolunteer.pair_id)
        .where(Pair.school_id == school_id, Pair.status.in_(pairs.OPEN_STATUSES), PairVolunteer.left_at.is_(None))
        .group_by(PairVolunteer.volunteer_id)).all())
    rows = db.session.execute(
        select(Offer.id, Offer.volunteer_id, Offer.category_id, Category.name, Offer.skills, Volunteer.skills,
               Offer.slots, Offer.modes, Offer.capacity, Offer.used)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id).join(Category, Category.id == Offer.category_id)
        .where(Offer.school_id == school_id, Offer.status == "active", Volunteer.active.is_(True),
               Offer.used < Offer.capacity)).all()
    return [OfferInfo(id=i, volunteer_id=v, category_id=c, category_name=cn, skills=skill_words(s1, s2),
                      slots=sl, modes=m, capacity=cap, used=u, load=load.get(v, 0))
            for i, v, c, cn, s1, s2, sl, m, cap, u in rows]


def need_infos(school_id: int, need_ids=None, any_status=False) -> list[NeedInfo]:
    # Whether the need's student has a tag, asked of that student's rows: an uncorrelated IN hashed the tags of
    # every student of the deployment.
    tagged = select(student_tags.c.student_id).where(student_tags.c.student_id == Need.student_id).exists()
    stmt = (select(Need.id, Need.category_id, Category.name, Need.student_id, Need.young_teacher_id, Need.skills,
                   Need.slots, Need.modes, Need.urgency, tagged)
            .join(Category, Category.id == Need.category_id)
            .where(Need.school_id == school_id))
    if not any_status:
        stmt = stmt.where(Need.status == "open")
    if need_ids is not None:
        stmt = stmt.where(Need.id.in_(need_ids))
    return [NeedInfo(id=i, category_id=c, category_name=cn, beneficiary=f"s{s}" if s else f"t{t}",
                     skills=skill_words(sk), slots=sl, modes=m, urgency=u, priority=bool(p))
            for i, c, cn, s, t, sk, sl, m, u, p in db.session.execute(stmt).all()]


def history(school_id: int, beneficiaries=None) -> History:
    """Earlier pairs: those closed as 不再重新配对 block; those that went well bring continuity."""
    stmt = (select(PairVolunteer.volunteer_id, Need.student_id, Need.young_teacher_id,
                   Pair.no_rematch & stayed_to_the_end(), Pair.end_reason, Pair.status, Pair.last_visit_on)
            .join(Pair, Pair.id == PairVolunteer.pair_id).join(PairNeed, PairNeed.pair_id == Pair.id)
            .join(Need, Need.id == PairNeed.need_id).where(Pair.school_id == school_id))
    if beneficiaries is not None:
        students = [int(b[1:]) for b in beneficiaries if b[0] == "s"]
        teachers = [int(b[1:]) for b in beneficiaries if b[0] == "t"]
        stmt = stmt.where(Need.student_id.in_(students or [0]) | Need.young_teacher_id.in_(teachers or [0]))
    blocked, good = set(), set()
    for v, s, t, no_rematch, reason, status, last_visit in db.session.execute(stmt).all():
        key = (v, f"s{s}" if s else f"t{t}")
        if no_rematch:
            blocked.add(key)
        elif reason == "goal" or (status != "ended" and last_visit is not None):
            good.add(key)
    return History(frozenset(blocked), frozenset(good - blocked))


def not_suggested(need: Need) -> list[Volunteer]:
    """The volunteers left out of the need's suggestions because an earlier pair with its beneficiary was closed as
    不再重新配对: staff looking for them see why they are missing."""
    info = need_infos(need.school_id, [need.id], any_status=True)
    if not info:
        return []
    ids = {v for v, who in history(need.school_id, [info[0].beneficiary]).blocked if who == info[0].beneficiary}
    return db.session.scalars(select(Volunteer).where(Volunteer.id.in_(ids)).order_by(Volunteer.name_initials,
                                                                                   Volunteer.id)).all()


def _offers_by_id(ids):
    found = db.session.scalars(select(Offer).options(joinedload(Offer.volunteer), joinedload(Offer.category))
                               .where(Offer.id.in_(ids))).all()
    return {o.id: o for o in found}


def suggestions(need: Need, limit: int = SUGGESTIONS):
    """The best offers for one open need, each with its score and reasons: [(match, offer)]."""
    return suggestions_or_nearest(need, limit)[0]


def suggestions_or_nearest(need: Need, limit: int = SUGGESTIONS, near: int = 5):
    """The suggestions for one open need ([(match, offer)]); when none suits, the offers that come closest with what
    differs ([(offer, reasons)]), for staff to phone. The menu is read once for both."""
    infos = need_infos(need.school_id, [need.id])
    if not infos:
        return [], []
    offers, hist = offer_infos(need.school_id), history(need.school_id, [infos[0].beneficiary])
    matches = ranked(infos[0], offers, hist, limit)
    if matches:
        found = _offers_by_id([m.offer_id for m in matches])
        return [(m, found[m.offer_id]) for m in matches], []
    misses = near_misses(infos[0], offers, hist, near)
    found = _offers_by_id([o.id for o, _diff in misses])
    return [], [(found[o.id], diff) for o, diff in misses]


def rank_offers(info: NeedInfo, school_id: int, limit: int = SUGGESTIONS):
    matches = ranked(info, offer_infos(school_id), history(school_id, [info.beneficiary]), limit)
    offers = _offers_by_id([m.offer_id for m in matches])
    return [(m, offers[m.offer_id]) for m in matches]


def unplaced(plan: MatchPlan) -> list[tuple[Need, list]]:
    """The needs waiting now that the plan leaves out, each with why: its candidates went to needs they fit
    better, or nothing suits it (with the nearest offer and what differs)."""
    placed = {p.need_id for p in plan.proposals}
    needs = [n for n in need_infos(plan.school_id) if n.id not in placed]
    if not needs:
        return []
    offers = offer_infos(plan.school_id)
    hist = history(plan.school_id, {n.beneficiary for n in needs})
    found = {n.id: n for n in db.session.scalars(select(Need).options(
        selectinload(Need.student).selectinload(Student.school_class), selectinload(Need.young_teacher),
        selectinload(Need.category)).where(Need.id.in_([n.id for n in needs])))}
    volunteers = {o.id: o.volunteer_id for o in offers}
    names = dict(db.session.execute(select(Volunteer.id, Volunteer.name).where(
        Volunteer.id.in_(set(volunteers.values())))).all()) if volunteers else {}
    out = []
    for info in needs:
        if any(score(info, o, hist) for o in offers):
            why = [["candidates_taken", {}]]
        else:
            misses = near_misses(info, offers, hist, 1)
            why = [["nearest", {"name": names[volunteers[misses[0][0].id]]}], *misses[0][1]] if misses \
                else [["nothing_near", {}]]
        out.append((found[info.id], why))
    return out


def needs_for_offer(offer: Offer, limit: int = 30):
    """Open needs this offer suits best, for a small group (一对多): [(match, need)]."""
    infos = [o for o in offer_infos(offer.school_id) if o.id == offer.id]
    if not infos:
        return []
    needs = need_infos(offer.school_id)
    hist = history(offer.school_id, {n.beneficiary for n in needs})
    matches = [m for m in (score(n, infos[0], hist) for n in needs) if m is not None]
    matches.sort(key=lambda m: (-m.score, m.need_id))
    matches = matches[:limit]
    found = {n.id: n for n in db.session.scalars(select(Need).options(
        selectinload(Need.student).selectinload(Student.school_class), selectinload(Need.young_teacher),
        selectinload(Need.category)).where(Need.id.in_([m.need_id for m in matches])))}
    return [(m, found[m.need_id]) for m in matches]


def make_plan(actor) -> MatchPlan:
    """Solve the whole menu, stage the result as proposals, and retire the proposals of older plans."""
    started = time.perf_counter()
    needs, offers = need_infos(actor.school_id), offer_infos(actor.school_id)
    hist = history(actor.school_id)
    edges = planner.candidate_edges(needs, offers, hist)
    best, baseline = planner.optimal(needs, offers, hist, edges), planner.greedy(needs, offers, hist, edges)
    millis = int((time.perf_counter() - started) * 1000)
    plan = MatchPlan(school_id=actor.school_id, created_by_id=actor.id, total=best.total, greedy_total=baseline.total,
                     greedy_pairs=len(baseline.matches), needs_considered=len(needs),
                     places_considered=sum(o.free for o in offers), millis=millis)
    with saving(_("The plan could not be saved. Please try again.")):
        db.session.execute(update(Proposal).where(Proposal.school_id == actor.school_id, Proposal.status == "staged")
                           .values(status="stale").execution_options(synchronize_session=False))
        db.session.add(plan)
        db.session.flush()
        db.session.add_all([Proposal(school_id=actor.school_id, plan_id=plan.id, need_id=m.need_id,
                                     offer_id=m.offer_id, score=m.score, reasons=m.reasons) for m in best.matches])
        record(actor, "matching.plan", plan, f"total={best.total} greedy={baseline.total} pairs={len(best.matches)}")
    return plan


def latest_plan(school_id: int) -> MatchPlan | None:
    return db.session.scalar(select(MatchPlan).where(MatchPlan.school_id == school_id)
                             .order_by(MatchPlan.id.desc()).limit(1))


def accept(actor, proposal: Proposal, today: date) -> Proposal:
    """Turn one proposal into a pair; if the need or the place has gone meanwhile, say so on the row."""
    if proposal.status != "staged":
        return proposal
    refused = None
    try:  # create_pair leaves nothing behind when it refuses
        pair, _created = pairs.create_pair(actor, [proposal.need], [proposal.offer], today)
    except DomainError as err:
        refused = err.message[:200]
    with saving():
        if refused is None:
            proposal.status, proposal.pair_id = "accepted", pair.id
        else:
            proposal.status, proposal.message = "failed", refused
        proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    return proposal


def reject(actor, proposal: Proposal) -> Proposal:
    if proposal.status == "staged":
        with saving():
            proposal.status, proposal.decided_by_id, proposal.decided_at = "rejected", actor.id, utcnow()
            record(actor, "matching.reject", proposal, f"need={proposal.need_id} offer={proposal.offer_id}")
    return proposal


def accept_all(actor, plan: MatchPlan, today: date) -> tuple[int, int]:
    """Accept every staged row, one pair per transaction so one taken place does not undo the rest."""
    made = failed = 0
    for proposal in [p for p in plan.proposals if p.status == "staged"]:
        accept(actor, proposal, today)
        made += proposal.status == "accepted"
        failed += proposal.status == "failed"
    return made, failed
