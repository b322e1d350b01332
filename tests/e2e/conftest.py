"""Browser-test helpers: the session app served on a real port, Debian's Chromium, login, axe, screenshots.

Each test gets a fresh browser context. The autouse `_ctx` fixture of tests/conftest.py still empties
every table before each test, so a test that needs the demo school calls the `demo` fixture, which seeds it.
"""
import re
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.demo import DEMO_PASSWORD, seed
from tests.conftest import require
from tests.site_map import USERNAMES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS = {375: 812, 1280: 800}  # width -> height: a small phone and a laptop
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config, items):
    """Every test of this folder is a browser journey, marked so whether or not its module says it: CI runs them
    once (on SQLite), and a test left unmarked would otherwise run twice or, worse, be taken for a database test."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # keep the access log out of the test output; errors still print
        pass


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-live-server", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app):
    """The session app (same database as the other tests) on a free local port."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    require(CHROMIUM.exists(), "Debian chromium is not installed")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


class Tab:
    """One page of a fresh browser context, pointed at the live server."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.csp_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, msg):
        if "Content Security Policy" in msg.text:
            self.csp_errors.append(msg.text)

    def url(self, path: str) -> str:
        return self.base_url + path

    def path(self) -> str:
        """The current path and query, without scheme and host."""
        return self.page.url.removeprefix(self.base_url)

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, f"GET {path} -> {response and response.status}"
        return response

    def login(self, username: str, password: str = DEMO_PASSWORD):
        """As a user of the demo: a school's logins are named after their role, the district's (unit_admin,
        unit_officer) are district and officer, who start on the district's table."""
        username = USERNAMES.get(username, username)
        self.goto("/login")
        self.page.get_by_label(re.compile(r"^用户名或手机号")).fill(username)
        self.page.get_by_label(re.compile(r"^密码")).fill(password)
        self.page.get_by_role("button", name="登录", exact=True).click()
        self.page.wait_for_url(self.url("/district/" if username in USERNAMES.values() else "/"))

    def open_menu(self):
        """On a phone the navigation and the logout button are behind the 菜单 button."""
        toggle = self.page.locator("[data-menu]")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()

    def logout(self):
        self.open_menu()
        self.page.get_by_role("button", name="退出登录").click()
        self.page.wait_for_url(re.compile(r"/login(\?|$)"))

    def nav(self) -> dict[str, str]:
        """Main navigation as {label: href}, in order."""
        links = self.page.locator("nav.main-nav a")
        # The label without its count badge ("需求菜单 47" → "需求菜单").
        label = "a => [...a.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('').trim()"
        return {a.evaluate(label): a.get_attribute("href") for a in links.all()}

    def screenshot(self, name: str, widths=tuple(VIEWPORTS)):
        """Full-page screenshots, one per width: test-artifacts/screenshots/<name>-<width>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        original = self.page.viewport_size
        try:
            for width in widths:
                self.page.set_viewport_size({"width": width, "height": VIEWPORTS[width]})
                self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        finally:
            self.page.set_viewport_size(original)


@pytest.fixture
def tab(browser, live_server):
    # No bypass_csp: axe is injected with page.evaluate (DevTools protocol), which the page's CSP does not govern.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        yield Tab(context.new_page(), live_server.url)
    finally:
        context.close()


@pytest.fixture
def demo(_ctx):
    """The demo school and its five accounts, written into the tables `_ctx` has just emptied."""
    seed()


class A11y:
    """Runs axe on each page visited and gathers serious and critical violations, so that one
    assertion at the end of a test lists every page's problems at once."""

    def __init__(self):
        self._axe = Axe()
        self.checked: list[str] = []
        self.problems: list[str] = []

    def check(self, tab: Tab, label: str | None = None):
        label = label or tab.path()
        results = self._axe.run(tab.page)
        self.checked.append(label)
        for v in results.response["violations"]:
            if v["impact"] not in BLOCKING_IMPACTS:
                continue
            nodes = "\n".join(f"      - {', '.join(map(str, n['target']))}: {n['html'][:160]}" for n in v["nodes"][:10])
            more = f"\n      … and {len(v['nodes']) - 10} more" if len(v["nodes"]) > 10 else ""
            self.problems.append(f"[{label}] {v['id']} ({v['impact']}): {v['help']}\n{nodes}{more}")

    def assert_clean(self):
        assert not self.problems, (f"axe found {len(self.problems)} serious/critical violation(s):\n"
                                   + "\n".join(self.problems))


@pytest.fixture
def a11y():
    return A11y()


PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def fits_phone(page: Page, what: str):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], f"{what} overflows a {PHONE['width']} px phone: {scroll_width} px wide"


def heights(locator) -> list[tuple[str, float]]:
    """(what it says, height in px) of each element."""
    return [tuple(pair) for pair in locator.evaluate_all(
        "els => els.map(el => [(el.innerText || el.value || el.name || el.type || '').trim(),"
        " el.getBoundingClientRect().height])")]


def nav_count(page: Page, key: str) -> int:
    """The number in the main navigation's count badge `key` (needs, offers, pairs …)."""
    return int(page.locator(f"#nav-count-{key}").inner_text())


def tap(scope, name: str):
    """Tap the big chip or grid box labelled `name`; returns its hidden input, to check it followed."""
    box = scope.locator("label.toggle", has=scope.page.get_by_label(name, exact=True))
    expect(box).to_have_count(1)
    box.click()
    return scope.get_by_label(name, exact=True)


def go(tab, href: str):
    """Follow a main-navigation link and check it is marked as the current page."""
    nav = tab.page.locator("nav.main-nav")
    tab.open_menu()
    nav.locator(f'a[href="{href}"]').click()
    tab.page.wait_for_url(re.compile(re.escape(tab.url(href)) + r"(\?|$)"))
    expect(nav.locator('a[aria-current="page"]')).to_have_attribute("href", href)


def start(tab, role: str, viewport: dict, password: str = DEMO_PASSWORD) -> Page:
    """Sign in as `role` in a window of the given size; returns the page every test drives. Accounts made
    with tests/factories.py (the `world` fixture) pass password=factories.PASSWORD."""
    tab.page.set_viewport_size(viewport)
    tab.login(role, password)
    return tab.page
