"""Workbooks of the committee's reports: one per report, and the 年度工作台账 with a sheet per area for the district.

The district gets figures and adults' names; students appear only in the coverage report's list of uncovered
students, which stays in the school (the annual pack carries the numbers per class, never that list)."""
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.errors import saving
from ..core.xlsx import WRAP, workbook_bytes, write_sheet
from ..events.calendar import when_text
from ..events.models import Event, EventHelper
from ..events.services import responsible_text
from ..extensions import db
from ..needs.models import NEED_STATUS
from . import services

STATUS_ZH = {"open": "待对接", "matched": "已对接", "done": "已完成", "closed": "已关闭"}
EVENT_STATUS_ZH = {"planned": "计划中", "done": "已举办", "cancelled": "已取消"}
FIGURE = [("指标", 30), ("数值", 14), ("说明", 60)]


def _pct(value):
    return value if value is not None else ""


def _month(day) -> str:
    return f"{day.year}年{day.month}月"


def needs_sheet(wb, d: services.Dashboard):
    ws = wb.create_sheet("需求菜单")
    rows = [[r.name, *(r.by_status[s] for s in NEED_STATUS), r.total] for r in d.needs]
    rows.append(["合计", *(sum(r.by_status[s] for r in d.needs) for s in NEED_STATUS), d.needs_total])
    write_sheet(ws, [("类别", 16), *((STATUS_ZH[s], 10) for s in NEED_STATUS), ("合计", 10)], rows)


def matching_sheet(wb, d: services.Dashboard):
    m = d.matching
    ws = wb.create_sheet("需求对接")
    rows = [["本期提出的需求", m.raised, "按提出日期计"],
            ["已对接（已结对）", m.matched, "含待确认、进行中、已结束的结对"],
            ["对接率（%）", _pct(m.share), "已对接 ÷ 提出"],
            ["对接用时中位数（天）", _pct(m.median_days), "从提出需求到首次结对"],
            ["对接用时平均（天）", _pct(m.mean_days), ""]]
    rows += [[f"用时：{label}", n, ""] for label, n in m.buckets]
    write_sheet(ws, FIGURE, rows)


def coverage_sheet(wb, d: services.Dashboard):
    c = d.coverage
    ws = wb.create_sheet("特殊群体覆盖")
    rows = [[x.school_class.label, x.tagged, x.covered, _pct(x.share)] for x in c.classes]
    rows += [[f"{name}合计", t, n, _pct(s)] for name, t, n, s in c.grades]
    rows.append(["全校合计", c.tagged, c.covered, _pct(c.share)])
    write_sheet(ws, [("班级", 14), ("特殊群体学生", 14), ("本期有结对帮扶", 16), ("覆盖率（%）", 12)], rows)


def uncovered_sheet(wb, d: services.Dashboard):
    ws = wb.create_sheet("未覆盖学生")
    rows = [[u.class_label, u.name, u.student_no, "、".join(u.tags),
             str(u.need_state_label)] for u in d.coverage.uncovered]
    write_sheet(ws, [("班级", 14), ("学生", 10), ("学号", 14), ("特殊群体标签", 24), ("需求", 12)], rows)


def pairs_sheet(wb, d: services.Dashboard):
    p = d.pairs
    ws = wb.create_sheet("结对帮扶")
    rows = [["当前进行中的结对", p.active, "导出当天"]]
    rows += [[f"其中：{label}", n, ""] for label, n in p.by_kind]
    rows += [["需关注（14天以上未走访）", p.attention, "进行中的结对"],
             ["逾期（30天以上未走访）", p.overdue, "进行中的结对"],
             ["本期新结对", p.started, "按开始日期计"],
             ["本期结束的结对", p.ended_total, "按结束日期计"]]
    rows += [[f"结束原因：{label}", n, ""] for label, n in p.ended]
    write_sheet(ws, FIGURE, rows)


def hours_sheets(wb, d: services.Dashboard):
    ws = wb.create_sheet("服务时长")
    rows = [[_month(m.month), float(m.hours), m.entries] for m in d.hours_by_month]
    rows.append(["合计", float(d.hours_total), sum(m.entries for m in d.hours_by_month)])
    write_sheet(ws, [("月份", 12), ("已审核时长（小时）", 18), ("记录条数", 10)], rows)
    kinds = wb.create_sheet("五老类别时长")
    write_sheet(kinds, [("五老类别", 12), ("已审核时长（小时）", 18), ("志愿者人数", 12)],
                [[k, float(h), n] for k, h, n in d.hours_by_kind])
    top = wb.create_sheet("服务之星")
    write_sheet(top, [("名次", 8), ("志愿者", 12), ("五老类别", 10), ("已审核时长（小时）", 18), ("记录条数", 10)],
                [[i, t.volunteer.name, t.volunteer.kind, float(t.hours), t.entries]
                 for i, t in enumerate(d.top_volunteers, start=1)])


def events_sheets(wb, d: services.Dashboard):
    e = d.events
    kinds = [k for k, _n in e.by_kind]
    ws = wb.create_sheet("家校社活动")
    rows = [[_month(m.month), *(m.by_kind[k] for k in kinds), m.total] for m in e.months]
    rows.append(["合计", *(n for _k, n in e.by_kind), sum(n for _k, n in e.by_kind)])
    write_sheet(ws, [("月份", 12), *((k, 12) for k in kinds), ("合计", 8)], rows)
    ids = [x.id for x in e.events]
    events = db.session.scalars(
        select(Event).where(Event.id.in_(ids)).order_by(Event.starts_at, Event.id)
        .options(selectinload(Event.leads), selectinload(Event.helpers).selectinload(EventHelper.volunteer),
                 selectinload(Event.partner))).all()
    listing = wb.create_sheet("活动清单")
    write_sheet(listing, [("时间", 18), ("活动", 36), ("类型", 12), ("地点", 16), ("共建单位", 16), ("责任人", 24),
                          ("状态", 8), ("参与人数", 10), ("活动总结", 50)],
                [[when_text(x), x.title, x.kind, x.place, x.partner.name if x.partner else "", responsible_text(x),
                  EVENT_STATUS_ZH[x.status], x.participants if x.participants is not None else "", x.summary]
                 for x in events])
    for row in listing.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].alignment = WRAP


def parent_school_sheets(wb, d: services.Dashboard):
    p = d.parent_school
    ws = wb.create_sheet("家长学校")
    rows = [[s.session.starts_at.date(), s.session.course.title, s.session.title, s.registered, s.came,
             _pct(s.rate), s.walk_ins, _pct(s.rating), s.ratings] for s in p.sessions]
    rows.append(["合计", "", "", p.registered, p.came, _pct(p.rate), p.walk_ins, _pct(p.average), p.ratings])
    write_sheet(ws, [("日期", 12), ("课程", 30), ("场次", 20), ("报名家庭", 10), ("到场", 8), ("到场率（%）", 12),
                     ("现场签到", 10), ("平均评分", 10), ("评价份数", 10)], rows, date_columns=(1,))
    stars = wb.create_sheet("家长满意度")
    rows = [[f"{s}星", n] for s, n in p.stars]
    rows += [["平均评分", _pct(p.average)], ["满意率（4–5星，%）", _pct(p.satisfied)]]
    write_sheet(stars, [("评分", 18), ("份数", 10)], rows)
    done = wb.create_sheet("必修课完成")
    write_sheet(done, [("必修课程", 30), ("班级", 14), ("家庭数", 10), ("已参加", 10), ("已完成", 10),
                        ("完成率（%）", 12)],
                [[c.course.title, c.school_class.label, c.families, c.started, c.completed, _pct(c.share)]
                 for c in p.completion])


# report key -> (file name, sheets); coverage's list of names is added for the school's own copy only
REPORTS = {
    "needs": ("需求菜单统计", (needs_sheet,)),
    "matching": ("需求对接情况", (matching_sheet,)),
    "coverage": ("特殊群体覆盖", (coverage_sheet, uncovered_sheet)),
    "pairs": ("结对帮扶情况", (pairs_sheet,)),
    "hours": ("志愿服务时长", (hours_sheets,)),
    "events": ("家校社活动", (events_sheets,)),
    "parent_school": ("家长学校", (parent_school_sheets,)),
}
ANNUAL = (needs_sheet, matching_sheet, coverage_sheet, pairs_sheet, hours_sheets, events_sheets, parent_school_sheets)


def _book(sheets, d) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        sheet(wb, d)
    return wb


def report_workbook(actor, key: str, d: services.Dashboard) -> bytes:
    _name, sheets = REPORTS[key]
    wb = _book(sheets, d)
    detail = f"report={key} period={d.period.key}"
    if key == "coverage":
        detail += f" uncovered={len(d.coverage.uncovered)}"
    with saving():
        record(actor, "reports.export", None, detail)
    return workbook_bytes(wb)


def annual_workbook(actor, school_name: str, d: services.Dashboard, made: datetime) -> bytes:
    """年度工作台账: a cover sheet with the year's headline figures, then a sheet per area."""
    wb = Workbook()
    cover = wb.active
    cover.title = "概况"
    p, c, m = d.parent_school, d.coverage, d.matching
    write_sheet(cover, FIGURE, [
        ["学校", school_name, ""],
        ["年度", d.period.label, f"{d.period.start:%Y-%m-%d} 至 {d.period.end:%Y-%m-%d}"],
        ["导出时间", made.strftime("%Y-%m-%d %H:%M"), ""],
        ["提出需求", d.needs_total, ""],
        ["需求对接率（%）", _pct(m.share), f"{m.matched} / {m.raised}"],
        ["特殊群体结对覆盖率（%）", _pct(c.share), f"{c.covered} / {c.tagged}"],
        ["进行中的结对", d.pairs.active, "导出当天"],
        ["志愿服务时长（小时）", float(d.hours_total), "已审核"],
        ["家校社活动（场）", d.events.done + d.events.planned, f"已举办 {d.events.done}"],
        ["家长学校场次", len(p.sessions), ""],
        ["家长学校到场率（%）", _pct(p.rate), f"{p.came} / {p.registered}"],
        ["家长满意率（%）", _pct(p.satisfied), f"{p.ratings} 份评价"],
    ])
    for sheet in ANNUAL:
        sheet(wb, d)
    with saving():
        record(actor, "reports.annual_export", None, f"period={d.period.key}")
    return workbook_bytes(wb)
