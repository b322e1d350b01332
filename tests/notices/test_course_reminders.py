"""A class teacher reminds the families of her class that have not registered for a mandatory parent-school course,
in one tap, and sees who read it (issue 30)."""
import re

from sqlalchemy import select

from portal.extensions import db
from portal.notices.models import Notice
from tests import factories
from tests.helpers import flash_text, follow, main_text


def _course(world, grades=(3,)):
    course = factories.course(world.school, world.users["coordinator"], title="新生家长必修课", grades=grades,
                              mandatory=True)
    factories.course_session(course)
    return course


def _remind(c, course, klass):
    page = c.get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return c.post(f"/parent-school/courses/{course.id}/classes/{klass.id}/remind", data={"csrf_token": token})


def test_the_class_teacher_reminds_her_unregistered_families_once_a_day_and_sees_who_read_it(app, world, login_as):
    course = _course(world)
    no_login = factories.family(world.school, "孙家")
    factories.student(world.own_class, "孙小美", family=no_login)
    teacher = login_as("teacher")

    done = _remind(teacher, course, world.own_class)
    assert flash_text(follow(teacher, done)) == ("已提醒三年级2班 1 户尚未报名的家庭。 "
                                                 "1 户家庭还没有开通账号，请电话联系。")
    (told,) = db.session.scalars(select(Notice).where(Notice.kind == "course.unregistered")).all()
    assert told.user_id == world.users["parent"].id and "新生家长必修课" in told.text
    page = main_text(teacher.get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True))
    assert "王小明 · 家长" in page and "已提醒 · 未读" in page

    again = _remind(teacher, course, world.own_class)
    assert flash_text(follow(teacher, again)) == ("三年级2班暂无可提醒的家庭：已开通账号的今天都已提醒过。 "
                                                  "1 户家庭还没有开通账号，请电话联系。")

    parent = login_as("parent")
    assert parent.get(f"/notices/{told.id}").headers["Location"] == "/parent-school/"
    page = main_text(teacher.get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True))
    assert "已提醒 · 已读" in page


def test_a_teacher_cannot_remind_another_class_and_the_office_can(world, login_as):
    course = _course(world, grades=(3, 4))
    zhao = factories.family(world.school, "赵家")
    world.stranger.family_id = zhao.id
    db.session.commit()
    factories.user(world.school, "parent", "zhao_mother", guardian_id=zhao.guardians[0].id)

    assert _remind(login_as("teacher"), course, world.other_class).status_code == 404
    assert db.session.scalars(select(Notice)).all() == []
    office = login_as("coordinator")
    assert "已提醒四年级1班 1 户" in flash_text(follow(office, _remind(office, course, world.other_class)))
