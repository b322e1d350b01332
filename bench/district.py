"""The district's table at scale: how long /district/ takes for the bureau's officer over N schools (issue 31: under
1 s at 200), on PostgreSQL.

A fresh database (`carebridge_bench_district`, dropped and created), migrated and seeded with the district demo of
N schools alike (`flask seed-demo --scale district --schools N`, about 2 s a school); then the officer's table for
the current term and for the year, each asked REPEAT times in the portal's own process after one warm-up, timed
from request to response with the statements it ran counted. Writes bench/results/<date>-district-<N>.md.

    .venv/bin/python bench/district.py     # 200 schools; BENCH_SCHOOLS=20, BENCH_REUSE=1, BENCH_PG_URL=… another server
"""
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", "200"))
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = "carebridge_bench_district"
REUSE = os.environ.get("BENCH_REUSE") == "1"  # measure the database the last run seeded again
REPEAT = 15
LIMIT_MS = 1000


def log(msg):
    print(f"[district bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def database_url(reuse=False) -> str:
    """A new, empty database; or (reuse) the one the last run seeded."""
    from sqlalchemy import create_engine, make_url, text

    admin = make_url(PG_ADMIN)
    if not reuse:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DB}"'))
        engine.dispose()
    return admin.set(drivername="postgresql+psycopg", database=DB).render_as_string(hide_password=False)


def analyze(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str) -> list[tuple[str, list[float], int]]:
    """In a child process: the portal reads DATABASE_URL when it is imported."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import event

    from portal import create_app
    from portal.demo import DEMO_PASSWORD
    from portal.extensions import db

    app = create_app()
    out = []
    with app.app_context():
        client = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        r = client.post("/login", data={"username": "officer", "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
        assert r.status_code == 302, r.status_code
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
        for label, path in (("term", "/district/"), ("year", f"/district/?period=y{date.today().year}"),
                            ("sorted", "/district/?sort=attendance&dir=asc")):
            assert client.get(path).status_code == 200  # warm-up
            times = []
            for _ in range(REPEAT):
                statements.clear()
                started = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200 and "学校工作数据" in r.get_data(as_text=True)
            out.append((label, times, len(statements)))
    return out


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        for label, times, n in measure(sys.argv[2]):
            print(f"{label}\t{statistics.median(times):.1f}\t{max(times):.1f}\t{n}")
        return
    url = database_url(reuse=REUSE)
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "SECRET_KEY": "bench",
           "DISTRICT_FILE_DIR": str(ROOT / "instance" / "bench-district-files")}
    started = time.monotonic()
    if not REUSE:
        log(f"migrating and seeding {SCHOOLS} schools into {DB}")
        subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([str(BIN / "flask"), "seed-demo", "--scale", "district", "--schools", str(SCHOOLS)], cwd=ROOT,
                       env=env, check=True)
    # The statistics a running server's autovacuum keeps: without them the planner takes the district's tables for
    # small ones and sorts where it would hash.
    analyze(url)
    seeded = time.monotonic() - started
    log(f"seeded and analysed in {seeded:.0f} s; measuring")
    got = subprocess.run([sys.executable, __file__, "--measure", url], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in got.strip().splitlines()]
    lines = [f"# The district's table at {SCHOOLS} schools, {date.today()}", "",
             f"PostgreSQL, the district demo of {SCHOOLS} schools "
             f"({'the last run’s, analysed again' if REUSE else f'seeded and analysed in {seeded:.0f} s'}); the officer's "
             f"`/district/`, {REPEAT} requests each after a warm-up, in the portal's process (no network). "
             f"Limit: {LIMIT_MS} ms.", "",
             "| page | median ms | slowest ms | statements | under the limit |", "|---|---:|---:|---:|---|"]
    for label, median, slowest, n in rows:
        lines.append(f"| {label} | {median} | {slowest} | {n} | {'yes' if float(slowest) < LIMIT_MS else 'NO'} |")
    text_out = "\n".join(lines) + "\n"
    print(text_out)
    target = ROOT / "bench" / "results" / f"{date.today()}-district-{SCHOOLS}.md"
    target.write_text(text_out, encoding="utf-8")
    log(f"written {target.relative_to(ROOT)}")
    if any(float(slowest) >= LIMIT_MS for _l, _m, slowest, _n in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
