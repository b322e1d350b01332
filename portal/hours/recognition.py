"""表彰 and service records: the school's levels saved, who reached them in a year, and the 志愿服务记录证明 with
its figures frozen. Each write commits."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..extensions import db
from ..people.models import Volunteer
from .models import HOUR_STEP, HourEntry, RecognitionLevel, ServiceRecord
from .totals import (
    VolunteerTotal,
    by_activity,
    by_term,
    levels,
    one_occasion,
    only_approved,
    sum_hours,
    volunteer_totals,
    year_period,
)

MAX_LEVELS = 6


def save_levels(actor, rows: list[tuple[str, str]]):
    """Replace the school's levels with the filled rows (name, hours); all or nothing."""
    clean = []
    for i, (name, hours) in enumerate(rows):
        name, hours = (name or "").strip(), (hours or "").strip()
        if not name and not hours:
            continue
        if not name:
            raise DomainError(_("Row %(n)d: please give the level a name.", n=i + 1))
        if len(name) > 30:
            raise DomainError(_("Row %(n)d: please keep the name under 30 characters.", n=i + 1))
        try:
            value = Decimal(hours)
        except InvalidOperation:
            value = Decimal("NaN")
        if (not value.is_finite() or value <= 0 or value > 5000 or value != value.quantize(HOUR_STEP)
                or value % HOUR_STEP):
            raise DomainError(_("Row %(n)d: the hours must be a number between 0.5 and 5000, e.g. 50.", n=i + 1))
        clean.append((name, value))
    if not clean:
        raise DomainError(_("Please keep at least one level."))
    if len(clean) > MAX_LEVELS:
        raise DomainError(_("At most %(n)d levels.", n=MAX_LEVELS))
    if len({h for _n, h in clean}) != len(clean) or len({n for n, _h in clean}) != len(clean):
        raise DomainError(_("Two levels have the same name or the same hours. Please make each different."))
    with saving(_("The levels could not be saved. Please try again.")):
        db.session.execute(RecognitionLevel.__table__.delete().where(RecognitionLevel.school_id == actor.school_id))
        db.session.add_all([RecognitionLevel(school_id=actor.school_id, name=n, min_hours=h) for n, h in clean])
        record(actor, "hours.levels", None, "; ".join(f"{n}={h}" for n, h in sorted(clean, key=lambda r: r[1])))


def recognition(school_id: int, year: int) -> list[tuple[tuple[str, Decimal], list[VolunteerTotal]]]:
    """For each level, highest first, the volunteers whose approved hours in the year reach it (and not the
    level above)."""
    lvls = levels(school_id)
    rows = [t for t in volunteer_totals(school_id, year_period(year)) if t.approved >= lvls[0][1]]
    out = []
    for i, level in reversed(list(enumerate(lvls))):
        upper = lvls[i + 1][1] if i + 1 < len(lvls) else None
        out.append((level, [t for t in rows if t.approved >= level[1] and (upper is None or t.approved < upper)]))
    return out


# --- service records -----------------------------------------------------------------------------

def record_figures(volunteer: Volunteer, start: date, end: date) -> dict:
    conds = [HourEntry.volunteer_id == volunteer.id, HourEntry.worked_on >= start, HourEntry.worked_on <= end]
    return {"total": str(sum_hours(*only_approved(*conds))),
            "by_term": [(n, str(h)) for n, h in by_term(volunteer, start, end)],
            "by_activity": [(str(a), str(h)) for a, h in by_activity(conds)],
            "entries": db.session.scalar(select(func.count()).select_from(HourEntry).where(
                *only_approved(*conds), one_occasion())) or 0}


def issue_record(actor, volunteer: Volunteer, start: date | None, end: date | None, today: date) -> ServiceRecord:
    """志愿服务记录证明 for a period, under the next serial number of the year; the figures are frozen."""
    if start is None or end is None:
        raise DomainError(_("Please give both dates of the period."), "period_from" if start is None else "period_to")
    if start > end:
        raise DomainError(_("The period cannot end before it starts."), "period_to")
    if end > today:
        raise DomainError(_("The period cannot end in the future."), "period_to")
    figures = record_figures(volunteer, start, end)
    if Decimal(figures["total"]) <= 0:
        raise DomainError(_("%(name)s has no approved hours in this period.", name=volunteer.name), "period_from")
    for _attempt in range(3):
        taken = db.session.scalars(select(ServiceRecord.serial).where(
            ServiceRecord.school_id == volunteer.school_id, ServiceRecord.serial.like(f"{today.year}-%"))).all()
        number = max((int(s.split("-")[1]) for s in taken), default=0) + 1
        rec = ServiceRecord(school_id=volunteer.school_id, serial=f"{today.year}-{number:04d}",
                            volunteer_id=volunteer.id, period_from=start, period_to=end,
                            total_hours=Decimal(figures["total"]), breakdown=json.dumps(figures, ensure_ascii=False),
                            issued_by_id=actor.id)
        try:
            with saving():
                db.session.add(rec)
                db.session.flush()
                record(actor, "hours.service_record", rec, f"volunteer={volunteer.id} serial={rec.serial}")
            return rec
        except IntegrityError:  # another office issued the same number a moment ago
            continue
    raise DomainError(_("The record could not be issued. Please try again."))


def records_of(volunteer: Volunteer):
    return db.session.scalars(select(ServiceRecord).where(ServiceRecord.volunteer_id == volunteer.id)
                              .order_by(ServiceRecord.issued_at.desc())).all()
