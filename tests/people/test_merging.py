"""Two records of one person made one (issue 29, item 5): a student, a family or a volunteer entered twice is merged
from the kept record's page, keeping both histories; a second record of someone already on record is refused when
typed in. Run on SQLite and on PostgreSQL like the rest of the suite."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.events import signup
from portal.events.models import EventHelper
from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.hours.models import HourEntry, ServiceRecord
from portal.hours.totals import sum_hours
from portal.needs.models import Need
from portal.pairs.models import PairVolunteer
from portal.pairs.services import create_pair
from portal.people.models import Consent, Family, Guardian, Student, Volunteer
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import factories
from tests.helpers import client_for, field_error, flash_text, follow, main_text, post_at_once, send


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_student_entered_twice_is_merged_with_everything_recorded_for_either(world, login_as):
    coord = world.users["coordinator"]
    pupil = world.pupil
    twin = factories.student(world.own_class, "王小明", student_no="LS-0001", birth_date=date(2017, 5, 1))
    twin.support_tags = [factories.tag(world.school, "困难家庭"), factories.tag(world.school, "留守")]
    db.session.commit()
    need = factories.need(twin, factories.category(world.school), coord)
    asked = factories.help_request(twin, factories.category(world.school, "心理疏导"), world.users["parent"],
                                   family_id=world.family.id)
    factories.consent(twin, coord)
    twin_id = twin.id
    c = login_as("coordinator")
    c.get(f"/people/students/{twin_id}")  # its tags seen: an audit entry about the other record

    found = main_text(c.get(f"/people/students/{pupil.id}/merge").get_data(as_text=True))
    assert "王小明（三年级2班，学籍号 LS-0001）" in found and "赵小红" not in found

    preview = c.get(f"/people/students/{pupil.id}/merge?with={twin.id}").get_data(as_text=True)
    text = main_text(preview)
    assert "出生日期 — 2017-05-01 2017-05-01" in text  # the blank is filled from the other record
    assert "需求： 1" in text and "求助： 1" in text and "同意书： 1" in text and "特殊群体标签： 1" in text
    db.session.expire_all()
    assert db.session.get(Student, twin.id) is not None  # the preview changes nothing

    done = send(c, preview, f"/people/students/{pupil.id}/merge")
    assert flash_text(follow(c, done)).startswith("已将 王小明（三年级2班，学籍号 LS-0001） 并入本记录")
    db.session.expire_all()
    kept = db.session.get(Student, pupil.id)
    assert db.session.get(Student, twin_id) is None
    assert db.session.get(Need, need.id).student_id == kept.id
    assert db.session.get(HelpRequest, asked.id).student_id == kept.id
    assert _count(Consent, Consent.student_id == kept.id) == 2
    assert sorted(t.name for t in kept.support_tags) == ["单亲", "困难家庭", "留守"]
    assert kept.birth_date == date(2017, 5, 1) and kept.student_no == pupil.student_no and kept.family_id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "student.merge"))
    assert entry.object_id == kept.id and entry.detail.startswith(f"#{twin_id} LS-0001: ")
    seen = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "student.sensitive.view")).all()
    assert twin_id not in seen and kept.id in seen  # the other record's trail is the kept one's now

    again = send(c, preview, f"/people/students/{pupil.id}/merge")  # Back, and the button again
    assert "另一条记录已不存在" in flash_text(follow(c, again))
    assert _count(Student, Student.name == "王小明") == 1


def test_a_merge_that_would_join_two_families_or_keep_the_record_that_left_is_refused(world, login_as):
    other_family = factories.family(world.school, "王家")
    cousin = factories.student(world.own_class, "王小明", family=other_family)
    c = login_as("coordinator")

    page = c.get(f"/people/students/{world.pupil.id}/merge?with={cousin.id}").get_data(as_text=True)
    assert "两条记录分属不同的家庭（王小明家、王家）。如果是同一个孩子，请先合并这两个家庭。" in main_text(page)
    assert "并入本记录</button>" not in page
    refused = c.post_form(f"/people/students/{world.pupil.id}/merge",
                          {"other": cousin.id, "created": cousin.created_at.isoformat()})
    assert "分属不同的家庭" in flash_text(follow(c, refused))
    db.session.expire_all()
    assert db.session.get(Student, cousin.id) is not None

    page = main_text(c.get(f"/people/students/{world.pupil.id}/merge?with={world.far_pupil.id}").get_data(as_text=True))
    assert "钱小宝" not in page and "哪条记录是同一个人？" in page  # another school's child is not even named
    refused = c.post_form(f"/people/students/{world.pupil.id}/merge",
                          {"other": world.far_pupil.id, "created": world.far_pupil.created_at.isoformat()})
    assert "另一条记录已不存在" in flash_text(follow(c, refused))

    left = factories.student(world.own_class, "王小明", active=False)
    page = c.get(f"/people/students/{left.id}/merge?with={world.pupil.id}").get_data(as_text=True)
    assert "本记录已不在名单中，而另一条还在：请保留仍在名单中的那一条。" in main_text(page)
    assert f'href="/people/students/{world.pupil.id}/merge?with={left.id}"' in page  # keep the other instead


def test_two_families_of_one_household_become_one_with_their_children_guardians_and_logins(app, world, login_as):
    coord = world.users["coordinator"]
    mother = world.family.guardians[0]
    copy = Family(school_id=world.school.id, name="王家", address="滨湖路8号")
    copy.guardians = [Guardian(school_id=world.school.id, name=mother.name, relation="母亲", mobile=""),
                      Guardian(school_id=world.school.id, name="王大伟", relation="父亲", mobile="13912345678")]
    db.session.add(copy)
    db.session.commit()
    copy_id = copy.id
    sister = factories.student(world.other_class, "王小丽", family=copy)
    father = factories.user(world.school, "parent", "wang_father", guardian_id=copy.guardians[1].id)
    second_login = factories.user(world.school, "parent", "wang_mother2", guardian_id=copy.guardians[0].id)
    course = factories.course(world.school, coord, grades=(3, 4))
    session = factories.course_session(course)
    mine, _ = seats.register(session, world.pupil, world.users["parent"])
    theirs, _ = seats.register(session, sister, father)
    theirs_id = theirs.id
    c = login_as("coordinator")

    page = c.get(f"/people/families/{world.family.id}/merge").get_data(as_text=True)
    assert "王家（孩子：王小丽；监护人：" in main_text(page)  # found by the mother's name
    page = c.get(f"/people/families/{world.family.id}/merge?with={copy.id}").get_data(as_text=True)
    assert "两个家庭都报名了新生家长入学适应：请先在报名名单中取消其中一个，再合并。" in main_text(page)

    seats.cancel(db.session.get(Registration, theirs.id), coord, staff=True)
    page = c.get(f"/people/families/{world.family.id}/merge?with={copy.id}").get_data(as_text=True)
    text = main_text(page)
    assert "孩子： 1" in text and "监护人： 1" in text and "报名" not in text.split("转到本记录的内容")[1].split("。")[0]
    assert f"{mother.name} {mother.mobile} 在两条记录中都有：只保留一位监护人。" in text
    assert "账号 wang_mother2 将停用：保留的记录已有自己的账号。" in text
    follow(c, send(c, page, f"/people/families/{world.family.id}/merge"))

    db.session.expire_all()
    kept = db.session.get(Family, world.family.id)
    assert db.session.get(Family, copy_id) is None
    assert {s.name for s in kept.children} == {"王小明", "王小丽"}
    assert {g.name for g in kept.guardians} == {mother.name, "王大伟"}
    assert kept.address == "滨湖路8号"
    assert db.session.get(Registration, theirs_id) is None  # the cancelled twin of a place the family holds
    assert db.session.get(Registration, mine.id).status == "confirmed"
    assert db.session.get(User, father.id).guardian.family_id == kept.id
    closed = db.session.get(User, second_login.id)
    assert not closed.active and closed.guardian_id is None

    family_page = main_text(client_for(app, father).get("/my/family").get_data(as_text=True))
    assert "王小明" in family_page and "王小丽" in family_page


def test_a_volunteer_entered_twice_keeps_all_hours_pairs_and_certificates_under_one_record(app, world, login_as):
    coord = world.users["coordinator"]
    kept = world.volunteer
    twin = factories.volunteer(world.school, "张建国", phone="13700000001")
    twin.former_unit = "市第一中学"
    db.session.commit()
    twin_id = twin.id
    login = factories.user(world.school, "volunteer", "zhang2", volunteer_id=twin.id)
    category = factories.category(world.school)
    offer = factories.offer(twin, category, coord)
    pair, _ = create_pair(coord, [factories.need(world.pupil, category, coord)], [offer], date(2026, 10, 1))
    approved = factories.hour_entry(twin, coord, hours="3", status="approved", activity="pair_visit")
    factories.hour_entry(kept, coord, hours="2", status="approved")
    db.session.add(ServiceRecord(school_id=world.school.id, serial="2026-0001", volunteer_id=twin.id,
                                 period_from=date(2026, 9, 1), period_to=date(2026, 12, 1), total_hours=Decimal("3"),
                                 issued_by_id=coord.id))
    event = factories.event(world.school, day=date(2027, 3, 1), capacity=20)
    db.session.add_all([EventHelper(school_id=world.school.id, event_id=event.id, volunteer_id=v.id, role="helper",
                                    added_by_id=coord.id) for v in (kept, twin)])
    db.session.commit()
    c = login_as("coordinator")

    page = c.get(f"/people/volunteers/{kept.id}/merge?with={twin.id}").get_data(as_text=True)
    assert "两条记录都报名了红色故事会：请先在活动页取消其中一个，再合并。" in main_text(page)
    mine = db.session.scalar(select(EventHelper).where(EventHelper.volunteer_id == kept.id))
    signup.withdraw(mine, coord)
    page = c.get(f"/people/volunteers/{kept.id}/merge?with={twin.id}").get_data(as_text=True)
    text = main_text(page)
    assert "原单位 — 市第一中学 市第一中学" in text
    assert "服务时长记录： 1" in text and "结对： 1" in text and "志愿服务记录证明： 1" in text
    assert "账号 zhang2 将停用：保留的记录已有自己的账号。" in text
    assert f"两条记录在 {approved.worked_on:%Y-%m-%d} 都有服务时长" in text  # a visit logged twice, perhaps
    follow(c, send(c, page, f"/people/volunteers/{kept.id}/merge"))

    db.session.expire_all()
    assert db.session.get(Volunteer, twin_id) is None
    assert db.session.get(HourEntry, approved.id).volunteer_id == kept.id  # an approved row, relabelled
    assert sum_hours(HourEntry.volunteer_id == kept.id) == Decimal("5")
    assert db.session.scalar(select(PairVolunteer.volunteer_id).where(PairVolunteer.pair_id == pair.id)) == kept.id
    assert _count(ServiceRecord, ServiceRecord.volunteer_id == kept.id) == 1
    helpers = db.session.scalars(select(EventHelper).where(EventHelper.event_id == event.id)).all()
    assert [(h.volunteer_id, h.status) for h in helpers] == [(kept.id, "confirmed")]
    assert db.session.get(Volunteer, kept.id).former_unit == "市第一中学"
    assert not db.session.get(User, login.id).active
    assert "5" in main_text(login_as("volunteer").get("/hours/").get_data(as_text=True))


def test_a_second_record_of_someone_on_record_is_refused_when_typed_in(world, login_as):
    world.pupil.birth_date = date(2017, 5, 1)
    db.session.commit()
    c = login_as("coordinator")

    form = c.get("/people/students/new").get_data(as_text=True)
    r = send(c, form, "", page="/people/students/new", student_no="L-9", name="王小明", gender="男",
             birth_date="2017-05-01", class_id=str(world.other_class.id))
    assert r.status_code == 200
    assert f"系统中已有同名同出生日期的三年级2班王小明（学籍号 {world.pupil.student_no}）" in field_error(
        r.get_data(as_text=True), "name")
    assert _count(Student, Student.name == "王小明") == 1

    zhao = factories.family(world.school, "赵家", guardians=0)
    mobile = world.family.guardians[0].mobile
    r = c.post_form(f"/people/families/{zhao.id}", {"g-name": "赵大海", "g-relation": "父亲", "g-mobile": mobile})
    assert "这个手机号已登记为王小明家的" in field_error(r.get_data(as_text=True), "g-mobile")
    assert _count(Guardian, Guardian.mobile == mobile) == 1


def test_two_taps_at_the_same_moment_merge_once(app, world):
    twin = factories.volunteer(world.school, "张建国", phone="13700000002")
    factories.hour_entry(twin, world.users["coordinator"], hours="1.5", status="approved")
    twin_id, url = twin.id, f"/people/volunteers/{world.volunteer.id}/merge"
    tabs = [client_for(app, world.users["coordinator"]) for _ in range(2)]
    payloads = [{"other": twin_id, "created": twin.created_at.isoformat(), "csrf_token": tab.csrf(f"{url}?with={twin_id}")}
                for tab in tabs]

    answers = post_at_once(tabs, url, payloads)

    assert [r.status_code for r in answers] == [302, 302]
    told = sorted(flash_text(tab.get(url).get_data(as_text=True)) for tab in tabs)
    assert told[0].startswith("已将 张建国") and "另一条记录已不存在" in told[1]
    assert db.session.get(Volunteer, twin_id) is None
    assert sum_hours(HourEntry.volunteer_id == world.volunteer.id) == Decimal("1.5")
    assert _count(AuditEntry, AuditEntry.action == "volunteer.merge") == 1


def test_a_volunteer_twice_in_one_running_pair_is_not_merged_into_one_person_twice(world, login_as):
    coord = world.users["coordinator"]
    twin = factories.volunteer(world.school, "张建国", phone="13700000003")
    category = factories.category(world.school)
    offers = [factories.offer(v, category, coord) for v in (world.volunteer, twin)]
    create_pair(coord, [factories.need(world.pupil, category, coord)], offers, date(2026, 10, 1))

    page = login_as("coordinator").get(f"/people/volunteers/{world.volunteer.id}/merge?with={twin.id}")
    assert "两条记录都在与王小明的结对中：请先在结对页更换其中一位，再合并。" in main_text(page.get_data(as_text=True))
    assert "并入本记录</button>" not in page.get_data(as_text=True)


def test_a_preview_left_open_does_not_merge_a_record_that_since_took_the_others_id(world, login_as):
    twin = factories.volunteer(world.school, "张建国", phone="13700000004")
    c = login_as("coordinator")
    page = c.get(f"/people/volunteers/{world.volunteer.id}/merge?with={twin.id}").get_data(as_text=True)
    twin.created_at = datetime(2026, 12, 1, 8, 0)  # the previewed record gone, a new one under its id
    db.session.commit()

    r = send(c, page, f"/people/volunteers/{world.volunteer.id}/merge")
    assert "另一条记录已不存在" in flash_text(follow(c, r))
    db.session.expire_all()
    assert db.session.get(Volunteer, twin.id) is not None
