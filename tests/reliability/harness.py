"""The portal as production runs it: gunicorn in its own process group on a database of the test's own, office
staff logging volunteers' hours from several threads through the real form, and checks of what the database holds.

Plain values only cross into the writers' threads; they have no app context."""
import http.client
import http.cookiejar
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import and_, create_engine, exists, func, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.extensions import db
from tests import factories
from tests.conftest import CSRF_RE, make_config, require

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Argon2 at the tests' cost inside the workers, as the registration storm test does.
GUNICORN_CONF = ROOT / "tests/parent_school/gunicorn_conf.py"
SUBMIT_TOKEN_RE = re.compile(r'name="submit_token"[^>]*value="([0-9a-f]{32})"')
ERROR_RE = re.compile(r'class="(?:field-error|flash flash-error)"[^>]*>(.*?)</', re.S)
NOTE_PREFIX = "rel-"


def env_for(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "COOKIE_SECURE": "0",
           "SECRET_KEY": "reliability-" + secrets.token_hex(16)}
    for name in ("REDIS_URL", "TRUST_PROXY"):
        env.pop(name, None)
    return env


def flask_cli(url: str, *args: str, timeout: int = 60) -> str:
    """`flask …` against the database at url, as an operator runs it; its output."""
    done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env_for(url), capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@dataclass
class Office:
    """The seeded school: the coordinator who logs hours on the volunteers' behalf, and the volunteers."""
    username: str
    volunteer_ids: list[int]


def seed_office(url: str, volunteers: int = 8) -> Office:
    """Migrations, then a school with a coordinator and some volunteers, in the empty database at url."""
    app = create_app(make_config(url))
    with app.app_context():
        upgrade()
        school = factories.school("可靠性测试小学")
        coordinator = factories.user(school, "coordinator", "office")
        ids = [factories.volunteer(school, f"志愿者{i}").id for i in range(volunteers)]
        office = Office(coordinator.username, ids)
        db.session.remove()
        db.engine.dispose()
    return office


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:  # state, then parent pid
            out.add(int(stat.parent.name))
    return out


class Gunicorn:
    """`gunicorn --workers 2 wsgi:app` on a free port, each start in a new process group so that a test can kill
    the whole of it; stop() ends whatever is left of every group it started."""

    def __init__(self, url: str, log_dir: Path):
        require((BIN / "gunicorn").exists(), "gunicorn is not installed in the virtualenv")
        self.env = env_for(url)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self._groups: list[int] = []

    def start(self, timeout: float = 30):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{self.port}", "--timeout", "20",
                 "-c", str(GUNICORN_CONF), "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._groups.append(self.proc.pid)
        deadline = time.monotonic() + timeout
        while not (self._healthy() and len(self.workers()) == 2):
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                return resp.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def workers(self) -> set[int]:
        return _children(self.proc.pid)

    def kill_worker(self, timeout: float = 30) -> int:
        """kill -9 one worker; returns once the master has a new one in its place."""
        victim = min(self.workers())
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while victim in self.workers() or len(self.workers()) < 2:
            assert time.monotonic() < deadline, f"gunicorn did not replace worker {victim}:\n{self.log_tail()}"
            time.sleep(0.1)
        return victim

    def kill_everything(self):
        """kill -9 the master, then its workers before they notice: a power cut, as far as the database sees."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self._kill_group(self.proc.pid)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        for group in self._groups:
            self._kill_group(group)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.wait(timeout=10)

    @staticmethod
    def _kill_group(group: int):
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One person's browser: own cookies, redirects reported rather than followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _Stay())

    def open(self, path: str, data: dict | None = None, timeout: float = 15) -> tuple[int, str, str]:
        """(status, Location, body). Raises OSError when the server is not there or breaks off its answer."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            try:
                with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=timeout) as resp:
                    return resp.status, resp.headers.get("Location", ""), resp.read().decode()
            except urllib.error.HTTPError as err:
                return err.code, err.headers.get("Location", ""), err.read().decode(errors="replace")
        except urllib.error.URLError as err:
            raise OSError(str(err.reason)) from err
        except http.client.HTTPException as err:  # a worker killed while sending: IncompleteRead and the like
            raise OSError(f"{type(err).__name__}: {err}") from err

    def login(self, username: str):
        status, _, html = self.open("/login")
        assert status == 200, (status, html[-500:])
        status, _, html = self.open("/login", {"username": username, "password": factories.PASSWORD,
                                               "csrf_token": csrf(html)})
        assert status == 302, (username, status, html[-500:])


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@dataclass
class Burst:
    """Office staff in several browsers logging half an hour each for volunteers, as fast as the portal answers.
    Each entry carries a unique note; every outcome is recorded as the client saw it."""
    base: str
    office: Office
    threads: int = 4
    attempted: set[str] = field(default_factory=set)
    acked: list[str] = field(default_factory=list)      # 302 to the next entry: the portal said "saved"
    rejected: list[tuple[str, str]] = field(default_factory=list)  # the form came back with a message
    unknown: list[tuple[str, str]] = field(default_factory=list)   # no answer, or a 5xx: saved or not
    lost_sessions: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._seq = itertools.count()
        self._workers: list[threading.Thread] = []
        # Each (volunteer, day) is used once, far below the 12 hours a day a volunteer may log.
        self._yesterday = date.today() - timedelta(days=1)

    def __enter__(self):
        browsers = [Browser(self.base) for _ in range(self.threads)]
        for b in browsers:
            b.login(self.office.username)
        self._workers = [threading.Thread(target=self._write, args=(b, n), daemon=True)
                         for n, b in enumerate(browsers)]
        for t in self._workers:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._workers:
            t.join(timeout=30)

    def _entry(self, form_html: str, note: str) -> dict:
        k = next(self._seq)
        vols = self.office.volunteer_ids
        return {"csrf_token": csrf(form_html), "submit_token": SUBMIT_TOKEN_RE.search(form_html).group(1),
                "volunteer_id": str(vols[k % len(vols)]),
                "worked_on": (self._yesterday - timedelta(days=k // len(vols))).isoformat(),
                "hours": "0.5", "activity": "other", "pair_id": "0", "event_id": "0", "note": note}

    def _write(self, browser: Browser, n: int):
        try:
            self._loop(browser, n)
        except Exception as exc:  # a writer that dies must fail the test, not thin the burst
            self.crashed.append(f"{type(exc).__name__}: {exc}")

    def _loop(self, browser: Browser, n: int):
        for i in itertools.count():
            if self._stop.is_set():
                return
            note = f"{NOTE_PREFIX}{n}-{i}-{secrets.token_hex(4)}"
            try:
                status, where, html = browser.open("/hours/new")
                if status != 200:  # no write was tried: a worker restarting answers nothing useful
                    if "/login" in where:
                        self.lost_sessions.append(where)
                    time.sleep(0.1)
                    continue
                data = self._entry(html, note)
            except OSError:
                time.sleep(0.1)  # the portal is down: try again, as a person would
                continue
            self.attempted.add(note)
            try:
                status, where, html = browser.open("/hours/new", data)
            except OSError as err:
                self.unknown.append((note, f"{type(err).__name__}: {err}"))
                continue
            if status == 302 and "/hours/new" in where:
                self.acked.append(note)
            elif status == 200:
                self.rejected.append((note, " | ".join(m.strip() for m in ERROR_RE.findall(html))))
            else:
                self.unknown.append((note, f"HTTP {status} {where}"))

    def wait_acked(self, more: int, timeout: float = 30):
        """Until `more` further writes are acknowledged."""
        target = len(self.acked) + more
        deadline = time.monotonic() + timeout
        while len(self.acked) < target:
            assert time.monotonic() < deadline, (f"only {len(self.acked)} of {target} writes acknowledged; rejected "
                                                 f"{self.rejected[-3:]}, unknown {self.unknown[-3:]}")
            assert not self.rejected, f"the portal refused valid entries: {self.rejected[:3]}"
            assert not self.crashed, self.crashed
            time.sleep(0.05)


# --- what the database holds -----------------------------------------------------------------------

def engine_for(url: str):
    return create_engine(url, poolclass=NullPool)


def saved_notes(url: str) -> dict[str, int]:
    """The burst's entries in the database: note -> number of rows with it."""
    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT note, count(*) FROM hour_entry WHERE note LIKE :p GROUP BY note"),
                            {"p": NOTE_PREFIX + "%"})
        return dict(rows.all())


def table_counts(url: str) -> dict[str, int]:
    engine = engine_for(url)
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}


def integrity_problems(url: str) -> list[str]:
    """Damage and dangling references: SQLite's own checks, then for every foreign key of the models the rows
    whose parent is missing (PostgreSQL enforces them; the query proves it held)."""
    problems = []
    with engine_for(url).connect() as conn:
        if make_url(url).get_backend_name() == "sqlite":
            verdict = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            if verdict != ["ok"]:
                problems += [f"integrity_check: {v}" for v in verdict]
            problems += [f"foreign_key_check: {tuple(r)}" for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]
        for table in db.metadata.sorted_tables:
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table.alias("parent")
                pairs = [(col, parent.c[el.column.name]) for col, el in zip(fk.columns, fk.elements, strict=True)]
                orphans = conn.execute(select(func.count()).select_from(table).where(
                    *(col.is_not(None) for col, _ in pairs),
                    ~exists().where(and_(*(col == ref for col, ref in pairs))))).scalar_one()
                if orphans:
                    problems.append(f"{orphans} row(s) of {table.name} point to missing {fk.referred_table.name}")
    return problems


def half_saved(url: str) -> list[str]:
    """An entry made on a volunteer's behalf is saved with its audit row in one transaction: never one alone."""
    with engine_for(url).connect() as conn:
        lone_entries = conn.execute(text(
            "SELECT h.id FROM hour_entry h WHERE h.on_behalf AND (SELECT count(*) FROM audit_entry a "
            "WHERE a.action = 'hours.on_behalf' AND a.object_type = 'HourEntry' AND a.object_id = h.id) <> 1"
        )).scalars().all()
        lone_audits = conn.execute(text(
            "SELECT a.id FROM audit_entry a WHERE a.action = 'hours.on_behalf' "
            "AND NOT EXISTS (SELECT 1 FROM hour_entry h WHERE h.id = a.object_id)")).scalars().all()
    return [f"hour_entry {i} without its one audit row" for i in lone_entries] + \
        [f"audit_entry {i} for an entry that is not there" for i in lone_audits]


def backup_counts(path: Path, backend: str) -> dict[str, int]:
    """Rows per table as the backup file itself holds them: SQLite's file opened read-only, or the COPY blocks of
    the pg_dump archive as pg_restore prints them."""
    if backend == "sqlite":
        with engine_for(f"sqlite:///file:{path}?mode=ro&uri=true").connect() as conn:
            names = inspect(conn).get_table_names()
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}
    script = subprocess.run(["pg_restore", "--data-only", "--file=-", str(path)], capture_output=True, text=True,
                            check=True).stdout
    counts, table = {}, None
    for line in script.splitlines():
        if table is None:
            match = re.match(r'COPY public\."?([^" ]+)"? \(.*\) FROM stdin;$', line)
            if match:
                table = match.group(1)
                counts[table] = 0
        elif line == "\\.":
            table = None
        else:
            counts[table] += 1  # COPY text escapes newlines inside values: one line, one row
    return counts
