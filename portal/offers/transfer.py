"""The offers menu (资源菜单) as an Excel sheet: exported with the list's filters, imported through the shared preview.

Staff import offers on volunteers' behalf; a row names its volunteer, with the phone number when two share a name.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..imports.services import (
    MAX_DETAIL,
    MAX_SKILLS,
    Checked,
    Column,
    Lookup,
    category_of,
    check_each,
    column_of,
    has_control,
    masks,
    menu_template,
    menu_workbook,
    register_kind,
    text_value,
)
from ..menus.slots import modes_text_zh, slots_text_zh
from ..people.models import Term, Volunteer
from .models import MAX_CAPACITY, Offer
from .services import offer_list

OFFER_STATUS_ZH = {"active": "可对接", "paused": "暂停"}
STATUS_BY_WORD = {word: status for status, word in OFFER_STATUS_ZH.items()}

OFFER_COLUMNS = (
    Column("志愿者", "volunteer", 12, True, "张建国"),
    Column("手机号", "phone", 14, example="13900000000"),
    Column("类别", "category", 12, True, "学业辅导"),
    Column("科目/技能", "skills", 16, example="数学, 书法"),
    Column("说明", "detail", 36, example="退休数学教师，可辅导初中数学"),
    Column("时间段", "slots", 24, example="周六上午"),
    Column("方式", "modes", 14, example="面对面"),
    Column("可同时帮扶人数", "capacity", 10, example="2"),
    Column("状态", "status", 10, example="可对接"),
)

OFFER_EXPORT = [("编号", 8), ("志愿者", 10), ("手机号", 14), ("五老类别", 10), ("类别", 12), ("科目/技能", 16),
                ("说明", 36), ("时间段", 24), ("方式", 14), ("可同时帮扶人数", 10), ("已对接人数", 10), ("状态", 10),
                ("代填", 8)]


def _offer_row(o: Offer) -> list:
    v = o.volunteer
    return [o.id, v.name, v.phone, v.kind, o.category.name, o.skills, o.detail, slots_text_zh(o.slots),
            modes_text_zh(o.modes), o.capacity, o.used, OFFER_STATUS_ZH.get(o.status, o.status), "是" if o.on_behalf else "否"]


OFFER_RULES = {  # the template's 说明 of the offers' own columns
    "volunteer": "必填，志愿者姓名（须已在系统中登记）。",
    "phone": "选填。有同名志愿者时，按姓名 + 手机号区分。",
    "detail": f"选填，最多 {MAX_DETAIL} 字。",
    "capacity": f"1 到 {MAX_CAPACITY} 之间的整数，留空为 1。",
    "status": "可选值：" + "、".join(OFFER_STATUS_ZH.values()) + "。留空为“可对接”。",
}


def export_workbook(actor, filters) -> tuple[bytes, int]:
    """The offers menu with the list's filters; audited, and commits."""
    stmt = offer_list(actor, filters).options(selectinload(Offer.volunteer), selectinload(Offer.category))
    rows = [_offer_row(o) for o in db.session.scalars(stmt)]
    return menu_workbook(actor, "offers", filters, OFFER_EXPORT, rows)


def template_workbook(school_id: int) -> bytes:
    return menu_template("offers", school_id, OFFER_RULES)


class _Lookup(Lookup):
    """The active volunteers by name, and the offers already listed."""

    def __init__(self, school_id: int, term: Term | None):
        super().__init__(school_id, term)
        self.volunteers: dict[str, list[Volunteer]] = {}
        for v in db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id,
                                                            Volunteer.active.is_(True))):
            self.volunteers.setdefault(v.name, []).append(v)
        self.existing = set(map(tuple, db.session.execute(
            select(Offer.volunteer_id, Offer.category_id, Offer.skills, Offer.detail)
            .where(Offer.school_id == school_id))))


def _check_offer(row: Checked, look: _Lookup, seen: dict):
    name_col, phone_col = column_of("offers", "volunteer"), column_of("offers", "phone")
    name, phone = text_value(row, name_col, required=True), text_value(row, phone_col)
    volunteer = None
    if name and not has_control(name) and not has_control(phone):
        found = look.volunteers.get(name, [])
        if phone:
            found = [v for v in found if v.phone == phone]
        if not found:
            row.error(name_col.header, _("No active volunteer has this name and phone number.") if phone
                      else _("No active volunteer has this name."))
        elif len(found) > 1:
            row.error(name_col.header, _("Several volunteers have this name. Add the phone number to tell them apart."))
        else:
            volunteer = found[0]
            row.who = f"{volunteer.name}（{volunteer.kind}）"
    category = category_of(row, "offers", look)
    skills = text_value(row, column_of("offers", "skills"), MAX_SKILLS)
    detail = text_value(row, column_of("offers", "detail"), MAX_DETAIL)
    slots, modes = masks(row, "offers")
    col = column_of("offers", "capacity")
    text = text_value(row, col)
    capacity = None
    try:
        capacity = int(text or "1")
    except ValueError:
        pass
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        if not has_control(text):
            row.error(col.header, _("Write a whole number from 1 to %(max)d.", max=MAX_CAPACITY))
    col = column_of("offers", "status")
    word = text_value(row, col)
    status = STATUS_BY_WORD.get(word or OFFER_STATUS_ZH["active"])
    if status is None and not has_control(word):
        row.error(col.header, _("Unknown status “%(word)s”. Use %(choices)s.", word=word,
                                choices="、".join(OFFER_STATUS_ZH.values())))
    if volunteer and category:
        key = (volunteer.id, category.id, skills, detail)
        if key in look.existing:
            row.error(name_col.header, _("Duplicate: this volunteer already offers the same on the offers menu."))
        elif key in seen:
            row.error(name_col.header, _("Duplicate: same as row %(line)d.", line=seen[key]))
        elif not row.errors:
            seen[key] = row.line
    if not row.errors:
        row.data = {"volunteer_id": volunteer.id, "category_id": category.id, "skills": skills, "detail": detail,
                    "slots": slots, "modes": modes, "capacity": capacity, "status": status}


def check_rows(actor, rows: list[dict], term: Term | None = None) -> list[Checked]:
    look = _Lookup(actor.school_id, term)
    return check_each(rows, lambda row, seen: _check_offer(row, look, seen))


def build(actor, checked: list[Checked]) -> list[Offer]:
    return [Offer(school_id=actor.school_id, entered_by_id=actor.id, on_behalf=True, **c.data) for c in checked]


register_kind("offers", OFFER_COLUMNS, check_rows, build, "offer.create.on_behalf")
