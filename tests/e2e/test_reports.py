"""统计报表 in a real browser: the demo coordinator opens the committee's dashboard from the menu, reads the headline
figures, switches the period to this calendar year (htmx swaps the report in place and the address follows), opens
a chart's data table, follows the way to the students not yet covered, and downloads a report as Excel; on a
375 px phone nothing is wider than the screen.

The figures on the page are checked against portal.reports.services on the same demo data, so the journey holds
whatever day it runs. Every page visited is checked with axe; screenshots go to test-artifacts/screenshots/."""
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.core.display import hours_text
from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.registrations.services import local_now
from portal.reports import services
from tests.e2e.conftest import DESKTOP, PHONE, fits_phone, go, start
from tests.factories import zh

pytestmark = pytest.mark.e2e

# Waited for with a locator: wait_for_function polls by evaluating a string, which the page's CSP refuses.
SETTLED = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def _fresh():
    """End the test's read transaction so it sees what the live server has committed meanwhile."""
    db.session.rollback()


def _percent(value) -> str:
    """A share as the dashboard writes it: one decimal, none when it is whole."""
    return "—" if value is None else f"{value:.1f}".replace(".0", "") + "%"


def _expected(key: str | None):
    """What the dashboard should show for the period `key` (None: the current term), from the services."""
    _fresh()
    coord = db.session.scalar(select(User).where(User.username == "coordinator"))
    now = local_now()
    period, _choices = services.period_from_arg(key, coord.school_id, now.date())
    d = services.dashboard(coord.school_id, period, now)
    db.session.commit()  # current_term may have written the term
    return period, {
        zh("needs raised"): str(d.needs_total),
        zh("of them matched"): _percent(d.matching.share),
        zh("special-group students in a pair"): _percent(d.coverage.share),
        zh("pairs running"): str(d.pairs.active),
        zh("hours of service"): hours_text(d.hours_total),
    }, d


def _kpis(page) -> dict[str, str]:
    stats = page.locator("section.report-kpis a.stat")
    expect(stats.first).to_be_visible()
    return {s.locator("span").inner_text().strip(): s.locator("strong").inner_text().strip() for s in stats.all()}


def _checked(tab, a11y, label: str):
    a11y.check(tab, label)
    if tab.page.viewport_size["width"] == PHONE["width"]:
        fits_phone(tab.page, label)


def test_coordinator_reads_the_reports_switches_the_period_and_downloads_excel(tab, a11y, demo, tmp_path):
    page = start(tab, "coordinator", DESKTOP)

    # --- from the menu to the dashboard: this term's headline figures -------------------------------------------
    go(tab, "/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Reports"))
    term, want, _d = _expected(None)
    expect(page.locator("select#period")).to_have_value(term.key)
    got = _kpis(page)
    assert {k: got[k] for k in want} == want
    assert int(got[zh("needs raised")]) > 0 and got[zh("pairs running")] != "0"  # the demo school is busy
    _checked(tab, a11y, "coordinator: reports (1280)")
    tab.screenshot("reports", widths=(1280,))

    # --- the period select swaps the report in place and puts the choice in the address -------------------------
    year_key = f"y{local_now().year}"
    year, want_year, d_year = _expected(year_key)
    assert want_year[zh("hours of service")] != want[zh("hours of service")], "the demo year should differ"
    page.evaluate("window.__sameDocument = true")  # survives an htmx swap, not a full page load
    page.locator("select#period").select_option(year_key)
    expect(page).to_have_url(re.compile(rf"/reports/\?period={year_key}$"))
    expect(page.locator(SETTLED)).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "the period select reloaded the whole page"
    expect(page.locator("section.report-kpis a.stat", has_text=zh("hours of service")).locator("strong")).to_have_text(
        want_year[zh("hours of service")])
    got = _kpis(page)
    assert {k: got[k] for k in want_year} == want_year
    expect(page.locator("select#period")).to_have_value(year_key)
    expect(page.locator("#report p.lead")).to_contain_text(f"{year.start.year}年1月1日")
    expect(page.locator("#report")).to_have_count(1)  # swapped inside, not nested
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    _checked(tab, a11y, f"coordinator: reports {year_key} (after htmx swap)")

    # --- a chart's data table opens on demand -----------------------------------------------------------------
    needs = page.locator("#r-needs")
    table = needs.locator("details.data-table table")
    expect(table).to_be_hidden()
    needs.locator("details.data-table summary").filter(has_text=zh("Show the table")).click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(d_year.needs))
    first = d_year.needs[0]
    expect(table.locator("tbody tr").first.locator("th")).to_have_text(first.name)
    expect(table.locator("tbody tr").first.locator("td").last).to_have_text(str(first.total))

    # --- on a phone: nothing wider than the screen, with a table open too (axe at this width: see below) -----
    page.set_viewport_size(PHONE)
    fits_phone(page, f"coordinator: reports {year_key} (375)")
    tab.screenshot("reports-year", widths=(375,))
    page.set_viewport_size(DESKTOP)

    # --- the students not yet covered ------------------------------------------------------------------------
    missing = d_year.coverage.tagged - d_year.coverage.covered
    assert missing > 0, "the demo school should have tagged students without a running pair"
    link = page.locator("#r-coverage").get_by_role("button", name=zh("Students not yet covered (%(n)d)", n=missing))
    link.click()
    page.wait_for_url(tab.url(f"/reports/coverage?period={year_key}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(zh("Students not yet covered"))
    rows = page.locator("table.uncovered tbody tr")
    expect(rows).to_have_count(missing)
    expect(rows.first.locator("td").nth(1).locator(".badge").first).to_be_visible()  # the support tags
    _fresh()
    assert db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "reports.coverage_view")).all() == [
        f"period={year_key} uncovered={missing}"]
    _checked(tab, a11y, f"coordinator: students not yet covered {year_key} (1280)")

    # --- back to the dashboard, and the needs report as Excel -------------------------------------------------
    page.get_by_role("button", name=re.compile(zh("Reports"))).click()
    page.wait_for_url(re.compile(re.escape(tab.url(f"/reports/?period={year_key}")) + "(#r-coverage)?$"))
    with page.expect_download() as info:
        page.locator("#r-needs header").get_by_role("button", name=zh("Excel")).click()
    download = info.value
    assert download.suggested_filename == f"需求菜单统计-{year.label}.xlsx"
    path = tmp_path / "needs.xlsx"
    download.save_as(path)
    rows = [list(r) for r in load_workbook(path)["需求菜单"].iter_rows(values_only=True)]
    assert rows[0][0] == "类别" and rows[-1][0] == "合计"
    assert rows[-1][-1] == d_year.needs_total == int(want_year[zh("needs raised")])
    assert [r[0] for r in rows[1:-1]] == [r.name for r in d_year.needs]

    a11y.assert_clean()
    assert not tab.csp_errors


def test_the_dashboard_on_a_phone_passes_axe(tab, a11y, demo):
    page = start(tab, "coordinator", PHONE)
    tab.goto("/reports/")
    expect(page.locator("section.report-kpis a.stat").first).to_be_visible()
    _checked(tab, a11y, "coordinator: reports (375)")
    a11y.assert_clean()


def test_the_list_of_students_not_yet_covered_fits_a_phone(tab, a11y, demo):
    page = start(tab, "coordinator", PHONE)
    tab.goto("/reports/coverage")
    expect(page.locator("table.uncovered tbody tr").first).to_be_visible()
    tab.screenshot("reports-uncovered", widths=(375,))
    _checked(tab, a11y, "coordinator: students not yet covered (375)")
    a11y.assert_clean()


def _stale(app, tab):
    """Make the browser's session one whose password was typed long ago, as after a quarter of an hour."""
    cookies = {c["name"]: c for c in tab.page.context.cookies()}
    name = app.config["SESSION_COOKIE_NAME"]
    signer = app.session_interface.get_signing_serializer(app)
    data = signer.loads(cookies[name]["value"])
    data["auth_at"] = 0
    tab.page.context.add_cookies([{**cookies[name], "value": signer.dumps(data)}])


def test_an_excel_button_after_a_stale_login_asks_for_the_password_then_downloads(app, tab, demo, tmp_path):
    page = start(tab, "coordinator", DESKTOP)
    go(tab, "/reports/")
    _stale(app, tab)
    downloads = []
    page.on("download", lambda d: downloads.append(d.suggested_filename))
    page.locator("#r-hours header").get_by_role("button", name=zh("Excel")).click()
    page.wait_for_url(re.compile(re.escape(tab.url("/confirm-password?about=people&next="))), timeout=5_000)
    assert downloads == []
    page.get_by_label(re.compile(r"^密码")).fill(DEMO_PASSWORD)
    with page.expect_download() as info:
        page.locator("main form").get_by_role("button").click()
    info.value.save_as(tmp_path / "hours.xlsx")
    assert "服务时长" in load_workbook(tmp_path / "hours.xlsx").sheetnames
