"""Pairs: creation against offer capacity, lifecycle, term renewal, visits and follow-up. Each write commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..core.clock import local_now
from ..core.errors import DomainError, saving
from ..core.listing import int_arg
from ..core.models import utcnow
from ..core.submit_token import earlier_submit, save_once
from ..extensions import db
from ..hours.ledger import check_day, parse_hours
from ..hours.models import HourEntry
from ..needs.models import Need
from ..notices import services as notices
from ..offers.models import Offer
from ..people.models import Student, Term, Volunteer, YoungTeacher
from ..people.services import term_for
from ..permissions import scope
from .models import (
    END_REASONS,
    PAIR_KINDS,
    PAIR_STATUS,
    VISIT_MODES,
    Pair,
    PairNeed,
    PairVolunteer,
    Visit,
    stayed_to_the_end,
)

ATTENTION_DAYS = 14  # no visit for this long: 需关注
OVERDUE_DAYS = 30    # and for this long: 逾期
OPEN_STATUSES = ("pending", "active", "paused")
# Lifecycle moves made by a button; ending has its own form and reasons.
MOVES = {"confirm": ("pending", "active"), "pause": ("active", "paused"), "resume": ("paused", "active")}
MAX_GROUP = 6
MAX_TEXT = 2000


def beneficiary_key(need: Need) -> str:
    return f"s{need.student_id}" if need.student_id else f"t{need.young_teacher_id}"


def kind_for(n_needs: int, n_offers: int) -> str:
    if n_needs == 1 and n_offers == 1:
        return "one_to_one"
    if n_needs == 1 and n_offers > 1:
        return "many_to_one"
    if n_offers == 1 and n_needs > 1:
        return "one_to_many"
    raise DomainError(_("A pair is one to one, several volunteers for one beneficiary, or one volunteer "
                        "for a small group. Please choose again."))


def blocked_between(volunteer_ids, needs) -> bool:
    """Whether any of these volunteers had a pair with any of these beneficiaries closed as 不再重新配对."""
    keys = {beneficiary_key(n) for n in needs}
    rows = db.session.execute(
        select(PairVolunteer.volunteer_id, Need.student_id, Need.young_teacher_id)
        .join(Pair, Pair.id == PairVolunteer.pair_id).join(PairNeed, PairNeed.pair_id == Pair.id)
        .join(Need, Need.id == PairNeed.need_id)
        .where(Pair.no_rematch.is_(True), PairVolunteer.volunteer_id.in_(volunteer_ids), stayed_to_the_end())).all()
    return any((f"s{s}" if s else f"t{t}") in keys for _v, s, t in rows)


def _take_places(offer: Offer, places: int, field: str = "offer_ids"):
    """The one write that uses an offer's capacity: it cannot exceed it, whoever confirms at the same time."""
    done = db.session.execute(
        update(Offer).where(Offer.id == offer.id, Offer.status == "active", Offer.used + places <= Offer.capacity)
        .values(used=Offer.used + places).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise DomainError(_("%(name)s has no free place left in this offer.", name=offer.volunteer.name), field)
    db.session.expire(offer, ["used"])


def _release_places(member: PairVolunteer) -> bool:
    """The member leaves and their places go back, once: of two requests releasing the same member at the
    same time, only the one whose update marks them left gives the places back."""
    left = db.session.execute(
        update(PairVolunteer).where(PairVolunteer.id == member.id, PairVolunteer.left_at.is_(None))
        .values(left_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.expire(member, ["left_at"])
    if left != 1:
        return False
    db.session.execute(
        update(Offer).where(Offer.id == member.offer_id, Offer.used >= member.places)
        .values(used=Offer.used - member.places).execution_options(synchronize_session=False))
    db.session.expire(member.offer, ["used"])
    return True


def _claim_pair(pair: Pair, statuses, **values) -> bool:
    """Write the pair row only while it is still in one of `statuses`. The first write of every change to a
    pair: a second request that read the same status waits for the first, then finds nothing to update."""
    done = db.session.execute(
        update(Pair).where(Pair.id == pair.id, Pair.status.in_(statuses)).values(**values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(pair)
    return done == 1


def _claim_need(need: Need):
    done = db.session.execute(
        update(Need).where(Need.id == need.id, Need.status == "open").values(status="matched")
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise DomainError(_("The need of %(name)s has just been matched or closed.", name=beneficiary_name(need)),
                          "need_ids")
    db.session.expire(need, ["status"])


def beneficiary_name(need: Need) -> str:
    return need.student.name if need.student else need.young_teacher.name


def create_pair(actor, needs: list[Need], offers: list[Offer], today: date, submit_token: str | None = None,
                term: Term | None = None) -> tuple[Pair, bool]:
    """A pair from needs and offers; marks the needs 已对接 and uses the offers' places in one transaction."""
    earlier = earlier_submit(Pair, submit_token)
    if earlier is not None:
        return earlier, False
    if not needs or not offers:
        raise DomainError(_("Please choose at least one need and one volunteer."))
    kind = kind_for(len(needs), len(offers))
    if len(needs) > MAX_GROUP or len(offers) > MAX_GROUP:
        raise DomainError(_("A pair can have at most %(n)d people on one side.", n=MAX_GROUP))
    for need in needs:
        if need.school_id != actor.school_id:
            raise DomainError(_("Please choose needs from the needs menu."), "need_ids")
        if need.status != "open":
            raise DomainError(_("The need of %(name)s is no longer waiting.", name=beneficiary_name(need)), "need_ids")
    volunteers = set()
    for offer in offers:
        if offer.school_id != actor.school_id or offer.status != "active" or not offer.volunteer.active:
            raise DomainError(_("This offer is not available now."), "offer_ids")
        if offer.volunteer_id in volunteers:
            raise DomainError(_("The same volunteer was chosen twice."), "offer_ids")
        volunteers.add(offer.volunteer_id)
    if blocked_between(volunteers, needs):
        raise DomainError(_("An earlier pair of these people was closed as “do not pair again”."), "offer_ids")
    pair = Pair(school_id=actor.school_id, kind=kind, status="pending", term_id=(term or needs[0].term).id,
                started_on=today, created_by_id=actor.id, submit_token=submit_token or None)

    def write():
        for need in needs:
            _claim_need(need)
        for offer in offers:
            _take_places(offer, len(needs))
        db.session.add(pair)
        db.session.flush()
        db.session.add_all([PairNeed(pair_id=pair.id, need_id=n.id) for n in needs])
        db.session.add_all([PairVolunteer(pair_id=pair.id, volunteer_id=o.volunteer_id, offer_id=o.id,
                                          places=len(needs)) for o in offers])
        record(actor, "pair.create", pair, f"{kind} needs={[n.id for n in needs]} offers={[o.id for o in offers]}")
        _tell_members(pair, "pair.started", [o.volunteer_id for o in offers], lambda: _(
            "A new pair: you will help %(who)s (%(what)s). Open it for what is known and how to get in touch.",
            who="、".join(beneficiary_name(n) for n in needs), what="、".join(n.category.name for n in needs)))
        _tell_class_teachers(needs, [o.volunteer.name for o in offers])
        return pair

    return save_once(Pair, submit_token, _("The pair could not be saved. Please try again."), write)


def move(actor, pair: Pair, action: str) -> Pair:
    before, after = MOVES[action]
    if pair.status != before:
        raise DomainError(_("This pair is “%(now)s”; that cannot be done now.", now=pair.status_label))
    with saving(_("The pair could not be saved. Please try again.")):
        if not _claim_pair(pair, (before,), status=after):
            raise DomainError(_("This pair is “%(now)s”; that cannot be done now.",
                                now=PAIR_STATUS[db.session.scalar(select(Pair.status).where(Pair.id == pair.id))]))
        record(actor, f"pair.{action}", pair)
        said = {"confirm": lambda: _("Your pair with %(who)s is confirmed: it has started.", who=names_of(pair)),
                "pause": lambda: _("Your pair with %(who)s is paused for now.", who=names_of(pair)),
                "resume": lambda: _("Your pair with %(who)s has resumed.", who=names_of(pair))}[action]
        _tell_members(pair, "pair.started" if action == "confirm" else "pair.paused",
                      [m.volunteer_id for m in pair.current_members], said)
    return pair


def end(actor, pair: Pair, reason: str, note: str, no_rematch: bool, today: date) -> Pair:
    """Close a pair: places go back to the offers; each need is done, closed, or back on the menu."""
    if pair.status == "ended":
        raise DomainError(_("This pair has already ended."))
    if reason not in END_REASONS:
        raise DomainError(_("Please choose why the pair ends."), "reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise DomainError(_("Please say in a few words why the pair ends."), "note")
    if len(note) > 200:
        raise DomainError(_("The note can have at most 200 characters."), "note")
    with saving(_("The pair could not be saved. Please try again.")):
        if not ending(actor, pair, reason, note, no_rematch, today):
            raise DomainError(_("This pair has already ended."))
    return pair


def ending(actor, pair: Pair, reason: str, note: str, no_rematch: bool, today: date) -> bool:
    """End a pair inside the caller's transaction (a school year rolling over ends many with everything else);
    False if it had already ended."""
    if not _claim_pair(pair, OPEN_STATUSES, status="ended", end_reason=reason, end_note=note,
                       no_rematch=bool(no_rematch), ended_on=today):
        return False
    _tell_members(pair, "pair.ended", [m.volunteer_id for m in pair.current_members], lambda: _(
        "Your pair with %(who)s has ended: %(reason)s. Thank you.", who=names_of(pair), reason=END_REASONS[reason]))
    for member in pair.current_members:
        _release_places(member)
    for need in pair.needs:
        _after_pair(need, reason, note)
    record(actor, "pair.end", pair, f"{reason} no_rematch={bool(no_rematch)} {note}".strip())
    return True


def names_of(pair: Pair) -> str:
    """The pair's beneficiaries, as its notices name them."""
    return "、".join(beneficiary_name(n) for n in pair.needs)


def _tell_members(pair: Pair, kind: str, volunteer_ids: list[int], text) -> None:
    """A notice to the pair's volunteers, in the transaction of the change, leading to the pair."""
    notices.notify(notices.volunteer_readers(volunteer_ids), kind, f"pair:{pair.id}", text,
                   notices.link("pairs.show", pair_id=pair.id), due=local_now())


def _tell_class_teachers(needs: list[Need], volunteer_names: list[str]) -> None:
    """Each class teacher whose student's need was just matched (a need of a young teacher has no class)."""
    for need in needs:
        if need.student is None:
            continue
        teachers = [t for t in need.student.school_class.teachers if t.active] if need.student.school_class else []
        notices.notify(teachers, "need.matched", f"need:{need.id}", lambda need=need: _(
            "The need of %(student)s (%(what)s) now has a volunteer: %(volunteers)s.", student=need.student.name,
            what=need.category.name, volunteers="、".join(volunteer_names)),
            notices.link("needs.show", need_id=need.id), due=local_now())


def pair_ids_of_students(student_ids):
    """The ids of every pair, running or ended, that met a need of these students (a list or a subquery)."""
    return select(PairNeed.pair_id).join(Need, Need.id == PairNeed.need_id).where(Need.student_id.in_(student_ids))


def running_pairs_of(student_ids) -> list[Pair]:
    """The pairs still running or paused for any of these students' needs."""
    return list(db.session.scalars(
        select(Pair).where(Pair.status.in_(OPEN_STATUSES),
                           Pair.pair_needs.any(PairNeed.need.has(Need.student_id.in_(student_ids))))
        .order_by(Pair.id)))


def _after_pair(need: Need, reason: str, note: str):
    if need.status != "matched":
        return
    if reason == "goal":
        need.status, need.closed_at = "done", utcnow()
    elif reason in ("graduated", "transferred") or (need.student and not need.student.active):
        need.status, need.closed_at = "closed", utcnow()
        need.close_reason = str(END_REASONS[reason]) if reason in ("graduated", "transferred") else note
    else:  # the beneficiary still needs help: back on the menu for a new volunteer
        need.status, need.closed_at = "open", None


def replace_volunteer(actor, pair: Pair, member: PairVolunteer, offer: Offer) -> Pair:
    """换人: the old volunteer leaves (their notes stay with them), the new one takes the same places."""
    if pair.status == "ended":
        raise DomainError(_("This pair has already ended."))
    if member.pair_id != pair.id or member.left_at is not None:
        raise DomainError(_("Please choose a volunteer of this pair."), "member")
    if offer.school_id != actor.school_id or offer.status != "active" or not offer.volunteer.active:
        raise DomainError(_("This offer is not available now."), "offer_id")
    if offer.volunteer_id in {m.volunteer_id for m in pair.current_members}:
        raise DomainError(_("This volunteer is already in the pair."), "offer_id")
    if blocked_between({offer.volunteer_id}, pair.needs):
        raise DomainError(_("An earlier pair of these people was closed as “do not pair again”."), "offer_id")
    with saving(_("The pair could not be saved. Please try again.")):
        if not _claim_pair(pair, OPEN_STATUSES, updated_at=utcnow()):
            raise DomainError(_("This pair has already ended."))
        if not _release_places(member):
            raise DomainError(_("Please choose a volunteer of this pair."), "member")
        _take_places(offer, member.places, "offer_id")
        db.session.add(PairVolunteer(pair_id=pair.id, volunteer_id=offer.volunteer_id, offer_id=offer.id,
                                     places=member.places))
        record(actor, "pair.reassign", pair, f"volunteer {member.volunteer_id}→{offer.volunteer_id}")
    db.session.refresh(pair)
    return pair


def volunteer_leaves(actor, volunteer_id: int, today: date) -> int:
    """A deactivated volunteer leaves every running pair: one shared with other volunteers goes on with them, one
    they held alone ends with the reason “volunteer’s reasons” (its needs go back on the menu for someone else).
    Returns how many pairs they left."""
    members = db.session.scalars(
        select(PairVolunteer).join(Pair).where(PairVolunteer.volunteer_id == volunteer_id,
                                               PairVolunteer.left_at.is_(None), Pair.status.in_(OPEN_STATUSES))).all()
    left = 0
    for member in members:
        pair = member.pair
        try:
            if any(m.volunteer_id != volunteer_id for m in pair.current_members):
                with saving(_("The pair could not be saved. Please try again.")):
                    if _claim_pair(pair, OPEN_STATUSES, updated_at=utcnow()) and _release_places(member):
                        record(actor, "pair.leave", pair, f"volunteer={volunteer_id} deactivated")
            else:
                end(actor, pair, "volunteer", _("The volunteer was deactivated."), False, today)
        except DomainError:  # ended meanwhile by someone else: nothing left to do
            continue
        left += 1
    return left


def student_leaves(actor, student_id: int, today: date) -> int:
    """The running pairs of a deactivated student end; their needs close with the reason. Returns how many."""
    ended = 0
    for pair in running_pairs_of([student_id]):
        try:
            end(actor, pair, "other", _("The student’s record was deactivated."), False, today)
        except DomainError:
            continue
        ended += 1
    return ended


# --- term renewal -----------------------------------------------------------------------------

def _following(school_id: int, term: Term) -> tuple[Term | None, str, date, date]:
    """The term after `term`: the school's next one if it has set it up, else the standard one after it. A term is
    known by its middle, not its last day: a 第一学期 that ends in late January is followed by the 第二学期, not by
    the 第一学期 that January also belongs to."""
    later = db.session.scalar(select(Term).where(Term.school_id == school_id, Term.starts_on > term.starts_on)
                              .order_by(Term.starts_on).limit(1))
    if later is not None:
        return later, later.name, later.starts_on, later.ends_on
    _name, _starts, standard_end = term_for(term.starts_on + (term.ends_on - term.starts_on) / 2)
    name, starts, ends = term_for(standard_end + timedelta(days=1))
    found = db.session.scalar(select(Term).where(Term.school_id == school_id, Term.name == name))
    return found, name, starts, ends


def next_term(school_id: int, term: Term) -> Term:
    found, name, starts, ends = _following(school_id, term)
    if found:
        return found
    found = Term(school_id=school_id, name=name, starts_on=starts, ends_on=ends)
    db.session.add(found)
    db.session.flush()
    return found


@dataclass
class Renewal:
    term: Term
    next_name: str
    renew: list[Pair]
    close: list[tuple[Pair, str]]  # with why it should close rather than renew


def renewal(school_id: int, term: Term) -> Renewal:
    """The term's open pairs split into those to carry over and those to close, with the reason."""
    pairs = db.session.scalars(select(Pair).where(Pair.school_id == school_id, Pair.term_id == term.id,
                                                  Pair.status.in_(OPEN_STATUSES))
                                .order_by(Pair.id).options(*card_options())).all()
    renew, close = [], []
    for pair in pairs:
        why = _why_close(pair, term)
        (close.append((pair, why)) if why else renew.append(pair))
    return Renewal(term, _following(school_id, term)[1], renew, close)


def _why_close(pair: Pair, term: Term) -> str:
    if pair.status == "pending":
        return _("never confirmed")
    for need in pair.needs:
        person = need.student or need.young_teacher
        if not person.active:
            return _("%(name)s is no longer at school", name=person.name)
        if need.student and need.student.school_class.grade in (6, 9, 12) and term.ends_on.month >= 6:
            return _("%(name)s finishes %(grade)s", name=person.name, grade=need.student.school_class.label)
    if not any(m.volunteer.active for m in pair.current_members):
        return _("the volunteer is no longer active")
    return ""


def renew(actor, school_id: int, term: Term, pair_ids: set[int]) -> tuple[Term, int]:
    plan = renewal(school_id, term)
    chosen = [p for p in plan.renew if p.id in pair_ids]
    with saving(_("The pairs could not be renewed. Please try again.")):
        target = next_term(school_id, term)
        for pair in chosen:
            pair.term_id = target.id
            for need in pair.needs:
                need.term_id = target.id
            record(actor, "pair.renew", pair, f"{term.name}→{target.name}")
    return target, len(chosen)


# --- visits ------------------------------------------------------------------------------------

def add_visit(actor, pair: Pair, volunteer_id: int, data: dict, today: date,
              submit_token: str | None = None) -> tuple[Visit, bool]:
    """A visit record and, with it, a pending hours claim for the volunteer."""
    earlier = earlier_submit(Visit, submit_token)
    if earlier is not None:
        return earlier, False
    if pair.status in ("paused", "ended"):
        raise DomainError(_("Visits cannot be recorded for a pair that is “%(now)s”.", now=pair.status_label))
    if volunteer_id not in {m.volunteer_id for m in pair.current_members}:
        raise DomainError(_("Please choose a volunteer of this pair."), "volunteer_id")
    day = data["visited_on"]
    if day > today:
        raise DomainError(_("The date cannot be in the future."), "visited_on")
    if day < pair.started_on:
        from ..core.display import cn_day

        raise DomainError(_("The date cannot be before the pair started (%(day)s).", day=cn_day(pair.started_on)),
                          "visited_on")
    if data["mode"] not in VISIT_MODES:
        raise DomainError(_("Please choose how you met."), "mode")
    hours = parse_hours(data["hours"])
    content, follow_up = (data.get("content") or "").strip(), (data.get("follow_up") or "").strip()
    if not content:
        raise DomainError(_("Please write what you did, in a sentence or two."), "content")
    if len(content) > MAX_TEXT or len(follow_up) > MAX_TEXT:
        raise DomainError(_("Please keep it under %(n)d characters.", n=MAX_TEXT),
                          "content" if len(content) > MAX_TEXT else "follow_up")
    visit = Visit(school_id=pair.school_id, pair_id=pair.id, volunteer_id=volunteer_id, visited_on=day,
                  mode=data["mode"], hours=hours, content=content, follow_up=follow_up, recorded_by_id=actor.id,
                  submit_token=submit_token or None)

    def write():
        # A first visit shows the pair has started; one paused or ended meanwhile takes no visit.
        if not _claim_pair(pair, ("pending", "active"), status="active"):
            raise DomainError(_("Visits cannot be recorded for a pair that is “%(now)s”.",
                                now=PAIR_STATUS[db.session.scalar(select(Pair.status).where(Pair.id == pair.id))]))
        check_day(volunteer_id, day, hours)
        db.session.add(visit)
        db.session.flush()
        db.session.add(HourEntry(school_id=pair.school_id, volunteer_id=volunteer_id, worked_on=day, hours=hours,
                                 activity="pair_visit", pair_id=pair.id, visit_id=visit.id,
                                 note=content[:500], entered_by_id=actor.id, on_behalf=actor.volunteer_id != volunteer_id))
        if pair.last_visit_on is None or day > pair.last_visit_on:
            pair.last_visit_on = day
        record(actor, "visit.create", visit, f"pair={pair.id} hours={hours}")
        return visit

    return save_once(Visit, submit_token, _("The visit could not be saved. Please try again."), write)


def visits_for(user, pair: Pair) -> list[Visit]:
    """Staff and the class teacher see every visit; a volunteer only those of the pair's current volunteers,
    so after a reassignment the new volunteer does not read the previous one's notes."""
    stmt = select(Visit).where(Visit.pair_id == pair.id, scope(user, Visit))
    return db.session.scalars(stmt.order_by(Visit.visited_on.desc(), Visit.id.desc())).all()


# --- follow-up and lists -----------------------------------------------------------------------

def since(pair: Pair) -> date:
    return pair.last_visit_on or pair.started_on


def follow_state(pair: Pair, today: date) -> str:
    """'' for a pair that is fine or not running, else 'attention' (14 days) or 'overdue' (30)."""
    if pair.status != "active":
        return ""
    days = (today - since(pair)).days
    return "overdue" if days >= OVERDUE_DAYS else "attention" if days >= ATTENTION_DAYS else ""


def due_on(pair: Pair) -> date:
    return since(pair) + timedelta(days=ATTENTION_DAYS)


FOLLOW = ("due", "attention", "overdue")


@dataclass
class PairFilters:
    q: str = ""
    status: str = "open"
    kind: str = ""
    follow: str = ""
    term_id: int | None = None

    @classmethod
    def from_args(cls, args, clean):
        status = args.get("status", "open")
        return cls(q=clean(args.get("q")),
                   status=status if status in PAIR_STATUS or status in ("open", "all") else "open",
                   kind=args.get("kind") if args.get("kind") in PAIR_KINDS else "",
                   follow=args.get("follow") if args.get("follow") in FOLLOW else "",
                   term_id=int_arg(args, "term_id"))

    def args(self) -> dict:
        out = {"q": self.q, "status": self.status if self.status != "open" else "", "kind": self.kind,
               "follow": self.follow, "term_id": self.term_id}
        return {k: v for k, v in out.items() if v}


def _scope(user):
    return select(Pair).where(scope(user, Pair))


def _follow_clause(follow: str, today: date):
    base = func.coalesce(Pair.last_visit_on, Pair.started_on)
    attention, overdue = today - timedelta(days=ATTENTION_DAYS), today - timedelta(days=OVERDUE_DAYS)
    clause = {"due": base <= attention, "attention": (base <= attention) & (base > overdue),
              "overdue": base <= overdue}[follow]
    return (Pair.status == "active") & clause


def pair_list(user, f: PairFilters, today: date):
    stmt = _scope(user)
    if f.status == "open":
        stmt = stmt.where(Pair.status.in_(OPEN_STATUSES))
    elif f.status != "all":
        stmt = stmt.where(Pair.status == f.status)
    if f.kind:
        stmt = stmt.where(Pair.kind == f.kind)
    if f.follow:
        stmt = stmt.where(_follow_clause(f.follow, today))
    if f.term_id:
        stmt = stmt.where(Pair.term_id == f.term_id)
    if f.q:
        like = f"%{f.q}%"
        # Correlated and kept to the school: unbounded, both databases read every school's pairs, and PostgreSQL
        # every student of the district.
        people = (select(PairNeed.id).join(Need, Need.id == PairNeed.need_id)
                  .outerjoin(Student, Student.id == Need.student_id)
                  .outerjoin(YoungTeacher, YoungTeacher.id == Need.young_teacher_id)
                  .where(PairNeed.pair_id == Pair.id, Need.school_id == user.school_id,
                         or_(Student.name.ilike(like), YoungTeacher.name.ilike(like))))
        helpers = (select(PairVolunteer.id).join(Volunteer, Volunteer.id == PairVolunteer.volunteer_id)
                   .where(PairVolunteer.pair_id == Pair.id, Volunteer.school_id == user.school_id,
                          Volunteer.name.ilike(like)))
        stmt = stmt.where(or_(people.exists(), helpers.exists()))
    # Longest without a visit first: that is who needs a call.
    return stmt.order_by(func.coalesce(Pair.last_visit_on, Pair.started_on), Pair.id)


def card_options():
    """What a pair card shows (beneficiaries with class, category, current volunteers): two statements a page."""
    return (selectinload(Pair.pair_needs).joinedload(PairNeed.need).options(
                joinedload(Need.student).joinedload(Student.school_class), joinedload(Need.young_teacher),
                joinedload(Need.category)),
            selectinload(Pair.members).joinedload(PairVolunteer.volunteer))


def pair_cards(user, f: PairFilters, today: date):
    return pair_list(user, f, today).options(*card_options())


def due_count_query(user, today: date):
    return select(func.count()).select_from(_scope(user).where(_follow_clause("due", today)).subquery())


def due_count(user, today: date) -> int:
    return db.session.scalar(due_count_query(user, today)) or 0


def pairs_of_volunteer(volunteer_id: int):
    return db.session.scalars(
        select(Pair).join(PairVolunteer, PairVolunteer.pair_id == Pair.id)
        .where(PairVolunteer.volunteer_id == volunteer_id, PairVolunteer.left_at.is_(None),
               Pair.status.in_(OPEN_STATUSES))
        .order_by(func.coalesce(Pair.last_visit_on, Pair.started_on), Pair.id).options(*card_options())).all()


def follow_ups(volunteer_id: int, pair_ids) -> dict[int, str]:
    """The follow-up note of this volunteer's latest visit in each pair: what is due next."""
    out = {}
    for pair_id, text in db.session.execute(
            select(Visit.pair_id, Visit.follow_up).where(Visit.volunteer_id == volunteer_id, Visit.pair_id.in_(pair_ids))
            .order_by(Visit.visited_on, Visit.id)).all():
        out[pair_id] = text
    return {k: v for k, v in out.items() if v}


def pairs_of_need(need: Need, with_members: bool = False):
    stmt = select(Pair).join(PairNeed, PairNeed.pair_id == Pair.id).where(PairNeed.need_id == need.id)
    if with_members:
        stmt = stmt.options(selectinload(Pair.members).joinedload(PairVolunteer.volunteer))
    return db.session.scalars(stmt.order_by(Pair.id.desc())).all()


def class_label(need: Need) -> str:
    if need.student:
        return need.student.school_class.label
    return _("Young teacher")
