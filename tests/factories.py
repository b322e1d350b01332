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
