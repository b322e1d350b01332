"""What the bench tools share: a fresh database (a temporary SQLite file unless DATABASE_URL names an empty one),
the district demo seeded into it, logged-in clients and the figures printed.

Import it before anything from `portal`: it sets the environment the app reads when it is created."""
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

from portal import create_app, demo  # noqa: E402

ROUNDS = 30


def ms(seconds):
    return round(seconds * 1000, 1)


def seeded_app():
    """The app over a database holding the district demo, and the seconds seeding took."""
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        demo.seed("district")
        return app, time.perf_counter() - started


def login(app, username):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def timed(client, method, url, rounds=ROUNDS, **kw):
    values = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.open(url, method=method, **kw)
        values.append(time.perf_counter() - t)
        assert r.status_code == 200, (url, r.status_code)
    return values


def line(label, values, extra=""):
    if len(values) == 1:
        return f"{label}: {ms(values[0])} ms{extra}"
    q = statistics.quantiles(values, n=20)
    return (f"{label}: median {ms(statistics.median(values))} ms, p95 {ms(q[-1])} ms, max {ms(max(values))} ms"
            f"{extra}")
