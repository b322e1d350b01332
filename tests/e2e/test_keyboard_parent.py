"""A parent on a 375 px phone with a keyboard only (Tab, Shift+Tab, Enter, Space, arrows and typing): signs in, opens
家长学校, finds a session open for their child, registers and sees the check-in code and QR. Every element the
focus lands on shows where the focus is (an outline or a focus ring), and the database holds the registration."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.auth.models import User
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.people.models import School
from portal.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.e2e

PHONE_375 = {"width": 375, "height": 800}
COURSE = "键盘也能报名的家长课"
MAX_TABS = 150

# What the focused element shows. Its indicator is an outline, or a box-shadow ring, of at least 1 px whose colour
# stands out from what lies around the element by 3:1 (WCAG 1.4.11, non-text contrast): Pico's own rings are a
# pale tint (rgba(2, 154, 232, 0.5), about 1.6:1 on white) that an older volunteer's eyes can miss.
FOCUS_JS = r"""async () => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  await Promise.all(el.getAnimations().map((a) => a.finished));  // a focus ring may fade in (a transition)
  const rgba = (c) => { const n = (c.match(/[\d.]+/g) || []).map(Number); return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1]; };
  let around = [255, 255, 255, 1];
  for (let n = el.parentElement; n; n = n.parentElement) {
    const bg = rgba(getComputedStyle(n).backgroundColor);
    if (bg[3] > 0) { around = bg; break; }
  }
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (c) => {
    const shown = c.slice(0, 3).map((v, i) => v * c[3] + around[i] * (1 - c[3]));
    const [a, b] = [lum(shown), lum(around)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
  const s = getComputedStyle(el);
  const marks = [];
  if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1) marks.push(contrast(rgba(s.outlineColor)));
  if (s.boxShadow !== "none") {
    for (const shadow of s.boxShadow.split(/,(?![^(]*\))/)) {
      const colour = (shadow.match(/rgba?\([^)]*\)/) || [""])[0];
      const sizes = (shadow.replace(colour, "").match(/-?[\d.]+px/g) || []).map(parseFloat);
      if (colour && Math.max(...sizes.map(Math.abs)) >= 1) marks.push(contrast(rgba(colour)));
    }
  }
  const box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), name: el.getAttribute("name") || "", href: el.getAttribute("href") || "",
          text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40),
          form: el.form ? el.form.getAttribute("action") : "", contrast: Math.max(0, ...marks),
          visible: box.width > 0 && box.height > 0,
          style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}`};
}"""
MIN_CONTRAST = 3


@pytest.fixture
def open_session(demo):
    """A session with seats of a new course for the grade of the demo parent's (first) child."""
    school = db.session.scalar(select(School))
    coordinator = db.session.scalar(select(User).where(User.username == "coordinator"))
    parent = db.session.scalar(select(User).where(User.username == "parent"))
    child = next(c for c in parent.family.children if c.active)
    course = factories.course(school, coordinator, title=COURSE, grades=(child.school_class.grade,), kind="elective")
    session = factories.course_session(course, capacity=5, starts_in_days=5, place="一楼多功能厅")
    facts = {"session_id": session.id, "family_id": parent.family.id}
    db.session.rollback()
    return facts


class Keyboard:
    """Moves the focus with the keyboard alone and notes every element it lands on that shows no focus."""

    def __init__(self, page):
        self.page = page
        self.unmarked: list[str] = []
        self.steps = 0

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUS_JS)

    def press(self, key: str) -> dict | None:
        self.page.keyboard.press(key)
        self.steps += 1
        return self._note()

    def _note(self):
        el = self.focused()
        if el is not None and not (el["contrast"] >= MIN_CONTRAST and el["visible"]):
            self.unmarked.append(f"{self.page.url} <{el['tag']}> {el['text'] or el['name'] or el['href']!r}: "
                                 f"{el['style']} (contrast {el['contrast']:.1f}:1)"
                                 f"{'' if el['visible'] else ' (not visible)'}")
        return el

    def tab_to(self, matches, what: str, backwards: bool = False) -> dict:
        for _ in range(MAX_TABS):
            el = self.press("Shift+Tab" if backwards else "Tab")
            if el is not None and matches(el):
                return el
        pytest.fail(f"{what} is not reachable with {'Shift+' if backwards else ''}Tab in {MAX_TABS} steps "
                    f"on {self.page.url}")

    def follow(self, key: str):
        """Enter or Space on a link or button that loads another page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.steps += 1

    def type(self, text: str):
        self.page.keyboard.type(text, delay=20)


def test_a_parent_registers_with_the_keyboard_alone(tab, open_session):
    page = tab.page
    page.set_viewport_size(PHONE_375)
    tab.goto("/login")
    keys = Keyboard(page)

    keys.tab_to(lambda el: el["name"] == "username", "the username field")
    keys.type("parent")
    keys.tab_to(lambda el: el["name"] == "password", "the password field")
    keys.type(DEMO_PASSWORD)
    keys.follow("Enter")
    expect(page).to_have_url(tab.url("/"))

    keys.tab_to(lambda el: el["tag"] == "a" and el["href"] == "/parent-school/", "家长学校 in the menu")
    keys.follow("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("家长学校")

    session_path = f"/parent-school/sessions/{open_session['session_id']}"
    keys.tab_to(lambda el: el["tag"] == "a" and el["href"] == session_path and el["text"] == COURSE,
                "the session's title")
    # One step too far and back again.
    keys.press("Tab")
    back = keys.press("Shift+Tab")
    assert back and back["href"] == session_path, back
    keys.follow("Enter")
    expect(page).to_have_url(tab.url(session_path))
    expect(page.get_by_role("heading", level=1)).to_contain_text(COURSE)

    register = f"{session_path}/register"
    el = keys.tab_to(lambda el: el["form"] == register, "the registration form")
    if el["tag"] == "select":  # a family with several children picks the one for this grade: the first offered
        keys.press("ArrowDown")
        keys.press("ArrowUp")
        el = keys.tab_to(lambda el: el["tag"] == "button" and el["form"] == register, "the register button")
    assert el["tag"] == "button" and el["text"] == "报名", el
    keys.follow("Space")

    expect(page).to_have_url(re.compile(re.escape(tab.url(session_path)) + r"(\?|$)"))
    expect(page.locator("#flash .flash-success")).to_contain_text("报名成功")
    expect(page.locator("main .reg-status .badge")).to_have_text("已报名")
    expect(page.get_by_role("img", name="签到二维码")).to_be_visible()
    code = page.locator("article.check-in-code .code").inner_text().strip()
    # The rest of the confirmation page can be walked too: the calendar link and the cancel button.
    keys.tab_to(lambda el: el["text"] == "取消报名", "取消报名")

    db.session.rollback()  # see what the live server committed
    reg = db.session.scalar(select(Registration).where(Registration.session_id == open_session["session_id"],
                                                       Registration.family_id == open_session["family_id"]))
    assert reg is not None and (reg.status, reg.code) == ("confirmed", code), reg
    assert keys.unmarked == [], "focus without a visible indicator:\n" + "\n".join(keys.unmarked)
    assert tab.csp_errors == []
