"""What the parent-school seat tests share: a session for the world's classes, reading registrations back,
many families at once, and running service calls at the same moment in separate app contexts."""
import contextvars
import itertools
import threading

from sqlalchemy import func, select

from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.people.models import Family, Guardian, School, Student
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories

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
