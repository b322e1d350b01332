"""Workbooks of the hours ledger for the district: the ledger of a period and the year's recognition list."""
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..core.errors import saving
from ..core.xlsx import WRAP, local_date, workbook_bytes, write_sheet
from ..extensions import db
from .models import ACTIVITIES, HourEntry
from .recognition import recognition
from .totals import by_kind, volunteer_totals

STATUS_ZH = {"pending": "待审核", "approved": "已通过", "rejected": "已退回"}
LEDGER = [("编号", 8), ("志愿者", 10), ("五老类别", 10), ("服务日期", 12), ("时长（小时）", 10), ("活动类别", 12),
          ("结对/活动", 24), ("说明", 36), ("状态", 8), ("录入", 8), ("审核人", 10), ("审核日期", 12),
          ("更正/退回原因", 24), ("冲正编号", 10)]
RECOGNITION = [("表彰等级", 14), ("志愿者", 10), ("五老类别", 10), ("年度服务时长（小时）", 16), ("记录条数", 10)]


def _ledger_row(e: HourEntry) -> list:
    link = f"活动：{e.event.title}" if e.event else (f"结对 #{e.pair_id}" if e.pair_id else "")
    # A pair's notes and visit records talk about the child: they stay in the school.
    note = "（结对帮扶，详见学校帮扶记录）" if e.pair_id or e.visit_id else e.note
    return [e.id, e.volunteer.name, e.volunteer.kind, e.worked_on, float(e.hours), str(ACTIVITIES.get(e.activity, "")),
            link, note, STATUS_ZH[e.status], "代录" if e.on_behalf else "本人",
            e.reviewed_by.display_name if e.reviewed_by else "", local_date(e.reviewed_at), e.reason,
            e.reverses_id or ""]


def ledger_workbook(actor, period) -> bytes:
    """Every entry of the period, corrections as their own negative rows, and a sheet of totals per volunteer.
    Pairs appear by number only and without their notes: the district gets no student names."""
    entries = db.session.scalars(
        select(HourEntry).where(HourEntry.school_id == actor.school_id, *period.conditions())
        .order_by(HourEntry.worked_on, HourEntry.id)
        .options(selectinload(HourEntry.volunteer), selectinload(HourEntry.event),
                 selectinload(HourEntry.reviewed_by))).all()
    wb = Workbook()
    ws = wb.active
    ws.title = "服务时长台账"
    write_sheet(ws, LEDGER, [_ledger_row(e) for e in entries], date_columns=(4, 12))
    for row in ws.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].alignment = WRAP
    totals = wb.create_sheet("志愿者合计")
    rows = [[t.volunteer.name, t.volunteer.kind, float(t.approved), float(t.pending), t.entries]
            for t in volunteer_totals(actor.school_id, period) if t.entries]
    write_sheet(totals, [("志愿者", 10), ("五老类别", 10), ("已通过（小时）", 14), ("待审核（小时）", 14),
                         ("记录条数", 10)], rows)
    kinds = wb.create_sheet("按五老类别")
    write_sheet(kinds, [("五老类别", 10), ("已通过（小时）", 14), ("志愿者人数", 12)],
                [[k, float(h), n] for k, h, n in by_kind(actor.school_id, period)])
    with saving():
        record(actor, "hours.export", None, f"period={period.key} rows={len(entries)}")
    return workbook_bytes(wb)


def recognition_workbook(actor, year: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{year}年度表彰"
    rows = []
    for (name, _hours), people in recognition(actor.school_id, year):
        rows += [[name, t.volunteer.name, t.volunteer.kind, float(t.approved), t.entries] for t in people]
    write_sheet(ws, RECOGNITION, rows)
    with saving():
        record(actor, "hours.recognition_export", None, f"year={year} rows={len(rows)}")
    return workbook_bytes(wb)


