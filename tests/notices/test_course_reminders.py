"""A class teacher reminds the families of her class that have not registered for a mandatory parent-school course,
in one tap, and sees who read it (issue 30)."""
import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.core import clock
from portal.core.clock import local_today
from portal.extensions import db
from portal.notices.models import Notice
from portal.registrations import services as seats
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
    assert "王小明 · 家长" in page and "已提醒 · 未读" in page and "其中 1 户今天已提醒。" in page

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


def test_only_a_required_course_of_the_classs_grades_is_reminded_and_the_latest_reminder_is_the_one_read(
        world, login_as, monkeypatch):
    elective = factories.course(world.school, world.users["coordinator"], title="自选课", grades=(3,))
    teacher = login_as("teacher")
    refused = teacher.post_form(f"/parent-school/courses/{elective.id}/classes/{world.own_class.id}/remind", {},
                                token_from="/parent-school/")
    assert flash_text(follow(teacher, refused)) == "错误： 只提醒尚未报名必修课的家庭。"
    other_grade = _course(world, grades=(4,))
    refused = teacher.post_form(f"/parent-school/courses/{other_grade.id}/classes/{world.own_class.id}/remind", {},
                                token_from="/parent-school/")
    assert flash_text(follow(teacher, refused)) == "错误： 三年级2班不在这门课程面向的年级。"
    assert db.session.scalars(select(Notice)).all() == []

    course = _course(world)
    _remind(teacher, course, world.own_class)
    (first,) = db.session.scalars(select(Notice)).all()
    login_as("parent").get(f"/notices/{first.id}")
    tomorrow = datetime.combine(local_today() + timedelta(days=1), time(9, 0))
    monkeypatch.setattr(clock, "_wall", lambda: tomorrow)
    _remind(teacher, course, world.own_class)
    page = main_text(teacher.get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True))
    assert "已提醒 · 未读" in page and "已提醒 · 已读" not in page


def test_a_class_that_has_all_registered_is_told_so(world, login_as):
    course = _course(world)
    seats.register(course.sessions[0], world.pupil, world.users["parent"])
    teacher = login_as("teacher")
    done = teacher.post_form(f"/parent-school/courses/{course.id}/classes/{world.own_class.id}/remind", {},
                             token_from="/parent-school/")
    assert flash_text(follow(teacher, done)) == "三年级2班的家庭都已报名。"


def test_a_class_whose_families_were_all_reminded_today_shows_so_instead_of_the_button(world, login_as, monkeypatch):
    course = _course(world)
    teacher = login_as("teacher")
    _remind(teacher, course, world.own_class)
    page = teacher.get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True)
    assert "今天已提醒 明天可以再次提醒。" in main_text(page)
    assert f"/classes/{world.own_class.id}/remind" not in page

    tomorrow = datetime.combine(local_today() + timedelta(days=1), time(9))
    monkeypatch.setattr(clock, "_wall", lambda: tomorrow)
    assert f"/classes/{world.own_class.id}/remind" in teacher.get(
        f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True)


def test_a_teacher_whose_classes_are_not_in_the_courses_grades_is_told_so(world, login_as):
    course = _course(world, grades=(1,))
    page = main_text(login_as("teacher").get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True))
    assert "您的班级都不在本课程面向的年级。" in page and "所有家庭都已结业" not in page


def test_a_reminder_written_after_another_notice_is_listed_above_it_with_the_time_it_came(world, login_as,
                                                                                         monkeypatch):
    from portal.notices import services as notices

    parent = world.users["parent"]
    monkeypatch.setattr(clock, "_wall", lambda: datetime(2026, 12, 7, 9, 30))
    monkeypatch.setattr("portal.notices.services.utcnow", lambda: datetime(2026, 12, 7, 1, 30))
    notices.notify([parent], "help.answered", "help:1", lambda: "关工委办公室已答复您的求助。")
    db.session.commit()
    monkeypatch.setattr(clock, "_wall", lambda: datetime(2026, 12, 7, 10, 15))
    monkeypatch.setattr("portal.notices.services.utcnow", lambda: datetime(2026, 12, 7, 2, 15))
    _remind(login_as("teacher"), _course(world), world.own_class)

    listed = main_text(login_as("parent").get("/notices/").get_data(as_text=True))
    assert listed.index("请报名家长学校必修课") < listed.index("关工委办公室已答复您的求助。")
    assert "2026年12月7日 (周一) 10:15" in listed.split("关工委办公室已答复")[0]
