"""Each role in a real browser: navigation, the pages behind it, accessibility (axe), screenshots, large text."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Every main-navigation entry of the Chinese interface: label -> target.
NAV = {
    "首页": "/",
    "我的家庭": "/my/family",
    "我的志愿者信息": "/my/volunteer",
    "需求菜单": "/needs/",
    "资源菜单": "/offers/",
    "求助": "/help/",
    "对接": "/matching/",
    "结对": "/pairs/",
    "服务时长": "/hours/",
    "家长学校": "/parent-school/",
    "活动": "/events/",
    "行事历": "/calendar/",
    "通知": "/announcements/",
    "上级任务": "/tasks/",
    "供需看板": "/needs/board",
    "统计报表": "/reports/",
    "学生": "/people/students",
    "人员管理": "/people/",
    "审计日志": "/admin/audit",
    "学校工作数据": "/district/",
    "任务下发": "/district/tasks/",
    "单位与账号": "/district/units",
    "我的设置": "/settings",
}
ROLE_NAV = {
    "admin": ["首页", "需求菜单", "资源菜单", "求助", "对接", "结对", "服务时长", "家长学校", "活动", "行事历", "通知",
              "上级任务", "供需看板", "统计报表", "学生", "人员管理", "审计日志", "我的设置"],
    "coordinator": ["首页", "需求菜单", "资源菜单", "求助", "对接", "结对", "服务时长", "家长学校", "活动", "行事历",
                    "通知", "上级任务", "供需看板", "统计报表", "学生", "人员管理", "我的设置"],
    "teacher": ["首页", "需求菜单", "结对", "服务时长", "家长学校", "活动", "行事历", "通知", "学生", "我的设置"],
    "volunteer": ["首页", "我的志愿者信息", "资源菜单", "结对", "服务时长", "活动", "行事历", "我的设置"],
    "parent": ["首页", "我的家庭", "求助", "家长学校", "活动", "我的设置"],
    # A unit's users start on the district's table; they have no home page of their own.
    "unit_admin": ["学校工作数据", "任务下发", "单位与账号", "我的设置"],
    "unit_officer": ["学校工作数据", "任务下发", "我的设置"],
}
COUNT_RE = re.compile(r"共 (\d+) 条")


def _label(label: str):
    """A navigation link's name: the label, then its count badge if it has one."""
    return re.compile(rf"^{re.escape(label)}\s*\d*$")


def _count(text: str) -> int:
    match = COUNT_RE.search(text)
    assert match, f"no result count in {text!r}"
    return int(match.group(1))


def test_login_page(tab, a11y):
    tab.goto("/login")
    page = tab.page
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.get_by_label(re.compile(r"^用户名或手机号"))).to_be_visible()
    expect(page.get_by_label(re.compile(r"^密码"))).to_be_visible()
    expect(page.locator("nav.main-nav")).to_have_count(0)
    a11y.check(tab, "/login")
    tab.screenshot("login")
    a11y.assert_clean()
    assert not tab.csp_errors


@pytest.mark.parametrize("role", list(ROLE_NAV))
def test_role_navigation_pages_and_logout(tab, a11y, demo, role):
    page = tab.page
    tab.login(role)

    expected = {label: NAV[label] for label in ROLE_NAV[role]}
    assert tab.nav() == expected, f"{role} navigation"
    nav = page.locator("nav.main-nav")
    for label in NAV.keys() - expected.keys():
        expect(nav.get_by_role("link", name=_label(label))).to_have_count(0)
    expect(nav.locator('a[aria-current="page"]')).to_have_text(ROLE_NAV[role][0])

    a11y.check(tab, f"{role}: home")
    tab.screenshot(f"home-{role}")

    for label, href in list(expected.items())[1:]:
        nav.get_by_role("link", name=_label(label)).click()
        page.wait_for_url(tab.url(href))
        expect(nav.locator('a[aria-current="page"]')).to_have_text(_label(label))
        a11y.check(tab, f"{role}: {href}")

    tab.logout()
    assert tab.path() == "/login"
    expect(page.locator("nav.main-nav")).to_have_count(0)
    page.goto(tab.url("/"))
    assert urlsplit(tab.path()).path == "/login", f"/ after logout ended on {tab.path()}"

    a11y.assert_clean()
    assert not tab.csp_errors


def test_coordinator_live_search(tab, a11y, demo):
    page = tab.page
    tab.login("coordinator")
    tab.goto("/people/students")
    count = page.locator("#results .count")
    before = count.inner_text()
    a11y.check(tab, "coordinator: /people/students")

    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a full page load
    page.locator("#q").fill("王")
    page.wait_for_url(re.compile(r"[?&]q="))
    expect(count).not_to_have_text(before)

    assert parse_qs(urlsplit(page.url).query)["q"] == ["王"]
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the whole page instead of #results"
    expect(page.locator("#results .count")).to_have_count(1)
    total, found = _count(before), _count(count.inner_text())
    assert 0 < found < total, f"search 王: {found} of {total}"
    names = page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert names and all("王" in n for n in names), names
    a11y.check(tab, "coordinator: /people/students?q=王 (after htmx swap)")

    # The pushed URL stands on its own: loading it gives the same result.
    page.reload()
    expect(page.locator("#q")).to_have_value("王")
    assert _count(page.locator("#results .count").inner_text()) == found

    a11y.assert_clean()
    assert not tab.csp_errors


def test_teacher_opens_student_of_own_class(tab, a11y, demo):
    page = tab.page
    tab.login("teacher")
    tab.goto("/people/students")
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    classes = set(page.locator("#results tbody tr td:nth-child(3)").all_inner_texts())
    assert classes == {"三年级2班"}, classes

    link = rows.first.get_by_role("link")
    name = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r"/people/students/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_role("heading", level=2, name=re.compile("特殊群体标签"))).to_be_visible()
    a11y.check(tab, f"teacher: {tab.path()}")

    a11y.assert_clean()
    assert not tab.csp_errors


def test_large_text_mode_is_switched_on_in_the_settings(tab, a11y, demo):
    """The switch in 我的设置 (the header's 大字 button is tested in tests/auth); what large text measures on every
    page is tests/e2e/test_phone_pages.py."""
    page = tab.page
    tab.login("volunteer")
    page.set_viewport_size({"width": 375, "height": 812})
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\blarge-text\b"))

    tab.goto("/settings")
    switch = page.get_by_role("switch", name=re.compile("大字模式"))
    expect(switch).not_to_be_checked()
    switch.check()
    page.locator("form", has=switch).get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("设置已保存")
    expect(page.get_by_role("switch", name=re.compile("大字模式"))).to_be_checked()

    tab.goto("/")
    expect(html).to_have_class(re.compile(r"\blarge-text\b"))
    tab.screenshot("home-volunteer-large", widths=(375,))
    a11y.check(tab, "volunteer: home, large text")
    a11y.assert_clean()
    assert not tab.csp_errors
