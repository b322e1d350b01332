"""The needs menu (需求菜单) as an Excel sheet: exported with the list's filters, imported through the shared preview.

A row names its student by 学号, or a young teacher by name; an exported file's 姓名 and 班级 are read to check it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.xlsx import local_date
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
from ..menus.words import URGENCY_ZH
from ..people.models import Student, Term, YoungTeacher
from .models import Need
from .services import need_list

NEED_STATUS_ZH = {"open": "待对接", "matched": "已对接", "done": "已完成", "closed": "已关闭"}
YOUNG_TEACHER_PLACE = "青年教师"
URGENCY_BY_WORD = {word: level for level, word in URGENCY_ZH.items()}

NEED_COLUMNS = (
    Column("学号", "student_no", 14, example="202600001"),
    Column("青年教师姓名", "young_teacher", 14),
    Column("类别", "category", 12, True, "学业辅导"),
    Column("需求内容", "detail", 40, True, "数学基础薄弱，希望每周辅导一次作业"),
    Column("科目/技能", "skills", 16, example="数学"),
    Column("紧急程度", "urgency", 10, example="较急"),
    Column("时间段", "slots", 24, example="周三晚上、周六全天"),
    Column("方式", "modes", 14, example="面对面、电话"),
    Column("学期", "term", 24),
)
# Columns of an exported needs file that an import also reads, to check it or find a young teacher.
NEED_HELPER_COLUMNS = (Column("姓名", "name"), Column("班级", "place"))


def _need_row(n: Need) -> list:
    s, t = n.student, n.young_teacher
    return [
        n.id, s.student_no if s else "", s.name if s else (t.name if t else ""),
        s.school_class.label if s else YOUNG_TEACHER_PLACE,
        n.category.name, n.detail, n.skills, URGENCY_ZH.get(n.urgency, ""), slots_text_zh(n.slots), modes_text_zh(n.modes),
        n.term.name, NEED_STATUS_ZH.get(n.status, n.status), n.close_reason,
        n.created_by.display_name if n.created_by else "", local_date(n.created_at),
    ]


NEED_EXPORT = [("编号", 8), ("学号", 14), ("姓名", 10), ("班级", 14), ("类别", 12), ("需求内容", 40),
               ("科目/技能", 16), ("紧急程度", 10), ("时间段", 24), ("方式", 14), ("学期", 24), ("状态", 10),
               ("关闭原因", 20), ("登记人", 10), ("登记日期", 12)]

NEED_RULES = {  # the template's 说明 of the needs' own columns
    "student_no": "学生的学号（本校在读学生）。与“青年教师姓名”二选一。",
    "young_teacher": "需求对象是青年教师时填写其姓名，此时学号留空。",
    "detail": f"需求内容必填，最多 {MAX_DETAIL} 字。",
    "urgency": "可选值：" + "、".join(URGENCY_ZH.values()) + "。留空为“一般”。",
    "term": "选填，学期名称须与系统中一致；留空为本学期。",
}


def export_workbook(actor, filters) -> tuple[bytes, int]:
    """The needs menu with the list's filters (never support tags or family notes); audited, and commits."""
    stmt = need_list(actor, filters).options(
        selectinload(Need.student).selectinload(Student.school_class), selectinload(Need.young_teacher),
        selectinload(Need.category), selectinload(Need.term), selectinload(Need.created_by))
    rows = [_need_row(n) for n in db.session.scalars(stmt)]
    return menu_workbook(actor, "needs", filters, NEED_EXPORT, rows, date_columns=(15,))


def template_workbook(school_id: int) -> bytes:
    return menu_template("needs", school_id, NEED_RULES)


class _Lookup(Lookup):
    """The students named by the file's 学号, the young teachers, the terms, and the open needs already listed."""

    def __init__(self, school_id: int, rows: list[dict], term: Term | None):
        super().__init__(school_id, term)
        numbers = sorted({r["values"].get("student_no", "") for r in rows} - {""})
        self.students = {}
        for i in range(0, len(numbers), 500):
            self.students.update({s.student_no: s for s in db.session.scalars(select(Student).where(
                Student.school_id == school_id, Student.student_no.in_(numbers[i:i + 500])))})
        self.teachers: dict[str, list[YoungTeacher]] = {}
        for t in db.session.scalars(select(YoungTeacher).where(YoungTeacher.school_id == school_id,
                                                              YoungTeacher.active.is_(True))):
            self.teachers.setdefault(t.name, []).append(t)
        self.terms = {t.name: t for t in db.session.scalars(select(Term).where(Term.school_id == school_id))}
        self.existing = set(map(tuple, db.session.execute(
            select(Need.student_id, Need.young_teacher_id, Need.category_id, Need.detail)
            .where(Need.school_id == school_id, Need.status.in_(("open", "matched"))))))


def _check_need(row: Checked, look: _Lookup, seen: dict):
    v = row.values
    no_col, yt_col = column_of("needs", "student_no"), column_of("needs", "young_teacher")
    number, teacher_name = text_value(row, no_col), text_value(row, yt_col)
    # An exported file names a young teacher in 姓名 with 班级 “青年教师”.
    if not number and not teacher_name and v.get("place") == YOUNG_TEACHER_PLACE:
        teacher_name = v.get("name", "")
    student = teacher = None
    if has_control(number) or has_control(teacher_name):
        pass  # already reported
    elif number and teacher_name:
        row.error(no_col.header, _("Give either a student number or a young teacher's name, not both."))
    elif not number and not teacher_name:
        row.error(no_col.header, _("Give a student number or a young teacher's name."))
    elif number:
        student = look.students.get(number)
        if student is None or not student.active:
            row.error(no_col.header, _("No active student of this school has this student number."))
            student = None
        elif v.get("name") and v["name"] != student.name:
            row.error("姓名", _("This student number belongs to %(name)s.", name=student.name))
        else:
            row.who = f"{student.name}（{student.school_class.label}）"
    else:
        found = look.teachers.get(teacher_name, [])
        if not found:
            row.error(yt_col.header, _("No active young teacher has this name."))
        elif len(found) > 1:
            row.error(yt_col.header, _("Several young teachers have this name."))
        else:
            teacher = found[0]
            row.who = f"{teacher.name}（{YOUNG_TEACHER_PLACE}）"
    category = category_of(row, "needs", look)
    detail = text_value(row, column_of("needs", "detail"), MAX_DETAIL, required=True)
    skills = text_value(row, column_of("needs", "skills"), MAX_SKILLS)
    col = column_of("needs", "urgency")
    word = text_value(row, col)
    urgency = URGENCY_BY_WORD.get(word or URGENCY_ZH[1])
    if urgency is None and not has_control(word):
        row.error(col.header, _("Unknown urgency “%(word)s”. Use %(choices)s.", word=word,
                                choices="、".join(URGENCY_ZH.values())))
    slots, modes = masks(row, "needs")
    col = column_of("needs", "term")
    term_name = text_value(row, col)
    term = look.terms.get(term_name) if term_name else look.term
    if term is None and not has_control(term_name):
        row.error(col.header, _("Unknown term “%(name)s”.", name=term_name))
    if (student or teacher) and category and detail:
        key = (student.id if student else None, teacher.id if teacher else None, category.id, detail)
        if key in look.existing:
            row.error(no_col.header if student else yt_col.header,
                      _("Duplicate: the same need is already on the needs menu."))
        elif key in seen:
            row.error(no_col.header if student else yt_col.header, _("Duplicate: same as row %(line)d.", line=seen[key]))
        elif not row.errors:
            seen[key] = row.line
    if not row.errors:
        row.data = {"student_id": student.id if student else None, "young_teacher_id": teacher.id if teacher else None,
                    "category_id": category.id, "term_id": term.id, "detail": detail, "skills": skills,
                    "urgency": urgency, "slots": slots, "modes": modes}


def check_rows(actor, rows: list[dict], term: Term | None = None) -> list[Checked]:
    look = _Lookup(actor.school_id, rows, term)
    return check_each(rows, lambda row, seen: _check_need(row, look, seen))


def build(actor, checked: list[Checked]) -> list[Need]:
    return [Need(school_id=actor.school_id, created_by_id=actor.id, status="open", **c.data) for c in checked]


register_kind("needs", NEED_COLUMNS, check_rows, build, "need.create", also_read=NEED_HELPER_COLUMNS,
              one_of=("student_no", "young_teacher"), term=True)
