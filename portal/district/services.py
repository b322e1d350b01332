"""Units, their subtrees and users, the 达标 lines, and the district's table of schools."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import UNIT_ROLES, User, new_session_token
from ..auth.services import give_temporary_password
from ..core.errors import DomainError, saving
from ..extensions import db
from ..hours.totals import Period
from ..people.models import School
from . import figures
from .models import Unit, UnitThreshold, forget_tree, units_below


def tree(unit: Unit) -> list[tuple[Unit, int]]:
    """The unit and those under it, each with its depth, parents before children, by name."""
    units = db.session.scalars(select(Unit).where(Unit.id.in_(units_below(unit.id))).order_by(Unit.name)).all()
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u)
    out: list[tuple[Unit, int]] = []

    def walk(u, depth):
        out.append((u, depth))
        for child in children.get(u.id, ()):
            walk(child, depth + 1)

    walk(unit, 0)
    return out


def schools_below(unit: Unit) -> list[School]:
    return db.session.scalars(select(School).where(School.unit_id.in_(units_below(unit.id)))
                              .order_by(School.name)).all()


def unit_users(unit: Unit) -> list[User]:
    return db.session.scalars(select(User).where(User.unit_id.in_(units_below(unit.id)))
                              .order_by(User.active.desc(), User.role, User.username)).all()


# Changes by the unit's administrator ---------------------------------------------------------------------

def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please give the unit a name."), "name")
    return name


def add_unit(actor, parent: Unit, name: str) -> Unit:
    unit = Unit(name=_check_name(name), parent_id=parent.id)
    with saving(_("A unit of this name already exists."), "name"):
        db.session.add(unit)
        db.session.flush()
        record(actor, "unit.create", unit, unit.name)
    forget_tree()
    return unit


def place_school(actor, school: School, unit: Unit) -> None:
    """Moves a school of the actor's subtree under another unit of it."""
    if school.unit_id == unit.id:
        return
    with saving():
        school.unit_id = unit.id
        record(actor, "unit.school_moved", unit, school.name)


def save_unit_user(actor, user: User | None, unit: Unit, data: dict) -> User:
    if data["role"] not in UNIT_ROLES:
        raise DomainError(_("Choose a role."), "role")
    creating = user is None
    if creating and not data.get("password"):
        raise DomainError(_("A new account needs a password."), "password")
    active = data.get("active", True)
    if user is actor and not active:
        raise DomainError(_("You cannot deactivate your own account."), "active")
    user = user or User(unit_id=unit.id)
    if user.active and not active:  # logged out everywhere at once
        user.session_token = new_session_token()
    user.active = active
    user.unit_id = unit.id
    user.username, user.display_name = data["username"], data["display_name"]
    user.mobile = data.get("mobile") or None
    user.role = data["role"]
    if data.get("password"):
        if user is actor:
            user.session_token = new_session_token()
        give_temporary_password(user, data["password"])
    with saving(_("This username or mobile number is already used by another account."), "username"):
        db.session.add(user)
        db.session.flush()
        record(actor, "user.create" if creating else "user.update", user, f"role={user.role} unit={unit.name}")
    return user


# 达标 lines ----------------------------------------------------------------------------------------------

def thresholds(unit: Unit) -> dict[str, float]:
    """The lines that hold for the unit: its own, else the nearest unit above it that set one."""
    chain, u = [], unit
    while u is not None:
        chain.append(u.id)
        u = u.parent
    rows = db.session.execute(select(UnitThreshold.unit_id, UnitThreshold.figure, UnitThreshold.value)
                              .where(UnitThreshold.unit_id.in_(chain))).all()
    out: dict[str, float] = {}
    for unit_id in reversed(chain):  # the bureau's first, then each unit below overrides
        out.update({f: v for uid, f, v in rows if uid == unit_id})
    return out


def own_thresholds(unit: Unit) -> dict[str, float]:
    return dict(db.session.execute(select(UnitThreshold.figure, UnitThreshold.value)
                                   .where(UnitThreshold.unit_id == unit.id)).all())


def save_thresholds(actor, unit: Unit, lines: dict[str, float | None]) -> None:
    """Sets, changes or (None) removes the unit's own line per figure."""
    existing = {t.figure: t for t in db.session.scalars(select(UnitThreshold).where(UnitThreshold.unit_id == unit.id))}
    with saving():
        for key, value in lines.items():
            if key not in figures.BY_KEY or not figures.BY_KEY[key].better:
                continue
            row = existing.get(key)
            if value is None:
                if row is not None:
                    db.session.delete(row)
            elif row is None:
                db.session.add(UnitThreshold(unit_id=unit.id, figure=key, value=value))
            else:
                row.value = value
        record(actor, "unit.thresholds", unit, " ".join(f"{k}={v}" for k, v in sorted(lines.items()) if v is not None))


# The table ----------------------------------------------------------------------------------------------

def table(unit: Unit, period: Period, now: datetime) -> list[figures.Row]:
    """One row per school under the unit, with the period's figures and the previous period's."""
    schools = db.session.execute(select(School.id, School.name, Unit.name).join(Unit, Unit.id == School.unit_id)
                                 .where(School.unit_id.in_(units_below(unit.id))).order_by(School.name)).all()
    got = figures.values([sid for sid, _n, _u in schools], [period, figures.previous(period)], now)
    return [figures.Row(sid, name, unit_name, *got[sid]) for sid, name, unit_name in schools]


def sort_rows(rows: list[figures.Row], key: str | None, descending: bool) -> list[figures.Row]:
    """By a figure (schools without it last, whichever the direction), else by name."""
    if key not in figures.BY_KEY:
        return rows
    have = [r for r in rows if r.values.get(key) is not None]
    have.sort(key=lambda r: r.values[key], reverse=descending)
    return have + [r for r in rows if r.values.get(key) is None]


def met_counts(rows: list[figures.Row], lines: dict[str, float]) -> dict[str, tuple[int, int]]:
    """Per figure with a line: how many schools met it, of those with the figure (达标率's two numbers)."""
    out = {}
    for key, line in lines.items():
        figure = figures.BY_KEY.get(key)
        if figure is None or not figure.better:
            continue
        states = [figures.status(figure, r.values.get(key), line) for r in rows]
        out[key] = (states.count("met"), sum(1 for s in states if s))
    return out


TREND_PERIODS = 4


def trend(school: School, period: Period, now: datetime) -> list[tuple[Period, dict]]:
    """The school's figures for the period and the ones before it, newest first."""
    chain = [period]
    while len(chain) < TREND_PERIODS:
        chain.append(figures.previous(chain[-1]))
    return list(zip(chain, figures.values([school.id], chain, now)[school.id], strict=True))
