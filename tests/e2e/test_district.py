"""Tasks down, returns up, in a real browser: the district's officer sends an essay competition with its notice to the
two schools under the bureau; the first school's office finds it on its home page, adds an entry with its Word file,
writes the summary and submits; the second's submits an entry without a file, is sent back with a reason, adds the
missing entry and submits again; the officer approves, judges the entries, publishes the results, which the first
school sees on its page, and downloads the entries as Excel and their files as a .zip.

Then the officer's table of the schools: sorted by a heading (htmx swaps it in place), at 1280 px and on a 375 px
phone, in normal and in large text. Every page visited is checked with axe and must fit a phone; screenshots go to
test-artifacts/screenshots/district-*.png."""
import re
import zipfile
from contextlib import contextmanager
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.core.clock import local_today
from portal.demo import demo_docx
from portal.extensions import db
from portal.people.models import School
from tests.e2e.conftest import DESKTOP, PHONE, Tab, fits_phone
from tests.factories import zh, zh_in

pytestmark = pytest.mark.e2e

FIRST, SECOND = "滨湖实验小学", "滨湖区第二实验学校"  # by name the second comes first: 区 sorts before 实
UNIT = "滨湖区教育局关工委"
TITLE = "2026年“我和我的祖国”主题征文"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SETTLED = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
STATE = {key: zh_in("task state", label) for key, label in (
    ("unread", "Not read"), ("read", "Read"), ("submitted", "Submitted"), ("returned", "Sent back to change"),
    ("approved", "Approved"))}


def _second_school():
    """A second school under the demo's bureau, with its office (the demo coordinator's password)."""
    first = db.session.scalar(select(School).where(School.name == FIRST))
    office = db.session.scalar(select(User).where(User.username == "coordinator"))
    school = School(name=SECOND, unit_id=first.unit_id)
    db.session.add(school)
    db.session.flush()
    db.session.add(User(school_id=school.id, username="office2", display_name="第二实验学校关工委", role="coordinator",
                        password_hash=office.password_hash))
    db.session.commit()


@contextmanager
def _another(browser, live_server, tabs):
    """One more user, in a browser context of their own."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        tab = Tab(context.new_page(), live_server.url)
        tabs.append(tab)
        yield tab
    finally:
        context.close()


def _looked_at(tab, a11y, label: str, shot: str | None = None):
    """axe at the window's width, nothing wider than a phone at 375 px, and screenshots if named."""
    a11y.check(tab, label)
    page = tab.page
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    fits_phone(page, label)
    page.set_viewport_size(size)
    if shot:
        tab.screenshot(shot)


def _flash(page, text: str):
    expect(page.locator("#flash")).to_contain_text(text)


def _badge(scope, state: str):
    expect(scope.locator(f".badge.st-task-{state}")).to_have_text(STATE[state])


def _school_row(page, school: str):
    return page.locator("tbody tr", has=page.get_by_role("rowheader", name=school, exact=True))


def _add_entry(page, title, author, class_name, teacher, upload=None):
    form = page.locator("form", has=page.get_by_role("heading", name=zh("Add an entry")))
    form.get_by_label(re.compile("^" + zh("Title of the entry"))).fill(title)
    form.get_by_label(re.compile("^" + zh("Author"))).fill(author)
    form.get_by_label(re.compile("^" + zh("Class"))).fill(class_name)
    form.get_by_label(re.compile("^" + zh("Supervising teacher (指导教师)"))).fill(teacher)
    if upload:
        form.get_by_label(re.compile("^" + zh("File"))).set_input_files(upload)
    form.get_by_role("button", name=zh("Add the entry")).click()
    _flash(page, zh("Entry added."))
    expect(page.locator("table tbody tr", has_text=title)).to_contain_text(author)


def _submit(page):
    page.get_by_role("button", name=zh("Submit to %(unit)s", unit=UNIT)).click()
    _flash(page, zh("Submitted to %(unit)s.", unit=UNIT))
    _badge(page.locator("main"), "submitted")
    expect(page.get_by_role("button", name=zh("Add the entry"))).to_have_count(0)  # no longer editable


def test_an_essay_task_goes_down_comes_back_is_judged_and_exported(tab, browser, live_server, a11y, demo, tmp_path):
    _second_school()  # before the task: it goes to the schools under the unit when it is sent
    tabs = [tab]
    page = tab.page
    notice = demo_docx("关于开展“我和我的祖国”主题征文活动的通知", "每校选送优秀征文不超过3篇。")
    essay = demo_docx("我的祖国", "作者：王思远")

    # --- the officer sends the task --------------------------------------------------------------------------
    tab.login("unit_officer")
    tab.open_menu()
    page.locator("nav.main-nav").get_by_role("link", name=zh("Tasks to schools")).click()
    page.wait_for_url(tab.url("/district/tasks/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Tasks to schools"))
    _looked_at(tab, a11y, "officer: tasks")
    page.get_by_role("button", name=zh("New task")).click()
    page.wait_for_url(tab.url("/district/tasks/new"))
    _looked_at(tab, a11y, "officer: new task", shot="district-new-task")
    page.get_by_label(zh("Competition (essays, speeches)")).check()
    page.get_by_label(re.compile("^" + zh("Title"))).fill(TITLE)
    page.get_by_label(re.compile("^" + zh("Notice to the schools"))).fill("各校关工委：\n请组织学生参加征文，每校选送不超过3篇。")
    page.get_by_label(re.compile("^" + zh("Deadline"))).fill((local_today() + timedelta(days=14)).isoformat())
    page.get_by_label(zh("Entries (title, author, class, 指导教师, file)")).check()
    page.get_by_label(zh("A written summary")).check()
    page.get_by_label(re.compile("^" + zh("Attachments"))).set_input_files(
        {"name": "征文通知.docx", "mimeType": DOCX, "buffer": notice})
    page.get_by_role("button", name=zh("Send to the schools")).click()
    page.wait_for_url(re.compile(r"/district/tasks/\d+$"))
    task_path = tab.path()
    _flash(page, zh("The task is sent to %(n)d schools.", n=2))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("link", name="征文通知.docx")).to_be_visible()
    for school in (FIRST, SECOND):
        _badge(_school_row(page, school), "unread")
    _looked_at(tab, a11y, "officer: the task, sent")

    with _another(browser, live_server, tabs) as first:
        # --- the first school: from its home page, an entry with its file, the summary, submitted ---------------
        first.login("coordinator")
        fp = first.page
        card = fp.locator("section.district-tasks li", has_text=TITLE)
        _badge(card, "unread")
        card.get_by_role("link", name=TITLE).click()
        fp.wait_for_url(re.compile(r"/tasks/\d+$"))
        task_id = first.path().rsplit("/", 1)[1]
        assert task_path == f"/district/tasks/{task_id}"
        expect(fp.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(fp.get_by_role("link", name="征文通知.docx")).to_be_visible()
        _looked_at(first, a11y, "first office: the task, unread")
        fp.get_by_role("button", name=zh("Mark as read")).click()
        _badge(fp.locator("main"), "read")
        expect(fp.locator("main")).to_contain_text(zh(
            "Still needed before submitting: %(what)s.", what="、".join([zh("the written summary"), zh("at least one entry")])))
        _add_entry(fp, "我的祖国", "王思远", "五年级2班", "周老师",
                   {"name": "我的祖国.docx", "mimeType": DOCX, "buffer": essay})
        expect(fp.get_by_role("link", name="我的祖国.docx")).to_be_visible()
        fp.get_by_label(zh("Written summary")).fill("本校共收到征文46篇，经评选选送1篇。")
        _submit(fp)
        _looked_at(first, a11y, "first office: submitted")

        with _another(browser, live_server, tabs) as second:
            # --- the second school: from the menu, an entry without a file, submitted ---------------------------
            second.login("office2")
            sp = second.page
            second.open_menu()
            sp.locator("nav.main-nav").get_by_role("link", name=re.compile("^" + zh("Tasks from above"))).click()
            sp.wait_for_url(second.url("/tasks/"))
            _looked_at(second, a11y, "second office: tasks from above")
            card = sp.locator("ul.plain-list li", has_text=TITLE)
            _badge(card, "unread")
            card.get_by_role("link", name=TITLE).click()
            sp.wait_for_url(second.url(f"/tasks/{task_id}"))
            _add_entry(sp, "书香伴我成长", "李欣怡", "四年级1班", "")
            sp.get_by_label(zh("Written summary")).fill("本校选送征文1篇。")
            _submit(sp)

            # --- the officer sends the second school's return back -------------------------------------------
            tab.goto(task_path)
            for school in (FIRST, SECOND):
                _badge(_school_row(page, school), "submitted")
            _school_row(page, SECOND).get_by_role("link", name=zh("Open the return")).click()
            page.wait_for_url(re.compile(r"/district/tasks/\d+/returns/\d+$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(SECOND)
            expect(page.locator("main")).to_contain_text("本校选送征文1篇。")
            expect(page.locator("main table")).to_contain_text("书香伴我成长")
            _looked_at(tab, a11y, "officer: a school's return")
            reason = "请再选送一篇，并写明指导教师。"
            page.get_by_label(re.compile("^" + re.escape(zh("What should the school change?")))).fill(reason)
            page.get_by_role("button", name=zh("Send back to the school")).click()
            page.wait_for_url(tab.url(task_path))
            _flash(page, zh("%(school)s's return is sent back.", school=SECOND))
            _badge(_school_row(page, SECOND), "returned")
            expect(_school_row(page, SECOND)).to_contain_text(reason)

            # --- the second school reads why, adds the entry asked for, submits again --------------------------
            sp.reload()
            _badge(sp.locator("main"), "returned")
            expect(sp.locator(".notice-box")).to_contain_text(zh("Sent back to change:") + " " + reason)
            _looked_at(second, a11y, "second office: sent back", shot="district-sent-back")
            _add_entry(sp, "我家的小书架", "赵子涵", "五年级3班", "钱老师")
            expect(sp.get_by_label(zh("Written summary"))).to_have_value("本校选送征文1篇。")  # kept from before
            _submit(sp)

        # --- the officer approves the first school's return, judges and publishes ---------------------------------
        tab.goto(task_path)
        _badge(_school_row(page, SECOND), "submitted")
        _school_row(page, FIRST).get_by_role("link", name=zh("Open the return")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(FIRST)
        expect(page.get_by_role("link", name="我的祖国.docx")).to_be_visible()
        page.get_by_role("button", name=zh("Approve the return")).click()
        page.wait_for_url(tab.url(task_path))
        _flash(page, zh("%(school)s's return is approved.", school=FIRST))
        _badge(_school_row(page, FIRST), "approved")
        _looked_at(tab, a11y, "officer: the task, returns in", shot="district-task")

        page.get_by_role("button", name=zh("Judge the entries")).click()
        page.wait_for_url(tab.url(task_path + "/judge"))
        expect(page.get_by_role("heading", level=1)).to_have_text(zh("Judge the entries"))
        expect(page.locator("main section h2")).to_have_text([SECOND, FIRST])  # by name
        _looked_at(tab, a11y, "officer: judge the entries", shot="district-judge")
        level = lambda title: page.get_by_label(zh("Level of %(title)s", title=title))  # noqa: E731
        level("我的祖国").select_option(label=zh("First prize"))
        level("我家的小书架").select_option(label=zh("Second prize"))
        page.locator("section", has_text=FIRST).get_by_label("周老师").check()
        page.get_by_role("button", name=zh("Save and publish to the schools")).click()
        _flash(page, zh("The results are published to the schools."))
        expect(level("我的祖国")).to_have_value("first")
        expect(level("书香伴我成长")).to_have_value("")
        expect(page.locator("main p.lead")).to_contain_text(local_today().strftime("%Y年%-m月%-d日"))

        # --- the first school sees its level --------------------------------------------------------------------
        fp.reload()
        _badge(fp.locator("main"), "approved")
        row = fp.locator("main table tbody tr", has_text="我的祖国")
        expect(row).to_contain_text(zh("First prize"))
        expect(row).to_contain_text(zh("Outstanding supervising teacher"))
        _looked_at(first, a11y, "first office: the results", shot="district-return")

    # --- the officer downloads the entries and their files ---------------------------------------------------------
    tab.goto(task_path)
    with page.expect_download() as info:
        page.get_by_role("button", name=zh("Entries (.xlsx)")).click()
    assert info.value.suggested_filename == f"{TITLE}-作品名单.xlsx"
    info.value.save_as(tmp_path / "entries.xlsx")
    rows = [list(r) for r in load_workbook(tmp_path / "entries.xlsx")["作品名单"].iter_rows(values_only=True)]
    assert rows[0][:6] == ["学校", "作品", "作者", "班级", "指导教师", "等次"]
    got = sorted((r[0], r[1], r[2], r[5] or "", r[6] or "", r[8] or "") for r in rows[1:])
    assert got == sorted([
        (FIRST, "我的祖国", "王思远", zh("First prize"), "优秀指导教师", f"{FIRST}/01-我的祖国-王思远.docx"),
        (SECOND, "书香伴我成长", "李欣怡", "", "", ""),
        (SECOND, "我家的小书架", "赵子涵", zh("Second prize"), "", ""),
    ])
    with page.expect_download() as info:
        page.get_by_role("button", name=zh("All files (.zip)")).click()
    assert info.value.suggested_filename == f"{TITLE}-作品文件.zip"
    info.value.save_as(tmp_path / "files.zip")
    with zipfile.ZipFile(tmp_path / "files.zip") as z:
        assert z.namelist() == [f"{FIRST}/01-我的祖国-王思远.docx"]
        assert z.read(z.namelist()[0]) == essay

    # --- the officer's table of the schools: sorted, at 1280 and 375 px, in large text --------------------------
    tab.goto("/district/")
    table = page.locator("table.district-table")
    names = table.locator("tbody th[scope=row] a")
    expect(names).to_have_text([SECOND, FIRST])  # by name
    expect(page.locator("main")).to_contain_text(UNIT)
    _looked_at(tab, a11y, "officer: schools' figures (1280)")
    page.set_viewport_size(PHONE)
    a11y.check(tab, "officer: schools' figures (375)")
    tab.screenshot("district-dashboard")

    needs = zh("Needs raised")
    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a full page load
    table.get_by_role("link", name=needs, exact=True).click()
    expect(page).to_have_url(re.compile(r"/district/\?period=\w+&sort=needs&dir=desc$"))
    expect(page.locator(SETTLED)).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "sorting reloaded the whole page"
    expect(table.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    expect(table.locator("th[aria-sort]")).to_contain_text(needs + " ↓")
    expect(names).to_have_text([FIRST, SECOND])  # the demo school has needs, the new one none
    expect(page.locator("#d-chart-h")).to_have_text(needs)
    fits_phone(page, "officer: schools' figures, sorted (375)")

    page.get_by_role("button", name=zh("Large text")).click()
    expect(page.locator("html.large-text")).to_have_count(1)
    expect(page.get_by_role("button", name=zh("Large text"))).to_have_attribute("aria-pressed", "true")
    expect(names).to_have_count(2)
    fits_phone(page, "officer: schools' figures, large text (375)")
    a11y.check(tab, "officer: schools' figures, large text (375)")
    page.set_viewport_size(DESKTOP)
    a11y.check(tab, "officer: schools' figures, large text (1280)")
    tab.screenshot("district-dashboard-large")
    # The table scrolls inside its own region, which a keyboard can reach.
    region = page.get_by_role("region", name=zh("Figures per school"))
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table should scroll inside its region"

    a11y.assert_clean()
    for t in tabs:
        assert t.csp_errors == []
