"""The dashboard's figures as chart rows: (label, value, darker part or None, text written beside the bar), or
(label, value, text) for month columns. Text carries the number, so the chart is never read by colour alone."""
from types import SimpleNamespace

from flask_babel import gettext as _

from ..core.display import hours_text
from .services import Dashboard


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f}".removesuffix(".0") + "%"


def _month(day, first: bool) -> str:
    """Columns say the month; the first column and January say the year too."""
    if first or day.month == 1:
        return _("%(year)d-%(month)d", year=day.year, month=day.month)
    return _("Month %(month)d", month=day.month)


def build(d: Dashboard) -> SimpleNamespace:
    ps = d.parent_school
    return SimpleNamespace(
        needs=[(r.name, r.total, r.matched, _("%(n)d, %(m)d matched", n=r.total, m=r.matched) if r.total else "0")
               for r in d.needs],
        matching=[(label, n, None, str(n)) for label, n in d.matching.buckets],
        grades=[(name, 100, s or 0, f"{_pct(s)} ({n}/{t})") for name, t, n, s in d.coverage.grades],
        pair_kinds=[(label, n, None, str(n)) for label, n in d.pairs.by_kind],
        hours_by_month=[(_month(m.month, i == 0), m.hours, hours_text(m.hours)) for i, m in enumerate(d.hours_by_month)],
        hours_by_kind=[(k, h, None, _("%(h)s h, %(n)d people", h=hours_text(h), n=n)) for k, h, n in d.hours_by_kind],
        events_by_month=[(_month(m.month, i == 0), m.total, str(m.total)) for i, m in enumerate(d.events.months)],
        events_by_kind=[(k, n, None, str(n)) for k, n in d.events.by_kind],
        stars=[("★" * s, n, None, str(n)) for s, n in ps.stars],
        completion=[(x.school_class.label, 100, x.share or 0,
                     _("%(share)s (%(n)d/%(total)d), %(started)d started", share=_pct(x.share), n=x.completed,
                       total=x.families, started=x.started)) for x in ps.completion],
    )
