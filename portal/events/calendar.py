"""The 行事历: the terms and school years it shows, its events by month, and an event's date as it prints it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..people.services import term_for
from ..permissions import scope
from .models import Event
from .services import loaded, period_end

HALF_NAMES = {1: "上半年", 7: "下半年"}


@dataclass
class Period:
    key: str
    name: str
    starts: date
    ends: date  # inclusive


def period(key: str | None, today: date) -> Period:
    """A term ("2026-1", "2026-2") or a school year ("2026"); the current term when the key is unknown."""
    try:
        if key and "-" in key:
            year, half = (int(x) for x in key.split("-"))
            if 2000 <= year <= 2100 and half in (1, 2):
                name, starts, ends = term_for(date(year, 9, 1) if half == 1 else date(year + 1, 3, 1))
                return Period(key, name, starts, ends)
        elif key:
            year = int(key)
            if 2000 <= year <= 2100:
                return Period(key, f"{year}–{year + 1}学年", date(year, 9, 1), date(year + 1, 8, 31))
    except ValueError:
        pass
    name, starts, ends = term_for(today)
    return Period(f"{starts.year if starts.month == 9 else starts.year - 1}-{1 if starts.month == 9 else 2}",
                  name, starts, ends)


def periods_around(today: date) -> list[Period]:
    """The terms and school years offered in the calendar's filter: last year's to next year's."""
    current = period(None, today)
    year = int(current.key.split("-")[0])
    out = []
    for y in (year + 1, year, year - 1):
        out += [period(f"{y}-2", today), period(f"{y}-1", today), period(str(y), today)]
    return out


@dataclass
class MonthGroup:
    label: str
    events: list = field(default_factory=list)


def calendar_events(school_id: int, p: Period, kind: str = "", month: int | None = None,
                    user=None) -> list[Event]:
    starts = datetime.combine(p.starts, datetime.min.time())
    ends = datetime.combine(p.ends + timedelta(days=1), datetime.min.time())
    stmt = select(Event).where(Event.school_id == school_id, Event.starts_at < ends,
                               Event.starts_at >= starts - timedelta(days=184))
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if user is not None:
        stmt = stmt.where(scope(user, Event))
    events = db.session.scalars(loaded(stmt.order_by(Event.starts_at, Event.id))).all()
    events = [e for e in events if period_end(e) > starts]
    if month:
        events = [e for e in events if e.precision != "half" and e.starts_at.month == month]
    return events


def month_groups(events: list[Event], p: Period) -> list[MonthGroup]:
    """By month as on the paper 行事历; half-year entries after the months. Within a month, entries known only by
    the month come first."""
    spans_years = p.starts.year != p.ends.year
    months: dict[tuple, MonthGroup] = {}
    halves: dict[tuple, MonthGroup] = {}
    for e in sorted(events, key=lambda e: (e.starts_at.year, e.starts_at.month, e.dated, e.starts_at, e.id)):
        y, m = e.starts_at.year, e.starts_at.month
        if e.precision == "half":
            halves.setdefault((y, m), MonthGroup(f"{y}年{HALF_NAMES[m]}")).events.append(e)
        else:
            label = f"{y}年{m}月" if spans_years else f"{m}月"
            months.setdefault((y, m), MonthGroup(label)).events.append(e)
    return [months[k] for k in sorted(months)] + [halves[k] for k in sorted(halves)]


def when_text(event: Event) -> str:
    """The date as the calendar prints it: 3月5日 14:00–16:00, 3月（日期待定）, 2026年下半年."""
    s = event.starts_at
    if event.precision == "half":
        return f"{s.year}年{HALF_NAMES[s.month]}"
    if event.precision == "month":
        return f"{s.month}月（日期待定）"
    text = f"{s.month}月{s.day}日"
    if event.precision == "time":
        text += f" {s:%H:%M}"
        if event.ends_at and event.ends_at.date() == s.date():
            text += f"–{event.ends_at:%H:%M}"
    return text
