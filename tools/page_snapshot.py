"""Every page of the site map as each role sees it (whole page and htmx partial), written to a folder or compared
with one written before: for moves that must not change what a user sees, write before the move, compare after.

    .venv/bin/python tools/page_snapshot.py write /tmp/before
    .venv/bin/python tools/page_snapshot.py compare /tmp/before

The demo school is seeded on a clock held at one instant (the school's clock and the server's, which the demo reads for
its history), so dates and "n days ago" come out the same each run; the
CSRF token, new with every session, what is drawn at random, and the real time at which the run's rows were written (a
last login, the audit log) are blanked."""
import argparse
import difflib
import re
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import demo  # noqa: E402
from portal.core import clock  # noqa: E402
from portal.core.display import cn_datetime  # noqa: E402
from portal.demo import DEMO_PASSWORD, seed  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.conftest import Client, make_config  # noqa: E402
from tests.security import site  # noqa: E402

HELD_AT = datetime(2026, 12, 7, 10, 30)
CSRF = re.compile(r"\bI[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}")  # signed JSON, a time, a signature
# Drawn at random: the token that makes a submission count once, a calendar feed's secret, a stored photo's name.
RANDOM = re.compile(r'(?<=name="submit_token" type="hidden" value=")[0-9a-f]{32}|(?<=/calendar/feed/)[\w-]{32}(?=\.ics)'
                    r"|(?<=\d-)[0-9a-f]{24}(?=\.jpg)")


class _HeldDate(date):
    @classmethod
    def today(cls):
        return HELD_AT.date()


class _HeldDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return HELD_AT.replace(tzinfo=clock.SHANGHAI).astimezone(tz) if tz else HELD_AT


def snapshot() -> dict[str, str]:
    """{"role GET url [htmx]": html} for every HTML page of every role."""
    from portal import create_app

    po = Path(__file__).resolve().parent.parent / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        sys.exit("The catalogue is not compiled: run `make translations` first, or every page reads in English.")

    clock._wall = lambda: HELD_AT
    demo.date, demo.datetime = _HeldDate, _HeldDatetime
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_config(f"sqlite:///{tmp}/snapshot.db", EVENT_PHOTO_DIR=tmp))
        out = {}
        with app.app_context():
            db.create_all()
            seed()
            site.complete_demo()
            for role in site.ROLES:
                client = Client(app)
                if role != "anonymous":
                    client.login(role, DEMO_PASSWORD)
                for url in site.pages(role):
                    for htmx in (False, True):
                        r = client.get(url, headers={"HX-Request": "true"} if htmx else {})
                        html = RANDOM.sub("-", CSRF.sub("CSRF", r.get_data(as_text=True)))
                        out[f"{role} {url}{' [htmx]' if htmx else ''}"] = f"{r.status_code}\n{html}"
            db.session.remove()
            minutes = int((datetime.now(UTC) - started).total_seconds() // 60) + 2
            real = [cn_datetime(started + timedelta(minutes=m)) for m in range(minutes)]
    stamps = re.compile("|".join(map(re.escape, real)))
    return {key: stamps.sub("NOW", html) for key, html in out.items()}


def _file(folder: Path, key: str) -> Path:
    return folder / (re.sub(r"[^\w.-]+", "_", key).strip("_")[:180] + ".html")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "compare"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    pages = snapshot()
    if args.action == "write":
        args.folder.mkdir(parents=True, exist_ok=True)
        (args.folder / "index.txt").write_text("\n".join(pages), encoding="utf-8")
        for key, html in pages.items():
            _file(args.folder, key).write_bytes(html.encode())
        print(f"{len(pages)} pages written to {args.folder}")
        return 0
    before = (args.folder / "index.txt").read_text(encoding="utf-8").splitlines()
    differ = 0
    for key in sorted(set(before) | set(pages)):
        if key not in pages or key not in before:
            print(f"only {'before' if key in before else 'now'}: {key}")
            differ += 1
            continue
        old = _file(args.folder, key).read_bytes().decode()
        if old != pages[key]:
            differ += 1
            print(f"differs: {key}")
            sys.stdout.writelines(list(difflib.unified_diff(old.splitlines(True), pages[key].splitlines(True), n=1))[:40])
    print(f"{len(pages)} pages, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
