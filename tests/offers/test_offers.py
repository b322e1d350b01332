"""资源菜单: a volunteer's own offers, offers filled in on a volunteer's behalf, validation, htmx, filters."""
import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.menus.slots import slot_bit
from portal.offers.models import Offer
from tests import factories
from tests.factories import zh
from tests.helpers import audits, count, field_error, menu_categories, post_at_once

WED_EVENING = slot_bit(2, 2)
SAT_MORNING = slot_bit(5, 0)
IN_PERSON, BY_PHONE, ONLINE = 1, 2, 4


@pytest.fixture
def cats(world):
    return menu_categories(world)


@pytest.fixture
def other_volunteer(world):
    return factories.volunteer(world.school, "李建华", kind="老专家")


def offer_form(cats, **over):
    data = {"submit_token": secrets.token_hex(16), "category_id": str(cats.study.id), "skills": "数学, 书法",
            "detail": "退休数学老师，周末有空", "slots": [str(WED_EVENING), str(SAT_MORNING)],
            "modes": [str(IN_PERSON)], "capacity": "3", "available": "y"}
    data.update(over)
    return data


def offer_ids(html) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="menu-card[^"]*" id="offer-(\d+)"', html)]


# --- a volunteer's own offers ---

def test_volunteer_adds_an_own_offer(login_as, world, cats, other_volunteer):
    c = login_as("volunteer")
    form = c.get("/offers/new").get_data(as_text=True)
    assert 'name="volunteer_id"' not in form and "李建华" not in form and 'class="slot-grid"' in form
    # A volunteer_id slipped into the form is ignored: a volunteer offers only for themself.
    r = c.post_form("/offers/new", offer_form(cats, volunteer_id=str(other_volunteer.id)), token_from="/offers/new")
    assert r.status_code == 302 and r.headers["Location"] == "/offers/"
    offer = db.session.scalar(select(Offer))
    assert offer.volunteer_id == world.volunteer.id and offer.on_behalf is False
    assert offer.entered_by_id == world.users["volunteer"].id
    assert (offer.category_id, offer.capacity, offer.used, offer.status) == (cats.study.id, 3, 0, "active")
    assert offer.slots == WED_EVENING | SAT_MORNING and offer.modes == IN_PERSON
    assert [a.object_id for a in audits("offer.create")] == [offer.id] and audits("offer.create.on_behalf") == []
    page = c.get("/offers/").get_data(as_text=True)
    assert zh("Thank you! Your offer is on the resource menu.") in page
    assert offer_ids(page) == [offer.id]
    assert zh("%(used)d of %(capacity)d taken", used=0, capacity=3) in page
    assert "on-behalf" not in page


def test_volunteer_sees_and_edits_only_own_offers(login_as, world, cats, other_volunteer):
    coord = world.users["coordinator"]
    mine = factories.offer(world.volunteer, cats.study, coord)
    theirs = factories.offer(other_volunteer, cats.mind, coord, skills="心理咨询")
    c = login_as("volunteer")
    html = c.get("/offers/").get_data(as_text=True)
    assert offer_ids(html) == [mine.id] and "李建华" not in html and "心理咨询" not in html
    assert 'class="filters"' not in html  # the volunteer's page is short: no filter form
    assert offer_ids(c.htmx(f"/offers/?category_id={cats.mind.id}").get_data(as_text=True)) == []
    for url in (f"/offers/{theirs.id}/card", f"/offers/{theirs.id}/edit"):
        assert c.get(url).status_code == 404, url
        assert c.htmx(url).status_code == 404, url
    r = c.post_form(f"/offers/{theirs.id}/status", {"status": "paused"}, token_from="/offers/")
    assert r.status_code == 404
    r = c.post_form(f"/offers/{theirs.id}/edit", offer_form(cats, capacity="1"), token_from="/offers/")
    assert r.status_code == 404
    db.session.refresh(theirs)
    assert (theirs.status, theirs.capacity) == ("active", 1)
    assert c.htmx(f"/offers/{mine.id}/card").status_code == 200


def test_volunteer_account_without_a_volunteer_record(app, world, cats):
    factories.user(world.school, "volunteer", "unlinked")
    from tests.conftest import Client

    c = Client(app)
    c.login("unlinked")
    r = c.get("/offers/new")
    assert r.status_code == 302
    html = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Your account is not linked to a volunteer record yet. Ask the committee office.") in html
    assert offer_ids(html) == []


@pytest.mark.parametrize("role", ["teacher", "parent"])
def test_offers_are_not_for_teachers_or_parents(login_as, role):
    c = login_as(role)
    assert c.get("/offers/").status_code == 403 and c.get("/offers/new").status_code == 403


# --- on a volunteer's behalf ---

def test_coordinator_fills_in_an_offer_on_a_volunteers_behalf(login_as, world, cats, other_volunteer):
    c = login_as("coordinator")
    form = c.get(f"/offers/new?volunteer_id={other_volunteer.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{other_volunteer.id}">李建华', form)
    assert zh("You are filling this in on the volunteer’s behalf; it is marked so and recorded.") in form
    r = c.post_form("/offers/new", offer_form(cats, volunteer_id=str(other_volunteer.id)), token_from="/offers/new")
    assert r.status_code == 302
    offer = db.session.scalar(select(Offer))
    assert offer.volunteer_id == other_volunteer.id and offer.on_behalf is True
    assert offer.entered_by_id == world.users["coordinator"].id
    entry = audits("offer.create.on_behalf")
    assert [(a.object_id, a.user_id, a.detail) for a in entry] == [
        (offer.id, world.users["coordinator"].id, f"volunteer={other_volunteer.id}")]
    html = c.get("/offers/").get_data(as_text=True)
    marked = zh("Filled in for the volunteer by %(name)s", name=world.users["coordinator"].display_name)
    assert marked in html and 'class="on-behalf"' in html


@pytest.mark.parametrize(("case", "make"), [
    ("none", lambda w: "0"),
    ("unknown", lambda w: "999999"),
    ("another school's", lambda w: str(factories.volunteer(w.far, "远方志愿者").id)),
    ("inactive", lambda w: str(_inactive_volunteer(w).id)),
])
def test_on_behalf_needs_an_active_volunteer_of_the_school(login_as, world, cats, case, make):
    r = login_as("coordinator").post_form("/offers/new", offer_form(cats, volunteer_id=make(world)),
                                          token_from="/offers/new")
    assert r.status_code == 200
    assert zh("Please choose a volunteer from the list.") in field_error(r.get_data(as_text=True), "volunteer_id")
    assert count(Offer) == 0


def _inactive_volunteer(world):
    v = factories.volunteer(world.school, "退出的志愿者")
    v.active = False
    db.session.commit()
    return v


# --- bad input ---

BAD_INPUT = [
    ("capacity 0", {"capacity": "0"}, "capacity", "不是有效的选择"),
    ("capacity 21", {"capacity": "21"}, "capacity", "不是有效的选择"),
    ("capacity -1", {"capacity": "-1"}, "capacity", "不是有效的选择"),
    ("capacity text", {"capacity": "很多"}, "capacity", None),
    ("no category", {"category_id": "0"}, "category_id", lambda: zh("Please choose a kind of help.")),
    ("unknown category", {"category_id": "999999"}, "category_id",
     lambda: zh("Please choose a category from the list.")),
    ("detail too long", {"detail": "长" * 1001}, "detail", "字段长度不能超过 1000 个字符"),
    ("NUL in detail", {"detail": "周末\x00有空"}, "detail", lambda: zh("Contains characters that are not allowed.")),
    ("skills too long", {"skills": "数" * 201}, "skills", "字段长度不能超过 200 个字符"),
    ("NUL in skills", {"skills": "\x00"}, "skills", lambda: zh("Contains characters that are not allowed.")),
]


@pytest.mark.parametrize(("case", "over", "field", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_offer_input_gets_a_chinese_message_beside_the_field(login_as, cats, case, over, field, message):
    r = login_as("volunteer").post_form("/offers/new", offer_form(cats, **over), token_from="/offers/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    error = field_error(html, field)
    assert error, f"no message beside {field}"
    if message:
        assert (message() if callable(message) else message) in error
    assert count(Offer) == 0 and audits("offer.create") == []


def test_the_forms_own_messages_follow_each_readers_language(login_as, world, cats):
    """WTForms' built-in messages come from one catalog per language kept by the worker: a reader who switched to
    English gets English, the next reader Chinese again."""
    def capacity_error():
        r = login_as("volunteer").post_form("/offers/new", offer_form(cats, capacity="0"), token_from="/offers/new")
        return field_error(r.get_data(as_text=True), "capacity")

    assert "不是有效的选择" in capacity_error()
    world.users["volunteer"].locale = "en"
    db.session.commit()
    assert "Not a valid choice" in capacity_error()
    world.users["volunteer"].locale = "zh_CN"
    db.session.commit()
    assert "不是有效的选择" in capacity_error()


def test_another_schools_or_an_inactive_category_is_refused(login_as, cats):
    c = login_as("volunteer")
    for cat in (cats.far, cats.old):
        r = c.post_form("/offers/new", offer_form(cats, category_id=str(cat.id)), token_from="/offers/new")
        assert zh("Please choose a category from the list.") in field_error(r.get_data(as_text=True), "category_id")
    assert count(Offer) == 0


def test_a_bad_submit_token_is_refused_with_a_message_and_a_fresh_form(login_as, cats):
    c = login_as("volunteer")
    r = c.post_form("/offers/new", offer_form(cats, submit_token="x" * 32), token_from="/offers/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and zh("The form is out of date. Please reload it.") in html and count(Offer) == 0
    fresh = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    assert c.post_form("/offers/new", offer_form(cats, submit_token=fresh), token_from="/offers/new").status_code == 302
    assert count(Offer) == 1


def test_double_submit_saves_one_offer(login_as, cats):
    c = login_as("volunteer")
    data = offer_form(cats)
    assert c.post_form("/offers/new", data, token_from="/offers/new").status_code == 302
    r = c.post_form("/offers/new", data, token_from="/offers/new")
    assert r.status_code == 302 and count(Offer) == 1
    assert zh("This offer was already saved; it was not saved twice.") in c.get(r.headers["Location"]).get_data(
        as_text=True)


def test_two_identical_submits_at_the_same_moment_make_one_offer(login_as, cats):
    tabs = [login_as("volunteer") for _ in range(2)]
    data = offer_form(cats)
    responses = post_at_once(tabs, "/offers/new", [{**data, "csrf_token": t.csrf("/offers/new")} for t in tabs])
    assert [r.status_code for r in responses] == [302, 302]
    assert count(Offer) == 1 and len(audits("offer.create")) == 1


def test_unchecked_available_saves_a_paused_offer(login_as, cats):
    data = offer_form(cats)
    data.pop("available")
    login_as("volunteer").post_form("/offers/new", data, token_from="/offers/new")
    assert db.session.scalar(select(Offer.status)) == "paused"


# --- capacity, inline edit, status ---

def test_card_shows_capacity_used(login_as, world, cats):
    offer = factories.offer(world.volunteer, cats.study, world.users["coordinator"], capacity=3, used=2)
    html = login_as("volunteer").htmx(f"/offers/{offer.id}/card").get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith(f'<li class="menu-card" id="offer-{offer.id}">')
    assert zh("%(used)d of %(capacity)d taken", used=2, capacity=3) in html


def edit_data(c, offer, cats, **over):
    p = f"e{offer.id}-"
    data = {p + "csrf_token": c.csrf("/offers/"), p + "category_id": str(cats.mind.id), p + "skills": "心理咨询",
            p + "detail": "", p + "slots": [str(SAT_MORNING)], p + "modes": [str(ONLINE)], p + "capacity": "4",
            p + "available": "y"}
    data.update({p + k: v for k, v in over.items()})
    return data


def test_inline_edit_returns_the_card_and_the_navigation_count(login_as, world, cats, other_volunteer):
    coord = world.users["coordinator"]
    offer = factories.offer(world.volunteer, cats.study, coord, capacity=2, used=1)
    factories.offer(world.volunteer, cats.study, coord, status="paused")
    factories.offer(other_volunteer, cats.study, coord)  # not the volunteer's
    c = login_as("volunteer")
    r = c.htmx(f"/offers/{offer.id}/edit")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and f'name="e{offer.id}-capacity"' in html
    r = c.http.post(f"/offers/{offer.id}/edit", data=edit_data(c, offer, cats), headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<li class="menu-card" id="offer-{offer.id}">') and "心理咨询" in html
    assert '<span class="nav-count" id="nav-count-offers" hx-swap-oob="true">1</span>' in html
    db.session.refresh(offer)
    assert (offer.category_id, offer.capacity, offer.slots, offer.modes, offer.on_behalf) == (
        cats.mind.id, 4, SAT_MORNING, ONLINE, False)
    assert [a.object_id for a in audits("offer.update")] == [offer.id]


def test_capacity_cannot_go_below_the_places_taken(login_as, world, cats):
    offer = factories.offer(world.volunteer, cats.study, world.users["coordinator"], capacity=3, used=2)
    c = login_as("volunteer")
    r = c.http.post(f"/offers/{offer.id}/edit", data=edit_data(c, offer, cats, capacity="1"),
                    headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert zh("%(used)d people are already paired with this offer; the capacity cannot be lower.", used=2) in \
        field_error(html, f"e{offer.id}-capacity")
    db.session.refresh(offer)
    assert offer.capacity == 3 and offer.category_id == cats.study.id
    r = c.http.post(f"/offers/{offer.id}/edit", data=edit_data(c, offer, cats, capacity="2"),
                    headers={"HX-Request": "true"})
    db.session.refresh(offer)
    assert offer.capacity == 2


def test_edit_without_htmx_and_on_behalf_edit_by_staff(login_as, world, cats):
    offer = factories.offer(world.volunteer, cats.study, world.users["volunteer"])
    c = login_as("coordinator")
    html = c.get(f"/offers/{offer.id}/edit").get_data(as_text=True)
    assert "<html" in html and re.search(rf'<option selected value="{world.volunteer.id}">', html)
    data = {"category_id": str(cats.study.id), "skills": "书法", "capacity": "5", "available": "y",
            "volunteer_id": str(world.volunteer.id)}
    r = c.post_form(f"/offers/{offer.id}/edit", data, token_from=f"/offers/{offer.id}/edit")
    assert r.status_code == 302
    db.session.refresh(offer)
    assert offer.capacity == 5 and offer.on_behalf is True and offer.entered_by_id == world.users["coordinator"].id
    assert [a.object_id for a in audits("offer.update.on_behalf")] == [offer.id]


def test_pause_and_resume_inline(login_as, world, cats):
    offer = factories.offer(world.volunteer, cats.study, world.users["coordinator"])
    c = login_as("volunteer")

    def post(status):
        return c.http.post(f"/offers/{offer.id}/status", data={"status": status, "csrf_token": c.csrf("/offers/")},
                           headers={"HX-Request": "true"}).get_data(as_text=True)

    html = post("paused")
    assert "<html" not in html and f'<li class="menu-card paused" id="offer-{offer.id}">' in html
    assert '<span class="nav-count zero" id="nav-count-offers" hx-swap-oob="true">0</span>' in html
    db.session.refresh(offer)
    assert offer.status == "paused"
    html = post("active")
    assert '<span class="nav-count" id="nav-count-offers" hx-swap-oob="true">1</span>' in html
    post("closed")  # not a status of offers
    db.session.refresh(offer)
    assert offer.status == "active"
    assert [a.detail for a in audits("offer.status")] == ["active→paused", "paused→active"]


# --- the staff list ---

@pytest.fixture
def menu(world, cats, other_volunteer):
    coord = world.users["coordinator"]
    o = SimpleNamespace()
    o.a = factories.offer(world.volunteer, cats.study, coord, skills="奥数", slots=WED_EVENING, modes=IN_PERSON,
                          capacity=2, used=2)
    o.b = factories.offer(other_volunteer, cats.mind, coord, skills="心理咨询", slots=0, modes=0, capacity=5, used=1)
    o.c = factories.offer(other_volunteer, cats.study, coord, skills="书法", slots=SAT_MORNING, modes=ONLINE,
                          capacity=3, status="paused")
    return o


OFFER_FILTERS = [
    ("", "a b c"),
    ("?status=active", "a b"),
    ("?status=paused", "c"),
    ("?category_id={study}", "a c"),
    ("?slot={wed}", "a b"),          # b has no slots: any time
    ("?slot={sat}", "b c"),
    ("?mode={online}", "b c"),       # b has no modes: any way
    ("?mode={in_person}", "a b"),
    ("?free_only=1", "b c"),
    ("?q=李建华", "b c"),
    ("?q=ljh", "b c"),
    ("?q=奥数", "a"),
    ("?q=老专家", "b c"),
    ("?status=x&category_id=x&slot=x", "a b c"),
]


@pytest.mark.parametrize(("query", "expected"), OFFER_FILTERS, ids=[q or "all" for q, _ in OFFER_FILTERS])
def test_each_offer_filter_narrows_the_list(login_as, cats, menu, query, expected):
    url = "/offers/" + query.format(study=cats.study.id, wed=WED_EVENING, sat=SAT_MORNING, online=ONLINE,
                                    in_person=IN_PERSON)
    r = login_as("coordinator").htmx(url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert set(offer_ids(html)) == {getattr(menu, x).id for x in expected.split()}, url


def test_offer_sorting(login_as, menu):
    c = login_as("coordinator")
    assert offer_ids(c.htmx("/offers/").get_data(as_text=True)) == [menu.c.id, menu.b.id, menu.a.id]
    assert offer_ids(c.htmx("/offers/?sort=free").get_data(as_text=True)) == [menu.b.id, menu.c.id, menu.a.id]
    assert offer_ids(c.htmx("/offers/?sort=name").get_data(as_text=True)) == [menu.b.id, menu.c.id, menu.a.id]


def test_offer_list_full_page_and_pagination(app, login_as, world, cats):
    for _ in range(app.config["PAGE_SIZE"] + 1):
        factories.offer(world.volunteer, cats.study, world.users["coordinator"])
    c = login_as("coordinator")
    full = c.get("/offers/").get_data(as_text=True)
    assert "<html" in full and 'class="filters"' in full and len(offer_ids(full)) == app.config["PAGE_SIZE"]
    assert "第 1 页，共 2 页" in full
    assert len(offer_ids(c.htmx("/offers/?page=2").get_data(as_text=True))) == 1
    assert re.search(r'<span class="nav-count" id="nav-count-offers">26</span>', full)


def test_messages_of_the_offers_menu_are_chinese():
    ids = ["Please choose a volunteer from the list.", "Please choose a kind of help.", "Filled in for the volunteer by %(name)s",
           "%(used)d of %(capacity)d taken",
           "%(used)d people are already paired with this offer; the capacity cannot be lower.",
           "This offer was already saved; it was not saved twice.", "Thank you! Your offer is on the resource menu."]
    assert [m for m in ids if not re.search(r"[\u4e00-\u9fff]", zh(m))] == []
