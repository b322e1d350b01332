"""Pairs after they are made: kinds, confirm/pause/end, reassignment, who sees what, follow-up, term renewal."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.core.clock import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.matching.services import suggestions
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs import services
from portal.pairs.models import Pair, PairNeed, PairVolunteer, Visit
from portal.pairs.services import create_pair
from portal.people.models import Student, Term
from portal.people.services import term_for
from tests import factories
from tests.conftest import Client
from tests.factories import zh
from tests.helpers import audits, count, field_error, menu_categories

TODAY = local_today()


def _token(html):
    return re.search(r'name="submit_token"[^>]*value="([0-9a-f]{32})"', html).group(1)


def _login(app, username):
    c = Client(app)
    assert c.login(username).status_code == 302
    return c


def _fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def cats(world):
    return menu_categories(world)


@pytest.fixture
def coord(world):
    return world.users["coordinator"]


def _one_to_one(world, cats, coord, student=None, volunteer=None, capacity=1):
    need = factories.need(student or world.pupil, cats.study, coord)
    offer = factories.offer(volunteer or world.volunteer, cats.study, coord, capacity=capacity)
    pair, _ = create_pair(coord, [need], [offer], TODAY)
    return pair, need, offer


def _visit(actor, pair, volunteer_id, content="辅导数学作业", day=None):
    visit, _ = services.add_visit(actor, pair, volunteer_id, {"visited_on": day or TODAY, "mode": "talk",
                                                              "hours": "1", "content": content}, TODAY)
    return visit


# --- kinds -------------------------------------------------------------------------------------

def test_two_volunteers_for_one_need_make_many_to_one(world, cats, coord):
    need = factories.need(world.pupil, cats.study, coord)
    offers = [factories.offer(v, cats.study, coord, capacity=2)
              for v in (world.volunteer, factories.volunteer(world.school, "李桂英"))]
    pair, created = create_pair(coord, [need], offers, TODAY)
    assert created and pair.kind == "many_to_one"
    assert [_fresh(Offer, o.id).used for o in offers] == [1, 1]
    assert sorted((m.offer_id, m.places) for m in _fresh(Pair, pair.id).members) == [(o.id, 1) for o in offers]
    assert _fresh(Need, need.id).status == "matched"


def test_one_volunteer_for_two_needs_makes_one_to_many_using_two_places(world, cats, coord):
    needs = [factories.need(s, cats.study, coord) for s in (world.pupil, world.stranger)]
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=3)
    pair, _ = create_pair(coord, needs, [offer], TODAY)
    assert pair.kind == "one_to_many"
    assert _fresh(Offer, offer.id).used == 2
    assert [m.places for m in _fresh(Pair, pair.id).members] == [2]
    assert {n.status for n in (_fresh(Need, n.id) for n in needs)} == {"matched"}


def test_two_needs_with_two_volunteers_is_refused(world, cats, coord):
    needs = [factories.need(s, cats.study, coord) for s in (world.pupil, world.stranger)]
    offers = [factories.offer(v, cats.study, coord, capacity=3)
              for v in (world.volunteer, factories.volunteer(world.school, "李桂英"))]
    with pytest.raises(DomainError) as err:
        create_pair(coord, needs, offers, TODAY)
    assert err.value.message == zh("A pair is one to one, several volunteers for one beneficiary, or one volunteer "
                                   "for a small group. Please choose again.")
    assert count(Pair) == 0 and [_fresh(Offer, o.id).used for o in offers] == [0, 0]


def test_the_same_volunteer_twice_is_refused(world, cats, coord):
    need = factories.need(world.pupil, cats.study, coord)
    offers = [factories.offer(world.volunteer, c, coord) for c in (cats.study, cats.mind)]
    with pytest.raises(DomainError) as err:
        create_pair(coord, [need], offers, TODAY)
    assert err.value.message == zh("The same volunteer was chosen twice.")
    assert count(Pair) == 0 and _fresh(Need, need.id).status == "open"


# --- lifecycle over HTTP -----------------------------------------------------------------------

def test_volunteer_confirms_but_only_staff_pause_resume_and_end(world, cats, coord, login_as):
    pair, _need, _offer = _one_to_one(world, cats, coord)
    vol = login_as("volunteer")
    assert vol.post_form(f"/pairs/{pair.id}/pause").status_code == 403
    r = vol.post_form(f"/pairs/{pair.id}/confirm")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/pairs/{pair.id}")
    assert _fresh(Pair, pair.id).status == "active"
    assert vol.post_form(f"/pairs/{pair.id}/pause").status_code == 403
    assert vol.post_form(f"/pairs/{pair.id}/end", {"reason": "goal"}).status_code == 403
    assert _fresh(Pair, pair.id).status == "active"

    staff = login_as("coordinator")
    assert staff.post_form(f"/pairs/{pair.id}/pause").status_code == 302
    assert _fresh(Pair, pair.id).status == "paused"
    # A move that does not fit the status is explained, not applied.
    r = staff.post_form(f"/pairs/{pair.id}/confirm")
    assert r.status_code == 302 and _fresh(Pair, pair.id).status == "paused"
    assert staff.post_form(f"/pairs/{pair.id}/resume").status_code == 302
    assert _fresh(Pair, pair.id).status == "active"
    assert [a.action for a in audits("pair.confirm") + audits("pair.pause") + audits("pair.resume")] == [
        "pair.confirm", "pair.pause", "pair.resume"]


@pytest.mark.parametrize("reason, need_status", [("goal", "done"), ("graduated", "closed"), ("volunteer", "open")])
def test_ending_releases_the_place_and_settles_the_need(world, cats, coord, login_as, reason, need_status):
    pair, need, offer = _one_to_one(world, cats, coord, capacity=2)
    assert _fresh(Offer, offer.id).used == 1
    r = login_as("coordinator").post_form(f"/pairs/{pair.id}/end", {"reason": reason, "note": ""})
    assert r.status_code == 302, r.get_data(as_text=True)
    pair = _fresh(Pair, pair.id)
    assert (pair.status, pair.end_reason, pair.ended_on, pair.no_rematch) == ("ended", reason, TODAY, False)
    assert _fresh(Offer, offer.id).used == 0
    assert _fresh(Need, need.id).status == need_status
    assert all(m.left_at is not None for m in pair.members)
    assert len(audits("pair.end")) == 1


def test_ending_a_group_pair_gives_back_every_place(world, cats, coord, login_as):
    needs = [factories.need(s, cats.study, coord) for s in (world.pupil, world.stranger)]
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=3)
    pair, _ = create_pair(coord, needs, [offer], TODAY)
    assert login_as("coordinator").post_form(f"/pairs/{pair.id}/end", {"reason": "goal"}).status_code == 302
    assert _fresh(Offer, offer.id).used == 0
    assert [_fresh(Need, n.id).status for n in needs] == ["done", "done"]


def test_other_reason_without_a_note_is_refused_beside_the_field(world, cats, coord, login_as):
    pair, need, offer = _one_to_one(world, cats, coord)
    r = login_as("coordinator").post_form(f"/pairs/{pair.id}/end", {"reason": "other", "note": "  "})
    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), "note") == zh("Please say in a few words why the pair ends.")
    assert _fresh(Pair, pair.id).status == "pending"
    assert _fresh(Offer, offer.id).used == 1 and _fresh(Need, need.id).status == "matched"
    assert audits("pair.end") == []


def test_an_ended_pair_cannot_end_twice(world, cats, coord, login_as):
    pair, _need, offer = _one_to_one(world, cats, coord, capacity=2)
    c = login_as("coordinator")
    assert c.post_form(f"/pairs/{pair.id}/end", {"reason": "goal"}).status_code == 302
    r = c.post_form(f"/pairs/{pair.id}/end", {"reason": "goal"})
    assert r.status_code == 200 and zh("This pair has already ended.") in r.get_data(as_text=True)
    assert _fresh(Offer, offer.id).used == 0 and len(audits("pair.end")) == 1


def test_do_not_pair_again_keeps_the_volunteer_out_of_suggestions_and_pairs(world, cats, coord, login_as):
    pair, need, offer = _one_to_one(world, cats, coord)
    r = login_as("coordinator").post_form(f"/pairs/{pair.id}/end", {"reason": "volunteer", "note": "合不来",
                                                                     "no_rematch": "y"})
    assert r.status_code == 302
    assert _fresh(Pair, pair.id).no_rematch is True and _fresh(Need, need.id).status == "open"
    fresh_need = factories.need(world.pupil, cats.study, coord, detail="需要语文辅导")
    elsewhere = factories.need(world.stranger, cats.study, coord)
    assert offer.id in [o.id for _m, o in suggestions(elsewhere)]  # the offer itself is free again
    assert offer.id not in [o.id for _m, o in suggestions(fresh_need)]
    assert offer.id not in [o.id for _m, o in suggestions(_fresh(Need, need.id))]
    with pytest.raises(DomainError) as err:
        create_pair(coord, [fresh_need], [_fresh(Offer, offer.id)], TODAY)
    assert err.value.message == zh("An earlier pair of these people was closed as “do not pair again”.")
    assert count(Pair) == 1 and _fresh(Offer, offer.id).used == 0


def test_do_not_pair_again_applies_to_the_volunteers_of_the_pair_when_it_ended(world, cats, coord, login_as):
    pair, need, first_offer = _one_to_one(world, cats, coord)
    _active_since(pair, 2)
    newcomer = factories.volunteer(world.school, "李桂英")
    new_offer = factories.offer(newcomer, cats.study, coord, capacity=1)
    services.replace_volunteer(coord, _fresh(Pair, pair.id), _fresh(Pair, pair.id).members[0], new_offer)
    c = login_as("coordinator")
    assert c.post_form(f"/pairs/{pair.id}/end", {"reason": "volunteer", "note": "合不来", "no_rematch": "y"},
                       token_from=f"/pairs/{pair.id}").status_code == 302

    suggested = [o.id for _m, o in suggestions(_fresh(Need, need.id))]

    assert first_offer.id in suggested and new_offer.id not in suggested
    page = c.get(f"/matching/needs/{need.id}").get_data(as_text=True)
    assert zh("Not suggested: %(names)s. An earlier pair with this beneficiary was closed as “do not pair again”.",
              names="李桂英") in page
    again, _ = create_pair(coord, [_fresh(Need, need.id)], [_fresh(Offer, first_offer.id)], TODAY)
    assert again.status == "pending"


# --- reassignment ------------------------------------------------------------------------------

def test_reassignment_moves_the_place_and_hides_the_old_notes_from_the_new_volunteer(app, world, cats, coord,
                                                                                      login_as):
    pair, _need, old_offer = _one_to_one(world, cats, coord)
    _visit(coord, pair, world.volunteer.id, content="旧志愿者的记录：孩子愿意说话了")
    newcomer = factories.volunteer(world.school, "李桂英")
    factories.user(world.school, "volunteer", "vol2", volunteer_id=newcomer.id)
    new_offer = factories.offer(newcomer, cats.study, coord, capacity=1)
    member = _fresh(Pair, pair.id).members[0]
    url = f"/pairs/{pair.id}/reassign/{member.id}"

    c = login_as("coordinator")
    page = c.get(url)
    assert page.status_code == 200 and newcomer.name in page.get_data(as_text=True)
    r = c.post_form(url, {"offer_id": str(new_offer.id)}, token_from=url)
    assert r.status_code == 302, r.get_data(as_text=True)

    assert _fresh(PairVolunteer, member.id).left_at is not None
    assert _fresh(Offer, old_offer.id).used == 0 and _fresh(Offer, new_offer.id).used == 1
    assert [m.volunteer_id for m in _fresh(Pair, pair.id).current_members] == [newcomer.id]
    assert len(audits("pair.reassign")) == 1

    assert login_as("volunteer").get(f"/pairs/{pair.id}").status_code == 404
    new_page = _login(app, "vol2").get(f"/pairs/{pair.id}")
    assert new_page.status_code == 200
    assert world.pupil.name in new_page.get_data(as_text=True)
    assert "孩子愿意说话了" not in new_page.get_data(as_text=True)
    for role in ("coordinator", "teacher"):
        assert "孩子愿意说话了" in login_as(role).get(f"/pairs/{pair.id}").get_data(as_text=True), role


def test_reassignment_to_a_full_offer_changes_nothing(world, cats, coord, login_as):
    pair, _need, old_offer = _one_to_one(world, cats, coord)
    newcomer = factories.volunteer(world.school, "李桂英")
    full = factories.offer(newcomer, cats.study, coord, capacity=1, used=1)
    member = _fresh(Pair, pair.id).members[0]
    url = f"/pairs/{pair.id}/reassign/{member.id}"
    r = login_as("coordinator").post_form(url, {"offer_id": str(full.id)}, token_from=url)
    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), "offer_id") == zh(
        "%(name)s has no free place left in this offer.", name=newcomer.name)
    assert _fresh(PairVolunteer, member.id).left_at is None
    assert _fresh(Offer, old_offer.id).used == 1 and _fresh(Offer, full.id).used == 1
    assert count(PairVolunteer) == 1


# --- who sees what -----------------------------------------------------------------------------

def test_outsiders_do_not_find_the_pair(app, world, cats, coord, login_as):
    pair, _need, _offer = _one_to_one(world, cats, coord)
    factories.user(world.school, "volunteer", "vol2", volunteer_id=factories.volunteer(world.school, "李桂英").id)
    factories.user(world.school, "teacher", "teacher2", classes=[world.other_class])
    outsider = _login(app, "vol2")
    assert outsider.get(f"/pairs/{pair.id}").status_code == 404
    assert outsider.get(f"/pairs/{pair.id}/visits/new").status_code == 404
    assert f"pair-{pair.id}" not in outsider.get("/pairs/").get_data(as_text=True)
    assert _login(app, "teacher2").get(f"/pairs/{pair.id}").status_code == 404
    assert login_as("teacher").get(f"/pairs/{pair.id}").status_code == 200
    assert login_as("parent").get("/pairs/").status_code == 403
    assert login_as("parent").get(f"/pairs/{pair.id}").status_code in (403, 404)


def test_search_finds_a_pair_by_child_or_volunteer_and_only_in_the_school(world, cats, coord, login_as):
    mine, _need, _offer = _one_to_one(world, cats, coord)
    other = _one_to_one(world, cats, coord, student=world.stranger,
                        volunteer=factories.volunteer(world.school, "李桂英"))[0]
    far_coord = factories.user(world.far, "coordinator", "farcoord")
    far_need = factories.need(world.far_pupil, cats.far, far_coord)
    far_offer = factories.offer(factories.volunteer(world.far, "张建华"), cats.far, far_coord)
    far_pair, _ = create_pair(far_coord, [far_need], [far_offer], TODAY)
    c = login_as("coordinator")

    def found(q):
        html = c.get(f"/pairs/?q={q}", headers={"HX-Request": "true"}).get_data(as_text=True)
        return {p.id for p in (mine, other, far_pair) if f'id="pair-{p.id}"' in html}

    assert found("王小明") == {mine.id}
    assert found("李桂英") == {other.id}
    assert found("张建") == {mine.id}  # 张建国 here; 张建华 is another school's
    assert found("钱小宝") == set()
    assert found("无此人") == set()


def test_volunteer_never_sees_support_tags_or_family_notes(world, cats, coord, login_as):
    world.family.notes = "父亲在外务工，由奶奶照看"
    db.session.commit()
    pair, _need, _offer = _one_to_one(world, cats, coord)
    vol = login_as("volunteer")
    pages = [vol.get(f"/pairs/{pair.id}"), vol.get("/pairs/"), vol.get("/pairs/?status=all")]
    for r in pages:
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and world.pupil.name in html
        for secret in ("留守", "单亲", "由奶奶照看"):
            assert secret not in html, secret
    assert pages[0].headers["Cache-Control"] == "no-store"


# --- follow-up ---------------------------------------------------------------------------------

def _active_since(pair, days):
    pair = _fresh(Pair, pair.id)
    pair.status, pair.started_on, pair.last_visit_on = "active", TODAY - timedelta(days=60), TODAY - timedelta(days=days)
    db.session.commit()
    return pair


def test_follow_up_lists_badges_and_counts(world, cats, coord, login_as):
    pair, _need, _offer = _one_to_one(world, cats, coord)
    fine, _n, _o = _one_to_one(world, cats, coord, student=world.stranger,
                               volunteer=factories.volunteer(world.school, "李桂英"))
    _active_since(fine, 3)
    c = login_as("coordinator")
    card = f'id="pair-{pair.id}"'

    _active_since(pair, 15)
    html = c.get("/pairs/?follow=attention").get_data(as_text=True)
    assert card in html and zh("Needs attention") in html and f'id="pair-{fine.id}"' not in html
    assert card not in c.get("/pairs/?follow=overdue").get_data(as_text=True)
    assert services.due_count(coord, TODAY) == 1
    assert zh("%(n)d pairs have had no visit for 14 days or more.", n=1) in c.get("/").get_data(as_text=True)

    _active_since(pair, 31)
    html = c.get("/pairs/?follow=overdue").get_data(as_text=True)
    assert card in html and zh("Overdue") in html
    assert card not in c.get("/pairs/?follow=attention").get_data(as_text=True)
    assert card in c.get("/pairs/?follow=due").get_data(as_text=True)
    assert services.due_count(world.users["teacher"], TODAY) == 1
    assert services.due_count(world.users["volunteer"], TODAY) == 1

    _visit(coord, _fresh(Pair, pair.id), world.volunteer.id)
    assert _fresh(Pair, pair.id).last_visit_on == TODAY
    assert services.due_count(coord, TODAY) == 0
    assert card not in c.get("/pairs/?follow=due").get_data(as_text=True)
    assert zh("%(n)d pairs have had no visit for 14 days or more.", n=1) not in c.get("/").get_data(as_text=True)


def test_paused_and_ended_pairs_are_not_due(world, cats, coord):
    pair, _need, _offer = _one_to_one(world, cats, coord)
    pair = _active_since(pair, 40)
    services.move(coord, pair, "pause")
    assert services.due_count(coord, TODAY) == 0
    services.move(coord, pair, "resume")
    assert services.due_count(coord, TODAY) == 1
    services.end(coord, pair, "goal", "", False, TODAY)
    assert services.due_count(coord, TODAY) == 0


# --- term renewal ------------------------------------------------------------------------------

def test_renewal_carries_active_pairs_over_and_lists_the_rest_to_close(world, cats, coord, login_as):
    keep, keep_need, _o = _one_to_one(world, cats, coord)
    _active_since(keep, 2)
    gone, _gn, _go = _one_to_one(world, cats, coord, student=world.stranger,
                                 volunteer=factories.volunteer(world.school, "李桂英"))
    _active_since(gone, 2)
    left = _fresh(Student, world.stranger.id)
    left.active, left.status = False, "left"
    db.session.commit()
    term = db.session.get(Term, keep.term_id)
    next_name = term_for(term.ends_on + timedelta(days=1))[0]

    c = login_as("coordinator")
    html = c.get("/pairs/renew").get_data(as_text=True)
    carry, _sep, close = html.partition(zh("To close (%(n)d)", n=1))
    assert zh("To carry over into %(term)s (%(n)d)", term=next_name, n=1) in carry
    assert f'name="pair_ids" value="{keep.id}"' in carry and world.pupil.name in carry
    assert world.stranger.name not in carry
    assert world.stranger.name in close and zh("%(name)s is no longer at school", name=world.stranger.name) in close

    # Only the pairs that can carry over move, even if a closing one is sent too.
    r = c.post_form("/pairs/renew", {"pair_ids": [str(keep.id), str(gone.id)]}, token_from="/pairs/renew")
    assert r.status_code == 302
    target = db.session.scalar(select(Term).where(Term.school_id == world.school.id, Term.name == next_name))
    assert target is not None and target.starts_on == term.ends_on + timedelta(days=1)
    assert _fresh(Pair, keep.id).term_id == target.id and _fresh(Need, keep_need.id).term_id == target.id
    assert _fresh(Pair, gone.id).term_id == term.id
    entries = audits("pair.renew")
    assert [(e.object_type, e.object_id) for e in entries] == [("Pair", keep.id)]
    assert next_name in entries[0].detail


def test_a_first_term_ending_in_january_renews_into_the_second_term(world, cats, coord, login_as):
    keep, _need, _o = _one_to_one(world, cats, coord)
    _active_since(keep, 2)
    term = db.session.get(Term, keep.term_id)
    first = int(term.name[:4]) if "第一学期" in term.name else int(term.name[:4]) + 1
    term.name = f"{first}–{first + 1}学年第一学期"
    term.starts_on, term.ends_on = date(first, 9, 1), date(first + 1, 1, 20)  # the school's own last day
    db.session.commit()
    second = f"{first}–{first + 1}学年第二学期"

    c = login_as("coordinator")
    assert zh("To carry over into %(term)s (%(n)d)", term=second, n=1) in c.get("/pairs/renew").get_data(as_text=True)
    r = c.post_form("/pairs/renew", {"pair_ids": [str(keep.id)]}, token_from="/pairs/renew")

    assert zh("%(n)d pairs carried over into %(term)s.", n=1, term=second) in c.get(r.headers["Location"]).get_data(
        as_text=True)
    target = db.session.get(Term, _fresh(Pair, keep.id).term_id)
    assert (target.name, target.starts_on, target.ends_on) == (second, date(first + 1, 2, 1), date(first + 1, 8, 31))


def test_renewal_goes_into_the_next_term_the_school_set_up(world, cats, coord, login_as):
    keep, _need, _o = _one_to_one(world, cats, coord)
    _active_since(keep, 2)
    term = db.session.get(Term, keep.term_id)
    own = Term(school_id=world.school.id, name="下学期（学校自定）", starts_on=term.ends_on + timedelta(days=20),
               ends_on=term.ends_on + timedelta(days=160))
    db.session.add(own)
    db.session.commit()

    c = login_as("coordinator")
    c.post_form("/pairs/renew", {"pair_ids": [str(keep.id)]}, token_from="/pairs/renew")

    assert _fresh(Pair, keep.id).term_id == own.id


# --- double submit ------------------------------------------------------------------------------

def test_a_visit_sent_twice_is_saved_once(world, cats, coord, login_as):
    pair, _need, _offer = _one_to_one(world, cats, coord)
    c = login_as("volunteer")
    url = f"/pairs/{pair.id}/visits/new"
    data = {"submit_token": _token(c.get(url).get_data(as_text=True)), "visited_on": TODAY.isoformat(),
            "mode": "phone", "hours": "1", "content": "电话询问作业"}
    assert c.post_form(url, data, token_from=url).status_code == 302
    r = c.post_form(url, data, token_from=url)
    assert r.status_code == 302
    assert count(Visit) == 1 and count(HourEntry) == 1 and len(audits("visit.create")) == 1
    assert zh("This visit was already recorded; it was not saved twice.") in c.get(r.headers["Location"]).get_data(
        as_text=True)
    assert db.session.scalar(select(PairNeed.pair_id)) == pair.id
