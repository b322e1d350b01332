"""Time matching on the district demo data: suggestions for one need, and the whole-menu plan.

    .venv/bin/python tools/bench_matching.py            # a fresh SQLite file in a temporary directory
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python tools/bench_matching.py   # an EMPTY PostgreSQL database

Suggestions are timed as a coordinator's full HTTP request (login session, page render) and as the
service call alone; the plan as the service call that solves, stores and commits it.
"""
import random
import statistics
import time

import bench_common as bench  # sets the environment before the app is imported
from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.matching import services
from portal.needs.models import Need


def main():
    app, seconds = bench.seeded_app()
    with app.app_context():
        print(f"district demo seeded in {seconds:.1f} s")
        school_id, waiting = db.session.execute(
            select(Need.school_id, func.count()).where(Need.status == "open").group_by(Need.school_id)
            .order_by(func.count().desc()).limit(1)).one()
        coordinator = db.session.scalar(select(User).where(User.school_id == school_id, User.role == "coordinator"))
        need_ids = db.session.scalars(select(Need.id).where(Need.school_id == school_id, Need.status == "open")).all()
        sample = random.Random(5).sample(need_ids, min(50, len(need_ids)))
        service = []
        for need_id in sample:
            t = time.perf_counter()
            services.suggestions(db.session.get(Need, need_id))
            service.append(time.perf_counter() - t)
            db.session.expire_all()
        username = coordinator.username
    client = bench.login(app, username)
    http = []
    for need_id in sample:
        t = time.perf_counter()
        r = client.get(f"/matching/needs/{need_id}")
        http.append(time.perf_counter() - t)
        assert r.status_code == 200, r.status_code
    with app.app_context():
        plans = []
        for _ in range(3):
            t = time.perf_counter()
            plan = services.make_plan(db.session.get(User, coordinator.id))
            plans.append(time.perf_counter() - t)
        print(f"school {school_id}: {waiting} needs waiting, {plan.places_considered} free places, "
              f"plan pairs {len(plan.proposals)}, total {plan.total} vs greedy {plan.greedy_total}")
    for label, values in (("suggestions, service", service), ("suggestions, HTTP page", http)):
        print(bench.line(label, values, f" ({len(values)} needs)"))
    print(f"whole-menu plan (solve + store): median {bench.ms(statistics.median(plans))} ms, "
          f"max {bench.ms(max(plans))} ms")


if __name__ == "__main__":
    main()
