"""Time the hours pages on the district demo data: a volunteer's totals page and the approval queue.

    .venv/bin/python tools/bench_hours.py            # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_hours.py   # an EMPTY PostgreSQL database

Each figure is a full HTTP request through the app (login session, queries, page render), repeated.
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
from sqlalchemy import func, select  # noqa: E402

from portal import create_app, demo  # noqa: E402
from portal.auth.models import User  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.hours.models import HourEntry  # noqa: E402

ROUNDS = 30


def ms(seconds):
    return round(seconds * 1000, 1)


def timed(client, method, url, rounds=ROUNDS, **kw):
    values = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.open(url, method=method, **kw)
        values.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code)
    return values


def login(app, username):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def main():
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        demo.seed("district")
        print(f"district demo seeded in {time.perf_counter() - started:.1f} s; "
              f"{db.session.scalar(select(func.count()).select_from(HourEntry))} hour entries in all")
        busiest, entries = db.session.execute(
            select(HourEntry.volunteer_id, func.count()).group_by(HourEntry.volunteer_id)
            .order_by(func.count().desc()).limit(1)).one()
        school_id = db.session.scalar(select(HourEntry.school_id).where(HourEntry.volunteer_id == busiest).limit(1))
        coordinator = db.session.scalar(select(User.username).where(User.school_id == school_id,
                                                                    User.role == "coordinator"))
        pending = db.session.scalar(select(func.count()).select_from(HourEntry).where(
            HourEntry.school_id == school_id, HourEntry.status == "pending"))
        school_rows = db.session.scalar(select(func.count()).select_from(HourEntry).where(
            HourEntry.school_id == school_id))
        ids = db.session.scalars(select(HourEntry.id).where(HourEntry.school_id == school_id,
                                                            HourEntry.status == "pending").limit(20)).all()
        own = db.session.scalar(select(User.volunteer_id).where(User.username == "volunteer"))
        own_rows = db.session.scalar(select(func.count()).select_from(HourEntry).where(HourEntry.volunteer_id == own))
    print(f"school {school_id}: {school_rows} entries, {pending} pending; busiest volunteer {entries} entries")
    staff = login(app, coordinator)
    volunteer = login(app, "volunteer")
    htmx = {"HX-Request": "true"}
    results = [
        (f"volunteer's own totals page /hours/ ({own_rows} entries)", timed(volunteer, "GET", "/hours/")),
        (f"totals page of the busiest volunteer, as coordinator ({entries} entries)",
         timed(staff, "GET", f"/hours/volunteers/{busiest}")),
        ("approval queue /hours/queue (pending, first page)", timed(staff, "GET", "/hours/queue")),
        ("approval queue, htmx search partial", timed(staff, "GET", "/hours/queue?q=wang", headers=htmx)),
        ("school totals /hours/ (this year, every volunteer)", timed(staff, "GET", "/hours/")),
        ("bulk approve 20 rows (htmx, list re-rendered)",
         timed(staff, "POST", "/hours/review", rounds=1, headers=htmx, data={"ids": ids, "action": "approve"})),
    ]
    for label, values in results:
        if len(values) > 1:
            q = statistics.quantiles(values, n=20)
            print(f"{label}: median {ms(statistics.median(values))} ms, p95 {ms(q[-1])} ms, max {ms(max(values))} ms")
        else:
            print(f"{label}: {ms(values[0])} ms")


if __name__ == "__main__":
    main()
