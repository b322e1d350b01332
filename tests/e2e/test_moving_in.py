"""A school moves in (issue 29): the office imports the whole roster, opens a class's parent logins and prints the
slips; a parent types the slip's mobile with spaces on a phone, is made to choose a password, and sees their child."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.people.models import Student, Volunteer
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, fits_phone
from tests.people.roster_workbook import school_roster

pytestmark = pytest.mark.e2e


def test_the_office_loads_the_school_and_a_parent_logs_in_from_a_slip(tab, browser, live_server, a11y):
    school = factories.school("花园小学")
    factories.user(school, "coordinator", "office")
    planted = school_roster(seed=2026, bad=20)
    page = tab.page
    page.set_viewport_size(DESKTOP)
    tab.login("office", factories.PASSWORD)

    tab.goto("/people/")
    page.get_by_role("button", name="导入名册").click()
    page.get_by_label("名册文件").set_input_files(
        {"name": "2026学年学生名册.xlsx", "buffer": planted.data,
         "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/people/import/\d+$"))
    expect(page.get_by_role("heading", name="导入前核对")).to_be_visible()
    expect(page.locator("#import-counts")).to_contain_text(str(planted.students))
    expect(page.get_by_role("heading", name="有问题的行（20）")).to_be_visible()
    a11y.check(tab, "roster preview")
    tab.screenshot("roster-preview")

    page.get_by_role("button", name=re.compile(r"^确认导入")).click()
    expect(page.get_by_role("heading", name="名册已导入")).to_be_visible()
    a11y.check(tab, "roster imported")
    tab.screenshot("roster-imported")
    page.get_by_role("link", name=re.compile(r"三年级2班")).click()
    page.get_by_role("button", name=re.compile(r"^开通 \d+ 个账号并打印登录卡")).click()
    slip = page.locator(".login-slip").first
    expect(slip).to_be_visible()
    tab.screenshot("roster-login-slips", widths=(1280,))
    mobile, password = (slip.locator("dd.slip-secret").nth(i).inner_text().strip() for i in (0, 1))
    children = set(slip.locator("dd").first.inner_text().strip().split("、"))
    a11y.check(tab, "login slips")

    phone = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        parent = phone.new_page()
        parent.goto(live_server.url + "/login")
        parent.get_by_label(re.compile(r"^用户名或手机号")).fill(f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}")
        parent.get_by_label(re.compile(r"^密码")).fill(password)
        parent.get_by_role("button", name="登录", exact=True).click()
        parent.wait_for_url(re.compile(r"/my-password$"))
        parent.get_by_label(re.compile(r"^新密码")).fill("huayuan-2026-mama")
        parent.get_by_label(re.compile(r"^再次输入新密码")).fill("huayuan-2026-mama")
        parent.get_by_role("button", name="保存我的密码").click()
        parent.wait_for_url(live_server.url + "/")
        parent.get_by_role("button", name="打开我的家庭").click()
        for name in children:
            expect(parent.locator("main")).to_contain_text(name)
        fits_phone(parent, "the parent's family page")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        parent.screenshot(path=str(SCREENSHOTS / "roster-parent-family-375.png"), full_page=True)
    finally:
        phone.close()
    assert db.session.scalar(select(Student.name).where(Student.name.in_(children))) is not None
    a11y.assert_clean()



def test_the_office_merges_a_volunteer_entered_twice_and_the_hours_add_up(tab, live_server, a11y):
    school = factories.school("花园小学")
    office = factories.user(school, "coordinator", "office")
    kept = factories.volunteer(school, "陈国华", phone="13900001111")
    twin = factories.volunteer(school, "陈国华", phone="13900002222")
    factories.hour_entry(kept, office, hours="2", status="approved")
    factories.hour_entry(twin, office, hours="3.5", status="approved")
    page = tab.page
    page.set_viewport_size(DESKTOP)
    tab.login("office", factories.PASSWORD)

    tab.goto("/people/volunteers")
    page.locator("tr", has_text="13900001111").get_by_role("button", name="合并重复").click()
    expect(page.locator("#merge-candidates")).to_contain_text("尾号2222")
    a11y.check(tab, "merge: which record")
    page.get_by_role("button", name="对比并合并").click()
    expect(page.locator("#merge-moves")).to_contain_text("服务时长记录：1")
    a11y.check(tab, "merge preview")
    tab.screenshot("merge-volunteer-preview")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="并入本记录").click()
    expect(page.locator("#flash")).to_contain_text("已将 陈国华")
    assert asked and "陈国华" in asked[0]

    tab.goto(f"/hours/volunteers/{kept.id}")
    expect(page.locator("main")).to_contain_text("5.5")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Volunteer).where(Volunteer.name == "陈国华")) == 1
