"""Trust on a bad network, in a real browser on a 375 px phone with the demo school: a tapped 保存 says it is
working and sends once; a save tapped offline keeps what was typed on the phone and fills it in again; Back and
Save again, on each creating form a volunteer or a parent uses most (a visit, hours, a help request, a parent-school
registration), saves one row, and the page says so without an error.

What the browser sends is counted with page.on("request"); what was saved is read from the database the live
server writes to. The one wait on a clock is the hold of a POST "in flight" (page.route, HOLD_S)."""
import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.hours.models import HourEntry
from portal.pairs.models import Visit
from portal.registrations.models import Registration
from tests.e2e.conftest import PHONE, start, tap

pytestmark = pytest.mark.e2e

SENDING = "正在保存…"
OFFLINE = "网络已断开。您填写的内容已保存在本机，网络恢复后请再点一次。"
DRAFT_RESTORED = "已填回您上次填写但尚未保存的内容。"
DISCARD = "清空重填"
VISIT_FORM_RE = re.compile(r"/pairs/\d+/visits/new$")
CONTENT = re.compile(r"^帮扶内容")
FOLLOW_UP = re.compile(r"^下次跟进事项")


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


def _count(model, *where) -> int:
    _fresh()
    n = db.session.scalar(select(func.count()).select_from(model).where(*where))
    _fresh()
    return n


def _open_visit_form(tab):
    """The demo volunteer on a phone: home → the first pair's 记录帮扶. Returns (page, the form, its path)."""
    page = start(tab, "volunteer", PHONE)
    record = page.locator("section.my-pairs article.pair-home").first.get_by_role("button", name="记录帮扶")
    expect(record).to_be_visible()
    record.click()
    page.wait_for_url(VISIT_FORM_RE)
    return page, page.locator("main form.visit-form"), tab.path()


def _posts_to(page, path_re) -> list[str]:
    """Every POST the page sends to a path matching `path_re`, as it is sent."""
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and path_re.search(r.url) else None)
    return posts


def _no_error(page):
    expect(page.locator("#flash .flash-error")).to_have_count(0)


# --- a) A tapped save shows it is working and sends once ------------------------------------------------------

# While a form's POST is on its way the test cannot look at the page: Playwright's locators and evaluate wait for
# the navigation to end, and in Chromium 156 so does a raw DevTools Runtime.evaluate (it answers once the next page
# has committed). The page looks at itself instead: a listener
# added before the tap notes, PROBE_MS after the submit, the button's state, taps the (disabled) button again and
# submits the form once more the way Enter in a field would, and keeps what it saw in sessionStorage, which the
# next page of the same tab still has.
HOLD_S = 1.0  # how long the POST is held before the portal sees it
PROBE_MS = 100
IN_FLIGHT_PROBE = """(probeMs) => {
  window.addEventListener("submit", (first) => {
    const form = first.target;
    const button = form.querySelector("button[type=submit]");
    setTimeout(() => {
      const state = () => ({busy: button.getAttribute("aria-busy"), disabled: button.disabled,
                            text: button.textContent.trim()});
      const seen = {first: {prevented: first.defaultPrevented, ...state()}, secondTap: null, secondSubmit: null};
      let submits = 0;
      const count = () => { submits += 1; };
      window.addEventListener("submit", count);
      button.click();  // a tap on the disabled button: no submit at all
      seen.secondTap = {submits};
      window.addEventListener("submit", (e) => { seen.secondSubmit = {prevented: e.defaultPrevented}; }, {once: true});
      form.requestSubmit();  // a submit the button cannot stop
      window.removeEventListener("submit", count);
      seen.after = state();
      sessionStorage.setItem("in-flight", JSON.stringify(seen));
    }, probeMs);
  }, {once: true});
}"""


def test_a_tapped_save_shows_it_is_working_and_a_second_tap_sends_nothing(tab, demo):
    page, form, path = _open_visit_form(tab)
    visits = _count(Visit)
    posts = _posts_to(page, VISIT_FORM_RE)

    def slow_network(route):
        if route.request.method == "POST":
            time.sleep(HOLD_S)  # the page, in the browser's own process, goes on meanwhile
        route.continue_()

    page.route(tab.url(path), slow_network)
    form.get_by_label(CONTENT).fill("陪孩子读了两篇课文，练了生字")
    save = form.locator("button[type=submit]")
    expect(save).to_have_text("保存帮扶记录")
    expect(save).to_be_enabled()
    page.evaluate(IN_FLIGHT_PROBE, PROBE_MS)
    save.click(no_wait_after=True)  # its navigation ends only after the hold
    expect(page).to_have_url(tab.url("/"))  # polls: a second submit would abort the first navigation
    expect(page.locator("#flash .flash-success")).to_contain_text("帮扶记录已保存")
    page.wait_for_load_state("load")

    seen = json.loads(page.evaluate("sessionStorage.getItem('in-flight')") or "null")
    assert seen is not None, "the page did not get to look at itself while the POST was on its way"
    assert seen["first"] == {"prevented": False, "busy": "true", "disabled": True, "text": SENDING}, seen
    assert seen["secondTap"] == {"submits": 0}, f"a tap on the busy button submitted the form: {seen}"
    assert seen["secondSubmit"] == {"prevented": True}, f"a second submit was let through: {seen}"
    assert seen["after"] == {"busy": "true", "disabled": True, "text": SENDING}, seen
    assert len(posts) == 1, f"the visit form was sent {len(posts)} times: {posts}"
    assert _count(Visit) == visits + 1
    assert not tab.csp_errors


# --- b) Offline: nothing is sent, nothing is lost ---------------------------------------------------------------

def test_a_save_tapped_offline_keeps_the_text_and_fills_it_in_again(tab, demo):
    page, form, path = _open_visit_form(tab)
    visits = _count(Visit)
    posts = _posts_to(page, VISIT_FORM_RE)
    content, follow_up = "电话里聊了期中考试，孩子说数学进步了", "下周带两本课外书给他"
    form.get_by_label(CONTENT).fill(content)
    form.get_by_label(FOLLOW_UP).press_sequentially(follow_up)

    page.context.set_offline(True)
    expect(page.locator("#flash")).to_contain_text(OFFLINE)  # said as the network goes
    page.locator("#flash").evaluate("flash => flash.replaceChildren()")
    save = form.get_by_role("button", name="保存帮扶记录")
    save.click()
    expect(page.locator("#flash .flash-error")).to_have_text(OFFLINE)
    assert tab.path() == path
    expect(form.get_by_label(CONTENT)).to_have_value(content)
    expect(form.get_by_label(FOLLOW_UP)).to_have_value(follow_up)
    expect(save).to_be_enabled()  # ready for the tap when the network is back
    expect(save).not_to_have_attribute("aria-busy", "true")
    assert posts == [], posts
    assert _count(Visit) == visits

    # Back online, the volunteer comes to the form again another way: what was typed is there.
    page.context.set_offline(False)
    tab.goto("/")
    tab.goto(path)
    expect(form.get_by_label(CONTENT)).to_have_value(content)
    expect(form.get_by_label(FOLLOW_UP)).to_have_value(follow_up)
    note = form.locator(".draft-note")
    expect(note).to_contain_text(DRAFT_RESTORED)
    expect(note.get_by_role("button", name=DISCARD)).to_be_visible()

    form.get_by_role("button", name="保存帮扶记录").click()
    page.wait_for_url(tab.url("/"))
    expect(page.locator("#flash .flash-success")).to_contain_text("帮扶记录已保存")
    assert len(posts) == 1, posts
    _fresh()
    saved = db.session.scalars(select(Visit).where(Visit.content == content)).all()
    assert [(v.content, v.follow_up) for v in saved] == [(content, follow_up)]
    _fresh()
    assert _count(Visit) == visits + 1

    # Saved: the draft is gone, the form opens empty.
    tab.goto(path)
    expect(form.get_by_label(CONTENT)).to_have_value("")
    expect(form.locator(".draft-note")).to_have_count(0)
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('draft:'))") == []
    assert not tab.csp_errors


# --- c) Back, then Save again, saves once ---------------------------------------------------------------------

def _same_again(form, fields) -> list[str]:
    """What a user does after Back: whatever the page does not show any more is filled in as before.
    `fields` are (label, value) for text, (label, ("select", option)) for a list, and (label, None) for a chip.
    Returns the labels that had to be filled again."""
    refilled = []
    for label, value in fields:
        if value is None:
            if not form.get_by_label(label, exact=True).is_checked():
                tap(form, label)
                refilled.append(label)
        elif isinstance(value, tuple):
            box = form.get_by_label(label)
            shown = box.evaluate("s => s.selectedOptions[0] ? s.selectedOptions[0].textContent.trim() : ''")
            if shown != value[1]:
                box.select_option(label=value[1])
                refilled.append(label)
        else:
            box = form.get_by_label(label)
            if box.input_value() != value:
                box.fill(value)
                refilled.append(str(label))
    return refilled


def _save_back_save(tab, form, button: str, fields, done, saved: str, twice: str):
    """Fill `form`, save, land on `done` saying `saved`; Back; save the same again: the page says `twice`."""
    page = tab.page
    form_url = page.url
    _same_again(form, fields)
    form.get_by_role("button", name=button).click()
    page.wait_for_url(done)
    expect(page.locator("#flash .flash-success")).to_contain_text(saved)
    first_landing = tab.path()

    page.go_back()
    page.wait_for_url(form_url)
    expect(form.get_by_role("button", name=button)).to_be_enabled()
    _same_again(form, fields)
    form.get_by_role("button", name=button).click()
    page.wait_for_url(done)
    _no_error(page)
    expect(page.locator("#flash .flash-warning")).to_have_text(twice)  # what was saved, and how to save another on purpose
    assert tab.path() == first_landing, "the second save did not lead where the first did"
    assert not tab.csp_errors


def test_back_and_save_again_records_one_visit(tab, demo):
    _page, form, _path = _open_visit_form(tab)
    visits = _count(Visit)
    _save_back_save(tab, form, "保存帮扶记录",
                    [("电话", None), ("1.5", None), (CONTENT, "一起整理了错题本"), (FOLLOW_UP, "周五再看一次")],
                    tab.url("/"), "帮扶记录已保存", "这条帮扶记录已经保存，没有重复保存。")
    assert _count(Visit) == visits + 1


def test_back_and_save_again_logs_hours_once(tab, demo):
    page = start(tab, "volunteer", PHONE)
    tab.goto("/hours/new")
    form = page.locator("main form.hours-form")
    entries = _count(HourEntry)
    _save_back_save(tab, form, "保存时长",
                    [("2", None), ("护学安全", None), (re.compile(r"^做了什么"), "放学时在校门口护学")],
                    tab.url("/hours/"), "已登记 2 小时", "这条时长已经登记过，没有重复保存。")
    assert _count(HourEntry) == entries + 1


def test_back_and_send_again_sends_one_help_request(tab, demo):
    page = start(tab, "parent", PHONE)
    tab.goto("/help/new")
    form = page.locator("main form[data-draft=help]")
    requests = _count(HelpRequest)
    _save_back_save(tab, form, "发送",
                    [(re.compile(r"^需要哪类帮助"), ("select", "学业辅导")),
                     (re.compile(r"^请说说孩子的情况"), "孩子数学跟不上，晚上作业要做到很晚，想请老师帮忙。")],
                    re.compile(r"/help/\d+$"), "求助已发送", "这条求助已经发送过，没有重复发送。")
    assert _count(HelpRequest) == requests + 1


def test_a_registration_sent_again_registers_once(tab, demo):
    """The session page re-fetched by Back already shows the registration, with no form to send again; a copy of
    the page still open in another tab (as on a phone with two tabs of the portal) is where 报名 can be tapped a
    second time."""
    page = start(tab, "parent", PHONE)
    tab.goto("/parent-school/")
    card = page.locator("section[aria-labelledby=open-h] li.ps-card").filter(has=page.locator(".badge.st-open")).first
    card.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/parent-school/sessions/\d+$"))
    session_path = tab.path()
    session_id = int(session_path.rsplit("/", 1)[1])
    family_id = db.session.scalar(select(User).where(User.username == "parent")).family.id
    _fresh()
    mine = (Registration.session_id == session_id, Registration.family_id == family_id)
    assert _count(Registration, *mine) == 0

    other = page.context.new_page()  # the same page in a second tab, opened before registering
    other.set_viewport_size(PHONE)
    other.goto(page.url)
    expect(other.locator("form.register-form")).to_have_count(1)

    def register(p, says: str):
        with p.expect_response(lambda r: r.request.method == "GET" and r.url == tab.url(session_path)):
            p.locator("form.register-form").get_by_role("button", name="报名", exact=True).click()
        _no_error(p)
        expect(p.locator("#flash .flash-success")).to_contain_text(says)
        expect(p.locator("main .reg-status .badge")).to_have_text("已报名")

    register(page, "报名成功")
    assert _count(Registration, *mine) == 1

    page.go_back()
    page.wait_for_url(tab.url(session_path))
    expect(page.locator("main .reg-status .badge")).to_have_text("已报名")
    expect(page.locator("form.register-form")).to_have_count(0)

    register(other, "您家已经报过名了，无需重复报名。")
    assert _count(Registration, *mine) == 1
    assert not tab.csp_errors


# --- A redraw never drops a tick or a click (item 8) ------------------------------------------------------------

def test_a_tick_made_right_after_typing_a_search_is_kept_and_counted(tab, demo):
    """The search box's blur used to search again and redraw the list under the click: a tick vanished, and
    通过所选 approved two of three ticked rows."""
    page = start(tab, "coordinator", {"width": 1280, "height": 900})
    tab.goto("/hours/queue")
    first = page.locator("#results .hour-card").first.locator("h3").inner_text().split()[0]
    search = page.locator("#q")
    with page.expect_response(re.compile(r"/hours/queue\?")):
        search.press_sequentially(first)
    rows = page.locator("#results input[type=checkbox][name=ids]")
    expect(rows.first).to_be_visible()
    chosen = [rows.nth(i).get_attribute("value") for i in range(min(3, rows.count()))]
    boxes = [page.locator(f'#results input[type=checkbox][name=ids][value="{v}"]') for v in chosen]

    boxes[0].click()  # focus leaves the search box with this click
    page.wait_for_timeout(700)  # past the search's 300 ms delay: a redraw, had there been one, is done
    for box in boxes[1:]:
        box.click()

    for box in boxes:
        expect(box).to_be_checked()
    before = _count(HourEntry, HourEntry.status == "approved")
    page.get_by_role("button", name="通过所选").click()
    page.wait_for_function(
        "ids => ids.every(id => !document.querySelector(`#results input[type=checkbox][value='${id}']`))", arg=chosen)
    assert _count(HourEntry, HourEntry.status == "approved") == before + len(chosen)


# --- Back after correcting a form does not ask to resend it (item 4) -------------------------------------------

def test_back_after_a_corrected_form_reloads_it_instead_of_asking_to_resend(tab, demo):
    page, form, path = _open_visit_form(tab)
    form.get_by_label(CONTENT).fill("")
    form.get_by_role("button", name="保存").click()
    expect(page.locator("main .field-error").first).to_be_visible()  # answered with what to correct

    form.get_by_label(CONTENT).fill("陪孩子读了一本书")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: not VISIT_FORM_RE.search(url))

    back = page.go_back()

    assert back is not None and back.request.method == "GET" and back.ok
    assert tab.path() == path
    expect(page.get_by_role("heading", level=1)).to_have_text("记录帮扶")


# --- Drafts belong to one person and one form as the server gave it -------------------------------------------

def test_a_draft_is_gone_at_logout_and_never_written_over_what_the_server_saved_since(tab, demo):
    from portal.events.models import Event

    page = start(tab, "coordinator", {"width": 1280, "height": 900})
    event = db.session.scalar(select(Event.id).where(Event.status == "done").order_by(Event.id))
    tab.goto(f"/events/{event}/report")
    summary = page.get_by_label(re.compile(r"^活动情况"))
    summary.fill("草稿：同学们很投入")
    page.wait_for_timeout(500)  # past the draft's 300 ms pause
    assert any(k.startswith("draft:") for k in page.evaluate("Object.keys(localStorage)"))

    # Someone saves another summary meanwhile: the page now shows it, not the older draft.
    _fresh()
    db.session.get(Event, event).summary = "办公室已写好的总结"
    db.session.commit()
    tab.goto(f"/events/{event}/report")
    expect(summary).to_have_value("办公室已写好的总结")
    expect(page.locator(".draft-note")).to_have_count(0)

    tab.logout()
    assert not any(k.startswith("draft:") for k in page.evaluate("Object.keys(localStorage)"))
