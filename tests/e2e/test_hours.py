"""服务时长 in a real browser: a volunteer logs hours on a phone; the committee office approves a page of
entries at once and sends one back in place, then issues a printable service record; axe on the phone.

The data are the `world` school of tests/conftest.py (factories, password factories.PASSWORD) plus a few
ledger rows: pending entries of two volunteers and some approved ones from earlier in the year.
Screenshots and the PDF go to test-artifacts/."""
import re
import time
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.clock import SHANGHAI
from portal.extensions import db
from portal.hours.models import HourEntry, ServiceRecord
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, fits_phone, go, heights, start, tap

pytestmark = pytest.mark.e2e

TAP_PX = 44  # DESIGN.md §2: tap targets >= 44 px outside large-text mode
ARTIFACTS = SCREENSHOTS.parent  # test-artifacts/
NOTE = "校门口护学岗，扶低年级孩子过马路"
SEND_BACK_REASON = "日期与签到表不符，请核对"


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


def _shot(page, name: str):
    """A full-page screenshot at the window's current size: test-artifacts/<name>. Transitions are run to
    their end first, so a box ticked a moment ago shows ticked, not half-way there."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True, animations="disabled")




def _checked_at(tab, a11y, label: str):
    """Axe on the page as it is, at the phone width every page of this file is checked at."""
    assert tab.page.viewport_size["width"] == PHONE["width"], tab.page.viewport_size
    a11y.check(tab, f"{label} @{PHONE['width']}")
    fits_phone(tab.page, label)


@pytest.fixture
def ledger(world):
    """Pending entries of two volunteers (the world volunteer, who has an account, and a second one entered
    by the office) and three approved entries of the world volunteer from earlier this year."""
    school, coordinator = world.school, world.users["coordinator"]
    factories.term(school)
    other = factories.volunteer(school, "李秀英", "老干部")
    today = datetime.now(SHANGHAI).date()

    def day(back: int):  # this year's, so the whole ledger falls in the service record of this year
        return max(today - timedelta(days=back), today.replace(month=1, day=1))

    approved = [factories.hour_entry(world.volunteer, coordinator, h, day(back), "approved", activity=a, note=n,
                                     on_behalf=True, reviewed_by_id=coordinator.id)
                for h, back, a, n in (("3", 40, "lecture", "给四年级讲红色故事"), ("2", 25, "home_visit", "与班主任一起家访"),
                                      ("1.5", 12, "parent_school", "家长沙龙答疑"))]
    pending = [
        factories.hour_entry(world.volunteer, world.users["volunteer"], "2", day(1), activity="safety",
                             note="上学放学护学岗"),
        factories.hour_entry(world.volunteer, world.users["volunteer"], "1.5", day(3), activity="other",
                             note="图书角整理"),
        factories.hour_entry(other, coordinator, "4", day(2), activity="event", note="重阳节活动带队，维持秩序",
                             on_behalf=True),
        factories.hour_entry(other, coordinator, "1", day(5), activity="other", note="整理关工委档案",
                             on_behalf=True),
    ]
    facts = SimpleNamespace(volunteer_id=world.volunteer.id, volunteer_name=world.volunteer.name,
                            other_id=other.id, pending_ids=[e.id for e in pending],
                            approved_hours=sum(Decimal(e.hours) for e in approved),
                            pending_hours={e.id: Decimal(e.hours) for e in pending}, today=today)
    _fresh()
    return facts


# --- 1. A volunteer logs hours on a phone ------------------------------------------------------------

def test_volunteer_logs_hours_on_phone(tab, ledger):
    started = time.monotonic()
    page = start(tab, "volunteer", PHONE, password=factories.PASSWORD)
    go(tab, "/hours/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的服务时长")
    page.get_by_role("button", name="登记时长").click()
    page.wait_for_url(tab.url("/hours/new"))

    form = page.locator("main form.hours-form")
    save = form.get_by_role("button", name="保存时长")
    # Elder-friendly: every chip and the save button are big enough to tap.
    targets = heights(form.locator("label.toggle")) + heights(save)
    assert len(targets) == 10 + 7 + 1, targets  # ten lengths, seven kinds of service, save
    small = [(k, h) for k, h in targets if h < TAP_PX]
    assert not small, f"tap targets under {TAP_PX} px high on the hours form: {small}"
    fits_phone(page, "the hours form")

    today = datetime.now(SHANGHAI).date()
    expect(form.get_by_label(re.compile(r"^服务日期"))).to_have_value(today.isoformat())  # kept as it is
    expect(tap(form, "2")).to_be_checked()
    expect(form.locator("input[name=hours]:checked")).to_have_count(1)
    expect(tap(form, "护学安全")).to_be_checked()
    form.get_by_label(re.compile(r"^做了什么")).fill(NOTE)
    _shot(page, "hours-log-volunteer-375.png")

    with page.expect_response(lambda r: r.request.method == "POST" and r.url == tab.url("/hours/new")) as posted:
        save.click()
    assert posted.value.status == 302, f"saving the hours answered {posted.value.status}, not a redirect"
    page.wait_for_url(tab.url("/hours/"))

    expect(page.locator("#flash .flash-success")).to_contain_text("谢谢您！已登记 2 小时")
    card = page.locator("#results li.hour-card").filter(has_text=NOTE)
    expect(card).to_have_count(1)
    expect(card.locator(".badge.st-pending")).to_have_text("待审核")
    expect(card.locator(".hours-figure")).to_have_text("2 小时")
    expect(card).to_contain_text("护学安全")
    expect(page.locator("#results li.hour-card").first).to_have_id(card.get_attribute("id"))  # newest first
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"signing in and logging hours took {elapsed:.1f} s"
    _shot(page, "hours-logged-volunteer-375.png")

    _fresh()
    rows = db.session.scalars(select(HourEntry).where(HourEntry.note == NOTE)).all()
    assert [(e.volunteer_id, e.worked_on, e.hours, e.activity, e.status, e.on_behalf) for e in rows] == \
        [(ledger.volunteer_id, today, Decimal("2"), "safety", "pending", False)]
    _fresh()
    assert not tab.csp_errors


# --- 2 and 3. The office verifies a page of entries, sends one back, issues a service record --------

def _approve_page(tab, ledger):
    """服务时长 → 审核时长 → 全选本页 → 通过所选: the list, the counts and the flash change in place."""
    page = tab.page
    waiting = len(ledger.pending_ids)
    expect(page.locator("#nav-count-hours")).to_have_text(str(waiting))
    go(tab, "/hours/")
    expect(page.locator("#pending-count")).to_have_text(f"待审核 {waiting} 条")
    _shot(page, "hours-index-coordinator-1280.png")
    page.get_by_role("button", name=re.compile(r"^审核时长")).click()
    page.wait_for_url(tab.url("/hours/queue"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("审核时长")
    expect(page.locator("#pending-count")).to_have_text(f"待审核 {waiting} 条")

    rows = page.locator("#results li.hour-card")
    expect(rows).to_have_count(waiting)
    expect(rows.locator(".badge.st-pending")).to_have_count(waiting)
    boxes = rows.locator("input[type=checkbox][name=ids]")
    expect(boxes).to_have_count(waiting)
    for name in (ledger.volunteer_name, "李秀英"):
        expect(rows.filter(has_text=name)).to_have_count(2)

    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a full page load
    page.get_by_label("全选本页").check()
    for i in range(waiting):
        expect(boxes.nth(i)).to_be_checked()
    _shot(page, "hours-queue-coordinator-1280.png")

    page.locator("#bulk-form").get_by_role("button", name="通过所选").click()
    expect(page.locator("#flash .flash-success")).to_have_text(f"已通过 {waiting} 条。")
    expect(rows).to_have_count(0)
    expect(page.locator("#results .empty")).to_have_text("没有待审核的时长。")
    expect(page.locator("#pending-count")).to_have_text("待审核 0 条")
    expect(page.locator("#nav-count-hours")).to_have_text("0")
    expect(page.locator("#nav-count-hours")).to_be_hidden()  # a zero count is not shown
    assert page.evaluate("window.__sameDocument === true"), "approving the page reloaded the whole page"

    _fresh()
    done = db.session.scalars(select(HourEntry).where(HourEntry.id.in_(ledger.pending_ids))).all()
    assert {e.status for e in done} == {"approved"}, [(e.id, e.status) for e in done]
    assert all(e.reviewed_by_id is not None and e.reviewed_at is not None for e in done)
    _fresh()


def _send_one_back(tab, world, ledger) -> int:
    """One more entry arrives; 退回 on its row with a reason takes it off the pending list in place."""
    page = tab.page
    late = factories.hour_entry(world.volunteer, world.users["volunteer"], "8", ledger.today, activity="lecture",
                                note="讲了一整天的课")
    late_id = late.id
    _fresh()
    page.reload()
    expect(page.locator("#nav-count-hours")).to_have_text("1")
    expect(page.locator("#pending-count")).to_have_text("待审核 1 条")
    row = page.locator(f"#hour-{late_id}")
    expect(row.locator(".badge.st-pending")).to_have_text("待审核")

    page.evaluate("window.__sameDocument = true")
    send_back = row.locator("details.reject-one")
    send_back.locator("summary").click()
    expect(send_back).to_have_attribute("open", "")
    send_back.get_by_label("退回原因").fill(SEND_BACK_REASON)
    _shot(page, "hours-queue-send-back-1280.png")
    send_back.locator("button[type=submit][value=reject]").click()

    expect(page.locator("#flash .flash-success")).to_have_text("已退回 1 条。")
    expect(row).to_have_count(0)
    expect(page.locator("#results li.hour-card")).to_have_count(0)
    expect(page.locator("#pending-count")).to_have_text("待审核 0 条")
    expect(page.locator("#nav-count-hours")).to_have_text("0")
    assert page.evaluate("window.__sameDocument === true"), "sending an entry back reloaded the whole page"

    _fresh()
    entry = db.session.get(HourEntry, late_id)
    assert (entry.status, entry.reason) == ("rejected", SEND_BACK_REASON)
    _fresh()
    return late_id


def _issue_record(tab, ledger):
    """服务时长 → the volunteer → 开具服务记录证明 for this year → the record, printed to PDF."""
    page = tab.page
    go(tab, "/hours/")
    page.locator("table.totals").get_by_role("link", name=ledger.volunteer_name).click()
    page.wait_for_url(tab.url(f"/hours/volunteers/{ledger.volunteer_id}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(ledger.volunteer_name)
    total = ledger.approved_hours + sum(h for i, h in ledger.pending_hours.items()
                                        if i in ledger.pending_ids[:2])  # the world volunteer's two, approved above
    total_text = f"{total:f}".rstrip("0").rstrip(".")
    expect(page.locator(".hours-stats .stat").filter(has_text="本年小时").locator("strong")).to_have_text(total_text)
    _shot(page, "hours-volunteer-coordinator-1280.png")

    issue = page.locator("details.issue-record")
    issue.locator("summary").filter(has_text="开具服务记录证明").click()
    expect(issue.get_by_label(re.compile(r"^起"))).to_have_value(ledger.today.replace(month=1, day=1).isoformat())
    expect(issue.get_by_label(re.compile(r"^止"))).to_have_value(ledger.today.isoformat())
    issue.get_by_role("button", name="开具（自动编号）").click()
    page.wait_for_url(re.compile(r"/hours/records/\d+$"))
    record_id = int(tab.path().rsplit("/", 1)[1])

    _fresh()
    rec = db.session.get(ServiceRecord, record_id)
    serial, recorded = rec.serial, rec.total_hours
    _fresh()
    assert serial == f"{ledger.today.year}-0001" and recorded == total, (serial, recorded, total)
    expect(page.locator("#flash .flash-success")).to_contain_text(f"已开具证明 {serial}")
    expect(page.locator(".certificate .serial")).to_have_text(f"编号：{serial}")
    expect(page.locator(".certificate h1")).to_have_text("志愿服务记录证明")
    expect(page.locator(".certificate .cert-body")).to_contain_text(f"累计服务时长 {total_text} 小时（共 5 次）")
    print_button = page.get_by_role("button", name="打印")
    expect(print_button).to_be_visible()
    expect(page.locator("header.site-header")).to_be_visible()

    page.emulate_media(media="print")
    try:
        for hidden in ("header.site-header", "nav.main-nav", "[data-print]", "#flash", "footer.site-footer"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator(".certificate .serial")).to_be_visible()
        expect(page.locator(".certificate .cert-body")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf = ARTIFACTS / "service-record.pdf"
        pdf.unlink(missing_ok=True)
        page.pdf(path=pdf, format="A4")
        assert pdf.exists() and pdf.stat().st_size > 10_000, f"{pdf}: {pdf.stat().st_size if pdf.exists() else 0} bytes"
        _shot(page, "service-record-print.png")
    finally:
        page.emulate_media(media="screen")


def test_office_verifies_hours_and_issues_record(tab, world, ledger):
    start(tab, "coordinator", DESKTOP, password=factories.PASSWORD)
    _approve_page(tab, ledger)
    _send_one_back(tab, world, ledger)
    _issue_record(tab, ledger)
    assert not tab.csp_errors


def _posts(page) -> list[str]:
    """The URLs of the POST requests the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    return sent


def test_office_approves_one_row_in_place(tab, ledger):
    page = start(tab, "coordinator", DESKTOP, password=factories.PASSWORD)
    tab.goto("/hours/queue")
    first = ledger.pending_ids[0]
    row = page.locator(f"#hour-{first}")
    sent = _posts(page)
    row.locator("form.decision").get_by_role("button", name="通过", exact=True).click()
    expect(page.locator("#flash .flash-success")).to_have_text("已通过 1 条。", timeout=5_000)
    assert sent == [tab.url("/hours/review")], sent
    expect(row).to_have_count(0)
    expect(page.locator("#nav-count-hours")).to_have_text(str(len(ledger.pending_ids) - 1))
    _fresh()
    assert db.session.get(HourEntry, first).status == "approved"
    _fresh()


# --- 4. Axe on the phone -------------------------------------------------------------------------------

def test_hours_pages_pass_axe_on_phone(tab, a11y, ledger):
    page = start(tab, "volunteer", PHONE, password=factories.PASSWORD)
    go(tab, "/hours/")
    _checked_at(tab, a11y, "volunteer: my hours")
    tab.goto("/hours/new")
    expect(page.locator("main form.hours-form")).to_be_visible()
    _checked_at(tab, a11y, "volunteer: log form")
    tab.logout()

    page = start(tab, "coordinator", PHONE, password=factories.PASSWORD)
    tab.goto("/hours/queue")
    expect(page.locator("#results li.hour-card")).to_have_count(len(ledger.pending_ids))
    _checked_at(tab, a11y, "coordinator: queue")
    _shot(page, "hours-queue-coordinator-375.png")
    tab.goto(f"/hours/volunteers/{ledger.volunteer_id}")
    page.locator("details.issue-record summary").click()  # the record form too
    expect(page.locator("details.issue-record form")).to_be_visible()
    _checked_at(tab, a11y, "coordinator: volunteer page")
    _shot(page, "hours-volunteer-coordinator-375.png")
    a11y.assert_clean()
    assert not tab.csp_errors
