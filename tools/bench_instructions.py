"""Instructions a request costs, counted by valgrind: steady where timings on a shared machine are not.

    .venv/bin/python tools/bench_instructions.py          # a fresh SQLite file; needs valgrind (apt-get install valgrind)

Seeds the district demo, then runs one process under callgrind with counting switched off; it logs in a
coordinator, warms up, and counts only the requests: the eight list pages and partials of `make bench`'s closed
loop; the same eight with their statements run but nothing rendered (the lists' queries, a floor under any page
built per request); the portal's own page of what the bare page shows, a class's students (page and search
partial); a logged-in page that renders nothing (the floor), the layout alone, and the bare Flask page.
Counts are per request, the test client included. Worker-side only: PostgreSQL's own work is not in them.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5
HTMX = {"HX-Request": "true"}
CLOSED_LOOP = [("/needs/", {}), ("/offers/", {}), ("/pairs/", {}), ("/hours/queue", {}),
               ("/needs/?q=李", HTMX), ("/offers/?q=李", HTMX), ("/pairs/?q=王", HTMX), ("/hours/queue?q=王", HTMX)]


def count(client, requests):
    """Run the requests with callgrind counting on (this process runs under valgrind)."""
    for path, headers in requests:  # warm: templates compiled, statements cached
        assert client.get(path, headers=headers).status_code == 200, path
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for path, headers in requests:
        for _ in range(ROUNDS):
            client.get(path, headers=headers)
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def measure(what):
    sys.path.insert(0, str(ROOT))
    if what == "bare":
        sys.path.insert(0, str(ROOT / "bench"))
        import bare_app
        count(bare_app.app.test_client(), [("/students?class_id=5", {})])
        return
    from sqlalchemy import select

    from portal import create_app, demo
    from portal.auth.models import User
    from portal.extensions import db
    from portal.people.models import SchoolClass
    from portal.permissions import requires

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    if what == "unrendered":
        import portal.core.htmx

        # The views run as they are (filters, page and count statements, page-only lists); only the template is
        # left out. Statements a template would have set off (lazy loads) are left out with it: a lower bound.
        portal.core.htmx.render_template = lambda *_a, **_kw: ""

    # Compiled once, as a template file would be.
    pages = {"floor": app.jinja_env.from_string("{{ current_user.display_name }}"),
             "layout": app.jinja_env.from_string('{% extends "base.html" %}{% block content %}{% endblock %}')}

    @app.get("/_<any(floor, layout):page>")
    @requires("home.view")
    def _probe(page):
        context = {}
        app.update_template_context(context)
        return pages[page].render(context)

    with app.app_context():
        username = db.session.scalar(select(User.username).where(User.school_id == 3, User.role == "coordinator"))
        class_id = db.session.scalar(select(SchoolClass.id).where(SchoolClass.school_id == 3).order_by(SchoolClass.id))
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD}).status_code == 302
    roster = f"/people/students?class_id={class_id}"
    count(client, CLOSED_LOOP if what in ("closed", "unrendered") else
          [(roster, {}), (roster, HTMX)] if what == "roster" else [(f"/_{what}", {})])


def main():
    env = {**os.environ, "SECRET_KEY": "bench",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'tools'); import bench_common as b; "
                    "print(f'district demo seeded in {b.seeded_app()[1]:.1f} s')"], cwd=ROOT, env=env, check=True)
    for what, n in (("closed", len(CLOSED_LOOP)), ("unrendered", len(CLOSED_LOOP)), ("roster", 2), ("floor", 1),
                    ("layout", 1), ("bare", 1)):
        with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
            subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out.name}",
                            sys.executable, __file__, "--measure", what], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            total = next(int(line.split()[1]) for line in Path(out.name).read_text().splitlines()
                         if line.startswith("totals:"))
        print(f"{what}: {total / n / ROUNDS / 1e6:.1f} million instructions a request")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2])
    else:
        main()
