"""Small helpers the tests share: counting rows and statements, audits, and reading pages as a browser would."""
import io
import re
import threading
from contextlib import contextmanager
from html.parser import HTMLParser
from types import SimpleNamespace

from openpyxl import load_workbook
from sqlalchemy import event, func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests import factories
from tests.conftest import Client


def count(model) -> int:
    """How many rows of `model` there are: a refused form or a double submit must not add one."""
    return db.session.scalar(select(func.count()).select_from(model))


def audits(action):
    """The audit entries of one action, oldest first (PostgreSQL returns them in any order otherwise)."""
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def field_error(html, field_id) -> str:
    """The error shown beside one form field, or "" when there is none."""
    m = re.search(rf'<small class="field-error" id="{re.escape(field_id)}-error">(.*?)</small>', html, re.S)
    return m.group(1) if m else ""


def chips_error(html, name) -> str:
    """The error under a group of tap-chips or checkboxes, or "" when there is none."""
    for block in re.findall(r'<fieldset class="chips-set">(.*?)</fieldset>', html, re.S):
        if f'name="{name}"' in block:
            m = re.search(r'<small class="field-error">(.*?)</small>', block, re.S)
            return m.group(1).strip() if m else ""
    raise AssertionError(f"no chips for {name}")


def _together(n: int, work) -> None:
    """`work(i)` for i in range(n), each in a thread of its own, all let go at the same moment; back when all are
    done."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()


def post_at_once(clients, url, payloads):
    """Send the forms from two browser tabs at the same moment; returns the responses.
    `url` is one address for all, or a list with each tab's own."""
    urls = [url] * len(clients) if isinstance(url, str) else url
    responses = [None] * len(clients)

    def post(i):
        responses[i] = clients[i].http._client.post(urls[i], data=payloads[i])

    _together(len(clients), post)
    return responses


def run_at_once(app, job, n: int = 2) -> list[Exception]:
    """`job()` in n threads, each with an app context of its own, started at the same moment (two job runners, two
    servers); returns what they raised."""
    errors = []

    def run(_i):
        with app.app_context():
            try:
                job()
            except Exception as exc:  # noqa: BLE001 (returned: the test asserts there was none)
                errors.append(exc)
            finally:
                db.session.remove()

    _together(n, run)
    return errors


def menu_categories(world):
    """The categories both menus are filtered by: two active, one retired, and one of another school."""
    return SimpleNamespace(study=factories.category(world.school, "学业辅导", 1),
                           mind=factories.category(world.school, "心理疏导", 2),
                           old=factories.category(world.school, "旧类别", 9, active=False),
                           far=factories.category(world.far, "学业辅导"))


def coordinators(app, world, n):
    """n browsers, each logged in as its own coordinator of the school."""
    from tests import factories
    from tests.conftest import Client

    names = ["coordinator"] + [factories.user(world.school, "coordinator", f"coord{i + 2}").username
                               for i in range(n - 1)]
    clients = []
    for name in names:
        c = Client(app)
        assert c.login(name).status_code == 302
        clients.append(c)
    return clients


@contextmanager
def counting():
    """The SQL statements run inside the block."""
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- reading pages as a browser would: forms, flashes, the main text, a following redirect ---------------


CJK = re.compile(r"[\u4e00-\u9fff]")


class _FormParser(HTMLParser):
    """Every <form> of a page with the values a browser would send unchanged (hidden inputs, ticked boxes,
    text as filled in) and the options of its selects."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(), "fields": [],
                          "options": {}, "disabled": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
            self._form["options"][self._select] = []
        elif tag == "option" and self._select:
            self._form["options"][self._select].append(a.get("value"))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._form["fields"].append((self._textarea, ""))
        elif tag == "button" and "disabled" in a:
            self._form["disabled"].append(a)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            name, text = self._form["fields"][-1]
            self._form["fields"][-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms(html) -> list[dict]:
    p = _FormParser()
    p.feed(html)
    return p.forms


def form_for(html, action) -> dict:
    """The one form of the page that posts to `action` (its path, without a query string); a form without an
    action posts to the page itself, `action` is then that page's address and `self` is passed as True."""
    found = [f for f in forms(html) if f["method"] == "post" and f["action"].split("?")[0] == action]
    assert len(found) == 1, f"{len(found)} forms post to {action!r}"
    return found[0]


def send(c, html, action, page=None, **changes):
    """Send the page's form for `action` as the browser would, with `changes` typed in (None leaves a field out).
    For a form that posts back to its own page, `action` is "" and `page` that page's address."""
    form = form_for(html, action)
    data = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return c.http.post(form["action"] or page, data=data)


def flash_text(html) -> str:
    m = re.search(r'<div id="flash"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""


def main_text(html) -> str:
    """What the reader sees in the page's main region, tags removed."""
    m = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    body = re.sub(r"<svg.*?</svg>", "", m.group(1) if m else html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def follow(c, r):
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return c.get(r.headers["Location"]).get_data(as_text=True)


def client_for(app, user) -> Client:
    c = Client(app)
    assert c.login(user.username).status_code == 302
    return c


def stale_reauth(c):
    with c.http.session_transaction() as sess:
        sess["auth_at"] = 0


def sheet_rows(data: bytes, name=None) -> list[list]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[name] if name else wb.active
    return [list(row) for row in ws.iter_rows(values_only=True)]
