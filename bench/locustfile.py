"""The load `make bench` drives, one user class per phase; bench/run.py picks the class on locust's command line.

    MixCoordinator, MixVolunteer, MixParent   the realistic mix: logged-in users, one task a second each
    ListsClosedLoop                           list pages and search partials, no wait (throughput vs the bare page)
    BareClosedLoop                            the bare Flask page, no wait
    StormParent                               300 families log in, wait for each other, then register at once

BENCH_PLAN names the JSON the setup step wrote (accounts, ids); BENCH_OUT is where the figures go (per request
name, HTTP status counts, the storm's outcome, the server's CPU seconds); BENCH_SERVER_PID is gunicorn's master.
Request names start with their kind (list, partial, page, form, post, login, storm), which run.py groups by.
"""
import itertools
import json
import os
import random
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import gevent
from gevent.event import Event
from locust import constant, constant_pacing, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PLAN = json.load(open(os.environ["BENCH_PLAN"], encoding="utf-8"))
PASSWORD = PLAN["password"]
HTMX = {"HX-Request": "true", "HX-Target": "results", "HX-Trigger": "q"}
# What people type into the search boxes: surnames, a given name, pinyin initials, words of a need.
QUERIES = ["王", "李", "张", "刘", "陈", "子涵", "浩", "w", "zh", "lx", "数学", "心理", "辅导", "老", "建国"]
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
STATUS = defaultdict(Counter)  # request name -> HTTP status (0: no answer) -> count
NEXT = defaultdict(itertools.count)  # user class -> next account: each locust user its own
STARTED = Counter()
CPU = {}  # the server workers' CPU seconds at the start and end of the measured window


def server_cpu():
    """utime + stime of the gunicorn workers (children of BENCH_SERVER_PID): CPU per request is a figure that
    other load on the machine hardly moves, unlike the times."""
    master = os.environ.get("BENCH_SERVER_PID")
    if not master:
        return None
    pids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = sum(sum(map(int, Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[11:13])) for p in pids)
    return ticks / os.sysconf("SC_CLK_TCK")


@events.request.add_listener
def _count(name, response=None, exception=None, **_kw):
    code = getattr(response, "status_code", 0) or 0
    STATUS[name][str(code if code else "conn-error")] += 1


def figures(e):
    """One stats entry; locust's percentiles are its own rounded buckets (2 significant digits above 100 ms)."""
    return {"requests": e.num_requests, "failures": e.num_failures, "p50_ms": e.get_response_time_percentile(0.5),
            "p95_ms": e.get_response_time_percentile(0.95), "p99_ms": e.get_response_time_percentile(0.99),
            "max_ms": round(e.max_response_time or 0), "rps": round(e.total_rps, 1)}


@events.test_stop.add_listener
def _write(environment, **_kw):
    """The final figures, read here because the --csv files are rewritten once a second and not at the end
    (the storm's last answers were missing from them)."""
    CPU.setdefault("end", server_cpu())
    stats = {e.name: figures(e) for e in environment.stats.entries.values() if e.num_requests}
    stats["Aggregated"] = figures(environment.stats.total)
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as fh:
        json.dump({"stats": stats, "status": STATUS, "storm": STORM_LOG, "cpu": CPU}, fh)


class _Form(HTMLParser):
    """The fields a browser would send from the first POST form whose action contains `action` (a form without
    one posts to its own page): hidden inputs (csrf_token, submit_token, …) and the first option of each select."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.select, self.fields = action, False, None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.fields:
            self.inside = (a.get("method") or "").lower() == "post" and self.action in (a.get("action") or self.action)
        elif not self.inside:
            return
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and self.select not in self.fields:
            self.fields[self.select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_fields(html, action):
    parser = _Form(action)
    parser.feed(html)
    return parser.fields


def ready(environment):
    """Count a user as started; once all are, start the figures afresh: the steady state is what is measured,
    not the ramp, when every user logs in at once (Argon2id: a tenth of a second or more of both cores each)."""
    STARTED["n"] += 1
    if STARTED["n"] == environment.runner.target_user_count:
        environment.runner.stats.reset_all()
        STATUS.clear()
        CPU["start"] = server_cpu()


class Portal(FastHttpUser):
    abstract = True
    # One client per user, as one browser; sync gunicorn workers close the connection after each answer.
    concurrency = 1
    accounts = ()

    def on_start(self):
        self.me = self.accounts[next(NEXT[type(self).__name__]) % len(self.accounts)]
        try:
            self.login()
        finally:
            ready(self.environment)

    def login(self, name="login"):
        """GET the form, POST it with its CSRF token; the portal answers a good login with a redirect."""
        self.client.cookiejar.clear()
        page = self.client.get("/login", name=f"{name}: GET /login")
        fields = form_fields(page.text, "")
        fields.update(username=self.me["username"], password=PASSWORD)
        with self.client.post("/login", data=fields, name=f"{name}: POST /login", allow_redirects=False,
                              catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"login answered {r.status_code}")
        self.csrf = TOKEN.search(self.client.get("/", name=f"{name}: GET / (home)").text).group(1)

    def htmx_search(self, path, label):
        self.client.get(f"{path}?q={random.choice(QUERIES)}", headers=HTMX, name=f"partial: {label}?q=")


class MixCoordinator(Portal):
    """The committee office: lists, searching, matching, pairs, approving hours, the parent school."""
    weight = 10
    wait_time = constant_pacing(1)
    accounts = PLAN["coordinators"]

    @task(2)
    def needs(self):
        self.client.get("/needs/", name="list: /needs/")

    @task(3)
    def needs_search(self):
        self.htmx_search("/needs/", "/needs/")

    @task(1)
    def offers(self):
        self.client.get("/offers/", name="list: /offers/")

    @task(2)
    def offers_search(self):
        self.htmx_search("/offers/", "/offers/")

    @task(2)
    def suggestions(self):
        self.client.get(f"/matching/needs/{random.choice(self.me['needs'])}", name="page: /matching/needs/<id>")

    @task(1)
    def pairs(self):
        self.client.get("/pairs/", name="list: /pairs/")

    @task(1)
    def pairs_search(self):
        self.htmx_search("/pairs/", "/pairs/")

    @task(1)
    def pair(self):
        self.client.get(f"/pairs/{random.choice(self.me['pairs'])}", name="page: /pairs/<id>")

    @task(1)
    def hours_queue(self):
        self.client.get("/hours/queue", name="list: /hours/queue")

    @task(1)
    def approve_hours(self):
        """Open the queue as htmx does, approve one pending row on it (another user may have just done so)."""
        page = self.client.get("/hours/queue", headers=HTMX, name="partial: /hours/queue?q=").text
        ids = re.findall(r'name="ids" value="(\d+)"', page)
        if ids:
            self.client.post("/hours/review", headers={**HTMX, "X-CSRFToken": self.csrf},
                             data={"csrf_token": self.csrf, "ids": random.choice(ids), "action": "approve"},
                             name="post: /hours/review (approve)")

    @task(1)
    def parent_school(self):
        self.client.get("/parent-school/", name="list: /parent-school/ (staff)")

    @task(1)
    def relogin(self):
        self.login("relogin")


class MixVolunteer(Portal):
    """五老 volunteers on a phone: log hours, look at their pairs and the offers."""
    weight = 6
    wait_time = constant_pacing(1)
    accounts = PLAN["volunteers"]

    @task(2)
    def log_hours(self):
        page = self.client.get("/hours/new", name="form: /hours/new").text
        fields = form_fields(page, "/hours/new")
        # Half an hour on a random day of the last year: the 12-hours-a-day rule is rarely in the way.
        fields.update(worked_on=(date.today() - timedelta(days=random.randint(1, 330))).isoformat(), hours="0.5",
                      activity=random.choice(("lecture", "safety", "other", "home_visit")), pair_id="0",
                      event_id="0", note="压测：护学岗")
        with self.client.post("/hours/new", data=fields, name="post: /hours/new", allow_redirects=False,
                              catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"hours not saved ({r.status_code})")

    @task(2)
    def my_pairs(self):
        self.client.get("/pairs/", name="list: /pairs/ (volunteer)")

    @task(1)
    def pair(self):
        self.client.get(f"/pairs/{random.choice(self.me['pairs'])}", name="page: /pairs/<id> (volunteer)")

    @task(1)
    def my_hours(self):
        self.client.get("/hours/", name="page: /hours/ (volunteer)")

    @task(1)
    def offers(self):
        self.client.get("/offers/", name="list: /offers/ (volunteer)")


class MixParent(Portal):
    """Parents: the parent-school sessions for their children, one session's page, home."""
    weight = 4
    wait_time = constant_pacing(1)
    accounts = PLAN["parents"]

    @task(3)
    def sessions(self):
        self.client.get("/parent-school/", name="list: /parent-school/ (family)")

    @task(1)
    def session(self):
        self.client.get(f"/parent-school/sessions/{self.me['session']}", name="page: /parent-school/sessions/<id>")

    @task(1)
    def home(self):
        self.client.get("/", name="page: / (home)")


class ListsClosedLoop(Portal):
    """Coordinators asking for list pages and search partials back to back: the portal's throughput."""
    wait_time = constant(0)
    accounts = PLAN["coordinators"]

    @task
    def lists(self):
        path = random.choice(("/needs/", "/offers/", "/pairs/", "/hours/queue"))
        if random.random() < 0.5:
            self.client.get(path, name="closed: list")
        else:
            self.client.get(f"{path}?q={random.choice(QUERIES)}", headers=HTMX, name="closed: partial")


class BareClosedLoop(FastHttpUser):
    wait_time = constant(0)
    concurrency = 1

    def on_start(self):
        ready(self.environment)

    @task
    def page(self):
        self.client.get(f"/students?class_id={random.choice(PLAN['class_ids'])}", name="closed: bare page")


STORM_READY, STORM_DONE, STORM_GO = Counter(), Counter(), Event()
STORM_LOG = Counter()  # where each registration ended: seat page, back on the list (refused), error


class StormParent(Portal):
    """One family each: log in and open the page with the register button, then wait until all are ready,
    so every POST leaves at the same moment."""
    wait_time = constant(0)
    accounts = PLAN["storm"]["accounts"]
    network_timeout = 120.0  # the 300 logins before the storm queue behind each other's Argon2id

    def on_start(self):
        self.session_id, self.fields = PLAN["storm"]["session_id"], {}
        try:
            self.me = self.accounts[next(NEXT["storm"])]
            self.login("storm login")
            page = self.client.get("/parent-school/", name="storm: GET /parent-school/ (before)").text
            self.fields = form_fields(page, f"/parent-school/sessions/{self.session_id}/register")
        finally:  # a family that could not log in must not hold the others back
            STORM_READY["n"] += 1
            if STORM_READY["n"] == len(self.accounts):
                CPU["start"] = server_cpu()
                STORM_GO.set()

    @task
    def register(self):
        if not STORM_GO.wait(timeout=600):
            STORM_LOG["never started"] += 1
            raise StopUser()
        url = f"/parent-school/sessions/{self.session_id}/register"
        with self.client.post(url, data=self.fields, name="storm: POST register", allow_redirects=False,
                              catch_response=True) as r:
            where = r.headers.get("Location", "") if r.status_code == 302 else ""
            if where.endswith(f"/parent-school/sessions/{self.session_id}"):
                STORM_LOG["registered"] += 1
            else:  # refused (back on the list with a message), or an HTTP error
                STORM_LOG[f"status {r.status_code} {where}".strip()] += 1
                r.failure(f"not registered: {r.status_code} {where}")
        if where:  # the browser follows the redirect: seat or waiting-list place, code and QR
            self.client.get(where, name="storm: GET session page (after)")
        STORM_DONE["n"] += 1
        if STORM_DONE["n"] == len(self.accounts):
            CPU["end"] = server_cpu()
            gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser()
