"""Matching and pairs in a real browser: the committee office pairs a waiting need with the demo volunteer
from the suggestion list, the volunteer records a visit on a phone, the office decides rows of a whole-menu
plan in place. Reasons in Chinese, no support tag ever shown to a volunteer, axe, tap targets, screenshots."""
import re
import time
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.core.clock import SHANGHAI
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.matching import services as matching
from portal.matching.models import MatchPlan, Proposal
from portal.menus.slots import slot_bit
from portal.needs.models import Need
from portal.pairs.models import Pair, Visit
from portal.people.models import DEFAULT_SUPPORT_TAGS, Category, Student, Term, student_tags
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, fits_phone, go, heights, nav_count, start, tap

pytestmark = pytest.mark.e2e

TAP_PX = 44  # DESIGN.md §2: tap targets >= 44 px outside large-text mode
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ACCEPT_ALL_RE = re.compile(r"全部接受（(\d+)个）")
# The need the office pairs: its skills are the demo volunteer's new offer's and nobody else's.
SKILLS = "航模, 无人机"
NEED_DETAIL = "喜欢航模，想学做无人机，家里没有条件"
WEEKEND = slot_bit(5, 0) | slot_bit(5, 1) | slot_bit(6, 0)  # 周六上午、周六下午、周日上午
IN_PERSON_OR_PHONE = 0b011








def _check_at(tab, a11y, width: int, label: str):
    """Axe at one window width, then back to the width the test drives."""
    page = tab.page
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": PHONE["height"] if width == PHONE["width"] else DESKTOP["height"]})
    try:
        a11y.check(tab, f"{label} @{width}")
        if width == PHONE["width"]:
            fits_phone(page, label)
    finally:
        page.set_viewport_size(original)






def _no_support_tags(page, where: str):
    """Support tags (留守, 单亲 …) stay with the school: never in a volunteer's page, not even in its markup."""
    html = page.content()
    shown = [t for t in DEFAULT_SUPPORT_TAGS if t in html]
    assert not shown, f"{where} shows support tags {shown}"


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


def _fitting_need():
    """A waiting need whose best suggestion is the demo volunteer's: the demo volunteer's offers are full,
    so they get a second offer (航模, weekends) and a priority student with support tags gets a need that
    only this offer's skills fit. Returns the ids and names the journey needs."""
    volunteer_user = db.session.scalar(select(User).where(User.username == "volunteer"))
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    sid = volunteer_user.school_id
    category = db.session.scalar(select(Category).where(Category.school_id == sid, Category.name == "兴趣特长"))
    term_id = db.session.scalar(select(Term.id).where(Term.school_id == sid, Term.is_current.is_(True)))
    student = db.session.scalar(
        select(Student).where(Student.school_id == sid, Student.id.in_(select(student_tags.c.student_id)),
                              Student.id.not_in(select(Need.student_id).where(Need.student_id.is_not(None))))
        .order_by(Student.id).limit(1))
    assert student is not None and student.support_tags, "the demo school has no tagged student without a need"
    offer = factories.offer(volunteer_user.volunteer, category, coordinator, skills=SKILLS, slots=WEEKEND,
                            modes=IN_PERSON_OR_PHONE, capacity=1, detail="退休工程师，周末可以带孩子做航模")
    need = factories.need(student, category, coordinator, detail=NEED_DETAIL, skills=SKILLS, slots=WEEKEND,
                          modes=IN_PERSON_OR_PHONE, urgency=2, term_id=term_id)
    rows = matching.suggestions(need)
    assert rows and rows[0][1].id == offer.id, \
        f"the demo volunteer's offer should be the best suggestion: {[(m.score, o.volunteer.name) for m, o in rows]}"
    facts = SimpleNamespace(need_id=need.id, offer_id=offer.id, student_name=student.name,
                            volunteer_id=volunteer_user.volunteer_id, volunteer_name=volunteer_user.display_name)
    _fresh()
    return facts


def _coordinator_pairs(tab, a11y, facts) -> int:
    """对接 → the need's 查看推荐 → read the reasons → tick the demo volunteer → 确认结对. Returns the pair id."""
    page = start(tab, "coordinator", DESKTOP)
    open_before = nav_count(page, "needs")

    go(tab, "/matching/")
    page.locator("#q").fill("航模")
    page.wait_for_url(re.compile(r"[?&]q="))
    card = page.locator("#results li.menu-card").filter(has_text=NEED_DETAIL)
    expect(card).to_have_count(1)
    card.get_by_role("button", name="查看推荐").click()
    page.wait_for_url(tab.url(f"/matching/needs/{facts.need_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("谁能帮忙")

    best = page.locator("li.suggestion").first
    expect(best.locator(".card-title")).to_contain_text(facts.volunteer_name)
    reasons = best.locator(".reasons li").all_inner_texts()
    assert "同类别" in reasons, reasons
    assert any(r.startswith("剩余名额 1/1") for r in reasons), reasons
    assert any(r.startswith("方式：") and "面对面" in r and "电话" in r for r in reasons), reasons
    assert any(r.startswith("科目：") and "航模" in r for r in reasons), reasons
    assert "重点关注学生" in reasons, reasons  # the student is tagged; the reason never names the tag
    untranslated = [r for r in page.locator("li.suggestion .reasons li").all_inner_texts() if not CHINESE.search(r)]
    assert not untranslated, f"reasons not in Chinese: {untranslated}"
    tab.screenshot("pair-suggestions")
    a11y.check(tab, "coordinator: suggestions @1280")
    _check_at(tab, a11y, 375, "coordinator: suggestions")

    best.locator("label.pick").click()
    expect(best.locator("input[name=chosen]")).to_be_checked()
    expect(page.locator("li.suggestion input[name=chosen]:checked")).to_have_count(1)
    page.get_by_role("button", name="确认结对").click()
    page.wait_for_url(re.compile(r"/pairs/\d+$"))
    pair_id = int(tab.path().rsplit("/", 1)[1])

    expect(page.locator("#flash .flash-success")).to_be_visible()
    expect(page.locator("h1 .badge.st-pending")).to_have_text("待确认")
    expect(page.locator("main")).to_contain_text(facts.volunteer_name)
    expect(page.locator("#nav-count-needs")).to_have_text(str(open_before - 1))
    tab.screenshot("pair-coordinator", widths=(1280,))
    a11y.check(tab, "coordinator: pair page @1280")
    _check_at(tab, a11y, 375, "coordinator: pair page")

    _fresh()
    pair = db.session.get(Pair, pair_id)
    assert pair.status == "pending" and [n.id for n in pair.needs] == [facts.need_id]
    assert [m.offer_id for m in pair.current_members] == [facts.offer_id]
    _fresh()
    return pair_id


def _volunteer_records_visit(tab, a11y, pair_id: int, facts):
    """On a phone: 我的结对 → 记录帮扶 → date prefilled, chips 电话 and 1.5, two short texts → saved in under a minute."""
    page = start(tab, "volunteer", PHONE)
    mine = page.locator("section.my-pairs")
    expect(mine.get_by_role("heading", level=2)).to_have_text("我的结对")
    card = mine.locator("article.pair-home").filter(has=page.locator(f'a[href="/pairs/{pair_id}"]'))
    expect(card).to_have_count(1)
    expect(card.locator("h3")).to_contain_text(facts.student_name)
    expect(card.locator("h3")).to_contain_text("兴趣特长")
    expect(card.locator(".badge.st-pending")).to_have_text("待确认")
    expect(mine.locator("article.pair-home")).to_have_count(3)  # the demo's two running pairs and the new one
    fits_phone(page, "the volunteer's home")
    buttons = heights(card.locator(".card-actions [role=button]"))
    assert len(buttons) == 2, buttons
    small = [(k, h) for k, h in buttons if h < TAP_PX]
    assert not small, f"buttons of the pair card under {TAP_PX} px high: {small}"
    _no_support_tags(page, "the volunteer's home page")
    tab.screenshot("pairs-home-volunteer", widths=(375,))
    a11y.check(tab, "volunteer: home with pairs @375")

    card.get_by_role("button", name="记录帮扶").click()
    page.wait_for_url(tab.url(f"/pairs/{pair_id}/visits/new"))
    form = page.locator("form.visit-form")
    save = form.get_by_role("button", name="保存帮扶记录")
    expect(page.locator("main .lead")).to_contain_text(facts.student_name)
    _no_support_tags(page, "the visit form")

    # Elder-friendly: every chip, field and button of the form is big enough to tap.
    targets = heights(form.locator('label.toggle, input[type=date], textarea, button, [role="button"]'))
    assert len(targets) == 4 + 7 + 3 + 2, targets  # 4 ways, 7 lengths, the date and 2 texts, save and cancel
    small = [(k, h) for k, h in targets if h < TAP_PX]
    assert not small, f"tap targets under {TAP_PX} px high on the visit form: {small}"
    fits_phone(page, "the visit form")
    a11y.check(tab, "volunteer: visit form @375")

    today = datetime.now(SHANGHAI).date()
    started = time.monotonic()
    expect(form.get_by_label("日期")).to_have_value(today.isoformat())
    expect(tap(form, "电话")).to_be_checked()
    expect(tap(form, "1.5")).to_be_checked()
    content = "电话问了这周的航模课，孩子做好了机翼，很开心"
    follow_up = "周六带材料去学校，一起装尾翼"
    form.get_by_label(re.compile(r"^帮扶内容")).fill(content)
    form.get_by_label(re.compile(r"^下次跟进事项")).fill(follow_up)
    filling = time.monotonic() - started
    tab.screenshot("visit-form-volunteer", widths=(375,))

    started = time.monotonic()
    save.click()
    page.wait_for_url(tab.url("/"))
    elapsed = filling + time.monotonic() - started
    assert elapsed < 60, f"recording a visit took {elapsed:.1f} s"

    expect(page.locator("#flash .flash-success")).to_contain_text("帮扶记录已保存")
    expect(card.locator(".follow-up")).to_contain_text(follow_up)
    expect(card.locator(".badge.st-pending")).to_have_count(0)  # the first visit shows the pair has started
    expect(card.locator("p.muted")).to_contain_text(f"上次帮扶：{today.year}年{today.month}月{today.day}日")
    tab.screenshot("pairs-home-volunteer-visited", widths=(375,))
    a11y.check(tab, "volunteer: home after a visit @375")

    _fresh()
    visits = db.session.scalars(select(Visit).where(Visit.pair_id == pair_id)).all()
    assert [(v.volunteer_id, v.visited_on, v.mode, v.hours, v.content, v.follow_up) for v in visits] == \
        [(facts.volunteer_id, today, "phone", Decimal("1.5"), content, follow_up)]
    hours = db.session.scalars(select(HourEntry).where(HourEntry.visit_id == visits[0].id)).all()
    assert [(h.volunteer_id, h.hours, h.status, h.pair_id) for h in hours] == \
        [(facts.volunteer_id, Decimal("1.5"), "pending", pair_id)]
    assert db.session.get(Pair, pair_id).status == "active"
    _fresh()

    # The pair page: the need and the visit, never the student's support tags.
    card.get_by_role("button", name="详情").click()
    page.wait_for_url(tab.url(f"/pairs/{pair_id}"))
    expect(page.locator("h1")).to_contain_text(facts.student_name)
    expect(page.locator(".visit-list .visit")).to_have_count(1)
    expect(page.locator(".visit-list .follow-up")).to_contain_text(follow_up)
    _no_support_tags(page, "the volunteer's pair page")
    fits_phone(page, "the pair page")
    tab.screenshot("pair-volunteer", widths=(375,))
    a11y.check(tab, "volunteer: pair page @375")


def test_office_pairs_need_and_volunteer_records_visit(tab, a11y, demo):
    facts = _fitting_need()
    pair_id = _coordinator_pairs(tab, a11y, facts)
    tab.logout()
    _volunteer_records_visit(tab, a11y, pair_id, facts)
    a11y.assert_clean()
    assert not tab.csp_errors


def _accept_all_count(page) -> int:
    text = page.locator("#accept-all button").inner_text()
    match = ACCEPT_ALL_RE.search(text)
    assert match, f"no count in the accept-all button: {text!r}"
    return int(match.group(1))


def test_office_decides_plan_rows_in_place(tab, a11y, demo):
    page = start(tab, "coordinator", DESKTOP)
    open_before = nav_count(page, "needs")
    go(tab, "/matching/")
    page.get_by_role("button", name="生成方案（一键对接）").click()
    page.wait_for_url(re.compile(r"/matching/plans/\d+$"))
    plan_id = int(tab.path().rsplit("/", 1)[1])

    _fresh()
    plan = db.session.get(MatchPlan, plan_id)
    figures = {"total": plan.total, "greedy": plan.greedy_total, "rows": len(plan.proposals)}
    _fresh()
    assert figures["rows"] >= 2, figures
    stats = page.locator("section.stat-grid .stat")
    total = stats.filter(has_text="本方案总分").locator("strong")
    greedy = stats.filter(has_text="逐个挑最高分的总分").locator("strong")
    expect(total).to_have_text(str(figures["total"]))
    expect(greedy).to_have_text(str(figures["greedy"]))
    assert figures["total"] >= figures["greedy"] > 0, figures  # the optimal plan is never worse than greedy

    rows = page.locator("#results li.proposal")
    expect(rows).to_have_count(figures["rows"])
    staged = figures["rows"]
    assert _accept_all_count(page) == staged
    reasons = rows.first.locator(".reasons li").all_inner_texts()
    assert "同类别" in reasons or any(r.startswith("相关类别") for r in reasons), reasons
    assert all(CHINESE.search(r) for r in reasons), reasons

    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a full page load
    first, second = rows.nth(0), rows.nth(1)
    first_id, second_id = first.get_attribute("id"), second.get_attribute("id")
    first.get_by_role("button", name="接受").click()
    accepted = page.locator(f"#{first_id}")
    expect(accepted).to_have_class(re.compile(r"\bst-accepted\b"))
    expect(accepted.locator(".decision .badge")).to_have_text("已接受")
    expect(accepted.get_by_role("link", name="查看结对")).to_be_visible()
    expect(accepted.get_by_role("button")).to_have_count(0)
    expect(page.locator("#accept-all button")).to_have_text(ACCEPT_ALL_RE)
    expect(page.locator("#accept-all button")).to_contain_text(f"（{staged - 1}个）")
    expect(page.locator("#nav-count-needs")).to_have_text(str(open_before - 1))

    page.locator(f"#{second_id}").get_by_role("button", name="不采用").click()
    rejected = page.locator(f"#{second_id}")
    expect(rejected).to_have_class(re.compile(r"\bst-rejected\b"))
    expect(rejected.locator(".decision .badge")).to_have_text("未采用")
    expect(page.locator("#accept-all button")).to_contain_text(f"（{staged - 2}个）")
    expect(page.locator("#nav-count-needs")).to_have_text(str(open_before - 1))
    expect(rows).to_have_count(figures["rows"])
    assert page.evaluate("window.__sameDocument === true"), "deciding a row reloaded the whole page"

    _fresh()
    decided = {p.id: (p.status, p.pair_id is not None)
               for p in db.session.scalars(select(Proposal).where(Proposal.plan_id == plan_id))}
    _fresh()
    assert decided[int(first_id.removeprefix("proposal-"))] == ("accepted", True)
    assert decided[int(second_id.removeprefix("proposal-"))] == ("rejected", False)
    assert sum(status == "staged" for status, _ in decided.values()) == staged - 2

    tab.screenshot("plan-coordinator", widths=(1280,))
    a11y.check(tab, "coordinator: plan after two decisions @1280")
    _check_at(tab, a11y, 375, "coordinator: plan after two decisions")
    a11y.assert_clean()
    assert not tab.csp_errors
