"""The school year rolls over (学年升级) from a page that previews it first, and a student transfers out (issue 29,
item 3). Run on SQLite and on PostgreSQL like the rest of the suite."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.core import clock
from portal.extensions import db
from portal.needs.models import Need
from portal.pairs.models import Pair
from portal.pairs.services import create_pair
from portal.people import rollover
from portal.people.models import School, SchoolClass, Student, Term
from tests import factories
from tests.conftest import Client
from tests.helpers import main_text

SUMMER = datetime(2027, 7, 10, 9, 0)


@pytest.fixture
def summer(monkeypatch):
    monkeypatch.setattr(clock, "_wall", lambda: SUMMER)
    return SUMMER.date()


@pytest.fixture
def school_of_two_years(world):
    """World's school teaching grades 3 and 4: 4年级1班 graduates. 赵小红 (4年级1班) has a running pair and is the
    only child of a family with a parent login and a certificate's worth of history; 王小明 (3年级2班) stays."""
    world.school.first_grade, world.school.last_grade, world.school.school_year = 3, 4, 2026
    alumni = factories.family(world.school, "赵家")
    world.stranger.family_id = alumni.id
    db.session.commit()
    factories.user(world.school, "parent", "zhao_parent", guardian_id=alumni.guardians[0].id)
    coord = world.users["coordinator"]
    category = factories.category(world.school)
    need = factories.need(world.stranger, category, coord)
    offer = factories.offer(world.volunteer, category, coord)
    pair, _created = create_pair(coord, [need], [offer], date(2027, 3, 1))
    return pair, need, alumni


def test_the_preview_says_what_the_rollover_does_and_changes_nothing(world, login_as, school_of_two_years, summer):
    pair, _need, _alumni = school_of_two_years
    page = main_text(login_as("coordinator").get("/people/rollover").get_data(as_text=True))

    assert "进入2027–2028学年" in page
    assert "三年级2班 → 四年级2班" in page and "四年级1班 → 四年级1班（2027届）" in page
    assert "2027–2028学年第一学期" in page and "2027–2028学年第二学期" in page
    assert "赵小红 — 张建国" in page
    db.session.expire_all()
    assert world.own_class.grade == 3 and world.stranger.active and pair.status != "ended"


def test_the_rollover_moves_every_class_up_and_graduates_the_last_grade_whole(world, login_as, school_of_two_years,
                                                                              summer):
    pair, need, _alumni = school_of_two_years
    students = db.session.scalar(select(func.count()).select_from(Student))
    c = login_as("coordinator")

    r = c.post_form("/people/rollover", token_from="/people/rollover")

    assert r.status_code == 302
    db.session.expire_all()
    assert (world.own_class.grade, world.own_class.name, world.own_class.active) == (4, "2班", True)
    assert (world.other_class.grade, world.other_class.name, world.other_class.active) == (4, "1班（2027届）", False)
    assert (world.stranger.status, world.stranger.active, world.stranger.left_on) == ("graduated", False, summer)
    assert (world.pupil.status, world.pupil.active) == ("enrolled", True)
    assert (pair.status, pair.end_reason, need.status) == ("ended", "graduated", "closed")
    assert db.session.scalar(select(func.count()).select_from(Student)) == students  # nothing deleted
    assert {t.name for t in db.session.scalars(select(Term))} >= {"2027–2028学年第一学期", "2027–2028学年第二学期"}
    assert db.session.get(School, world.school.id).school_year == 2027
    assert "毕业" in main_text(c.get(f"/pairs/{pair.id}").get_data(as_text=True))

    again = c.post_form("/people/rollover", token_from="/people/rollover")
    assert "已经在2027–2028学年" in main_text(again.get_data(as_text=True))
    assert db.session.get(SchoolClass, world.own_class.id).grade == 4


def test_a_failure_halfway_leaves_the_school_as_it_was(world, school_of_two_years, summer, monkeypatch):
    pair, _need, _alumni = school_of_two_years

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rollover.pairs, "ending", broken)
    with pytest.raises(RuntimeError):
        rollover.apply(world.users["coordinator"])
    db.session.expire_all()
    assert world.own_class.grade == 3 and world.other_class.name == "1班" and world.stranger.active
    assert db.session.get(School, world.school.id).school_year == 2026 and pair.status != "ended"


def test_a_family_with_no_child_left_keeps_its_login_and_certificates_but_not_the_parent_school(
        app, world, login_as, school_of_two_years, summer):
    rollover.apply(world.users["coordinator"])
    zhao = Client(app)
    assert zhao.login("zhao_parent").status_code == 302

    family = main_text(zhao.get("/my/family").get_data(as_text=True))
    assert "赵小红 · 已毕业" in family
    assert zhao.get("/parent-school/").status_code == 403
    assert zhao.get("/help/new").status_code == 403
    assert "家长学校" not in main_text(zhao.get("/").get_data(as_text=True).split("<main")[0])
    assert login_as("parent").get("/parent-school/").status_code == 200  # 王小明 is still in the school


def test_a_rollover_before_june_is_refused(world, login_as, monkeypatch):
    world.school.school_year = 2026
    db.session.commit()
    monkeypatch.setattr(clock, "_wall", lambda: datetime(2027, 3, 1, 9, 0))
    page = main_text(login_as("coordinator").get("/people/rollover").get_data(as_text=True))
    assert "已经在2026–2027学年" in page and "升级到" not in page


def test_a_student_who_transfers_out_leaves_the_lists_and_their_pair_ends(world, login_as, school_of_two_years):
    pair, need, _alumni = school_of_two_years
    c = login_as("coordinator")
    r = c.post_form(f"/people/students/{world.stranger.id}/transfer", token_from=f"/people/students/{world.stranger.id}")
    page = main_text(c.get(r.headers["Location"]).get_data(as_text=True))

    assert "已转学离校" in page and "已转出" in page
    db.session.expire_all()
    assert (world.stranger.status, world.stranger.active) == ("transferred", False)
    assert (pair.status, pair.end_reason) == ("ended", "transferred")
    assert db.session.get(Need, need.id).status == "closed"
    assert db.session.get(Pair, pair.id).ended_on is not None


def test_a_family_leaving_gives_up_its_seats_and_a_graduated_class_its_teacher(world, school_of_two_years, summer):
    """Found by review: the seats of a family with no child left stayed taken, and its parent could no longer
    cancel them; the teacher of a graduated class still saw its children."""
    from portal.registrations import services as seats

    coord = world.users["coordinator"]
    teacher = factories.user(world.school, "teacher", "teacher4", classes=[world.other_class])
    session = factories.course_session(factories.course(world.school, coord, grades=(3, 4)), capacity=1)
    taken, _new = seats.register(session, world.stranger, coord, SUMMER)
    waiting, _new = seats.register(session, world.pupil, coord, SUMMER)
    assert (taken.status, waiting.status) == ("confirmed", "waitlisted")

    rollover.apply(coord)
    db.session.expire_all()

    assert taken.status == "cancelled" and waiting.status == "confirmed"
    assert teacher.classes == []


def test_a_transfer_that_fails_halfway_changes_nothing(world, school_of_two_years, monkeypatch):
    pair, _need, _alumni = school_of_two_years

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rollover.pairs, "ending", broken)
    with pytest.raises(RuntimeError):
        rollover.transfer_out(world.users["coordinator"], world.stranger)
    db.session.expire_all()
    assert world.stranger.active and world.stranger.status == "enrolled" and pair.status != "ended"
