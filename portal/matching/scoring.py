"""How well one offer suits one need: hard filters first, then a weighted score with its reasons.

Pure functions over plain records, so the planner, the suggestion list and the tests share them.
All weights live in WEIGHTS; a score is an integer so plans compare exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..menus.slots import ALL_MODES

# Points each fact adds to a need–offer score. Tuned so that, in a plan, an urgent or priority need
# wins a contested place over an ordinary one with a slightly better fit.
WEIGHTS = {
    "same_category": 40,      # the offer's category is the need's
    "related_category": 15,   # a neighbouring category (RELATED below)
    "skill": 15,              # per subject/skill the two share, at most MAX_SKILLS of them
    "slot": 4,                # per weekly slot both have free, at most MAX_SLOTS of them
    "any_time": 8,            # one side said any time suits
    "mode": 5,                # a way of meeting both accept
    "urgency": 20,            # per urgency level above 一般 (较急 +20, 紧急 +40)
    "priority": 25,           # a student with support tags (the tag itself is never shown)
    "load": -6,               # per pair the volunteer already runs
    "continuity": 20,         # an earlier pair of the same two went well
}
MAX_SKILLS = 2
MAX_SLOTS = 5
# Categories close enough that one may stand in for the other.
RELATED = {frozenset(p) for p in (("心理疏导", "思想引导"), ("思想引导", "生涯规划"),
                                   ("心理疏导", "家庭教育指导"), ("学业辅导", "兴趣特长"))}
REMOTE_MODES = 0b110  # 电话 | 线上: meeting needs no common slot
_SPLIT = re.compile(r"[\s,，、;；/／|]+")


def skill_words(*texts: str) -> frozenset[str]:
    return frozenset(w for t in texts for w in _SPLIT.split(t or "") if w)


@dataclass(frozen=True)
class NeedInfo:
    id: int
    category_id: int
    category_name: str
    beneficiary: str  # "s12" a student, "t3" a young teacher: pairs history is per person
    skills: frozenset[str] = frozenset()
    slots: int = 0
    modes: int = 0
    urgency: int = 1
    priority: bool = False


@dataclass(frozen=True)
class OfferInfo:
    id: int
    volunteer_id: int
    category_id: int
    category_name: str
    skills: frozenset[str] = frozenset()
    slots: int = 0
    modes: int = 0
    capacity: int = 1
    used: int = 0
    active: bool = True  # offer available and volunteer active
    load: int = 0  # pairs the volunteer runs now

    @property
    def free(self) -> int:
        return self.capacity - self.used


@dataclass(frozen=True)
class History:
    """Earlier pairs between a volunteer and a beneficiary: (volunteer_id, beneficiary) keys."""

    blocked: frozenset = frozenset()  # closed with 不再重新配对
    good: frozenset = frozenset()


@dataclass
class Match:
    need_id: int
    offer_id: int
    score: int
    reasons: list = field(default_factory=list)  # [code, params]; slots and modes as masks, in words when shown


def shared_skills(a: frozenset[str], b: frozenset[str]) -> list[str]:
    """Skills in common; '数学' matches '初二数学' (the shorter word is shown)."""
    out = set()
    for x in a:
        for y in b:
            if x == y or (min(len(x), len(y)) >= 2 and (x in y or y in x)):
                out.add(min(x, y, key=len))
    # '数学' and '初二数学' both matching are one subject, not two.
    return sorted(w for w in out if not any(o != w and o in w for o in out))


def score(need: NeedInfo, offer: OfferInfo, history: History = History()) -> Match | None:
    """None when a hard filter rules the pair out."""
    if not offer.active or offer.free <= 0:
        return None
    if (offer.volunteer_id, need.beneficiary) in history.blocked:
        return None
    if need.category_id == offer.category_id:
        points, reasons = WEIGHTS["same_category"], [["category", {}]]
    elif frozenset((need.category_name, offer.category_name)) in RELATED:
        points, reasons = WEIGHTS["related_category"], [["related", {"name": offer.category_name}]]
    else:
        return None
    modes = (need.modes or ALL_MODES) & (offer.modes or ALL_MODES)
    if not modes:
        return None
    any_time = not need.slots or not offer.slots
    common = need.slots & offer.slots
    if not any_time and not common:
        modes &= REMOTE_MODES  # with no common time they can only meet by phone or online
        if not modes:
            return None

    skills = shared_skills(need.skills, offer.skills)
    if skills:
        points += WEIGHTS["skill"] * min(len(skills), MAX_SKILLS)
        reasons.append(["skills", {"skills": "、".join(skills)}])
    if any_time:
        points += WEIGHTS["any_time"]
        reasons.append(["any_time", {}])
    elif common:
        points += WEIGHTS["slot"] * min(common.bit_count(), MAX_SLOTS)
        reasons.append(["slots", {"slots": common}])
    else:
        reasons.append(["remote", {}])
    points += WEIGHTS["mode"]
    reasons.append(["mode", {"modes": modes}])
    if need.urgency > 1:
        points += WEIGHTS["urgency"] * (need.urgency - 1)
        reasons.append(["urgent", {"level": need.urgency}])
    if need.priority:
        points += WEIGHTS["priority"]
        reasons.append(["priority", {}])
    reasons.append(["places", {"free": offer.free, "capacity": offer.capacity}])
    if offer.load:
        points += WEIGHTS["load"] * offer.load
        reasons.append(["load", {"pairs": offer.load}])
    if (offer.volunteer_id, need.beneficiary) in history.good:
        points += WEIGHTS["continuity"]
        reasons.append(["continuity", {}])
    # A feasible pair always beats leaving the need unserved.
    return Match(need.id, offer.id, max(points, 1), reasons)


# Two characters that half the category names share say nothing about a subject (学业辅导 and 心理辅导 differ).
COMMON_BIGRAMS = frozenset({"辅导", "指导", "教育", "成长", "学习", "帮扶", "服务"})


def _bigrams(words) -> set[str]:
    return {w[i:i + 2] for w in words for i in range(len(w) - 1)} - COMMON_BIGRAMS


def kindred_skills(need: NeedInfo, offer: OfferInfo) -> list[str]:
    """The offer's skills that look like the need's subject: a shared word, or two characters in common with the
    need's skills or category (心理咨询 for a 心理疏导 need). For staff to judge, never a match by itself."""
    exact = shared_skills(need.skills, offer.skills)
    if exact:
        return exact
    wanted = _bigrams(need.skills | {need.category_name})
    return sorted(w for w in offer.skills if _bigrams([w]) & wanted)


def differences(need: NeedInfo, offer: OfferInfo, history: History = History()) -> list[list]:
    """What keeps the offer from suiting the need, as reasons [code, params]: another category (with a kindred
    skill, else "far"), no free place, no way of meeting both accept, no common time. [] when it suits."""
    if (offer.volunteer_id, need.beneficiary) in history.blocked:
        return [["blocked", {}]]
    out = []
    if need.category_id != offer.category_id and frozenset((need.category_name, offer.category_name)) not in RELATED:
        kindred = kindred_skills(need, offer)
        if not kindred:
            return [["far", {}]]
        out.append(["other_category", {"name": offer.category_name, "skills": "、".join(kindred)}])
    if offer.free <= 0:
        out.append(["full", {"capacity": offer.capacity}])
    modes = (need.modes or ALL_MODES) & (offer.modes or ALL_MODES)
    if not modes:
        out.append(["other_modes", {"modes": offer.modes}])
    elif need.slots and offer.slots and not need.slots & offer.slots and not modes & REMOTE_MODES:
        out.append(["other_time", {"slots": offer.slots}])
    return out


def near_misses(need: NeedInfo, offers, history: History = History(), limit: int = 5) -> list[tuple[OfferInfo, list]]:
    """The offers that come closest without suiting: one difference before two, the need's own category before
    another, for staff to phone and ask (another day, another way of meeting, one more place)."""
    rows = []
    for offer in offers:
        if not offer.active:
            continue
        diff = differences(need, offer, history)
        if diff and diff[0][0] not in ("blocked", "far"):
            rows.append(((len(diff), diff[0][0] == "other_category", offer.id), offer, diff))
    rows.sort(key=lambda r: r[0])
    return [(offer, diff) for _key, offer, diff in rows[:limit]]


def ranked(need: NeedInfo, offers, history: History = History(), limit: int | None = None) -> list[Match]:
    matches = [m for m in (score(need, o, history) for o in offers) if m is not None]
    matches.sort(key=lambda m: (-m.score, m.offer_id))
    return matches[:limit] if limit else matches
