"""The 行事历 as its users meet it: the table by month with its filters, printed, exported to Excel, imported from
Excel through the preview, and each user's private iCal feed read back by a calendar library.
"""
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
from icalendar import Calendar
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from portal.auth.models import User
from portal.core.clock import SHANGHAI, local_today
from portal.core.xlsx import XLSX_MIMETYPE
from portal.events.models import EVENT_KINDS, Event, EventHelper, Partner
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.conftest import Client
from tests.events.common import event_for
from tests.factories import zh
from tests.helpers import audits, count, field_error, flash_text, follow, main_text

CAL = "/calendar"
HEADERS = ["时间", "活动安排", "责任人", "类型", "地点", "合作单位", "说明"]


def today() -> date:
    return local_today()


def school_year() -> int:
    """The school year (September to August) that today falls in, as the calendar's periods count it."""
    t = today()
    return t.year if t.month >= 9 else t.year - 1


def spring() -> int:
    """The year an imported date such as 3月5日 (no year written) falls in: the import counts the school year
    from August, so an August upload already plans the coming year."""
    t = today()
    return (t.year if t.month >= 8 else t.year - 1) + 1


def at(y, m, d, hour=0, minute=0) -> datetime:
    return datetime(y, m, d, hour, minute)


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# =================================================================================================
# The calendar page, print and Excel
# =================================================================================================

@pytest.fixture
def year(world):
    """A school year of events: a dated one in October, two in March (one cancelled), a month-only entry and a
    day in April, a half-year entry; one of last year, one of another school."""
    sy, ny = school_year(), school_year() + 1
    teacher = world.users["teacher"]
    e = {
        "oct": event_for(world, title="参观革命纪念馆", kind="参观教育基地", starts_at=at(sy, 10, 15, 9),
                         ends_at=at(sy, 10, 15, 11), leads=[teacher], grades=(3,), place="区革命纪念馆"),
        "mar": event_for(world, title="讲述革命英雄故事", kind="五老进课堂", starts_at=at(ny, 3, 5, 14),
                         lead_groups="五年级组", helpers=2),
        "mar_off": event_for(world, title="家长会", kind="会议", starts_at=at(ny, 3, 20, 19), status="cancelled",
                             cancel_reason="改期", grades=(4,)),
        "apr_month": event_for(world, title="缅怀革命先烈，老少共祭英雄", kind="节日活动", precision="month",
                               starts_at=at(ny, 4, 1), lead_groups="五年级组"),
        "apr_day": event_for(world, title="读书节", kind="节日活动", precision="day", starts_at=at(ny, 4, 10),
                             grades=(5,)),
        "half": event_for(world, title="关工委优质化建设考核", kind="其他", precision="half", starts_at=at(ny, 1, 1),
                          lead_groups="全体行政"),
        "last_year": event_for(world, title="去年的活动", starts_at=at(sy - 1, 10, 1, 9)),
        "far": event_for(world, school_id=world.far.id, title="远方的活动", starts_at=at(ny, 3, 6, 9)),
    }
    return e


def groups(html) -> list[tuple[str, list[tuple[str, str]]]]:
    """The calendar table as (month label, [(activity, responsible)]) in the order shown."""
    out = []
    for body in re.findall(r'<tbody class="cal-month">(.*?)</tbody>', html, re.S):
        label = re.search(r'class="cal-month-label">(.*?)</th>', body).group(1).strip()
        rows = []
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            activity, who = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            title = re.match(r"\s*\d+、(?:<a [^>]*>)?([^<]+)", activity).group(1).strip()
            who = re.sub(r'<span class="cal-who-label">.*?</span>', "", who, flags=re.S)  # a label for phones
            rows.append((title, text(who)))
        out.append((label, rows))
    return out


def titles(html) -> list[str]:
    return [t for _label, rows in groups(html) for t, _who in rows]


def test_the_calendar_is_grouped_by_month_as_the_paper_table(world, login_as, year):
    sy, ny = school_year(), school_year() + 1
    c = login_as("coordinator")
    r = c.get(f"{CAL}/?period={sy}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert [text(th) for th in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)] == [zh("Time"), zh("Activities"),
                                                                                 zh("Responsible")]
    assert groups(html) == [
        (f"{sy}年10月", [("参观革命纪念馆", "teacher")]),
        (f"{ny}年3月", [("讲述革命英雄故事", "五年级组"), ("家长会", "")]),
        (f"{ny}年4月", [("缅怀革命先烈，老少共祭英雄", "五年级组"), ("读书节", "")]),  # month-only first
        (f"{ny}年上半年", [("关工委优质化建设考核", "全体行政")]),
    ]
    page = main_text(html)
    assert f"{sy}–{ny}学年" in page and "滨湖实验小学" in page
    assert "10月15日 09:00–11:00" in page and "区革命纪念馆" in page and zh("Cancelled") in page
    assert zh("%(n)d events", n=6) in page
    assert "远方的活动" not in html and "去年的活动" not in html
    assert f'href="/events/{year["oct"].id}"' in html


def test_the_calendar_filters_by_term_month_and_type_also_for_htmx(world, login_as, year):
    sy, ny = school_year(), school_year() + 1
    c = login_as("coordinator")
    spring = c.get(f"{CAL}/?period={sy}-2").get_data(as_text=True)
    assert titles(spring) == ["讲述革命英雄故事", "家长会", "缅怀革命先烈，老少共祭英雄", "读书节", "关工委优质化建设考核"]
    assert [label for label, _rows in groups(spring)] == ["3月", "4月", f"{ny}年上半年"]
    autumn = c.get(f"{CAL}/?period={sy}-1").get_data(as_text=True)
    assert titles(autumn) == ["参观革命纪念馆", "关工委优质化建设考核"]
    april = c.get(f"{CAL}/?period={sy}&month=4").get_data(as_text=True)
    assert groups(april) == [(f"{ny}年4月", [("缅怀革命先烈，老少共祭英雄", "五年级组"), ("读书节", "")])]
    festival = c.get(f"{CAL}/?period={sy}&kind=节日活动").get_data(as_text=True)
    assert titles(festival) == ["缅怀革命先烈，老少共祭英雄", "读书节"]
    # The filter form shows the choices made.
    assert re.search(r'<option[^>]*value="4"[^>]*selected|<option selected[^>]*value="4"', april)
    # htmx: only the table, for the same filters.
    r = c.htmx(f"{CAL}/?period={sy}&kind=节日活动")
    part = r.get_data(as_text=True)
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert "<html" not in part and "<main" not in part and "main-nav" not in part
    assert titles(part) == titles(festival) and zh("%(n)d events", n=2) in text(part)
    # Nothing in that month: a sentence, not an empty table.
    none = c.get(f"{CAL}/?period={sy}&month=6").get_data(as_text=True)
    assert zh("No event is planned for this time.") in main_text(none) and "<table" not in none


@pytest.mark.parametrize("query", ["period=abc", "period=1-2-3", "period=2026-9", "period=99999999999999999999",
                                   "period=-", "month=13", "month=0", "month=abc", "month=99999999999999999999",
                                   "kind=联欢会", "kind=%00", "period=%00&month=%00"])
def test_odd_filters_fall_back_to_the_current_term(world, login_as, year, query):
    c = login_as("coordinator")
    r = c.get(f"{CAL}/?{query}")
    assert r.status_code == 200
    current = c.get(f"{CAL}/").get_data(as_text=True)
    if "kind" not in query or "联欢会" in query or "%00" in query:
        assert titles(r.get_data(as_text=True)) == titles(current)
    assert c.get(f"{CAL}/print?{query}").status_code == 200
    assert c.get(f"{CAL}/export.xlsx?{query}").status_code == 200


def test_each_role_sees_the_events_meant_for_it(world, login_as, year):
    sy = school_year()
    teacher = titles(login_as("teacher").get(f"{CAL}/?period={sy}").get_data(as_text=True))
    # The teacher's own grade-3 class and the whole school's events; not grade 4's or 5's.
    assert "参观革命纪念馆" in teacher and "讲述革命英雄故事" in teacher
    assert "家长会" not in teacher and "读书节" not in teacher
    volunteer = titles(login_as("volunteer").get(f"{CAL}/?period={sy}").get_data(as_text=True))
    assert volunteer == ["讲述革命英雄故事"]  # the one asking for helpers
    assert login_as("parent").get(f"{CAL}/?period={sy}").status_code == 403
    assert login_as("parent").get(f"{CAL}/export.xlsx").status_code == 403


def test_the_printable_calendar_is_the_same_table_without_links(world, login_as, year):
    sy = school_year()
    c = login_as("coordinator")
    screen = c.get(f"{CAL}/?period={sy}&kind=节日活动").get_data(as_text=True)
    r = c.get(f"{CAL}/print?period={sy}&kind=节日活动")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    sheet = re.search(r'<article class="calendar-sheet">(.*?)</article>', html, re.S).group(1)
    assert groups(sheet) == groups(screen)
    assert "<a " not in sheet and "data-print" in html
    assert f'href="{CAL}/?period={sy}&amp;kind=' in html  # back to the same filters


def test_the_excel_export_has_the_title_row_and_the_rows_in_month_order(world, login_as, year):
    sy, ny = school_year(), school_year() + 1
    r = login_as("coordinator").get(f"{CAL}/export.xlsx?period={sy}")
    assert r.status_code == 200 and r.mimetype == XLSX_MIMETYPE
    disposition = r.headers["Content-Disposition"]
    assert f'filename="calendar-{sy}.xlsx"' in disposition and f"行事历-{sy}–{ny}学年.xlsx" in unquote(disposition)
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == f"滨湖实验小学关工委工作行事历（{sy}–{ny}学年）"
    assert rows[1] == ["时间", "活动安排", "责任人", "类型", "地点", "合作单位", "状态", "参与人数"]
    assert [row[:3] for row in rows[2:]] == [
        ["10月15日 09:00–11:00", "参观革命纪念馆", "teacher"],
        ["3月5日 14:00–16:00", "讲述革命英雄故事", "五年级组"],
        ["3月20日 19:00–21:00", "家长会", None],
        [f"{ny}年4月", "缅怀革命先烈，老少共祭英雄", "五年级组"],
        ["4月10日", "读书节", None],
        [f"{ny}年上半年", "关工委优质化建设考核", "全体行政"],
    ]
    assert rows[2][3:7] == ["参观教育基地", "区革命纪念馆", None, "计划"]
    assert rows[4][6] == "已取消"
    # A volunteer's export holds only what the volunteer sees.
    mine = load_workbook(io.BytesIO(login_as("volunteer").get(f"{CAL}/export.xlsx?period={sy}").data)).worksheets[0]
    assert [row[1] for row in mine.iter_rows(min_row=3, values_only=True)] == ["讲述革命英雄故事"]


def test_the_export_writes_formula_like_text_as_text(world, login_as):
    sy = school_year()
    event_for(world, title="=HYPERLINK(\"http://evil\",\"点我\")", starts_at=at(sy + 1, 3, 1, 9))
    ws = load_workbook(io.BytesIO(login_as("coordinator").get(f"{CAL}/export.xlsx?period={sy}").data)).worksheets[0]
    cell = ws.cell(3, 2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# =================================================================================================
# Importing the calendar from Excel
# =================================================================================================

def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(c, data, filename="行事历.xlsx"):
    return c.post_form(f"{CAL}/import", {"file": (io.BytesIO(data), filename)}, token_from=f"{CAL}/import",
                       content_type="multipart/form-data")


def staged(c, data) -> tuple[ImportBatch, str]:
    """Upload a file and follow to its preview: the batch and the preview page."""
    r = upload(c, data)
    assert r.status_code == 302, field_error(r.get_data(as_text=True), "file")
    batch_id = int(re.fullmatch(rf"{CAL}/import/(\d+)", r.headers["Location"]).group(1))
    page = c.get(r.headers["Location"])
    assert page.status_code == 200
    db.session.expire_all()
    return db.session.get(ImportBatch, batch_id), page.get_data(as_text=True)


def confirm(c, batch):
    return c.post_form(f"{CAL}/import/{batch.id}/confirm", token_from=f"{CAL}/import/{batch.id}")


def preview_rows(html) -> dict[int, str]:
    """Line number → what the check column says for that row."""
    return {int(line): text(check) for line, check in
            re.findall(r"<tr(?: class=\"import-error\")?>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", html, re.S)}


def events_now() -> dict[str, Event]:
    db.session.expire_all()
    return {e.title: e for e in db.session.scalars(select(Event).where(Event.school_id.is_not(None)))}


@pytest.fixture
def directory(world):
    """A partner, a teacher named as on the paper table, and an event already in the calendar."""
    ny = spring()
    p = Partner(school_id=world.school.id, name="滨湖社区居委会", kind="社区")
    db.session.add(p)
    db.session.commit()
    yin = factories.user(world.school, "teacher", "yinmx", display_name="殷明欣")
    existing = event_for(world, title="红色故事会进课堂", starts_at=at(ny, 3, 12, 14))
    return p, yin, existing


GOOD = [
    ["3月5日 14:00-16:00", "讲述革命英雄故事，五老人员进课堂", "五年级组、张建国", "五老进课堂", "学校报告厅",
     "滨湖社区居委会", "请各班准时到场"],
    ["四月", "1、缅怀革命先烈，老少共祭英雄\n2、“党在我心中”刻纸作品参观展示", "五年级组\n殷明欣", "节日活动", "", "", ""],
]
HALF = ["下半年", "关工委优质化建设考核", "全体行政", "其他", "", "", ""]


def test_a_file_with_bad_rows_shows_each_error_with_its_line_and_saves_nothing(world, login_as, directory):
    c = login_as("coordinator")
    before = count(Event)
    data = xlsx([
        *GOOD,                                                                      # lines 2, 3
        ["3月35日", "植树活动", "", "社区服务", "", "", ""],                          # 4: no such day
        ["3月20日", "新年联欢", "", "联欢会", "", "", ""],                           # 5: unknown type
        ["3月21日", "社区清洁日", "", "社区服务", "", "火星社区", ""],                  # 6: unknown partner
        ["3月22日", "", "五年级组", "讲座", "", "", ""],                             # 7: no activity
        ["3月12日 14:00", "红色故事会进课堂", "", "红色故事会", "", "", ""],            # 8: already in the calendar
        ["3月5日 14:00-16:00", "讲述革命英雄故事，五老人员进课堂", "", "五老进课堂", "", "", ""],  # 9: same as line 2
        HALF,                                                                       # 10
        ["2月30日", "不存在的日子", "", "其他", "", "", ""],                           # 11: no such day either
        ["3月6日 16:00-14:00", "倒着的时间", "", "其他", "", "", ""],                  # 12: ends before it starts
    ])
    batch, html = staged(c, data)
    shown = preview_rows(html)
    assert sorted(shown) == list(range(2, 13))
    when = zh("Write the time like 3月5日, 3月5日 14:00-16:00, 2026-03-05, 三月 or 下半年.")
    expected = {
        4: f"时间：{when}",
        5: "类型：" + zh("Unknown type “%(word)s”. Use %(choices)s.", word="联欢会", choices="、".join(EVENT_KINDS)),
        6: "合作单位：" + zh("“%(name)s” is not in the partner directory. Add it there first.", name="火星社区"),
        7: "活动安排：" + zh("This field is required."),
        8: "活动安排：" + zh("“%(title)s” is already in the calendar at this time.", title="红色故事会进课堂"),
        9: "活动安排：" + zh("Duplicate: same as row %(line)d.", line=2),
        11: f"时间：{when}",
        12: f"时间：{when}",
    }
    for line, message in expected.items():
        assert shown[line] == message, (line, shown[line])
    for line in (2, 3, 10):
        assert shown[line] == zh("OK"), (line, shown[line])
    page = main_text(html)
    assert zh("%(n)d rows OK", n=3) in page and zh("%(n)d rows with errors", n=8) in page
    assert zh("Please correct the rows with errors in the file and upload it again. Nothing was imported.") in page
    # No way to confirm; nothing saved.
    assert 'id="confirm-import"' not in html and f"{CAL}/import/{batch.id}/confirm" not in html
    assert count(Event) == before and batch.applied_at is None
    # Confirming anyway is refused with the same message.
    r = confirm(c, batch)
    assert r.status_code == 302 and r.headers["Location"] == f"{CAL}/import/{batch.id}"
    assert zh("Please correct the rows with errors in the file and upload it again. Nothing was imported.") in \
        flash_text(follow(c, r))
    assert count(Event) == before and audits("event.create") == []


def test_a_corrected_file_is_imported_whole_and_only_once(world, login_as, directory):
    p, yin, _existing = directory
    ny = spring()
    c = login_as("coordinator")
    staged(c, xlsx([*GOOD, ["3月35日", "植树活动", "", "", "", "", ""]]))
    batch, html = staged(c, xlsx([*GOOD, ["3月25日", "植树活动", "", "", "", "", ""], HALF]))
    assert count(ImportBatch) == 1  # the new upload replaced the unconfirmed one
    assert set(preview_rows(html).values()) == {zh("OK")}
    assert zh("%(n)d rows OK", n=4) in main_text(html)
    assert "缅怀革命先烈，老少共祭英雄；“党在我心中”刻纸作品参观展示" in main_text(html)  # one row, two events
    assert zh("Import all %(n)d rows", n=4) in html
    before = count(Event)
    r = confirm(c, batch)
    assert r.status_code == 302 and r.headers["Location"] == f"{CAL}/"
    assert zh("Imported %(n)d events.", n=5) in flash_text(follow(c, r))
    found = events_now()
    assert count(Event) == before + 5
    e = found["讲述革命英雄故事，五老人员进课堂"]
    assert (e.precision, e.starts_at, e.ends_at) == ("time", at(ny, 3, 5, 14), at(ny, 3, 5, 16))
    assert (e.kind, e.place, e.partner_id, e.description) == ("五老进课堂", "学校报告厅", p.id, "请各班准时到场")
    assert e.lead_groups == "五年级组" and e.leads == []
    assert [(h.volunteer_id, h.role, h.status) for h in e.helpers] == [(world.volunteer.id, "lead", "confirmed")]
    # The numbered cell became two events; the 责任人 lines paired with them: a group, and a teacher linked.
    first, second = found["缅怀革命先烈，老少共祭英雄"], found["“党在我心中”刻纸作品参观展示"]
    for e in (first, second):
        assert (e.precision, e.starts_at, e.ends_at, e.kind) == ("month", at(ny, 4, 1), None, "节日活动")
    assert (first.lead_groups, first.leads) == ("五年级组", [])
    assert (second.lead_groups, [u.id for u in second.leads]) == ("", [yin.id])
    assert (found["植树活动"].precision, found["植树活动"].starts_at, found["植树活动"].kind) == (
        "day", at(ny, 3, 25), "其他")
    half = found["关工委优质化建设考核"]
    assert (half.precision, half.starts_at.month, half.lead_groups) == ("half", 7, "全体行政")
    assert {e.status for e in found.values()} == {"planned"}
    assert {e.created_by_id for t, e in found.items() if t != "红色故事会进课堂"} == {world.users["coordinator"].id}
    assert len(audits("event.create")) == 5 and len(audits("events.import")) == 1
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).applied_at is not None
    # They are on the calendar now.
    page = c.get(f"{CAL}/?period={ny - 1}").get_data(as_text=True)
    assert "殷明欣" in main_text(page) and "“党在我心中”刻纸作品参观展示" in titles(page)
    # A second confirm (the page sent again) imports nothing.
    r = confirm(c, batch)
    assert r.status_code == 302
    html = follow(c, r)
    assert zh("This file has already been imported.") in flash_text(html)
    assert 'id="confirm-import"' not in html
    assert count(Event) == before + 5


def test_an_import_is_all_or_nothing_when_a_row_became_invalid_before_confirming(world, login_as, directory):
    ny = spring()
    c = login_as("coordinator")
    batch, html = staged(c, xlsx([*GOOD, HALF]))
    assert 'id="confirm-import"' in html
    before = count(Event)
    # Meanwhile a colleague puts the first row's event into the calendar.
    event_for(world, title="讲述革命英雄故事，五老人员进课堂", starts_at=at(ny, 3, 5, 14))
    r = confirm(c, batch)
    assert r.status_code == 302 and r.headers["Location"] == f"{CAL}/import/{batch.id}"
    html = follow(c, r)
    assert zh("Nothing was imported: some rows are no longer valid. See the errors below.") in flash_text(html)
    assert count(Event) == before + 1  # only the colleague's: none of the other rows
    assert preview_rows(html)[2] == "活动安排：" + zh("“%(title)s” is already in the calendar at this time.",
                                                     title="讲述革命英雄故事，五老人员进课堂")
    assert 'id="confirm-import"' not in html
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).applied_at is None and audits("event.create") == []


@pytest.mark.parametrize(("data", "filename", "message"), [
    ("时间,活动安排\n3月5日,讲座\n".encode(), "行事历.csv", lambda: zh("Only Excel files (.xlsx) can be imported.")),
    (b"", "empty.xlsx", lambda: zh("The file is empty.")),
    (b"this is no workbook", "renamed.xlsx", lambda: zh("The file is not a readable Excel workbook (.xlsx).")),
    (xlsx([["3月5日", "讲座"]])[:200], "cut.xlsx", lambda: zh("The file is not a readable Excel workbook (.xlsx).")),
    (xlsx([["3月5日", "讲座"]], headers=["日期", "内容"]), "wrong.xlsx",
     lambda: zh("The first row must hold the column headers. Missing: %(columns)s.", columns="时间、活动安排")),
    (xlsx([]), "header-only.xlsx", lambda: zh("The sheet has no rows below the header.")),
])
def test_a_bad_file_gets_a_message_beside_the_field(world, login_as, data, filename, message):
    c = login_as("coordinator")
    r = upload(c, data, filename)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'aria-invalid="true"' in html
    assert message() in field_error(html, "file")
    assert count(ImportBatch) == 0 and count(Event) == 0


def test_no_file_chosen_and_no_csrf_token(world, login_as):
    c = login_as("coordinator")
    r = c.post_form(f"{CAL}/import", {}, token_from=f"{CAL}/import", content_type="multipart/form-data")
    assert r.status_code == 200 and zh("Please choose a file.") in field_error(r.get_data(as_text=True), "file")
    r = c.http.post(f"{CAL}/import", data={"file": (io.BytesIO(xlsx([GOOD[0]])), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert count(ImportBatch) == 0


def test_overlong_cells_are_reported_per_row(world, login_as):
    c = login_as("coordinator")
    _batch, html = staged(c, xlsx([
        ["3月5日", "讲座", "", "", "", "", ""],
        ["3月6日", "长" * 101, "", "", "", "", ""],
        ["3月7日", "讲座", "", "", "地" * 101, "", ""],
        ["3月8日", "讲座", "组" * 201, "", "", "", ""],
    ]))
    shown = preview_rows(html)
    assert shown[2] == zh("OK")
    assert shown[3] == "活动安排：" + zh("At most %(max)d characters for each activity.", max=100)
    assert shown[4] == "地点：" + zh("At most %(max)d characters.", max=100)
    assert shown[5] == "责任人：" + zh("At most %(max)d characters.", max=200)
    assert count(Event) == 0


def test_an_exported_calendar_can_be_uploaded_again(world, login_as):
    """The export has its title above the headers; the import finds the headers below it and reads every row
    back to the same title and time (so an unchanged entry is reported as already in the calendar)."""
    sy = school_year()
    event_for(world, title="讲述革命英雄故事", kind="五老进课堂", starts_at=at(sy + 1, 3, 5, 14), lead_groups="五年级组")
    event_for(world, title="家长必读论文评选", kind="评选申报", starts_at=at(sy + 1, 4, 1, 0), precision="month")
    c = login_as("coordinator")
    exported = c.get(f"{CAL}/export.xlsx?period={sy}").data
    batch, html = staged(c, exported)
    rows = preview_rows(html)
    assert sorted(rows) == [3, 4]
    assert rows[3] == "活动安排：" + zh("“%(title)s” is already in the calendar at this time.", title="讲述革命英雄故事")
    assert rows[4] == "活动安排：" + zh("“%(title)s” is already in the calendar at this time.", title="家长必读论文评选")
    assert count(Event) == 2


def test_the_template_imports_as_it_is(world, login_as):
    c = login_as("coordinator")
    r = c.get(f"{CAL}/import/template.xlsx")
    assert r.status_code == 200 and r.mimetype == XLSX_MIMETYPE
    assert 'filename="calendar-import-template.xlsx"' in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["行事历", "说明"]
    rows = [list(row) for row in wb["行事历"].iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    batch, html = staged(c, r.data)
    assert set(preview_rows(html).values()) == {zh("OK")}
    confirm(c, batch)
    assert count(Event) == 4


def test_only_the_uploader_sees_a_preview_and_only_staff_import(world, login_as, directory):
    c = login_as("coordinator")
    batch, _html = staged(c, xlsx(GOOD))
    admin = login_as("admin")
    assert admin.get(f"{CAL}/import/{batch.id}").status_code == 404
    assert admin.post_form(f"{CAL}/import/{batch.id}/confirm", token_from=f"{CAL}/import").status_code == 404
    for role in ("teacher", "volunteer", "parent"):
        other = login_as(role)
        assert other.get(f"{CAL}/import").status_code == 403, role
        assert other.get(f"{CAL}/import/{batch.id}").status_code == 403, role
        assert other.get(f"{CAL}/import/template.xlsx").status_code == 403, role
        r = other.post_form(f"{CAL}/import", {"file": (io.BytesIO(xlsx(GOOD)), "a.xlsx")}, token_from="/settings",
                            content_type="multipart/form-data")
        assert r.status_code == 403, role
    assert count(ImportBatch) == 1 and count(Event) == 1
    # Nor is a needs batch a calendar batch.
    assert c.get(f"{CAL}/import/{batch.id + 1000}").status_code == 404


# =================================================================================================
# The private iCal feed
# =================================================================================================

def feed_url(c) -> str:
    """Open the feed page; the private address it shows, as a path."""
    r = c.get(f"{CAL}/feed")
    assert r.status_code == 200
    m = re.search(r'value="http://localhost(/calendar/feed/[A-Za-z0-9_-]+\.ics)"', r.get_data(as_text=True))
    assert m, main_text(r.get_data(as_text=True))
    return m.group(1)


def vevents(path) -> dict[str, object]:
    """Fetch the feed without logging in and parse it: summary → VEVENT."""
    r = Client(_app()).get(path)
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/calendar" and "no-store" in r.headers["Cache-Control"]
    cal = Calendar.from_ical(r.data)
    return {str(v["SUMMARY"]): v for v in cal.walk("VEVENT")}


def _app():
    from flask import current_app

    return current_app._get_current_object()


def utc(local: datetime) -> datetime:
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)


def soon(days, hour, minute=0) -> datetime:
    return (seats.local_now() + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_a_volunteers_feed_holds_the_events_they_help_at(app, world, login_as):
    vol = world.volunteer
    helping = event_for(world, title="社区清洁日", starts_at=soon(5, 14, 30), ends_at=soon(5, 16, 30), helpers=2,
                        place="滨湖社区", lead_groups="五年级组")
    all_day = event_for(world, title="读书节", precision="day", starts_at=datetime.combine(soon(9, 0).date(),
                                                                                       datetime.min.time()), helpers=2)
    month_only = event_for(world, title="缅怀革命先烈", precision="month", starts_at=soon(40, 0).replace(day=1),
                           helpers=2)
    called_off = event_for(world, title="敬老院慰问", starts_at=soon(6, 9), helpers=2, status="cancelled",
                           cancel_reason="下雨")
    withdrawn = event_for(world, title="植树活动", starts_at=soon(7, 9), helpers=2)
    event_for(world, title="别人的活动", starts_at=soon(8, 9), helpers=2)
    event_for(world, school_id=world.far.id, title="远方的活动", starts_at=soon(5, 9))
    coord = world.users["coordinator"]
    for e in (helping, all_day, month_only, called_off, withdrawn):
        db.session.add(EventHelper(school_id=e.school_id, event_id=e.id, volunteer_id=vol.id, role="helper",
                                   added_by_id=coord.id, status="cancelled" if e is withdrawn else "confirmed"))
    db.session.commit()
    c = login_as("volunteer")
    path = feed_url(c)
    found = vevents(path)
    assert set(found) == {"社区清洁日", "读书节", "敬老院慰问"}
    v = found["社区清洁日"]
    assert v.decoded("DTSTART") == utc(soon(5, 14, 30)) == datetime.combine(
        soon(5, 0).date(), datetime.min.time()).replace(hour=6, minute=30, tzinfo=UTC)
    assert v.decoded("DTEND") == utc(soon(5, 16, 30))
    assert str(v["UID"]) == f"event-{helping.id}@carebridge" and str(v["LOCATION"]) == "滨湖社区"
    assert str(v["STATUS"]) == "CONFIRMED" and "责任人：五年级组" in str(v["DESCRIPTION"])
    assert [a.name for a in v.subcomponents] == ["VALARM"]
    day = found["读书节"]
    assert day.decoded("DTSTART") == soon(9, 0).date() and day.decoded("DTEND") == soon(10, 0).date()
    off = found["敬老院慰问"]
    assert str(off["STATUS"]) == "CANCELLED" and "取消原因：下雨" in str(off["DESCRIPTION"])
    # The same address every time the page is opened; its owner is recorded once.
    assert feed_url(c) == path
    assert [a.detail for a in audits("calendar.feed_token")] == ["created"]
    db.session.expire_all()
    assert path == f"{CAL}/feed/{db.session.get(User, world.users['volunteer'].id).calendar_token}.ics"


def test_a_parents_feed_holds_the_family_registrations_and_parent_school_sessions(world, login_as):
    coord = world.users["coordinator"]
    registered = event_for(world, title="亲子阅读会", capacity=5, starts_at=soon(4, 19), ends_at=soon(4, 20, 30))
    waiting = event_for(world, title="参观纪念馆", capacity=1, starts_at=soon(6, 9))
    cancelled = event_for(world, title="亲子运动会", capacity=5, starts_at=soon(8, 9))
    event_for(world, title="家长开放日", capacity=5, starts_at=soon(10, 9))  # open to parents, not registered
    other, = factories.families_with_children(world.own_class, 1, "甲")
    seats.register(db.session.get(Event, waiting.id), other, coord)
    for e in (registered, waiting, cancelled):
        seats.register(db.session.get(Event, e.id), world.pupil, world.users["parent"])
    mine = db.session.scalar(select(Registration).where(Registration.event_id == cancelled.id,
                                                        Registration.family_id == world.family.id))
    seats.cancel(mine, world.users["parent"])
    course = factories.course(world.school, coord, title="好家长沟通课", grades=(3,))
    session = factories.course_session(course, starts_in_days=3)
    seats.register(session, world.pupil, world.users["parent"])
    path = feed_url(login_as("parent"))
    found = vevents(path)
    assert set(found) == {"亲子阅读会", "参观纪念馆", "家长学校：好家长沟通课"}
    assert found["亲子阅读会"].decoded("DTSTART") == utc(soon(4, 19))
    assert found["亲子阅读会"].decoded("DTEND") == utc(soon(4, 20, 30))
    assert found["家长学校：好家长沟通课"].decoded("DTSTART") == utc(session.starts_at)
    assert str(found["家长学校：好家长沟通课"]["UID"]) == f"session-{session.id}-family-{world.family.id}@carebridge"


def test_a_coordinators_feed_holds_the_schools_dated_events(world, login_as):
    event_for(world, title="红色故事会", starts_at=soon(3, 14))
    event_for(world, title="缅怀革命先烈", precision="month", starts_at=soon(40, 0).replace(day=1))
    event_for(world, title="很久以前", starts_at=soon(-90, 14))
    event_for(world, school_id=world.far.id, title="远方的活动", starts_at=soon(3, 9))
    assert set(vevents(feed_url(login_as("coordinator")))) == {"红色故事会"}


def test_a_teachers_feed_holds_the_events_they_are_responsible_for(world, login_as):
    event_for(world, title="参观纪念馆", starts_at=soon(3, 9), leads=[world.users["teacher"]])
    event_for(world, title="全校升旗", starts_at=soon(3, 8))
    assert set(vevents(feed_url(login_as("teacher")))) == {"参观纪念馆"}


def test_renewing_the_address_needs_a_fresh_password_and_retires_the_old_one(world, login_as):
    event_for(world, title="红色故事会", starts_at=soon(3, 14))
    c = login_as("coordinator")
    old = feed_url(c)
    assert "红色故事会" in vevents(old)
    # A session whose password was typed long ago is asked for it first; nothing changes yet.
    with c.http.session_transaction() as sess:
        sess["auth_at"] = 0
    r = c.post_form(f"{CAL}/feed", token_from=f"{CAL}/feed")
    assert r.status_code == 302 and r.headers["Location"].startswith("/confirm-password?about=calendar&next=")
    assert unquote(r.headers["Location"]).endswith(f"next={CAL}/feed")
    assert feed_url(c) == old
    back = r.headers["Location"]
    r = c.post_form(back, {"password": factories.PASSWORD}, token_from=back)
    assert r.status_code == 302 and r.headers["Location"] == f"{CAL}/feed"
    # Now the new address is made.
    r = c.post_form(f"{CAL}/feed", token_from=f"{CAL}/feed")
    assert r.status_code == 302 and r.headers["Location"] == f"{CAL}/feed"
    assert zh("A new address is ready; the old one no longer works.") in flash_text(follow(c, r))
    new = feed_url(c)
    assert new != old
    assert Client(_app()).get(old).status_code == 404
    assert "红色故事会" in vevents(new)
    assert [a.detail for a in audits("calendar.feed_token")] == ["created", "renewed"]


def test_an_unknown_token_or_a_deactivated_user_gets_not_found(world, login_as):
    path = feed_url(login_as("volunteer"))
    anonymous = Client(_app())
    for odd in ("nosuchtoken", "x" * 65, "%00", "..%2F..%2Fetc%2Fpasswd", "' OR '1'='1"):
        assert anonymous.get(f"{CAL}/feed/{odd}.ics").status_code == 404, odd
    assert anonymous.get(path).status_code == 200
    user = db.session.get(User, world.users["volunteer"].id)
    user.active = False
    db.session.commit()
    assert anonymous.get(path).status_code == 404


def test_the_feed_page_needs_a_login_but_the_feed_does_not(world, client):
    r = client.get(f"{CAL}/feed")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = client.post_form(f"{CAL}/feed", {})
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert db.session.scalar(select(User).where(User.calendar_token.is_not(None))) is None


def test_renewing_without_csrf_token_is_refused(world, login_as):
    c = login_as("parent")
    old = feed_url(c)
    assert c.http.post(f"{CAL}/feed", data={}).status_code == 400
    assert feed_url(c) == old
