"""Reading a school's roster workbook (学生名册, 五老志愿者名单) as schools really have them.

read_roster() reads every visible sheet, finds its header row (below titles, one or two rows high), recognises the
usual Chinese headers and their variants, and returns every row normalised, each with its problems. It reads no
database and writes nothing: the preview compares the rows with the school's data, and the apply step saves them.

The headers and the words in the cells are data, written in Chinese whatever the interface language; the messages
about them go through Flask-Babel. A row's messages leave out its sheet and line: the preview shows them in columns.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl.utils.datetime import from_excel

from ..core.errors import DomainError
from ..core.phones import parse_mobile
from ..core.xlsx import reading_upload
from .models import GENDERS, VOLUNTEER_KINDS

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 8000
# A zip bomb is refused before openpyxl reads it; a real 8,000-row roster unpacks to well under this.
MAX_UNPACKED = 40 * 1024 * 1024
MAX_COLUMNS = 60
HEADER_ROWS = 10  # the header row is looked for among the first rows, below titles
MIN_KNOWN = 3  # known headers that make a row the header row
GUARDIAN_PARTS = ("name", "relation", "mobile")
COMPOUND_SURNAMES = {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "夏侯", "令狐"}


# ---- headers ------------------------------------------------------------------------------

def _words(keys_and_headers: dict) -> dict:
    return {header: key for key, headers in keys_and_headers.items() for header in headers.split()}


STUDENT_HEADERS = _words({
    "name": "姓名 学生姓名",
    "gender": "性别",
    "birth_date": "出生日期 出生年月日 出生年月 生日",
    "student_no": "学籍号 全国学籍号 学号 学生学籍号 个人标识码",
    "grade": "年级",
    "class": "班级 班级名称 班别 班",
    "guardian.name": "监护人姓名 家长姓名 监护人",
    "guardian.relation": "与学生关系 关系 监护人关系 与本人关系",
    "guardian.mobile": "监护人电话 联系电话 手机号 手机号码 家长电话 家长手机 联系方式",
})
VOLUNTEER_HEADERS = _words({
    "name": "姓名 志愿者姓名",
    "gender": "性别",
    "kind": "五老类别 类别",
    "skills": "特长 专长 技能",
    "former_unit": "原单位 原工作单位 退休前单位",
    "mobile": "手机号 联系电话 手机号码 联系方式",
    "birth_year": "出生年份 出生年月 出生日期",
})
_GUARDIAN_PART = _words({"name": "姓名 名字", "relation": "关系 与学生关系",
                         "mobile": "电话 手机 手机号 手机号码 联系电话 联系方式"})
# 监护人1姓名, 家长2电话, 父亲姓名, 妈妈手机 …: numbered guardians, or ones whose relation is the prefix.
_NUMBERED = re.compile(r"^(?:监护人|家长)([1-4一二三四])(.*)$")
_BY_RELATION = re.compile(r"^(父亲|母亲|爸爸|妈妈)(.+)$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
RELATION_WORDS = {"父": "父亲", "爸爸": "父亲", "父亲": "父亲", "母": "母亲", "妈妈": "母亲", "母亲": "母亲"}

# The keys a user may give an unknown header in the column-mapping step.
STUDENT_KEYS = ("name", "gender", "birth_date", "student_no", "grade", "class",
                *(f"guardian{n}.{part}" for n in ("", 1, 2, 3, 4) for part in GUARDIAN_PARTS),
                *(f"{who}.{part}" for who in ("father", "mother") for part in ("name", "mobile")))
VOLUNTEER_KEYS = ("name", "gender", "kind", "skills", "former_unit", "mobile", "birth_year")
# How the mapping step names each key: the usual header, as the template writes it.
KEY_HEADERS = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "student_no": "学籍号", "grade": "年级",
               "class": "班级", "kind": "五老类别", "skills": "特长", "former_unit": "原单位", "mobile": "手机号",
               "birth_year": "出生年份",
               **{f"{who}.{part}": f"{label}{word}" for who, label in
                  (("guardian", "监护人"), *((f"guardian{n}", f"监护人{n}") for n in range(1, 5)), ("father", "父亲"),
                   ("mother", "母亲"))
                  for part, word in (("name", "姓名"), ("relation", "关系"), ("mobile", "电话"))}}
GUARDIAN_LABELS = {"guardian": "监护人", **{f"guardian{n}": f"监护人{n}" for n in range(1, 5)},
                   "father": "父亲", "mother": "母亲"}
FIXED_RELATION = {"father": "父亲", "mother": "母亲"}
IGNORED_HEADERS = {"序号", "编号"}  # a row counter: never data, never a question for the mapping step
_BRACKET_NOTE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")


def header_text(value) -> str:
    """A header as it is compared: NFKC, without spaces, required marks (*) or a trailing note in brackets."""
    text = re.sub(r"\s+|\*", "", unicodedata.normalize("NFKC", _text(value)))
    while _BRACKET_NOTE.search(text) and not _BRACKET_NOTE.fullmatch(text):
        text = _BRACKET_NOTE.sub("", text)
    return text


def student_key(header: str) -> str | None:
    if header in STUDENT_HEADERS:
        return STUDENT_HEADERS[header]
    numbered, by_relation = _NUMBERED.match(header), _BY_RELATION.match(header)
    if numbered:
        n = numbered.group(1)
        part = _GUARDIAN_PART.get(numbered.group(2)) if numbered.group(2) else "name"
        return part and f"guardian{_CN_DIGITS.get(n, n)}.{part}"
    if by_relation:
        who = "father" if RELATION_WORDS[by_relation.group(1)] == "父亲" else "mother"
        part = _GUARDIAN_PART.get(by_relation.group(2))
        return f"{who}.{part}" if part in ("name", "mobile") else None
    return None


def _is_volunteer_sheet(headers: list[str]) -> bool:
    has = set(headers)
    kind = "五老类别" in has or ("类别" in has and has & {"特长", "专长", "技能"})
    return bool(kind) and not has & {h for h, k in STUDENT_HEADERS.items() if k == "student_no"}


@dataclass
class _Header:
    kind: str  # "students" or "volunteers"
    columns: dict  # key -> column index
    unknown: list  # header texts not recognised
    data_from: int  # the first data row's index


def _recognise(texts: list[str], data_from: int, mapping: dict) -> _Header:
    volunteers = _is_volunteer_sheet(texts)
    columns, unknown = {}, []
    for i, text in enumerate(texts):
        if not text or text in IGNORED_HEADERS:
            continue
        mapped = mapping.get(text) if mapping.get(text) in (VOLUNTEER_KEYS if volunteers else STUDENT_KEYS) else None
        key = mapped or (VOLUNTEER_HEADERS.get(text) if volunteers else student_key(text))
        if key and key not in columns:
            columns[key] = i
        else:  # unknown, or a second column of a key already found
            unknown.append(text)
    return _Header("volunteers" if volunteers else "students", columns, unknown, data_from)


def _find_header(grid: list[list], spans: set, mapping: dict) -> _Header | None:
    """The first of the first rows with MIN_KNOWN known headers. Below a cell merged across columns (监护人1 over
    姓名 and 电话) the next row's text is read with it, 监护人1姓名, when that recognises more columns: a header merged
    across two columns only for its width has the data right below."""
    for r in range(min(HEADER_ROWS, len(grid))):
        texts = [header_text(v) for v in grid[r]]
        header = _recognise(texts, r + 1, mapping)
        below = grid[r + 1] if r + 1 < len(grid) else []
        if any((r, c) in spans and c < len(below) and header_text(below[c]) for c in range(len(texts))):
            two_rows = _recognise([t + header_text(below[c]) if (r, c) in spans and c < len(below) else t
                                   for c, t in enumerate(texts)], r + 2, mapping)
            if len(two_rows.columns) > len(header.columns):
                header = two_rows
        if len(header.columns) >= MIN_KNOWN:
            return header
    return None


# ---- values -------------------------------------------------------------------------------

def _text(value) -> str:
    """A cell as text: numbers as their exact digits (13812345678, never 1.38e10 or 13812345678.0), NFKC-normalised
    (full-width digits, letters and brackets to half-width, \\u3000 and no-break spaces to spaces), stripped,
    runs of spaces made one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def clean_name(value) -> str:
    """A person's name: "王 小 明" is 王小明; a name in Latin letters keeps its single spaces."""
    text = _text(value)
    return text.replace(" ", "") if any(_is_cjk(ch) for ch in text) else text


def surname(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def _number(text: str) -> int | None:
    """1…99 in digits or in Chinese (三, 十二, 二十一)."""
    if text.isdigit() and text.isascii():
        return int(text)
    m = re.fullmatch(r"([一二三四五六七八九]?)(十?)([一二三四五六七八九]?)", text)
    if not text or not m or (m.group(1) and m.group(3) and not m.group(2)):
        return None
    tens = (_CN_DIGITS.get(m.group(1), 1) if m.group(2) else 0) * 10
    return tens + _CN_DIGITS.get(m.group(3), 0) if m.group(2) else _CN_DIGITS.get(m.group(1))


_SCHOOL_GRADE = {"初一": 7, "初二": 8, "初三": 9, "高一": 10, "高二": 11, "高三": 12}
_GRADE = r"初[一二三]|高[一二三]|[一二三四五六七八九十]{1,2}|\d{1,2}"
_CLASS = r"[一二三四五六七八九十]{1,3}|\d{1,2}"
_FULL_CLASS = re.compile(rf"^({_GRADE})(?:年级)?(?:\(({_CLASS})\)班?|({_CLASS})班)$")
_CLASS_ONLY = re.compile(rf"^(?:\(({_CLASS})\)|({_CLASS}))班?$")


def _grade(text: str) -> int | None:
    text = text.removesuffix("年级")
    return _SCHOOL_GRADE.get(text) or _number(text)


def parse_class(grade_text, class_text) -> tuple[int, str] | None:
    """(grade, "N班") from 三年级2班, 3年级(2)班, 三(2)班, 302, 0302, 3.2 or 3-2, or from a 年级 column (三年级, 3)
    with a 班级 column (2班, 2, (2)班, 二班). The grade is not checked against 1–12 here; None if unreadable."""
    grade_part, class_part = (re.sub(r"\s", "", _text(t)) for t in (grade_text, class_text))
    grade = number = None
    if m := re.fullmatch(r"(\d{1,2})[.\-_/](\d{1,2})|(\d)(\d{2})|(\d{2})(\d{2})", class_part):
        grade, number = (int(g) for g in m.groups() if g is not None)
    elif grade_part and (m := _CLASS_ONLY.match(class_part)):
        grade, number = _grade(grade_part), _number(m.group(1) or m.group(2))
    elif m := _FULL_CLASS.match(class_part):
        grade, number = _grade(m.group(1)), _number(m.group(2) or m.group(3))
    if grade_part and grade is not None and _grade(grade_part) != grade:
        return None  # the two columns disagree
    if not grade or not number:
        return None
    return grade, f"{number}班"


def _read_date(value) -> date | None:
    """A date cell, an Excel serial number, 2016-05-03, 2016/5/3, 2016.5.3, 20160503, 2016年5月3日 or 2016年5月."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # An Excel serial number (a date cell formatted as a number); 20160503 is read as text below.
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
        try:
            return from_excel(value).date()
        except (ValueError, OverflowError):
            return None
    text = re.sub(r"\s", "", _text(value))
    m = (re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
         or re.fullmatch(r"(\d{4})年(\d{1,2})月(?:(\d{1,2})日?)?", text) or re.fullmatch(r"(\d{4})[-/.](\d{1,2})()", text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


def parse_date(value, today: date) -> date | None:
    """A date as _read_date reads it, or None when unreadable, in the future or before 1900."""
    day = _read_date(value)
    return day if day is not None and date(1900, 1, 1) <= day <= today else None


def parse_gender(text) -> str | None:
    word = _text(text).upper()
    if word in ("男", "男性", "男生", "M", "MALE"):
        return GENDERS[0]
    if word in ("女", "女性", "女生", "F", "FEMALE"):
        return GENDERS[1]
    return None


def parse_student_no(text) -> str | None:
    value = _text(text).upper()
    return value if re.fullmatch(r"[A-Z0-9]{4,30}", value) else None


_KIND_WORDS = {"离退休干部": "老干部", "退休干部": "老干部", "退役军人": "老战士", "老军人": "老战士",
               "退休教师": "老教师", "劳动模范": "老模范", "老劳模": "老模范", "退休专家": "老专家"}


def parse_kind(text) -> str | None:
    """One of VOLUNTEER_KINDS, also from a long form: 老教师（退休）, 退休教师, 劳动模范 …"""
    word = header_text(text)
    if word in _KIND_WORDS:
        return _KIND_WORDS[word]
    return next((k for k in VOLUNTEER_KINDS if k in word), None)


def parse_year(value, today: date) -> int | None:
    """A birth year from 1950, 1950年, 1950-03 or a date."""
    day = _read_date(value)
    year = day.year if day else None
    if m := re.fullmatch(r"(\d{4})年?", re.sub(r"\s", "", _text(value))):
        year = int(m.group(1))
    return year if year and 1900 <= year <= today.year else None


# ---- rows ---------------------------------------------------------------------------------

@dataclass
class GuardianRow:
    label: str  # 监护人1, 父亲 …: how the sheet names this guardian's columns
    name: str = ""
    relation: str = ""
    mobile: str = ""  # 11 digits, or "" when missing or unreadable


@dataclass
class StudentRow:
    sheet: str
    line: int  # the Excel row number
    values: dict  # the cells as read, by key, for the preview
    name: str = ""
    gender: str = ""
    birth_date: date | None = None
    student_no: str = ""
    grade: int | None = None
    class_name: str = ""  # "2班", as SchoolClass.name
    guardians: list[GuardianRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def surname(self) -> str:
        return surname(self.name)


@dataclass
class VolunteerRow:
    sheet: str
    line: int
    values: dict
    name: str = ""
    gender: str = ""
    kind: str = ""
    skills: str = ""
    former_unit: str = ""
    mobile: str = ""
    birth_year: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class SkippedSheet:
    name: str
    reason: str


@dataclass
class Family:
    """Students sharing a guardian's mobile, directly or through a sibling, with their guardians merged by mobile."""

    students: list[StudentRow]
    guardians: list[GuardianRow]


@dataclass
class Roster:
    students: list[StudentRow] = field(default_factory=list)
    volunteers: list[VolunteerRow] = field(default_factory=list)
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    unknown_headers: dict[str, list[str]] = field(default_factory=dict)  # sheet name -> header texts
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> "students" or "volunteers"

    def bad_rows(self) -> list[StudentRow | VolunteerRow]:
        return [row for row in [*self.students, *self.volunteers] if row.errors]

    def families(self) -> list[Family]:
        """The rows without errors grouped into families: students sharing a guardian mobile, transitively (A and B
        share mum's, B and C dad's: one family of three). A student without a guardian mobile is a family alone."""
        students = [s for s in self.students if not s.errors]
        parent = list(range(len(students)))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        first_with = {}
        for i, student in enumerate(students):
            for guardian in student.guardians:
                if guardian.mobile:
                    parent[root(i)] = root(first_with.setdefault(guardian.mobile, i))
        groups: dict[int, list[StudentRow]] = {}
        for i, student in enumerate(students):
            groups.setdefault(root(i), []).append(student)
        return [Family(members, _merged_guardians(members)) for members in groups.values()]


def roster_json(roster: Roster) -> dict:
    """The roster as an ImportBatch keeps it between the preview and the import: read once, not at every step."""
    data = asdict(roster)
    for row in data["students"]:
        row["birth_date"] = row["birth_date"] and row["birth_date"].isoformat()
    return data


def roster_from_json(data: dict) -> Roster:
    students = [StudentRow(**{**row, "birth_date": row["birth_date"] and date.fromisoformat(row["birth_date"]),
                              "guardians": [GuardianRow(**g) for g in row["guardians"]]}) for row in data["students"]]
    return Roster(students, [VolunteerRow(**row) for row in data["volunteers"]],
                  [SkippedSheet(**sheet) for sheet in data["skipped_sheets"]], data["unknown_headers"], data["sheets"])


def _merged_guardians(students: list[StudentRow]) -> list[GuardianRow]:
    by_mobile: dict[str, GuardianRow] = {}
    for guardian in (g for s in students for g in s.guardians if g.mobile):
        known = by_mobile.setdefault(guardian.mobile, GuardianRow(guardian.label, mobile=guardian.mobile))
        known.name = known.name or guardian.name
        known.relation = known.relation or guardian.relation
    return list(by_mobile.values())


# ---- reading a workbook -------------------------------------------------------------------

def read_roster(data: bytes, today: date, mapping: dict | None = None) -> Roster:
    """Every row of every visible sheet, normalised, each with its problems; `mapping` ({sheet name: {header text:
    key}}, keys from STUDENT_KEYS or VOLUNTEER_KEYS) gives headers not recognised the meaning the user chose.

    Raises DomainError (field "file") for an empty, oversized or unreadable file; a sheet it cannot read is
    listed in skipped_sheets.
    """
    too_large = _("A roster file may have at most %(mb)d MB and %(rows)s rows. Please split it.",
                  mb=MAX_BYTES // (1024 * 1024), rows=format(MAX_ROWS, ","))
    roster = Roster()
    # Not read-only: a read-only workbook does not tell which cells are merged.
    with reading_upload(data, MAX_BYTES, MAX_UNPACKED, too_large, read_only=False) as wb:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                roster.skipped_sheets.append(SkippedSheet(ws.title, _("The sheet is hidden.")))
                continue
            _read_sheet(ws, roster, today, {header_text(h): k for h, k in (mapping or {}).get(ws.title, {}).items()})
            if len(roster.students) + len(roster.volunteers) > MAX_ROWS:
                raise DomainError(too_large, "file")
    _check_across_rows(roster)
    return roster


def _grid(ws) -> tuple[list[list], set]:
    """The sheet's values, each merged range's value in all its cells (a 班级 merged down a class's rows), and the
    (row, column) of cells merged across columns."""
    # Bounded by the sheet's used range: iter_rows makes a cell for every position it passes.
    grid = [list(row) for row in ws.iter_rows(values_only=True, max_col=min(ws.max_column, MAX_COLUMNS),
                                              max_row=min(ws.max_row, MAX_ROWS + HEADER_ROWS + 2))]
    spans = set()
    for merged in ws.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        if top >= len(grid) or left >= len(grid[top]):
            continue
        value = grid[top][left]
        for r in range(top, min(merged.max_row, len(grid))):
            for c in range(left, min(merged.max_col, MAX_COLUMNS, len(grid[r]))):
                grid[r][c] = value
                if merged.max_col > merged.min_col:
                    spans.add((r, c))
    return grid, spans


def _read_sheet(ws, roster: Roster, today: date, mapping: dict) -> None:
    grid, spans = _grid(ws)
    if not any(v is not None and _text(v) for row in grid[:HEADER_ROWS] for v in row):
        return  # an empty sheet, as a new workbook has
    header = _find_header(grid, spans, mapping)
    if header is None:
        roster.skipped_sheets.append(SkippedSheet(ws.title, _(
            "No row among the first %(rows)d has at least %(known)d known column headers (such as 姓名, 学籍号, 班级).",
            rows=HEADER_ROWS, known=MIN_KNOWN)))
        return
    roster.sheets[ws.title] = header.kind
    if header.unknown:
        roster.unknown_headers[ws.title] = header.unknown
    read = _student if header.kind == "students" else _volunteer
    rows = roster.students if header.kind == "students" else roster.volunteers
    for r in range(header.data_from, len(grid)):
        cells = {key: grid[r][i] if i < len(grid[r]) else None for key, i in header.columns.items()}
        if any(_text(v) for v in cells.values()):
            rows.append(read(ws.title, r + 1, cells, today))


def _too_long(row, header: str, value: str, limit: int) -> None:
    if len(value) > limit:
        row.errors.append(_("%(column)s: at most %(max)d characters.", column=header, max=limit))


def _student(sheet: str, line: int, cells: dict, today: date) -> StudentRow:
    values = {key: _text(v) for key, v in cells.items()}
    row = StudentRow(sheet, line, values, name=clean_name(cells.get("name")))
    if not row.name:
        row.errors.append(_("The student's name is missing."))
    _too_long(row, "姓名", row.name, 40)

    if not values.get("gender"):
        row.errors.append(_("The gender is missing."))
    elif (gender := parse_gender(values["gender"])) is None:
        row.errors.append(_("The gender “%(found)s” is not 男 or 女.", found=values["gender"]))
    else:
        row.gender = gender

    if not values.get("student_no"):
        row.errors.append(_("The student number (学籍号) is missing."))
    elif (number := parse_student_no(values["student_no"])) is None:
        row.errors.append(_("The student number “%(found)s” should be 4 to 30 letters and digits.",
                            found=values["student_no"]))
    else:
        row.student_no = number

    klass, grade_text = values.get("class", ""), values.get("grade", "")
    if not klass:
        row.errors.append(_("The class is missing."))
    elif (parsed := parse_class(grade_text, klass)) is None:
        row.errors.append(_("The class “%(found)s” cannot be read. Write it like 三年级2班, 3年级(2)班 or 302.",
                            found=" ".join(filter(None, (grade_text, klass)))))
    elif not 1 <= parsed[0] <= 12:
        row.errors.append(_("The grade %(grade)d is not between 1 and 12.", grade=parsed[0]))
    else:
        row.grade, row.class_name = parsed

    if values.get("birth_date"):
        day = _read_date(cells["birth_date"])
        if day is None or day.year < 1900:
            row.errors.append(_("The birth date “%(found)s” cannot be read. Write it like 2016-05-03.",
                                found=values["birth_date"]))
        elif day > today:
            row.errors.append(_("The birth date %(day)s is in the future.", day=day.isoformat()))
        else:
            row.birth_date = day

    for who in GUARDIAN_LABELS:
        guardian = _guardian(row, who, values)
        if guardian:
            row.guardians.append(guardian)
    return row


def _guardian(row: StudentRow, who: str, values: dict) -> GuardianRow | None:
    name, relation, found = (values.get(f"{who}.{part}", "") for part in GUARDIAN_PARTS)
    if not (name or relation or found):
        return None
    label = GUARDIAN_LABELS[who]
    guardian = GuardianRow(label, clean_name(name), FIXED_RELATION.get(who) or RELATION_WORDS.get(relation, relation))
    _too_long(row, label, guardian.name, 40)
    if found:
        guardian.mobile = parse_mobile(found) or ""
        if not guardian.mobile:
            row.errors.append(_("%(guardian)s: the mobile “%(found)s” is not an 11-digit mobile number.",
                                guardian=label, found=found))
    elif guardian.name:
        row.errors.append(_("%(guardian)s %(name)s has no mobile number.", guardian=label, name=guardian.name))
    else:
        row.errors.append(_("%(guardian)s needs a name or a mobile number.", guardian=label))
    return guardian


def _volunteer(sheet: str, line: int, cells: dict, today: date) -> VolunteerRow:
    values = {key: _text(v) for key, v in cells.items()}
    row = VolunteerRow(sheet, line, values, name=clean_name(cells.get("name")), skills=values.get("skills", ""),
                       former_unit=values.get("former_unit", ""))
    if not row.name:
        row.errors.append(_("The volunteer's name is missing."))
    _too_long(row, "姓名", row.name, 40)
    _too_long(row, "特长", row.skills, 300)
    _too_long(row, "原单位", row.former_unit, 100)
    if values.get("gender"):
        row.gender = parse_gender(values["gender"]) or ""
        if not row.gender:
            row.errors.append(_("The gender “%(found)s” is not 男 or 女.", found=values["gender"]))
    row.kind = parse_kind(values.get("kind", "")) or ""
    if not row.kind:
        row.errors.append(_("The kind “%(found)s” is not one of %(kinds)s.", found=values.get("kind", ""),
                            kinds="、".join(VOLUNTEER_KINDS)))
    # The mobile is how a volunteer is found again when the file is imported a second time.
    if not values.get("mobile"):
        row.errors.append(_("The mobile number is missing."))
    elif not (mobile := parse_mobile(values["mobile"])):
        row.errors.append(_("The mobile “%(found)s” is not an 11-digit mobile number.", found=values["mobile"]))
    else:
        row.mobile = mobile
    if values.get("birth_year"):
        row.birth_year = parse_year(cells["birth_year"], today)
        if row.birth_year is None:
            row.errors.append(_("The birth year “%(found)s” cannot be read.", found=values["birth_year"]))
    return row


# ---- checks across rows -------------------------------------------------------------------

def _where(row, other) -> str:
    if row.sheet == other.sheet:
        return _("line %(line)d", line=other.line)
    return _("line %(line)d of sheet “%(sheet)s”", line=other.line, sheet=other.sheet)


def _check_across_rows(roster: Roster) -> None:
    """Two rows of one 学籍号 (or one volunteer's mobile), and one mobile given for two families."""
    for rows, key, message in (
            (roster.students, "student_no", lambda v, w: _("The student number %(no)s is also on %(where)s.",
                                                            no=v, where=w)),
            (roster.volunteers, "mobile", lambda v, w: _("The mobile %(mobile)s is also on %(where)s.",
                                                         mobile=v, where=w))):
        seen: dict[str, list] = {}
        for row in rows:
            if getattr(row, key):
                seen.setdefault(getattr(row, key), []).append(row)
        for value, same in seen.items():
            for row in same if len(same) > 1 else ():
                others = [other for other in same if other is not row]
                row.errors.append(message(value, "、".join(_where(row, o) for o in others)))

    # Siblings share a mobile and a surname, or a guardian's name; two families with one mobile share neither.
    by_mobile: dict[str, list[tuple[StudentRow, GuardianRow]]] = {}
    for student in roster.students:
        for guardian in student.guardians:
            if guardian.mobile:
                by_mobile.setdefault(guardian.mobile, []).append((student, guardian))
    for mobile, uses in by_mobile.items():
        for student, guardian in uses:
            clash = next(((s, g) for s, g in uses if s.name and student.name and s.surname != student.surname
                          and g.name and guardian.name and g.name != guardian.name), None)
            if clash:
                other, other_guardian = clash
                student.errors.append(_(
                    "The mobile %(mobile)s is also given for %(guardian)s, guardian of %(student)s on %(where)s: "
                    "one mobile cannot belong to two families.",
                    mobile=mobile, guardian=other_guardian.name, student=other.name, where=_where(student, other)))
