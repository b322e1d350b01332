"""家长学校 in a real browser, the journey of the issue: a parent registers on a phone and gets a check-in code
and QR code; a second family, finding the session full, joins the waiting list; the first cancels and the
second moves up; at the door the committee office checks the second family in by its code (and finds families
by name or pinyin initials as it types); the roster's 已签到 tab lists the family.

The data are the demo school (portal/demo.py) plus, made here, a small course for grades 3–4 whose one session
has a single seat, and a second parent account of another grade-3/4 family (password factories.PASSWORD).
Every page visited is checked with axe and for horizontal scroll at 375 px; screenshots go to
test-artifacts/screenshots/ps-*.png."""
import io
import re
import time
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.people.models import Family, School
from portal.registrations.models import Registration
from tests import factories
from tests.e2e.conftest import PHONE, Tab, fits_phone, go, start

# Sessions here start a week ahead and families check in the same afternoon: the door's hours are tested elsewhere.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("door_always_open")]

COURSE = "隔代教养小课堂"
CODE_RE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")  # six of CODE_ALPHABET: no 0/O, 1/I/L
MOVED_UP = "有人退出，您家已从候补转为正式报名。"
FULL = "已满，可候补"
CANCEL_CONFIRM = "确定取消报名吗？座位将让给下一位候补家庭。"


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


@pytest.fixture
def extra_tab(browser, live_server):
    """Further browser windows, each with its own cookies: one per person at the session."""
    contexts = []

    def make() -> Tab:
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return Tab(context.new_page(), live_server.url)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def small_session(demo):
    """A grades 3–4 course with one session of one seat, and a second parent of another grade-3/4 family with one
    child (not the demo family)."""
    school = db.session.scalar(select(School))
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    demo_parent = db.session.scalar(select(User).where(User.username == "parent"))
    demo_family_id = demo_parent.family.id
    course = factories.course(school, coordinator, title=COURSE, grades=(3, 4), kind="elective",
                              lecturer_name="区家庭教育指导中心 陈老师", topic="祖辈带娃：说话的分寸与习惯的养成。")
    session = factories.course_session(course, capacity=1, starts_in_days=6, place="三楼会议室")

    second, child = None, None
    for family in db.session.scalars(select(Family).where(Family.school_id == school.id, Family.id != demo_family_id)
                                     .order_by(Family.id)):
        kids = [c for c in family.children if c.active]
        if len(kids) == 1 and kids[0].school_class.grade in (3, 4) and family.guardians:
            second, child = family, kids[0]
            break
    assert second is not None, "the demo school has no other grade-3/4 family with one child"
    guardian = second.guardians[0]
    factories.user(school, "parent", username="parent2", display_name=guardian.name, guardian_id=guardian.id)
    facts = SimpleNamespace(
        session_id=session.id, session_label=session.label, course_id=course.id,
        demo_family_id=demo_family_id, demo_child=[c.name for c in demo_parent.family.children if c.active],
        family_id=second.id, family_name=second.name, child=child.name, child_initials=child.name_initials,
        klass=child.school_class.label, guardian=guardian.name)
    _fresh()
    return facts


def _checked(tab, a11y, label: str):
    """Axe on the page as it is, and no horizontal scroll on a 375 px phone."""
    assert tab.page.viewport_size["width"] == PHONE["width"], tab.page.viewport_size
    a11y.check(tab, label)
    fits_phone(tab.page, label)


def _registration(session_id: int, family_id: int) -> SimpleNamespace | None:
    """The family's registration as the live server has committed it."""
    _fresh()
    reg = db.session.scalar(select(Registration).where(Registration.session_id == session_id,
                                                       Registration.family_id == family_id))
    out = reg and SimpleNamespace(status=reg.status, code=reg.code, attended=reg.attended_at is not None,
                                  promoted=reg.promoted_at is not None)
    _fresh()
    return out


def _follow(tab, locator, path: str):
    """Tap something that ends on the page at `path` (after a redirect, say), and check that page answered 200."""
    with tab.page.expect_response(lambda r: r.url == tab.url(path) and r.request.method == "GET") as answer:
        locator.click()
    assert answer.value.status == 200, f"GET {path} answered {answer.value.status}"
    tab.page.wait_for_url(tab.url(path))


def _card(scope, title: str = COURSE):
    """The session card of the course: on the parent's list, or within one of its sections."""
    return scope.locator("li.ps-card").filter(has_text=title)


# --- 1. The first parent registers on a phone -----------------------------------------------------------

def _first_parent_registers(tab, a11y, ps) -> str:
    page = start(tab, "parent", PHONE)
    go(tab, "/parent-school/")
    expect(page.get_by_role("heading", level=1)).to_have_text("家长学校")
    card = _card(page)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("剩余 1 个座位")
    _checked(tab, a11y, "parent: parent school list")

    button = card.get_by_role("button", name="报名", exact=True)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box and box["height"] >= 44, f"报名 is {box and box['height']} px high; tap targets need 44 px"
    _follow(tab, button, f"/parent-school/sessions/{ps.session_id}")

    expect(page.locator("#flash .flash-success")).to_contain_text("报名成功")
    status = page.locator("main .reg-status")
    expect(status.locator(".badge")).to_have_text("已报名")
    code_box = page.locator("article.check-in-code")
    expect(code_box.get_by_role("heading", name="签到码")).to_be_visible()
    code = code_box.locator(".code").inner_text().strip()
    assert CODE_RE.match(code), f"check-in code {code!r} is not six letters and digits"
    qr = code_box.get_by_role("img", name="签到二维码")
    expect(qr).to_be_visible()
    expect(qr.locator("svg")).to_have_count(1)
    qr_box = qr.bounding_box()
    assert qr_box and qr_box["width"] >= 150, f"the QR code is only {qr_box and qr_box['width']} px wide"
    # What a phone's camera at the door reads off the screen: the check-in address of this family's code.
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert [b.text for b in scanned] == [tab.url(f"/parent-school/check-in/{ps.session_id}/{code}")], scanned
    if len(ps.demo_child) == 1:
        expect(code_box).to_contain_text(ps.demo_child[0])  # whose seat it is

    reg = _registration(ps.session_id, ps.demo_family_id)
    assert reg and (reg.status, reg.code) == ("confirmed", code), reg
    _checked(tab, a11y, "parent: session page with code")
    tab.screenshot("ps-session-parent")

    # Back on the list, the session is among 我的报名 with its status and a way to the code.
    go(tab, "/parent-school/")
    mine = page.locator("section[aria-labelledby=mine-h]")
    expect(_card(mine)).to_have_count(1)
    expect(_card(mine).locator(".reg-status .badge")).to_have_text("已报名")
    expect(_card(mine).get_by_role("button", name="查看签到码")).to_be_visible()
    _checked(tab, a11y, "parent: list with a registration")
    tab.screenshot("ps-list-parent")
    return code


# --- 2. The second parent finds the session full and is waitlisted ---------------------------------------

def _second_parent_waits(tab2, a11y, ps):
    page = start(tab2, "parent2", PHONE, password=factories.PASSWORD)
    go(tab2, "/parent-school/")
    card = _card(page)
    expect(card).to_have_count(1)
    expect(card.locator(".badge").filter(has_text=FULL)).to_have_count(1)
    join = card.get_by_role("button", name="报名候补", exact=True)
    expect(join).to_be_visible()
    _checked(tab2, a11y, "second parent: list, session full")
    _follow(tab2, join, f"/parent-school/sessions/{ps.session_id}")
    expect(page.locator("main .reg-status .badge")).to_have_text("候补第 1 位")
    expect(page.locator("article.check-in-code")).to_have_count(0)  # no code until a seat is the family's
    reg = _registration(ps.session_id, ps.family_id)
    assert reg and reg.status == "waitlisted", reg
    _checked(tab2, a11y, "second parent: waitlisted")
    tab2.screenshot("ps-session-parent-waitlisted", widths=(375,))


# --- 3. The first parent cancels; the second moves up ---------------------------------------------------

def _first_parent_cancels(tab, ps):
    page = tab.page
    tab.goto(f"/parent-school/sessions/{ps.session_id}")
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="取消报名").click()
    expect(page.locator("#flash .flash-success")).to_have_text("已取消报名。")
    assert dialogs == [CANCEL_CONFIRM], dialogs
    expect(page.locator("main .reg-status")).to_have_count(0)
    expect(page.locator("article.check-in-code")).to_have_count(0)
    # The seat went straight to the family waiting: the session is full again for everyone else.
    expect(page.get_by_role("button", name="报名候补", exact=True)).to_be_visible()
    assert _registration(ps.session_id, ps.demo_family_id).status == "cancelled"


def _second_parent_moved_up(tab2, a11y, ps) -> str:
    page = tab2.page
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200, reloaded and reloaded.status
    status = page.locator("main .reg-status")
    expect(status.locator(".badge")).to_have_text("已报名")
    expect(status).to_contain_text(MOVED_UP)
    code = page.locator("article.check-in-code .code").inner_text().strip()
    reg = _registration(ps.session_id, ps.family_id)
    assert reg and (reg.status, reg.promoted, reg.code) == ("confirmed", True, code), (reg, code)
    expect(page.get_by_role("img", name="签到二维码")).to_be_visible()
    _checked(tab2, a11y, "second parent: moved up, with code")
    tab2.screenshot("ps-session-parent-promoted", widths=(375,))
    return code


# --- 4. At the door ------------------------------------------------------------------------------------

def _door(tab3, a11y, ps, code: str):
    page = start(tab3, "coordinator", PHONE)
    go(tab3, "/parent-school/")
    _checked(tab3, a11y, "coordinator: parent school")
    page.get_by_role("link", name=COURSE).first.click()
    page.wait_for_url(tab3.url(f"/parent-school/sessions/{ps.session_id}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(ps.session_label)
    _checked(tab3, a11y, "coordinator: session page")
    page.get_by_role("button", name="现场签到").click()  # a link styled as a big button
    page.wait_for_url(tab3.url(f"/parent-school/sessions/{ps.session_id}/door"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("签到")
    _checked(tab3, a11y, "coordinator: door page")

    # Name search answers as one types, without reloading the page.
    page.evaluate("window.__sameDocument = true")
    search = page.get_by_label("学生或家长姓名，或拼音首字母")
    results = page.locator("#results")
    for query in (ps.child_initials, ps.guardian, ps.child):
        search.fill("")
        search.press_sequentially(query, delay=40)
        found = results.locator("li.menu-card").filter(has=page.locator(".card-title", has_text=ps.child))
        expect(found).to_have_count(1)
        expect(found.locator(".badge")).to_have_text("已报名")
        expect(found.get_by_role("button", name="签到", exact=True)).to_be_visible()
        assert page.evaluate("window.__sameDocument === true"), f"searching {query!r} reloaded the whole page"
    expect(page).to_have_url(re.compile(r"[?&]q="))  # the search is in the address, so Back and reload keep it
    search.fill("查无此人姓名")
    expect(results).to_have_text("没有找到与“查无此人姓名”匹配的学生或家长。")
    search.fill(ps.child_initials)
    expect(results.locator("li.menu-card").filter(has_text=ps.child)).to_have_count(1)
    _checked(tab3, a11y, "coordinator: door page with search results")
    tab3.screenshot("ps-door-coordinator")

    # The code, typed in lower case as a hurried volunteer might: 签到 names the family.
    door_form = page.locator("form.door-code")
    door_form.get_by_label("签到码").fill(code.lower())
    _follow(tab3, door_form.get_by_role("button", name="签到", exact=True), f"/parent-school/sessions/{ps.session_id}/door")
    expect(page.locator("#flash .flash-success")).to_have_text(
        f"签到成功：{ps.family_name}（{ps.child}，{ps.klass}）。")
    expect(page.locator("#door-counts")).to_contain_text("1")
    assert _registration(ps.session_id, ps.family_id).attended
    _checked(tab3, a11y, "coordinator: door page after check-in")
    tab3.screenshot("ps-door-checked-in", widths=(375,))

    # The roster's 已签到 tab lists the family.
    page.get_by_role("link", name=f"← {ps.session_label}").click()
    page.wait_for_url(tab3.url(f"/parent-school/sessions/{ps.session_id}"))
    page.locator("nav.tabs").get_by_role("link", name=re.compile(r"^已签到")).click()
    page.wait_for_url(re.compile(r"status=attended"))
    row = page.locator("table.roster tbody tr").filter(has_text=ps.child)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(ps.klass)
    expect(row.locator(".badge")).to_have_text("已签到")
    expect(page.locator("table.roster tbody tr")).to_have_count(1)
    _checked(tab3, a11y, "coordinator: roster, checked in")
    tab3.screenshot("ps-session-coordinator")


def test_register_waitlist_cancel_and_check_in(tab, extra_tab, a11y, small_session):
    started = time.monotonic()
    ps = small_session
    first_code = _first_parent_registers(tab, a11y, ps)
    tab2 = extra_tab()
    _second_parent_waits(tab2, a11y, ps)
    _first_parent_cancels(tab, ps)
    second_code = _second_parent_moved_up(tab2, a11y, ps)
    assert second_code != first_code
    tab3 = extra_tab()
    _door(tab3, a11y, ps, second_code)

    a11y.assert_clean()
    errors = tab.csp_errors + tab2.csp_errors + tab3.csp_errors
    assert not errors, errors
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the journey took {elapsed:.1f} s"
