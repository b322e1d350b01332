"""What leaves the portal: the family's calendar entry, the attendance sheet and the list of
families a mandatory course has not reached yet."""
from datetime import UTC

from openpyxl import Workbook

from ..audit.services import record
from ..core.clock import SHANGHAI
from ..core.errors import saving
from ..core.ical import Entry, calendar
from ..core.xlsx import workbook_bytes, write_sheet
from . import services

ATTENDANCE = [("序号", 6), ("家庭", 14), ("学生", 10), ("班级", 12), ("家长", 20), ("报名状态", 10), ("签到时间", 18),
              ("现场加入", 8), ("签名", 16)]
COVERAGE = [("班级", 12), ("学生", 14), ("家庭", 14), ("家长", 24), ("联系电话", 16), ("情况", 16)]
STATE_ZH = {"none": "未报名", "registered": "已报名，未完成", "started": "已参加，未完成"}
STATUS_ZH = {"confirmed": "已报名", "waitlisted": "候补", "cancelled": "已取消"}


def session_entry(session, uid: str, url: str = "") -> Entry:
    course = session.course
    description = "\n".join(x for x in (course.topic, f"主讲：{course.lecturer}" if course.lecturer else "",
                                        session.online_url, url) if x)
    return Entry(uid=uid, summary="家长学校：" + session.label, starts=session.starts_at, ends=session.ends_at,
                 location=session.place or session.online_url, description=description,
                 cancelled=session.status == "cancelled", alarm=True)


def ics(session, uid: str, url: str) -> str:
    return calendar([session_entry(session, uid, url)])


def _local(value):
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None) if value else None


def attendance_workbook(actor, session) -> bytes:
    """The session's families with their check-in: registered and waiting families, with an empty column to sign."""
    rows = []
    for which in ("confirmed", "waitlisted"):
        for r in services.roster(session, which):
            rows.append([len(rows) + 1, r.family.name, r.student.name, r.school_class.label,
                         "、".join(f"{g.name}（{g.relation}）" for g in r.family.guardians), STATUS_ZH[r.status],
                         _local(r.attended_at), "是" if r.walk_in else "", ""])
    wb = Workbook()
    ws = wb.active
    ws.title = "签到表"
    write_sheet(ws, ATTENDANCE, rows)
    for (cell,) in ws.iter_rows(min_row=2, min_col=7, max_col=7):
        cell.number_format = "yyyy-mm-dd hh:mm"
    with saving():
        record(actor, "course_session.export", session, f"{len(rows)} families")
    return workbook_bytes(wb)


def coverage_workbook(actor, course, rows) -> bytes:
    """Families of the course's classes not yet registered or not yet complete, with a sheet of figures per class."""
    wb = Workbook()
    ws = wb.active
    ws.title = "未完成家庭"
    lines = []
    for row in rows:
        for family, kids, state in row.missing:
            guardians = family.guardians
            lines.append([row.school_class.label, "、".join(k.name for k in kids), family.name,
                          "、".join(f"{g.name}（{g.relation}）" for g in guardians),
                          "、".join(g.mobile for g in guardians if g.mobile), STATE_ZH[state]])
    write_sheet(ws, COVERAGE, lines)
    summary = wb.create_sheet("各班完成情况")
    write_sheet(summary, [("班级", 12), ("家庭数", 10), ("已报名", 10), ("已完成", 10), ("完成率", 10)],
                [[r.school_class.label, r.families, r.registered, r.completed,
                  f"{r.completed * 100 // r.families}%" if r.families else "—"] for r in rows])
    with saving():
        record(actor, "course.coverage_export", course, f"{len(lines)} families")
    return workbook_bytes(wb)

