"""The 行事历 as an Excel sheet: exported like the paper table, imported from it through the shared preview.

A row's 时间 may be a day (2026-03-05, 3月5日), a day and time (3月5日 14:00-16:00), a month only (三月, 2026年4月)
or a half year (下半年). A 活动安排 cell numbered 1、2、3、 on several lines, as the paper table is written, gives
one event per line; the 责任人 lines are paired with them when there are as many.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from ..auth.models import User
from ..core.clock import local_today
from ..core.xlsx import WRAP, workbook_bytes, write_sheet
from ..extensions import db
from ..imports.services import Checked, Column, check_each, has_control, register_kind, text_value
from ..people.models import Volunteer
from ..permissions import holders
from .calendar import when_text
from .models import EVENT_KINDS, Event, EventHelper, Partner
from .services import responsible_text

COLUMNS = (
    Column("时间", "when", 22, True, "3月5日 14:00-16:00"),
    Column("活动安排", "title", 44, True, "讲述革命英雄故事，五老人员进课堂"),
    Column("责任人", "leads", 20, example="五年级组"),
    Column("类型", "kind", 12, example="五老进课堂"),
    Column("地点", "place", 16, example="学校报告厅"),
    Column("合作单位", "partner", 16),
    Column("说明", "description", 30),
)
EXPORT = [("时间", 18), ("活动安排", 44), ("责任人", 20), ("类型", 12), ("地点", 16), ("合作单位", 16), ("状态", 8),
          ("参与人数", 10)]
STATUS_ZH = {"planned": "计划", "done": "已开展", "cancelled": "已取消"}
MAX_TITLE, MAX_PLACE, MAX_DESCRIPTION, MAX_LEADS = 100, 100, 2000, 200

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12, "正": 1, "腊": 12}
_MONTH = r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]|正|腊)"
_YEAR = r"(?:(?P<year>20\d\d)\s*[年./-]\s*)?"
_TIME = r"(?:\s*(?P<h1>\d{1,2})[:：](?P<m1>\d\d)(?:\s*[-–—~至到]\s*(?P<h2>\d{1,2})[:：](?P<m2>\d\d))?)?"
DAY_RE = re.compile(rf"^{_YEAR}(?P<month>1[0-2]|0?[1-9])\s*[月./-]\s*(?P<day>3[01]|[12]\d|0?[1-9])\s*[日号]?{_TIME}$")
MONTH_RE = re.compile(rf"^{_YEAR}{_MONTH}\s*月(?:份|上旬|中旬|下旬|内)?$")
HALF_RE = re.compile(r"^(?:(?P<year>20\d\d)\s*年\s*)?(?P<half>上半年|下半年)$")
ITEM_RE = re.compile(r"^\s*(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*[、.．）)]\s*")
NAME_SPLIT = re.compile(r"[、，,；;/\s]+")


def _school_year(today: date) -> int:
    return today.year if today.month >= 8 else today.year - 1


def parse_when(text: str, today: date) -> tuple[str, datetime, datetime | None]:
    """(precision, start, end) of a 时间 cell; a date without a year falls in the school year of `today`.
    Raises ValueError with the reason."""
    text = re.sub(r"\s+", " ", text.replace("\u3000", " ").strip())
    if m := DAY_RE.match(text):
        month, day = int(m["month"]), int(m["day"])
        year = int(m["year"]) if m["year"] else _school_year(today) + (month < 8)
        start_day = date(year, month, day)  # may raise ValueError: 2月30日
        if not m["h1"]:
            return "day", datetime.combine(start_day, time()), None
        starts = datetime.combine(start_day, time(int(m["h1"]), int(m["m1"])))
        ends = datetime.combine(start_day, time(int(m["h2"]), int(m["m2"]))) if m["h2"] else None
        if ends is not None and ends <= starts:
            raise ValueError("end")
        return "time", starts, ends
    if m := MONTH_RE.match(text):
        word = m["month"]
        month = int(word) if word.isdigit() else CN_DIGITS[word]
        year = int(m["year"]) if m["year"] else _school_year(today) + (month < 8)
        return "month", datetime(year, month, 1), None
    if m := HALF_RE.match(text):
        year = int(m["year"]) if m["year"] else today.year
        return "half", datetime(year, 1 if m["half"] == "上半年" else 7, 1), None
    raise ValueError("format")


def split_items(text: str) -> list[str]:
    """One cell numbered 1、… 2、… on several lines: one entry per number; otherwise the whole cell."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and ITEM_RE.match(lines[0]):
        items: list[str] = []
        for line in lines:
            if ITEM_RE.match(line):
                items.append(ITEM_RE.sub("", line, count=1))
            else:
                items[-1] += line
        return items
    return [ITEM_RE.sub("", " ".join(lines), count=1)] if lines else [""]


class _Lookup:
    def __init__(self, school_id: int):
        self.users: dict[str, list[User]] = {}
        for u in db.session.scalars(select(User).where(User.school_id == school_id, User.active.is_(True),
                                                       holders("events.lead"))):
            self.users.setdefault(u.display_name, []).append(u)
        self.volunteers: dict[str, list[Volunteer]] = {}
        for v in db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id,
                                                            Volunteer.active.is_(True))):
            self.volunteers.setdefault(v.name, []).append(v)
        self.partners = {p.name: p for p in db.session.scalars(select(Partner).where(Partner.school_id == school_id,
                                                                                     Partner.active.is_(True)))}
        self.existing = set(map(tuple, db.session.execute(select(Event.title, Event.starts_at, Event.precision)
                                               .where(Event.school_id == school_id, Event.status != "cancelled"))))

    def leads(self, text: str) -> tuple[list[int], list[int], str]:
        """Names of staff or volunteers with a record become links; the rest (五年级组 …) stays as written."""
        users, volunteers, groups = [], [], []
        for name in NAME_SPLIT.split(text):
            if not name:
                continue
            if len(self.users.get(name, [])) == 1:
                users.append(self.users[name][0].id)
            elif len(self.volunteers.get(name, [])) == 1:
                volunteers.append(self.volunteers[name][0].id)
            else:
                groups.append(name)
        return list(dict.fromkeys(users)), list(dict.fromkeys(volunteers)), "、".join(dict.fromkeys(groups))


def _col(key) -> Column:
    return next(c for c in COLUMNS if c.key == key)


def _check(row: Checked, look: _Lookup, seen: dict, today: date) -> None:
    when_col = _col("when")
    when = text_value(row, when_col, required=True)
    precision = starts = ends = None
    if when and not has_control(when):
        try:
            precision, starts, ends = parse_when(when, today)
        except ValueError:
            row.error(when_col.header, _("Write the time like 3月5日, 3月5日 14:00-16:00, 2026-03-05, 三月 or 下半年."))
    title_col = _col("title")
    titles = split_items(text_value(row, title_col, required=True))
    if any(len(t) > MAX_TITLE for t in titles):
        row.error(title_col.header, _("At most %(max)d characters for each activity.", max=MAX_TITLE))
    if not any(titles) and not any(e[0] == title_col.header for e in row.errors):
        row.error(title_col.header, _("This field is required."))
    leads_col = _col("leads")
    lead_lines = [line for line in text_value(row, leads_col).splitlines() if line.strip()]
    if len(lead_lines) != len(titles):
        lead_lines = ["、".join(lead_lines)] * len(titles)
    kind_col = _col("kind")
    kind = text_value(row, kind_col) or "其他"
    if kind not in EVENT_KINDS and not has_control(kind):
        row.error(kind_col.header, _("Unknown type “%(word)s”. Use %(choices)s.", word=kind, choices="、".join(EVENT_KINDS)))
    place = text_value(row, _col("place"), MAX_PLACE)
    description = text_value(row, _col("description"), MAX_DESCRIPTION)
    partner_col = _col("partner")
    partner_name = text_value(row, partner_col)
    partner = look.partners.get(partner_name)
    if partner_name and partner is None and not has_control(partner_name):
        row.error(partner_col.header, _("“%(name)s” is not in the partner directory. Add it there first.",
                                        name=partner_name))
    events = []
    if starts is not None:
        for title, leads_text in zip(titles, lead_lines, strict=True):
            if len(leads_text) > MAX_LEADS:
                row.error(leads_col.header, _("At most %(max)d characters.", max=MAX_LEADS))
                break
            key = (title, starts, precision)
            if key in look.existing:
                row.error(title_col.header, _("“%(title)s” is already in the calendar at this time.", title=title))
            elif key in seen:
                row.error(title_col.header, _("Duplicate: same as row %(line)d.", line=seen[key]))
            else:
                seen[key] = row.line
            users, volunteers, groups = look.leads(leads_text)
            events.append({"title": title, "precision": precision, "starts_at": starts.isoformat(),
                           "ends_at": ends.isoformat() if ends else None, "kind": kind, "place": place,
                           "description": description, "partner_id": partner.id if partner else None,
                           "lead_ids": users, "lead_volunteer_ids": volunteers, "lead_groups": groups})
    if not row.errors:
        row.data = {"events": events}
        row.who = "；".join(f"{e['title']}" for e in events) if len(events) > 1 else ""


def check_rows(actor, rows: list[dict], term=None) -> list[Checked]:
    look, today = _Lookup(actor.school_id), local_today()
    return check_each(rows, lambda row, seen: _check(row, look, seen, today))


def build(actor, checked: list[Checked]) -> list[Event]:
    users = {u.id: u for u in db.session.scalars(select(User).where(User.school_id == actor.school_id))}
    out = []
    for row in checked:
        for e in row.data["events"]:
            event = Event(school_id=actor.school_id, created_by_id=actor.id, status="planned", title=e["title"],
                          kind=e["kind"], precision=e["precision"], starts_at=datetime.fromisoformat(e["starts_at"]),
                          ends_at=datetime.fromisoformat(e["ends_at"]) if e["ends_at"] else None, place=e["place"],
                          description=e["description"], partner_id=e["partner_id"], lead_groups=e["lead_groups"])
            event.leads = [users[i] for i in e["lead_ids"]]
            event.helpers = [EventHelper(school_id=actor.school_id, volunteer_id=v, role="lead", added_by_id=actor.id)
                             for v in e["lead_volunteer_ids"]]
            out.append(event)
    return out


register_kind("events", COLUMNS, check_rows, build, "event.create")


def calendar_workbook(title: str, groups) -> bytes:
    """The calendar as the paper table: 时间 | 活动安排 | 责任人, with the type, place and partner after."""
    wb = Workbook()
    ws = wb.active
    ws.title = "行事历"
    rows = []
    for group in groups:
        for e in group.events:
            rows.append([when_text(e) if e.dated else group.label, e.title, responsible_text(e), e.kind, e.place,
                         e.partner.name if e.partner else "", STATUS_ZH[e.status], e.participants])
    write_sheet(ws, EXPORT, rows)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    ws.insert_rows(1)
    ws["A1"] = title
    ws.freeze_panes = "A3"
    return workbook_bytes(wb)


def template_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "行事历"
    write_sheet(ws, [(c.header, c.width) for c in COLUMNS], [
        [c.example for c in COLUMNS],
        ["四月", "1、缅怀革命先烈，老少共祭英雄\n2、“党在我心中”刻纸作品参观展示", "五年级组\n殷明欣", "节日活动", "", "", ""],
        ["下半年", "关工委优质化建设考核", "全体行政", "其他", "", "", ""],
    ])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    notes = wb.create_sheet("说明")
    rules = [
        ["时间", "必填", "如 3月5日、3月5日 14:00-16:00、2026-03-05、三月、2026年4月、下半年。不写年份时按本学年。"],
        ["活动安排", "必填", f"每项最多 {MAX_TITLE} 字。一格内分行写“1、… 2、…”时，每行成为一项活动。"],
        ["责任人", "选填", "姓名与系统中的教职工或志愿者一致时会关联到其账号；年级组、部门等照写。分行写时与活动逐行对应。"],
        ["类型", "选填", "可选值：" + "、".join(EVENT_KINDS) + "。留空为“其他”。"],
        ["地点", "选填", f"最多 {MAX_PLACE} 字。"],
        ["合作单位", "选填", "须已在“合作单位”名录中。"],
        ["说明", "选填", f"最多 {MAX_DESCRIPTION} 字。"],
        ["", "", "第一行为列标题，请勿修改。导入前会先预览并检查，确认后全部导入或全部不导入。"],
    ]
    write_sheet(notes, [("列", 12), ("是否必填", 10), ("填写说明", 80)], rules)
    return workbook_bytes(wb)

