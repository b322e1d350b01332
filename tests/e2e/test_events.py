"""家校社活动 and the 行事历 in a real browser.

A. A coordinator fills a month of the 行事历 through /events/new on a laptop (the quick "save and add another"
   button; one entry known only by the month, one with a grade group and a teacher as 责任人), finds the month
   on /calendar as the paper table (时间 | 活动安排 | 责任人), and prints it: the print layout hides the
   navigation and buttons and keeps the table; a screenshot and an A4 PDF of it are saved.
B. The demo volunteer, on a phone, finds 需要您的活动 on /events, taps a sign-up button and is on the event.
C. The demo parent, on a phone, registers the family for the demo event with registration.

The data are the demo school (portal/demo.py). Interface texts still waiting for their Chinese are read from
the compiled catalog (factories.zh), so the journeys hold before and after the translations land; the paper
行事历's column heads are written out, as the committee prints them. Every page visited is checked with axe;
phone pages also for horizontal scroll. Screenshots and the PDF go to test-artifacts/screenshots/."""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.events import calendar, services, signup
from portal.events.models import Event
from portal.extensions import db
from portal.registrations.models import Registration
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, fits_phone, go, start
from tests.factories import zh

pytestmark = pytest.mark.e2e

CALENDAR_HEADS = ["时间", "活动安排", "责任人"]  # the paper 行事历's columns
TEACHER = "李老师（三年级2班班主任）"  # the demo teacher, a staff 责任人
FAMILY_EVENT = "老少共读：红色经典故事会"  # the demo event with registration: grades 3–4, 30 seats, 3 helpers


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


def _checked(tab, a11y, label: str):
    """Axe on the page as it is, and, on a phone, no horizontal scroll."""
    a11y.check(tab, label)
    if tab.page.viewport_size["width"] == PHONE["width"]:
        fits_phone(tab.page, label)


def _big_enough(locator, what: str, least: float = 44):
    box = locator.bounding_box()
    assert box and box["height"] >= least, f"{what} is {box and box['height']} px high; tap targets need {least} px"


# --- A. A coordinator fills a month, reads it on /calendar and prints it ---------------------------------

@dataclass
class Entry:
    title: str
    kind: str
    precision: str  # time, day or month
    day: int = 1
    start: str = ""
    end: str = ""
    place: str = ""
    staff: str = ""  # a staff 责任人, ticked
    groups: str = ""  # 责任人 groups, typed
    speakers: int = 0
    helpers: int = 0

    def on(self, month: date) -> date:
        return month.replace(day=self.day)

    def when(self, month: date) -> str:
        """As the 行事历 prints it under the title: the month is in the row's month cell already."""
        if self.precision == "month":
            return zh("Date to be set")
        text = f"{month.month}月{self.day}日"
        return f"{text} {self.start}–{self.end}" if self.precision == "time" else text

    @property
    def responsible(self) -> str:
        return "、".join(x for x in (self.staff, self.groups) if x)


ENTRIES = (
    Entry("缅怀革命先烈，老少共祭英雄", "参观教育基地", "time", day=5, start="09:00", end="11:00", place="区烈士陵园",
          staff=TEACHER, groups="五年级组"),
    Entry("《家长必读》优秀论文评选", "评选申报", "month", groups="学发中心"),
    Entry("五老进课堂：讲传统美德", "五老进课堂", "time", day=12, start="14:00", end="15:30", place="四年级各班教室",
          groups="四年级组", speakers=2),
    Entry("学雷锋志愿服务日", "社区服务", "day", day=18, place="滨湖社区", groups="大队部", helpers=3),
)
# month_groups puts the entries known only by the month first, then the dated ones by date.
CALENDAR_ORDER = [ENTRIES[1], ENTRIES[0], ENTRIES[2], ENTRIES[3]]


def _target_month() -> date:
    """A month after every demo 行事历 entry (the last is 66 days ahead), so it holds only what the test adds."""
    return (date.today() + timedelta(days=100)).replace(day=1)


def _fill(page, entry: Entry, month: date):
    form = page.locator("form.form-card")
    form.locator("#title").fill(entry.title)
    form.locator("#kind").select_option(entry.kind)
    form.locator(f'input[name="precision"][value="{entry.precision}"]').check()
    form.locator("#day").fill(entry.on(month).isoformat())
    if entry.precision == "time":
        form.locator("#start").fill(entry.start)
        form.locator("#end").fill(entry.end)
    if entry.place:
        form.locator("#place").fill(entry.place)
    if entry.staff:
        staff = form.locator("fieldset", has=page.locator('input[name="lead_ids"]'))
        staff.get_by_label(entry.staff, exact=True).check()
    form.locator("#lead_groups").fill(entry.groups)
    form.locator("#speakers_needed").fill(str(entry.speakers))
    form.locator("#helpers_needed").fill(str(entry.helpers))


def _fill_the_month(tab, a11y, month: date) -> int:
    """Every entry through /events/new: "save and add another" for all but the last, which plain 保存 saves."""
    page = tab.page
    go(tab, "/events/")
    page.locator("main .head-actions").get_by_role("button", name=zh("New event")).click()
    page.wait_for_url(tab.url("/events/new"))
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("New event"))
    a11y.check(tab, "coordinator: new event (1280)")

    # The same form on a phone: nothing wider than the screen.
    page.set_viewport_size(PHONE)
    _checked(tab, a11y, "coordinator: new event (375)")
    tab.screenshot("event-form")
    page.set_viewport_size(DESKTOP)

    another = page.locator('form.form-card button[name="next"][value="new"]')
    for i, entry in enumerate(ENTRIES):
        _fill(page, entry, month)
        last = i == len(ENTRIES) - 1
        if not last:
            expect(another).to_have_text(zh("Save and add another"))
            another.click()
            # Back on an empty form for the next entry, on the day just used.
            page.wait_for_url(re.compile(re.escape(tab.url("/events/new")) + r"\?day="))
            expect(page.locator("#flash .flash-success")).to_have_text(zh("Event saved."))
            expect(page.locator("#title")).to_have_value("")
            expect(page.locator("#day")).to_have_value(
                (month if entry.precision == "month" else entry.on(month)).isoformat())
        else:
            page.locator("form.form-card").get_by_role("button", name=zh("Save"), exact=True).click()
            page.wait_for_url(re.compile(re.escape(tab.url("/events/")) + r"\d+$"))
            expect(page.locator("#flash .flash-success")).to_have_text(zh("Event saved."))
            expect(page.get_by_role("heading", level=1)).to_have_text(entry.title)
    a11y.check(tab, "coordinator: the last event saved")

    _fresh()
    saved = {e.title: e for e in db.session.scalars(select(Event).where(
        Event.title.in_([x.title for x in ENTRIES])))}
    assert set(saved) == {x.title for x in ENTRIES}, sorted(saved)
    for x in ENTRIES:
        e = saved[x.title]
        assert (e.precision, e.kind, e.lead_groups) == (x.precision, x.kind, x.groups), x.title
        if x.precision == "time":
            assert (e.starts_at, e.ends_at) == (datetime.combine(x.on(month), time.fromisoformat(x.start)),
                                                datetime.combine(x.on(month), time.fromisoformat(x.end))), x.title
        else:
            assert e.starts_at == datetime.combine(x.on(month), time()), x.title  # a month-only entry: its 1st
        assert services.responsible_text(e) == x.responsible, x.title
    _fresh()
    return len(saved)


def _calendar_rows(scope):
    return scope.locator("table.calendar-table tbody.cal-month tr")


def _read_the_month(tab, a11y, month: date) -> str:
    page = tab.page
    key = calendar.period(None, month).key  # the term the month is in
    go(tab, "/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Calendar"))
    filters = page.locator("form.filters")
    # The filters answer in place (htmx) and put the choice in the address.
    page.evaluate("window.__sameDocument = true")
    if filters.locator("select#period").input_value() != key:
        filters.locator("select#period").select_option(key)
        expect(page).to_have_url(re.compile(rf"[?&]period={key}(&|$)"))
        # The month list follows the term now shown; the filters were swapped in with it, so let htmx settle
        # before the next choice (a change on an element still being swapped in would be lost).
        expect(filters.locator(f"select#month option[value='{month.month}']")).to_have_count(1)
        # A locator, not wait_for_function: its polling evaluates a string, which the page's CSP refuses.
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")).to_have_count(0)
    filters.locator("select#month").select_option(str(month.month))
    expect(page).to_have_url(re.compile(rf"[?&]month={month.month}(&|$)"))
    assert page.evaluate("window.__sameDocument === true"), "the month filter reloaded the whole page"

    table = page.locator("#results table.calendar-table")
    expect(table.locator("thead th")).to_have_text(CALENDAR_HEADS)
    groups = table.locator("tbody.cal-month")
    expect(groups).to_have_count(1)
    label = groups.locator("th.cal-month-label")
    expect(label).to_have_text(re.compile(rf"^({month.year}年)?{month.month}月$"))
    expect(label).to_have_attribute("rowspan", str(len(ENTRIES)))
    rows = _calendar_rows(page.locator("#results"))
    expect(rows).to_have_count(len(ENTRIES))
    for i, (row, x) in enumerate(zip(rows.all(), CALENDAR_ORDER, strict=True), start=1):
        activity = row.locator("td").first
        expect(activity).to_contain_text(f"{i}、{x.title}")
        expect(activity.locator(".cal-detail")).to_contain_text(x.when(month))
        expect(activity.get_by_role("link", name=x.title)).to_be_visible()
        expect(row.locator("td.cal-who")).to_have_text(x.responsible, use_inner_text=True)
    expect(page.locator("#results")).to_contain_text(zh("%(n)d events", n=len(ENTRIES)))
    a11y.check(tab, "coordinator: calendar, one month (1280)")
    tab.screenshot("calendar-month", widths=(1280,))

    # The same page on a phone: readable without sideways scrolling, and axe-clean.
    page.set_viewport_size(PHONE)
    expect(rows).to_have_count(len(ENTRIES))
    _checked(tab, a11y, "coordinator: calendar, one month (375)")
    tab.screenshot("calendar-month", widths=(375,))
    page.set_viewport_size(DESKTOP)
    return key


def _print_the_month(tab, a11y, month: date, key: str):
    page = tab.page
    # 打印 prints what the filters show: this month, not the whole term.
    wanted = f"/calendar/print?period={key}&month={month.month}"
    link = page.locator("main .head-actions").get_by_role("button", name=zh("Print"), exact=True)
    expect(link).to_have_attribute("href", wanted)
    link.click()
    page.wait_for_url(tab.url(wanted))
    print_button = page.locator("main button[data-print]")
    expect(print_button).to_be_visible()  # on screen: a way to print and a way back
    a11y.check(tab, "coordinator: calendar print view (screen)")

    page.emulate_media(media="print")
    try:
        for what, locator in (("the navigation", page.locator("nav.main-nav")),
                              ("the page header", page.locator("header.site-header")),
                              ("the print button", print_button),
                              ("the back link", page.locator("main .page-head.no-print")),
                              ("the count of events", page.locator("main p.no-print")),
                              ("the footer", page.locator("footer.site-footer"))):
            expect(locator, f"{what} shows in print").to_be_hidden()
        sheet = page.locator("article.calendar-sheet")
        expect(sheet.locator("table.calendar-table")).to_be_visible()
        expect(sheet.locator("thead th")).to_have_text(CALENDAR_HEADS)
        expect(_calendar_rows(sheet)).to_have_count(len(ENTRIES))
        expect(sheet.locator("th.cal-month-label")).to_have_attribute("rowspan", str(len(ENTRIES)))
        expect(sheet.locator("table a")).to_have_count(0)  # paper has no links
        expect(sheet.locator("h1.calendar-title")).to_contain_text(calendar.period(key, month).name)
        # Nothing to tap on paper (the skip link sits off the page, left: -9999px).
        visible_buttons = page.locator("button:visible, [role=button]:visible, a:visible:not(.skip-link)")
        expect(visible_buttons, "buttons or links show in print").to_have_count(0)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.screenshot(path=SCREENSHOTS / "calendar-print.png", full_page=True)
        pdf = page.pdf(path=SCREENSHOTS / "calendar-print.pdf", format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, len(pdf)
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(DESKTOP)


def test_coordinator_fills_a_month_and_prints_the_calendar(tab, a11y, demo):
    month = _target_month()
    start(tab, "coordinator", DESKTOP)
    assert _fill_the_month(tab, a11y, month) == len(ENTRIES)
    key = _read_the_month(tab, a11y, month)
    _print_the_month(tab, a11y, month, key)
    a11y.assert_clean()
    assert not tab.csp_errors, tab.csp_errors


# --- B. A volunteer signs up on a phone ---------------------------------------------------------------

def test_volunteer_signs_up_on_a_phone(tab, a11y, demo):
    page = start(tab, "volunteer", PHONE)
    go(tab, "/events/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Events"))
    wanted = page.locator("section[aria-labelledby=wanted-h]")
    expect(wanted.get_by_role("heading", level=2)).to_have_text(zh("Events that need you"))
    card = wanted.locator("li.menu-card").filter(has=page.get_by_role("link", name=FAMILY_EVENT, exact=True))
    expect(card).to_have_count(1)
    help_button = card.locator('button[name="role"][value="helper"]')
    expect(help_button).to_have_text(zh("I will help (%(n)d needed)", n=3))
    expect(card.locator('button[name="role"][value="speaker"]')).to_have_text(zh("I will speak (%(n)d needed)", n=1))
    for button in card.locator("form.sign-up button").all():
        _big_enough(button, f"sign-up button {button.inner_text()!r}", least=56)
    _checked(tab, a11y, "volunteer: events, with those that need them")
    tab.screenshot("events-volunteer", widths=(375,))

    _fresh()
    event = db.session.scalar(select(Event).where(Event.title == FAMILY_EVENT))
    event_id, helpers_before = event.id, signup.open_places(event, "helper")
    _fresh()
    assert helpers_before == 3

    help_button.click()
    page.wait_for_url(tab.url(f"/events/{event_id}"))
    expect(page.locator("#flash .flash-success")).to_have_text(
        zh("Thank you! You are on the list as %(role)s.", role=zh("Helper")))
    mine = page.locator("section[aria-labelledby=vol-h]")
    expect(mine.locator(".badge")).to_have_text(zh("Helper"))
    expect(mine).to_contain_text(zh("You are on this event. Thank you!"))
    expect(mine.locator('button[name="role"]')).to_have_count(0)  # no second sign-up
    expect(page.locator("dl.facts")).to_contain_text(zh(
        "%(s)d speakers and %(h)d helpers asked for; %(sl)d and %(hl)d places still open", s=1, h=3, sl=1, hl=2))
    _fresh()
    assert signup.open_places(db.session.get(Event, event_id), "helper") == helpers_before - 1
    _fresh()
    _checked(tab, a11y, "volunteer: event page, signed up")
    tab.screenshot("event-volunteer-signed-up", widths=(375,))

    # Back on the list: no longer among those that need them, and marked as theirs.
    go(tab, "/events/")
    expect(page.locator("section[aria-labelledby=wanted-h] li.menu-card")
           .filter(has_text=FAMILY_EVENT)).to_have_count(0)
    listed = page.locator("#results ul.event-list li.menu-card").filter(
        has=page.get_by_role("link", name=FAMILY_EVENT, exact=True))
    expect(listed.locator(".badge").filter(has_text=zh("Helper"))).to_have_count(1)
    _checked(tab, a11y, "volunteer: events after signing up")

    a11y.assert_clean()
    assert not tab.csp_errors, tab.csp_errors


# --- C. A parent registers the family on a phone --------------------------------------------------------

def test_parent_registers_for_an_event_on_a_phone(tab, a11y, demo):
    page = start(tab, "parent", PHONE)
    go(tab, "/events/")
    card = page.locator("#results li.menu-card").filter(has=page.get_by_role("link", name=FAMILY_EVENT, exact=True))
    expect(card).to_have_count(1)
    expect(card).to_contain_text("0 / 30")
    _checked(tab, a11y, "parent: events")

    _fresh()
    event_id = db.session.scalar(select(Event.id).where(Event.title == FAMILY_EVENT))
    family_id = db.session.scalar(select(User).where(User.username == "parent")).family.id
    _fresh()
    card.get_by_role("link", name=FAMILY_EVENT, exact=True).click()
    page.wait_for_url(tab.url(f"/events/{event_id}"))
    box = page.locator("section[aria-labelledby=reg-h]")
    expect(box).to_contain_text(zh("%(n)d seats free", n=30))
    form = box.locator("form.register-form")
    child = form.locator("select")
    if child.count():  # more than one child of grades 3–4: say which
        child.select_option(index=0)
    button = form.get_by_role("button", name=zh("Register my family"), exact=True)
    _big_enough(button, "the register button", least=56)
    _checked(tab, a11y, "parent: event page, before registering")

    button.click()
    page.wait_for_url(tab.url(f"/events/{event_id}"))
    expect(page.locator("#flash .flash-success")).to_have_text(zh("Registered. See you at the event!"))
    expect(box.locator(".reg-status .badge")).to_have_text(zh("Registered"))
    expect(page.locator("dl.facts")).to_contain_text(zh("%(taken)d of %(capacity)d taken", taken=1, capacity=30))
    expect(box.get_by_role("button", name=zh("Cancel registration"))).to_be_visible()
    _fresh()
    regs = db.session.scalars(select(Registration).where(Registration.event_id == event_id)).all()
    assert [(r.family_id, r.status) for r in regs] == [(family_id, "confirmed")], [(r.family_id, r.status) for r in regs]
    _fresh()
    _checked(tab, a11y, "parent: event page, registered")
    tab.screenshot("event-parent-registered", widths=(375,))

    # The 行事历 is for staff, teachers and volunteers; a parent's list of events is enough.
    answer = page.goto(tab.url("/calendar/"))
    assert answer is not None and answer.status == 403, answer and answer.status

    a11y.assert_clean()
    assert not tab.csp_errors, tab.csp_errors
