"""Ids and numbers a user can type into a URL or a form: odd ones get a normal answer, never a 500."""
import pytest

from portal.core.listing import to_id
from portal.extensions import db
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.people.models import Student, Volunteer
from tests import factories

HUGE = "99999999999999999999"


@pytest.mark.parametrize("value, expected", [
    ("12", 12), (" 7 ", 7), ("0", None), ("-3", None), ("", None), (None, None), ("abc", None),
    ("²", None), ("١٢", None), (HUGE, None), (str(2**31), None), (str(2**31 - 1), 2**31 - 1),
])
def test_to_id_accepts_only_ids_a_column_can_hold(value, expected):
    assert to_id(value) == expected


@pytest.mark.parametrize("url", [
    f"/needs/?category_id={HUGE}", f"/needs/?term_id={HUGE}", f"/needs/?slot={HUGE}", f"/needs/?place=c{HUGE}",
    "/needs/?place=c%C2%B2", "/needs/?place=g%C2%B2", f"/needs/?page={HUGE}", "/needs/students?place=c%C2%B2",
    f"/needs/students?place=c{HUGE}", f"/needs/new?student_id={HUGE}", f"/needs/new?help_id={HUGE}",
    f"/offers/?category_id={HUGE}", f"/offers/?slot={HUGE}", f"/offers/new?volunteer_id={HUGE}",
    f"/help/?page={HUGE}", f"/people/students?class_id={HUGE}", f"/people/students?page={HUGE}",
    f"/events/?q={HUGE}", "/events/?q=%00", f"/events/?which={HUGE}&kind={HUGE}", f"/events/new?day={HUGE}",
    f"/calendar/?period={HUGE}", f"/calendar/?month={HUGE}", "/calendar/?month=%C2%B2", "/calendar/?period=%C2%B2-1",
    f"/calendar/?period={2**31}-1", f"/calendar/print?period={HUGE}&month=-1", f"/calendar/export.xlsx?month={HUGE}",
    f"/reports/?period={HUGE}", f"/reports/?period=t{HUGE}", "/reports/?period=t%C2%B2", f"/reports/?period=y{2**31}",
    f"/reports/print?period=t{2**31}", f"/reports/coverage?period=t{HUGE}", f"/reports/needs.xlsx?period=t{HUGE}",
    f"/reports/coverage.xlsx?period=y{HUGE}", f"/reports/annual.xlsx?year={HUGE}", "/reports/annual.xlsx?year=%C2%B2",
])
def test_huge_or_strange_numbers_in_urls(login_as, url):
    c = login_as("coordinator")
    r = c.htmx(url) if url.startswith("/needs/students") else c.get(url)  # a fragment of the need form
    assert r.status_code == 200, url


@pytest.mark.parametrize("url", [
    f"/needs/{HUGE}", f"/needs/{2**31}/card", f"/offers/{HUGE}/edit", f"/help/{HUGE}", f"/pairs/{HUGE}",
    f"/matching/needs/{HUGE}", f"/matching/plans/{2**31}", f"/people/student/{HUGE}",
    f"/events/{HUGE}", f"/events/{2**31}/edit", f"/events/{HUGE}/report", f"/events/photos/{HUGE}",
    f"/events/partners/{HUGE}", f"/calendar/import/{HUGE}", f"/calendar/feed/{HUGE}.ics",
    f"/announcements/{HUGE}", f"/announcements/{2**31}/receipts",
])
def test_huge_ids_in_the_path_are_not_found(login_as, url):
    """PostgreSQL refused such numbers with an error page (500) before."""
    assert login_as("coordinator").get(url).status_code == 404


@pytest.mark.parametrize("url, field", [
    ("/needs/new", "category_id"), ("/needs/new", "term_id"), ("/needs/new", "student_id"),
    ("/offers/new", "volunteer_id"), ("/offers/new", "category_id"),
])
def test_huge_numbers_in_forms_get_a_message(login_as, world, url, field):
    factories.category(world.school)
    c = login_as("coordinator")
    page = c.get(url).get_data(as_text=True)
    token = page.split('name="submit_token" type="hidden" value="')[1].split('"')[0]
    data = {"submit_token": token, "category_id": "0", "detail": "数学辅导", "urgency": "1", "capacity": "1",
            "student_id": str(world.pupil.id), "place": f"c{world.own_class.id}", "beneficiary": "student",
            "volunteer_id": str(world.volunteer.id), field: HUGE}
    r = c.post_form(url, data, token_from=url)
    assert r.status_code == 200 and 'class="field-error"' in r.get_data(as_text=True)
    assert db.session.query(Need).count() == 0 and db.session.query(Offer).count() == 0


@pytest.mark.parametrize("url", [
    f"/events/{HUGE}/register", f"/events/{HUGE}/sign-up", f"/events/{2**31}/status", f"/events/{HUGE}/photos",
    f"/events/registrations/{HUGE}/cancel", f"/events/helpers/{HUGE}/withdraw", f"/calendar/import/{HUGE}/confirm",
    f"/announcements/{HUGE}/confirm", f"/announcements/{2**31}/remind",
])
def test_huge_ids_in_posted_paths_are_not_found(login_as, url):
    role = "parent" if "register" in url else "volunteer" if "sign-up" in url else "coordinator"
    assert login_as(role).post_form(url, {"role": "helper"}, token_from="/settings").status_code == 404


@pytest.mark.parametrize("field", ["lead_ids", "lead_volunteer_ids", "class_ids", "grades", "capacity",
                                   "helpers_needed", "speakers_needed"])
def test_huge_numbers_in_the_event_form_get_a_message(login_as, world, field):
    from portal.events.models import Event

    c = login_as("coordinator")
    data = {"title": "红色故事会", "kind": "红色故事会", "precision": "time", "day": "2030-03-05", "start": "14:00",
            "capacity": "0", "helpers_needed": "0", "speakers_needed": "0", field: HUGE}
    r = c.post_form("/events/new", data, token_from="/events/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'id="{field}-error"' in html
    assert db.session.query(Event).count() == 0


def test_huge_student_in_a_help_request(login_as, world):
    factories.category(world.school)
    c = login_as("parent")
    page = c.get("/help/new").get_data(as_text=True)
    token = page.split('name="submit_token" type="hidden" value="')[1].split('"')[0]
    r = c.post_form("/help/new", {"submit_token": token, "student_id": HUGE, "category_id": "1", "detail": "x",
                                  "urgency": "1", "contact_method": "微信"}, token_from="/help/new")
    assert r.status_code == 200 and 'class="field-error"' in r.get_data(as_text=True)


def test_deactivating_a_volunteer_pauses_their_offers_and_the_board_follows(login_as, world):
    cat = factories.category(world.school)
    factories.offer(world.volunteer, cat, world.users["coordinator"], capacity=3)
    c = login_as("coordinator")
    assert "3" in c.get("/needs/board").get_data(as_text=True)
    c.post_form(f"/people/volunteer/{world.volunteer.id}/active", {"active": "0"}, token_from="/people/volunteers")
    assert db.session.get(Volunteer, world.volunteer.id).active is False
    db.session.expire_all()
    assert db.session.query(Offer).one().status == "paused"
    board = c.get("/needs/board").get_data(as_text=True)
    assert 'id="nav-count-offers">0<' in board


def test_deactivating_a_student_closes_their_waiting_needs_with_a_reason(login_as, world):
    cat = factories.category(world.school)
    factories.need(world.pupil, cat, world.users["teacher"])
    factories.need(world.pupil, cat, world.users["teacher"], detail="已对接的", status="matched")
    c = login_as("coordinator")
    c.post_form(f"/people/student/{world.pupil.id}/active", {"active": "0"}, token_from="/people/students")
    assert db.session.get(Student, world.pupil.id).active is False
    db.session.expire_all()
    states = sorted((n.status, n.close_reason) for n in db.session.query(Need))
    assert states == [("closed", "学生档案已停用"), ("matched", "")]
