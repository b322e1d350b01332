"""The security suite works over the demo school: every page and form of every role, with real data."""
import pytest
from sqlalchemy import text

from portal.demo import DEMO_PASSWORD, seed
from portal.extensions import db
from tests import site_map
from tests.conftest import Client
from tests.security.site import complete_demo


@pytest.fixture(autouse=True)
def _ids_from_one(_ctx):
    """PostgreSQL keeps counting ids after the tables are emptied; start again from 1 as SQLite does, so the demo
    school gets the same ids in every test and the map of its forms (see forms.inventory) is worked out once."""
    if db.engine.dialect.name == "postgresql":
        tables = [t.name for t in db.metadata.sorted_tables if "id" in t.c and t.c.id.primary_key]
        db.session.execute(text("SELECT " + ", ".join(
            f"setval(pg_get_serial_sequence('\"{name}\"', 'id'), 1, false)" for name in tables)))
        db.session.commit()


@pytest.fixture
def demo(app):
    """The demo school with every form somewhere (site.complete_demo), and its demo accounts' browsers."""
    seed()
    complete_demo()
    clients = {}

    def as_role(role) -> Client:
        if role not in clients:
            c = Client(app)
            if role != "anonymous":
                r = c.login(site_map.USERNAMES.get(role, role), DEMO_PASSWORD)
                assert r.status_code == 302, r.get_data(as_text=True)[:300]
            clients[role] = c
        return clients[role]

    return as_role
