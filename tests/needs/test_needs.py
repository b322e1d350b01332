"""需求菜单: raising, validation, double submits, status changes, htmx partials, filters, sorting, paging, board."""
import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.menus.slots import slot_bit
from portal.needs.models import Need
from tests import factories
from tests.factories import zh
from tests.helpers import audits, count, field_error, menu_categories, post_at_once

WED_EVENING = slot_bit(2, 2)
MON_MORNING = slot_bit(0, 0)
IN_PERSON, BY_PHONE = 1, 2


@pytest.fixture
def cats(world):
    return menu_categories(world)


@pytest.fixture
def term(world):
    return factories.term(world.school)


def need_form(world, cats, term, **over):
    data = {"submit_token": secrets.token_hex(16), "place": f"c{world.own_class.id}", "student_id": str(world.pupil.id),
            "category_id": str(cats.study.id), "detail": "数学跟不上，需要每周辅导一次", "skills": "数学, 奥数",
            "urgency": "2", "slots": [str(WED_EVENING), str(MON_MORNING)], "modes": [str(IN_PERSON), str(BY_PHONE)],
            "term_id": str(term.id)}
    data.update(over)
    return data


def need_ids(html) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="menu-card[^"]*" id="need-(\d+)"', html)]


# --- raising a need ---

def test_teacher_raises_a_need_for_a_student_of_own_class(login_as, world, cats, term):
    c = login_as("teacher")
    form = c.get("/needs/new").get_data(as_text=True)
    assert "王小明" in form and "赵小红" not in form  # only own class's students to choose from
    r = c.post_form("/needs/new", need_form(world, cats, term), token_from="/needs/new")
    assert r.status_code == 302
    need = db.session.scalar(select(Need))
    assert r.headers["Location"] == f"/needs/{need.id}"
    assert (need.student_id, need.young_teacher_id, need.category_id, need.urgency, need.status) == (
        world.pupil.id, None, cats.study.id, 2, "open")
    assert need.slots == WED_EVENING | MON_MORNING and need.modes == IN_PERSON | BY_PHONE
    assert need.skills == "数学, 奥数" and need.term_id == term.id
    assert need.created_by_id == world.users["teacher"].id and need.school_id == world.school.id
    assert [a.object_id for a in audits("need.create")] == [need.id]
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Need saved. It is now on the needs menu.") in page and "周三晚上" in page


def test_coordinator_raises_a_need_for_a_young_teacher(login_as, world, cats, term):
    young = factories.young_teacher(world.school, "李青")
    c = login_as("coordinator")
    assert "李青" in c.get("/needs/new").get_data(as_text=True)
    data = need_form(world, cats, term, beneficiary="young_teacher", young_teacher_id=str(young.id), student_id="0",
                     place="", category_id=str(cats.mind.id))
    r = c.post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 302
    need = db.session.scalar(select(Need))
    assert need.young_teacher_id == young.id and need.student_id is None
    # A teacher neither sees this need nor can raise one for a young teacher.
    t = login_as("teacher")
    assert t.get(f"/needs/{need.id}").status_code == 404
    assert "李青" not in t.get("/needs/new").get_data(as_text=True)


def test_teacher_cannot_raise_a_need_for_a_young_teacher(login_as, world, cats, term):
    young = factories.young_teacher(world.school)
    data = need_form(world, cats, term, beneficiary="young_teacher", young_teacher_id=str(young.id), student_id="0")
    r = login_as("teacher").post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), "student_id") == zh("Please choose a student.")
    assert count(Need) == 0


def test_new_form_is_prefilled_with_the_student_only_when_visible(login_as, world, cats, term):
    c = login_as("teacher")
    html = c.get(f"/needs/new?student_id={world.pupil.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{world.pupil.id}">王小明', html)
    html = c.get(f"/needs/new?student_id={world.stranger.id}").get_data(as_text=True)
    assert "赵小红" not in html
    html = login_as("coordinator").get(f"/needs/new?student_id={world.stranger.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{world.stranger.id}">赵小红', html)


def test_student_options_partial_lists_one_class(login_as, world):
    c = login_as("teacher")
    r = c.htmx(f"/needs/students?place=c{world.own_class.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and html.lstrip().startswith("<option")
    assert "王小明" in html and "赵小红" not in html
    # Another class is not the teacher's to list.
    html = c.htmx(f"/needs/students?place=c{world.other_class.id}").get_data(as_text=True)
    assert "赵小红" not in html and html.count("<option") == 1
    # The inline edit form names its select with a prefix and says so.
    html = c.htmx(f"/needs/students?field=e5-place&e5-place=c{world.own_class.id}").get_data(as_text=True)
    assert "王小明" in html
    html = login_as("coordinator").htmx(f"/needs/students?place=c{world.other_class.id}").get_data(as_text=True)
    assert "赵小红" in html and "王小明" not in html
    far = login_as("coordinator").htmx(f"/needs/students?place=c{world.far_class.id}").get_data(as_text=True)
    assert "钱小宝" not in far


# --- bad input ---

BAD_INPUT = [
    ("empty detail", {"detail": ""}, "detail", lambda: zh("This field is required.")),
    ("blank detail", {"detail": "   "}, "detail", lambda: zh("This field is required.")),
    ("detail too long", {"detail": "长" * 1001}, "detail", lambda: "字段长度不能超过 1000 个字符"),
    ("NUL in detail", {"detail": "数学\x00辅导"}, "detail", lambda: zh("Contains characters that are not allowed.")),
    ("skills too long", {"skills": "数" * 201}, "skills", lambda: "字段长度不能超过 200 个字符"),
    ("NUL in skills", {"skills": "数学\x00"}, "skills", lambda: zh("Contains characters that are not allowed.")),
    ("no category", {"category_id": "0"}, "category_id", lambda: zh("Please choose a category.")),
    ("no student", {"student_id": "0"}, "student_id", lambda: zh("Please choose a student.")),
    ("unknown category", {"category_id": "999999"}, "category_id",
     lambda: zh("Please choose a category from the list.")),
    ("not a number", {"category_id": "abc"}, "category_id", None),
    ("unknown student", {"student_id": "999999"}, "student_id", lambda: zh("Please choose a student of your classes.")),
    ("unknown term", {"term_id": "999999"}, "term_id", lambda: zh("Please choose a term from the list.")),
]


@pytest.mark.parametrize(("case", "over", "field", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_need_input_gets_a_chinese_message_beside_the_field(login_as, world, cats, term, case, over, field,
                                                                 message):
    c = login_as("teacher")
    r = c.post_form("/needs/new", need_form(world, cats, term, **over), token_from="/needs/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    error = field_error(html, field)
    assert error, f"no message beside {field}"
    if message:
        assert message() in error
    assert f'id="{field}" ' in html and 'aria-invalid="true"' in html
    assert count(Need) == 0 and audits("need.create") == []


def test_references_to_another_school_another_class_or_inactive_rows_are_refused(login_as, world, cats, term):
    far_term = factories.term(world.far)
    cases = [
        ("teacher", {"category_id": str(cats.far.id)}, "category_id", zh("Please choose a category from the list.")),
        ("teacher", {"category_id": str(cats.old.id)}, "category_id", zh("Please choose a category from the list.")),
        ("teacher", {"student_id": str(world.stranger.id), "place": f"c{world.other_class.id}"}, "student_id",
         zh("Please choose a student of your classes.")),
        ("coordinator", {"student_id": str(world.far_pupil.id)}, "student_id",
         zh("Please choose a student of your classes.")),
        ("coordinator", {"term_id": str(far_term.id)}, "term_id", zh("Please choose a term from the list.")),
    ]
    for role, over, field, message in cases:
        r = login_as(role).post_form("/needs/new", need_form(world, cats, term, **over), token_from="/needs/new")
        assert r.status_code == 200, (role, over)
        assert message in field_error(r.get_data(as_text=True), field), (role, over)
    assert count(Need) == 0


def test_urgency_slots_and_modes_outside_the_lists_are_refused(login_as, world, cats, term):
    c = login_as("teacher")
    for over in ({"urgency": "7"}, {"urgency": ""}, {"slots": ["3"]}, {"modes": ["64"]}):
        r = c.post_form("/needs/new", need_form(world, cats, term, **over), token_from="/needs/new")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and 'class="field-error"' in html, over
    assert count(Need) == 0


def test_a_bad_submit_token_is_refused_with_a_message_and_a_fresh_form(login_as, world, cats, term):
    c = login_as("teacher")
    for token in ("bad", "", "g" * 32):
        r = c.post_form("/needs/new", need_form(world, cats, term, submit_token=token), token_from="/needs/new")
        html = r.get_data(as_text=True)
        assert r.status_code == 200
        assert zh("The form is out of date. Please reload it.") in html, token
        # The form carries a valid token again, so sending it once more works.
        fresh = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', html)
        assert fresh, token
    assert count(Need) == 0
    r = c.post_form("/needs/new", need_form(world, cats, term, submit_token=fresh.group(1)), token_from="/needs/new")
    assert r.status_code == 302 and count(Need) == 1


def test_double_submit_saves_one_need_and_lands_on_it(login_as, world, cats, term):
    c = login_as("teacher")
    data = need_form(world, cats, term)
    first = c.post_form("/needs/new", data, token_from="/needs/new")
    second = c.post_form("/needs/new", data, token_from="/needs/new")
    assert count(Need) == 1
    need = db.session.scalar(select(Need))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/needs/{need.id}"
    assert zh("This need was already saved; it was not saved twice.") in c.get(second.headers["Location"]).get_data(
        as_text=True)
    assert len(audits("need.create")) == 1


def test_two_identical_submits_at_the_same_moment_make_one_need(login_as, world, cats, term):
    tabs = [login_as("teacher") for _ in range(2)]
    data = need_form(world, cats, term)
    responses = post_at_once(tabs, "/needs/new", [{**data, "csrf_token": t.csrf("/needs/new")} for t in tabs])
    assert [r.status_code for r in responses] == [302, 302]
    assert count(Need) == 1
    assert {r.headers["Location"] for r in responses} == {f"/needs/{db.session.scalar(select(Need.id))}"}
    assert len(audits("need.create")) == 1


def test_the_same_token_with_other_content_still_makes_no_second_need(login_as, world, cats, term):
    c = login_as("coordinator")
    data = need_form(world, cats, term)
    c.post_form("/needs/new", data, token_from="/needs/new")
    r = c.post_form("/needs/new", {**data, "detail": "改了一个字"}, token_from="/needs/new")
    assert r.status_code == 302 and count(Need) == 1
    assert db.session.scalar(select(Need.detail)) == data["detail"]


# --- status ---

def status_post(c, need, status, reason="", htmx=True):
    data = {f"s{need.id}-status": status, f"s{need.id}-reason": reason,
            "csrf_token": c.csrf(f"/needs/{need.id}")}
    return c.http.post(f"/needs/{need.id}/status", data=data, headers={"HX-Request": "true"} if htmx else {})


def test_closing_needs_a_reason_and_reopening_works(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("teacher")
    r = status_post(c, need, "closed")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert zh("Please give the reason for closing.") in field_error(html, f"s{need.id}-reason")
    db.session.refresh(need)
    assert need.status == "open" and audits("need.status") == []

    r = status_post(c, need, "closed", "家长已自行安排辅导")
    html = r.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "closed" and need.close_reason == "家长已自行安排辅导" and need.closed_at is not None
    assert f'id="need-{need.id}"' in html and "家长已自行安排辅导" in html
    assert re.search(r'<span class="nav-count zero" id="nav-count-needs" hx-swap-oob="true">0</span>', html)

    status_post(c, need, "open")
    db.session.refresh(need)
    assert need.status == "open" and need.close_reason == "" and need.closed_at is None
    assert [a.detail for a in audits("need.status")] == ["open→closed 家长已自行安排辅导", "closed→open"]


def test_an_unknown_status_is_refused_without_being_quoted_back(login_as, world, cats):
    """A 100,000-character status came back quoted in the flash: a 134 KB Set-Cookie, past a browser's 4 KB and
    nginx's proxy buffer (502). Refused in words, quoting nothing."""
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("teacher")
    r = status_post(c, need, "x" * 100_000, htmx=False)
    assert r.status_code == 302
    assert max(len(v) for _k, v in r.headers.items()) < 4096
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Please choose a status from the list.") in page and "xxxx" not in page
    db.session.refresh(need)
    assert need.status == "open"


def test_matched_is_set_by_pairing_not_by_hand(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("coordinator")
    html = c.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f'name="s{need.id}-status"' in html and '<option value="matched"' not in html
    r = status_post(c, need, "matched")
    assert zh("A need that is “%(now)s” cannot become “%(then)s”.", now=zh("Awaiting match"),
              then=zh("Matched")) in r.get_data(as_text=True)
    db.session.refresh(need)
    assert need.status == "open"


def test_a_matched_need_can_be_completed_and_a_done_one_reopened(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"], status="matched")
    c = login_as("teacher")
    assert status_post(c, need, "done").status_code == 200
    db.session.refresh(need)
    assert need.status == "done" and need.closed_at is not None
    status_post(c, need, "closed", "x")  # done → closed is not a move
    db.session.refresh(need)
    assert need.status == "done"
    status_post(c, need, "open")
    db.session.refresh(need)
    assert need.status == "open"


def test_status_without_htmx_redirects_with_a_message(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("teacher")
    r = status_post(c, need, "closed", htmx=False)
    assert r.status_code == 302
    assert zh("Please give the reason for closing.") in c.get(r.headers["Location"]).get_data(as_text=True)
    r = status_post(c, need, "closed", "重复登记", htmx=False)
    assert r.status_code == 302
    db.session.refresh(need)
    assert need.status == "closed"


def test_a_too_long_or_nul_reason_is_refused(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("teacher")
    for reason in ("长" * 201, "重复\x00"):
        html = status_post(c, need, "closed", reason).get_data(as_text=True)
        assert field_error(html, f"s{need.id}-reason"), reason
        db.session.refresh(need)
        assert need.status == "open"


# --- inline edit ---

def test_inline_edit_returns_the_card_and_the_navigation_count(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"], detail="旧的描述")
    factories.need(world.pupil, cats.mind, world.users["teacher"])
    factories.need(world.pupil, cats.mind, world.users["teacher"], status="closed", close_reason="x")
    factories.need(world.stranger, cats.mind, world.users["coordinator"])  # not the teacher's
    c = login_as("teacher")
    r = c.htmx(f"/needs/{need.id}/edit")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert f'name="e{need.id}-detail"' in html and "旧的描述" in html
    assert f'value="c{world.own_class.id}" selected' in html or f'selected value="c{world.own_class.id}"' in html

    p = f"e{need.id}-"
    data = {p + "csrf_token": c.csrf(f"/needs/{need.id}"), p + "place": f"c{world.own_class.id}",
            p + "student_id": str(world.pupil.id), p + "category_id": str(cats.mind.id), p + "detail": "新的描述",
            p + "skills": "", p + "urgency": "3", p + "slots": [str(WED_EVENING)], p + "term_id": str(need.term_id)}
    r = c.http.post(f"/needs/{need.id}/edit", data=data, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<li class="menu-card urgency-3" id="need-{need.id}">') and "新的描述" in html
    assert '<span class="nav-count" id="nav-count-needs" hx-swap-oob="true">2</span>' in html
    db.session.refresh(need)
    assert (need.detail, need.category_id, need.urgency, need.slots, need.modes) == ("新的描述", cats.mind.id, 3,
                                                                                     WED_EVENING, 0)
    assert [a.object_id for a in audits("need.update")] == [need.id]

    # A bad edit comes back as the inline form with the message, nothing saved.
    r = c.http.post(f"/needs/{need.id}/edit", data={**data, p + "detail": ""}, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and f'name="{p}detail"' in html
    assert zh("This field is required.") in field_error(html, f"{p}detail")
    db.session.refresh(need)
    assert need.detail == "新的描述"


def test_the_card_partial_and_the_edit_cancel(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    r = login_as("teacher").htmx(f"/needs/{need.id}/card")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and html.lstrip().startswith("<li")


def test_a_closed_need_is_reopened_before_editing(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"], status="closed", close_reason="x")
    c = login_as("teacher")
    r = c.get(f"/needs/{need.id}/edit")
    assert r.status_code == 302 and r.headers["Location"] == f"/needs/{need.id}"
    assert zh("A completed or closed need cannot be edited. Reopen it first.") in c.get(
        r.headers["Location"]).get_data(as_text=True)


def test_full_page_edit_without_htmx(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    c = login_as("coordinator")
    html = c.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert "<html" in html and 'name="detail"' in html
    data = need_form(world, cats, SimpleNamespace(id=need.term_id), detail="整页修改", beneficiary="student")
    data.pop("submit_token")
    r = c.post_form(f"/needs/{need.id}/edit", data, token_from=f"/needs/{need.id}/edit")
    assert r.status_code == 302, re.findall(r'field-error[^>]*>([^<]*)', r.get_data(as_text=True))
    db.session.refresh(need)
    assert need.detail == "整页修改" and count(Need) == 1


# --- the list: htmx, filters, sorting, paging ---

@pytest.fixture
def menu(world, cats):
    """Needs that differ in one way each; the detail text names each one."""
    teacher, coord = world.users["teacher"], world.users["coordinator"]
    untagged = factories.student(world.own_class, "周小舟")
    young = factories.young_teacher(world.school, "李青")
    n = SimpleNamespace()
    n.a = factories.need(world.pupil, cats.study, teacher, detail="甲：数学", urgency=1, slots=WED_EVENING)
    n.b = factories.need(world.stranger, cats.mind, coord, detail="乙：心理", urgency=3, slots=0)
    n.c = factories.need(world.pupil, cats.mind, teacher, detail="丙：已对接", urgency=2, slots=MON_MORNING,
                         status="matched")
    n.d = factories.need(world.stranger, cats.study, coord, detail="丁：已完成", status="done")
    n.e = factories.need(world.pupil, cats.study, teacher, detail="戊：已关闭", status="closed", close_reason="x")
    n.f = factories.need(untagged, cats.study, teacher, detail="己：无标签", urgency=2, slots=MON_MORNING)
    n.g = factories.need(young, cats.mind, coord, detail="庚：青年教师", urgency=1)
    return n


def ids_of(n, *names):
    return {getattr(n, x).id for x in names}


def test_htmx_list_request_returns_only_the_results(login_as, menu):
    c = login_as("coordinator")
    full = c.get("/needs/").get_data(as_text=True)
    part = c.htmx("/needs/?q=数学")
    html = part.get_data(as_text=True)
    assert "<html" in full and 'id="results"' in full
    assert part.status_code == 200 and "<html" not in html and "<form" not in html.split('class="menu-cards"')[0]
    assert set(need_ids(html)) == {menu.a.id}
    assert "HX-Request" in part.headers.get("Vary", "")
    restore = c.get("/needs/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


FILTERS = [
    ("", "a b c f g"),                      # default: waiting or matched
    ("?status=", "a b c d e f g"),
    ("?status=open", "a b f g"),
    ("?status=matched", "c"),
    ("?status=done", "d"),
    ("?status=closed", "e"),
    ("?status=bogus", "a b c d e f g"),     # an unknown status is ignored
    ("?category_id={study}", "a f"),
    ("?category_id={mind}&status=", "b c g"),
    ("?place=g3", "a c f"),
    ("?place=g4", "b"),
    ("?place=c{own}", "a c f"),
    ("?place=c{other}", "b"),
    ("?place=x1", "a b c f g"),             # malformed: ignored
    ("?urgency=3", "b"),
    ("?urgency=2", "c f"),
    ("?slot={wed}", "a b g"),               # b and g have no slots: any time suits them
    ("?slot={mon}", "b c f g"),
    ("?has_tags=1", "a b c"),
    ("?beneficiary=young_teacher", "g"),
    ("?beneficiary=student", "a b c f"),
    ("?q=王小明", "a c"),
    ("?q=wxm", "a c"),
    ("?q=李青", "g"),
    ("?q=心理", "b"),
    ("?category_id=abc&urgency=x&slot=-&term_id=", "a b c f g"),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[q or "default" for q, _ in FILTERS])
def test_each_filter_narrows_the_list(login_as, world, cats, menu, query, expected):
    url = "/needs/" + query.format(study=cats.study.id, mind=cats.mind.id, own=world.own_class.id,
                                   other=world.other_class.id, wed=WED_EVENING, mon=MON_MORNING)
    html = login_as("coordinator").htmx(url).get_data(as_text=True)
    assert set(need_ids(html)) == ids_of(menu, *expected.split()), url


def test_term_filter(login_as, world, cats, menu):
    from portal.people.models import Term

    old = Term(school_id=world.school.id, name="2020–2021学年第一学期", starts_on=menu.a.term.starts_on.replace(year=2020),
               ends_on=menu.a.term.ends_on.replace(year=2021))
    db.session.add(old)
    db.session.commit()
    earlier = factories.need(world.pupil, cats.study, world.users["teacher"], detail="旧学期", term_id=old.id)
    c = login_as("coordinator")
    assert set(need_ids(c.htmx(f"/needs/?term_id={old.id}").get_data(as_text=True))) == {earlier.id}
    assert earlier.id not in need_ids(c.htmx(f"/needs/?term_id={menu.a.term_id}").get_data(as_text=True))


def test_teacher_sees_only_the_needs_of_own_classes(login_as, world, menu):
    c = login_as("teacher")
    html = c.get("/needs/?status=").get_data(as_text=True)
    assert set(need_ids(html)) == ids_of(menu, "a", "c", "e", "f")
    assert "赵小红" not in html and "李青" not in html
    # Filtering by another class's place does not widen the scope.
    assert need_ids(c.htmx(f"/needs/?place=c{world.other_class.id}").get_data(as_text=True)) == []
    assert need_ids(c.htmx("/needs/?place=g4").get_data(as_text=True)) == []
    # The navigation count is the teacher's own waiting needs.
    assert re.search(r'id="nav-count-needs">2</span>', html)


def test_support_tag_filter_is_recorded_and_limited_to_those_who_may_see_tags(login_as, menu):
    c = login_as("coordinator")
    c.htmx("/needs/?has_tags=1")
    assert len(audits("needs.filter.support_tags")) == 1
    c.htmx("/needs/")
    assert len(audits("needs.filter.support_tags")) == 1
    # The class teacher may see own students' tags (DESIGN §5), so the filter works within own classes.
    t = login_as("teacher")
    assert set(need_ids(t.htmx("/needs/?has_tags=1").get_data(as_text=True))) == ids_of(menu, "a", "c")
    assert len(audits("needs.filter.support_tags")) == 2
    assert "has_tags" in c.get("/needs/").get_data(as_text=True)


def test_sort_by_urgency_then_oldest_first(login_as, menu):
    html = login_as("coordinator").htmx("/needs/?sort=urgency").get_data(as_text=True)
    ordered = need_ids(html)
    assert ordered[0] == menu.b.id  # 紧急
    assert ordered[1:3] == [menu.c.id, menu.f.id]  # 较急, older first
    assert ordered[3:] == [menu.a.id, menu.g.id]  # 一般


def test_other_sorts(login_as, menu):
    c = login_as("coordinator")
    assert need_ids(c.htmx("/needs/").get_data(as_text=True))[0] == menu.g.id  # newest first
    waiting = need_ids(c.htmx("/needs/?sort=waiting").get_data(as_text=True))
    assert waiting[-1] == menu.c.id  # matched last
    by_class = need_ids(c.htmx("/needs/?sort=class").get_data(as_text=True))
    assert set(by_class) == ids_of(menu, "a", "b", "c", "f", "g")
    assert by_class.index(menu.b.id) > max(by_class.index(menu.a.id), by_class.index(menu.f.id))  # grade 4 after 3
    assert c.htmx("/needs/?sort=drop").status_code == 200


def test_pagination(app, login_as, world, cats):
    size = app.config["PAGE_SIZE"]
    for i in range(size + 3):
        factories.need(world.pupil, cats.study, world.users["teacher"], detail=f"需求{i}")
    c = login_as("coordinator")
    first = c.get("/needs/").get_data(as_text=True)
    assert len(need_ids(first)) == size and "第 1 页，共 2 页" in first and "下一页" in first
    second = c.htmx("/needs/?page=2").get_data(as_text=True)
    assert len(need_ids(second)) == 3 and "<html" not in second and "上一页" in second
    assert not set(need_ids(first)) & set(need_ids(second))
    # Page links keep the filters.
    html = c.htmx(f"/needs/?category_id={cats.study.id}").get_data(as_text=True)
    assert re.search(rf'href="/needs/\?category_id={cats.study.id}&amp;page=2"', html)
    assert need_ids(c.htmx("/needs/?page=99").get_data(as_text=True)) == []
    assert c.get("/needs/?page=-1").status_code == 200 and c.get("/needs/?page=x").status_code == 200


def test_navigation_count_of_waiting_needs(login_as, menu):
    html = login_as("coordinator").get("/").get_data(as_text=True)
    assert re.search(r'<span class="nav-count" id="nav-count-needs">4</span>', html)  # a b f g


# --- the need page ---

def test_need_page_shows_tags_to_staff_and_own_teacher_and_records_the_view(login_as, world, cats):
    need = factories.need(world.pupil, cats.study, world.users["teacher"])
    for role in ("coordinator", "teacher"):
        r = login_as(role).get(f"/needs/{need.id}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "留守" in html and "单亲" in html, role
        assert r.headers["Cache-Control"] == "no-store" and 'hx-history="false"' in html
    views = audits("student.sensitive.view")
    assert len(views) == 2 and {v.object_id for v in views} == {world.pupil.id}


def test_no_audit_when_the_student_has_no_tags(login_as, world, cats):
    plain = factories.student(world.own_class, "周小舟")
    need = factories.need(plain, cats.study, world.users["teacher"])
    html = login_as("teacher").get(f"/needs/{need.id}").get_data(as_text=True)
    assert "周小舟" in html and audits("student.sensitive.view") == []


# --- the board ---

def test_board_shows_needs_beside_free_places_and_names_the_shortage(login_as, world, cats):
    teacher, coord = world.users["teacher"], world.users["coordinator"]
    for urgency in (1, 3, 3):
        factories.need(world.pupil, cats.mind, teacher, urgency=urgency)
    factories.need(world.pupil, cats.mind, teacher, status="matched")  # not waiting
    factories.need(world.pupil, cats.study, teacher)
    other_vol = factories.volunteer(world.school, "李建华")
    factories.offer(world.volunteer, cats.mind, coord, capacity=2, used=1)
    factories.offer(other_vol, cats.mind, coord, capacity=5, used=5)
    factories.offer(other_vol, cats.mind, coord, capacity=9, status="paused")  # not available
    factories.offer(world.volunteer, cats.study, coord, capacity=3)
    factories.need(world.far_pupil, cats.far, coord)  # another school's

    from portal.needs.services import board
    rows = {r["category"].name: r for r in board(world.school.id)}
    assert set(rows) == {"学业辅导", "心理疏导"}  # an inactive category without rows is left out
    mind, study = rows["心理疏导"], rows["学业辅导"]
    assert (mind["needs"], mind["urgent"], mind["offers"], mind["free"], mind["short"]) == (3, 2, 2, 1, 2)
    assert (study["needs"], study["urgent"], study["offers"], study["free"], study["short"]) == (1, 0, 1, 3, 0)

    html = login_as("coordinator").get("/needs/board").get_data(as_text=True)
    row = re.search(r"<tr class=\"short\">\s*<th scope=\"row\">心理疏导</th>(.*?)</tr>", html, re.S)
    assert row and zh("Short of %(n)d", n=2) in row.group(1)
    study_row = re.search(r"<tr>\s*<th scope=\"row\">学业辅导</th>(.*?)</tr>", html, re.S)
    assert study_row and zh("Enough") in study_row.group(1)


@pytest.mark.parametrize("role", ["teacher", "volunteer", "parent"])
def test_board_is_for_staff_only(login_as, role):
    assert login_as(role).get("/needs/board").status_code == 403


# --- the words the user reads ---

def test_messages_of_the_needs_menu_are_chinese():
    ids = ["Please choose a category from the list.", "Please choose a student of your classes.",
           "Please choose a term from the list.", "Please choose a category.", "Please choose a student.",
           "The form is out of date. Please reload it.",
           "Please give the reason for closing.", "This need was already saved; it was not saved twice.",
           "A need that is “%(now)s” cannot become “%(then)s”.", "Short of %(n)d", "Awaiting match", "Matched"]
    untranslated = [m for m in ids if not re.search(r"[\u4e00-\u9fff]", zh(m))]
    assert untranslated == []
