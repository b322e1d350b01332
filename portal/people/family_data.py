"""A family's own data: the workbook a guardian downloads (PIPL Art. 45), and the erasure of a child's sensitive
data a guardian asks for and the office confirms (Art. 47). This module sits above the domains it reads and erases,
as leaving.py."""
from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select, update

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..core.xlsx import local_date, workbook_bytes, write_sheet
from ..extensions import db
from ..help_requests.models import HelpRequest
from ..pairs import services as pairs
from ..pairs.models import Visit
from ..registrations.models import Registration
from .models import STUDENT_STATUSES, ErasureRequest, Family, Student


def family_workbook(actor, family: Family) -> bytes:
    """What the portal holds about the family: its guardians, its children with their consents, its registrations
    and its help requests. Audited. The school's own care records (support tags, family notes) never reach a parent's
    screen or file (tests/test_privacy.py); a guardian asks the office for them, or for their erasure."""
    wb = Workbook()
    ws = wb.active
    ws.title = "家庭"
    write_sheet(ws, [("家庭", 16), ("地址", 30)], [[family.name, family.address]])
    write_sheet(wb.create_sheet("监护人"), [("姓名", 12), ("关系", 10), ("手机号", 15)],
                [[g.name, g.relation, g.mobile] for g in family.guardians])
    write_sheet(wb.create_sheet("孩子"), [("姓名", 10), ("性别", 6), ("出生日期", 12), ("学籍号", 22), ("班级", 12),
                                         ("在校情况", 10), ("信息使用同意", 30)],
                [[c.name, c.gender, c.birth_date, c.student_no, c.school_class.label, str(STUDENT_STATUSES[c.status]),
                  "；".join(f"{k.given_on.isoformat()} {k.method}" + (f"，{local_date(k.withdrawn_at)} 撤回"
                                                                    if k.withdrawn_at else "") for k in c.consents)]
                 for c in family.children], date_columns=(3,))
    registrations = db.session.scalars(select(Registration).where(Registration.family_id == family.id)
                                       .order_by(Registration.id))
    write_sheet(wb.create_sheet("家长学校和活动"), [("名称", 30), ("孩子", 10), ("状态", 10), ("签到", 12)],
                [[r.holder.label if r.session_id else r.holder.title, r.student.name, str(r.status_label),
                  local_date(r.attended_at)] for r in registrations], date_columns=(4,))
    requests = db.session.scalars(select(HelpRequest).where(HelpRequest.family_id == family.id)
                                  .order_by(HelpRequest.id))
    write_sheet(wb.create_sheet("求助"), [("日期", 12), ("孩子", 10), ("类别", 12), ("内容", 40), ("回复", 40)],
                [[local_date(h.created_at), h.student.name, h.category.name, h.detail, h.reply] for h in requests],
                date_columns=(1,))
    with saving():
        record(actor, "family.export", family)
    return workbook_bytes(wb)


def ask_erasure(actor, student: Student) -> ErasureRequest:
    """A guardian asks for their child's sensitive data to be erased; one open request per child."""
    family = actor.family
    if family is None or student.family_id != family.id:
        raise DomainError(_("Please choose a child of your family."))
    open_request = db.session.scalar(select(ErasureRequest).where(ErasureRequest.student_id == student.id,
                                                                  ErasureRequest.status == "pending"))
    if open_request is not None:
        return open_request
    request = ErasureRequest(school_id=student.school_id, student_id=student.id, requested_by_id=actor.id)
    with saving():
        db.session.add(request)
        db.session.flush()
        record(actor, "erasure.request", student)
    return request


def pending_requests(school_id: int) -> list[ErasureRequest]:
    return list(db.session.scalars(select(ErasureRequest).where(ErasureRequest.school_id == school_id,
                                                                ErasureRequest.status == "pending")
                                   .order_by(ErasureRequest.requested_at)))


def pending_for(family: Family) -> set[int]:
    """The children of the family with a request waiting for the office."""
    return set(db.session.scalars(select(ErasureRequest.student_id).where(
        ErasureRequest.student_id.in_([c.id for c in family.children]), ErasureRequest.status == "pending")))


def confirm_erasure(actor, request: ErasureRequest) -> None:
    """Erase the child's sensitive data: support tags, consents (withdrawn), the family's notes, what help requests
    and the notes of visits about the child say. The child's record, pairs, hours and figures stay."""
    if request.status != "pending":
        raise DomainError(_("This request has already been handled."))
    student = request.student
    with saving():
        claimed = db.session.execute(update(ErasureRequest).where(ErasureRequest.id == request.id,
                                                                  ErasureRequest.status == "pending")
                                     .values(status="done", handled_by_id=actor.id, handled_at=utcnow()))
        if claimed.rowcount != 1:
            raise DomainError(_("This request has already been handled."))
        student.support_tags = []
        for consent in student.consents:
            consent.withdrawn_at = consent.withdrawn_at or utcnow()
        if student.family is not None:
            student.family.notes = ""
        db.session.execute(update(HelpRequest).where(HelpRequest.student_id == student.id)
                           .values(detail="", reply="", contact_phone="", contact_time=""))
        db.session.execute(update(Visit).where(Visit.pair_id.in_(pairs.pair_ids_of_students([student.id])))
                           .values(content="", follow_up=""))
        record(actor, "erasure.done", student, f"request={request.id}")
