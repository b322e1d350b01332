"""People: lists, saving, deactivation, consent and support tags. Each function commits."""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..auth.models import User, new_session_token
from ..auth.services import give_temporary_password, hash_password
from ..core.clock import local_today
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..extensions import db
from ..needs.models import Need
from ..offers.models import Offer
from ..permissions import scope
from .models import (
    GRADE_NAMES,
    Category,
    Consent,
    Family,
    Guardian,
    School,
    SchoolClass,
    Student,
    SupportTag,
    Term,
    Volunteer,
    YoungTeacher,
    initials,
)


def _name_filter(model, q: str):
    like = f"%{q}%"
    conds = [model.name.ilike(like)]
    if hasattr(model, "name_initials") and q.isascii() and q.isalpha():
        conds.append(model.name_initials.like(f"{q.lower()}%"))
    return or_(*conds)


# ---- lists -------------------------------------------------------------------------------

def classes_of(school_id: int, with_teachers: bool = False):
    stmt = select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.grade, SchoolClass.name)
    if with_teachers:
        stmt = stmt.options(selectinload(SchoolClass.teachers))
    return db.session.scalars(stmt).all()


def class_sizes(school_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(Student.class_id, func.count()).where(Student.school_id == school_id, Student.active.is_(True))
        .group_by(Student.class_id)
    )
    return dict(rows.all())


def student_list(user, q="", class_id=None, show="active"):
    """A retention run's anonymised students are out of every list: they have no name left to show."""
    stmt = select(Student).join(SchoolClass).where(scope(user, Student), Student.anonymised_at.is_(None))
    if q:
        stmt = stmt.where(or_(_name_filter(Student, q), Student.student_no.like(f"{q}%")))
    if class_id:
        stmt = stmt.where(Student.class_id == class_id)
    if show != "all":
        stmt = stmt.where(Student.active.is_(show == "active"))
    return stmt.order_by(SchoolClass.grade, SchoolClass.name, Student.student_no)


def family_list(school_id, q=""):
    stmt = select(Family).where(Family.school_id == school_id)
    if q:
        guardian_match = select(Guardian.family_id).where(
            Guardian.school_id == school_id, or_(_name_filter(Guardian, q), Guardian.mobile.like(f"{q}%")))
        stmt = stmt.where(or_(_name_filter(Family, q), Family.id.in_(guardian_match)))
    return stmt.order_by(Family.active.desc(), Family.name_initials, Family.id).options(
        selectinload(Family.guardians), selectinload(Family.children))


def volunteer_list(school_id, q="", kind=""):
    stmt = select(Volunteer).where(Volunteer.school_id == school_id)
    if q:
        stmt = stmt.where(or_(_name_filter(Volunteer, q), Volunteer.skills.ilike(f"%{q}%")))
    if kind:
        stmt = stmt.where(Volunteer.kind == kind)
    return stmt.order_by(Volunteer.active.desc(), Volunteer.name_initials, Volunteer.id)


def young_teacher_list(school_id, q=""):
    stmt = select(YoungTeacher).where(YoungTeacher.school_id == school_id)
    if q:
        stmt = stmt.where(or_(_name_filter(YoungTeacher, q), YoungTeacher.subject.ilike(f"%{q}%")))
    return stmt.order_by(YoungTeacher.active.desc(), YoungTeacher.name_initials, YoungTeacher.id)


def active_young_teachers(school_id):
    return db.session.scalars(young_teacher_list(school_id).where(YoungTeacher.active.is_(True))).all()


def categories_of(school_id: int, active_only=True):
    stmt = select(Category).where(Category.school_id == school_id)
    if active_only:
        stmt = stmt.where(Category.active.is_(True))
    return db.session.scalars(stmt.order_by(Category.sort_order, Category.id)).all()


def terms_of(school_id: int):
    return db.session.scalars(select(Term).where(Term.school_id == school_id).order_by(Term.starts_on.desc())).all()


def term_for(day: date) -> tuple[str, date, date]:
    """The Chinese school term a day falls in: 第一学期 September–January, 第二学期 February–August."""
    if day.month >= 9:
        y = day.year
        return f"{y}–{y + 1}学年第一学期", date(y, 9, 1), date(y + 1, 1, 31)
    if day.month == 1:
        y = day.year - 1
        return f"{y}–{y + 1}学年第一学期", date(y, 9, 1), date(y + 1, 1, 31)
    y = day.year - 1
    return f"{y}–{y + 1}学年第二学期", date(y + 1, 2, 1), date(y + 1, 8, 31)


def current_term(school_id: int, today: date) -> Term:
    """The term marked current, else the one today falls in, created when the school has none yet."""
    term = db.session.scalar(select(Term).where(Term.school_id == school_id, Term.is_current.is_(True)))
    if term:
        return term
    term = db.session.scalar(select(Term).where(Term.school_id == school_id, Term.starts_on <= today,
                                                Term.ends_on >= today).order_by(Term.starts_on.desc()).limit(1))
    if term:
        return term
    name, starts, ends = term_for(today)
    term = Term(school_id=school_id, name=name, starts_on=starts, ends_on=ends)
    try:
        with saving(_("The term could not be created.")):
            db.session.add(term)
    except DomainError:
        # Another request created it a moment ago.
        term = db.session.scalar(select(Term).where(Term.school_id == school_id, Term.name == name))
        if term is None:
            raise
    return term


def user_list(school_id, q="", role=""):
    stmt = select(User).where(User.school_id == school_id)
    if q:
        stmt = stmt.where(or_(User.username.ilike(f"%{q}%"), User.display_name.ilike(f"%{q}%"),
                              User.mobile.like(f"{q}%")))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt.order_by(User.active.desc(), User.role, User.username)


# ---- saving ------------------------------------------------------------------------------

def save_class(actor, klass: SchoolClass | None, grade: int, name: str) -> SchoolClass:
    school = db.session.get(School, actor.school_id)
    if grade not in school.grades:
        raise DomainError(_("This school teaches %(first)s to %(last)s (set on the Classes page).",
                            first=GRADE_NAMES[school.first_grade], last=GRADE_NAMES[school.last_grade]), "grade")
    klass = klass or SchoolClass(school_id=actor.school_id)
    klass.grade, klass.name = grade, name
    with saving(_("This class already exists."), "name"):
        db.session.add(klass)
        db.session.flush()
        record(actor, "class.save", klass, f"{grade}/{name}")
    return klass


def set_grades(actor, school: School, first: int, last: int) -> None:
    """The grades the school teaches; a class still open outside them must be closed first."""
    if first > last:
        raise DomainError(_("The first grade must not come after the last."), "last_grade")
    outside = [c.label for c in classes_of(school.id) if c.active and not first <= c.grade <= last]
    if outside:
        raise DomainError(_("These classes are outside those grades: %(classes)s. Deactivate them first, or choose "
                            "other grades.", classes="、".join(outside)), "first_grade")
    with saving():
        school.first_grade, school.last_grade = first, last
        record(actor, "school.grades", school, f"{first}-{last}")


def save_student(actor, student: Student | None, data: dict) -> Student:
    klass = db.session.get(SchoolClass, data["class_id"])
    if klass is None or klass.school_id != actor.school_id:
        raise DomainError(_("Please choose a class of this school."), "class_id")
    if data["birth_date"] and (student is None or (student.name, student.birth_date) != (data["name"],
                                                                                         data["birth_date"])):
        _refuse_a_second_record_of(actor.school_id, data["name"], data["birth_date"], student)
    student = student or Student(school_id=actor.school_id)
    for key in ("student_no", "name", "gender", "birth_date", "class_id"):
        setattr(student, key, data[key])
    student.name_initials = initials(student.name)
    with saving(_("Another student already has this student number."), "student_no"):
        db.session.add(student)
        db.session.flush()
        record(actor, "student.save", student)
    return student


def _refuse_a_second_record_of(school_id: int, name: str, birth_date: date, student: Student | None) -> None:
    """One child, one record: a name and birth date already on record are the same child, as the roster import
    takes them, whatever 学籍号 is typed."""
    twin = db.session.scalar(select(Student).where(
        Student.school_id == school_id, Student.name == name, Student.birth_date == birth_date,
        Student.anonymised_at.is_(None), Student.id != (student.id if student else 0)).limit(1))
    if twin is not None:
        raise DomainError(_("%(name)s of %(klass)s, born the same day, is already in the portal with the student "
                            "number %(no)s. If it is the same child, edit that record, or merge the two on its page "
                            "(合并重复).", name=twin.name, klass=twin.school_class.label, no=twin.student_no), "name")


def save_family(actor, family: Family | None, data: dict) -> Family:
    family = family or Family(school_id=actor.school_id)
    if data.get("notes") and not any(c.active_consent for c in family.children):
        raise DomainError(_("Family notes are sensitive: record a guardian's consent for a child of this family first."),
                          "notes")
    family.name, family.address, family.notes = data["name"], data["address"], data.get("notes") or ""
    family.name_initials = initials(family.name)
    with saving(_("The family could not be saved.")):
        db.session.add(family)
        db.session.flush()
        record(actor, "family.save", family)
    return family


def add_guardian(actor, family: Family, data: dict) -> Guardian:
    """A guardian's mobile ties them to one family (the roster import makes siblings one family by it): the same
    person is not added twice, nor to a second family."""
    if data["mobile"]:
        for twin in db.session.scalars(select(Guardian).where(Guardian.school_id == family.school_id,
                                                              Guardian.mobile == data["mobile"])):
            if twin.family_id != family.id:
                raise DomainError(_("This mobile number is already on record for %(name)s of %(family)s. If it is one "
                                    "family, link the child to that family, or merge the two families (合并重复).",
                                    name=twin.name, family=twin.family.name), "mobile")
            if twin.name == data["name"]:
                raise DomainError(_("%(name)s is already a guardian of this family.", name=twin.name), "name")
    guardian = Guardian(school_id=family.school_id, family=family, **data)
    with saving(_("The guardian could not be saved.")):
        db.session.add(guardian)
        db.session.flush()
        record(actor, "guardian.add", guardian)
    return guardian


def link_child(actor, family: Family, student_no: str) -> Student:
    student = db.session.scalar(
        select(Student).where(Student.school_id == family.school_id, Student.student_no == student_no))
    if student is None:
        raise DomainError(_("No student has this student number."), "student_no")
    if student.family_id and student.family_id != family.id:
        raise DomainError(_("This student already belongs to another family."), "student_no")
    with saving():
        student.family = family
        record(actor, "family.link_child", student, f"family={family.id}")
    return student


def save_volunteer(actor, volunteer: Volunteer | None, data: dict) -> Volunteer:
    """A mobile belongs to one volunteer of the school: it becomes their login, so a second record with it is
    refused here rather than when the account is opened."""
    if data["phone"]:
        twin = db.session.scalar(select(Volunteer).where(Volunteer.school_id == actor.school_id,
                                                         Volunteer.phone == data["phone"],
                                                         Volunteer.id != (volunteer.id if volunteer else 0)))
        if twin is not None:
            raise DomainError(_("This mobile number is already on record for %(name)s. If it is the same person, "
                                "edit that record instead.", name=twin.label), "phone")
    volunteer = volunteer or Volunteer(school_id=actor.school_id)
    for key in ("name", "kind", "skills", "former_unit", "phone", "birth_year"):
        setattr(volunteer, key, data[key])
    volunteer.name_initials = initials(volunteer.name)
    with saving(_("The volunteer could not be saved.")):
        db.session.add(volunteer)
        db.session.flush()
        record(actor, "volunteer.save", volunteer)
    return volunteer


def save_young_teacher(actor, teacher: YoungTeacher | None, data: dict) -> YoungTeacher:
    teacher = teacher or YoungTeacher(school_id=actor.school_id)
    for key in ("name", "subject", "joined_year"):
        setattr(teacher, key, data[key])
    teacher.name_initials = initials(teacher.name)
    with saving(_("The young teacher could not be saved.")):
        db.session.add(teacher)
        db.session.flush()
        record(actor, "young_teacher.save", teacher)
    return teacher


def set_active(actor, obj, active: bool) -> int:
    """Deactivate instead of delete: records with history are kept. Returns how many offers paused or waiting
    needs closed with it (people/leaving.py ends the rest of what a person takes part in)."""
    if isinstance(obj, User) and not active and obj.id == actor.id:
        raise DomainError(_("You cannot deactivate your own account."))
    with saving():
        if isinstance(obj, User) and not active:
            obj.session_token = new_session_token()
        if isinstance(obj, Student):
            _may_return(obj, active)
            obj.status, obj.left_on = ("enrolled", None) if active else ("left", local_today())
        obj.active = active
        record(actor, f"{type(obj).__name__.lower()}.{'activate' if active else 'deactivate'}", obj)
        left = _leave_the_menus(actor, obj) if not active else 0
    return left


def _may_return(student: Student, active: bool) -> None:
    """A student comes back only with a name and into a class still in the lists (a graduated class is not)."""
    if not active or student.active:
        return
    if student.anonymised_at is not None:
        raise DomainError(_("This record was anonymised when its retention period ended: it cannot come back. "
                            "Add the student again."))
    if not student.school_class.active:
        raise DomainError(_("%(klass)s is no longer in the lists. Edit the student and choose their class first.",
                            klass=student.school_class.label))


def _leave_the_menus(actor, obj) -> int:
    """A deactivated volunteer's offers pause and a deactivated student's waiting needs close, so the
    menus, the board and the counts show only help that can still happen. Nothing is deleted."""
    changed = 0
    if isinstance(obj, Volunteer):
        for offer in db.session.scalars(select(Offer).where(Offer.volunteer_id == obj.id, Offer.status == "active")):
            offer.status = "paused"
            record(actor, "offer.status", offer, "active→paused (volunteer deactivated)")
            changed += 1
    elif isinstance(obj, Student):
        changed = _close_waiting_needs(actor, obj, "left")
    return changed


# Why a leaving student's waiting needs closed, as the needs list shows it (data, in Chinese).
CLOSED_BECAUSE = {"left": "学生档案已停用", "graduated": "学生已毕业", "transferred": "学生已转学"}


def _close_waiting_needs(actor, student: Student, status: str) -> int:
    needs = list(db.session.scalars(select(Need).where(Need.student_id == student.id, Need.status == "open")))
    for need in needs:
        need.status, need.close_reason, need.closed_at = "closed", CLOSED_BECAUSE[status], utcnow()
        record(actor, "need.status", need, f"open→closed (student {status})")
    return len(needs)


def leaving_school(actor, student: Student, status: str, day: date) -> int:
    """A student graduates or transfers out, inside the caller's transaction: out of the lists, their waiting needs
    closed, nothing deleted. Returns how many needs closed; their pairs are ended by the caller (pairs/)."""
    student.active, student.status, student.left_on = False, status, day
    record(actor, f"student.{status}", student, day.isoformat())
    return _close_waiting_needs(actor, student, status)


# ---- accounts ----------------------------------------------------------------------------

def save_user(actor, user: User | None, data: dict, classes: list[SchoolClass]) -> User:
    creating = user is None
    user = user or User(school_id=actor.school_id)
    user.username, user.display_name = data["username"], data["display_name"]
    user.mobile = data["mobile"] or None
    user.role = data["role"]
    if data.get("password"):
        if user is actor:
            user.password_hash, user.session_token = hash_password(data["password"]), new_session_token()
        else:  # one the office typed: the user sets their own at the first login
            give_temporary_password(user, data["password"])
    user.classes = [c for c in classes if c.school_id == actor.school_id] if user.role == "teacher" else []
    with saving(_("This username or mobile number is already used by another account."), "username"):
        db.session.add(user)
        db.session.flush()
        record(actor, "user.create" if creating else "user.update", user, f"role={user.role}")
    return user


# ---- consent and support tags ------------------------------------------------------------

def record_consent(actor, student: Student, data: dict) -> Consent:
    if student.active_consent:
        raise DomainError(_("A consent is already on record for this student."))
    with saving():
        consent = Consent(school_id=student.school_id, student=student, recorded_by_id=actor.id, **data)
        db.session.add(consent)
        db.session.flush()
        record(actor, "consent.record", student, data["guardian_name"])
    return consent


def withdraw_consent(actor, student: Student) -> None:
    """Withdrawal purges the sensitive data it covered, at once."""
    consent = student.active_consent
    if consent is None:
        raise DomainError(_("There is no consent to withdraw."))
    with saving():
        consent.withdrawn_at = utcnow()
        student.support_tags = []
        family = student.family
        if family and not any(c.active_consent for c in family.children if c.id != student.id):
            family.notes = ""
        record(actor, "consent.withdraw", student, "support tags and family notes purged")


def set_support_tags(actor, student: Student, tag_ids: list[int]) -> None:
    if tag_ids and student.active_consent is None:
        raise DomainError(_("Support tags can only be stored after a guardian's consent is recorded."), "tags")
    tags = db.session.scalars(
        select(SupportTag).where(SupportTag.school_id == student.school_id, SupportTag.id.in_(tag_ids or [0]))
    ).all()
    with saving():
        student.support_tags = list(tags)
        record(actor, "student.tags.update", student, ",".join(t.name for t in tags))


def student_page_options():
    """What a student's page shows, loaded with the student."""
    return (joinedload(Student.school_class), joinedload(Student.family).selectinload(Family.guardians),
            selectinload(Student.support_tags))


def view_sensitive(actor, student: Student) -> None:
    with saving():
        record(actor, "student.sensitive.view", student)


def support_tags_of(school_id: int):
    return db.session.scalars(select(SupportTag).where(SupportTag.school_id == school_id).order_by(SupportTag.id)).all()
