"""Time the committee's dashboard on the district demo data (20 schools; figures are per school).

    .venv/bin/python tools/bench_reports.py            # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_reports.py   # an EMPTY PostgreSQL database

Each figure is a full HTTP request through the app (login session, queries, page render), repeated; the SQL
statements of one request are counted too.
"""
import time

import bench_common as bench  # sets the environment before the app is imported
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.hours.models import HourEntry
from portal.people.models import Student


def main():
    app, seconds = bench.seeded_app()
    with app.app_context():
        school_id = 1
        print(f"district demo seeded in {seconds:.1f} s; "
              f"{db.session.scalar(select(func.count()).select_from(Student))} students and "
              f"{db.session.scalar(select(func.count()).select_from(HourEntry))} hour entries in all; school 1 has "
              f"{db.session.scalar(select(func.count()).select_from(Student).where(Student.school_id == school_id))}"
              f" students")
        engine = db.engine
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    client = bench.login(app, "coordinator")
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
        print(bench.line(label, bench.timed(client, "GET", url, **kw), f"; {count} SQL statements"))


if __name__ == "__main__":
    main()
