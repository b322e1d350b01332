"""Matching never goes silent: a need nothing suits shows the nearest volunteers and what differs; a plan lists
every need it leaves out, with why."""
import re

from sqlalchemy import select

from portal.extensions import db
from portal.matching.models import MatchPlan
from portal.menus.slots import slot_bit, slots_text
from tests import factories
from tests.factories import zh
from tests.helpers import menu_categories

TUE_PM, WED_PM = slot_bit(1, 1), slot_bit(2, 1)
IN_PERSON = 1


def test_a_need_nothing_suits_shows_the_nearest_volunteers_and_what_differs(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord, skills="书法", slots=TUE_PM, modes=IN_PERSON)
    factories.offer(world.volunteer, cats.study, coord, skills="书法", slots=WED_PM, modes=IN_PERSON, capacity=2)

    page = login_as("coordinator").get(f"/matching/needs/{need.id}").get_data(as_text=True)

    nearest = page.split('id="nearest-title"')[1].split("</section>")[0]
    assert world.volunteer.label in nearest
    assert zh("Free at other times: %(slots)s", slots=slots_text(WED_PM)) in nearest
    assert 'name="chosen"' not in page  # near, not proposed


def test_a_plan_lists_the_needs_it_leaves_out_with_why(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    placed = factories.need(world.pupil, cats.study, coord, skills="数学", urgency=3)
    lost = factories.need(world.stranger, cats.study, coord, skills="数学")
    alone = factories.need(world.pupil, cats.mind, coord, detail="想找人谈心")
    factories.offer(world.volunteer, cats.study, coord, skills="数学", capacity=1)
    c = login_as("coordinator")

    r = c.post_form("/matching/plans", {}, token_from="/matching/")
    plan = db.session.scalar(select(MatchPlan))
    page = c.get(f"/matching/plans/{plan.id}").get_data(as_text=True)

    assert r.status_code == 302 and len(plan.proposals) == 1 and plan.proposals[0].need_id == placed.id
    left = page.split('id="unplaced-title"')[1].split("</section>")[0]
    assert zh("Needs this plan does not place (%(n)d)", n=2) in page
    cards = dict(re.findall(r'href="/matching/needs/(\d+)">.*?<ul class="reasons"[^>]*>(.*?)</ul>', left, re.S))
    assert zh("The offers that suit it went to needs they fit better") in cards[str(lost.id)]
    assert zh("No offer in this category or with a kindred skill") in cards[str(alone.id)]


def test_reasons_name_the_times_and_ways_in_the_readers_language(world, login_as):
    """The scorer keeps slots and ways as masks; the page words them for its reader."""
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord, skills="数学", slots=WED_PM, modes=IN_PERSON)
    factories.offer(world.volunteer, cats.study, coord, skills="数学", slots=WED_PM | TUE_PM, modes=IN_PERSON)
    c = login_as("coordinator")

    page = c.get(f"/matching/needs/{need.id}").get_data(as_text=True)
    assert zh("Common time: %(slots)s", slots="周三下午") in page and zh("How: %(modes)s", modes="面对面") in page
    coord.locale = "en"
    db.session.commit()
    page = c.get(f"/matching/needs/{need.id}").get_data(as_text=True)
    assert "Common time: Wed afternoon" in page and "How: In person" in page


def test_a_plan_staged_with_words_keeps_them():
    """Plans staged before the reasons kept masks hold the Chinese text itself: it is shown as stored."""
    from portal.matching.reasons import reasons_text

    assert reasons_text([["slots", {"slots": "周三下午"}], ["other_modes", {"modes": "线上"}]]) == [
        zh("Common time: %(slots)s", slots="周三下午"), zh("Meets only: %(modes)s", modes="线上")]


def test_a_proposal_whose_need_went_meanwhile_fails_on_its_row_and_leaves_nothing_half_made(world):
    from portal.core.clock import local_today
    from portal.matching import services
    from portal.pairs.models import Pair

    cats = menu_categories(world)
    coord = world.users["coordinator"]
    gone = factories.need(world.pupil, cats.study, coord, skills="数学", urgency=3)
    kept = factories.need(world.stranger, cats.study, coord, skills="数学")
    offer = factories.offer(world.volunteer, cats.study, coord, skills="数学", capacity=2)
    plan = services.make_plan(coord)
    stale, fresh = sorted(plan.proposals, key=lambda p: p.need_id != gone.id)
    gone.status = "closed"
    db.session.commit()

    services.accept(coord, stale, local_today())
    db.session.rollback()  # read what was committed, as the next request would
    assert (stale.status, stale.message) == ("failed", zh("The need of %(name)s is no longer waiting.",
                                                          name=world.pupil.name))
    assert db.session.scalar(select(Pair)) is None and offer.used == 0 and gone.status == "closed"

    services.accept(coord, fresh, local_today())
    db.session.rollback()
    assert fresh.status == "accepted" and db.session.get(Pair, fresh.pair_id) is not None
    assert kept.status == "matched" and offer.used == 1
