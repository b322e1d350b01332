"""Time slots (weekday × 上午/下午/晚上) and contact modes, stored as bit masks.

A mask lets "free on Wednesday evening" be one indexed integer test on both SQLite and PostgreSQL,
and lets matching compare a need and an offer with a single AND.
"""
import re
from weakref import WeakKeyDictionary

from flask import has_app_context
from flask_babel import LazyString, get_translations, lazy_pgettext
from flask_babel import lazy_gettext as _l

from ..core.i18n import request_catalog

# The Chinese words as spreadsheets write and read them (slots_text_zh, parse_slots): a sheet is a Chinese document,
# its format is no translation, and a translator's change to the .po must never break reading it back.
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
PARTS = ("上午", "下午", "晚上")
MODES = ("面对面", "电话", "线上")
ALL_SLOTS = (1 << (len(WEEKDAYS) * len(PARTS))) - 1
ALL_MODES = (1 << len(MODES)) - 1

# The same words in the reader's language, for pages. In Chinese they read exactly as the sheets' words.
WEEKDAY_LABELS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
PART_LABELS = (_l("morning"), _l("afternoon"), _l("evening"))
MODE_LABELS = (_l("In person"), _l("By phone"), _l("Online"))
_SLOT = lazy_pgettext("time slot", "%(day)s %(part)s")  # 周三晚上
_WHOLE_DAY = lazy_pgettext("time slot", "%(day)s all day")  # 周三全天
_SEPARATOR = lazy_pgettext("list separator", ", ")  # 、
_ANY_TIME = lazy_pgettext("time slots", "Any time")  # 时间不限 (the filters' “Any time” is 全部时间)
_ANY_WAY = lazy_pgettext("ways of meeting", "Any way")  # 方式不限 (the filters' “Any way” is 全部方式)


def slot_bit(day: int, part: int) -> int:
    return 1 << (day * len(PARTS) + part)


class _Words:
    """The words slots_text and modes_text put together, looked up once per catalog: a list page shows dozens."""

    def __init__(self):
        slot, whole_day = str(_SLOT), str(_WHOLE_DAY)
        days, parts = [str(d) for d in WEEKDAY_LABELS], [str(p) for p in PART_LABELS]
        self.slots = [[slot % {"day": day, "part": part} for part in parts] for day in days]
        self.whole_days = [whole_day % {"day": day} for day in days]
        self.modes = [str(m) for m in MODE_LABELS]
        self.separator, self.any_time, self.any_way = str(_SEPARATOR), str(_ANY_TIME), str(_ANY_WAY)


_WORDS = WeakKeyDictionary()  # catalog -> _Words


def _words() -> _Words:
    catalog = request_catalog() if has_app_context() else get_translations()  # the request's, found once
    words = _WORDS.get(catalog)
    if words is None:
        words = _WORDS[catalog] = _Words()
    return words


def slot_label(day: int, part: int) -> str:
    """'Wed evening' (周三晚上) in the reader's language."""
    return _words().slots[day][part]


SLOT_CHOICES = [(slot_bit(d, p), LazyString(slot_label, d, p)) for d in range(len(WEEKDAYS)) for p in range(len(PARTS))]
MODE_CHOICES = [(1 << i, label) for i, label in enumerate(MODE_LABELS)]


def _slot_words(mask: int, slots, whole_days) -> list[str]:
    out = []
    for d in range(len(WEEKDAYS)):
        day_bits = [p for p in range(len(PARTS)) if mask & slot_bit(d, p)]
        if len(day_bits) == len(PARTS):
            out.append(whole_days[d])
        else:
            out.extend(slots[d][p] for p in day_bits)
    return out


def slots_text(mask: int) -> str:
    """'Wed evening, Sat morning' (周三晚上、周六上午) in the reader's language — or a day with 'all day' (周日全天)
    when the whole day is free."""
    words = _words()
    if not mask:
        return words.any_time
    return words.separator.join(_slot_words(mask, words.slots, words.whole_days))


def modes_text(mask: int) -> str:
    """'In person, Online' (面对面、线上) in the reader's language."""
    words = _words()
    return words.separator.join(m for i, m in enumerate(words.modes) if mask & (1 << i)) or words.any_way


_SLOTS_ZH = [[f"{day}{part}" for part in PARTS] for day in WEEKDAYS]
_WHOLE_DAYS_ZH = [f"{day}全天" for day in WEEKDAYS]


def slots_text_zh(mask: int) -> str:
    """'周三晚上、周六上午' or '周日全天', always in Chinese: the cell of a spreadsheet, which parse_slots reads back."""
    if not mask:
        return "时间不限"
    return "、".join(_slot_words(mask, _SLOTS_ZH, _WHOLE_DAYS_ZH))


def modes_text_zh(mask: int) -> str:
    """'面对面、线上', always in Chinese: the cell of a spreadsheet, which parse_modes reads back."""
    return "、".join(m for i, m in enumerate(MODES) if mask & (1 << i)) or "方式不限"


_SPLIT = re.compile(r"[,，、;；/\s]+")


def parse_slots(text: str) -> int:
    """Parse '周三晚上、周六全天' (as written by slots_text_zh); raises ValueError on a word it does not know."""
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
