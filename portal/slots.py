"""Time slots (weekday × 上午/下午/晚上) and contact modes, stored as bit masks.

A mask lets "free on Wednesday evening" be one indexed integer test on both SQLite and PostgreSQL,
and lets matching compare a need and an offer with a single AND.
"""
import re

from flask_babel import lazy_gettext as _l

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PARTS = ("上午", "下午", "晚上")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PARTS_EN = ("morning", "afternoon", "evening")
ALL_SLOTS = (1 << (len(WEEKDAYS) * len(PARTS))) - 1

MODES = ("面对面", "电话", "线上")
MODE_LABELS = (_l("In person"), _l("By phone"), _l("Online"))
ALL_MODES = (1 << len(MODES)) - 1


def slot_bit(day: int, part: int) -> int:
    return 1 << (day * len(PARTS) + part)


def slot_label(day: int, part: int) -> str:
    return f"{WEEKDAYS[day]}{PARTS[part]}"


SLOT_CHOICES = [(slot_bit(d, p), slot_label(d, p)) for d in range(len(WEEKDAYS)) for p in range(len(PARTS))]
MODE_CHOICES = [(1 << i, m) for i, m in enumerate(MODES)]


def slots_text(mask: int) -> str:
    """'周三晚上、周六上午' — or a day name when the whole day is free."""
    if not mask:
        return "时间不限"
    out = []
    for d, day in enumerate(WEEKDAYS):
        day_bits = [p for p in range(len(PARTS)) if mask & slot_bit(d, p)]
        if len(day_bits) == len(PARTS):
            out.append(f"{day}全天")
        else:
            out.extend(f"{day}{PARTS[p]}" for p in day_bits)
    return "、".join(out)


def modes_text(mask: int) -> str:
    return "、".join(m for i, m in enumerate(MODES) if mask & (1 << i)) or "方式不限"


_SPLIT = re.compile(r"[,，、;；/\s]+")


def parse_slots(text: str) -> int:
    """Parse '周三晚上、周六全天' (as written by slots_text); raises ValueError on a word it does not know."""
    text = (text or "").strip()
    if not text or text == "时间不限":
        return 0
    mask = 0
    for word in filter(None, _SPLIT.split(text)):
        word = word.replace("星期", "周").replace("礼拜", "周").replace("周天", "周日").replace("周七", "周日")
        day = next((d for d, name in enumerate(WEEKDAYS) if word.startswith(name)), None)
        rest = word[2:] if day is not None else None
        if day is None:
            raise ValueError(word)
        if rest in ("全天", ""):
            mask |= sum(slot_bit(day, p) for p in range(len(PARTS)))
        elif rest in PARTS:
            mask |= slot_bit(day, PARTS.index(rest))
        else:
            raise ValueError(word)
    return mask


def parse_modes(text: str) -> int:
    text = (text or "").strip()
    if not text or text == "方式不限":
        return 0
    mask = 0
    for word in filter(None, _SPLIT.split(text)):
        if word not in MODES:
            raise ValueError(word)
        mask |= 1 << MODES.index(word)
    return mask
