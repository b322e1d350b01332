"""Time every Excel export of the district demo's busiest school, and show the largest one stays linear in its rows.

    .venv/bin/python tools/bench_exports.py          # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_exports.py   # an EMPTY PostgreSQL database

Each export is a full HTTP request through the app, timed three times; its memory is the peak Python allocated
during one more (tracemalloc, which slows it, so that run is not timed). Then the hours ledger, the largest export,
is written for the same school with its ledger grown to 12,500 and to 50,000 rows: time per row must stay flat
(a writer that rescans the sheet per row, as before issue 27, took 56 s for 10,000). Writes bench/results/
<date>-exports.md.
"""
import datetime as dt
import random
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import bench_common as bench  # sets the environment before the app is imported
from sqlalchemy import func, insert, select

from portal.auth.models import User
from portal.events.models import Event
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.parent_school.models import CourseSession
from portal.people.models import Volunteer

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"
# A gunicorn worker is killed after 30 s; an export must finish well inside it.
WORKER_TIMEOUT_S = 30


def _export(client, url):
    started = time.perf_counter()
    r = client.get(url)
    took = time.perf_counter() - started
    assert r.status_code == 200 and r.data[:2] == b"PK", (url, r.status_code)
    return took, len(r.data)


def _measure(client, url, rounds=3):
    times = [_export(client, url)[0] for _ in range(rounds)]
    tracemalloc.start()
    _took, size = _export(client, url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak, size


def _grow_ledger(school_id, volunteer_ids, entered_by, total):
    """Add ledger rows to the school until it holds `total`: approved entries spread over the last two years."""
    have = db.session.scalar(select(func.count()).select_from(HourEntry).where(HourEntry.school_id == school_id))
    today, rnd = dt.date.today(), random.Random(total)
    rows = [{"school_id": school_id, "volunteer_id": rnd.choice(volunteer_ids), "hours": Decimal("1.5"),
             "worked_on": today - dt.timedelta(days=rnd.randrange(700)), "activity": "lecture", "status": "approved",
             "entered_by_id": entered_by, "note": "五老进课堂，讲革命故事"} for _ in range(max(0, total - have))]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(HourEntry), rows[start:start + 5000])
    db.session.commit()
    return total


def main():
    app, seconds = bench.seeded_app()
    with app.app_context():
        school_id, entries = db.session.execute(
            select(HourEntry.school_id, func.count()).group_by(HourEntry.school_id)
            .order_by(func.count().desc()).limit(1)).one()
        coordinator = db.session.execute(select(User.username, User.id).where(
            User.school_id == school_id, User.role == "coordinator")).first()
        volunteers = db.session.scalars(select(Volunteer.id).where(Volunteer.school_id == school_id)).all()
        session_id = db.session.scalar(select(CourseSession.id).where(CourseSession.school_id == school_id).limit(1))
        year = dt.date.today().year
        events = db.session.scalar(select(func.count()).select_from(Event).where(Event.school_id == school_id))
    staff = bench.login(app, coordinator.username)
    exports = [
        (f"hours ledger, all periods ({entries} rows)", "/hours/export.xlsx?period=all"),
        ("hours recognition list", f"/hours/recognition.xlsx?year={year}"),
        ("needs menu", "/needs/export.xlsx"),
        ("offers menu", "/offers/export.xlsx"),
        (f"行事历 ({events} events)", "/calendar/export.xlsx"),
        ("parent school attendance, one session", f"/parent-school/sessions/{session_id}/attendance.xlsx"),
        ("year's work ledger (年度工作台账)", f"/reports/annual.xlsx?year={year}"),
    ]
    lines = [f"# Excel exports, {dt.date.today().isoformat()}", "",
             f"District demo seeded in {seconds:.0f} s ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}); "
             f"the busiest school ({school_id}) as its coordinator. Best of three, and the peak Python memory of a "
             "fourth run.", "", "| export | time | peak memory | file |", "|---|---:|---:|---:|"]
    for label, url in exports:
        took, peak, size = _measure(staff, url)
        lines.append(f"| {label} | {bench.ms(took)} ms | {peak / 2**20:.1f} MB | {size / 1024:.0f} KB |")
        print(lines[-1], flush=True)

    lines += ["", "The hours ledger with the school's ledger grown (linear: time per row stays flat):", "",
              "| rows | time | per row | peak memory | file |", "|---:|---:|---:|---:|---:|"]
    per_row = []
    for total in (12_500, 50_000):
        with app.app_context():
            _grow_ledger(school_id, volunteers, coordinator.id, total)
        took, peak, size = _measure(staff, "/hours/export.xlsx?period=all", rounds=1)
        per_row.append(took / total)
        lines.append(f"| {total:,} | {took:.1f} s | {took / total * 1e6:.0f} µs | {peak / 2**20:.0f} MB | "
                     f"{size / 2**20:.1f} MB |")
        print(lines[-1], flush=True)
    ratio = per_row[1] / per_row[0]
    verdict = ("linear" if ratio < 1.5 else "NOT linear") + f": per-row time ×{ratio:.2f} for 4× the rows"
    fits = took < WORKER_TIMEOUT_S / 2
    lines += ["", verdict + f"; 50,000 rows in {took:.1f} s, "
              + ("well inside" if fits else "NOT well inside") + f" the {WORKER_TIMEOUT_S} s worker timeout."]
    print(lines[-1])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{dt.date.today().isoformat()}-exports.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return 0 if ratio < 1.5 and fits else 1


if __name__ == "__main__":
    sys.exit(main())
