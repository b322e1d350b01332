"""What the office prints and exports: sign-in sheets, attendance workbooks, who a mandatory course has not reached."""
import io
import re
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.parent_school import exports
from portal.parent_school.models import CourseSession
from portal.registrations import services as seats
from portal.registrations.services import local_now
from tests import factories
from tests.factories import zh
from tests.helpers import audits, main_text, sheet_rows, stale_reauth
from tests.parent_school.common import PS, course, roster_names

pytestmark = pytest.mark.usefixtures("door_always_open")


@pytest.mark.parametrize("which", ["attendance", "coverage"])
def test_exports_need_a_freshly_typed_password(world, login_as, which):
    c_ = course(world, mandatory=True)
    s = factories.course_session(c_)
    url = {"attendance": f"{PS}/sessions/{s.id}/attendance.xlsx", "coverage": f"{PS}/courses/{c_.id}/coverage.xlsx"}[which]
    c = login_as("coordinator")
    stale_reauth(c)
    r = c.get(url)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/confirm-password?about=children&next=")
    assert unquote(r.headers["Location"]).split("next=", 1)[1].rstrip("?") == url
    assert audits("course_session.export") == [] and audits("course.coverage_export") == []
    back = r.headers["Location"]
    r = c.post_form(back, {"password": factories.PASSWORD}, token_from=back)
    assert r.status_code == 302 and unquote(r.headers["Location"]).rstrip("?") == url
    r = c.get(r.headers["Location"])
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert len(audits("course_session.export") + audits("course.coverage_export")) == 1


def test_attendance_workbook_lists_registered_and_waiting_families_with_their_check_in(world, login_as, roster):
    s, kids, regs_ = roster
    walk_child, = factories.families_with_children(world.own_class, 1, "丙")
    row = db.session.get(CourseSession, s.id)
    row.capacity = 3
    db.session.commit()
    seats.walk_in(db.session.get(CourseSession, s.id), walk_child, world.users["coordinator"])
    r = login_as("coordinator").get(f"{PS}/sessions/{s.id}/attendance.xlsx")
    assert r.status_code == 200
    assert f"attendance-{s.id}.xlsx" in r.headers["Content-Disposition"]
    assert "家长学校签到表" in unquote(r.headers["Content-Disposition"])
    rows = sheet_rows(r.data)
    assert rows[0] == [h for h, _w in exports.ATTENDANCE]
    body = {row[2]: row for row in rows[1:]}
    assert sorted(body) == ["丙0", "甲0", "甲1", "甲2"]  # not the family that cancelled
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]
    assert (body["甲0"][5], body["甲0"][6]) == ("已报名", None)
    assert body["甲2"][5] == "候补"
    assert body["甲1"][5] == "已报名" and isinstance(body["甲1"][6], datetime)
    # Check-in times are Shanghai wall-clock times, as on the door page.
    assert abs(body["甲1"][6] - local_now()) < timedelta(minutes=5)
    assert (body["丙0"][7], body["甲1"][7]) == ("是", None)
    assert body["甲0"][1] == "甲0家" and body["甲0"][3] == "三年级2班"
    assert kids[0].family.guardians[0].name in body["甲0"][4]
    [entry] = audits("course_session.export")
    assert entry.object_id == s.id


def test_the_printable_sign_in_sheet_lists_the_registered_families(world, login_as, roster):
    s, kids, _regs = roster
    r = login_as("coordinator").get(f"{PS}/sessions/{s.id}/sign-in-sheet")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    sheet = re.search(r'<article class="sign-sheet">(.*?)</article>', html, re.S).group(1)
    assert "滨湖实验小学" in sheet and "好家长沟通课" in sheet and "学校报告厅" in sheet
    assert roster_names(sheet) == ["甲0", "甲1"]  # registered; not the waiting or the cancelled family
    assert kids[0].family.guardians[0].name in sheet
    assert zh("Registered: %(n)d families. Checked in: ____ families.", n=2) in main_text(sheet)
    assert "data-print" in html




def _coverage_rows(html) -> dict[str, tuple[int, ...]]:
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)/(\d+)</td>'
                      r'\s*<td class="num">(\d+)/(\d+)', html)
    return {label: tuple(int(n) for n in numbers) for label, *numbers in rows}


def _missing(html) -> dict[str, str]:
    """Child → the badge of each family still to reach."""
    return {m.group(1): m.group(2) for m in re.finditer(
        r'<li><strong>([^<]+)</strong>.*?<span class="badge[^"]*">([^<]+)</span></li>', html, re.S)}


def test_coverage_of_a_mandatory_course_counts_each_class(world, login_as, mandatory):
    c = login_as("coordinator")
    html = c.get(f"{PS}/courses/{mandatory.id}/coverage").get_data(as_text=True)
    # families, registered / families, completed / families
    assert _coverage_rows(html) == {"三年级2班": (6, 3, 6, 1, 6), "三年级5班": (1, 1, 1, 1, 1),
                                    "四年级1班": (2, 1, 2, 1, 2)}
    assert _missing(html) == {"王小明": zh("Not registered"), "甲0": zh("Registered, not completed"),
                              "甲2": zh("Registered, not completed"), "甲3": zh("Not registered"),
                              "甲4": zh("Not registered"), "乙1": zh("Not registered")}
    assert "丁0" not in html and "赵小红" not in html
    # The course page shows the same figures.
    course_page = c.get(f"{PS}/courses/{mandatory.id}").get_data(as_text=True)
    assert _coverage_rows(course_page) == _coverage_rows(html)


def test_a_teacher_sees_the_coverage_of_their_own_classes_only(world, login_as, mandatory):
    c = login_as("teacher")
    index = c.get(f"{PS}/").get_data(as_text=True)
    assert f'href="{PS}/courses/{mandatory.id}/coverage"' in index
    html = c.get(f"{PS}/courses/{mandatory.id}/coverage").get_data(as_text=True)
    assert _coverage_rows(html) == {"三年级2班": (6, 3, 6, 1, 6)}
    assert set(_missing(html)) == {"王小明", "甲0", "甲2", "甲3", "甲4"}
    assert "乙1" not in html and "丙0" not in html and "四年级" not in main_text(html)
    # Nor in the workbook.
    r = c.get(f"{PS}/courses/{mandatory.id}/coverage.xlsx")
    assert r.status_code == 200
    assert {row[0] for row in sheet_rows(r.data)[1:]} == {"三年级2班"}
    assert [row[:4] for row in sheet_rows(r.data, "各班完成情况")[1:]] == [["三年级2班", 6, 3, 1]]
    # The office's pages stay closed to a teacher.
    assert c.get(f"{PS}/courses/{mandatory.id}").status_code == 403
    assert c.get(f"{PS}/sessions/{mandatory.sessions[0].id}").status_code == 403


def test_coverage_workbook_lists_the_families_still_to_reach_with_their_phones(world, login_as, mandatory):
    r = login_as("coordinator").get(f"{PS}/courses/{mandatory.id}/coverage.xlsx")
    assert r.status_code == 200
    assert f"coverage-{mandatory.id}.xlsx" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["未完成家庭", "各班完成情况"]
    rows = sheet_rows(r.data)
    assert rows[0] == [h for h, _w in exports.COVERAGE]
    by_child = {row[1]: row for row in rows[1:]}
    assert set(by_child) == {"王小明", "甲0", "甲2", "甲3", "甲4", "乙1"}
    assert by_child["王小明"][0] == "三年级2班" and by_child["王小明"][2] == "王小明家"
    assert by_child["王小明"][4] == world.family.guardians[0].mobile
    assert by_child["王小明"][5] == "未报名" and by_child["甲0"][5] == "已报名，未完成"
    summary = {row[0]: row[1:] for row in sheet_rows(r.data, "各班完成情况")[1:]}
    assert summary == {"三年级2班": [6, 3, 1, "16%"], "三年级5班": [1, 1, 1, "100%"], "四年级1班": [2, 1, 1, "50%"]}
    [entry] = audits("course.coverage_export")
    assert entry.object_id == mandatory.id
