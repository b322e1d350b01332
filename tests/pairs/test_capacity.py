"""Offer capacity holds when coordinators confirm pairs at the same moment, and places go back exactly once when
pairs end or change hands at the same moment (SQLite by default, PostgreSQL with DATABASE_URL)."""
import re

import pytest
from sqlalchemy import select

from portal.core.clock import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs.models import Pair, PairNeed, PairVolunteer, Visit
from portal.pairs.services import create_pair
from tests import factories
from tests.factories import zh
from tests.helpers import audits, coordinators, count, menu_categories, post_at_once

TODAY = local_today()


def _token(html):
    return re.search(r'name="submit_token"[^>]*value="([0-9a-f]{32})"', html).group(1)


def _form(c, need_id, offer_id):
    """What the coordinator's page for one need would send when one volunteer is ticked."""
    url = f"/matching/needs/{need_id}"
    page = c.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return {"chosen": [str(offer_id)], "submit_token": _token(page), "csrf_token": csrf}


def _needs(world, cats, n):
    coord = world.users["coordinator"]
    pupils = [world.pupil, world.stranger] + [factories.student(world.own_class, f"学生{i}") for i in range(n - 2)]
    return [factories.need(p, cats.study, coord) for p in pupils[:n]]


def test_two_coordinators_take_the_last_place_of_one_offer_for_different_needs(app, world):
    cats = menu_categories(world)
    first, second = _needs(world, cats, 2)
    offer = factories.offer(world.volunteer, cats.study, world.users["coordinator"], capacity=1)
    tabs = coordinators(app, world, 2)
    payloads = [_form(tabs[0], first.id, offer.id), _form(tabs[1], second.id, offer.id)]
    responses = post_at_once(tabs, [f"/matching/needs/{first.id}", f"/matching/needs/{second.id}"], payloads)

    assert sorted(r.status_code for r in responses) == [200, 302], [r.status_code for r in responses]
    assert count(Pair) == 1 and count(PairNeed) == 1 and count(PairVolunteer) == 1
    offer = db.session.get(Offer, offer.id)
    assert offer.used == 1 == offer.capacity
    won = db.session.scalar(select(PairNeed.need_id))
    lost = second if won == first.id else first
    assert db.session.get(Need, won).status == "matched"
    assert db.session.get(Need, lost.id).status == "open"
    loser = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert zh("%(name)s has no free place left in this offer.", name=world.volunteer.name) in loser
    assert len(audits("pair.create")) == 1


def test_one_need_confirmed_twice_with_different_offers_at_once_makes_one_pair(app, world):
    cats = menu_categories(world)
    need = factories.need(world.pupil, cats.study, world.users["coordinator"])
    other = factories.volunteer(world.school, "李桂英")
    offers = [factories.offer(v, cats.study, world.users["coordinator"], capacity=1) for v in (world.volunteer, other)]
    tabs = coordinators(app, world, 2)
    url = f"/matching/needs/{need.id}"
    responses = post_at_once(tabs, url, [_form(tabs[i], need.id, offers[i].id) for i in range(2)])

    assert sorted(r.status_code for r in responses) == [200, 302]
    assert count(Pair) == 1 and count(PairNeed) == 1 and count(PairVolunteer) == 1
    taken = db.session.scalar(select(PairVolunteer.offer_id))
    assert sorted(db.session.get(Offer, o.id).used for o in offers) == [0, 1]
    assert db.session.get(Offer, taken).used == 1
    assert db.session.get(Need, need.id).status == "matched"
    loser = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert zh("The need of %(name)s has just been matched or closed.", name=world.pupil.name) in loser \
        or zh("The need of %(name)s is no longer waiting.", name=world.pupil.name) in loser


def test_four_requests_for_an_offer_with_two_places_make_two_pairs(app, world):
    cats = menu_categories(world)
    needs = _needs(world, cats, 4)
    offer = factories.offer(world.volunteer, cats.study, world.users["coordinator"], capacity=2)
    tabs = coordinators(app, world, 4)
    payloads = [_form(tabs[i], needs[i].id, offer.id) for i in range(4)]
    responses = post_at_once(tabs, [f"/matching/needs/{n.id}" for n in needs], payloads)

    assert sorted(r.status_code for r in responses) == [200, 200, 302, 302]
    assert count(Pair) == 2 and count(PairNeed) == 2 and count(PairVolunteer) == 2
    offer = db.session.get(Offer, offer.id)
    assert offer.used == 2 == offer.capacity
    statuses = sorted(db.session.get(Need, n.id).status for n in needs)
    assert statuses == ["matched", "matched", "open", "open"]
    paired = set(db.session.scalars(select(PairNeed.need_id)))
    assert {n.id for n in needs if db.session.get(Need, n.id).status == "matched"} == paired
    for r in responses:
        if r.status_code == 200:
            assert zh("%(name)s has no free place left in this offer.", name=world.volunteer.name) in \
                r.get_data(as_text=True)


def test_a_full_offer_refuses_the_pair_and_nothing_is_half_saved(world):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=1, used=1)
    with pytest.raises(DomainError) as err:
        create_pair(coord, [need], [offer], TODAY, "a" * 32)
    assert err.value.message == zh("%(name)s has no free place left in this offer.", name=world.volunteer.name)
    assert err.value.field == "offer_ids"
    db.session.expire_all()
    assert count(Pair) == 0 and count(PairNeed) == 0 and count(PairVolunteer) == 0
    assert db.session.get(Need, need.id).status == "open"
    assert db.session.get(Offer, offer.id).used == 1
    assert audits("pair.create") == []


def test_a_group_pair_needs_a_place_per_need_and_saves_nothing_when_short(world):
    """One volunteer for two needs takes two places: with one left, neither need is claimed."""
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    needs = _needs(world, cats, 2)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=2, used=1)
    with pytest.raises(DomainError):
        create_pair(coord, needs, [offer], TODAY)
    db.session.expire_all()
    assert count(Pair) == 0 and count(PairNeed) == 0
    assert [db.session.get(Need, n.id).status for n in needs] == ["open", "open"]
    assert db.session.get(Offer, offer.id).used == 1


def test_the_second_offer_being_full_undoes_the_first_offers_place(world):
    """多对一: both offers must have a place; when the second has none the first keeps its place free."""
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    free = factories.offer(world.volunteer, cats.study, coord, capacity=1)
    full = factories.offer(factories.volunteer(world.school, "李桂英"), cats.study, coord, capacity=1, used=1)
    with pytest.raises(DomainError):
        create_pair(coord, [need], [free, full], TODAY)
    db.session.expire_all()
    assert count(Pair) == 0 and count(PairVolunteer) == 0
    assert db.session.get(Offer, free.id).used == 0
    assert db.session.get(Need, need.id).status == "open"


# --- giving places back happens once, however often it is sent ---

def _end_form(c, pair_id, reason="volunteer"):
    return {"reason": reason, "note": "", "csrf_token": c.csrf(f"/pairs/{pair_id}")}


def test_ending_a_pair_twice_at_once_gives_its_place_back_once(app, world):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    first, second = _needs(world, cats, 2)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=2)
    pair, _ = create_pair(coord, [first], [offer], TODAY)
    create_pair(coord, [second], [offer], TODAY)
    assert db.session.get(Offer, offer.id).used == 2
    tabs = coordinators(app, world, 2)
    responses = post_at_once(tabs, f"/pairs/{pair.id}/end", [_end_form(t, pair.id) for t in tabs])

    assert all(r.status_code in (200, 302) for r in responses), [r.status_code for r in responses]
    assert db.session.get(Offer, offer.id).used == 1  # the other pair still holds its place
    assert db.session.get(Pair, pair.id).status == "ended"
    assert db.session.get(Need, first.id).status == "open"
    assert len(audits("pair.end")) == 1


def test_replacing_a_volunteer_twice_at_once_moves_one_place(app, world):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    first, second = _needs(world, cats, 2)
    old = factories.offer(world.volunteer, cats.study, coord, capacity=2)
    pair, _ = create_pair(coord, [first], [old], TODAY)
    create_pair(coord, [second], [old], TODAY)
    newcomers = [factories.offer(factories.volunteer(world.school, name), cats.study, coord, capacity=1)
                 for name in ("李桂英", "陈志强")]
    member = db.session.scalar(select(PairVolunteer).where(PairVolunteer.pair_id == pair.id))
    url = f"/pairs/{pair.id}/reassign/{member.id}"
    tabs = coordinators(app, world, 2)
    payloads = [{"offer_id": str(o.id), "csrf_token": t.csrf(url)} for t, o in zip(tabs, newcomers, strict=True)]
    responses = post_at_once(tabs, url, payloads)

    assert all(r.status_code in (200, 302) for r in responses), [r.status_code for r in responses]
    assert db.session.get(Offer, old.id).used == 1  # the other pair still holds its place
    current = db.session.scalars(select(PairVolunteer).where(PairVolunteer.pair_id == pair.id,
                                                             PairVolunteer.left_at.is_(None))).all()
    assert len(current) == 1
    assert sorted(db.session.get(Offer, o.id).used for o in newcomers) == [0, 1]
    assert len(audits("pair.reassign")) == 1


def test_pausing_while_another_coordinator_ends_never_revives_the_pair(app, world):
    """Whatever order they land in, an ended pair stays ended and its place stays free."""
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=1)
    pair, _ = create_pair(coord, [need], [offer], TODAY)
    pair.status = "active"
    db.session.commit()
    tabs = coordinators(app, world, 2)
    forms = [_end_form(tabs[0], pair.id), {"csrf_token": tabs[1].csrf(f"/pairs/{pair.id}")}]
    threads_done = post_at_once(tabs, [f"/pairs/{pair.id}/end", f"/pairs/{pair.id}/pause"], forms)

    assert [r.status_code for r in threads_done] == [302, 302]
    pair = db.session.get(Pair, pair.id)
    assert pair.status == "ended" and pair.end_reason == "volunteer"
    assert db.session.get(Offer, offer.id).used == 0
    assert len(audits("pair.end")) == 1 and len(audits("pair.pause")) <= 1


def test_a_visit_sent_while_the_pair_ends_never_revives_it(app, world, login_as):
    """A first visit starts a pending pair; landing together with 结束 it must not turn the ended pair active."""
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=1)
    pair, _ = create_pair(coord, [need], [offer], TODAY)
    staff, vol = coordinators(app, world, 1)[0], login_as("volunteer")
    url = f"/pairs/{pair.id}/visits/new"
    page = vol.get(url).get_data(as_text=True)
    visit = {"submit_token": _token(page), "visited_on": TODAY.isoformat(), "mode": "talk", "hours": "1",
             "content": "辅导作业", "csrf_token": vol.csrf(url)}
    responses = post_at_once([staff, vol], [f"/pairs/{pair.id}/end", url], [_end_form(staff, pair.id), visit])

    # The visit lands first (302), is refused with a message (200), or finds the volunteer gone (404).
    assert responses[0].status_code == 302 and responses[1].status_code in (200, 302, 404)
    pair = db.session.get(Pair, pair.id)
    assert pair.status == "ended" and pair.end_reason == "volunteer"
    assert db.session.get(Offer, offer.id).used == 0


def test_one_visit_sent_from_two_tabs_at_once_is_saved_once(app, world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=1)
    pair, _ = create_pair(coord, [need], [offer], TODAY)
    tabs = [login_as("volunteer") for _ in range(2)]
    url = f"/pairs/{pair.id}/visits/new"
    token = _token(tabs[0].get(url).get_data(as_text=True))
    data = {"submit_token": token, "visited_on": TODAY.isoformat(), "mode": "talk", "hours": "1", "content": "辅导作业"}
    responses = post_at_once(tabs, url, [{**data, "csrf_token": t.csrf(url)} for t in tabs])

    assert [r.status_code for r in responses] == [302, 302]
    assert count(Visit) == 1 and count(HourEntry) == 1 and len(audits("visit.create")) == 1
    pair = db.session.get(Pair, pair.id)
    assert (pair.status, pair.last_visit_on) == ("active", TODAY)
