"""How dates, times and hours read on a page: the template filters, usable from Python as well."""
from datetime import UTC, datetime

from flask_babel import get_locale
from flask_login import current_user

from ..menus.slots import WEEKDAY_LABELS, modes_text, slots_text
from ..menus.words import URGENCY
from ..permissions import can
from .clock import SHANGHAI, local_today

WEEKDAYS_ZH = "一二三四五六日"


def cn_date(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(SHANGHAI)
    if str(get_locale()) == "en":
        return value.strftime("%Y-%m-%d (%a)")
    return f"{value.year}年{value.month}月{value.day}日 (周{WEEKDAYS_ZH[value.weekday()]})"


def cn_day(value):
    """2026年3月5日, without the weekday: for printed documents."""
    text = cn_date(value)
    return text.split(" (")[0]


def cn_when(value):
    """A wall-clock time already in Shanghai (a session's start): 2026年3月5日 (周四) 19:00."""
    if value is None:
        return ""
    return f"{cn_date(value.date())} {value:%H:%M}"


def cn_wall_date(value):
    """The date of a wall-clock time already in Shanghai (a session's or event's start); cn_date would read a naive
    time as UTC and move an evening session to the next day."""
    return cn_date(value.date()) if value is not None else ""


def cn_datetime(value):
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(SHANGHAI)
    return f"{cn_date(local)} {local:%H:%M}"


def hours_text(value) -> str:
    """2.0 → "2", 1.50 → "1.5"."""
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def init_app(app):
    """The filters and the few values every template may use."""
    app.jinja_env.filters.update(cn_date=cn_date, cn_day=cn_day, hours=hours_text, cn_datetime=cn_datetime,
                                 cn_when=cn_when, cn_wall_date=cn_wall_date, slots_text=slots_text,
                                 modes_text=modes_text)
    app.jinja_env.globals["weekday_labels"] = WEEKDAY_LABELS
    app.jinja_env.globals["urgency_label"] = URGENCY.get

    @app.context_processor
    def _page_context():
        return {
            "can": lambda action, obj=None: can(current_user._get_current_object(), action, obj),
            "html_lang": "en" if str(get_locale()) == "en" else "zh-CN",
            "today": local_today(),
        }
