"""一键对接方案: the optimal plan against the greedy baseline, a brute force, and the capacity rules.

Pure functions over plain records: no database is touched here.
"""
import random
from collections import Counter

import pytest

from portal.matching.planner import Plan, candidate_edges, greedy, optimal
from portal.matching.scoring import WEIGHTS, History, NeedInfo, OfferInfo, score
from portal.menus.slots import slot_bit

FACE, PHONE, ONLINE = 0b001, 0b010, 0b100
# Includes the related pairs 学业辅导~兴趣特长, 心理疏导~思想引导 and 思想引导~生涯规划.
CATEGORIES = ["学业辅导", "兴趣特长", "心理疏导", "思想引导", "生涯规划"]
SKILLS = ["数学", "初二数学", "英语", "物理", "作文"]
FEW_SLOTS = [slot_bit(0, 0), slot_bit(2, 2), slot_bit(5, 0), slot_bit(5, 1)]  # few, so they often collide
BENEFICIARIES = ["s1", "s2", "s3", "t1", "t2"]
VOLUNTEERS = [1, 2, 3, 4]

PLANNERS = pytest.mark.parametrize("planner", [optimal, greedy], ids=["optimal", "greedy"])


def need(id, category="学业辅导", **kw):
    kw.setdefault("beneficiary", f"s{id}")
    return NeedInfo(id=id, category_id=CATEGORIES.index(category) + 1, category_name=category, **kw)


def offer(id, category="学业辅导", **kw):
    kw.setdefault("volunteer_id", id)
    return OfferInfo(id=id, category_id=CATEGORIES.index(category) + 1, category_name=category, **kw)


# --- random instances ---------------------------------------------------------------------------


def _random_slots(rng):
    return sum(rng.sample(FEW_SLOTS, rng.randint(0, len(FEW_SLOTS))))  # 0 (any time) included


def random_instance(rng, max_needs, max_offers, max_capacity, categories=CATEGORIES):
    needs = [
        need(
            i,
            rng.choice(categories),
            beneficiary=rng.choice(BENEFICIARIES),
            skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
            slots=_random_slots(rng),
            modes=rng.randint(0, 7),  # 0 = any way
            urgency=rng.randint(1, 3),
            priority=rng.random() < 0.2,
        )
        for i in range(1, rng.randint(0, max_needs) + 1)
    ]
    offers = []
    for j in range(rng.randint(0, max_offers)):
        capacity = rng.randint(1, max_capacity)
        offers.append(offer(
            101 + j,  # ids apart from need ids, so a mix-up cannot pass unnoticed
            rng.choice(categories),
            volunteer_id=rng.choice(VOLUNTEERS),
            skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
            slots=_random_slots(rng),
            modes=rng.randint(0, 7),
            capacity=capacity,
            used=rng.randint(0, capacity) if rng.random() < 0.3 else 0,
            active=rng.random() < 0.9,
            load=rng.choice([0, 0, 1, 2, 5]),
        ))
    pairs = [(v, b) for v in VOLUNTEERS for b in BENEFICIARIES]
    history = History(blocked=frozenset(rng.sample(pairs, rng.randint(0, 3))),
                      good=frozenset(rng.sample(pairs, rng.randint(0, 3))))
    return needs, offers, history


def brute_force_best(needs, offers, history):
    """Try every way to give each need nothing or one feasible offer with a place left."""
    fits = [[(o.id, m.score) for o in offers if (m := score(n, o, history)) is not None] for n in needs]
    free = {o.id: o.free for o in offers}
    best = 0

    def go(i, total):
        nonlocal best
        if i == len(needs):
            best = max(best, total)
            return
        go(i + 1, total)  # leave need i unserved
        for offer_id, points in fits[i]:
            if free[offer_id] > 0:
                free[offer_id] -= 1
                go(i + 1, total + points)
                free[offer_id] += 1

    go(0, 0)
    return best


def assert_valid_plan(plan, needs, offers, history):
    """Each need at most once, no offer past its free places, every match exactly the scorer's."""
    by_need = {n.id: n for n in needs}
    by_offer = {o.id: o for o in offers}
    need_ids = [m.need_id for m in plan.matches]
    assert len(need_ids) == len(set(need_ids)), "a need is matched twice"
    for offer_id, count in Counter(m.offer_id for m in plan.matches).items():
        assert count <= by_offer[offer_id].free, f"offer {offer_id} over its free places"
    for m in plan.matches:
        expected = score(by_need[m.need_id], by_offer[m.offer_id], history)
        assert expected is not None, f"infeasible pair {(m.need_id, m.offer_id)} in plan"
        assert m == expected  # same score and same reasons
        assert m.score > 0
    assert plan.total == sum(m.score for m in plan.matches)
    # Maximal: no unserved need has a feasible offer with a place still free.
    left = {o.id: o.free - sum(1 for m in plan.matches if m.offer_id == o.id) for o in offers}
    for n in needs:
        if n.id not in need_ids:
            assert not any(left[o.id] > 0 and score(n, o, history) for o in offers), f"need {n.id} left unserved"


def test_optimal_is_never_worse_than_greedy_on_random_instances():
    """200 seeded instances of 0–12 needs and 0–8 offers: optimal ≥ greedy, both plans valid."""
    rng = random.Random(20240601)
    strictly_better = non_empty = 0
    for _ in range(200):
        needs, offers, history = random_instance(rng, max_needs=12, max_offers=8, max_capacity=3)
        best, base = optimal(needs, offers, history), greedy(needs, offers, history)
        assert best.total >= base.total, (needs, offers, history)
        assert_valid_plan(best, needs, offers, history)
        assert_valid_plan(base, needs, offers, history)
        strictly_better += best.total > base.total
        non_empty += bool(best.matches)
    # The generator must produce interesting instances, not only trivial ones.
    assert non_empty >= 100
    assert strictly_better >= 1


def test_optimal_equals_brute_force_on_small_random_instances():
    """On ≤ 6 needs and ≤ 4 offers, the optimal total is the true maximum."""
    rng = random.Random(7)
    contested = 0
    for _ in range(600):
        # Three categories (one related pair), so most needs have several candidate offers.
        needs, offers, history = random_instance(rng, max_needs=6, max_offers=4, max_capacity=2, categories=CATEGORIES[:3])
        plan = optimal(needs, offers, history)
        best = brute_force_best(needs, offers, history)
        assert plan.total == best, (needs, offers, history)
        assert_valid_plan(plan, needs, offers, history)
        contested += greedy(needs, offers, history).total < best
    assert contested >= 10  # the brute force really had hard cases to check


def test_precomputed_edges_give_the_same_plan():
    """Passing candidate_edges explicitly (as the view does) changes nothing."""
    rng = random.Random(3)
    for _ in range(30):
        needs, offers, history = random_instance(rng, max_needs=8, max_offers=5, max_capacity=3)
        edges = candidate_edges(needs, offers, history)
        assert optimal(needs, offers, history, edges=edges).total == optimal(needs, offers, history).total
        assert greedy(needs, offers, history, edges=edges).matches == greedy(needs, offers, history).matches


def test_candidate_edges_are_exactly_the_feasible_pairs():
    rng = random.Random(11)
    needs, offers, history = random_instance(rng, max_needs=10, max_offers=6, max_capacity=3)
    edges = candidate_edges(needs, offers, history)
    expected = {(n.id, o.id): m for n in needs for o in offers if (m := score(n, o, history)) is not None}
    assert edges == expected


# --- constructed instances ----------------------------------------------------------------------


def greedy_trap():
    """Offer 10 suits both needs and suits need 1 best; offer 20 suits only need 1 (no common mode with need 2)."""
    needs = [need(1, skills=frozenset({"数学"})), need(2, modes=PHONE)]
    offers = [offer(10, skills=frozenset({"数学"})), offer(20, modes=FACE)]
    return needs, offers


def test_greedy_is_strictly_worse_than_optimal_on_a_trap():
    """Greedy grabs the best pair (1→10) and strands need 2; optimal serves both."""
    needs, offers = greedy_trap()
    history = History()
    assert score(needs[1], offers[1]) is None
    assert score(needs[0], offers[0]).score > score(needs[1], offers[0]).score
    assert score(needs[0], offers[0]).score > score(needs[0], offers[1]).score

    base, best = greedy(needs, offers, history), optimal(needs, offers, history)
    assert {(m.need_id, m.offer_id) for m in base.matches} == {(1, 10)}
    assert {(m.need_id, m.offer_id) for m in best.matches} == {(1, 20), (2, 10)}
    assert best.total > base.total
    assert best.total == score(needs[0], offers[1]).score + score(needs[1], offers[0]).score


def test_trap_with_a_second_place_lets_greedy_serve_both():
    """With two places on offer 10 there is no trap: both planners serve both needs."""
    needs, offers = greedy_trap()
    offers[0] = offer(10, skills=frozenset({"数学"}), capacity=2)
    assert len(greedy(needs, offers).matches) == len(optimal(needs, offers).matches) == 2
    assert greedy(needs, offers).total == optimal(needs, offers).total


@PLANNERS
@pytest.mark.parametrize("needs, offers", [
    ([], []),
    ([need(1)], []),
    ([], [offer(10)]),
    ([need(1, "学业辅导")], [offer(10, "心理疏导"), offer(11, active=False), offer(12, capacity=1, used=1)]),
], ids=["nothing", "no-offers", "no-needs", "nothing-feasible"])
def test_nothing_to_match_gives_an_empty_plan(planner, needs, offers):
    plan = planner(needs, offers, History())
    assert isinstance(plan, Plan)
    assert plan.matches == [] and plan.total == 0


@PLANNERS
def test_urgent_need_wins_the_last_place(planner):
    """One place, two fitting needs: the 较急 one gets it over a slightly better-fitting ordinary one."""
    ordinary = need(1, skills=frozenset({"数学"}))  # lower id and a shared subject: would win a tie
    urgent = need(2, urgency=2)
    place = offer(10, skills=frozenset({"数学"}))
    assert WEIGHTS["urgency"] > WEIGHTS["skill"]
    plan = planner([ordinary, urgent], [place], History())
    assert [(m.need_id, m.offer_id) for m in plan.matches] == [(2, 10)]


@PLANNERS
def test_priority_need_wins_the_last_place(planner):
    """One place, two fitting needs: the priority student gets it over a slightly better fit."""
    ordinary = need(1, slots=slot_bit(2, 2), skills=frozenset({"数学"}))
    priority = need(2, slots=slot_bit(5, 0), priority=True)
    place = offer(10, slots=slot_bit(2, 2) | slot_bit(5, 0), skills=frozenset({"数学"}))
    plan = planner([ordinary, priority], [place], History())
    assert [(m.need_id, m.offer_id) for m in plan.matches] == [(2, 10)]


@PLANNERS
def test_used_places_are_respected(planner):
    """Capacity 3 with 2 used: only one of three fitting needs is served."""
    needs = [need(i) for i in (1, 2, 3)]
    plan = planner(needs, [offer(10, capacity=3, used=2)], History())
    assert len(plan.matches) == 1
    assert_valid_plan(plan, needs, [offer(10, capacity=3, used=2)], History())


@PLANNERS
def test_capacity_spreads_needs_over_offers(planner):
    """Five needs, places 2 + 1 + 0 (full): exactly three are served, none on the full offer."""
    needs = [need(i, urgency=1 + i % 3) for i in range(1, 6)]
    offers = [offer(10, capacity=2), offer(11), offer(12, capacity=2, used=2)]
    plan = planner(needs, offers, History())
    assert Counter(m.offer_id for m in plan.matches) == {10: 2, 11: 1}
    assert_valid_plan(plan, needs, offers, History())
    # The three most urgent needs are the ones served.
    served = {m.need_id for m in plan.matches}
    assert {2, 5} <= served
    assert sorted(n.urgency for n in needs if n.id in served) == [2, 3, 3]


@PLANNERS
def test_blocked_pair_is_never_planned(planner):
    """A 不再重新配对 pair is left out even when it is the only option."""
    history = History(blocked=frozenset({(100, "s1")}))
    plan = planner([need(1, beneficiary="s1")], [offer(10, volunteer_id=100)], history)
    assert plan.matches == []


def test_optimal_plan_lists_best_matches_first():
    """The coordinator sees the strongest pairs at the top, ties by need id."""
    needs = [need(1), need(2, urgency=3), need(3, priority=True), need(4)]
    offers = [offer(10, capacity=4)]
    plan = optimal(needs, offers)
    keys = [(-m.score, m.need_id) for m in plan.matches]
    assert keys == sorted(keys)
    assert [m.need_id for m in plan.matches] == [2, 3, 1, 4]
