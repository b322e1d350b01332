"""Every HTML page of every role (tests/site_map.py, over the demo school) on a 375 px phone: axe finds no serious or
critical violation, and nothing scrolls sideways. Then lists after a live search has swapped their results in,
and the message an htmx request shows when the database is out of reach."""
import re

import pytest
from playwright.sync_api import expect

from portal import create_app
from tests.conftest import make_config
from tests.e2e.conftest import PHONE, fits_phone
from tests.site_map import ROLES, pages

pytestmark = pytest.mark.e2e

PHONE_375 = {"width": 375, "height": 800}


def _walk(tab, a11y, role: str) -> list[str]:
    """axe and the phone's width on each page of the role; the pages that scroll sideways."""
    urls = [p.url for p in pages(role) if p.is_html and not p.is_fragment]
    assert urls, f"the site map gives {role} no page"
    tab.page.set_viewport_size(PHONE_375)
    if role != "anonymous":
        tab.login(role)
    too_wide = []
    for url in urls:
        tab.goto(url)
        a11y.check(tab, f"{role} {url}")
        try:
            fits_phone(tab.page, f"{role} {url}")
        except AssertionError as err:
            too_wide.append(str(err))
    return too_wide


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_on_a_phone(tab, a11y, demo, role):
    too_wide = _walk(tab, a11y, role)
    assert not (a11y.problems or too_wide), "\n".join(
        [f"axe found {len(a11y.problems)} serious/critical violation(s):", *a11y.problems, *too_wide])
    assert tab.csp_errors == []


def _search(tab, path: str, query: str):
    """Type into a list's live search and wait for htmx to swap the results in (the address follows)."""
    tab.goto(path)
    page = tab.page
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true" and "q=" in r.url) as answer:
        page.locator("#q").press_sequentially(query, delay=30)
    assert answer.value.status == 200
    expect(page).to_have_url(re.compile(r"[?&]q="))  # pushed once the results are swapped in


# The lists each role can search; the last coordinator search finds nothing, to check the empty state too.
SEARCHES = {
    "coordinator": [("/needs/", "数学"), ("/people/students", "王"), ("/hours/queue", "查无此人")],
    "teacher": [("/pairs/", "王")],
    "volunteer": [("/events/", "活动")],
    "parent": [("/events/", "家长")],
}


@pytest.mark.parametrize("role", sorted(SEARCHES))
def test_lists_after_a_live_search_on_a_phone(tab, a11y, demo, role):
    tab.page.set_viewport_size(PHONE_375)
    tab.login(role)
    for path, query in SEARCHES[role]:
        _search(tab, path, query)
        a11y.check(tab, f"{role} {path} searched {query!r}")
        fits_phone(tab.page, f"{path} searched")
    a11y.assert_clean()
    assert tab.csp_errors == []


def test_an_htmx_request_with_the_database_out_of_reach_says_so(tab, a11y, demo, tmp_path):
    """The portal's own 503 answer (from an app whose database is a file in a missing folder) given to a live
    search: htmx swaps nothing, and the flash region says in words what happened."""
    down = create_app(make_config(f"sqlite:///{tmp_path}/missing/carebridge.db")).test_client()
    with down.session_transaction() as session:
        session["_user_id"] = "signed-in"
    answer = down.get("/needs/?q=数", headers={"HX-Request": "true"})
    assert answer.status_code == 503

    tab.page.set_viewport_size(PHONE)
    tab.login("coordinator")
    tab.goto("/needs/")
    before = tab.page.locator("#results").inner_html()
    tab.page.route("**/needs/?q=*", lambda route: route.fulfill(status=503, headers=dict(answer.headers),
                                                                 body=answer.get_data()))
    tab.page.locator("#q").press_sequentially("数", delay=30)
    flash = tab.page.locator("#flash .flash-error")
    expect(flash).to_have_text("系统暂时无法连接数据库，请稍后再试。")
    assert tab.page.locator("#results").inner_html() == before
    a11y.check(tab, "needs list, database out of reach")
    a11y.assert_clean()
