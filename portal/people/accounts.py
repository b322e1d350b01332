"""Logins for the people the school knows: one at a time, or every guardian of a class at once, with the login slips
(登录卡) the class teacher hands out. The login is the mobile number; the one-time password is shown once, on the
slip, and must be replaced at the first login."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import User
from ..auth.services import give_temporary_password
from ..core.errors import DomainError, saving
from ..extensions import db
from .models import Family, Guardian, SchoolClass, Student, Volunteer


def _one_time_password() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def _new_login(person, role: str, mobile: str) -> tuple[User, str]:
    link = {"volunteer_id": person.id} if role == "volunteer" else {"guardian_id": person.id}
    password = _one_time_password()
    user = User(school_id=person.school_id, username=mobile, mobile=mobile, display_name=person.name, role=role,
                **link)
    give_temporary_password(user, password)
    db.session.add(user)
    return user, password


def open_account(actor, person) -> tuple[User, str]:
    """Create a login for a volunteer or a guardian; returns the user and a one-time password."""
    if isinstance(person, Volunteer):
        role = "volunteer"
        taken = db.session.scalar(select(User).where(User.volunteer_id == person.id))
    else:
        role = "parent"
        taken = db.session.scalar(select(User).where(User.guardian_id == person.id))
    if taken:
        raise DomainError(_("This person already has an account: %(username)s", username=taken.username))
    mobile = person.phone if isinstance(person, Volunteer) else person.mobile
    if not mobile:
        raise DomainError(_("A mobile number is needed first: it becomes the username."))
    with saving(_("This username or mobile number is already used by another account.")):
        user, password = _new_login(person, role, mobile)
        db.session.flush()
        record(actor, "user.create", user, f"role={role}")
    return user, password


@dataclass
class Line:
    """A guardian (with their children in the class) or a volunteer, and where their login stands."""
    person: Guardian | Volunteer
    children: list[Student] = field(default_factory=list)
    user: User | None = None
    problem: str = ""  # why no login can be opened for them now

    @property
    def mobile(self) -> str:
        return (self.person.phone if isinstance(self.person, Volunteer) else self.person.mobile) or ""

    @property
    def can_open(self) -> bool:
        return self.user is None and not self.problem


@dataclass
class Slip:
    """One login slip: who it is for, the login and the one-time password."""
    name: str
    relation: str
    children: list[Student]
    login: str
    password: str


def class_guardians(school_class: SchoolClass) -> list[Line]:
    """Every guardian of the class's active children, a family's children together, in the class list's order."""
    children = db.session.scalars(
        select(Student).where(Student.class_id == school_class.id, Student.active.is_(True),
                              Student.family_id.is_not(None))
        .order_by(Student.student_no, Student.id)
        .options(selectinload(Student.family).selectinload(Family.guardians))).all()
    lines: dict[int, Line] = {}
    for child in children:
        if not child.family.active:
            continue
        for guardian in child.family.guardians:
            lines.setdefault(guardian.id, Line(guardian)).children.append(child)
    return _settled(list(lines.values()), User.guardian_id)


def school_volunteers(school_id: int) -> list[Line]:
    """Every active volunteer of the school, by name."""
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id,
                                                            Volunteer.active.is_(True))
                                    .order_by(Volunteer.name_initials, Volunteer.id)).all()
    return _settled([Line(v) for v in volunteers], User.volunteer_id)


def _settled(lines: list[Line], link) -> list[Line]:
    """Each line's login, or why none can be opened; `link` is the User column naming the person."""
    mobiles = {line.mobile for line in lines if line.mobile}
    users = db.session.scalars(select(User).where(or_(link.in_([line.person.id for line in lines]),
                                                      User.username.in_(mobiles), User.mobile.in_(mobiles)))).all()
    own = {getattr(u, link.key): u for u in users}
    by_mobile = {key: u for u in users for key in (u.username, u.mobile) if key}
    waiting: dict[str, list[Line]] = {}
    for line in lines:
        line.user = own.get(line.person.id)
        if line.user is not None:
            continue
        if not line.mobile:
            line.problem = _("No mobile number on record.")
        elif line.mobile in by_mobile:
            line.problem = _("This mobile number already logs in to the account of %(name)s.",
                             name=by_mobile[line.mobile].display_name)
        else:
            waiting.setdefault(line.mobile, []).append(line)
    for same in waiting.values():  # one login per mobile: the office must say whose it is
        if len(same) > 1:
            for line in same:
                line.problem = _("%(names)s have the same mobile number on record.",
                                 names="、".join(x.person.name for x in same))
    return lines


def open_logins(actor, lines: list[Line], note: str) -> list[Slip]:
    """Open a login for every line that has none and can have one, in one transaction; returns their slips (the
    only time the passwords are seen). People who already have a login are left as they are."""
    slips, users = [], []
    with saving(_("Another account took one of these mobile numbers just now. Please try again.")):
        for line in (line for line in lines if line.can_open):
            person = line.person
            role = "volunteer" if isinstance(person, Volunteer) else "parent"
            user, password = _new_login(person, role, line.mobile)
            users.append(user)
            slips.append(Slip(person.name, getattr(person, "relation", ""), line.children, user.username, password))
        db.session.flush()
        for user in users:
            record(actor, "user.create", user, f"role={user.role} {note}")
    return slips


def reset_password(actor, user: User) -> Slip:
    """A new one-time password for a parent's or volunteer's login, and its slip; the old password and every open
    session stop working. Staff passwords are set on the account's own page."""
    if user.role not in ("parent", "volunteer"):
        raise DomainError(_("Only parents' and volunteers' passwords are reset here."))
    password = _one_time_password()
    with saving():
        give_temporary_password(user, password)
        record(actor, "user.password_reset", user, f"role={user.role}")
    guardian = user.guardian
    children = [c for c in guardian.family.children if c.active] if guardian is not None else []
    return Slip(user.display_name, guardian.relation if guardian is not None else "", children, user.username,
                password)
