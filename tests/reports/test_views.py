"""The committee's dashboard at /reports as its users meet it: through the test client, as full pages and htmx
partials, with the figures of a small school built by hand; the print view, the audited list of students not yet
covered, and the Excel files (the personal ones behind a freshly typed password).

The views read the wall clock, so the data are dated from today: a current term around today, an older term in
the spring of last year, and last calendar year, each with figures of its own. The figures themselves are pinned
one definition at a time in test_services.py; here we check that the user sees them and can switch between them."""
import io
import re
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.pairs.models import Pair, PairNeed
from portal.people.models import SupportTag, Term
from portal.registrations.services import local_now
from portal.reports.exports import REPORTS
from tests import factories
from tests.factories import zh
from tests.helpers import audits

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HUGE = "99999999999999999999"
TODAY = local_now().date()
LAST_YEAR = TODAY.year - 1


# --- building and reading ------------------------------------------------------------------------

def noon(day: date) -> datetime:
    """Noon in Shanghai on `day`, as the naive UTC time created_at columns hold."""
    return datetime.combine(day, time(4))


def _term(school, name, starts, ends, current=False) -> Term:
    t = Term(school_id=school.id, name=name, starts_on=starts, ends_on=ends, is_current=current)
    db.session.add(t)
    db.session.commit()
    return t


def _pair(by, term, needs, started_on, status="active", ended_on=None) -> Pair:
    p = Pair(school_id=term.school_id, kind="one_to_one" if len(needs) == 1 else "one_to_many", status=status,
             term_id=term.id, started_on=started_on, created_at=noon(started_on), ended_on=ended_on,
             end_reason="goal" if status == "ended" else None, created_by_id=by.id)
    db.session.add(p)
    db.session.flush()
    db.session.add_all([PairNeed(pair_id=p.id, need_id=n.id) for n in needs])
    db.session.commit()
    return p


@pytest.fixture
def school(world):
    """Three students with a support tag (the world's two and 李小雨) and, per period:

    - this term (around today, marked current): 4 needs raised, 1 matched (王小明's, in an active pair), 3 h;
      coverage 1 of 3 — 赵小红 waits with an open need, 李小雨 has none;
    - last spring's term: 2 needs raised, both matched in a group pair that ran in the spring, 5 h; coverage 2 of 3;
    - last calendar year: the spring's 2 needs and an open one raised in October, 5 h + 1 h; coverage 2 of 3.
    """
    coord = world.users["coordinator"]
    study = factories.category(world.school, "学业辅导", 1)
    now_term = _term(world.school, "本学期", TODAY - timedelta(days=60), TODAY + timedelta(days=60), current=True)
    spring = _term(world.school, f"{LAST_YEAR - 1}–{LAST_YEAR}学年第二学期", date(LAST_YEAR, 2, 1),
                   date(LAST_YEAR, 6, 30))
    autumn = _term(world.school, f"{LAST_YEAR}–{LAST_YEAR + 1}学年第一学期", date(LAST_YEAR, 9, 1),
                   date(LAST_YEAR + 1, 1, 31))
    rain = factories.student(world.own_class, "李小雨")
    factories.consent(rain, coord)
    rain.support_tags = [db.session.scalar(select(SupportTag).where(SupportTag.school_id == world.school.id,
                                                                     SupportTag.name == "残疾"))]
    db.session.commit()

    # This term.
    mine = factories.need(world.pupil, study, coord, term_id=now_term.id, status="matched")
    factories.need(world.pupil, study, coord, term_id=now_term.id, detail="需要英语辅导")
    factories.need(world.stranger, study, coord, term_id=now_term.id, detail="需要陪伴谈心")
    factories.need(world.stranger, study, coord, term_id=now_term.id, detail="已关闭", status="closed")
    _pair(coord, now_term, [mine], TODAY)
    factories.hour_entry(world.volunteer, coord, "3", day=TODAY, status="approved")
    # Last spring.
    spring_day = date(LAST_YEAR, 3, 10)
    old = [factories.need(s, study, coord, term_id=spring.id, created_at=noon(spring_day), status="done")
           for s in (world.pupil, world.stranger)]
    _pair(coord, spring, old, spring_day + timedelta(days=7), status="ended", ended_on=date(LAST_YEAR, 6, 20))
    factories.hour_entry(world.volunteer, coord, "5", day=date(LAST_YEAR, 4, 1), status="approved")
    # Last autumn: a need still open, an hour of service.
    factories.need(world.stranger, study, coord, term_id=autumn.id, created_at=noon(date(LAST_YEAR, 10, 15)))
    factories.hour_entry(world.volunteer, coord, "1", day=date(LAST_YEAR, 10, 16), status="approved")
    return SimpleNamespace(now=now_term, spring=spring, autumn=autumn, rain=rain)


def kpis(html) -> dict[str, str]:
    """The headline figures: {what it counts: the figure}."""
    block = re.search(r'<section class="stat-grid report-kpis"[^>]*>(.*?)</section>', html, re.S)
    assert block, "no headline figures"
    return {label.strip(): value.strip() for value, label in
            re.findall(r"<strong>(.*?)</strong><span>(.*?)</span>", block.group(1), re.S)}


def figures(c, query="") -> dict[str, str]:
    r = c.get(f"/reports/{query}")
    assert r.status_code == 200
    return kpis(r.get_data(as_text=True))


def selected(html, name="period") -> str:
    block = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    m = re.search(r'<option value="([^"]*)" selected', block)
    return m.group(1) if m else ""


def main_text(html) -> str:
    """What the reader sees in the page's main region (the whole partial for htmx), tags and charts removed."""
    m = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    body = re.sub(r"<svg.*?</svg>", "", m.group(1) if m else html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def uncovered_rows(html) -> list[tuple[str, str, list[str], str]]:
    """The list of students not yet covered: (class, student, tags, need) per row."""
    body = re.search(r'<table class="uncovered">.*?<tbody>(.*?)</tbody>', html, re.S)
    if not body:
        return []
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = [c for _tag, c in re.findall(r"<(td|th)[^>]*>(.*?)</\1>", tr, re.S)]
        text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells]
        rows.append((text[0], text[1], re.findall(r'<span class="badge[^"]*">(.*?)</span>', cells[2]), text[3]))
    return rows


def workbook(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == XLSX
    return load_workbook(io.BytesIO(r.data))


def rows_of(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def filename(r) -> str:
    return unquote(r.headers["Content-Disposition"])


def stale(c):
    """The password was typed long ago: the session is still logged in, but not fresh."""
    with c.http.session_transaction() as sess:
        sess["auth_at"] = 0


NEEDS, MATCHED, COVERED = zh("needs raised"), zh("of them matched"), zh("special-group students in a pair")
RUNNING, HOURS, EVENTS = zh("pairs running"), zh("hours of service"), zh("events")


# =================================================================================================
# The dashboard
# =================================================================================================

@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_the_dashboard_shows_this_terms_figures(school, login_as, role):
    c = login_as(role)
    r = c.get("/reports/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    got = kpis(html)
    assert {k: got[k] for k in (NEEDS, MATCHED, COVERED, RUNNING, HOURS, EVENTS)} == {
        NEEDS: "4", MATCHED: "25%", COVERED: "33.3%", RUNNING: "1", HOURS: "3", EVENTS: "0"}
    assert selected(html) == f"t{school.now.id}"
    text = main_text(html)
    # The coverage in words, and the way to the students it leaves out.
    assert zh("%(n)d of %(total)d students with a support tag had a running pair in this period. "
              "Goal: no student left behind.", n=1, total=3) in text
    assert f'href="/reports/coverage?period=t{school.now.id}"' in html
    assert zh("Students not yet covered (%(n)d)", n=2) in text
    # Every term of the school and the last three years can be chosen.
    options = re.findall(r'<option value="([^"]*)"', html.split('name="period"')[1].split("</select>")[0])
    assert options == [f"t{school.now.id}", f"t{school.autumn.id}", f"t{school.spring.id}",
                       f"y{TODAY.year}", f"y{LAST_YEAR}", f"y{LAST_YEAR - 1}"]
    # The menu marks where the user is.
    assert re.search(r'<a href="/reports/" aria-current="page">', html)


def test_choosing_a_term_or_a_year_changes_the_figures(school, login_as):
    c = login_as("coordinator")
    spring = figures(c, f"?period=t{school.spring.id}")
    assert {k: spring[k] for k in (NEEDS, MATCHED, COVERED, HOURS)} == {
        NEEDS: "2", MATCHED: "100%", COVERED: "66.7%", HOURS: "5"}
    year = figures(c, f"?period=y{LAST_YEAR}")
    assert {k: year[k] for k in (NEEDS, MATCHED, COVERED, HOURS)} == {
        NEEDS: "3", MATCHED: "66.7%", COVERED: "66.7%", HOURS: "6"}
    # Pairs running are counted as of today, whatever the period.
    assert spring[RUNNING] == year[RUNNING] == "1"
    html = c.get(f"/reports/?period=y{LAST_YEAR}").get_data(as_text=True)
    assert selected(html) == f"y{LAST_YEAR}"
    assert f"{LAST_YEAR}年1月1日" in main_text(html) and f"{LAST_YEAR}年12月31日" in main_text(html)
    # The links on the page keep the period: printing, the Excel files, the students not yet covered.
    assert f'href="/reports/print?period=y{LAST_YEAR}"' in html
    assert f'href="/reports/needs.xlsx?period=y{LAST_YEAR}"' in html
    assert f'href="/reports/coverage?period=y{LAST_YEAR}"' in html and zh("Students not yet covered (%(n)d)", n=1) in html


@pytest.mark.parametrize("value", ["garbage", "", HUGE, "t999999", "y1900", f"y{TODAY.year + 1}", "t%C2%B2", "%00",
                                   "all", "FAR"])
def test_a_period_the_school_does_not_offer_falls_back_to_this_term(school, world, login_as, value):
    if value == "FAR":  # another school's term is no choice here
        far = _term(world.far, "远方学期", date(LAST_YEAR, 2, 1), date(LAST_YEAR, 6, 30))
        value = f"t{far.id}"
    c = login_as("coordinator")
    r = c.get(f"/reports/?period={value}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert selected(html) == f"t{school.now.id}"
    assert kpis(html)[NEEDS] == "4"
    assert c.htmx(f"/reports/?period={value}").status_code == 200


def test_the_period_form_answers_with_the_report_block_only_for_htmx(school, login_as):
    c = login_as("coordinator")
    full = c.get(f"/reports/?period=y{LAST_YEAR}")
    assert "HX-Request" in full.headers["Vary"]
    assert '<div id="report">' in full.get_data(as_text=True)
    r = c.htmx(f"/reports/?period=y{LAST_YEAR}")
    assert r.status_code == 200
    assert "HX-Request" in r.headers["Vary"]
    html = r.get_data(as_text=True)
    assert "<html" not in html and "main-nav" not in html and 'id="report"' not in html  # swapped into #report
    for section in ("r-needs", "r-matching", "r-coverage", "r-pairs", "r-hours", "r-events", "r-parents"):
        assert f'id="{section}"' in html, section
    assert kpis(html)[NEEDS] == "3" and selected(html) == f"y{LAST_YEAR}"
    # The form inside the block swaps the block again and puts the choice in the address.
    form = re.search(r'<form class="filters report-period"[^>]*>', html, re.S).group(0)
    assert 'hx-get="/reports/"' in form and 'hx-target="#report"' in form and 'hx-push-url="true"' in form
    # Restoring history asks for the whole page.
    restore = c.get("/reports/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_the_print_view_shows_every_table_open(school, world, login_as):
    c = login_as("coordinator")
    screen = c.get(f"/reports/?period=t{school.spring.id}").get_data(as_text=True)
    assert screen.count("<details") >= 5  # on screen the tables behind the charts open on demand
    r = c.get(f"/reports/print?period=t{school.spring.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<details" not in html and zh("Show the table") not in html
    assert html.count("<table") >= screen.count("<details")
    text = main_text(html)
    assert zh("%(school)s committee report", school="滨湖实验小学") in text and school.spring.name in text
    # The coverage table per class is printed with the spring's figures: every tagged child of 三年级2班 but
    # 李小雨 (tagged only now) had the group pair.
    assert re.search(r"三年级2班</th><td>2</td><td>1</td><td>50%</td>", html)
    assert re.search(r"四年级1班</th><td>1</td><td>1</td><td>100%</td>", html)
    # Paper has no buttons: no Excel links, no way to the list of names.
    assert ".xlsx" not in html and "/reports/coverage" not in html
    assert c.get("/reports/print?period=nonsense").status_code == 200


# =================================================================================================
# The students not yet covered
# =================================================================================================

def test_the_uncovered_students_are_listed_with_their_tags_and_the_view_is_audited(school, world, login_as):
    factories.student(world.own_class, "钱多多")  # no support tag: not in the list
    c = login_as("coordinator")
    r = c.get("/reports/coverage")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    html = r.get_data(as_text=True)
    assert 'hx-history="false"' in html
    assert uncovered_rows(html) == [
        ("三年级2班", "李小雨", ["残疾"], zh("None raised")),
        ("四年级1班", "赵小红", ["留守", "单亲"], zh("Waiting for a match")),
    ]
    assert "王小明" not in main_text(html) and "钱多多" not in html and "钱小宝" not in html
    # What to do next: raise a need for 李小雨.
    assert f'href="/needs/new?student_id={school.rain.id}"' in html
    entries = audits("reports.coverage_view")
    assert len(entries) == 1
    assert entries[0].user_id == world.users["coordinator"].id and entries[0].school_id == world.school.id
    assert f"period=t{school.now.id}" in entries[0].detail and "uncovered=2" in entries[0].detail

    # Last spring the group pair covered 王小明 and 赵小红; the list follows the period, also as an htmx swap.
    r = c.htmx(f"/reports/coverage?period=t{school.spring.id}")
    html = r.get_data(as_text=True)
    assert "<html" not in html and r.headers["Cache-Control"] == "no-store"
    assert [name for _c, name, _t, _n in uncovered_rows(html)] == ["李小雨"]
    assert len(audits("reports.coverage_view")) == 2


def test_when_every_tagged_student_is_covered_the_list_says_so(school, world, login_as):
    from portal.people.models import Student

    db.session.get(Student, school.rain.id).support_tags = []
    db.session.commit()
    html = login_as("admin").get(f"/reports/coverage?period=t{school.spring.id}").get_data(as_text=True)
    assert uncovered_rows(html) == []
    assert zh("Every student with a support tag had a running pair. No student left behind.") in html
    assert "uncovered=0" in audits("reports.coverage_view")[0].detail


@pytest.mark.parametrize("role", ["teacher", "volunteer", "parent"])
def test_only_committee_staff_open_the_reports(school, login_as, role):
    c = login_as(role)
    for url in ("/reports/", "/reports/coverage", "/reports/print", "/reports/needs.xlsx", "/reports/coverage.xlsx",
                "/reports/annual.xlsx", "/reports/nosuch.xlsx"):
        assert c.get(url).status_code == 403, url
        assert c.htmx(url).status_code == 403, url
    assert audits("reports.coverage_view") == [] and audits("reports.export") == []
    assert 'href="/reports/"' not in c.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    for url in ("/reports/", "/reports/coverage", "/reports/hours.xlsx", "/reports/annual.xlsx?year=2025"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), url


# =================================================================================================
# Excel
# =================================================================================================

@pytest.mark.parametrize("key", list(REPORTS))
def test_each_report_downloads_as_a_workbook(school, login_as, key):
    c = login_as("coordinator")
    r = c.get(f"/reports/{key}.xlsx")
    wb = workbook(r)
    assert wb.sheetnames and all(ws.max_row >= 1 for ws in wb.worksheets)
    assert f"{REPORTS[key][0]}-本学期.xlsx" in filename(r)
    assert f"report-{key}-t{school.now.id}.xlsx" in filename(r)  # the plain-ASCII name for old browsers
    [entry] = audits("reports.export")
    assert entry.detail.startswith(f"report={key} period=t{school.now.id}")


def test_the_needs_workbook_has_the_periods_figures(school, login_as):
    c = login_as("coordinator")
    rows = rows_of(workbook(c.get("/reports/needs.xlsx"))["需求菜单"])
    assert rows[0] == ["类别", "待对接", "已对接", "已完成", "已关闭", "合计"]
    assert rows[-1] == ["合计", 2, 1, 0, 1, 4]
    r = c.get(f"/reports/needs.xlsx?period=y{LAST_YEAR}")
    assert rows_of(workbook(r)["需求菜单"])[-1] == ["合计", 1, 0, 2, 0, 3]
    assert f"需求菜单统计-{LAST_YEAR}年.xlsx" in filename(r)
    # A period the school does not offer: this term's figures, never an error.
    r = c.get(f"/reports/needs.xlsx?period={HUGE}")
    assert rows_of(workbook(r)["需求菜单"])[-1] == ["合计", 2, 1, 0, 1, 4]


def test_the_coverage_workbook_names_the_uncovered_students_for_the_school(school, login_as):
    wb = workbook(login_as("coordinator").get("/reports/coverage.xlsx"))
    rows = rows_of(wb["未覆盖学生"])
    assert [r[1] for r in rows[1:]] == ["李小雨", "赵小红"]
    assert rows[2][3] == "留守、单亲"
    assert "uncovered=2" in audits("reports.export")[0].detail


@pytest.mark.parametrize("url", ["/reports/coverage.xlsx", "/reports/hours.xlsx", f"/reports/hours.xlsx?period=y{LAST_YEAR}",
                                 "/reports/annual.xlsx", f"/reports/annual.xlsx?year={LAST_YEAR}"])
def test_reports_naming_people_need_a_freshly_typed_password(school, login_as, url):
    c = login_as("coordinator")
    stale(c)
    r = c.get(url)
    assert r.status_code == 302
    about = "children" if url.startswith("/reports/coverage") else "people"
    assert r.headers["Location"].startswith(f"/confirm-password?about={about}&next=")
    assert unquote(r.headers["Location"]).removesuffix("?").endswith(url)  # Werkzeug's full_path ends in "?"
    assert audits("reports.export") == [] and audits("reports.annual_export") == []
    back = r.headers["Location"]
    assert c.get(back).status_code == 200
    r = c.post_form(back, {"password": factories.PASSWORD}, token_from=back)
    assert r.status_code == 302 and unquote(r.headers["Location"]).removesuffix("?").endswith(url)
    workbook(c.get(url))
    assert len(audits("reports.export")) + len(audits("reports.annual_export")) == 1


def test_a_wrong_password_gets_no_workbook(school, login_as):
    c = login_as("coordinator")
    stale(c)
    back = c.get("/reports/hours.xlsx").headers["Location"]
    r = c.post_form(back, {"password": "wrong-password-1"}, token_from=back)
    assert r.status_code == 200 and zh("The password is wrong.") in r.get_data(as_text=True)
    assert c.get("/reports/hours.xlsx").status_code == 302


@pytest.mark.parametrize("key", sorted(set(REPORTS) - {"coverage", "hours"}))
def test_reports_of_figures_only_do_not_ask_for_the_password_again(school, login_as, key):
    c = login_as("coordinator")
    stale(c)
    workbook(c.get(f"/reports/{key}.xlsx"))


@pytest.mark.parametrize("url", ["/reports/nosuch.xlsx", "/reports/NEEDS.xlsx", "/reports/needs.csv", "/reports/.xlsx",
                                 "/reports/needs.xlsx.xlsx", "/reports/%00.xlsx"])
def test_an_unknown_report_is_not_found(school, login_as, url):
    c = login_as("coordinator")
    assert c.get(url).status_code == 404
    assert audits("reports.export") == []


def _cover(r) -> dict:
    return {row[0]: row[1] for row in rows_of(workbook(r)["概况"])[1:]}


def test_the_annual_pack_has_the_years_figures(school, world, login_as):
    r = login_as("coordinator").get(f"/reports/annual.xlsx?year={LAST_YEAR}")
    wb = workbook(r)
    assert wb.sheetnames[0] == "概况" and {"需求菜单", "需求对接", "特殊群体覆盖", "结对帮扶", "服务时长"} <= set(wb.sheetnames)
    cover = _cover(r)
    assert cover["学校"] == "滨湖实验小学" and cover["年度"] == f"{LAST_YEAR}年"
    assert cover["提出需求"] == 3 and cover["志愿服务时长（小时）"] == 6
    assert f"滨湖实验小学关工委年度工作台账-{LAST_YEAR}.xlsx" in filename(r)
    # The district gets numbers per class, never the list of names.
    assert "未覆盖学生" not in wb.sheetnames
    cells = " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "李小雨" not in cells and "赵小红" not in cells
    [entry] = audits("reports.annual_export")
    assert entry.detail == f"period=y{LAST_YEAR}"


@pytest.mark.parametrize("year", ["1900", str(TODAY.year + 1), str(TODAY.year - 11), "abc", "", HUGE, "-1", "2025.5",
                                  "%00", "%C2%B2"])
def test_an_odd_year_gives_this_years_pack(school, login_as, year):
    r = login_as("coordinator").get(f"/reports/annual.xlsx?year={year}")
    assert _cover(r)["年度"] == f"{TODAY.year}年"
    assert f"annual-{TODAY.year}.xlsx" in filename(r)


def test_the_annual_form_offers_this_year_and_the_two_before(school, login_as):
    html = login_as("coordinator").get("/reports/").get_data(as_text=True)
    form = re.search(r'<form method="get" action="/reports/annual.xlsx".*?</form>', html, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', form) == [str(TODAY.year - i) for i in range(3)]
    assert selected(form, "year") == str(TODAY.year)


# =================================================================================================
# Offline and CSP-safe
# =================================================================================================

def _pages(c, school):
    return {
        "dashboard": c.get("/reports/"),
        "dashboard (htmx)": c.htmx(f"/reports/?period=y{LAST_YEAR}"),
        "print": c.get("/reports/print"),
        "coverage": c.get("/reports/coverage"),
        "coverage (htmx)": c.htmx(f"/reports/coverage?period=t{school.spring.id}"),
    }


def test_the_pages_load_nothing_from_outside_and_need_no_inline_script_or_style(school, login_as):
    c = login_as("coordinator")
    for label, r in _pages(c, school).items():
        assert r.status_code == 200, label
        csp = r.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, label
        html = r.get_data(as_text=True)
        assert not re.search(r"""(src|href|action|hx-get)\s*=\s*["']?(https?:)?//""", html), label
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", html), label
        scripts = re.findall(r"<script\b[^>]*>", html, re.I)
        assert all(" src=" in s for s in scripts), (label, scripts)  # no inline script …
        assert not re.search(r"<script\b[^>]*>[^<\s]", html), label
        assert not re.search(r"\son[a-z]+\s*=", html), label  # … nor event-handler attributes
        assert not re.search(r"\sstyle\s*=", html, re.I) and "<style" not in html, label
    # The charts are server-drawn SVG, sized by attributes the CSP allows.
    assert "<svg" in _pages(c, school)["dashboard"].get_data(as_text=True)
