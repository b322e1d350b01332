"""The school year rolls over (学年升级), and a student transfers out (转学) in the middle of one.

preview() says everything the rollover would do; apply() does all of it in one transaction, or nothing: every class
moves up a grade; the classes of the school's last grade graduate (their students become 已毕业 and leave the lists,
their running pairs end with the reason 毕业, their waiting needs close; the class keeps its name with the year,
六年级1班（2027届）, out of the lists); the new school year's two terms exist, and the year decides which is current.
A family with no child left in the school keeps its login and its certificates (permissions.py). New first-year
classes come from a roster import. Nothing is deleted. This module sits above the domains it calls, as leaving.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..audit.services import record
from ..core.clock import local_now, local_today
from ..core.errors import DomainError, saving
from ..extensions import db
from ..pairs import services as pairs
from ..pairs.models import Pair
from ..registrations import services as seats
from . import services
from .models import GRADE_NAMES, Family, School, SchoolClass, Student, Term, teacher_classes


def school_year_of(day: date) -> int:
    """The school year a rollover on `day` moves into: from June on, the one starting in September (a rollover
    forgotten until the autumn still finds it); before June the present one has months to run."""
    return day.year if day.month >= 6 else day.year - 1


@dataclass
class Move:
    klass: SchoolClass
    grade: int  # the grade it moves into

    @property
    def label(self) -> str:
        return f"{GRADE_NAMES[self.grade]}{self.klass.name}"


@dataclass
class Rollover:
    school: School
    year: int  # the school year moved into: 2027 for 2027–2028
    moves: list[Move] = field(default_factory=list)
    graduating: list[SchoolClass] = field(default_factory=list)
    graduates: list[Student] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    families_leaving: list[Family] = field(default_factory=list)  # no child left in the school after it
    terms: list[tuple[str, date, date]] = field(default_factory=list)  # to create
    refusal: str = ""

    @property
    def year_label(self) -> str:
        return f"{self.year}–{self.year + 1}"

    def graduated_name(self, klass: SchoolClass) -> str:
        suffix = f"（{self.year}届）"
        return klass.name[:SchoolClass.name.type.length - len(suffix)] + suffix


def preview(school_id: int, today: date | None = None) -> Rollover:
    today = today or local_today()
    school = db.session.get(School, school_id)
    plan = Rollover(school, school_year_of(today))
    if school.school_year >= plan.year:
        plan.refusal = _("The classes are already in the %(year)s school year.", year=f"{school.school_year}–"
                                                                                   f"{school.school_year + 1}")
        return plan
    classes = [c for c in services.classes_of(school_id) if c.active]
    plan.graduating = [c for c in classes if c.grade >= school.last_grade]
    plan.moves = [Move(c, c.grade + 1) for c in sorted((c for c in classes if c.grade < school.last_grade),
                                                         key=lambda c: -c.grade)]
    graduating_ids = [c.id for c in plan.graduating]
    plan.graduates = list(db.session.scalars(select(Student).where(
        Student.class_id.in_(graduating_ids), Student.active.is_(True)).order_by(Student.class_id, Student.name)))
    plan.pairs = pairs.running_pairs_of([s.id for s in plan.graduates])
    leaving_ids = {s.id for s in plan.graduates}
    family_ids = {s.family_id for s in plan.graduates if s.family_id}
    staying = set(db.session.scalars(select(Student.family_id).where(
        Student.family_id.in_(family_ids), Student.active.is_(True), Student.id.not_in(leaving_ids))))
    plan.families_leaving = list(db.session.scalars(select(Family).where(
        Family.id.in_(family_ids - staying)).order_by(Family.name)))
    existing = set(db.session.scalars(select(Term.name).where(Term.school_id == school_id)))
    plan.terms = [term for term in (services.term_for(date(plan.year, 9, 1)), services.term_for(date(plan.year + 1, 2, 1)))
                  if term[0] not in existing]
    blocked = _blocked(school_id, plan)
    if blocked:
        plan.refusal = _("Deactivated classes have the names the classes move into: %(classes)s. Rename them first.",
                         classes="、".join(blocked))
    elif not classes:
        plan.refusal = _("The school has no classes to move up yet.")
    return plan


def _blocked(school_id: int, plan: Rollover) -> list[str]:
    """Classes out of the lists that hold a (grade, name) a class moves into."""
    moving = {m.klass.id for m in plan.moves} | {c.id for c in plan.graduating}
    targets = {(m.grade, m.klass.name) for m in plan.moves}
    return [c.label for c in db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id))
            if c.id not in moving and (c.grade, c.name) in targets]


def apply(actor, today: date | None = None) -> Rollover:
    """Roll the school over as preview() says, in one transaction, then give up the seats still to come of the
    families with no child left (each seat going to a family waiting, as when a family is deactivated). Raises
    DomainError when it may not."""
    today = today or local_today()
    with saving(_("Someone changed the classes at the same moment. Nothing was changed; please try again.")):
        plan = preview(actor.school_id, today)
        # The school's row is claimed before anything changes: a second rollover, even a concurrent one, finds the
        # year taken.
        if plan.refusal:
            raise DomainError(plan.refusal)
        claimed = db.session.execute(update(School).where(
            School.id == actor.school_id,
            School.school_year < plan.year).values(school_year=plan.year))
        if claimed.rowcount != 1:
            raise DomainError(_("The classes are already in the %(year)s school year.", year=plan.year_label))
        if plan.graduating:  # a graduated class's teachers no longer see its children
            db.session.execute(teacher_classes.delete().where(
                teacher_classes.c.class_id.in_([c.id for c in plan.graduating])))
        for klass in plan.graduating:
            klass.name, klass.active = plan.graduated_name(klass), False
            db.session.flush()  # its old name is free before a class below moves into it
        for move in plan.moves:  # the highest grade first, so each (grade, name) is free when a class moves in
            move.klass.grade = move.grade
            db.session.flush()
        for student in plan.graduates:
            services.leaving_school(actor, student, "graduated", today)
        for pair in plan.pairs:
            pairs.ending(actor, pair, "graduated", "", False, today)
        db.session.execute(update(Term).where(Term.school_id == actor.school_id).values(is_current=False))
        db.session.add_all(Term(school_id=actor.school_id, name=name, starts_on=starts, ends_on=ends)
                           for name, starts, ends in plan.terms)
        record(actor, "school.rollover", plan.school,
               f"{plan.year} moved={len(plan.moves)} graduated={len(plan.graduates)} classes={len(plan.graduating)} "
               f"pairs={len(plan.pairs)} families_leaving={len(plan.families_leaving)}")
    for family in plan.families_leaving:
        seats.cancel_family(actor, family.id, local_now())
    return plan


def transfer_out(actor, student: Student, day: date | None = None) -> list[str]:
    """A student leaves for another school (转学): out of the lists as 转出, waiting needs closed and running pairs
    ended with the reason 转学, in one transaction; then, if the family has no child left, its seats still to come
    are given up. Returns what was ended, one phrase each, for the office."""
    day = day or local_today()
    if not student.active:
        raise DomainError(_("This student is no longer in the school."))
    with saving(_("The pairs could not be ended. Nothing was changed; please try again.")):
        closed = services.leaving_school(actor, student, "transferred", day)
        ended = sum(pairs.ending(actor, pair, "transferred", "", False, day)
                    for pair in pairs.running_pairs_of([student.id]))
    done = [_("%(n)d waiting needs closed", n=closed)] if closed else []
    done += [_("%(n)d running pairs ended", n=ended)] if ended else []
    family = student.family
    if family is not None and not any(child.active for child in family.children):
        if n := seats.cancel_family(actor, family.id, local_now()):
            done.append(_("%(n)d registrations still to come cancelled, their seats given to families waiting", n=n))
    return done
