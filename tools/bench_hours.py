"""Time the hours pages on the district demo data: a volunteer's totals page and the approval queue.

    .venv/bin/python tools/bench_hours.py            # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_hours.py   # an EMPTY PostgreSQL database

Each figure is a full HTTP request through the app (login session, queries, page render), repeated.
"""
import bench_common as bench  # sets the environment before the app is imported
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.hours.models import HourEntry


def main():
    app, seconds = bench.seeded_app()
    with app.app_context():
        print(f"district demo seeded in {seconds:.1f} s; "
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
    staff = bench.login(app, coordinator)
    volunteer = bench.login(app, "volunteer")
    htmx = {"HX-Request": "true"}
    results = [
        (f"volunteer's own totals page /hours/ ({own_rows} entries)", bench.timed(volunteer, "GET", "/hours/")),
        (f"totals page of the busiest volunteer, as coordinator ({entries} entries)",
         bench.timed(staff, "GET", f"/hours/volunteers/{busiest}")),
        ("approval queue /hours/queue (pending, first page)", bench.timed(staff, "GET", "/hours/queue")),
        ("approval queue, htmx search partial", bench.timed(staff, "GET", "/hours/queue?q=wang", headers=htmx)),
        ("school totals /hours/ (this year, every volunteer)", bench.timed(staff, "GET", "/hours/")),
        ("bulk approve 20 rows (htmx, list re-rendered)",
         bench.timed(staff, "POST", "/hours/review", rounds=1, headers=htmx, data={"ids": ids, "action": "approve"})),
    ]
    for label, values in results:
        print(bench.line(label, values))

if __name__ == "__main__":
    main()
