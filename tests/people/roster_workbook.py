"""A school's roster workbook as schools really have them, generated with openpyxl, and what a reader must find in it.

school_roster() builds issue 29's realistic file: 24 classes (grades 1–6 × 4), 900 students in about 850 families
(siblings share their guardians' mobiles, some across grades, some linked only through a brother or sister), about
1,600 guardians, 40 volunteers, header variants across four sheets in four styles, a title row merged above one
header, a two-row merged header, a hidden sheet of junk, a formula, numbers stored as floats, full-width digits
and trailing spaces in mobiles — and exactly `bad` bad rows of known kinds, each with its sheet, line and reason.
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁沈姚卢"
GIVEN = "子涵欣怡梓轩浩宇雨桐思远一诺佳琪俊熙若汐明轩语嫣博文诗涵晨阳可馨天佑嘉怡志强秀英建国丽华海燕伟芳静敏"
CN = "一二三四五六"
SKILLS = ("书法", "象棋", "数学辅导", "心理疏导", "法治讲座", "剪纸", "合唱", "科普", "家庭教育", "英语辅导")
KINDS = ("老干部", "老战士", "老专家", "老教师", "老模范", "老教师（退休）", "退休教师", "离退休干部")
BAD_KINDS = ("mobile10", "class", "future", "dup_no", "shared", "no_name", "no_no", "gender", "no_mobile")


@dataclass
class Bad:
    sheet: str
    line: int
    kind: str
    reason: str  # a part of the English message the row must carry


@dataclass
class Planted:
    data: bytes
    students: int  # rows without errors
    families: int
    guardians: int
    volunteers: int
    rows: int  # every student row, bad ones too
    bad: list[Bad] = field(default_factory=list)


@dataclass
class _Student:
    name: str
    gender: str
    birth: date
    number: int  # makes the 学籍号 in the sheet's style
    grade: int
    klass: int
    guardians: list  # [(relation, name, mobile)]
    bad: str = ""
    # A row's cells as planted, by field, over what the sheet's style writes.
    override: dict = field(default_factory=dict)
    partner: _Student | None = None  # the other row of a duplicate 学籍号 or a shared mobile


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.mobiles: set[str] = set()

    def given(self) -> str:
        return "".join(self.rng.sample(GIVEN, self.rng.choice((1, 2, 2))))

    def mobile(self) -> str:
        while True:
            mobile = self.rng.choice(("13", "15", "17", "18", "19")) + "".join(self.rng.choices("0123456789", k=9))
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile


# ---- the four styles of student sheet --------------------------------------------------------

def _no(s: _Student, style: int):
    if style == 3:  # a plain number, as a 学号 column typed into Excel is stored
        return 202600000 + s.number
    return f"G3201{s.number:013d}"


def _messy(rng: random.Random, mobile: str) -> str:
    """A mobile as people type it: full-width digits, trailing spaces, dashes."""
    roll = rng.random()
    if roll < 0.04:
        return mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if roll < 0.08:
        return mobile + rng.choice(("  ", "\u3000", "\xa0"))
    if roll < 0.10:
        return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    return mobile


STYLES = {
    # sheet name, header rows, headers
    1: ("一年级", 2, ["序号", "姓名", "性别", "出生日期", "学籍号", "班级", "监护人姓名", "与学生关系", "联系电话",
                   "监护人2姓名", "监护人2电话"]),
    2: ("二年级", 1, ["姓名", "性别", "出生年月日", "全国学籍号", "年级", "班级", "监护人1姓名", "监护人1关系",
                   "监护人1手机号", "监护人2姓名", "监护人2关系", "监护人2手机号"]),
    3: ("三四年级", 2, None),  # two rows, merged: see _write_style3
    4: ("五六年级", 1, ["学生姓名", "性别", "生日", "学籍号", "班级名称", "父亲姓名", "父亲电话", "母亲姓名",
                    "母亲手机", "备注"]),
}
STYLE3_TOP = ["姓名", "性别", "出生日期", "学号", "班级", "监护人1", None, "监护人2", None]
STYLE3_SUB = [None, None, None, None, None, "姓名", "电话", "姓名", "电话"]


def _cells(s: _Student, style: int, rng: random.Random, index: int) -> list:
    g = s.guardians + [("", "", "")] * (2 - len(s.guardians))
    o = s.override
    name = o.get("name", s.name)
    if style == 1 and index % 40 == 7:  # typed with spaces: 王 小 明
        name = " ".join(name)
    gender, no = o.get("gender", s.gender), o.get("no", _no(s, style))
    birth = o.get("birth", s.birth)
    mobiles = [o.get(f"mobile{i}", _messy(rng, m) if m and style in (1, 2) else m) for i, (_r, _n, m) in enumerate(g)]
    if style == 1:
        klass = o.get("class", f"{CN[s.grade - 1]}年级{s.klass}班")
        return [index, name, gender, birth, no, klass, g[0][1], g[0][0], mobiles[0], g[1][1], mobiles[1]]
    if style == 2:
        klass = o.get("class", f"{s.klass}班")
        return [name, gender, f"{birth.year}/{birth.month}/{birth.day}", no, f"{CN[s.grade - 1]}年级", klass,
                g[0][1], g[0][0], mobiles[0], g[1][1], g[1][0], mobiles[1]]
    if style == 3:
        klass = o.get("class", s.grade * 100 + s.klass)
        return [name, gender, birth, no, klass, g[0][1], int(mobiles[0]) if mobiles[0].isdigit() else mobiles[0],
                g[1][1], int(mobiles[1]) if mobiles[1].isdigit() else mobiles[1]]
    by = {r: (n, m) for (r, n, _), m in zip(g, mobiles, strict=True)}
    father, mother = by.get("父亲", ("", "")), by.get("母亲", ("", ""))
    klass = o.get("class", f"{s.grade}年级({s.klass})班")
    return [name, gender, f"{birth.year}年{birth.month}月{birth.day}日", no, klass, *father, *mother,
            rng.choice(("", "", "走读", "午托"))]


def _write(wb: Workbook, style: int, students: list[_Student], rng: random.Random) -> tuple[str, int]:
    """Writes a sheet; returns its name and the line of its first student."""
    title, header_rows, headers = STYLES[style]
    ws = wb.create_sheet(title)
    if style == 1:  # a title merged across the sheet above the header
        ws.append([f"2026学年花园小学{title}学生名册"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append(headers)
    elif style == 3:  # 监护人1 merged over 姓名 and 电话, the student's headers merged down two rows
        ws.append(STYLE3_TOP)
        ws.append(STYLE3_SUB)
        for col in range(1, 6):
            ws.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
        ws.merge_cells("F1:G1")
        ws.merge_cells("H1:I1")
    else:
        ws.append(headers)
    for i, s in enumerate(students, start=1):
        ws.append(_cells(s, style, rng, i))
    return title, header_rows + 1


def patch_cells(data: bytes, cells: dict[tuple[int, str], str]) -> bytes:
    """Cells written as raw XML, as Excel saves them but openpyxl cannot write: a formula with its cached value, a
    number as a float (2.0260001E8), or a whole cell of text (<c r="B7" t="inlineStr">…</c>). cells: {(sheet number,
    "B7"): "<f>…</f><v>…</v>" or "<c …>…</c>"}."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            for (sheet, ref), xml in cells.items():
                if item.filename == f"xl/worksheets/sheet{sheet}.xml":
                    cell = xml if xml.startswith("<c ") else f'<c r="{ref}">{xml}</c>'
                    content, n = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode(), cell.encode(), content)
                    assert n == 1, ref
            dst.writestr(item, content)
    return out.getvalue()


# ---- the school ------------------------------------------------------------------------------

def text_cell(ref: str, text: str) -> str:
    """A cell of text for patch_cells."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def school_roster(seed: int = 2026, bad: int = 20, size: int = 900) -> Planted:
    rng = random.Random(seed)
    names = _Names(rng)
    seats = [(grade, klass) for grade in range(1, 7) for klass in range(1, 5)] * (size // 24 + 1)
    seats = seats[:size]
    rng.shuffle(seats)
    students: list[_Student] = []
    families = 0
    number = 0

    def child(surname, guardians, seat, birth=None):
        nonlocal number
        number += 1
        grade, klass = seat
        birth = birth or date(2026 - grade - 6, rng.randint(1, 12), rng.randint(1, 28))
        s = _Student(surname + names.given(), rng.choice("男女"), birth, number, grade, klass, list(guardians))
        students.append(s)
        return s

    while seats:
        families += 1
        size = 3 if families <= 5 else 2 if families <= 50 else 1
        size = min(size, len(seats))
        surname = rng.choice(SURNAMES)
        father = ("父亲", surname + names.given(), names.mobile())
        mother = ("母亲", rng.choice(SURNAMES) + names.given(), names.mobile())
        two = rng.random() < 0.9 or size > 1
        guardians = [father, mother] if two else [rng.choice((father, mother))]
        twins = size == 2 and families % 10 == 0  # twins: one class, one birthday
        family_seats = [seats.pop() for _ in range(size)]
        if twins:
            family_seats = [family_seats[0]] * size
            birth = date(2026 - family_seats[0][0] - 6, 3, 14)
        for k, seat in enumerate(family_seats):
            listed = guardians
            if size == 3:  # mum on the first, both on the second, dad on the third: one family through the middle
                listed = [[mother], [father, mother], [father]][k]
            elif size == 2 and k == 1 and families % 3 == 0:
                listed = [mother]
            child(surname, listed, seat, birth if twins else None)

    good = len(students)
    guardians_count = len({m for s in students for _r, _n, m in s.guardians})
    _plant_bad(students, bad, rng, names, child)

    by_style = {style: [] for style in STYLES}
    for s in students:
        style = 1 if s.grade == 1 else 2 if s.grade == 2 else 3 if s.grade <= 4 else 4
        by_style[style].append(s)
    for style, rows in by_style.items():
        ordinary = sorted((s for s in rows if not s.bad), key=lambda s: (s.grade, s.klass, s.number))
        for s in (s for s in rows if s.bad):  # the bad rows among the others, not in a block at the end
            ordinary.insert(rng.randint(0, len(ordinary)), s)
        by_style[style] = ordinary

    wb = Workbook()
    wb.remove(wb.active)
    where: dict[int, tuple[str, int]] = {}
    for style, rows in by_style.items():
        title, first = _write(wb, style, rows, rng)
        for i, s in enumerate(rows):
            where[id(s)] = (title, first + i)
    _volunteers(wb, rng, names)
    junk = wb.create_sheet("数据源")
    junk.append(["下拉", "选项", "学籍号"])
    junk.append(["男", "#REF!", "不要导入"])
    junk.sheet_state = "hidden"

    out = io.BytesIO()
    wb.save(out)
    # One formula (the first mobile of 二年级's first row, with the value Excel saved) and 学号 stored as floats.
    first = next(i for i, s in enumerate(by_style[2]) if not s.bad)
    mobile = by_style[2][first].guardians[0][2]
    raw = {(2, f"I{2 + first}"): f"<f>{mobile}+0</f><v>{mobile}</v>"}
    for i, s in enumerate(by_style[3][:20]):
        if not s.override:
            raw[(3, f"D{3 + i}")] = f"<v>{_no(s, 3) / 1e8:.8f}E8</v>"
    data = patch_cells(out.getvalue(), raw)
    return Planted(data, good, families, guardians_count, 40, len(students),
                   [_reason(s, where) for s in students if s.bad])


def _plant_bad(students, bad, rng, names, child) -> None:
    """Adds exactly `bad` rows of known kinds, each with one problem and mobiles of its own (a duplicate 学籍号 and a
    shared mobile take two rows each)."""
    planted = 0
    kinds = iter(BAD_KINDS * (bad // len(BAD_KINDS) + 2))
    while planted < bad:
        kind = next(kinds)
        pair = kind in ("dup_no", "shared")
        if pair and planted + 2 > bad:
            continue
        # Grades 1 and 2 write the class as text; the others are spread over every sheet.
        grade = rng.choice((1, 2)) if kind == "class" else rng.randint(1, 6)
        surname = SURNAMES[planted % len(SURNAMES)]
        s = child(surname, [("父亲", surname + names.given(), names.mobile())], (grade, rng.randint(1, 4)))
        s.bad = kind
        if kind == "mobile10":
            s.override["mobile0"] = names.mobile()[:10]
        elif kind == "class":
            s.override["class"] = "一年级实验班" if grade == 1 else "实验班"
        elif kind == "future":
            s.override["birth"] = date(2061, 5, 3)
        elif kind == "no_name":
            s.override["name"] = ""
        elif kind == "no_no":
            s.override["no"] = ""
        elif kind == "gender":
            s.override["gender"] = "不详"
        elif kind == "no_mobile":
            s.guardians.append(("母亲", "陈" + names.given(), ""))
        elif pair:
            other_surname = SURNAMES[(planted + 7) % len(SURNAMES)]
            grade2 = 5 if grade <= 2 else 1  # the other row on another sheet
            other = child(other_surname, [("母亲", other_surname + names.given(), names.mobile())],
                          (grade2, rng.randint(1, 4)))
            other.bad, s.partner, other.partner = kind, other, s
            if kind == "dup_no":  # the two in sheets whose 学籍号 is G…: a number the same in both
                if grade in (3, 4):
                    s.grade = 2
                other.number = s.number
            else:
                s.guardians[0] = ("父亲", s.guardians[0][1], other.guardians[0][2])
        planted += 2 if pair else 1


def _reason(s: _Student, where: dict) -> Bad:
    sheet, line = where[id(s)]
    partner = where.get(id(s.partner))
    of = "" if partner is None else (f"line {partner[1]}" if partner[0] == sheet
                                     else f"line {partner[1]} of sheet “{partner[0]}”")
    label = {"一年级": "监护人2", "二年级": "监护人2", "三四年级": "监护人2", "五六年级": "母亲"}[sheet]
    if s.bad == "dup_no":
        reason = f"The student number G3201{s.number:013d} is also on {of}."
    elif s.bad == "shared":
        reason = (f"The mobile {s.guardians[0][2]} is also given for {s.partner.guardians[0][1]}, guardian of "
                  f"{s.partner.name} on {of}:")
    else:
        reason = {
            "mobile10": f"the mobile “{s.override.get('mobile0')}” is not an 11-digit mobile number",
            "class": f"The class “{'二年级 ' if s.grade == 2 else ''}{s.override.get('class')}” cannot be read",
            "future": "The birth date 2061-05-03 is in the future.",
            "no_name": "The student's name is missing.",
            "no_no": "The student number (学籍号) is missing.",
            "gender": "The gender “不详” is not 男 or 女.",
            "no_mobile": f"{label} {s.guardians[-1][1]} has no mobile number.",
        }[s.bad]
    return Bad(sheet, line, s.bad, reason)


def _volunteers(wb: Workbook, rng: random.Random, names: _Names) -> None:
    ws = wb.create_sheet("五老志愿者")
    ws.append(["序号", "姓名", "性别", "五老类别", "特长", "原单位", "手机号码", "出生年份"])
    for i in range(1, 41):
        ws.append([i, rng.choice(SURNAMES) + names.given(), rng.choice("男女"), KINDS[i % len(KINDS)],
                   "、".join(rng.sample(SKILLS, 2)), rng.choice(("区教育局", "花园小学", "市第三医院", "区人武部")),
                   names.mobile(), rng.randint(1945, 1965)])


def school_workbook(seed: int = 2026, bad: int = 20) -> bytes:
    return school_roster(seed, bad).data
