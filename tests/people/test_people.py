"""People admin: search, htmx partials, validation, consent-gated support tags, privacy, audit."""
import re
from datetime import datetime

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.core import clock
from portal.extensions import db
from portal.people.models import Family, Student, Volunteer
from tests import factories
from tests.factories import zh
from tests.helpers import field_error


def test_active_search_by_name_initials_and_number(login_as, world):
    c = login_as("coordinator")
    assert "王小明" in c.get("/people/students?q=王").get_data(as_text=True)
    by_initials = c.htmx("/people/students?q=wxm").get_data(as_text=True)
    assert "王小明" in by_initials and "赵小红" not in by_initials
    assert "王小明" in c.htmx(f"/people/students?q={world.pupil.student_no}").get_data(as_text=True)


def test_htmx_request_gets_only_the_rows_partial(login_as):
    c = login_as("coordinator")
    full = c.get("/people/students").get_data(as_text=True)
    part = c.htmx("/people/students?q=赵").get_data(as_text=True)
    assert "<html" in full and 'id="results"' in full
    assert "<html" not in part and "<table" in part and "赵小红" in part and "王小明" not in part
    restore = c.get("/people/students", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_teacher_lists_only_own_class(login_as):
    html = login_as("teacher").get("/people/students").get_data(as_text=True)
    assert "王小明" in html and "赵小红" not in html


def test_pagination_of_students(app, login_as, world):
    for i in range(app.config["PAGE_SIZE"] + 5):
        factories.student(world.own_class, f"李{i}")
    c = login_as("coordinator")
    first = c.get("/people/students").get_data(as_text=True)
    assert "第 1 页，共 2 页" in first and "下一页" in first
    second = c.htmx("/people/students?page=2").get_data(as_text=True)
    assert "第 2 页，共 2 页" in second and "上一页" in second
    assert "no-store" in c.get("/people/students").headers["Cache-Control"]


def _student_form(world, **over):
    data = {"student_no": "20269999", "name": "孙悟空", "gender": "男", "birth_date": "2017-05-01",
            "class_id": str(world.own_class.id)}
    data.update(over)
    return data


def test_create_student(login_as, world):
    c = login_as("coordinator")
    r = c.post_form("/people/students/new", _student_form(world), token_from="/people/students/new")
    assert r.status_code == 302
    s = db.session.scalar(select(Student).where(Student.student_no == "20269999"))
    assert s.name == "孙悟空" and s.name_initials == "swk"


def test_bad_student_input_gets_chinese_messages_and_saves_nothing(login_as, world):
    c = login_as("coordinator")
    before = db.session.query(Student).count()
    cases = [
        (_student_form(world, name=""), "此项必填"),
        (_student_form(world, name="孙\x00悟空"), "含有不允许的字符"),
        (_student_form(world, name="长" * 500), "字段长度不能超过"),
        (_student_form(world, birth_date="2099-01-01"), "日期不能晚于今天"),
        (_student_form(world, birth_date="2017-13-45"), "不是有效的日期值"),
        (_student_form(world, student_no=world.pupil.student_no), "已有其他学生使用这个学号"),
        (_student_form(world, class_id=str(world.far_class.id)), "不是有效的选择"),
    ]
    for data, message in cases:
        r = c.post_form("/people/students/new", data, token_from="/people/students/new")
        assert r.status_code == 200, message
        assert 'aria-invalid="true"' in r.get_data(as_text=True), message
    assert db.session.query(Student).count() == before


def test_support_tags_need_a_recorded_consent(login_as, world):
    newcomer = factories.student(world.own_class, "周小舟")
    tag = factories.tag(world.school, "留守")
    c = login_as("teacher")
    r = c.post_form(f"/people/students/{newcomer.id}/tags", {"tags": str(tag.id)},
                    token_from=f"/people/students/{newcomer.id}")
    assert r.status_code == 302
    db.session.refresh(newcomer)
    assert newcomer.support_tags == []
    assert "须先登记监护人同意" in c.get(f"/people/students/{newcomer.id}").get_data(as_text=True)
    c.post_form(f"/people/students/{newcomer.id}/consent",
                {"guardian_name": "周妈妈", "method": "纸质签字", "given_on": "2026-09-01"},
                token_from=f"/people/students/{newcomer.id}")
    c.post_form(f"/people/students/{newcomer.id}/tags", {"tags": str(tag.id)},
                token_from=f"/people/students/{newcomer.id}")
    db.session.refresh(newcomer)
    assert [t.name for t in newcomer.support_tags] == ["留守"]


def test_consent_with_a_future_date_is_refused(login_as, world):
    newcomer = factories.student(world.own_class, "吴小天")
    c = login_as("coordinator")
    r = c.post_form(f"/people/students/{newcomer.id}/consent",
                    {"guardian_name": "吴爸爸", "method": "纸质签字", "given_on": "2099-01-01"},
                    token_from=f"/people/students/{newcomer.id}")
    assert "日期不能晚于今天" in c.get(r.headers["Location"]).get_data(as_text=True)
    db.session.refresh(newcomer)
    assert newcomer.consents == []


def test_withdrawing_consent_purges_tags_and_family_notes(login_as, world):
    world.family.notes = "父母在外地务工"
    db.session.commit()
    c = login_as("coordinator")
    c.post_form(f"/people/students/{world.pupil.id}/consent/withdraw", token_from=f"/people/students/{world.pupil.id}")
    pupil = db.session.get(Student, world.pupil.id)
    assert pupil.support_tags == [] and pupil.active_consent is None
    assert db.session.get(Family, world.family.id).notes == ""
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "consent.withdraw")) is not None


def test_family_notes_need_consent(login_as, world):
    c = login_as("coordinator")
    r = c.post_form(f"/people/families/{world.far_family.id}/edit", {"name": "x", "notes": "困难"},
                    token_from="/people/families/new")
    assert r.status_code == 404
    lonely = factories.family(world.school, "无同意家")
    r = c.post_form(f"/people/families/{lonely.id}/edit", {"name": "无同意家", "notes": "低保户"},
                    token_from="/people/families/new")
    assert r.status_code == 200 and "请先为这个家庭的孩子登记监护人同意" in r.get_data(as_text=True)
    assert db.session.get(Family, lonely.id).notes == ""


def test_tags_shown_to_staff_and_own_class_teacher_and_each_view_audited(login_as, world):
    for role in ("admin", "coordinator", "teacher"):
        html = login_as(role).get(f"/people/students/{world.pupil.id}").get_data(as_text=True)
        assert "特殊群体标签" in html and 'checked' in html, role
    views = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "student.sensitive.view")).all()
    assert len(views) == 3 and {v.object_id for v in views} == {world.pupil.id}


def test_sensitive_pages_are_not_cached(login_as, world):
    r = login_as("teacher").get(f"/people/students/{world.pupil.id}")
    assert r.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in r.get_data(as_text=True)


def test_volunteer_and_parent_pages_show_no_tag_words(login_as, world):
    tag_words = ("留守", "单亲", "特殊群体")
    for role, urls in (("volunteer", ["/", "/my/volunteer", "/settings"]), ("parent", ["/", "/my/family", "/settings"])):
        c = login_as(role)
        for url in urls:
            html = c.get(url).get_data(as_text=True)
            assert not any(w in html for w in tag_words), (role, url)
    assert "王小明" in login_as("parent").get("/my/family").get_data(as_text=True)


def test_deactivate_keeps_the_record(login_as, world):
    c = login_as("coordinator")
    c.post_form(f"/people/student/{world.pupil.id}/active", {"active": "0"}, token_from="/people/students")
    pupil = db.session.get(Student, world.pupil.id)
    assert pupil is not None and pupil.active is False
    assert "王小明" not in c.get("/people/students").get_data(as_text=True)
    assert "王小明" in c.get("/people/students?show=inactive").get_data(as_text=True)


def test_volunteer_form_validation(login_as):
    c = login_as("coordinator")
    r = c.post_form("/people/volunteers/new", {"name": "陈老师", "kind": "老教师", "phone": "12345", "birth_year": "1800"},
                    token_from="/people/volunteers/new")
    html = r.get_data(as_text=True)
    assert "请输入 11 位手机号码" in html and "之间的年份" in html
    r = c.post_form("/people/volunteers/new", {"name": "陈老师", "kind": "老教师", "phone": "13812345678",
                                               "birth_year": "1952", "skills": "书法"}, token_from="/people/volunteers/new")
    assert r.status_code == 302
    assert db.session.scalar(select(Volunteer).where(Volunteer.name == "陈老师")).name_initials == "cls"


def test_year_limits_follow_the_calendar_not_the_day_the_worker_started(login_as, monkeypatch):
    """A worker started in 2026 still running in 2031: a volunteer born in 2013 is 18 that year, and the form
    offers the new limits; before, they stayed those of the day the module was imported."""
    c = login_as("coordinator")
    monkeypatch.setattr(clock, "_wall", lambda: datetime(2031, 1, 2, 9, 0))
    page = c.get("/people/volunteers/new").get_data(as_text=True)
    [year_input] = [tag for tag in re.findall(r"<input[^>]*>", page) if 'name="birth_year"' in tag]
    assert 'max="2013"' in year_input
    r = c.post_form("/people/volunteers/new", {"name": "周同学", "kind": "老教师", "phone": "13812345679",
                                               "birth_year": "2013"}, token_from="/people/volunteers/new")
    assert r.status_code == 302
    r = c.post_form("/people/volunteers/new", {"name": "郑同学", "kind": "老教师", "phone": "13812345670",
                                               "birth_year": "2014"}, token_from="/people/volunteers/new")
    assert r.status_code == 200 and "1920" in field_error(r.get_data(as_text=True), "birth_year")
    assert [v.name for v in db.session.scalars(select(Volunteer).where(Volunteer.name.in_(["周同学", "郑同学"])))] == [
        "周同学"]


def test_guardian_account_is_opened_with_a_one_time_password(app, login_as, world):
    fam = factories.family(world.school, "新家庭")
    guardian = fam.guardians[0]
    c = login_as("coordinator")
    r = c.post_form(f"/people/guardians/{guardian.id}/account", token_from=f"/people/families/{fam.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "账号已开通" in html
    user = db.session.scalar(select(User).where(User.guardian_id == guardian.id))
    assert user.role == "parent" and user.username == guardian.mobile
    password = html.split("<code>")[1].split("</code>")[0]
    from tests.conftest import Client

    assert Client(app).login(user.username, password).status_code == 302


def test_coordinator_cannot_create_an_admin(login_as):
    c = login_as("coordinator")
    r = c.post_form("/people/users/new", {"username": "boss", "display_name": "x", "role": "admin",
                                         "password": "long-enough-1"}, token_from="/people/users/new")
    assert r.status_code == 200 and "不是有效的选择" in r.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "boss")) is None


def test_admin_creates_teacher_with_classes_and_duplicate_username_is_refused(login_as, world):
    c = login_as("admin")
    data = {"username": "li.laoshi", "display_name": "李老师", "role": "teacher", "password": "long-enough-1",
            "classes": str(world.other_class.id)}
    assert c.post_form("/people/users/new", data, token_from="/people/users/new").status_code == 302
    teacher = db.session.scalar(select(User).where(User.username == "li.laoshi"))
    assert [k.id for k in teacher.classes] == [world.other_class.id]
    r = c.post_form("/people/users/new", {**data, "display_name": "李老师（二）"}, token_from="/people/users/new")
    assert "已被其他账号使用" in r.get_data(as_text=True)


def test_cannot_deactivate_yourself(login_as, world):
    c = login_as("admin")
    c.post_form(f"/people/user/{world.users['admin'].id}/active", {"active": "0"}, token_from="/people/users")
    assert db.session.get(User, world.users["admin"].id).active is True


def test_link_child_to_family(login_as, world):
    c = login_as("coordinator")
    fam = factories.family(world.school, "赵家")
    r = c.post_form(f"/people/families/{fam.id}", {"c-student_no": world.stranger.student_no},
                    token_from=f"/people/families/{fam.id}")
    assert r.status_code == 302
    assert db.session.get(Student, world.stranger.id).family_id == fam.id
    r = c.post_form(f"/people/families/{fam.id}", {"c-student_no": world.pupil.student_no},
                    token_from=f"/people/families/{fam.id}")
    assert "已属于另一个家庭" in r.get_data(as_text=True)


def test_a_second_volunteer_with_the_same_mobile_is_refused_and_namesakes_are_told_apart(login_as, world):
    c = login_as("coordinator")
    data = {"name": "陈老师", "kind": "老教师", "phone": "13900001111", "birth_year": "1955"}
    assert c.post_form("/people/volunteers/new", data, token_from="/people/volunteers/new").status_code == 302
    first = db.session.scalar(select(Volunteer).where(Volunteer.phone == "13900001111"))

    r = c.post_form("/people/volunteers/new", {**data, "birth_year": "1956"}, token_from="/people/volunteers/new")

    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), "phone") == zh(
        "This mobile number is already on record for %(name)s. If it is the same person, edit that record instead.",
        name="陈老师（老教师·尾号1111）")
    assert db.session.scalar(select(func.count()).select_from(Volunteer).where(Volunteer.name == "陈老师")) == 1
    # Editing the record itself keeps its mobile; a namesake with another mobile is a different person.
    edit = f"/people/volunteers/{first.id}/edit"
    assert c.post_form(edit, {**data, "skills": "书法"}, token_from=edit).status_code == 302
    namesake = {**data, "kind": "老教师", "phone": "13900002222"}
    assert c.post_form("/people/volunteers/new", namesake, token_from="/people/volunteers/new").status_code == 302
    chooser = c.get("/hours/new").get_data(as_text=True)
    assert "陈老师（老教师·尾号1111）" in chooser and "陈老师（老教师·尾号2222）" in chooser
