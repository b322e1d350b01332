"""The app as a whole: health check, headers, error pages, offline assets."""
import re
from datetime import datetime
from pathlib import Path

from portal import create_app
from tests.conftest import crashing_app, make_config, stopped_at_day_end

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_reports_database_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(tmp_path):
    broken = create_app(make_config(f"sqlite:///{tmp_path}/missing-dir/no.db"))
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error"


def test_security_headers_and_vary(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "HX-Request" in r.headers["Vary"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_htmx_is_configured_without_eval_or_inline_styles(client):
    html = client.get("/login").get_data(as_text=True)
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html
    assert "<script>" not in html and "style=" not in html


def test_unknown_page_is_a_chinese_404(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "页面不存在" in r.get_data(as_text=True)


def test_server_error_page_is_chinese_and_nothing_leaks(db_url):
    r = crashing_app(db_url, "secret detail").test_client().get("/_boom")
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "出错了" in body and "secret detail" not in body


def test_no_external_urls_in_pages_or_assets():
    pattern = re.compile(r"""(src|href|url\()\s*=?\s*["']?https?://""")
    offenders = [str(p) for folder in ("templates", "static") for p in (ROOT / folder).rglob("*")
                 if p.is_file() and p.suffix in {".html", ".css", ".js"} and pattern.search(p.read_text("utf-8"))]
    assert offenders == []


def test_vendored_assets_carry_their_version():
    names = sorted(p.name for p in (ROOT / "static/vendor").iterdir())
    assert names == ["htmx-2.0.11.min.js", "pico-2.1.1.min.css"]


def test_every_scrolling_table_can_be_reached_by_keyboard():
    """A wide table scrolls sideways on a phone; without focus a keyboard user cannot scroll it (axe: serious)."""
    wraps = [(p.name, m.group(0)) for p in (ROOT / "templates").rglob("*.html")
             for m in re.finditer(r'<div class="table-wrap"[^>]*>', p.read_text("utf-8"))]
    assert wraps
    assert [w for w in wraps if 'tabindex="0"' not in w[1] or 'role="region"' not in w[1]
            or "aria-label=" not in w[1]] == []


def test_a_test_run_that_crosses_midnight_keeps_its_day():
    """The test run's clock (tests/conftest.py): test modules dated their cases when imported, so past midnight
    in Shanghai the portal's clock stays at the last instant of that day."""
    ticks = iter([datetime(2026, 11, 24, 23, 59, 58), datetime(2026, 11, 24, 23, 59, 59), datetime(2026, 11, 25, 0, 0, 1)])
    wall = stopped_at_day_end(lambda: next(ticks))
    assert wall() == datetime(2026, 11, 24, 23, 59, 59)
    assert wall() == datetime(2026, 11, 24, 23, 59, 59, 999999)
