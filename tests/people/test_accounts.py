"""Parent logins for a whole class in one step, and the login slips the class teacher hands out (issue 29, item 2)."""
import re

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.core.qr import qr_svg
from portal.extensions import db
from portal.people.models import Guardian
from tests import factories
from tests.conftest import Client
from tests.helpers import main_text

PAGE = "/people/classes/{}/accounts"


def _class_of_four(world):
    """World's class 3(2): 王小明's family (one login already, world's parent) plus three more families: one with two
    guardians, one whose guardian has no mobile, and one whose mobile is a staff member's login."""
    own = world.own_class
    two = factories.family(world.school, "李家", guardians=2)
    factories.student(own, "李一", family=two)
    factories.student(own, "李二", family=two)  # siblings: one line per guardian, both children on it
    none = factories.family(world.school, "陈家")
    none.guardians[0].mobile = ""
    factories.student(own, "陈三", family=none)
    taken = factories.family(world.school, "周家")
    taken.guardians[0].mobile = world.users["coordinator"].mobile
    factories.student(own, "周四", family=taken)
    factories.student(world.other_class, "李五", family=factories.family(world.school, "别班家"))
    db.session.commit()
    return two


def _slips(html):
    return [dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", li, re.S))
            for li in re.findall(r'<li class="login-slip">(.*?)</li>', html, re.S)]


def test_the_class_page_says_whose_login_can_be_opened_and_why_not(world, login_as):
    _class_of_four(world)
    page = main_text(login_as("coordinator").get(PAGE.format(world.own_class.id)).get_data(as_text=True))
    assert "开通 2 个账号并打印登录卡" in page
    assert "李一、李二" in page and page.count("尚未开通") == 2 and "已开通" in page
    assert "无法开通： 没有登记手机号。" in page
    assert f"无法开通： 这个手机号已用于{world.users['coordinator'].display_name}的账号。" in page
    assert "李五" not in page


def test_opening_a_class_prints_a_slip_per_new_login_and_each_works_once(app, world, login_as):
    two = _class_of_four(world)
    c = login_as("coordinator")
    before = db.session.scalar(select(func.count()).select_from(User))

    r = c.post_form(PAGE.format(world.own_class.id), token_from=PAGE.format(world.own_class.id))
    html = r.get_data(as_text=True)

    slips = _slips(html)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert [(s["监护人"], s["学生"]) for s in slips] == [(f"{g.name}（母亲）", "李一、李二") for g in two.guardians]
    assert {s["登录名"] for s in slips} == {g.mobile for g in two.guardians}
    assert all(re.fullmatch(r"\d{8}", s["初始密码"]) for s in slips)
    assert all(s["网址"] == "http://localhost/" for s in slips) and qr_svg("http://localhost/") in html
    assert db.session.scalar(select(func.count()).select_from(User)) == before + 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.create")) >= 2

    first = slips[0]
    parent = Client(app)
    r = parent.login(first["登录名"], first["初始密码"])
    assert r.status_code == 302 and r.headers["Location"].endswith("/my-password")  # made to choose their own
    assert Client(app).login(first["登录名"], "00000000").status_code != 302

    again = c.post_form(PAGE.format(world.own_class.id), token_from=PAGE.format(world.own_class.id))
    assert again.status_code == 302
    assert "能开通账号的人都已开通" in main_text(c.get(again.headers["Location"]).get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(User)) == before + 2


def test_two_guardians_with_one_mobile_are_not_given_one_login_between_them(world, login_as):
    fam = factories.family(world.school, "刘家", guardians=2)
    fam.guardians[1].mobile = fam.guardians[0].mobile
    factories.student(world.own_class, "刘六", family=fam)
    db.session.commit()
    c = login_as("coordinator")
    page = main_text(c.get(PAGE.format(world.own_class.id)).get_data(as_text=True))
    assert page.count("登记的是同一个手机号") == 2 and "个账号并打印登录卡" not in page
    c.post_form(PAGE.format(world.own_class.id), token_from=PAGE.format(world.own_class.id))
    assert db.session.scalar(select(User).where(User.guardian_id.in_([g.id for g in fam.guardians]))) is None


def test_a_teacher_cannot_open_logins_and_another_schools_class_is_not_found(world, login_as):
    assert login_as("teacher").get(PAGE.format(world.own_class.id)).status_code == 403
    assert login_as("coordinator").get(PAGE.format(world.far_class.id)).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Guardian)) > 0


def test_a_forgotten_password_gets_a_new_slip_and_the_old_password_stops_working(app, world, login_as):
    parent = world.users["parent"]
    old = Client(app)
    assert old.login(parent.username).status_code == 302
    office = login_as("coordinator")

    r = office.post_form(f"/people/users/{parent.id}/password-reset", token_from="/people/users")

    [slip] = _slips(r.get_data(as_text=True))
    assert r.status_code == 200 and slip["登录名"] == parent.username and slip["学生"] == world.pupil.name
    assert f"{parent.display_name}的密码已重置" in main_text(r.get_data(as_text=True))
    assert Client(app).login(parent.username).status_code == 200  # the old password is void
    assert old.get("/").status_code == 302  # and its session ended
    fresh = Client(app).login(parent.username, slip["初始密码"])
    assert fresh.status_code == 302 and fresh.headers["Location"].endswith("/my-password")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.password_reset", AuditEntry.user_id == world.users["coordinator"].id)) == 1


def test_a_staff_password_is_not_reset_on_a_slip(world, login_as):
    teacher = world.users["teacher"]
    office = login_as("coordinator")
    r = office.post_form(f"/people/users/{teacher.id}/password-reset", token_from="/people/users")
    assert r.status_code == 302 and "只能重置家长和五老志愿者的密码" in main_text(
        office.get(r.headers["Location"]).get_data(as_text=True))


def test_every_volunteer_without_a_login_gets_one_and_a_slip_in_one_step(app, world, login_as):
    second = factories.volunteer(world.school, "钱老师")
    phoneless = factories.volunteer(world.school, "孙老师")
    phoneless.phone = ""
    db.session.commit()
    c = login_as("coordinator")
    page = main_text(c.get("/people/volunteers/accounts").get_data(as_text=True))
    assert "开通 1 个账号并打印登录卡" in page and "孙老师 " in page and "没有登记手机号" in page

    r = c.post_form("/people/volunteers/accounts", token_from="/people/volunteers/accounts")

    [slip] = _slips(r.get_data(as_text=True))
    assert (slip["姓名"], slip["登录名"]) == ("钱老师", second.phone) and "学生" not in slip
    user = db.session.scalar(select(User).where(User.volunteer_id == second.id))
    assert user.role == "volunteer" and Client(app).login(second.phone, slip["初始密码"]).status_code == 302
    assert db.session.scalar(select(User).where(User.volunteer_id == phoneless.id)) is None
