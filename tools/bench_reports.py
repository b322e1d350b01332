"""Time the committee's dashboard on the district demo data (20 schools; figures are per school).

    .venv/bin/python tools/bench_reports.py            # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_reports.py   # an EMPTY PostgreSQL database

Each figure is a full HTTP request through the app (login session, queries, page render), repeated; the SQL
statements of one request are counted too.
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
os.environ.setdefault("SECRET_KEY", "bench")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from portal import create_app, demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.hours.models import HourEntry  # noqa: E402
from portal.people.models import Student  # noqa: E402

ROUNDS = 30


def ms(seconds):
    return round(seconds * 1000, 1)


def timed(client, url, rounds=ROUNDS, **kw):
    values = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.get(url, **kw)
        values.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code)
    return values


def main():
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        demo.seed("district")
        school_id = 1
        print(f"district demo seeded in {time.perf_counter() - started:.1f} s; "
              f"{db.session.scalar(select(func.count()).select_from(Student))} students and "
              f"{db.session.scalar(select(func.count()).select_from(HourEntry))} hour entries in all; school 1 has "
              f"{db.session.scalar(select(func.count()).select_from(Student).where(Student.school_id == school_id))}"
              f" students")
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    client = app.test_client()
    r = client.post("/login", data={"username": "coordinator", "password": demo.DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    year = time.localtime().tm_year
    pages = [("dashboard /reports/ (current term)", "/reports/", {}),
             (f"dashboard, year {year}", f"/reports/?period=y{year}", {}),
             ("dashboard, htmx partial on a period change", f"/reports/?period=y{year}", {"headers": {"HX-Request": "true"}}),
             ("students not yet covered /reports/coverage", "/reports/coverage", {}),
             (f"annual pack /reports/annual.xlsx ({year})", f"/reports/annual.xlsx?year={year}", {})]
    for label, url, kw in pages:
        statements.clear()
        client.get(url, **kw)
        count = len(statements)
        values = timed(client, url, **kw)
        q = statistics.quantiles(values, n=20)
        print(f"{label}: median {ms(statistics.median(values))} ms, p95 {ms(q[-1])} ms, max {ms(max(values))} ms; "
              f"{count} SQL statements")


if __name__ == "__main__":
    main()
