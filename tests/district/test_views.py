"""The district's pages as its users meet them: the table of the unit's schools with the lines met or not, sorting,
the periods, a school's page, the workbook, the lines, the units and the unit's accounts; and what a unit user never
sees (another district, any school record, any child)."""
import io
import re
from datetime import datetime

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from portal.auth.models import User
from portal.district.models import Unit, UnitThreshold
from portal.extensions import db
from portal.people.models import School, Student
from tests import factories
from tests.conftest import Client
from tests.district.test_figures import busy_school
from tests.factories import zh, zh_in
from tests.helpers import audits

CURRENT = "t202609"  # the term under way on the test's day, as the district offers it


@pytest.fixture(autouse=True)
def _term_under_way(monkeypatch):
    """The district's periods count from the school's today: hold it in the 2026–2027 first term."""
    from portal.district import views

    monkeypatch.setattr(views, "local_now", lambda: datetime(2026, 12, 1, 12))


@pytest.fixture
def district(world):
    """The bureau over the world's school and a 学区 under it with a second school; another district's school far."""
    area = factories.unit("湖东学区", parent=world.unit)
    second = factories.school("滨湖区第二实验学校")
    second.unit_id = area.id
    db.session.commit()
    busy_school(world.school, world.users["coordinator"], kids=4, rating=5)
    busy_school(second, factories.user(second, "coordinator", "second-coordinator"), kids=3, rating=4, came=3)
    busy_school(world.far, factories.user(world.far, "coordinator", "far-coordinator"))
    db.session.add(UnitThreshold(unit_id=world.unit.id, figure="attendance", value=60))
    db.session.add(UnitThreshold(unit_id=world.unit.id, figure="satisfaction", value=90))
    db.session.commit()
    return area, second


def names_in_order(html, *names):
    return sorted(names, key=html.index)


def test_the_officer_sees_each_school_of_the_district_against_its_lines_in_words(world, district, login_as):
    area, second = district
    html = login_as("unit_officer").get(f"/district/?period={CURRENT}").get_data(as_text=True)

    assert world.school.name in html and second.name in html and world.far.name not in html
    assert "湖东学区" in html  # the school's unit below the bureau
    # 参训率 66.7 % and 100 % ≥ 60 %: both 达标; 满意率 50 % < 90 %: neither. In words, not by colour only.
    assert html.count(f'badge ok">{zh("Met")}') == 2 and html.count(f'badge warn">{zh("Not met")}') == 2
    assert "2 / 2" in html and "0 / 2" in html


def test_the_table_sorts_by_a_figure_and_the_chart_follows(world, district, login_as):
    area, second = district
    officer = login_as("unit_officer")
    # 参训率: the world's school 66.7 % (2 of 3), the second 100 % (2 of 2).
    up = officer.get(f"/district/?period={CURRENT}&sort=attendance&dir=asc").get_data(as_text=True)
    down = officer.get(f"/district/?period={CURRENT}&sort=attendance&dir=desc").get_data(as_text=True)
    body = up.split("<tbody>")[1]
    assert names_in_order(body, world.school.name, second.name) == [world.school.name, second.name]
    body = down.split("<tbody>")[1]
    assert names_in_order(body, world.school.name, second.name) == [second.name, world.school.name]
    assert 'aria-sort="descending"' in down
    chart = down.split('id="d-chart-h"')[1]
    assert zh_in("district figure", "Attendance") in chart[:200] and "100%" in chart and "66.7%" in chart


def test_choosing_another_period_swaps_the_table_and_shows_the_change(world, district, login_as):
    officer = login_as("unit_officer")
    r = officer.htmx("/district/?period=y2026")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and 'id="d-chart-h"' in html
    # The term before (2026 spring) had one need of the world's school; this term two.
    term = officer.get(f"/district/?period={CURRENT}").get_data(as_text=True)
    assert zh("%(change)s on the last period", change="+1") in term


def test_a_schools_page_shows_its_figures_over_the_periods(world, district, login_as):
    html = login_as("unit_officer").get(f"/district/schools/{world.school.id}?period={CURRENT}").get_data(as_text=True)
    assert world.school.name in html and "2026–2027学年第一学期" in html and "2025–2026学年第二学期" in html
    assert zh_in("district figure", "Attendance") in html and "66.7%" in html


def test_a_unit_user_knows_nothing_of_another_district_nor_of_a_school_record(world, district, login_as):
    area, second = district
    officer = login_as("unit_officer")
    assert officer.get(f"/district/schools/{world.far.id}").status_code == 404
    assert officer.get("/district/schools/999999").status_code == 404
    admin = login_as("unit_admin")
    assert admin.post_form(f"/district/units/{world.far_unit.id}/new", {"name": "偷来的学区"},
                           token_from="/settings").status_code == 404
    assert admin.post_form(f"/district/schools/{world.far.id}/unit", {"unit": world.unit.id},
                           token_from="/settings").status_code == 404
    assert db.session.get(School, world.far.id).unit_id == world.far_unit.id
    assert login_as_user(world.far_officer).get(f"/district/schools/{world.school.id}").status_code == 404
    for url in (f"/people/students/{world.pupil.id}", "/reports/", "/needs/", "/pairs/", "/hours/", "/notices/"):
        assert officer.get(url).status_code == 403, url


def test_a_学区_officer_sees_the_schools_of_the_学区_only(world, district):
    area, second = district
    c = login_as_user(factories.unit_user(area, "unit_officer", "area-officer"))
    html = c.get(f"/district/?period={CURRENT}").get_data(as_text=True)
    assert second.name in html and world.school.name not in html
    assert c.get(f"/district/schools/{world.school.id}").status_code == 404
    # The bureau's lines hold for the 学区 until it sets its own.
    assert f'badge ok">{zh("Met")}' in html


def test_no_page_or_workbook_of_the_district_names_a_child(world, district, login_as):
    children = set(db.session.scalars(select(Student.name)))
    assert {"王小明", "学生0"} <= children
    admin = login_as("unit_admin")
    pages = [f"/district/?period={CURRENT}", f"/district/?period={CURRENT}&sort=coverage",
             f"/district/schools/{world.school.id}", "/district/thresholds", "/district/units", "/district/users/new",
             "/settings"]
    for url in pages:
        html = admin.get(url).get_data(as_text=True)
        assert not [n for n in children if n in html], url
    book = load_workbook(io.BytesIO(admin.get(f"/district/schools.xlsx?period={CURRENT}").data))
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert not [n for n in children if any(n in v for v in cells)]


def test_the_whole_table_downloads_as_a_workbook(world, district, login_as):
    area, second = district
    r = login_as("unit_officer").get(f"/district/schools.xlsx?period={CURRENT}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(r.data))
    first = book.worksheets[0]
    header = [c.value for c in first[1]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in first.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {world.school.name, second.name}
    mine = rows[world.school.name]
    assert mine["所属单位"] == "滨湖区教育局关工委" and rows[second.name]["所属单位"] == "湖东学区"
    attendance = zh_in("district figure", "Attendance")
    assert mine[f"{attendance}（%）"] == 66.7 and mine[f"{attendance}达标"] == zh("Met")
    assert mine[f"{zh('Satisfaction')}达标"] == zh("Not met")
    assert mine[zh("Needs raised")] == 2 and mine[zh("Approved hours")] == 5.5
    assert book.worksheets[1].title.startswith("上期") and book.worksheets[2]["B2"].value in (60, 90)


def test_the_lines_are_checked_and_saved_whole_and_a_学区_may_set_its_own(world, district, login_as):
    area, second = district
    officer = login_as("unit_officer")
    r = officer.post_form("/district/thresholds", {"attendance": "120", "satisfaction": "95", "coverage": "-1"},
                          token_from="/district/thresholds")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and zh("Between 0 and %(top)d.", top=100) in html
    assert db.session.scalar(select(UnitThreshold.value).where(UnitThreshold.unit_id == world.unit.id,
                                                               UnitThreshold.figure == "satisfaction")) == 90
    r = officer.post_form("/district/thresholds", {"attendance": "", "satisfaction": "95", "coverage": "80.5"},
                          token_from="/district/thresholds")
    assert r.status_code == 302
    lines = dict(db.session.execute(select(UnitThreshold.figure, UnitThreshold.value)
                                    .where(UnitThreshold.unit_id == world.unit.id)).all())
    assert lines == {"satisfaction": 95, "coverage": 80.5}
    assert audits("unit.thresholds")
    area_officer = login_as_user(factories.unit_user(area, "unit_officer", "area-officer"))
    page = area_officer.get("/district/thresholds").get_data(as_text=True)
    assert zh("From the unit above: %(line)s", line="95%") in page
    assert area_officer.post_form("/district/thresholds", {"satisfaction": "50"},
                                  token_from="/district/thresholds").status_code == 302
    html = area_officer.get(f"/district/?period={CURRENT}").get_data(as_text=True)
    assert f'badge ok">{zh("Met")}' in html  # the 学区's 50 %, not the bureau's 95 %


def test_the_units_administrator_adds_a_学区_and_moves_a_school_into_it(world, district, login_as):
    area, second = district
    admin = login_as("unit_admin")
    r = admin.post_form(f"/district/units/{world.unit.id}/new", {"name": "湖西学区"}, token_from="/district/units")
    assert r.status_code == 302
    west = db.session.scalar(select(Unit).where(Unit.name == "湖西学区"))
    assert west.parent_id == world.unit.id
    again = admin.post_form(f"/district/units/{world.unit.id}/new", {"name": "湖西学区 "}, token_from="/district/units")
    assert zh("A unit of this name already exists.") in admin.get(again.headers["Location"]).get_data(as_text=True)
    r = admin.post_form(f"/district/schools/{world.school.id}/unit", {"unit": west.id}, token_from="/district/units")
    assert r.status_code == 302 and db.session.get(School, world.school.id).unit_id == west.id
    r = admin.post_form(f"/district/schools/{world.school.id}/unit", {"unit": world.far_unit.id},
                        token_from="/district/units")
    assert db.session.get(School, world.school.id).unit_id == west.id  # not a unit of this district
    assert zh("Choose a unit.") in admin.get(r.headers["Location"]).get_data(as_text=True)
    assert audits("unit.create") and audits("unit.school_moved")
    assert login_as("unit_officer").get("/district/units").status_code == 403


def test_the_administrator_opens_an_officers_account_for_a_学区(world, district, login_as, app):
    area, second = district
    admin = login_as("unit_admin")
    form = {"username": "dong", "display_name": "湖东学区 刘老师", "mobile": "", "role": "unit_officer",
            "unit": area.id, "password": "temporary-pass-1", "active": "y"}
    assert admin.post_form("/district/users/new", form, token_from="/district/units").status_code == 302
    dong = db.session.scalar(select(User).where(User.username == "dong"))
    assert (dong.unit_id, dong.school_id, dong.role) == (area.id, None, "unit_officer")
    clash = admin.post_form("/district/users/new", {**form, "display_name": "另一个"}, token_from="/district/units")
    assert zh("This username or mobile number is already used by another account.") in clash.get_data(as_text=True)
    c = Client(app)
    assert c.login("dong", "temporary-pass-1").headers["Location"].endswith("/my-password")
    # A role of a school is not one a unit gives.
    r = admin.post_form("/district/users/new", {**form, "username": "x2", "role": "admin"}, token_from="/district/units")
    assert r.status_code == 200 and db.session.scalar(select(User).where(User.username == "x2")) is None


def test_a_unit_user_starts_on_the_districts_table_with_its_menu_and_no_bell(world, login_as):
    officer = login_as("unit_officer")
    r = officer.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/district/")
    html = officer.get("/district/").get_data(as_text=True)
    assert zh("Schools' figures") in html and 'id="notice-bell"' not in html
    assert zh("Units and accounts") not in html
    assert zh("Units and accounts") in login_as("unit_admin").get("/district/").get_data(as_text=True)


def test_the_command_line_sets_up_a_unit_over_schools_and_its_administrator(app, world):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["add-unit", "远方市教育局关工委", "--school", world.far.name])
    assert r.exit_code == 0, r.output
    city = db.session.scalar(select(Unit).where(Unit.name == "远方市教育局关工委"))
    assert db.session.get(School, world.far.id).unit_id == city.id
    assert runner.invoke(args=["add-unit", "乙", "--school", "没有的学校"]).exit_code != 0
    r = runner.invoke(args=["create-unit-admin", "--username", "city", "--name", "市关工委", "--unit", city.name,
                            "--password", "long-enough-1"])
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.username == "city"))
    assert (user.role, user.unit_id, user.school_id) == ("unit_admin", city.id, None)


def login_as_user(user):
    c = Client(current_app)
    assert c.login(user.username).status_code == 302
    return c


def test_the_current_term_is_the_default_period(world, district, login_as):
    html = login_as("unit_officer").get("/district/").get_data(as_text=True)
    assert re.search(r'<option value="t202609" selected', html)


def test_a_unit_name_too_long_is_refused_with_a_message_and_nothing_saved(world, login_as):
    """Found by the fuzzer on PostgreSQL: a name over the column's 100 characters gave a 500."""
    admin = login_as("unit_admin")
    r = admin.post_form(f"/district/units/{world.unit.id}/new", {"name": "湖" * 101}, token_from="/district/units")
    assert r.status_code == 302
    assert 'class="flash flash-error"' in admin.get(r.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.name == "湖" * 101)) is None


def test_an_officer_who_left_is_switched_off_and_can_no_longer_log_in(world, login_as, app):
    """Found in review: no page could deactivate a unit's account."""
    admin = login_as("unit_admin")
    officer_session = login_as("unit_officer")
    officer = world.users["unit_officer"]
    form = {"username": "officer", "display_name": "区关工委 陈老师", "mobile": "", "role": "unit_officer",
            "unit": world.unit.id, "password": ""}
    r = admin.post_form(f"/district/users/{officer.id}/edit", form, token_from="/district/units")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).active is False
    assert officer_session.get("/district/").status_code == 302  # its session ended
    assert Client(app).login("officer").status_code == 200  # and the login is refused
    me = world.users["unit_admin"]
    r = admin.post_form(f"/district/users/{me.id}/edit", {**form, "username": "district", "role": "unit_admin"},
                        token_from="/district/units")
    assert zh("You cannot deactivate your own account.") in r.get_data(as_text=True)
    assert db.session.get(User, me.id).active is True
