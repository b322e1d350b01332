"""Dates are the school's local dates everywhere: a session at 19:00 in Shanghai is on that day, not the next (a
naive wall-clock time read as UTC moves every session after 16:00 a day late)."""
import re
from datetime import datetime, time, timedelta
from pathlib import Path

from portal.core.clock import local_today
from portal.core.display import cn_date
from tests import factories

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WALL_CLOCK_AS_UTC = re.compile(r"\b(starts_at|ends_at|deadline|ends)\|cn_(date|datetime|day)\b")


def test_the_dashboard_dates_an_evening_session_on_its_own_day(world, login_as):
    day = local_today() - timedelta(days=3)
    course = factories.course(world.school, world.users["coordinator"], title="如何与孩子有效沟通", grades=(3,))
    factories.course_session(course, starts_at=datetime.combine(day, time(19)), status="done")

    html = login_as("coordinator").get(f"/reports/?period=y{day.year}").get_data(as_text=True)

    row = re.search(r"如何与孩子有效沟通<br><small>(.*?)</small>", html)
    assert row and row.group(1) == cn_date(day)


def test_no_template_reads_a_wall_clock_time_as_utc():
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
             for m in WALL_CLOCK_AS_UTC.finditer(p.read_text(encoding="utf-8"))]
    assert found == []
