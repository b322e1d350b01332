"""Small builders for test data; each call makes fresh rows."""
import itertools
from datetime import date

from portal.auth.models import User
from portal.auth.services import hash_password
from portal.extensions import db
from portal.people.models import (
    DEFAULT_SUPPORT_TAGS,
    Consent,
    Family,
    Guardian,
    School,
    SchoolClass,
    Student,
    SupportTag,
    Volunteer,
    initials,
)

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)
_HASH = None


def _password_hash():
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def school(name=None):
    s = School(name=name or f"测试学校{next(_seq)}")
    db.session.add(s)
    db.session.flush()
    db.session.add_all([SupportTag(school_id=s.id, name=n) for n in DEFAULT_SUPPORT_TAGS])
    db.session.commit()
    return s


def school_class(school, grade=3, name=None):
    c = SchoolClass(school_id=school.id, grade=grade, name=name or f"{next(_seq)}班")
    db.session.add(c)
    db.session.commit()
    return c


def family(school, name=None, guardians=1):
    n = next(_seq)
    f = Family(school_id=school.id, name=name or f"测试{n}家", name_initials="cs")
    db.session.add(f)
    db.session.flush()
    for i in range(guardians):
        db.session.add(Guardian(school_id=school.id, family_id=f.id, name=f"家长{n}-{i}", relation="母亲",
                                mobile=f"138{n:04d}{i:04d}"))
    db.session.commit()
    return f


def student(school_class, name="王小明", family=None, **kw):
    n = next(_seq)
    if kw.get("active") is False:
        kw.setdefault("status", "left")
    s = Student(school_id=school_class.school_id, class_id=school_class.id, name=name, name_initials=initials(name),
                student_no=kw.pop("student_no", f"2026{n:05d}"), gender=kw.pop("gender", "男"),
                family_id=family.id if family else None, **kw)
    db.session.add(s)
    db.session.commit()
    return s


def consent(student, recorder):
    c = Consent(school_id=student.school_id, student_id=student.id, guardian_name="王妈妈", method="纸质签字",
                given_on=date(2026, 9, 1), recorded_by_id=recorder.id)
    db.session.add(c)
    db.session.commit()
    return c


def tag(school, name):
    return db.session.scalar(db.select(SupportTag).where(SupportTag.school_id == school.id, SupportTag.name == name))


def volunteer(school, name="张建国", kind="老教师", phone=None):
    v = Volunteer(school_id=school.id, name=name, name_initials=initials(name), kind=kind, skills="数学, 书法",
                  phone=phone or f"139{next(_seq):08d}", birth_year=1955)
    db.session.add(v)
    db.session.commit()
    return v


def user(school, role, username=None, classes=(), **kw):
    u = User(school_id=school.id, username=username or f"{role}{next(_seq)}", display_name=kw.pop("display_name", role),
             role=role, password_hash=_password_hash(), classes=list(classes), **kw)
    db.session.add(u)
    db.session.commit()
    return u


def unit(name=None, parent=None, schools=()):
    """A unit above schools (a bureau's 关工委, a 学区), with the schools placed under it."""
    from portal.district.models import Unit

    u = Unit(name=name or f"测试单位{next(_seq)}", parent_id=parent.id if parent else None)
    db.session.add(u)
    db.session.flush()
    for s in schools:
        s.unit_id = u.id
    db.session.commit()
    return u


def unit_user(unit, role="unit_officer", username=None, **kw):
    u = User(unit_id=unit.id, username=username or f"{role}{next(_seq)}", display_name=kw.pop("display_name", role),
             role=role, password_hash=_password_hash(), **kw)
    db.session.add(u)
    db.session.commit()
    return u


# --- The two menus and help requests (issue 4) ---

def category(school, name="学业辅导", sort_order=0, active=True):
    from portal.people.models import Category

    c = Category(school_id=school.id, name=name, sort_order=sort_order, active=active)
    db.session.add(c)
    db.session.commit()
    return c


def term(school):
    """The school's current term (created on first use, as the app does)."""
    from portal.people.services import current_term

    t = current_term(school.id, date.today())
    db.session.commit()
    return t


def young_teacher(school, name="李青", subject="语文"):
    from portal.people.models import YoungTeacher

    t = YoungTeacher(school_id=school.id, name=name, name_initials=initials(name), subject=subject, joined_year=2024)
    db.session.add(t)
    db.session.commit()
    return t


def need(beneficiary, category, created_by, detail="需要数学辅导", **kw):
    """A need for a Student or a YoungTeacher; kw sets any other column (urgency, slots, status …)."""
    from portal.needs.models import Need
    from portal.people.models import YoungTeacher

    young = isinstance(beneficiary, YoungTeacher)
    n = Need(school_id=beneficiary.school_id, student_id=None if young else beneficiary.id,
             young_teacher_id=beneficiary.id if young else None, category_id=category.id,
             term_id=kw.pop("term_id", None) or term(db.session.get(School, beneficiary.school_id)).id,
             detail=detail, created_by_id=created_by.id, **kw)
    db.session.add(n)
    db.session.commit()
    return n


def offer(volunteer, category, entered_by, **kw):
    from portal.offers.models import Offer

    o = Offer(school_id=volunteer.school_id, volunteer_id=volunteer.id, category_id=category.id,
              entered_by_id=entered_by.id, skills=kw.pop("skills", "数学"), detail=kw.pop("detail", "每周可辅导一次"), **kw)
    db.session.add(o)
    db.session.commit()
    return o


def help_request(student, category, submitted_by, detail="孩子最近数学跟不上，想请老师帮忙", **kw):
    from portal.help_requests.models import HelpRequest

    h = HelpRequest(school_id=student.school_id, family_id=kw.pop("family_id", None) or student.family_id,
                    student_id=student.id, category_id=category.id, detail=detail,
                    contact_method=kw.pop("contact_method", "电话"), contact_phone=kw.pop("contact_phone", "13800001111"),
                    submitted_by_id=submitted_by.id, **kw)
    db.session.add(h)
    db.session.commit()
    return h


# --- Events and the hours ledger (issue 6) ---

def event(school, title="红色故事会", leads=(), day=None, **kw):
    """An event of the school; `leads` are the users responsible (责任人)."""
    from datetime import datetime, time

    from portal.events.models import Event

    day = day or date.today()
    e = Event(school_id=school.id, title=title, kind=kw.pop("kind", "红色故事会"), starts_at=datetime.combine(day, time(14)),
              leads=list(leads), **kw)
    db.session.add(e)
    db.session.commit()
    return e


def course(school, created_by, title="新生家长入学适应", grades=(1,), mandatory=False, sessions_required=1, **kw):
    """A parent-school course; an outside expert lectures unless a volunteer is given."""
    from portal.parent_school.models import Course

    c = Course(school_id=school.id, title=title, kind=kw.pop("kind", "required"),
               lecturer_name=kw.pop("lecturer_name", "刘教授"), target_grades=",".join(str(g) for g in grades),
               mandatory=mandatory, sessions_required=sessions_required, created_by_id=created_by.id, **kw)
    db.session.add(c)
    db.session.commit()
    return c


def course_session(course, capacity=50, starts_in_days=7, quotas=None, **kw):
    """A session of the course `starts_in_days` from now (Shanghai wall clock), registration open until the day
    before; `quotas` maps class ids to reserved seats."""
    from datetime import timedelta

    from portal.parent_school.models import CourseSession, SeatQuota
    from portal.registrations.services import local_now

    start = kw.pop("starts_at", None) or (local_now() + timedelta(days=starts_in_days)).replace(
        hour=19, minute=0, second=0, microsecond=0)
    s = CourseSession(school_id=course.school_id, course_id=course.id, starts_at=start,
                      ends_at=kw.pop("ends_at", start + timedelta(hours=1, minutes=30)),
                      deadline=kw.pop("deadline", start - timedelta(days=1)), capacity=capacity,
                      place=kw.pop("place", "学校报告厅"), status=kw.pop("status", "open"),
                      quotas=[SeatQuota(class_id=k, seats=v) for k, v in (quotas or {}).items()], **kw)
    db.session.add(s)
    db.session.commit()
    return s


def families_with_children(school_class, n, prefix="家庭"):
    """n families of the class, one child each; returns the children."""
    from portal.people.models import School

    school = db.session.get(School, school_class.school_id)
    kids = []
    for i in range(n):
        f = family(school, f"{prefix}{i}家")
        kids.append(student(school_class, f"{prefix}{i}", family=f))
    return kids


def hour_entry(volunteer, entered_by, hours="2", day=None, status="pending", **kw):
    """A ledger row written directly (no service checks): for building totals and queues."""
    from decimal import Decimal

    from portal.hours.models import HourEntry

    e = HourEntry(school_id=volunteer.school_id, volunteer_id=volunteer.id, worked_on=day or date.today(),
                  hours=Decimal(hours), activity=kw.pop("activity", "lecture"), status=status,
                  entered_by_id=entered_by.id, **kw)
    db.session.add(e)
    db.session.commit()
    return e


def _zh_catalog():
    from pathlib import Path

    from babel.support import Translations

    return Translations.load(str(Path(__file__).resolve().parent.parent / "translations"), ["zh_Hans_CN"])


def zh(msgid, **kw):
    """The text the Chinese interface shows for an English message id (as the compiled catalog has it)."""
    text = _zh_catalog().gettext(msgid)
    return text % kw if kw else text


def zh_in(context, msgid, **kw):
    """The same for a message id that means different things on different pages (pgettext)."""
    text = _zh_catalog().pgettext(context, msgid)
    return text % kw if kw else text
