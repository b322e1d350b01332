"""Every volunteer and parent page on a 375 px phone, in normal text and in 大字模式, measured as an elderly user meets
it: the smallest text, the smallest button or chip and link, sideways scrolling, and how far down the page's heading
starts. Then each of their forms sent empty, to see every error message and that nothing lies over it.

The figures (MIIT 适老化 rules and WCAG 2.2): in 大字模式 main text at least 24 px (18 pt), buttons and chips at least
60 × 60 px; in normal text 16 px and 44 × 44 px; a link at least 44 × 44 px in both; small print and badges a step
smaller; the header and anything above the first heading at most a third of the screen.
"""
import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from tests.e2e.conftest import PHONE
from tests.site_map import pages

pytestmark = pytest.mark.e2e

NORMAL = {"text": 16, "secondary": 13, "control": 44, "link": 44}
LARGE = {"text": 24, "secondary": 20, "control": 60, "link": 44}
ABOVE_HEADING = PHONE["height"] // 3

# What a reader meets on the page, against the limits: one line per shortfall, and the page's width and the top
# of its first heading (or of the card that opens with it, as a certificate opens with its serial number).
MEASURE = """(limits) => {
  const shown = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && s.visibility !== 'hidden'
      && !el.closest('[hidden], [aria-hidden="true"]'); };
  const what = el =>
    `${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 20)}"`;
  const main = document.querySelector('main');
  const short = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || !shown(el)) continue;
    seen.add(el);
    const px = parseFloat(getComputedStyle(el).fontSize);
    // A size of 0 draws nothing: the text is there for a screen reader (the availability grid's cell names).
    const least = el.closest('small, .badge, figcaption') ? limits.secondary : limits.text;
    if (px > 0 && px < least) short.push(`text ${px} px < ${least}: ${what(el)}`);
  }
  const controls = [...document.querySelectorAll('button, [role="button"], input[type="submit"], label.toggle, select, '
    + 'input:not([type="hidden"]):not([type="checkbox"]):not([type="radio"])')].filter(shown);
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (Math.min(r.width, r.height) < limits.control - 0.5)
      short.push(`button ${Math.round(r.width)}×${Math.round(r.height)} < ${limits.control}: ${what(el)}`);
  }
  for (const el of [...document.querySelectorAll('a[href]')].filter(a => shown(a) && !controls.includes(a))) {
    const r = el.getBoundingClientRect();
    if (Math.min(r.width, r.height) < limits.link - 0.5)
      short.push(`link ${Math.round(r.width)}×${Math.round(r.height)} < ${limits.link}: ${what(el)}`);
  }
  const heading = main.querySelector('h1');
  const top = heading ? (heading.closest('article') || heading).getBoundingClientRect().top + scrollY : null;
  return {short, width: document.documentElement.scrollWidth, top};
}"""


def _large_text(username: str):
    db.session.scalar(select(User).where(User.username == username)).large_text = True
    db.session.commit()


def _problems(tab, limits: dict, label: str) -> list[str]:
    found = tab.page.evaluate(MEASURE, limits)
    problems = [f"{label}: {line}" for line in found["short"]]
    if found["width"] > PHONE["width"]:
        problems.append(f"{label}: scrolls sideways, {found['width']} px wide")
    if found["top"] is None:
        problems.append(f"{label}: no h1")
    elif found["top"] > ABOVE_HEADING:
        problems.append(f"{label}: the heading starts {found['top']:.0f} px down (at most {ABOVE_HEADING})")
    return problems


def _urls(role: str) -> list[str]:
    urls = [p.url for p in pages(role) if p.is_html and not p.is_fragment]
    assert len(urls) > 5, f"the site map gives {role} only {urls}"
    return urls


@pytest.mark.parametrize("role", ["volunteer", "parent"])
def test_every_page_of_the_role_measures_up_on_a_phone_in_both_text_sizes(tab, demo, role):
    tab.page.set_viewport_size(PHONE)
    tab.goto("/login")
    problems = _problems(tab, NORMAL, "/login")
    tab.login(role)
    urls = _urls(role)
    for url in urls:
        tab.goto(url)
        problems += _problems(tab, NORMAL, url)
    _large_text(role)
    for url in urls:
        tab.goto(url)
        assert tab.page.locator("html.large-text").count() == 1
        problems += _problems(tab, LARGE, f"大字 {url}")
    assert not problems, "\n".join(problems)


# No chip, button or field lies over a line of an error message.
UNCOVERED = """() => {
  const boxes = [...document.querySelectorAll('main :is(label.toggle, button, [role="button"], input, select, textarea)')]
    .map(el => [el, el.getBoundingClientRect()]).filter(([, r]) => r.width > 1 && r.height > 1);
  return [...document.querySelectorAll('main .field-error')].flatMap(error => {
    const words = document.createRange();
    words.selectNodeContents(error);
    const across = error.getBoundingClientRect();  // the ⚠ is drawn before the text, so a line runs the whole width
    return boxes.filter(([, b]) => [...words.getClientRects()].some(line =>
      b.left < across.right && across.left < b.right && b.top < line.bottom && line.top < b.bottom))
      .map(([el]) => `"${error.innerText.trim()}" lies under "${(el.innerText || el.name || '').trim().slice(0, 12)}"`);
  });
}"""

# The form sent with nothing in it, as if the browser's own checks were off: the portal's messages are the ones shown.
EMPTY = """() => {
  const form = document.querySelector('main form[method="post"]:has(button[type="submit"])');
  form.querySelectorAll('[required]').forEach(el => el.removeAttribute('required'));
  form.querySelectorAll('input:checked').forEach(el => { el.checked = false; });
  form.querySelectorAll('textarea, input[type="text"], input[type="date"], input[type="tel"]').forEach(el => { el.value = ''; });
  form.querySelector('button[type="submit"]').click();
}"""


@pytest.mark.parametrize("role", ["volunteer", "parent"])
def test_every_form_sent_empty_in_large_text_shows_its_errors_uncovered(tab, demo, role):
    _large_text(role)
    tab.page.set_viewport_size(PHONE)
    tab.login(role)
    forms = [url for url in _urls(role) if url.endswith("/new")]
    assert forms, f"{role} has no form to fill in"
    problems = []
    for url in forms:
        tab.goto(url)
        with tab.page.expect_navigation():
            tab.page.evaluate(EMPTY)
        assert tab.page.locator("main .field-error").count(), f"{url}: an empty form shows no error"
        problems += [f"{url}: {line}" for line in tab.page.evaluate(UNCOVERED)]
        problems += _problems(tab, LARGE, f"{url} with errors")
    assert not problems, "\n".join(problems)
