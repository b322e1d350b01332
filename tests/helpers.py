"""Small helpers the menu tests (needs, offers, help requests, Excel import) share."""
import re
import threading
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import event, func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests import factories


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


def post_at_once(clients, url, payloads):
    """Send the forms from two browser tabs at the same moment; returns the responses.
    `url` is one address for all, or a list with each tab's own."""
    urls = [url] * len(clients) if isinstance(url, str) else url
    barrier, responses = threading.Barrier(len(clients)), [None] * len(clients)

    def post(i):
        barrier.wait()
        responses[i] = clients[i].http._client.post(urls[i], data=payloads[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    return responses


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
