"""The need–offer scorer: hard filters, the reasons a coordinator reads, and the weights behind a score.

Pure functions over plain records: no database is touched here.
"""
import pytest

from portal.matching.scoring import (
    MAX_SKILLS,
    MAX_SLOTS,
    RELATED,
    WEIGHTS,
    History,
    NeedInfo,
    OfferInfo,
    differences,
    near_misses,
    ranked,
    score,
    shared_skills,
    skill_words,
)
from portal.menus.slots import ALL_SLOTS, slot_bit

FACE, PHONE, ONLINE = 0b001, 0b010, 0b100
CATEGORY_IDS = {"学业辅导": 1, "兴趣特长": 2, "心理疏导": 3, "思想引导": 4, "生涯规划": 5, "家庭教育指导": 6, "法治安全": 7}


def need(category="学业辅导", **kw):
    kw.setdefault("id", 1)
    kw.setdefault("beneficiary", "s1")
    return NeedInfo(category_id=CATEGORY_IDS[category], category_name=category, **kw)


def offer(category="学业辅导", **kw):
    kw.setdefault("id", 10)
    kw.setdefault("volunteer_id", 100)
    return OfferInfo(category_id=CATEGORY_IDS[category], category_name=category, **kw)


def codes(match):
    return [code for code, _ in match.reasons]


def reason(match, code):
    found = [params for c, params in match.reasons if c == code]
    assert len(found) == 1, f"expected exactly one {code!r} reason in {match.reasons}"
    return found[0]


BASE = score(need(), offer())  # same category, any time, any mode: the plainest feasible pair


# --- hard filters -------------------------------------------------------------------------------


def test_plain_same_category_pair_scores_category_any_time_and_mode():
    """The plainest pair: same category, no time or mode given on either side."""
    assert BASE is not None
    assert (BASE.need_id, BASE.offer_id) == (1, 10)
    assert BASE.score == WEIGHTS["same_category"] + WEIGHTS["any_time"] + WEIGHTS["mode"]
    assert isinstance(BASE.score, int)
    assert codes(BASE) == ["category", "any_time", "mode", "places"]
    assert reason(BASE, "category") == {}
    assert reason(BASE, "mode") == {"modes": FACE | PHONE | ONLINE}  # masks: put in words when shown


def test_unrelated_category_is_ruled_out():
    """学业辅导 and 心理疏导 are not neighbours: no pair, whatever else fits."""
    assert score(need("学业辅导"), offer("心理疏导")) is None
    assert score(need("心理疏导", skills=frozenset({"数学"})), offer("学业辅导", skills=frozenset({"数学"}))) is None


def test_related_category_is_not_transitive():
    """心理疏导~思想引导 and 思想引导~生涯规划 does not make 心理疏导~生涯规划."""
    assert frozenset(("心理疏导", "生涯规划")) not in RELATED
    assert score(need("心理疏导"), offer("生涯规划")) is None


@pytest.mark.parametrize("pair", sorted(tuple(sorted(p)) for p in RELATED))
def test_related_category_is_allowed_both_ways_with_a_lower_score(pair):
    """A neighbouring category may stand in, named in a "related" reason, for fewer points."""
    for need_cat, offer_cat in (pair, pair[::-1]):
        match = score(need(need_cat), offer(offer_cat))
        assert match is not None
        assert match.reasons[0] == ["related", {"name": offer_cat}]
        assert "category" not in codes(match)
        same = score(need(need_cat), offer(need_cat))
        assert same.score - match.score == WEIGHTS["same_category"] - WEIGHTS["related_category"] > 0


def test_no_common_slot_and_face_to_face_only_is_ruled_out():
    """Both gave times, none overlap, and they can only meet in person: impossible."""
    n = need(slots=slot_bit(0, 0), modes=FACE)
    o = offer(slots=slot_bit(1, 0))
    assert score(n, o) is None
    # Face-to-face is also the only common mode when the offer restricts it.
    assert score(need(slots=slot_bit(0, 0), modes=FACE | PHONE), offer(slots=slot_bit(1, 0), modes=FACE)) is None


@pytest.mark.parametrize("need_modes, offer_modes, remote_mode", [
    (FACE | PHONE, 0, PHONE),
    (0, ONLINE, ONLINE),
    (PHONE, PHONE | ONLINE, PHONE),
])
def test_no_common_slot_but_phone_or_online_is_allowed_as_remote(need_modes, offer_modes, remote_mode):
    """Remote meetings need no common time; the coordinator sees a "remote" reason instead of a time."""
    match = score(need(slots=slot_bit(0, 0), modes=need_modes), offer(slots=slot_bit(1, 0), modes=offer_modes))
    assert match is not None
    assert "remote" in codes(match)
    assert "slots" not in codes(match) and "any_time" not in codes(match)
    assert reason(match, "mode")["modes"] & remote_mode and not reason(match, "mode")["modes"] & FACE
    assert match.score == WEIGHTS["same_category"] + WEIGHTS["mode"]  # no time points at all


def test_no_common_mode_is_ruled_out():
    """Phone-only need and in-person-only offer can never meet, even at the same time."""
    assert score(need(modes=PHONE), offer(modes=FACE)) is None
    assert score(need(modes=PHONE | ONLINE, slots=slot_bit(2, 2)), offer(modes=FACE, slots=slot_bit(2, 2))) is None


def test_zero_modes_means_any_mode():
    """An unset mode mask accepts whatever the other side wants."""
    match = score(need(modes=0), offer(modes=ONLINE))
    assert reason(match, "mode") == {"modes": ONLINE}
    assert score(need(modes=0), offer(modes=0)) is not None


@pytest.mark.parametrize("need_slots, offer_slots", [(0, slot_bit(3, 1)), (slot_bit(3, 1), 0), (0, 0)])
def test_either_side_without_slots_means_any_time(need_slots, offer_slots):
    """No time given on one side: "any_time" reason and its bonus, even face-to-face only."""
    match = score(need(slots=need_slots, modes=FACE), offer(slots=offer_slots))
    assert match is not None
    assert "any_time" in codes(match) and "slots" not in codes(match) and "remote" not in codes(match)
    assert match.score == WEIGHTS["same_category"] + WEIGHTS["any_time"] + WEIGHTS["mode"]


@pytest.mark.parametrize("capacity, used", [(1, 1), (2, 2), (2, 3), (0, 0)])
def test_offer_without_a_free_place_is_ruled_out(capacity, used):
    """A full (or over-full) offer takes no one else."""
    assert score(need(), offer(capacity=capacity, used=used)) is None


def test_inactive_offer_is_ruled_out():
    """An offer withdrawn, or from an inactive volunteer, is never suggested."""
    assert score(need(), offer(active=False)) is None
    assert score(need(), offer(active=False, capacity=5)) is None


def test_blocked_history_rules_out_that_volunteer_for_that_beneficiary_only():
    """不再重新配对 is keyed on (volunteer, beneficiary), not on the offer id."""
    history = History(blocked=frozenset({(100, "s1")}))
    assert score(need(beneficiary="s1"), offer(id=10, volunteer_id=100), history) is None
    assert score(need(beneficiary="s1"), offer(id=11, volunteer_id=100), history) is None  # any offer of theirs
    assert score(need(beneficiary="s2"), offer(volunteer_id=100), history) is not None
    assert score(need(beneficiary="s1"), offer(volunteer_id=101), history) is not None
    # A blocked pair stays blocked even if it once also went well.
    both = History(blocked=frozenset({(100, "s1")}), good=frozenset({(100, "s1")}))
    assert score(need(beneficiary="s1"), offer(volunteer_id=100), both) is None


def test_young_teacher_and_student_with_same_number_are_different_people():
    """History for "t3" does not touch student "s3"."""
    history = History(blocked=frozenset({(100, "t3")}))
    assert score(need(beneficiary="t3"), offer(), history) is None
    assert score(need(beneficiary="s3"), offer(), history) is not None


# --- reasons and weights ------------------------------------------------------------------------


def test_skill_words_split_on_common_separators():
    assert skill_words("数学, 英语，物理、化学/生物 ; 历史", None, "") == {"数学", "英语", "物理", "化学", "生物", "历史"}


def test_shared_skill_matches_a_longer_word_and_shows_the_shorter():
    """'数学' on one side matches '初二数学' on the other; the reason shows '数学'."""
    assert shared_skills(frozenset({"数学"}), frozenset({"初二数学"})) == ["数学"]
    assert shared_skills(frozenset({"初二数学"}), frozenset({"数学"})) == ["数学"]
    match = score(need(skills=frozenset({"初二数学"})), offer(skills=frozenset({"数学", "钢琴"})))
    assert reason(match, "skills") == {"skills": "数学"}
    assert match.score == BASE.score + WEIGHTS["skill"]


def test_single_character_does_not_match_inside_a_word():
    """'数' is too short to count as a shared subject of '数学'."""
    assert shared_skills(frozenset({"数"}), frozenset({"数学"})) == []
    assert shared_skills(frozenset({"数"}), frozenset({"数"})) == ["数"]
    match = score(need(skills=frozenset({"数"})), offer(skills=frozenset({"数学"})))
    assert "skills" not in codes(match) and match.score == BASE.score


def test_no_shared_skill_gives_no_skill_reason():
    match = score(need(skills=frozenset({"英语"})), offer(skills=frozenset({"数学"})))
    assert "skills" not in codes(match)
    assert match.score == BASE.score


def test_each_shared_skill_adds_its_weight_up_to_the_cap():
    """One more shared subject adds WEIGHTS["skill"], until MAX_SKILLS subjects."""
    subjects = ["数学", "英语", "物理", "化学", "生物", "历史"][:MAX_SKILLS + 2]
    offered = offer(skills=frozenset(subjects))
    previous = BASE.score
    for k in range(1, len(subjects) + 1):
        match = score(need(skills=frozenset(subjects[:k])), offered)
        expected_gain = WEIGHTS["skill"] if k <= MAX_SKILLS else 0
        assert match.score - previous == expected_gain, k
        assert reason(match, "skills") == {"skills": "、".join(sorted(subjects[:k]))}
        previous = match.score
    assert previous == BASE.score + WEIGHTS["skill"] * MAX_SKILLS


def test_common_slots_are_named_and_scored_per_slot():
    """The reason names the times both have free (a mask: the page puts it in slots_text's words)."""
    wed_evening, sat_morning, tue_afternoon = slot_bit(2, 2), slot_bit(5, 0), slot_bit(1, 1)
    n = need(slots=wed_evening | sat_morning | tue_afternoon)
    one = score(n, offer(slots=wed_evening | slot_bit(0, 0)))
    two = score(n, offer(slots=wed_evening | sat_morning))
    assert reason(one, "slots") == {"slots": wed_evening}
    assert reason(two, "slots") == {"slots": wed_evening | sat_morning}
    assert "any_time" not in codes(two) and "remote" not in codes(two)
    assert one.score == WEIGHTS["same_category"] + WEIGHTS["slot"] + WEIGHTS["mode"]
    assert two.score - one.score == WEIGHTS["slot"]


def test_slot_points_are_capped():
    """A week of common time counts MAX_SLOTS slots, but the reason still lists it all."""
    match = score(need(slots=ALL_SLOTS), offer(slots=ALL_SLOTS))
    assert match.score == WEIGHTS["same_category"] + WEIGHTS["slot"] * MAX_SLOTS + WEIGHTS["mode"]
    assert reason(match, "slots") == {"slots": ALL_SLOTS}


def test_places_reason_shows_free_and_capacity():
    """"Places left 2/3" — free places do not change the score."""
    match = score(need(), offer(capacity=3, used=1))
    assert reason(match, "places") == {"free": 2, "capacity": 3}
    assert match.score == BASE.score


def test_load_lowers_the_score_per_running_pair():
    """A busy volunteer is shown with their load and scores lower."""
    busy = score(need(), offer(load=2))
    assert reason(busy, "load") == {"pairs": 2}
    assert WEIGHTS["load"] < 0
    assert busy.score == BASE.score + 2 * WEIGHTS["load"] < BASE.score
    assert "load" not in codes(BASE)


def test_heavy_load_never_makes_a_feasible_pair_worthless():
    """However busy, a feasible pair keeps a positive score (better than leaving the need unserved)."""
    match = score(need(), offer(load=1000))
    assert match is not None and match.score == 1


def test_continuity_bonus_when_the_same_two_paired_well_before():
    history = History(good=frozenset({(100, "s1")}))
    again = score(need(beneficiary="s1"), offer(volunteer_id=100), history)
    assert "continuity" in codes(again) and reason(again, "continuity") == {}
    assert again.score == BASE.score + WEIGHTS["continuity"]
    other = score(need(beneficiary="s2"), offer(volunteer_id=100), history)
    assert "continuity" not in codes(other) and other.score == BASE.score


def test_priority_student_gets_a_bonus_without_showing_the_tag():
    match = score(need(priority=True), offer())
    assert reason(match, "priority") == {}
    assert match.score == BASE.score + WEIGHTS["priority"]
    assert "priority" not in codes(BASE)


@pytest.mark.parametrize("urgency", [2, 3])
def test_urgency_adds_points_per_level_above_normal(urgency):
    """较急 +1 step, 紧急 +2 steps of WEIGHTS["urgency"]; the level is in the reason."""
    match = score(need(urgency=urgency), offer())
    assert reason(match, "urgent") == {"level": urgency}
    assert match.score == BASE.score + WEIGHTS["urgency"] * (urgency - 1)


def test_normal_urgency_has_no_urgent_reason():
    assert "urgent" not in codes(score(need(urgency=1), offer()))


def test_all_bonuses_add_up():
    """Every fact adds its own weight: the total is the sum of the parts."""
    history = History(good=frozenset({(100, "s1")}))
    match = score(
        need(skills=frozenset({"数学", "英语"}), slots=slot_bit(2, 2), modes=FACE, urgency=3, priority=True),
        offer(skills=frozenset({"初二数学", "英语"}), slots=slot_bit(2, 2), capacity=2, load=1),
        history,
    )
    assert match.score == (WEIGHTS["same_category"] + min(2, MAX_SKILLS) * WEIGHTS["skill"] + WEIGHTS["slot"] + WEIGHTS["mode"]
                           + 2 * WEIGHTS["urgency"] + WEIGHTS["priority"] + WEIGHTS["load"] + WEIGHTS["continuity"])
    assert codes(match) == ["category", "skills", "slots", "mode", "urgent", "priority", "places", "load", "continuity"]
    assert reason(match, "skills") == {"skills": "数学、英语"}
    assert reason(match, "mode") == {"modes": FACE}


# --- ranked -------------------------------------------------------------------------------------


def test_ranked_puts_the_best_first_and_drops_infeasible_offers():
    n = need(skills=frozenset({"数学"}))
    offers = [
        offer(id=1, volunteer_id=1),                                  # plain
        offer(id=2, volunteer_id=2, skills=frozenset({"数学"})),       # plain + skill
        offer(id=3, volunteer_id=3, active=False),                    # ruled out
        offer("兴趣特长", id=4, volunteer_id=4),                        # related
        offer("心理疏导", id=5, volunteer_id=5),                        # unrelated
    ]
    result = ranked(n, offers)
    assert [m.offer_id for m in result] == [2, 1, 4]
    assert [m.score for m in result] == sorted((m.score for m in result), reverse=True)
    assert result == [score(n, o) for o in (offers[1], offers[0], offers[3])]


def test_ranked_breaks_ties_by_offer_id():
    n = need()
    offers = [offer(id=i, volunteer_id=i) for i in (7, 3, 9, 5)]
    assert [m.offer_id for m in ranked(n, offers)] == [3, 5, 7, 9]


def test_ranked_honours_the_limit():
    n = need()
    offers = [offer(id=i, volunteer_id=i, load=i % 3) for i in range(1, 8)]
    full = ranked(n, offers)
    assert len(full) == 7
    assert ranked(n, offers, limit=3) == full[:3]
    assert ranked(n, offers, limit=20) == full
    assert ranked(n, [], limit=3) == []


def test_ranked_uses_history():
    history = History(blocked=frozenset({(1, "s1")}), good=frozenset({(2, "s1")}))
    offers = [offer(id=1, volunteer_id=1, skills=frozenset({"数学"})), offer(id=2, volunteer_id=2), offer(id=3, volunteer_id=3)]
    result = ranked(need(beneficiary="s1", skills=frozenset({"数学"})), offers, history)
    assert [m.offer_id for m in result] == [2, 3]


def test_one_subject_written_two_ways_counts_once():
    """'数学' and '初二数学' on the need both match the offer's '初二数学': one shared subject, not two."""
    need = NeedInfo(id=1, category_id=1, category_name="学业辅导", beneficiary="s1", skills=skill_words("数学, 初二数学"))
    offer = OfferInfo(id=1, volunteer_id=1, category_id=1, category_name="学业辅导", skills=skill_words("初二数学"))
    assert shared_skills(need.skills, offer.skills) == ["数学"]
    assert ["skills", {"skills": "数学"}] in score(need, offer).reasons


def test_a_pair_without_common_time_is_offered_only_the_remote_ways():
    """No common slot: in person is impossible, so the reason names only phone or online."""
    need = NeedInfo(id=1, category_id=1, category_name="学业辅导", beneficiary="s1",
                    slots=slot_bit(0, 0), modes=0b011)
    offer = OfferInfo(id=1, volunteer_id=1, category_id=1, category_name="学业辅导", slots=slot_bit(1, 0))
    assert ["mode", {"modes": PHONE}] in score(need, offer).reasons


# --- near misses: what staff see when nothing suits ---------------------------------------------------

TUE_PM, WED_PM, SAT_AM = slot_bit(1, 1), slot_bit(2, 1), slot_bit(5, 0)


def test_a_calligrapher_on_another_day_is_the_nearest_for_a_tuesday_calligraphy_need():
    n = need("兴趣特长", skills=skill_words("书法"), slots=TUE_PM, modes=FACE)
    o = offer("兴趣特长", skills=skill_words("书法"), slots=WED_PM | SAT_AM, modes=FACE, capacity=2)

    assert score(n, o) is None
    assert differences(n, o) == [["other_time", {"slots": WED_PM | SAT_AM}]]
    assert near_misses(n, [o]) == [(o, differences(n, o))]


def test_a_kindred_skill_under_another_category_is_near_and_an_unrelated_offer_is_not():
    n = need("心理疏导")
    counsellor = offer("法治安全", id=11, skills=skill_words("心理咨询, 法律"))
    lawyer = offer("法治安全", id=12, skills=skill_words("法律"))

    assert score(n, counsellor) is None
    assert differences(n, counsellor) == [["other_category", {"name": "法治安全", "skills": "心理咨询"}]]
    assert differences(n, lawyer) == [["far", {}]]
    assert [o.id for o, _d in near_misses(n, [lawyer, counsellor])] == [11]
    tutor = offer("法治安全", id=13, skills=skill_words("心理辅导"))
    assert differences(need("学业辅导"), tutor) == [["far", {}]]  # 辅导 alone is no kindred subject


def test_near_misses_put_one_difference_before_two_and_the_needs_category_first():
    n = need("学业辅导", skills=skill_words("数学"), slots=TUE_PM, modes=FACE)
    full = offer(id=21, skills=skill_words("数学"), slots=TUE_PM, modes=FACE, capacity=1, used=1)
    full_other_day = offer(id=22, skills=skill_words("数学"), slots=WED_PM, modes=FACE, capacity=1, used=1)
    elsewhere = offer("法治安全", id=23, skills=skill_words("数学"), slots=TUE_PM, modes=FACE)
    only_online = offer(id=24, skills=skill_words("数学"), slots=TUE_PM, modes=ONLINE)
    blocked = offer(id=25, volunteer_id=999, slots=TUE_PM, modes=FACE, capacity=1, used=1)

    rows = near_misses(n, [full_other_day, elsewhere, only_online, full, blocked], History(blocked={(999, "s1")}))

    assert [o.id for o, _d in rows] == [21, 24, 23, 22]
    assert [code for code, _p in dict((o.id, d) for o, d in rows)[22]] == ["full", "other_time"]
    assert dict((o.id, d) for o, d in rows)[24] == [["other_modes", {"modes": ONLINE}]]
