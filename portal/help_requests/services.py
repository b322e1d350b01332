"""Help requests: a parent submits, staff answer or turn them into a need. Each write commits."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..core.submit_token import earlier_submit, save_once
from ..extensions import db
from ..menus.services import usable_category
from ..notices import services as notices
from ..people.models import Student
from ..permissions import scope
from .models import HELP_STATUS, HelpRequest


def _scope(user):
    return select(HelpRequest).where(scope(user, HelpRequest))


def help_list(user, status=""):
    stmt = _scope(user)
    if status in HELP_STATUS:
        stmt = stmt.where(HelpRequest.status == status)
    return stmt.order_by(HelpRequest.status != "new", HelpRequest.urgency.desc(), HelpRequest.created_at.desc(),
                         HelpRequest.id.desc())


def open_count_query(user):
    """For staff, requests waiting to be handled; for a parent, their own not yet answered."""
    return select(func.count()).select_from(_scope(user).where(HelpRequest.status == "new").subquery())


def submit(actor, data: dict, submit_token: str) -> tuple[HelpRequest, bool]:
    family = actor.family
    earlier = earlier_submit(HelpRequest, submit_token)
    if earlier is not None:
        return earlier, False
    student = db.session.get(Student, data["student_id"] or 0)
    if family is None or student is None or student.family_id != family.id or not student.active:
        raise DomainError(_("Please choose one of your children."), "student_id")
    usable_category(actor, data["category_id"], _("Please choose a kind of help from the list."))
    if data["contact_method"] == "电话" and not data["contact_phone"]:
        raise DomainError(_("Please leave a phone number so we can call you."), "contact_phone")
    req = HelpRequest(school_id=actor.school_id, family_id=family.id, submitted_by_id=actor.id,
                      submit_token=submit_token, **data)

    def write():
        db.session.add(req)
        db.session.flush()
        record(actor, "help.submit", req)
        return req

    return save_once(HelpRequest, submit_token, _("The request could not be sent. Please try again."), write)


def answer(actor, req: HelpRequest, reply: str) -> HelpRequest:
    if req.status != "new":
        raise DomainError(_("This help request has already been handled."))
    reply = (reply or "").strip()
    if not reply:
        raise DomainError(_("Please write the answer the family will see."), "reply")
    with saving():
        req.status, req.reply, req.handled_by_id, req.handled_at = "answered", reply, actor.id, utcnow()
        record(actor, "help.answer", req)
        notices.notify(notices.family_readers(req.family_id), "help.answered", f"help:{req.id}",
                       lambda: _("The committee office answered your help request for %(child)s.",
                                 child=req.student.name),
                       notices.link("help.show", help_id=req.id))
    return req
