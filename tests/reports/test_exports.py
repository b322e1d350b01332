"""The committee's workbooks, opened back: each report as the school downloads it and the 年度工作台账 for the
district, with their sheets, headers and figures cell by cell, an audit entry per export, and no student in the
district's copy."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.hours.totals import year_period
from portal.pairs.models import END_REASONS, PAIR_KINDS
from portal.people.models import Student
from portal.reports import exports, services
from tests import factories
from tests.factories import zh
from tests.helpers import audits, menu_categories
from tests.reports.common import event, need, noon, pair, period, registration, tagged, term, utc

NOW = datetime(2026, 12, 20, 10, 0)  # Shanghai wall clock
HYPERLINK = '=HYPERLINK("http://evil.example","点我")'

SHEETS = {
    "needs": ["需求菜单"],
    "matching": ["需求对接"],
    "coverage": ["特殊群体覆盖", "未覆盖学生"],
    "pairs": ["结对帮扶"],
    "hours": ["服务时长", "五老类别时长", "服务之星"],
    "events": ["家校社活动", "活动清单"],
    "parent_school": ["家长学校", "家长满意度", "必修课完成"],
}
FIGURE = ["指标", "数值", "说明"]
HEADERS = {
    "需求菜单": ["类别", "待对接", "已对接", "已完成", "已关闭", "合计"],
    "需求对接": FIGURE,
    "特殊群体覆盖": ["班级", "特殊群体学生", "本期有结对帮扶", "覆盖率（%）"],
    "未覆盖学生": ["班级", "学生", "学号", "特殊群体标签", "需求"],
    "结对帮扶": FIGURE,
    "服务时长": ["月份", "已审核时长（小时）", "记录条数"],
    "五老类别时长": ["五老类别", "已审核时长（小时）", "志愿者人数"],
    "服务之星": ["名次", "志愿者", "五老类别", "已审核时长（小时）", "记录条数"],
    "家校社活动": ["月份", "五老进课堂", "红色故事会", "合计"],
    "活动清单": ["时间", "活动", "类型", "地点", "共建单位", "责任人", "状态", "参与人数", "活动总结"],
    "家长学校": ["日期", "课程", "场次", "报名家庭", "到场", "到场率（%）", "现场签到", "平均评分", "评价份数"],
    "家长满意度": ["评分", "份数"],
    "必修课完成": ["必修课程", "班级", "家庭数", "已参加", "已完成", "完成率（%）"],
}


@pytest.fixture
def coord(world):
    return world.users["coordinator"]


@pytest.fixture
def data(world, coord):
    """One term (2026-09-01 – 2027-01-31) of a small school, all of it also in the year 2026:

    needs: 学业辅导 one matched (in 3 days) and one open, 心理疏导 one done (matched in 19 days); one closed in March;
    tagged students: 三年级2班 the pupil (covered) and the HYPERLINK-named one (not); 四年级1班 刘小东 (covered by a
    pair ended in December) and the stranger (not, with an open need);
    hours: 张建国 2 + 3.5, 李桂英 1.5 approved and 4 pending; events: one held, one cancelled, one planned;
    parent school: a session with two registered families (one came) and a walk-in, a mandatory course's session."""
    t = term(world.school)
    cats = menu_categories(world)
    hyper = tagged(world.own_class, HYPERLINK, "困难家庭")
    ally = tagged(world.other_class, "刘小东", "残疾")

    n1 = need(world.pupil, cats.study, coord, t, utc(2026, 9, 2, 2), "matched")
    need(world.stranger, cats.study, coord, t, utc(2026, 9, 10, 2), "open")
    n3 = need(ally, cats.mind, coord, t, utc(2026, 10, 1, 2), "done")
    need(world.pupil, cats.study, coord, t, utc(2026, 3, 15, 2), "closed")
    pair(coord, t, [n1], started_on=date(2026, 9, 5), created=noon(date(2026, 9, 5)), last_visit_on=date(2026, 12, 1))
    pair(coord, t, [n3], status="ended", started_on=date(2026, 10, 20), created=noon(date(2026, 10, 20)),
         ended_on=date(2026, 12, 1), end_reason="goal")

    li = factories.volunteer(world.school, "李桂英", "老干部")
    for v, hours, day in ((world.volunteer, "2", date(2026, 9, 10)), (world.volunteer, "3.5", date(2026, 10, 10)),
                          (li, "1.5", date(2026, 11, 5))):
        factories.hour_entry(v, coord, hours, day=day, status="approved")
    factories.hour_entry(li, coord, "4", day=date(2026, 11, 6), status="pending")

    held = event(world.school, "五老讲传统", datetime(2026, 9, 20, 14), "五老进课堂", "done", 30,
                 ends_at=datetime(2026, 9, 20, 16), place="学校报告厅", summary="讲了抗战故事")
    held.leads = [coord]
    db.session.commit()
    event(world.school, "红色故事会", datetime(2026, 10, 15, 14), "红色故事会", "cancelled")
    event(world.school, "重阳节活动", datetime(2026, 11, 11, 14), "红色故事会", "planned")

    talk = factories.course(world.school, coord, "好家长沟通课", grades=(3, 4))
    first = factories.course_session(talk, starts_at=datetime(2026, 10, 10, 19), status="done", title="第一讲")
    no_show, walk_in = factories.families_with_children(world.own_class, 2)
    registration(first, world.pupil, coord, attended=True, rating=5)
    registration(first, no_show, coord)
    registration(first, walk_in, coord, attended=True, walk_in=True, rating=4)
    required = factories.course(world.school, coord, "新生家长入学适应", grades=(3,), mandatory=True)
    lesson = factories.course_session(required, starts_at=datetime(2026, 11, 1, 19), status="done", title="开学第一课")
    registration(lesson, world.pupil, coord, attended=True)
    return t, hyper


def _dashboard(world, p, names=True):
    """The figures as the export view gathers them; the coverage report carries the uncovered names."""
    d = services.dashboard(world.school.id, p, NOW)
    if names:
        d.coverage = services.coverage(world.school.id, p, with_names=True)
    return d


def _open(blob: bytes):
    return load_workbook(io.BytesIO(blob))


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _texts(wb) -> list[str]:
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def _students():
    return db.session.execute(select(Student.name, Student.student_no)).all()


# === Each report ======================================================================================

@pytest.mark.parametrize("key", list(exports.REPORTS))
def test_each_report_has_its_sheets_and_headers_and_is_audited(world, coord, data, key):
    t, _hyper = data
    wb = _open(exports.report_workbook(coord, key, _dashboard(world, period(t))))

    assert wb.sheetnames == SHEETS[key]
    for ws in wb.worksheets:
        assert _rows(ws)[0] == HEADERS[ws.title], ws.title
    [entry] = audits("reports.export")
    detail = f"report={key} period=t{t.id}" + (" uncovered=2" if key == "coverage" else "")
    assert (entry.user_id, entry.school_id, entry.detail) == (coord.id, world.school.id, detail)
    if key != "coverage":  # students are named in the school's coverage list only
        texts = _texts(wb)
        assert not [s for s in _students() for text in texts if s.name in text or s.student_no in text]


def test_needs_report_per_category_and_status_with_a_total_row(world, coord, data):
    t, _hyper = data
    ws = _open(exports.report_workbook(coord, "needs", _dashboard(world, period(t))))["需求菜单"]
    assert _rows(ws)[1:] == [["学业辅导", 1, 1, 0, 0, 2],
                             ["心理疏导", 0, 0, 1, 0, 1],
                             ["合计", 1, 1, 1, 0, 3]]


def test_matching_report(world, coord, data):
    t, _hyper = data
    ws = _open(exports.report_workbook(coord, "matching", _dashboard(world, period(t))))["需求对接"]
    assert [r[:2] for r in _rows(ws)[1:]] == [
        ["本期提出的需求", 3], ["已对接（已结对）", 2], ["对接率（%）", 66.7], ["对接用时中位数（天）", 11],
        ["对接用时平均（天）", 11], ["用时：一周内", 1], ["用时：1–2 周", 0], ["用时：2–4 周", 1], ["用时：一个月以上", 0]]


def test_matching_report_without_needs_leaves_the_rates_empty(world, coord):
    t = term(world.school)
    ws = _open(exports.report_workbook(coord, "matching", _dashboard(world, period(t))))["需求对接"]
    assert [r[:2] for r in _rows(ws)[1:6]] == [["本期提出的需求", 0], ["已对接（已结对）", 0], ["对接率（%）", None],
                                              ["对接用时中位数（天）", None], ["对接用时平均（天）", None]]


def test_coverage_report_per_class_grade_and_school_and_the_uncovered_students(world, coord, data):
    t, hyper = data
    wb = _open(exports.report_workbook(coord, "coverage", _dashboard(world, period(t))))

    assert _rows(wb["特殊群体覆盖"])[1:] == [
        ["三年级2班", 2, 1, 50.0], ["四年级1班", 2, 1, 50.0],
        ["三年级合计", 2, 1, 50.0], ["四年级合计", 2, 1, 50.0],
        ["全校合计", 4, 2, 50.0]]
    listed = wb["未覆盖学生"]
    assert _rows(listed)[1:] == [
        ["三年级2班", HYPERLINK, hyper.student_no, "困难家庭", zh("None raised")],
        ["四年级1班", "赵小红", world.stranger.student_no, "留守、单亲", zh("Waiting for a match")]]
    # A name that looks like a formula stays text: opening the file runs nothing.
    assert (listed["B2"].data_type, listed["B2"].value) == ("s", HYPERLINK)


def test_pairs_report(world, coord, data):
    t, _hyper = data
    ws = _open(exports.report_workbook(coord, "pairs", _dashboard(world, period(t))))["结对帮扶"]
    assert [r[:2] for r in _rows(ws)[1:]] == [
        ["当前进行中的结对", 1],
        [f"其中：{PAIR_KINDS['one_to_one']}", 1], [f"其中：{PAIR_KINDS['many_to_one']}", 0],
        [f"其中：{PAIR_KINDS['one_to_many']}", 0],
        ["需关注（14天以上未走访）", 1],  # last visit 1 December, 19 days before NOW
        ["逾期（30天以上未走访）", 0],
        ["本期新结对", 2], ["本期结束的结对", 1], [f"结束原因：{END_REASONS['goal']}", 1]]


def test_hours_report_by_month_kind_and_top_volunteers(world, coord, data):
    t, _hyper = data
    wb = _open(exports.report_workbook(coord, "hours", _dashboard(world, period(t))))

    assert _rows(wb["服务时长"])[1:] == [["2026年9月", 2, 1], ["2026年10月", 3.5, 1], ["2026年11月", 1.5, 1],
                                       ["2026年12月", 0, 0], ["2027年1月", 0, 0], ["合计", 7, 3]]
    assert _rows(wb["五老类别时长"])[1:] == [["老干部", 1.5, 1], ["老战士", 0, 0], ["老专家", 0, 0],
                                         ["老教师", 5.5, 1], ["老模范", 0, 0]]
    assert _rows(wb["服务之星"])[1:] == [[1, "张建国", "老教师", 5.5, 2], [2, "李桂英", "老干部", 1.5, 1]]


def test_events_report_per_month_and_the_list_of_events(world, coord, data):
    t, _hyper = data
    wb = _open(exports.report_workbook(coord, "events", _dashboard(world, period(t))))

    assert _rows(wb["家校社活动"])[1:] == [["2026年9月", 1, 0, 1], ["2026年10月", 0, 0, 0], ["2026年11月", 0, 1, 1],
                                        ["2026年12月", 0, 0, 0], ["2027年1月", 0, 0, 0], ["合计", 1, 1, 2]]
    listing = _rows(wb["活动清单"])[1:]
    assert listing[0] == ["9月20日 14:00–16:00", "五老讲传统", "五老进课堂", "学校报告厅", None, "coordinator", "已举办",
                          30, "讲了抗战故事"]
    assert [(r[1], r[6], r[7]) for r in listing] == [("五老讲传统", "已举办", 30), ("红色故事会", "已取消", None),
                                                     ("重阳节活动", "计划中", None)]


def test_parent_school_report(world, coord, data):
    t, _hyper = data
    wb = _open(exports.report_workbook(coord, "parent_school", _dashboard(world, period(t))))

    assert _rows(wb["家长学校"])[1:] == [
        [datetime(2026, 10, 10), "好家长沟通课", "第一讲", 2, 1, 50.0, 1, 4.5, 2],
        [datetime(2026, 11, 1), "新生家长入学适应", "开学第一课", 1, 1, 100.0, 0, None, 0],
        ["合计", None, None, 3, 2, 66.7, 1, 4.5, 2]]
    assert _rows(wb["家长满意度"])[1:] == [["5星", 1], ["4星", 1], ["3星", 0], ["2星", 0], ["1星", 0],
                                        ["平均评分", 4.5], ["满意率（4–5星，%）", 100.0]]
    assert _rows(wb["必修课完成"])[1:] == [["新生家长入学适应", "三年级2班", 3, 1, 1, 33.3]]


# === The 年度工作台账 ====================================================================================

def test_annual_pack_has_a_cover_sheet_and_a_sheet_per_area_and_is_audited(world, coord, data):
    wb = _open(exports.annual_workbook(coord, world.school.name, _dashboard(world, year_period(2026)), NOW))

    assert wb.sheetnames == ["概况", "需求菜单", "需求对接", "特殊群体覆盖", "结对帮扶", "服务时长", "五老类别时长", "服务之星",
                             "家校社活动", "活动清单", "家长学校", "家长满意度", "必修课完成"]
    assert _rows(wb["概况"]) == [
        FIGURE,
        ["学校", "滨湖实验小学", None],
        ["年度", "2026年", "2026-01-01 至 2026-12-31"],
        ["导出时间", "2026-12-20 10:00", None],
        ["提出需求", 4, None],
        ["需求对接率（%）", 50.0, "2 / 4"],
        ["特殊群体结对覆盖率（%）", 50.0, "2 / 4"],
        ["进行中的结对", 1, "导出当天"],
        ["志愿服务时长（小时）", 7, "已审核"],
        ["家校社活动（场）", 2, "已举办 1"],
        ["家长学校场次", 2, None],
        ["家长学校到场率（%）", 66.7, "2 / 3"],
        ["家长满意率（%）", 100.0, "2 份评价"],
    ]
    for ws in wb.worksheets[1:]:
        assert _rows(ws)[0] == HEADERS[ws.title], ws.title
    # The year's figures: the March need is in, and every month of the year is a row.
    assert _rows(wb["需求菜单"])[-1] == ["合计", 1, 1, 1, 1, 4]
    assert [r[0] for r in _rows(wb["服务时长"])[1:]] == [f"2026年{m}月" for m in range(1, 13)] + ["合计"]
    assert _rows(wb["特殊群体覆盖"])[-1] == ["全校合计", 4, 2, 50.0]
    [entry] = audits("reports.annual_export")
    assert (entry.user_id, entry.school_id, entry.detail) == (coord.id, world.school.id, "period=y2026")
    assert audits("reports.export") == []


def test_annual_pack_never_names_a_student(world, coord, data):
    d = _dashboard(world, year_period(2026))
    assert len(d.coverage.uncovered) == 2  # the names are at hand, and still stay out of the district's copy

    wb = _open(exports.annual_workbook(coord, world.school.name, d, NOW))

    assert "未覆盖学生" not in wb.sheetnames
    texts = _texts(wb)
    assert {"张建国", "coordinator"} <= set(texts)  # adults are named: the district sees who served
    students = _students()
    assert len(students) == 7
    assert not [s for s in students for text in texts if s.name in text or s.student_no in text]
