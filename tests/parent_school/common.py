"""What the parent-school tests share: a course and session for the world's classes, families with a login,
registering and checking in, reading registrations and the roster back, many families at once, and running service
calls at the same moment in separate app contexts."""
import contextvars
import itertools
import re
import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.people.models import Family, Guardian, School, Student
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.helpers import client_for

_bulk = itertools.count(1)


def session_for(world, capacity=4, quotas=None, grades=(3, 4), **kw):
    """A session of a course for the world's two classes (grades 3 and 4), a week ahead."""
    course = factories.course(world.school, world.users["coordinator"], title="好家长沟通课", grades=grades)
    return factories.course_session(course, capacity=capacity, quotas=quotas, **kw)


def fresh(session_id) -> CourseSession:
    db.session.expire_all()
    return db.session.get(CourseSession, session_id)


def reg_of(session, child) -> Registration | None:
    """The registration of the child's family for the session, read afresh."""
    db.session.expire_all()
    return db.session.scalar(select(Registration).where(Registration.session_id == session.id,
                                                        Registration.family_id == child.family_id))


def registrations(session_id) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(Registration.session_id == session_id)
                              .order_by(Registration.seq)).all()


def statuses(session, children) -> list[str]:
    return [(reg_of(session, c).status if reg_of(session, c) else None) for c in children]


def positions(session_id) -> list[int]:
    """候补第 N 位 of every waiting family, in the order the waiting list is served."""
    return [seats.waiting_position(r) for r in registrations(session_id) if r.status == "waitlisted"]


def confirmed_count(session_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.session_id == session_id, Registration.status == "confirmed"))


def many_families(school_class, n, prefix="家庭") -> list[Student]:
    """n families of the class with one guardian and one child each, written in one transaction (the
    factories commit row by row, which is slow for hundreds). Returns the children."""
    school = db.session.get(School, school_class.school_id)
    batch = next(_bulk)
    families = [Family(school_id=school.id, name=f"{prefix}{i}家", name_initials="jt") for i in range(n)]
    db.session.add_all(families)
    db.session.flush()
    kids = []
    for i, f in enumerate(families):
        db.session.add(Guardian(school_id=school.id, family_id=f.id, name=f"{prefix}{i}家长", relation="母亲",
                                mobile=f"137{batch:03d}{i:05d}"))
        kid = Student(school_id=school.id, class_id=school_class.id, name=f"{prefix}{i}", name_initials="jt",
                      student_no=f"B{batch:03d}{i:05d}", gender="女", family_id=f.id)
        db.session.add(kid)
        kids.append(kid)
    db.session.commit()
    return kids


def at_once(app, calls, expire=True):
    """Run each call in its own thread with its own app context and database session, all released together
    by a barrier; returns each call's result, or the exception it raised. A call loads its own rows (by id)
    after the barrier, so no thread holds a pooled connection while the others are still arriving."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                results[i] = calls[i]()
            except Exception as exc:  # reported to the test, which asserts on it
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=contextvars.Context().run, args=(run, i)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread never finished"
    if expire:  # the test's own session then reads what the threads committed
        db.session.expire_all()
    return results


PS = "/parent-school"


def quota_error(html) -> str:
    m = re.search(r'<small class="field-error" id="quotas-error">(.*?)</small>', html, re.S)
    return m.group(1).strip() if m else ""


def course(world, title="好家长沟通课", grades=(3, 4), **kw):
    return factories.course(world.school, world.users["coordinator"], title=title, grades=grades, **kw)


def family_with_login(app, world, school_class, name):
    """Another family of the school, with one child in `school_class` and a parent account; (child, client)."""
    fam = factories.family(world.school, f"{name}家")
    child = factories.student(school_class, name, family=fam)
    user = factories.user(world.school, "parent", guardian_id=fam.guardians[0].id)
    return child, client_for(app, user)


def register(session, child, by=None, now=None):
    """A registration made through the service, as if the family had tapped earlier."""
    reg, _ = seats.register(session, child, by or child_parent(child), now=now)
    return reg


def child_parent(child):
    from portal.auth.models import User

    guardian_ids = [g.id for g in child.family.guardians]
    user = db.session.scalar(select(User).where(User.guardian_id.in_(guardian_ids)))
    if user is None:
        user = db.session.scalar(select(User).where(User.role == "coordinator", User.school_id == child.school_id))
    return user


def check_in(reg, world):
    seats.check_in_registration(db.session.get(Registration, reg.id), world.users["coordinator"])


def regs(session) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(Registration.session_id == session.id)
                              .order_by(Registration.seq)).all()


def door_page(c, s):
    return c.get(f"{PS}/sessions/{s.id}/door").get_data(as_text=True)


def roster_names(html, candidates=("甲0", "甲1", "甲2", "甲3", "王小明")) -> list[str]:
    """The children listed in a roster's rows, in its order."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1) if body else "", re.S):
        text = re.sub(r"<[^>]+>", " ", row)
        out += [n for n in candidates if re.search(rf"(?<![\w]){n}(?![\w家])", text)][:1]
    return out
