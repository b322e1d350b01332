"""The scorer's reasons in words: 同类别; 科目：数学; 时间重合：周三下午 …"""
from flask_babel import gettext as _

from ..menus.slots import modes_text, slots_text
from ..menus.words import URGENCY


def _in_words(params: dict) -> dict:
    """Slots and modes come as masks, put in the reader's words here. A plan staged before they did keeps the
    Chinese text it was stored with."""
    out = dict(params)
    if isinstance(out.get("slots"), int):
        out["slots"] = slots_text(out["slots"])
    if isinstance(out.get("modes"), int):
        out["modes"] = modes_text(out["modes"])
    return out


def reason_text(code: str, params: dict) -> str:
    params = _in_words(params)
    if code == "category":
        return _("Same category")
    if code == "related":
        return _("Related category: %(name)s", **params)
    if code == "skills":
        return _("Subjects: %(skills)s", **params)
    if code == "slots":
        return _("Common time: %(slots)s", **params)
    if code == "any_time":
        return _("Any time suits")
    if code == "remote":
        return _("By phone or online, so no common time is needed")
    if code == "mode":
        return _("How: %(modes)s", **params)
    if code == "urgent":
        return _("Urgency: %(level)s", level=URGENCY.get(params.get("level"), ""))
    if code == "priority":
        return _("Priority student")
    if code == "places":
        return _("Places left %(free)d/%(capacity)d", **params)
    if code == "load":
        return _("Current load: %(pairs)d pairs", **params)
    if code == "continuity":
        return _("Paired before, it went well")
    if code == "other_category":
        return _("Another category (%(name)s), with %(skills)s", **params)
    if code == "full":
        return _("No free place (%(capacity)d taken)", **params)
    if code == "other_modes":
        return _("Meets only: %(modes)s", **params)
    if code == "other_time":
        return _("Free at other times: %(slots)s", **params)
    if code == "candidates_taken":
        return _("The offers that suit it went to needs they fit better")
    if code == "nearest":
        return _("Nearest: %(name)s", **params)
    if code == "nothing_near":
        return _("No offer in this category or with a kindred skill")
    return code


def reasons_text(reasons) -> list[str]:
    return [reason_text(code, params or {}) for code, params in reasons]
