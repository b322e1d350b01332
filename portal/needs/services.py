"""Needs: the list with its filters, saving, status changes and the committee board. Each write commits."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.listing import int_arg
from ..core.models import utcnow
from ..core.submit_token import earlier_submit, save_once
from ..extensions import db
from ..menus.services import usable_category
from ..offers.models import Offer
from ..people.models import Category, SchoolClass, Student, YoungTeacher, student_tags
from ..permissions import can, scope, visible
from .models import NEED_STATUS, Need

# Status changes a person may make; 已对接 is set by pairing, not by hand.
TRANSITIONS = {
    "open": ("closed",),
    "matched": ("done", "closed"),
    "done": ("open",),
    "closed": ("open",),
}
SORTS = ("new", "urgency", "waiting", "class")
_PLACE = re.compile(r"[gc][0-9]{1,9}")  # "g3" a grade, "c12" a class


@dataclass
class NeedFilters:
    q: str = ""
    category_id: int | None = None
    status: str = ""
    place: str = ""  # "g3" a grade, "c12" a class
    urgency: int | None = None
    slot: int | None = None
    has_tags: bool = False
    beneficiary: str = ""  # "student" or "young_teacher"
    term_id: int | None = None
    sort: str = "new"

    @classmethod
    def from_args(cls, args, clean):
        status = args.get("status", "")
        sort = args.get("sort", "new")
        place = args.get("place", "")
        return cls(
            q=clean(args.get("q")),
            category_id=int_arg(args, "category_id"),
            status=status if status in NEED_STATUS or status == "active" else "",
            place=place if _PLACE.fullmatch(place) else "",
            urgency=int_arg(args, "urgency"),
            slot=int_arg(args, "slot"),
            has_tags=args.get("has_tags") == "1",
            beneficiary=args.get("beneficiary") if args.get("beneficiary") in ("student", "young_teacher") else "",
            term_id=int_arg(args, "term_id"),
            sort=sort if sort in SORTS else "new",
        )

    def args(self) -> dict:
        """The filters as query arguments, for links that keep them (export, pages)."""
        out = {"q": self.q, "category_id": self.category_id, "status": self.status, "place": self.place,
               "urgency": self.urgency, "slot": self.slot, "has_tags": "1" if self.has_tags else "",
               "beneficiary": self.beneficiary, "term_id": self.term_id,
               "sort": self.sort if self.sort != "new" else ""}
        return {k: v for k, v in out.items() if v}


def _scope(user):
    return select(Need).where(scope(user, Need))


def need_list(user, f: NeedFilters):
    # The school's students only: told no more, PostgreSQL hashed all the district's 30 000 to join 187 needs.
    stmt = (_scope(user).outerjoin(Student, (Need.student_id == Student.id) & (Student.school_id == user.school_id))
            .outerjoin(SchoolClass, Student.class_id == SchoolClass.id)
            .outerjoin(YoungTeacher, Need.young_teacher_id == YoungTeacher.id))
    if f.q:
        like = f"%{f.q}%"
        conds = [Student.name.ilike(like), YoungTeacher.name.ilike(like), Need.detail.ilike(like),
                 Need.skills.ilike(like), Student.student_no.like(f"{f.q}%")]
        if f.q.isascii() and f.q.isalpha():
            conds += [Student.name_initials.like(f"{f.q.lower()}%"), YoungTeacher.name_initials.like(f"{f.q.lower()}%")]
        stmt = stmt.where(or_(*conds))
    if f.category_id:
        stmt = stmt.where(Need.category_id == f.category_id)
    if f.status == "active":
        stmt = stmt.where(Need.status.in_(("open", "matched")))
    elif f.status:
        stmt = stmt.where(Need.status == f.status)
    if f.place.startswith("g"):
        stmt = stmt.where(SchoolClass.grade == int(f.place[1:]))
    elif f.place.startswith("c"):
        stmt = stmt.where(Student.class_id == int(f.place[1:]))
    if f.urgency:
        stmt = stmt.where(Need.urgency == f.urgency)
    if f.slot:
        stmt = stmt.where(or_(Need.slots == 0, Need.slots.op("&")(f.slot) != 0))
    if f.has_tags and can(user, "students.sensitive"):
        stmt = stmt.where(Need.student_id.in_(select(student_tags.c.student_id)))
    if f.beneficiary == "student":
        stmt = stmt.where(Need.student_id.is_not(None))
    elif f.beneficiary == "young_teacher":
        stmt = stmt.where(Need.young_teacher_id.is_not(None))
    if f.term_id:
        stmt = stmt.where(Need.term_id == f.term_id)
    order = {
        "new": (Need.created_at.desc(), Need.id.desc()),
        "urgency": (Need.urgency.desc(), Need.created_at, Need.id),
        "waiting": (case((Need.status == "open", 0), else_=1), Need.created_at, Need.id),
        "class": (SchoolClass.grade, SchoolClass.name, Student.name_initials, YoungTeacher.name_initials, Need.id),
    }[f.sort]
    return stmt.order_by(*order)


def need_cards(user, f: NeedFilters):
    """need_list with what a card shows loaded with the page: the list already joins the beneficiary tables."""
    return need_list(user, f).options(
        contains_eager(Need.student).contains_eager(Student.school_class), contains_eager(Need.young_teacher),
        joinedload(Need.category), joinedload(Need.created_by))


def page_options():
    """What one need's page shows, loaded with the need."""
    return (joinedload(Need.student).joinedload(Student.school_class), joinedload(Need.young_teacher),
            joinedload(Need.category), joinedload(Need.created_by), joinedload(Need.term))


def open_count_query(user):
    return select(func.count()).select_from(_scope(user).where(Need.status == "open").subquery())


def open_count(user) -> int:
    """The menu badge's number, sent again out of band when a card changes it."""
    return db.session.scalar(open_count_query(user)) or 0


def _check_refs(actor, data: dict):
    """Every referenced row must belong to the actor's school and be theirs to use."""
    usable_category(actor, data["category_id"])
    if data.get("young_teacher_id"):
        if not can(actor, "needs.manage"):
            raise DomainError(_("Only the committee office raises needs for young teachers."), "young_teacher_id")
        teacher = db.session.get(YoungTeacher, data["young_teacher_id"])
        if teacher is None or teacher.school_id != actor.school_id or not teacher.active:
            raise DomainError(_("Please choose a young teacher from the list."), "young_teacher_id")
        return None, teacher
    student = db.session.get(Student, data.get("student_id") or 0)
    if student is None or not student.active or not visible(actor, student):
        raise DomainError(_("Please choose a student of your classes."), "student_id")
    return student, None


def save_need(actor, need: Need | None, data: dict, term, submit_token: str | None = None,
              help_request=None) -> tuple[Need, bool]:
    """Create or update a need. Returns (need, created); a repeated submit returns the first need.

    A need made from a help request marks that request as taken on, in the same transaction.
    """
    earlier = earlier_submit(Need, submit_token) if need is None else None
    if earlier is not None:
        return earlier, False
    if help_request is not None and help_request.status != "new":
        raise DomainError(_("This help request has already been handled."))
    student, teacher = _check_refs(actor, data)
    if term is None or term.school_id != actor.school_id:
        raise DomainError(_("Please choose a term from the list."), "term_id")
    creating = need is None
    need = need or Need(school_id=actor.school_id, created_by_id=actor.id, submit_token=submit_token or None)
    need.student_id = student.id if student else None
    need.young_teacher_id = teacher.id if teacher else None
    need.term_id = term.id
    for key in ("category_id", "detail", "skills", "urgency", "slots", "modes"):
        setattr(need, key, data[key])

    def write():
        db.session.add(need)
        db.session.flush()
        record(actor, "need.create" if creating else "need.update", need)
        if creating and help_request is not None:
            _take_on(actor, help_request, need)
        return need

    saved, fresh = save_once(Need, submit_token if creating else None,
                             _("The need could not be saved. Please try again."), write)
    return saved, fresh and creating


def _take_on(actor, help_request, need):
    help_request.status, help_request.need_id = "need", need.id
    help_request.handled_by_id, help_request.handled_at = actor.id, utcnow()
    record(actor, "help.to_need", help_request, f"need={need.id}")


def note_tag_filter(actor, f: NeedFilters) -> None:
    """Filtering by support tags reveals who has them: that is a view of sensitive data."""
    with saving():
        record(actor, "needs.filter.support_tags", None, f"q={f.q} place={f.place}")


def set_status(actor, need: Need, status: str, reason: str = "") -> Need:
    if status not in NEED_STATUS:  # not one of ours: refused without quoting it back (a flash rides in the cookie)
        raise DomainError(_("Please choose a status from the list."), "status")
    if status not in TRANSITIONS.get(need.status, ()):
        raise DomainError(_("A need that is “%(now)s” cannot become “%(then)s”.",
                            now=NEED_STATUS[need.status], then=NEED_STATUS[status]), "status")
    reason = (reason or "").strip()
    if status == "closed" and not reason:
        raise DomainError(_("Please give the reason for closing."), "reason")
    if len(reason) > 200:
        raise DomainError(_("The reason can have at most 200 characters."), "reason")
    with saving():
        old = need.status
        need.status = status
        need.close_reason = reason if status == "closed" else ""
        need.closed_at = utcnow() if status in ("done", "closed") else None
        record(actor, "need.status", need, f"{old}→{status} {reason}".strip())
    return need


def board(school_id: int) -> list[dict]:
    """Per category: needs waiting, of them urgent, offers available and their free places."""
    needs = dict(db.session.execute(
        select(Need.category_id, func.count()).where(Need.school_id == school_id, Need.status == "open")
        .group_by(Need.category_id)).all())
    urgent = dict(db.session.execute(
        select(Need.category_id, func.count()).where(Need.school_id == school_id, Need.status == "open",
                                                     Need.urgency == 3).group_by(Need.category_id)).all())
    offers = {cid: (n, free) for cid, n, free in db.session.execute(
        select(Offer.category_id, func.count(), func.coalesce(func.sum(Offer.capacity - Offer.used), 0))
        .where(Offer.school_id == school_id, Offer.status == "active").group_by(Offer.category_id)).all()}
    rows = []
    for c in db.session.scalars(select(Category).where(Category.school_id == school_id)
                                .order_by(Category.sort_order, Category.id)):
        n_offers, free = offers.get(c.id, (0, 0))
        waiting = needs.get(c.id, 0)
        if not c.active and not waiting and not n_offers:
            continue
        rows.append({"category": c, "needs": waiting, "urgent": urgent.get(c.id, 0), "offers": n_offers,
                     "free": int(free), "short": max(waiting - int(free), 0)})
    return rows
