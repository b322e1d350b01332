"""`make bench`: the portal under load, as deployed, on SQLite and on PostgreSQL.

For each database: a fresh one (a temporary SQLite file; PostgreSQL `carebridge_bench`, dropped and created, when
the server answers), the district demo seeded into it plus the bench's accounts and a 60-seat session; gunicorn
serving the portal and the bare Flask page (bench/bare_app.py) with the same settings; locust headless driving
  1. a warm-up (not counted), then the realistic mix: USERS logged-in users, each starting one task a second;
  2. list pages and search partials in a closed loop, no wait, USERS users; then the bare page the same way;
  3. the registration storm: STORM_FAMILIES families, all logged in first, register for one session at once.
Then it reads the workers' memory and the storm's outcome from the database, and writes
bench/results/<date>.json and .md with the figures and the checks. Takes about 8 minutes.

    .venv/bin/python bench/run.py     # BENCH_PG_URL=… another PostgreSQL server, BENCH_WORKERS=…, BENCH_KEEP_DB=1
"""
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
# Sync workers, 3: the README's production command and the Dockerfile's default. A request is CPU-bound Python,
# one per worker at a time, so a third worker keeps both cores busy while another waits on the database or the
# network; more would add memory and SQLite write-lock contention, and locust shares the same 2 cores.
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
GUNICORN = ["--workers", str(WORKERS), "--worker-class", "sync"]
USERS = 20
WARMUP_S, MIX_S, CLOSED_S = 10, 60, 30
STORM_FAMILIES, STORM_SEATS, STORM_LOGINS_PER_S = 300, 60, 8
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "carebridge_bench"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")  # a database number tests do not use
LIST_P95_MS, SUGGEST_P95_MS, STORM_P95_MS, RATIO_MIN, RSS_MAX_MB = 150, 100, 1000, 0.5, 200


def log(msg):
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


# --- setup: runs in a child process, since the portal reads DATABASE_URL when it is imported ---------------------

def setup(plan_path):
    """Migrate and seed the district, then add what the load needs; write the accounts and ids to plan_path."""
    import random

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    sys.path.insert(0, str(ROOT))
    from portal import create_app, demo
    from portal.auth.models import User
    from portal.auth.services import hash_password
    from portal.extensions import db
    from portal.needs.models import Need
    from portal.pairs.models import Pair, PairVolunteer
    from portal.parent_school.models import Course, CourseSession
    from portal.people.models import Guardian, School, SchoolClass, Student
    from portal.registrations.services import local_now

    rng = random.Random(10)
    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        demo.seed("district")
        seeded = time.perf_counter() - started
        pw = hash_password(demo.DEMO_PASSWORD)  # one hash for every bench account: hashing 350 would take a minute
        taken = set(db.session.scalars(select(User.guardian_id).where(User.guardian_id.is_not(None))))

        def families(school_id, count, grades=None):
            """Guardians of distinct families of the school with no account yet (first guardian of each)."""
            stmt = (select(Guardian.id, Guardian.family_id).join(Student, Student.family_id == Guardian.family_id)
                    .join(SchoolClass, SchoolClass.id == Student.class_id)
                    .where(Guardian.school_id == school_id, Student.active.is_(True)).order_by(Guardian.id))
            if grades:
                stmt = stmt.where(SchoolClass.grade.in_(grades))
            seen, out = set(), []
            for gid, fid in db.session.execute(stmt):
                if fid not in seen and gid not in taken:
                    seen.add(fid)
                    out.append(gid)
            out = rng.sample(out, count)
            taken.update(out)
            return out

        def account(school_id, username, role, **links):
            db.session.add(User(school_id=school_id, username=username, display_name=username, role=role,
                                password_hash=pw, **links))
            return {"username": username}

        plan = {"password": demo.DEMO_PASSWORD, "seed_seconds": round(seeded, 1), "coordinators": [],
                "volunteers": [], "parents": []}
        schools = db.session.scalars(select(School.id).order_by(School.id)).all()
        for sid in schools[:10]:  # the load spreads over ten of the twenty schools
            coordinator = db.session.scalar(select(User).where(User.school_id == sid, User.role == "coordinator")
                                            .order_by(User.id))
            needs = db.session.scalars(select(Need.id).where(Need.school_id == sid, Need.status == "open")).all()
            pairs = db.session.scalars(select(Pair.id).where(Pair.school_id == sid, Pair.status == "active")).all()
            plan["coordinators"].append({"username": coordinator.username, "needs": needs, "pairs": pairs})
            busiest = db.session.execute(
                select(PairVolunteer.volunteer_id, func.count()).join(Pair).where(Pair.school_id == sid,
                                                                                  Pair.status == "active")
                .group_by(PairVolunteer.volunteer_id).order_by(func.count().desc(), PairVolunteer.volunteer_id)
                .limit(2)).all()
            for n, (vid, _count) in enumerate(busiest):
                mine = db.session.scalars(select(PairVolunteer.pair_id).where(PairVolunteer.volunteer_id == vid)).all()
                plan["volunteers"].append(account(sid, f"benchvol{sid}x{n}", "volunteer", volunteer_id=vid)
                                          | {"pairs": mine})
            # Parents of grades 3–4, who see the most sessions; their session page is the talk open to all grades.
            talk = db.session.scalar(select(CourseSession.id).join(Course).where(
                Course.school_id == sid, Course.target_grades == "", CourseSession.status == "open"))
            for n, gid in enumerate(families(sid, 2, grades=(3, 4))):
                plan["parents"].append(account(sid, f"benchpar{sid}x{n}", "parent", guardian_id=gid) | {"session": talk})

        # The storm: one session of 60 seats at the first school, open to every grade, and 300 of its families.
        first = schools[0]
        office = db.session.scalar(select(User.id).where(User.school_id == first, User.role == "coordinator"))
        course = Course(school_id=first, title="家庭教育公开课（压测）", kind="elective", target_grades="",
                        sessions_required=1, lecturer_name="区家庭教育指导中心", created_by_id=office)
        start = (local_now() + timedelta(days=14)).replace(hour=19, minute=0, second=0, microsecond=0)
        storm = CourseSession(school_id=first, course=course, starts_at=start, ends_at=start + timedelta(minutes=90),
                              deadline=start - timedelta(days=1), capacity=STORM_SEATS, place="学校报告厅")
        db.session.add_all([course, storm])
        storm_accounts = [account(first, f"storm{n:03d}", "parent", guardian_id=gid)
                          for n, gid in enumerate(families(first, STORM_FAMILIES))]
        db.session.commit()
        plan["storm"] = {"session_id": storm.id, "accounts": storm_accounts}
        plan["class_ids"] = db.session.scalars(select(SchoolClass.id)).all()
        if db.engine.dialect.name == "postgresql":
            # A production server's autovacuum has analysed its tables long ago; right after a bulk seed it has
            # not, and the planner, guessing, scanned all 30 000 students for a page of 25 pairs (5 ms instead of
            # 0.6). SQLite is left as the portal leaves it: it never runs ANALYZE.
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    Path(plan_path).write_text(json.dumps(plan), encoding="utf-8")


# --- processes ---------------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:  # other engineers' servers run here too: let the kernel pick
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app, env, errlog, extra=()):
    """Serve `app` on a free port until the block ends, however it ends; yields (master pid, base URL)."""
    port = free_port()
    cmd = [str(BIN / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{port}", "--error-logfile", str(errlog),
           *extra, app]
    # Its own process group, so stopping it reaches the workers too and nothing else.
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited: {Path(errlog).read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + ("/healthz" if app == "wsgi:app" else "/students"), timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"gunicorn {app} did not answer")
        yield proc.pid, url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def workers(master):
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def worker_rss_mb(master):
    """VmRSS of each worker (the master's children), in MB."""
    return [round(int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024, 1)
            for pid in workers(master)]


def locust(classes, server, users, seconds, prefix, plan, spawn_rate=None):
    """Run locust headless against server (master pid, URL); returns what the locustfile wrote at the end:
    figures per request name, status counts, the storm's outcome, the workers' CPU seconds over the window."""
    (pid, host), out = server, Path(f"{prefix}.json")
    env = {**os.environ, "BENCH_PLAN": str(plan), "BENCH_OUT": str(out), "BENCH_SERVER_PID": str(pid)}
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), *classes, "--headless",
           "--host", host, "-u", str(users), "-r", str(spawn_rate or users), "-t", f"{seconds}s",
           "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    with open(f"{prefix}.log", "w") as fh:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=seconds + 240)
    if not out.exists():
        raise RuntimeError(f"locust wrote no figures: {Path(f'{prefix}.log').read_text()[-3000:]}")
    return json.loads(out.read_text())


def http_errors(status):
    """5xx answers and requests that got no answer at all."""
    return sum(n for codes in status.values() for code, n in codes.items()
               if code == "conn-error" or code.startswith("5"))


# --- one database ------------------------------------------------------------------------------------------------

def bench_db(label, url, tmp):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_DEBUG", "BENCH_"))}
    env.update(DATABASE_URL=url, SECRET_KEY=secrets.token_hex(32), FLASK_APP="wsgi")
    if label == "postgresql" and redis_up():  # production (docker compose) throttles logins in Redis
        env["REDIS_URL"] = REDIS
    plan = tmp / f"{label}-plan.json"
    log(f"{label}: migrate, seed the district, add the bench accounts")
    done = subprocess.run([sys.executable, __file__, "--setup", str(plan)], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"setup failed:\n{done.stderr[-3000:]}")
    seed_s = json.loads(plan.read_text())["seed_seconds"]
    storm_session = json.loads(plan.read_text())["storm"]["session_id"]
    out = {"database_url": re.sub(r"//[^@/]*@", "//", url), "seed_seconds": seed_s,
           "redis_throttle": "REDIS_URL" in env, "loadavg_before": os.getloadavg(), "phases": {}}
    with gunicorn("wsgi:app", env, tmp / f"{label}-portal.log") as portal, \
            gunicorn("bare_app:app", env, tmp / f"{label}-bare.log", ["--pythonpath", "bench"]) as bare:
        mix = ["MixCoordinator", "MixVolunteer", "MixParent"]
        log(f"{label}: warm-up {WARMUP_S} s")
        locust(mix, portal, USERS, WARMUP_S, tmp / f"{label}-warmup", plan)
        locust(["BareClosedLoop"], bare, 2, 3, tmp / f"{label}-warmbare", plan)
        log(f"{label}: mix, {USERS} users, one task a second each, {MIX_S} s")
        out["phases"]["mix"] = phase(locust(mix, portal, USERS, MIX_S, tmp / f"{label}-mix", plan))
        log(f"{label}: closed loop, {USERS} users, lists and partials, {CLOSED_S} s")
        out["phases"]["closed_portal"] = phase(locust(["ListsClosedLoop"], portal, USERS, CLOSED_S,
                                                       tmp / f"{label}-closed", plan))
        log(f"{label}: closed loop, {USERS} users, the bare page, {CLOSED_S} s")
        out["phases"]["closed_bare"] = phase(locust(["BareClosedLoop"], bare, USERS, CLOSED_S,
                                                     tmp / f"{label}-bare", plan))
        log(f"{label}: registration storm, {STORM_FAMILIES} families for {STORM_SEATS} seats")
        # The families log in a few a second (a login is ~0.12 s of both cores, Argon2id: 300 at once would only
        # queue), then wait for each other; the storm is the moment the last one is ready.
        out["phases"]["storm"] = phase(locust(["StormParent"], portal, STORM_FAMILIES, 600, tmp / f"{label}-storm",
                                               plan, spawn_rate=STORM_LOGINS_PER_S))
        out["rss_mb"] = {"portal": worker_rss_mb(portal[0]), "bare": worker_rss_mb(bare[0])}
    out["storm_db"] = storm_outcome(url, storm_session)
    out["loadavg_after"] = os.getloadavg()
    out["checks"] = checks(out)
    return out


def phase(extra):
    rows, cpu = extra["stats"], extra.get("cpu", {})
    cpu_s = round(cpu["end"] - cpu["start"], 2) if {"start", "end"} <= cpu.keys() else None
    # The storm's window is from the go to the last answer: its logins and first pages came before.
    storm = [e["requests"] for k, e in rows.items() if k.startswith("storm:") and "(before)" not in k]
    counted = sum(storm) if storm else rows.get("Aggregated", {}).get("requests", 0)
    return {"endpoints": rows, "http_errors": http_errors(extra.get("status", {})), "status": extra.get("status", {}),
            "storm_log": extra.get("storm"), "server_cpu_s": cpu_s,
            "cpu_ms_per_request": round(cpu_s * 1000 / counted, 1) if cpu_s and counted else None}


def storm_outcome(url, session_id):
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT status, COUNT(*) FROM registration WHERE session_id = :s "
                                        "GROUP BY status"), {"s": session_id}).all())
        taken, capacity = conn.execute(text("SELECT taken, capacity FROM course_session WHERE id = :s"),
                                       {"s": session_id}).one()
    engine.dispose()
    return {"registrations": counts, "taken": taken, "capacity": capacity}


def checks(out):
    mix, storm = out["phases"]["mix"]["endpoints"], out["phases"]["storm"]
    lists = {k: v for k, v in mix.items() if k.startswith(("list:", "partial:"))}
    worst = max(lists, key=lambda k: lists[k]["p95_ms"] or 0)
    portal_rps = out["phases"]["closed_portal"]["endpoints"]["Aggregated"]["rps"]
    bare_rps = out["phases"]["closed_bare"]["endpoints"]["Aggregated"]["rps"]
    ratio = round(portal_rps / bare_rps, 2)
    suggest = mix["page: /matching/needs/<id>"]["p95_ms"]
    reg = out["storm_db"]["registrations"]
    storm_p95 = storm["endpoints"]["storm: POST register"]["p95_ms"]
    rss = max(out["rss_mb"]["portal"])
    return [dict(zip(("check", "pass", "measured"), c, strict=True)) for c in [
        (f"p95 of list pages and partials ≤ {LIST_P95_MS} ms ({USERS} users, mix)",
         lists[worst]["p95_ms"] <= LIST_P95_MS, f"worst {worst}: {lists[worst]['p95_ms']} ms"),
        (f"throughput ≥ {RATIO_MIN}× the bare Flask page (closed loop, {USERS} users)", ratio >= RATIO_MIN,
         f"{portal_rps} / {bare_rps} req/s = {ratio}×"),
        (f"storm: exactly {STORM_SEATS} confirmed, the rest waitlisted",
         reg.get("confirmed") == STORM_SEATS and reg.get("waitlisted") == STORM_FAMILIES - STORM_SEATS
         and out["storm_db"]["taken"] == STORM_SEATS, f"{reg}, taken {out['storm_db']['taken']}"),
        ("storm: 0 HTTP errors (5xx, no answer)", storm["http_errors"] == 0, f"{storm['http_errors']} errors"),
        (f"storm: p95 of the registration POST < {STORM_P95_MS} ms", storm_p95 < STORM_P95_MS, f"{storm_p95} ms"),
        (f"suggestions for one need: p95 < {SUGGEST_P95_MS} ms (mix)", suggest < SUGGEST_P95_MS, f"{suggest} ms"),
        (f"gunicorn worker RSS < {RSS_MAX_MB} MB (after the run)", rss < RSS_MAX_MB, f"max {rss} MB"),
    ]]


# --- databases, the machine, the report --------------------------------------------------------------------------

def redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def fresh_postgres():
    """Drop and create carebridge_bench; None when no PostgreSQL answers."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
            server = conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        log(f"PostgreSQL not reachable ({str(exc).strip()[:80]}): SQLite only")
        return None, None
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{PG_DB}", server


def drop_postgres():
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def machine(pg_version):
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    mem = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return {"nproc": os.cpu_count(), "cpu_model": cpu.group(1) if cpu else platform.processor(),
            "ram_gb": round(int(mem.group(1)) / 1024 ** 2, 1), "os": platform.platform(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "postgresql": pg_version,
            **{p: version(p) for p in ("gunicorn", "locust", "Flask", "SQLAlchemy", "psycopg")}}


def markdown(report):
    m, lines = report["machine"], []
    lines += [f"# make bench — {report['date']}", "",
              f"Machine: {m['nproc']} cores ({m['cpu_model']}), {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
              f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'not run'}; gunicorn {m['gunicorn']}, "
              f"locust {m['locust']}.", "",
              f"Server: `gunicorn {' '.join(GUNICORN)} wsgi:app` (SECRET_KEY set, no debug, no access log); the bare page "
              "`bench/bare_app.py` under the same settings. Load generator on the same machine.", "",
              f"Load: warm-up {WARMUP_S} s (not counted); **mix** {USERS} users (10 coordinators, 6 volunteers, "
              f"4 parents over 10 schools), each starting one task a second (constant pacing), {MIX_S} s; "
              f"**closed loop** {USERS} users with no wait, {CLOSED_S} s each for the portal's list pages and search "
              f"partials and for the bare page; **storm** {STORM_FAMILIES} families logged in first "
              f"({STORM_LOGINS_PER_S} a second), then all POST register for one {STORM_SEATS}-seat session at once. "
              "Mix and closed-loop figures count from the moment every user has logged in (the ramp, when all log in "
              "at once, is left out; the mix's coordinators log in again now and then); the storm's figures include "
              "its logins. Times in ms as locust reports them (rounded to 2 significant digits above 100 ms).", ""]
    for label, r in report["databases"].items():
        lines += [f"## {label}", "", f"Seeded in {r['seed_seconds']} s; load average before {r['loadavg_before'][0]:.2f},"
                  f" after {r['loadavg_after'][0]:.2f}; login throttle in {'Redis' if r['redis_throttle'] else 'the database'}.",
                  "", "| check | result | measured |", "|---|---|---|"]
        lines += [f"| {c['check']} | {'PASS' if c['pass'] else '**FAIL**'} | {c['measured']} |" for c in r["checks"]]
        for key, title in (("mix", "Mix"), ("closed_portal", "Closed loop, portal"),
                           ("closed_bare", "Closed loop, bare page"), ("storm", "Registration storm")):
            p = r["phases"][key]
            lines += ["", f"### {title} — HTTP errors (5xx, no answer): {p['http_errors']}; server CPU "
                      f"{p['server_cpu_s']} s, {p['cpu_ms_per_request']} ms a request", "",
                      "| endpoint | requests | failures | p50 | p95 | p99 | max | req/s |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for name, e in sorted(p["endpoints"].items(), key=lambda kv: (kv[0] == "Aggregated", kv[0])):
                lines.append(f"| {name} | {e['requests']} | {e['failures']} | {e['p50_ms']} | {e['p95_ms']} | "
                             f"{e['p99_ms']} | {e['max_ms']} | {e['rps']} |")
            if p.get("storm_log"):
                lines += ["", f"Storm answers: {p['storm_log']}; in the database: {r['storm_db']}."]
        lines += ["", f"Worker RSS after the run (MB): portal {r['rss_mb']['portal']}, bare {r['rss_mb']['bare']}.", ""]
    return "\n".join(lines) + "\n"


def main():
    # A stop (make's Ctrl-C, a TERM) runs the finally blocks: gunicorn stopped, temporary files removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.time()
    report = {"date": date.today().isoformat(), "started": datetime.now().isoformat(timespec="seconds"),
              "settings": {"portal": f"gunicorn {' '.join(GUNICORN)} --bind 127.0.0.1:<free port> wsgi:app",
                           "bare": f"gunicorn {' '.join(GUNICORN)} --bind 127.0.0.1:<free port> --pythonpath bench "
                                   "bare_app:app", "env": "SECRET_KEY set, no FLASK_DEBUG, no access log",
                           "users": USERS, "mix": "10 coordinators, 6 volunteers, 4 parents; one task a second each",
                           "warmup_s": WARMUP_S, "mix_s": MIX_S, "closed_s": CLOSED_S,
                           "storm_families": STORM_FAMILIES, "storm_seats": STORM_SEATS,
                           "storm_logins_per_s": STORM_LOGINS_PER_S},
              "databases": {}}
    pg_url = None
    with tempfile.TemporaryDirectory(prefix="carebridge-bench-") as tmp:
        try:
            pg_url, pg_version = fresh_postgres()
            report["machine"] = machine(pg_version)
            targets = [("sqlite", f"sqlite:///{tmp}/bench.db")] + ([("postgresql", pg_url)] if pg_url else [])
            for label, url in targets:
                report["databases"][label] = bench_db(label, url, Path(tmp))
        finally:
            if pg_url and not os.environ.get("BENCH_KEEP_DB"):
                drop_postgres()
    report["seconds"] = round(time.time() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / report["date"]
    path.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    path.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    log(f"written {path}.json and .md in {report['seconds']} s")
    failed = [c for r in report["databases"].values() for c in r["checks"] if not c["pass"]]
    log(f"{len(failed)} check(s) failed" if failed else "all checks pass")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--setup"]:
        setup(sys.argv[2])
    else:
        main()
