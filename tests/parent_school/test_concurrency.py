"""Seats hold when families arrive at the same moment (SQLite by default, PostgreSQL with DATABASE_URL).

First the service called from many threads at once, each with its own app context and database session; then
200 parents registering through real gunicorn workers in separate processes, all released together.
"""
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.core.errors import DomainError
from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.people.models import Guardian, Student
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.conftest import CSRF_RE, require
from tests.parent_school.common import at_once, fresh, many_families, positions, reg_of, registrations, session_for

pytestmark = pytest.mark.usefixtures("door_always_open")

ROOT = Path(__file__).resolve().parents[2]
WAITING_RE = re.compile(r"候补第\s*(\d+)\s*位")


def _register(session_id, student_id, user_id):
    """One family's request, as its own transaction would run it; returns plain values."""
    reg, created = seats.register(db.session.get(CourseSession, session_id), db.session.get(Student, student_id),
                                  db.session.get(User, user_id))
    return reg.family_id, reg.status, created


def _cancel(registration_id, user_id, staff=False):
    promoted = seats.cancel(db.session.get(Registration, registration_id), db.session.get(User, user_id), staff=staff)
    return [p.id for p in promoted]


def _assert_queue(session_id, capacity, n):
    """n families, `capacity` seated: the first arrivals hold the seats, the rest wait 1..n-capacity."""
    regs = registrations(session_id)
    assert len(regs) == n
    assert sorted(r.seq for r in regs) == list(range(1, n + 1))
    assert [r.status for r in regs] == ["confirmed"] * capacity + ["waitlisted"] * (n - capacity)
    assert positions(session_id) == list(range(1, n - capacity + 1))
    s = fresh(session_id)
    assert (s.taken, s.queue_no) == (capacity, n)
    return regs


# --- the service, from many threads ----------------------------------------------------------------

def test_200_families_register_for_50_seats_at_once(app, world):
    s = session_for(world, capacity=50)
    kids = many_families(world.own_class, 200)
    parent_id = world.users["parent"].id

    results = at_once(app, [lambda kid_id=k.id: _register(s.id, kid_id, parent_id) for k in kids])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    assert all(created for _, _, created in results)
    assert sorted(status for _, status, _ in results) == ["confirmed"] * 50 + ["waitlisted"] * 150
    regs = _assert_queue(s.id, 50, 200)
    # What each family was told is what the database holds.
    told = {family_id: status for family_id, status, _ in results}
    assert all(told[r.family_id] == r.status for r in regs)


@pytest.mark.parametrize("at_once_n", [2, 8])
def test_families_cancelling_at_once_seat_as_many_first_waiting(app, world, at_once_n):
    """Two (then eight) seat holders cancel at the same moment: exactly that many of the first waiting families
    are seated, each freed seat going to a different one."""
    s = session_for(world, capacity=10)
    kids = many_families(world.own_class, 30)
    for k in kids:
        seats.register(s, k, world.users["parent"])
    parent_id = world.users["parent"].id

    for round_ in range(2):
        regs = registrations(s.id)
        holders = [r.id for r in regs if r.status == "confirmed"][:at_once_n]
        first_waiting = [r.id for r in regs if r.status == "waitlisted"][:at_once_n]

        results = at_once(app, [lambda rid=rid: _cancel(rid, parent_id) for rid in holders])

        assert all(isinstance(r, list) and len(r) == 1 for r in results), (round_, results)
        assert sorted(r[0] for r in results) == sorted(first_waiting)
        now = {r.id: r.status for r in registrations(s.id)}
        assert [now[rid] for rid in holders + first_waiting] == ["cancelled"] * at_once_n + ["confirmed"] * at_once_n
        assert fresh(s.id).taken == 10
        assert positions(s.id) == list(range(1, 21 - at_once_n * (round_ + 1)))


def test_families_cancelling_at_once_with_nobody_waiting_give_every_seat_back(app, world):
    s = session_for(world, capacity=10)
    kids = many_families(world.own_class, 10)
    for k in kids:
        seats.register(s, k, world.users["parent"])
    parent_id = world.users["parent"].id
    holders = [r.id for r in registrations(s.id)][:8]

    assert at_once(app, [lambda rid=rid: _cancel(rid, parent_id) for rid in holders]) == [[]] * 8

    assert fresh(s.id).taken == 2 and fresh(s.id).free == 8
    assert [r.status for r in registrations(s.id)] == ["cancelled"] * 8 + ["confirmed"] * 2


def test_the_office_and_a_family_cancelling_at_once_seat_two_waiting_families(app, world):
    s = session_for(world, capacity=2)
    kids = factories.families_with_children(world.own_class, 5)
    for k in kids:
        seats.register(s, k, world.users["parent"])
    holders = [reg_of(s, k).id for k in kids[:2]]
    office, parent = world.users["coordinator"].id, world.users["parent"].id

    results = at_once(app, [lambda: _cancel(holders[0], office, staff=True), lambda: _cancel(holders[1], parent)])

    assert sorted(r[0] for r in results) == [reg_of(s, kids[2]).id, reg_of(s, kids[3]).id]
    assert [reg_of(s, k).status for k in kids] == ["cancelled", "cancelled", "confirmed", "confirmed", "waitlisted"]
    assert fresh(s.id).taken == 2 and positions(s.id) == [1]


def test_one_family_registering_from_four_tabs_at_once_holds_one_place(app, world):
    s = session_for(world, capacity=5)
    fam = factories.family(world.school, "赵家")
    kids = [factories.student(world.own_class, "赵大宝", family=fam), factories.student(world.other_class, "赵小宝",
                                                                                        family=fam)]
    parent_id = world.users["parent"].id

    results = at_once(app, [lambda kid_id=kids[i % 2].id: _register(s.id, kid_id, parent_id) for i in range(4)])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(created for _, _, created in results) == [False, False, False, True]
    assert {status for _, status, _ in results} == {"confirmed"}
    assert len(registrations(s.id)) == 1
    assert (fresh(s.id).taken, fresh(s.id).queue_no) == (1, 1)


def test_a_family_coming_back_from_two_tabs_at_once_is_queued_once(app, world):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 2)
    for k in kids:
        seats.register(s, k, world.users["parent"])
    seats.cancel(reg_of(s, kids[0]), world.users["parent"])  # kids[1] takes the seat
    parent_id = world.users["parent"].id

    results = at_once(app, [lambda: _register(s.id, kids[0].id, parent_id) for _ in range(2)])

    assert sorted(created for _, _, created in results) == [False, True]
    assert [status for _, status, _ in results] == ["waitlisted", "waitlisted"]
    reg = reg_of(s, kids[0])
    assert (reg.status, reg.seq, seats.waiting_position(reg)) == ("waitlisted", 3, 1)
    assert (fresh(s.id).taken, fresh(s.id).queue_no, len(registrations(s.id))) == (1, 3, 2)


def test_a_walk_in_and_a_registration_for_the_last_seat_at_once(app, world):
    s = session_for(world, capacity=1)
    walker, registrant = factories.families_with_children(world.own_class, 2)
    office, parent = world.users["coordinator"].id, world.users["parent"].id

    def walk_in():
        try:
            reg, _ = seats.walk_in(db.session.get(CourseSession, s.id), db.session.get(Student, walker.id),
                                   db.session.get(User, office))
            return reg.status
        except DomainError as err:
            return err.message

    results = at_once(app, [walk_in, lambda: _register(s.id, registrant.id, parent)[1]])

    refused = factories.zh("No seat is free: all %(n)d seats are taken.", n=1)
    assert results in (["confirmed", "waitlisted"], [refused, "confirmed"]), results
    assert fresh(s.id).taken == 1 and len([r for r in registrations(s.id) if r.status == "confirmed"]) == 1


def test_two_waiting_families_checked_in_at_two_doors_for_the_last_seat(app, world):
    s = session_for(world, capacity=1)
    kids = factories.families_with_children(world.own_class, 3)
    for k in kids:
        seats.register(s, k, world.users["parent"])
    office = world.users["coordinator"]
    seats.cancel(reg_of(s, kids[0]), office, now=s.starts_at, staff=True)  # after the start: nobody is promoted
    codes = [reg_of(s, k).code for k in kids[1:]]

    def door(code):
        try:
            reg, created = seats.check_in(db.session.get(CourseSession, s.id), code, db.session.get(User, office.id))
            return reg.status, created
        except DomainError as err:
            return err.message

    results = at_once(app, [lambda code=code: door(code) for code in codes])

    refused = factories.zh("This family is on the waiting list and there is no free seat.")
    assert sorted(results, key=str) == sorted([("confirmed", True), refused], key=str), results
    assert fresh(s.id).taken == 1
    assert sorted(reg_of(s, k).status for k in kids[1:]) == ["confirmed", "waitlisted"]


# --- 200 parents through gunicorn ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_url(app, db_url, tmp_path_factory):
    """gunicorn with 4 worker processes of 4 threads on the tests' own database; its address."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    require(gunicorn.exists(), "gunicorn is not installed in the virtualenv")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_hex(32), "COOKIE_SECURE": "0"}
    for name in ("REDIS_URL", "TRUST_PROXY"):
        env.pop(name, None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(gunicorn), "--workers", "4", "--threads", "4", "--bind", f"127.0.0.1:{port}",
                                 "-c", str(Path(__file__).with_name("gunicorn_conf.py")), "wsgi:app"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _Stay(urllib.request.HTTPRedirectHandler):
    """Report a redirect instead of following it: the test checks the 302 itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One parent's browser: its own cookies, CSRF token from the page, redirects not followed."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _Stay())

    def open(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=120) as resp:
                return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode(errors="replace")

    def page(self, path):
        status, _, html = self.open(path)
        assert status == 200, (path, status, html[-500:])
        return html

    @staticmethod
    def csrf(html):
        match = CSRF_RE.search(html)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def login(self, username):
        token = self.csrf(self.page("/login"))
        status, headers, html = self.open("/login", {"username": username, "password": factories.PASSWORD,
                                                     "csrf_token": token})
        assert status == 302, (username, status, html[-500:])

    def register_form(self, session_id, student_id):
        """What the family page's form for the session sends: its hidden fields (CSRF token …) and the child."""
        html = self.page("/parent-school/")
        action = f"/parent-school/sessions/{session_id}/register"
        data = {"csrf_token": self.csrf(html), "student_id": str(student_id)}
        form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
        if form:
            for tag in re.findall(r"<input[^>]*>", form.group(1)):
                name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
                if name and 'type="hidden"' in tag:
                    data[name.group(1)] = value.group(1) if value else ""
            for name in re.findall(r'<(?:select|input)[^>]*name="([^"]*student_id)"', form.group(1)):
                data[name] = str(student_id)
        return data


def _parents(school, kids):
    """A parent account for each child's family, all with the one password hash the factories use (the server
    checks it at the same low cost, see gunicorn_conf.py)."""
    password_hash = factories._password_hash()
    guardians = dict(db.session.execute(select(Guardian.family_id, Guardian.id)
                                        .where(Guardian.family_id.in_([k.family_id for k in kids]))).all())
    users = [User(school_id=school.id, username=f"storm{i:03d}", display_name=f"家长{i}", role="parent",
                  password_hash=password_hash, guardian_id=guardians[k.family_id]) for i, k in enumerate(kids)]
    db.session.add_all(users)
    db.session.commit()
    return [u.username for u in users]


def _page_says(html):
    """已报名, or the waiting position, as the family's session page shows it."""
    numbers = {int(n) for n in WAITING_RE.findall(html)}
    if numbers:
        assert len(numbers) == 1, numbers
        return numbers.pop()
    return "已报名" if "已报名" in html else None


def test_200_parents_register_through_gunicorn_at_once(world, gunicorn_url):
    s = session_for(world, capacity=50)
    kids = many_families(world.own_class, 200, "风暴")
    usernames = _parents(world.school, kids)
    session_id, kid_ids = s.id, [k.id for k in kids]  # plain values: the browsers' threads have no app context
    browsers = [Browser(gunicorn_url) for _ in kids]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda b, name: b.login(name), browsers, usernames))
        forms = list(pool.map(lambda b, kid_id: b.register_form(session_id, kid_id), browsers, kid_ids))

    url = f"/parent-school/sessions/{session_id}/register"
    barrier, responses = threading.Barrier(len(browsers)), [None] * len(browsers)

    def post(i):
        barrier.wait(timeout=60)
        responses[i] = browsers[i].open(url, forms[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    statuses = [r[0] if r else None for r in responses]
    assert statuses == [302] * 200, sorted(set(statuses), key=str)
    assert {r[1]["Location"].split("?")[0].removeprefix(gunicorn_url) for r in responses} == \
        {f"/parent-school/sessions/{s.id}"}
    regs = _assert_queue(s.id, 50, 200)
    # Plain copies: the rows themselves are re-read after the cancellation.
    before = {r.id: r.status for r in regs}
    reg_of_kid = [next(r.id for r in regs if r.family_id == k.family_id) for k in kids]
    expected = ["已报名" if before[rid] == "confirmed" else seats.waiting_position(db.session.get(Registration, rid))
                for rid in reg_of_kid]
    page = f"/parent-school/sessions/{session_id}"
    with ThreadPoolExecutor(16) as pool:
        shown = list(pool.map(lambda b: _page_says(b.page(page)), browsers))
    wrong = [(i, expected[i], shown[i]) for i in range(200) if expected[i] != shown[i]]
    assert not wrong, wrong[:5]

    # A family holding a seat cancels: the first family waiting gets it, and its page says so.
    leaving = next(i for i, rid in enumerate(reg_of_kid) if before[rid] == "confirmed")
    queue = [i for i in sorted(range(200), key=lambda i: expected[i] if before[reg_of_kid[i]] == "waitlisted" else 0)
             if before[reg_of_kid[i]] == "waitlisted"]
    token = Browser.csrf(browsers[leaving].page(page))
    status, _, html = browsers[leaving].open(f"/parent-school/registrations/{reg_of_kid[leaving]}/cancel",
                                             {"csrf_token": token})
    assert status == 302, html[-500:]

    now = {r.id: r.status for r in registrations(s.id)}
    changed = {rid: (before[rid], now[rid]) for rid in now if now[rid] != before[rid]}
    assert changed == {reg_of_kid[leaving]: ("confirmed", "cancelled"), reg_of_kid[queue[0]]: ("waitlisted", "confirmed")}
    assert fresh(s.id).taken == 50 and positions(s.id) == list(range(1, 150))
    assert _page_says(browsers[queue[0]].page(page)) == "已报名"
    assert _page_says(browsers[queue[1]].page(page)) == 1
    assert _page_says(browsers[leaving].page(page)) is None  # neither seated nor waiting any more
