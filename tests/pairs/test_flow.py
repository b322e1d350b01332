"""From a waiting need to a pair with a visit: the coordinator's and the volunteer's path."""
import re
from datetime import timedelta

from sqlalchemy import select

from portal.core.clock import local_today
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs.models import Pair, Visit
from tests import factories
from tests.factories import zh
from tests.helpers import audits, count, menu_categories

TODAY = local_today()


def _setup(world):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord, skills="数学", slots=0b100, modes=1, urgency=3)
    offer = factories.offer(world.volunteer, cats.study, coord, skills="数学, 语文", slots=0b110, modes=1, capacity=2)
    return cats, need, offer


def _token(html):
    return re.search(r'name="submit_token"[^>]*value="([0-9a-f]{32})"', html).group(1)


def test_coordinator_reads_reasons_and_makes_a_pair(world, login_as):
    _cats, need, offer = _setup(world)
    c = login_as("coordinator")
    page = c.get(f"/matching/needs/{need.id}").get_data(as_text=True)
    assert world.volunteer.name in page
    for reason in (zh("Same category"), "数学", "周一下午", zh("Places left %(free)d/%(capacity)d", free=2, capacity=2)):
        assert reason in page
    r = c.post_form(f"/matching/needs/{need.id}", {"chosen": [offer.id], "submit_token": _token(page)},
                    token_from=f"/matching/needs/{need.id}")
    assert r.status_code == 302
    pair = db.session.scalar(select(Pair))
    assert r.headers["Location"].endswith(f"/pairs/{pair.id}")
    db.session.expire_all()
    assert (pair.kind, pair.status) == ("one_to_one", "pending")
    assert db.session.get(Need, need.id).status == "matched"
    assert db.session.get(Offer, offer.id).used == 1
    assert len(audits("pair.create")) == 1


def test_volunteer_sees_pair_on_home_and_records_a_visit(world, login_as):
    _cats, need, offer = _setup(world)
    from portal.pairs.services import create_pair

    pair, _ = create_pair(world.users["coordinator"], [need], [offer], TODAY)
    c = login_as("volunteer")
    home = c.get("/").get_data(as_text=True)
    assert world.pupil.name in home and zh("Record a visit") in home
    assert "留守" not in home
    form = c.get(f"/pairs/{pair.id}/visits/new").get_data(as_text=True)
    r = c.post_form(f"/pairs/{pair.id}/visits/new", {
        "submit_token": _token(form), "visited_on": TODAY.isoformat(), "mode": "talk", "hours": "1.5",
        "content": "辅导数学作业", "follow_up": "下周检查错题"}, token_from=f"/pairs/{pair.id}/visits/new")
    assert r.status_code == 302, r.get_data(as_text=True)
    visit = db.session.scalar(select(Visit))
    claim = db.session.scalar(select(HourEntry))
    assert (claim.status, str(claim.hours), claim.visit_id, claim.on_behalf) == ("pending", "1.5", visit.id, False)
    db.session.expire_all()
    assert db.session.get(Pair, pair.id).status == "active"
    assert "下周检查错题" in c.get("/").get_data(as_text=True)


def test_bad_visit_input_is_refused_with_a_message_and_nothing_saved(world, login_as):
    _cats, need, offer = _setup(world)
    from portal.pairs.services import create_pair

    pair, _ = create_pair(world.users["coordinator"], [need], [offer], TODAY)
    c = login_as("volunteer")
    url = f"/pairs/{pair.id}/visits/new"
    for bad, message in (({"visited_on": (TODAY + timedelta(days=1)).isoformat()}, "The date cannot be in the future."),
                         ({"hours": "-1"}, "The hours must be more than 0."),
                         ({"hours": "0.3"}, "Hours go in half-hour steps, e.g. 0.5, 1 or 1.5."),
                         ({"content": ""}, "Please write what you did, in a sentence or two."),
                         ({"content": "a\x00b"}, "Contains characters that are not allowed.")):
        token = _token(c.get(url).get_data(as_text=True))
        data = {"submit_token": token, "visited_on": TODAY.isoformat(), "mode": "talk", "hours": "1",
                "content": "辅导"} | bad
        r = c.post_form(url, data, token_from=url)
        assert r.status_code == 200
        assert zh(message) in r.get_data(as_text=True)
    assert count(Visit) == 0 and count(HourEntry) == 0
