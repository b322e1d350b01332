"""The menu's counts: each reader's own, and today's (the statement behind them is kept between requests)."""
import re
from datetime import timedelta

from portal.core import clock
from portal.extensions import db
from portal.pairs.services import ATTENTION_DAYS, create_pair
from tests import factories
from tests.conftest import Client
from tests.helpers import menu_categories


def _counts(client, path="/"):
    html = client.get(path).get_data(as_text=True)
    return {k: int(v) for k, v in re.findall(r'id="nav-count-(\w+)"[^>]*>(\d+)<', html)}


def _login(app, username):
    c = Client(app)
    assert c.login(username).status_code == 302
    return c


def test_each_reader_counts_their_own(app, world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    factories.need(world.pupil, cats.study, coord)
    factories.need(world.stranger, cats.study, coord)
    factories.offer(world.volunteer, cats.study, coord)
    factories.user(world.school, "volunteer", "vol2", volunteer_id=factories.volunteer(world.school, "李桂英").id)
    far_coord = factories.user(world.far, "coordinator", "farcoord")
    factories.need(world.far_pupil, cats.far, far_coord)
    factories.help_request(world.pupil, cats.study, world.users["parent"])
    other_family = factories.family(world.school)
    factories.student(world.own_class, "孙小雨", family=other_family)
    factories.user(world.school, "parent", "parent2", guardian_id=other_family.guardians[0].id)

    # Each one after a reader of the same school or role has asked: none may get another's counts.
    assert _counts(login_as("coordinator")) == {"needs": 2, "offers": 1, "help": 1, "pairs": 0, "hours": 0,
                                                 "tasks": 0}
    assert _counts(login_as("volunteer")) == {"offers": 1, "pairs": 0, "hours": 0}
    assert _counts(_login(app, "vol2")) == {"offers": 0, "pairs": 0, "hours": 0}
    assert _counts(_login(app, "farcoord"))["needs"] == 1
    assert _counts(_login(app, "farcoord"))["offers"] == 0
    assert _counts(login_as("teacher"))["needs"] == 1  # the need of the pupil in the teacher's class
    assert _counts(login_as("parent")) == {"help": 1}
    assert _counts(_login(app, "parent2")) == {"help": 0}


def test_a_pair_becomes_due_on_the_day_without_a_restart(world, login_as, monkeypatch):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    today = clock.local_today()
    need = factories.need(world.pupil, cats.study, coord)
    pair, _ = create_pair(coord, [need], [factories.offer(world.volunteer, cats.study, coord)], today)
    pair.status, pair.last_visit_on = "active", today - timedelta(days=ATTENTION_DAYS - 1)
    db.session.commit()
    c = login_as("coordinator")
    assert _counts(c)["pairs"] == 0

    wall = clock._wall
    monkeypatch.setattr(clock, "_wall", lambda: wall() + timedelta(days=1))
    assert _counts(c)["pairs"] == 1
