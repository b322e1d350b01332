"""上报表册: a form of figures a unit asks every school to fill — rows of indicators, each with its unit and a note,
under one or more columns. A row may name a figure the portal already holds for the school (SOURCES): the school's
copy starts from it, in the first column, and the school corrects or completes the rest. Submitted, the copy is
locked; the unit gets every school's copy in one workbook."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from openpyxl import Workbook
from sqlalchemy import func, select

from ..core.errors import DomainError
from ..core.xlsx import WRAP, workbook_bytes, write_sheet
from ..extensions import db
from ..hours.totals import year_period
from ..people.models import SchoolClass, Student, Volunteer, student_tags
from . import figures
from .models import SHOWN_TO_UNIT

MAX_ROWS, MAX_COLUMNS = 40, 6
SEPARATORS = re.compile(r"[,，、;；]")

# What the portal can pre-fill, for the calendar year of the day the school first opens its copy, or as of that day.
SOURCES = {
    "students": _l("Students in school"),
    "tagged": _l("Students with a support tag"),
    "volunteers": _l("Volunteers (五老) on the register"),
    "pairs": _l("Pairs running this year"),
    "hours": _l("Approved hours this year"),
    "events": _l("Events held this year"),
    "sessions": _l("Parent-school sessions this year"),
    "attendance": _l("参训率 this year (%)"),
    "satisfaction": _l("满意率 this year (%)"),
}


def parse(columns_text: str, rows_text: str) -> dict:
    """The unit's definition from the task form: columns separated by 、 or commas; one row per line as
    名称|单位|说明|来源 (the last three may be left out; 来源 is a key of SOURCES). A unit or a note may differ per
    column, written 人/人次: each cell then has its own; one written once holds for the row's every cell."""
    columns = [c.strip() for c in SEPARATORS.split(columns_text or "") if c.strip()] or [pgettext("report form", "Value")]
    if len(columns) > MAX_COLUMNS:
        raise DomainError(_("A form has at most %(n)d columns.", n=MAX_COLUMNS), "form_columns")
    rows = []
    for number, line in enumerate((rows_text or "").splitlines(), start=1):
        if not line.strip():
            continue
        line = unicodedata.normalize("NFKC", line)  # ｜ and ％ as a Chinese keyboard types them
        label, unit, note, source = ([p.strip() for p in line.split("|")] + ["", "", ""])[:4]
        if not label:
            raise DomainError(_("Line %(n)d has no name.", n=number), "form_rows")
        if source and source not in SOURCES:
            raise DomainError(_("Line %(n)d: “%(source)s” is not a figure the portal holds.", n=number, source=source),
                              "form_rows")
        rows.append({"label": label[:60], "units": _per_column(unit, len(columns), 12, number, _("units")),
                     "notes": _per_column(note, len(columns), 200, number, _("notes")), "source": source})
    if not rows:
        raise DomainError(_("Write at least one row of the form."), "form_rows")
    if len(rows) > MAX_ROWS:
        raise DomainError(_("A form has at most %(n)d rows.", n=MAX_ROWS), "form_rows")
    return {"columns": [c[:30] for c in columns], "rows": rows}


def _per_column(text: str, n: int, longest: int, line: int, what: str) -> list[str]:
    """One value per column; with one column, a "/" is the text's own (次/年, 2025/9/1起)."""
    parts = [p.strip()[:longest] for p in text.split("/")] if text and n > 1 else [text.strip()[:longest]]
    if len(parts) == 1:
        return parts * n
    if len(parts) != n:
        raise DomainError(_("Line %(line)d gives %(given)d %(what)s for %(n)d columns.", line=line, given=len(parts),
                            what=what, n=n), "form_rows")
    return parts


def cells(form: dict) -> list[str]:
    return [key(i, j) for i in range(len(form["rows"])) for j in range(len(form["columns"]))]


def key(i: int, j: int) -> str:
    return f"r{i}c{j}"


def prefilled(form: dict, school_id: int, now: datetime) -> dict[str, str]:
    """The first column's cells the portal can fill for the school."""
    wanted = {row["source"] for row in form["rows"] if row["source"]}
    if not wanted:
        return {}
    got = _sources(school_id, wanted, now)
    return {key(i, 0): got[row["source"]] for i, row in enumerate(form["rows"])
            if row["source"] and got.get(row["source"]) is not None}


def _sources(school_id: int, wanted: set[str], now: datetime) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if "students" in wanted:
        out["students"] = str(db.session.scalar(select(func.count()).select_from(Student).where(
            Student.school_id == school_id, Student.active.is_(True))))
    if "tagged" in wanted:
        out["tagged"] = str(db.session.scalar(
            select(func.count(func.distinct(Student.id))).join(student_tags, student_tags.c.student_id == Student.id)
            .join(SchoolClass, SchoolClass.id == Student.class_id)
            .where(Student.school_id == school_id, Student.active.is_(True), SchoolClass.active.is_(True))))
    if "volunteers" in wanted:
        out["volunteers"] = str(db.session.scalar(select(func.count()).select_from(Volunteer).where(
            Volunteer.school_id == school_id, Volunteer.active.is_(True))))
    year = {"pairs", "hours", "events", "sessions", "attendance", "satisfaction"} & wanted
    if year:
        values = figures.values([school_id], [year_period(now.year)], now)[school_id][0]
        for name in year:
            value = values[name]
            out[name] = None if value is None else figures.shown(figures.BY_KEY[name], value).rstrip("%")
    return out


NUMBER = re.compile(r"\d{1,10}(\.\d{1,4})?")


def read(form: dict, given) -> dict[str, str]:
    """The school's figures from its form: numbers of 0 or more (up to ten digits, four decimals; full-width digits and
    thousands separators taken as typed on a Chinese keyboard), or empty; anything else is refused."""
    out = {}
    for name in cells(form):
        text = unicodedata.normalize("NFKC", given.get(name) or "").strip().replace(",", "")
        if text:
            if not NUMBER.fullmatch(text):
                i, j = (int(x) for x in re.findall(r"\d+", name))
                raise DomainError(_("“%(row)s” (%(column)s) takes a number of 0 or more.",
                                    row=form["rows"][i]["label"], column=form["columns"][j]), name)
            text = format(Decimal(text).normalize(), "f")
        out[name] = text
    return out


def complete(form: dict, figures_given: dict | None) -> bool:
    given = figures_given or {}
    return all(given.get(name) not in (None, "") for name in cells(form))


def workbook(task, returns) -> bytes:
    """Every school's copy in one sheet, a row per school and a column per cell, with the total of each column; then
    the form itself with its units and notes."""
    form = task.form
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    multi = len(form["columns"]) > 1
    headers = [("学校", 28), ("状态", 10)]
    for row in form["rows"]:
        for column in form["columns"]:
            name = f"{row['label']}（{column}）" if multi else row["label"]
            unit = row["units"][form["columns"].index(column)]
            headers.append((f"{name}（{unit}）" if unit else name, 16))
    body, totals = [], [Decimal(0)] * len(cells(form))
    for r in returns:
        done = r.state in SHOWN_TO_UNIT  # a school's draft stays with the school
        values = []
        for n, name in enumerate(cells(form)):
            text = (r.figures or {}).get(name) if done else None
            number = Decimal(text) if text else None
            if number is not None:
                totals[n] += number
            values.append(float(number) if number is not None else None)
        body.append([r.school.name, "已提交" if done else "未提交", *values])
    # Shares do not add up across schools: their total is left empty.
    width = len(form["columns"])
    share_cells = {n for n in range(len(cells(form))) if form["rows"][n // width]["units"][n % width] == "%"}
    body.append(["合计（已提交）", "", *(None if n in share_cells else float(t) for n, t in enumerate(totals))])
    write_sheet(ws, headers, body)
    about = wb.create_sheet("填报说明")
    write_sheet(about, [("指标", 30), ("列", 12), ("单位", 10), ("说明", 60)],
                [[row["label"], column, row["units"][j], row["notes"][j]]
                 for row in form["rows"] for j, column in enumerate(form["columns"])])
    for (cell,) in about.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.alignment = WRAP
    return workbook_bytes(wb)
