"""Fixtures of the parent-school tests: a session with a roster of families, a mandatory course."""

import pytest

from portal.extensions import db
from portal.parent_school.models import CourseSession
from portal.parent_school.services import set_status
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.parent_school.common import check_in, course, register


@pytest.fixture
def roster(world):
    """A session of 2 seats: 甲0 registered, 甲1 registered and checked in, 甲2 waiting, 甲3 cancelled."""
    s = factories.course_session(course(world), capacity=2)
    kids = factories.families_with_children(world.own_class, 4, "甲")
    coord = world.users["coordinator"]
    regs_ = [register(s, k, coord) for k in kids]
    seats.cancel(db.session.get(Registration, regs_[3].id), coord, staff=True)
    check_in(regs_[1], world)
    return s, kids, regs_


@pytest.fixture
def mandatory(world):
    """A mandatory course for grades 3 and 4 that needs two sessions, and the families of three classes:

    三年级2班 (the teacher's): 王小明家 nothing; 甲0 registered only; 甲1 attended twice; 甲2 attended once;
    甲3 cancelled; 甲4 registered for a session the school then cancelled.
    四年级1班: 乙0 attended twice, 乙1 nothing (and 赵小红, who has no family on record).
    三年级5班: 丙0 attended twice. 一年级1班 (not the course's grades): 丁0 nothing.
    """
    coord = world.users["coordinator"]
    c_ = course(world, "新生家长必修课", grades=(3, 4), mandatory=True, sessions_required=2)
    s1, s2, s3 = (factories.course_session(c_, capacity=50, starts_in_days=d) for d in (3, 10, 17))
    class5 = factories.school_class(world.school, 3, "5班")
    class1 = factories.school_class(world.school, 1, "1班")
    jia = factories.families_with_children(world.own_class, 5, "甲")
    yi = factories.families_with_children(world.other_class, 2, "乙")
    bing = factories.families_with_children(class5, 1, "丙")
    factories.families_with_children(class1, 1, "丁")
    register(s1, jia[0], coord)
    for child in (jia[1], yi[0], bing[0]):
        check_in(register(s1, child, coord), world)
        check_in(register(s2, child, coord), world)
    check_in(register(s1, jia[2], coord), world)
    seats.cancel(register(s1, jia[3], coord), coord, staff=True)
    register(s3, jia[4], coord)
    set_status(db.session.get(CourseSession, s3.id), "cancelled", coord, "场地检修")
    return c_
