"""Excel export and import of the two menus (需求菜单, 资源菜单).

Export: the list with its filters as one sheet. Import: read a sheet, check every row the way the
forms would, keep the checked rows in an ImportBatch for a preview, and on confirmation check them
again and insert them all in one transaction — whole or not at all.

The column headers and the words in the cells are data, written in Chinese whatever the interface
language; the messages about them go through Flask-Babel.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.models import utcnow
from ..core.xlsx import WRAP, local_date, workbook_bytes, write_sheet
from ..extensions import db
from ..menus.slots import MODES, modes_text_zh, parse_modes, parse_slots, slots_text_zh
from ..menus.words import URGENCY_ZH
from ..needs.models import Need
from ..needs.services import need_list
from ..offers.models import MAX_CAPACITY, Offer
from ..offers.services import offer_list
from ..people.models import Category, Student, Term, Volunteer, YoungTeacher
from ..people.services import categories_of, current_term
from .models import ImportBatch

KINDS = ("needs", "offers")
MENU_NAME = {"needs": "需求菜单", "offers": "资源菜单"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
# A 2 MB .xlsx may unpack to far more; refuse a zip bomb before openpyxl reads it.
MAX_UNPACKED = 50 * 1024 * 1024
MAX_COLUMNS = 60
MAX_DETAIL, MAX_SKILLS = 1000, 200
# Values are kept in the batch for the preview; anything longer fails a length check anyway.
KEEP_CHARS = MAX_DETAIL + 1

NEED_STATUS_ZH = {"open": "待对接", "matched": "已对接", "done": "已完成", "closed": "已关闭"}
OFFER_STATUS_ZH = {"active": "可对接", "paused": "暂停"}
YOUNG_TEACHER_PLACE = "青年教师"
URGENCY_BY_WORD = {word: level for level, word in URGENCY_ZH.items()}
STATUS_BY_WORD = {word: status for status, word in OFFER_STATUS_ZH.items()}


# ---- columns ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int = 12
    required: bool = False
    example: str = ""


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

IMPORT_COLUMNS = {"needs": NEED_COLUMNS, "offers": OFFER_COLUMNS}
# Other domains' sheets (the 行事历): kind -> (check rows, build objects, audit action per object).
HANDLERS: dict = {}


def register_kind(kind: str, columns: tuple, check, build, action: str) -> None:
    """Let another domain import through the same upload → preview → confirm steps and ImportBatch."""
    IMPORT_COLUMNS[kind] = columns
    HANDLERS[kind] = (check, build, action)


def import_columns(kind: str) -> tuple[Column, ...]:
    return IMPORT_COLUMNS[kind]


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
OFFER_EXPORT = [("编号", 8), ("志愿者", 10), ("手机号", 14), ("五老类别", 10), ("类别", 12), ("科目/技能", 16),
                ("说明", 36), ("时间段", 24), ("方式", 14), ("可同时帮扶人数", 10), ("已对接人数", 10), ("状态", 10),
                ("代填", 8)]


def _offer_row(o: Offer) -> list:
    v = o.volunteer
    return [o.id, v.name, v.phone, v.kind, o.category.name, o.skills, o.detail, slots_text_zh(o.slots),
            modes_text_zh(o.modes), o.capacity, o.used, OFFER_STATUS_ZH.get(o.status, o.status), "是" if o.on_behalf else "否"]


def export_workbook(actor, kind: str, filters) -> tuple[bytes, int]:
    """The menu with the list's filters as one sheet (never support tags or family notes).

    Writes an audit entry and commits. Returns the file and its row count.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = MENU_NAME[kind]
    if kind == "needs":
        stmt = need_list(actor, filters).options(
            selectinload(Need.student).selectinload(Student.school_class), selectinload(Need.young_teacher),
            selectinload(Need.category), selectinload(Need.term), selectinload(Need.created_by))
        rows = [_need_row(n) for n in db.session.scalars(stmt)]
        write_sheet(ws, NEED_EXPORT, rows, date_columns=(15,))
    else:
        stmt = offer_list(actor, filters).options(selectinload(Offer.volunteer), selectinload(Offer.category))
        rows = [_offer_row(o) for o in db.session.scalars(stmt)]
        write_sheet(ws, OFFER_EXPORT, rows)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    record(actor, f"{kind}.export", None, f"filters={filters.args()} rows={len(rows)}")
    db.session.commit()
    return workbook_bytes(wb), len(rows)


def export_filename(kind: str, day: date) -> str:
    return f"{MENU_NAME[kind]}-{day.isoformat()}.xlsx"


def template_workbook(kind: str, school_id: int) -> bytes:
    """The import columns with one example row, and a sheet 说明 with the allowed values."""
    columns = IMPORT_COLUMNS[kind]
    categories = [c.name for c in categories_of(school_id)]
    wb = Workbook()
    ws = wb.active
    ws.title = MENU_NAME[kind]
    example = [c.example for c in columns]
    if categories:
        example[[c.key for c in columns].index("category")] = categories[0]
    write_sheet(ws, [(c.header, c.width) for c in columns], [example])

    notes = wb.create_sheet("说明")
    rule = {
        "student_no": "学生的学号（本校在读学生）。与“青年教师姓名”二选一。",
        "young_teacher": "需求对象是青年教师时填写其姓名，此时学号留空。",
        "category": "必填。可选值：" + ("、".join(categories) if categories else "（请先在“人员管理”中设置类别）"),
        "detail": f"需求内容必填，最多 {MAX_DETAIL} 字。" if kind == "needs" else f"选填，最多 {MAX_DETAIL} 字。",
        "skills": f"选填，最多 {MAX_SKILLS} 字，多个用逗号分隔。",
        "urgency": "可选值：" + "、".join(URGENCY_ZH.values()) + "。留空为“一般”。",
        "slots": "格式如“周三晚上、周六全天”：周一至周日 + 上午/下午/晚上/全天，用“、”分隔。留空为时间不限。",
        "modes": "可选值：" + "、".join(MODES) + "，多个用“、”分隔。留空为方式不限。",
        "term": "选填，学期名称须与系统中一致；留空为本学期。",
        "volunteer": "必填，志愿者姓名（须已在系统中登记）。",
        "phone": "选填。有同名志愿者时，按姓名 + 手机号区分。",
        "capacity": f"1 到 {MAX_CAPACITY} 之间的整数，留空为 1。",
        "status": "可选值：" + "、".join(OFFER_STATUS_ZH.values()) + "。留空为“可对接”。",
    }
    rows = [[c.header, "必填" if c.required else "选填", rule[c.key]] for c in columns]
    rows.append(["", "", "第一行为列标题，请勿修改；多余的列会被忽略。每个文件最多 "
                 f"{MAX_ROWS} 行、2 MB。导入前会先检查，确认后全部导入或全部不导入。"])
    write_sheet(notes, [("列", 16), ("是否必填", 10), ("填写说明", 80)], rows)
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    return workbook_bytes(wb)


# ---- reading an upload --------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            return value.strftime("%Y-%m-%d %H:%M")
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _not_xlsx():
    return DomainError(_("The file is not a readable Excel workbook (.xlsx)."), "file")


def read_sheet(kind: str, data: bytes) -> list[dict]:
    """The first sheet's rows as {"line": n, "values": {key: text}}, columns found by their header.

    Raises DomainError (field "file") for an empty, oversized, unreadable or wrongly shaped file.
    """
    if not data:
        raise DomainError(_("The file is empty."), "file")
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than 2 MB. Please split it."), "file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED:
                raise DomainError(_("The file is larger than 2 MB. Please split it."), "file")
    except zipfile.BadZipFile as exc:
        raise _not_xlsx() from exc
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _not_xlsx() from exc
    try:
        return _read_rows(kind, wb)
    except DomainError:
        raise
    except Exception as exc:
        raise _not_xlsx() from exc
    finally:
        wb.close()


def _header_index(kind: str, columns, header: list[str]) -> tuple[dict, list[str]]:
    """Where each column is, and the required headers missing."""
    index = {col.key: header.index(col.header) for col in columns if col.header in header}
    missing = [c.header for c in columns if c.required and c.key not in index]
    if kind == "needs" and "student_no" not in index and "young_teacher" not in index:
        missing.insert(0, "学号/青年教师姓名")
    return index, missing


def _read_rows(kind: str, wb) -> list[dict]:
    if not wb.worksheets:
        raise _not_xlsx()
    rows = wb.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
    columns = IMPORT_COLUMNS[kind] + (NEED_HELPER_COLUMNS if kind == "needs" else ())
    # The headers are in the first row, or the second below a title (an exported 行事历 has its title first).
    for header_line in (1, 2):
        header = [_text(v).replace(" ", "").replace("\u3000", "") for v in (next(rows, None) or ())]
        index, missing = _header_index(kind, columns, header)
        if not missing:
            break
        if header_line == 1:
            first_missing = missing
    else:
        raise DomainError(_("The first row must hold the column headers. Missing: %(columns)s.",
                            columns="、".join(first_missing)), "file")
    out = []
    for line, row in enumerate(rows, start=header_line + 1):
        values = {key: (_text(row[i]) if i < len(row) else "")[:KEEP_CHARS] for key, i in index.items()}
        if not any(values.values()):
            continue
        if len(out) == MAX_ROWS:
            raise DomainError(_("The file has more than %(max)d rows. Please split it.", max=MAX_ROWS), "file")
        out.append({"line": line, "values": values})
    if not out:
        raise DomainError(_("The sheet has no rows below the header."), "file")
    return out


# ---- checking rows ------------------------------------------------------------------------

@dataclass
class Checked:
    line: int
    values: dict
    errors: list = field(default_factory=list)  # [[column header, message], ...]
    who: str = ""  # the beneficiary or volunteer found, for the preview
    data: dict = field(default_factory=dict)  # what would be saved

    def error(self, header: str, message: str):
        self.errors.append([header, message])

    def as_json(self) -> dict:
        return {"line": self.line, "values": self.values, "errors": self.errors, "who": self.who}


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def _text_value(row: Checked, col: Column, limit: int | None = None, required=False) -> str:
    value = row.values.get(col.key, "")
    if _has_control(value):
        row.error(col.header, _("Contains characters that are not allowed."))
    elif required and not value:
        row.error(col.header, _("This field is required."))
    elif limit is not None and len(value) > limit:
        row.error(col.header, _("At most %(max)d characters.", max=limit))
    return value


def _col(kind, key) -> Column:
    return next(c for c in IMPORT_COLUMNS[kind] + NEED_HELPER_COLUMNS if c.key == key)


class _Lookup:
    """The school's lists, loaded once for a whole file."""

    def __init__(self, kind: str, school_id: int, rows: list[dict], term: Term | None):
        self.school_id = school_id
        self.term = term
        self.categories = {c.name: c for c in db.session.scalars(select(Category).where(Category.school_id == school_id))}
        if kind == "needs":
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
        else:
            self.volunteers: dict[str, list[Volunteer]] = {}
            for v in db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id,
                                                                Volunteer.active.is_(True))):
                self.volunteers.setdefault(v.name, []).append(v)
            self.existing = set(map(tuple, db.session.execute(
                select(Offer.volunteer_id, Offer.category_id, Offer.skills, Offer.detail)
                .where(Offer.school_id == school_id))))


def _category(row: Checked, kind: str, look: _Lookup):
    col = _col(kind, "category")
    name = _text_value(row, col, required=True)
    if not name or _has_control(name):
        return None
    category = look.categories.get(name)
    if category is None or not category.active:
        row.error(col.header, _("Unknown or inactive category “%(name)s”.", name=name))
        return None
    return category


def _masks(row: Checked, kind: str) -> tuple[int, int]:
    slots = modes = 0
    col = _col(kind, "slots")
    text = _text_value(row, col)
    if not _has_control(text):
        try:
            slots = parse_slots(text)
        except ValueError as exc:
            row.error(col.header, _("Unknown time slot “%(word)s”. Write it like 周三晚上、周六全天.", word=str(exc)))
    col = _col(kind, "modes")
    text = _text_value(row, col)
    if not _has_control(text):
        try:
            modes = parse_modes(text)
        except ValueError as exc:
            row.error(col.header, _("Unknown way “%(word)s”. Use %(choices)s.", word=str(exc), choices="、".join(MODES)))
    return slots, modes


def _check_need(row: Checked, look: _Lookup, seen: dict):
    v = row.values
    no_col, yt_col = _col("needs", "student_no"), _col("needs", "young_teacher")
    number, teacher_name = _text_value(row, no_col), _text_value(row, yt_col)
    # An exported file names a young teacher in 姓名 with 班级 “青年教师”.
    if not number and not teacher_name and v.get("place") == YOUNG_TEACHER_PLACE:
        teacher_name = v.get("name", "")
    student = teacher = None
    if _has_control(number) or _has_control(teacher_name):
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
    category = _category(row, "needs", look)
    detail = _text_value(row, _col("needs", "detail"), MAX_DETAIL, required=True)
    skills = _text_value(row, _col("needs", "skills"), MAX_SKILLS)
    col = _col("needs", "urgency")
    word = _text_value(row, col)
    urgency = URGENCY_BY_WORD.get(word or URGENCY_ZH[1])
    if urgency is None and not _has_control(word):
        row.error(col.header, _("Unknown urgency “%(word)s”. Use %(choices)s.", word=word,
                                choices="、".join(URGENCY_ZH.values())))
    slots, modes = _masks(row, "needs")
    col = _col("needs", "term")
    term_name = _text_value(row, col)
    term = look.terms.get(term_name) if term_name else look.term
    if term is None and not _has_control(term_name):
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


def _check_offer(row: Checked, look: _Lookup, seen: dict):
    name_col, phone_col = _col("offers", "volunteer"), _col("offers", "phone")
    name, phone = _text_value(row, name_col, required=True), _text_value(row, phone_col)
    volunteer = None
    if name and not _has_control(name) and not _has_control(phone):
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
    category = _category(row, "offers", look)
    skills = _text_value(row, _col("offers", "skills"), MAX_SKILLS)
    detail = _text_value(row, _col("offers", "detail"), MAX_DETAIL)
    slots, modes = _masks(row, "offers")
    col = _col("offers", "capacity")
    text = _text_value(row, col)
    capacity = None
    try:
        capacity = int(text or "1")
    except ValueError:
        pass
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        if not _has_control(text):
            row.error(col.header, _("Write a whole number from 1 to %(max)d.", max=MAX_CAPACITY))
    col = _col("offers", "status")
    word = _text_value(row, col)
    status = STATUS_BY_WORD.get(word or OFFER_STATUS_ZH["active"])
    if status is None and not _has_control(word):
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


def check_rows(kind: str, actor, rows: list[dict], term: Term | None = None) -> list[Checked]:
    """Check every row as the forms and services would; each Checked row carries its errors."""
    if kind in HANDLERS:
        return HANDLERS[kind][0](actor, rows)
    look = _Lookup(kind, actor.school_id, rows, term)
    seen: dict = {}
    out = []
    for r in rows:
        row = Checked(r["line"], dict(r["values"]))
        (_check_need if kind == "needs" else _check_offer)(row, look, seen)
        out.append(row)
    return out


def default_term(kind: str, actor) -> Term | None:
    """The current term, created on demand as the needs form does (this may commit)."""
    return current_term(actor.school_id, local_today()) if kind == "needs" else None


def _clean_filename(name: str) -> str:
    return "".join(ch for ch in (name or "") if ch.isprintable())[:200]


def stage(actor, kind: str, filename: str, data: bytes) -> ImportBatch:
    """Read and check an upload and keep it for the preview. Nothing is added to the menus."""
    rows = read_sheet(kind, data)
    checked = check_rows(kind, actor, rows, default_term(kind, actor))
    # A new upload replaces the user's unconfirmed one: abandoned previews do not pile up children's data.
    db.session.execute(delete(ImportBatch).where(ImportBatch.user_id == actor.id, ImportBatch.kind == kind,
                                                 ImportBatch.applied_at.is_(None)))
    batch = ImportBatch(school_id=actor.school_id, kind=kind, user_id=actor.id, filename=_clean_filename(filename),
                        rows=[c.as_json() for c in checked])
    db.session.add(batch)
    db.session.flush()
    record(actor, f"{kind}.import.upload", batch,
           f"file={batch.filename} rows={len(checked)} errors={sum(1 for c in checked if c.errors)}")
    db.session.commit()
    return batch


def counts(batch: ImportBatch) -> tuple[int, int]:
    """(rows without errors, rows with errors)."""
    bad = sum(1 for r in batch.rows if r["errors"])
    return len(batch.rows) - bad, bad


def find_batch(actor, kind: str, batch_id: int) -> ImportBatch | None:
    """Only the uploader sees a batch, in their school."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != kind or batch.user_id != actor.id or batch.school_id != actor.school_id:
        return None
    return batch


def apply(actor, batch: ImportBatch) -> int:
    """Check the rows again and add them all in one transaction, or nothing. Returns the count."""
    already = _("This file has already been imported.")
    if batch.applied_at is not None:
        raise DomainError(already)
    if any(r["errors"] for r in batch.rows):
        raise DomainError(_("Please correct the rows with errors in the file and upload it again. Nothing was imported."))
    term = default_term(batch.kind, actor)
    # Claim the batch first: a second confirm, even a concurrent one, finds it taken.
    claimed = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.applied_at.is_(None))
                                 .values(applied_at=utcnow()))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise DomainError(already)
    checked = check_rows(batch.kind, actor, [{"line": r["line"], "values": r["values"]} for r in batch.rows], term)
    if not checked or any(c.errors for c in checked):
        db.session.rollback()
        batch.rows = [c.as_json() for c in checked]
        db.session.commit()
        raise DomainError(_("Nothing was imported: some rows are no longer valid. See the errors below."))
    if batch.kind in HANDLERS:
        objects = HANDLERS[batch.kind][1](actor, checked)
    elif batch.kind == "needs":
        objects = [Need(school_id=actor.school_id, created_by_id=actor.id, status="open", **c.data) for c in checked]
    else:
        objects = [Offer(school_id=actor.school_id, entered_by_id=actor.id, on_behalf=True, **c.data) for c in checked]
    try:
        db.session.add_all(objects)
        db.session.flush()
        action = HANDLERS[batch.kind][2] if batch.kind in HANDLERS else (
            "need.create" if batch.kind == "needs" else "offer.create.on_behalf")
        for obj in objects:
            record(actor, action, obj, f"import={batch.id}")
        record(actor, f"{batch.kind}.import", batch, f"file={batch.filename} rows={len(objects)}")
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise DomainError(_("The rows could not be saved. Nothing was imported. Please try again.")) from exc
    return len(objects)
