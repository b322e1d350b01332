"""Issue 29's measure: a generated school roster (3,000 students by default, SIZE=… to change) read, previewed and
imported into an empty school, then read and previewed again; the seconds of each step. Run on the database of
DATABASE_URL (its tables are dropped and made again):

    DATABASE_URL=sqlite:////tmp/roster-bench.db SECRET_KEY=x .venv/bin/python bench/roster_import.py
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402
from portal.auth.models import User  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.people import roster_import  # noqa: E402
from portal.people.models import School  # noqa: E402
from tests.people.roster_workbook import school_roster  # noqa: E402


def timed(step):
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def main():
    app = create_app()
    with app.test_request_context():
        db.drop_all()
        db.create_all()
        school = School(name="基准学校")
        db.session.add(school)
        db.session.flush()
        office = User(school_id=school.id, username="office", display_name="office", role="coordinator",
                      password_hash="x")
        db.session.add(office)
        db.session.commit()
        planted = school_roster(seed=7, bad=20, size=int(os.environ.get("SIZE", "3000")))
        batch, read = timed(lambda: roster_import.stage(office, "roster.xlsx", planted.data))
        plan, preview = timed(lambda: roster_import.plan(school.id, roster_import.roster_of(batch)))
        db.session.rollback()
        summary, applied = timed(lambda: roster_import.apply(office, batch))
        again, reread = timed(lambda: roster_import.stage(office, "roster.xlsx", planted.data))
        replan, repreview = timed(lambda: roster_import.plan(school.id, roster_import.roster_of(again)))
        print(f"{db.engine.dialect.name}: {planted.rows} rows, {len(planted.data) // 1024} KB")
        print(f"  read {read:.2f} s, preview {preview:.2f} s, import {applied:.2f} s: {read + preview + applied:.2f} s")
        print(f"  new students {summary['students']['new']}, guardians {summary['guardians']['new']}, "
              f"families {summary['families']['new']}")
        print(f"  the same file again: read {reread:.2f} s, preview {repreview:.2f} s, "
              f"unchanged students {replan.summary()['students']['same']}")


if __name__ == "__main__":
    main()
