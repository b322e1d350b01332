"""Children's data kept no longer than the school set (issue 29, item 4): what the next run removes, the run, and what
stays — the hours ledger, the pairs and every figure of the reports. Run on SQLite and on PostgreSQL."""
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.hours import totals
from portal.hours.models import HourEntry
from portal.pairs.models import Visit
from portal.pairs.services import add_visit, create_pair
from portal.people import retention
from portal.people.models import ErasureRequest, Family, Student
from portal.reports import services as reports
from tests import factories
from tests.conftest import Client
from tests.helpers import main_text

LEFT = date(2026, 7, 1)


@pytest.fixture
def graduate(world):
    """赵小红 (4年级1班, tagged, with consent) with a family with notes and a parent login, a pair with a visit, a
    help request and approved hours for the volunteer; she graduated on 1 July 2026."""
    coord = world.users["coordinator"]
    family = factories.family(world.school, "赵家")
    family.notes = "父母在外地打工，由奶奶照顾"
    world.stranger.family_id = family.id
    db.session.commit()
    factories.user(world.school, "parent", "zhao_parent", guardian_id=family.guardians[0].id)
    category = factories.category(world.school)
    need = factories.need(world.stranger, category, coord)
    pair, _created = create_pair(coord, [need], [factories.offer(world.volunteer, category, coord)], date(2026, 3, 1))
    add_visit(coord, pair, world.volunteer.id, {"visited_on": date(2026, 3, 8), "mode": "talk", "hours": "1.5",
                                               "content": "奶奶说孩子晚上哭", "follow_up": "联系班主任"}, date(2026, 3, 8))
    factories.help_request(world.stranger, category, coord)
    factories.hour_entry(world.volunteer, coord, hours="3", day=date(2026, 4, 2), status="approved")
    student = world.stranger
    student.active, student.status, student.left_on = False, "graduated", LEFT
    db.session.commit()
    return student


def _figures(school_id):
    period = next(p for p in reports.periods(school_id, date(2027, 1, 1)) if p.key == "y2026")
    return (reports.needs_by_category(school_id, period), reports.matching(school_id, period),
            reports.pair_figures(school_id, period, date(2027, 1, 1)), reports.hours_by_month(school_id, period),
            reports.coverage(school_id, period))


def _hours(volunteer_id):
    """The volunteer's approved hours and how many entries the ledger holds."""
    return (totals.sum_hours(HourEntry.volunteer_id == volunteer_id),
            db.session.scalar(select(func.count()).select_from(HourEntry)))


def test_a_graduates_support_tags_go_after_the_period_while_the_ledger_and_the_figures_stay(world, graduate):
    figures, hours = _figures(world.school.id), _hours(world.volunteer.id)
    assert retention.due(world.school.id, date(2026, 12, 31)).empty  # six months not yet passed

    due = retention.due(world.school.id, date(2027, 1, 1))
    assert [s.id for s in due.support] == [graduate.id] and not due.visits and not due.identities

    retention.run(None, world.school.id, date(2027, 1, 1))
    db.session.expire_all()
    assert graduate.support_tags == [] and graduate.family.notes == ""
    assert graduate.name == "赵小红"  # the name goes later
    assert _hours(world.volunteer.id) == hours and _figures(world.school.id) == figures
    assert db.session.scalar(select(Visit.content)) == "奶奶说孩子晚上哭"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "retention.support", AuditEntry.object_id == graduate.id)) == 1
    assert retention.due(world.school.id, date(2027, 1, 1)).empty  # a second run finds nothing


def test_after_three_years_the_child_and_the_family_have_no_name_but_still_count(app, world, graduate):
    figures, hours = _figures(world.school.id), _hours(world.volunteer.id)

    retention.run(None, world.school.id, date(2029, 7, 1))
    db.session.expire_all()

    assert (graduate.name, graduate.birth_date, graduate.student_no) == ("已匿名", None, f"ANON{graduate.id}")
    assert db.session.scalar(select(Visit.content)) == "" and db.session.scalar(select(HelpRequest.detail)) == ""
    family = db.session.get(Family, graduate.family_id)
    assert family.name == "已匿名家庭" and [(g.name, g.mobile) for g in family.guardians] == [("已匿名", "")]
    parent = db.session.scalar(select(User).where(User.guardian_id == family.guardians[0].id))
    assert not parent.active and parent.username == f"anon{parent.id}"
    assert Client(app).login("zhao_parent").status_code == 200  # that login is gone
    assert _hours(world.volunteer.id) == hours and _figures(world.school.id) == figures
    assert db.session.scalar(select(func.count()).select_from(Student)) == 3


def test_the_admin_sees_what_the_next_run_removes_sets_the_periods_and_runs_it(world, login_as, graduate, monkeypatch):
    from portal.core import clock

    monkeypatch.setattr(clock, "_wall", lambda: datetime(2027, 2, 1, 9, 0))
    admin = login_as("admin")
    page = main_text(admin.get("/people/retention").get_data(as_text=True))
    assert "下次运行将删除" in page and "赵小红（四年级1班，2026年7月1日" in page

    r = admin.post_form("/people/retention", {"support_months": "12", "visit_months": "24", "help_months": "24",
                                              "identity_months": "36", "photo_months": "36"},
                        token_from="/people/retention")
    assert r.status_code == 302
    assert "没有超过保存期限的内容" in main_text(admin.get("/people/retention").get_data(as_text=True))
    bad = admin.post_form("/people/retention", {"support_months": "-1", "visit_months": "x", "help_months": "24",
                                                "identity_months": "36", "photo_months": "36"},
                          token_from="/people/retention")
    assert "请填写 0 到 120 之间的月数" in main_text(bad.get_data(as_text=True))
    assert login_as("coordinator").get("/people/retention").status_code == 403


def test_the_scheduled_run_is_a_command(app, world, graduate, monkeypatch):
    from portal.core import clock

    monkeypatch.setattr(clock, "_wall", lambda: datetime(2027, 2, 1, 3, 0))
    result = app.test_cli_runner().invoke(args=["retention-run"])
    assert "滨湖实验小学: support=1" in result.output
    db.session.expire_all()
    assert graduate.support_tags == []


def test_a_guardian_downloads_the_familys_data_and_asks_for_a_childs_sensitive_data_to_go(world, login_as):
    parent = login_as("parent")
    r = parent.get("/my/family/data.xlsx")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["家庭", "监护人", "孩子", "家长学校和活动", "求助"]
    child = [c.value for c in wb["孩子"][2]]
    assert child[0] == "王小明" and "纸质签字" in child[6]
    assert not any(word in str(cell.value) for ws in wb for row in ws for cell in row for word in ("留守", "单亲"))
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "family.export")) == 1

    page = "/my/family"
    r = parent.post_form(f"/my/family/children/{world.pupil.id}/erasure", token_from=page)
    again = parent.post_form(f"/my/family/children/{world.pupil.id}/erasure", token_from=page)  # a second tap
    assert "已提交，学校办公室会删除" in main_text(parent.get(page).get_data(as_text=True))
    stranger = parent.post_form(f"/my/family/children/{world.stranger.id}/erasure", token_from=page)
    assert r.status_code == again.status_code == stranger.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ErasureRequest)) == 1  # not for another family's child

    office = login_as("coordinator")
    listed = main_text(office.get("/people/erasure").get_data(as_text=True))
    assert "王小明" in listed and "赵小红" not in listed
    request = db.session.scalar(select(ErasureRequest))
    office.post_form(f"/people/erasure/{request.id}", token_from="/people/erasure")
    db.session.expire_all()
    assert world.pupil.support_tags == [] and all(c.withdrawn_at for c in world.pupil.consents)
    assert world.pupil.active and request.status == "done"
    assert "没有等待办理的申请" in main_text(office.get("/people/erasure").get_data(as_text=True))
    assert login_as("teacher").get("/people/erasure").status_code == 403


def test_a_sibling_still_in_school_keeps_the_family_notes_and_the_family_its_name(world, graduate):
    sibling = factories.student(world.own_class, "赵小明", family=graduate.family)
    family = graduate.family
    family.name = "赵小红家"  # as an import names a family after its first child
    db.session.commit()

    retention.run(None, world.school.id, date(2029, 7, 1))
    db.session.expire_all()

    assert family.notes == "父母在外地打工，由奶奶照顾" and sibling.name == "赵小明"
    assert family.name == "赵小明家" and graduate.name == "已匿名"
    assert family.guardians[0].mobile != ""  # the family is still in the school


def test_an_anonymised_or_graduated_student_does_not_come_back_by_reactivation(world, login_as, graduate):
    world.other_class.active = False
    db.session.commit()
    c = login_as("coordinator")
    r = c.post_form(f"/people/student/{graduate.id}/active", {"active": "1"},
                    token_from=f"/people/students/{graduate.id}")
    assert "已不在名单中" in main_text(c.get(r.headers["Location"]).get_data(as_text=True))
    db.session.expire_all()
    assert not graduate.active
