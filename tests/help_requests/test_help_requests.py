"""求助 (爱心热线): a parent asks for their own child; staff answer it or turn it into a need."""
import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.needs.models import Need
from tests import factories
from tests.conftest import Client
from tests.factories import zh
from tests.helpers import audits, count, field_error, post_at_once


@pytest.fixture
def cats(world):
    return SimpleNamespace(study=factories.category(world.school, "学业辅导", 1),
                           mind=factories.category(world.school, "心理疏导", 2),
                           far=factories.category(world.far, "心理疏导"))


@pytest.fixture
def neighbour(world):
    """Another family of the same school, with a child and a parent account."""
    fam = factories.family(world.school, "李家")
    child = factories.student(world.other_class, "李小华", family=fam)
    parent = factories.user(world.school, "parent", "neighbour", guardian_id=fam.guardians[0].id)
    return SimpleNamespace(family=fam, child=child, parent=parent)


def help_form(world, cats, **over):
    data = {"submit_token": secrets.token_hex(16), "student_id": str(world.pupil.id), "category_id": str(cats.mind.id),
            "detail": "孩子最近不爱说话，想请老师聊一聊", "urgency": "2", "contact_method": "电话",
            "contact_phone": "13812345678", "contact_time": "工作日晚上7点后"}
    data.update(over)
    return data


def help_ids(html) -> list[int]:
    return [int(i) for i in re.findall(r'id="help-(\d+)"', html)]


# --- the parent ---

def test_parent_asks_for_help_for_own_child(login_as, world, cats, neighbour):
    c = login_as("parent")
    form = c.get("/help/new").get_data(as_text=True)
    assert "王小明" in form and "李小华" not in form and "赵小红" not in form
    r = c.post_form("/help/new", help_form(world, cats), token_from="/help/new")
    assert r.status_code == 302
    req = db.session.scalar(select(HelpRequest))
    assert r.headers["Location"] == f"/help/{req.id}"
    assert (req.family_id, req.student_id, req.category_id, req.urgency, req.status) == (
        world.family.id, world.pupil.id, cats.mind.id, 2, "new")
    assert (req.contact_method, req.contact_phone, req.contact_time) == ("电话", "13812345678", "工作日晚上7点后")
    assert req.submitted_by_id == world.users["parent"].id
    assert [a.object_id for a in audits("help.submit")] == [req.id]
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert zh("Your request has been sent. The committee office will contact you.") in page
    assert zh("Received, not yet handled") in page
    listing = c.get("/help/").get_data(as_text=True)
    assert help_ids(listing) == [req.id] and zh("Received, not yet handled") in listing


@pytest.mark.parametrize("child", ["stranger", "neighbour", "far_pupil", "unknown"])
def test_parent_cannot_ask_for_another_familys_child(login_as, world, cats, neighbour, child):
    student_id = {"stranger": world.stranger.id, "neighbour": neighbour.child.id, "far_pupil": world.far_pupil.id,
                  "unknown": 999999}[child]
    r = login_as("parent").post_form("/help/new", help_form(world, cats, student_id=str(student_id)),
                                     token_from="/help/new")
    assert r.status_code == 200
    assert zh("Please choose one of your children.") in field_error(r.get_data(as_text=True), "student_id")
    assert count(HelpRequest) == 0


BAD_INPUT = [
    ("empty detail", {"detail": ""}, "detail", lambda: zh("This field is required.")),
    ("detail too long", {"detail": "长" * 1001}, "detail", lambda: "字段长度不能超过 1000 个字符"),
    ("NUL in detail", {"detail": "不爱\x00说话"}, "detail", lambda: zh("Contains characters that are not allowed.")),
    ("no category", {"category_id": "0"}, "category_id", lambda: zh("Please choose a kind of help.")),
    ("unknown category", {"category_id": "999999"}, "category_id",
     lambda: zh("Please choose a kind of help from the list.")),
    ("bad phone", {"contact_phone": "12345"}, "contact_phone",
     lambda: zh("Please enter an 11-digit mainland mobile number.")),
    ("phone call without a number", {"contact_phone": ""}, "contact_phone",
     lambda: zh("Please leave a phone number so we can call you.")),
    ("contact time too long", {"contact_time": "晚" * 61}, "contact_time", lambda: "字段长度不能超过 60 个字符"),
    ("NUL in contact time", {"contact_time": "\x00"}, "contact_time",
     lambda: zh("Contains characters that are not allowed.")),
]


@pytest.mark.parametrize(("case", "over", "field", "message"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_help_input_gets_a_chinese_message_beside_the_field(login_as, world, cats, case, over, field, message):
    r = login_as("parent").post_form("/help/new", help_form(world, cats, **over), token_from="/help/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert message() in field_error(html, field)
    assert count(HelpRequest) == 0 and audits("help.submit") == []


def test_unknown_contact_method_urgency_or_another_schools_category_are_refused(login_as, world, cats):
    c = login_as("parent")
    for over in ({"contact_method": "飞鸽传书"}, {"urgency": "9"}, {"category_id": str(cats.far.id)}):
        r = c.post_form("/help/new", help_form(world, cats, **over), token_from="/help/new")
        assert r.status_code == 200 and 'class="field-error"' in r.get_data(as_text=True), over
    assert count(HelpRequest) == 0


def test_wechat_contact_needs_no_phone(login_as, world, cats):
    r = login_as("parent").post_form("/help/new", help_form(world, cats, contact_method="微信", contact_phone=""),
                                     token_from="/help/new")
    assert r.status_code == 302 and db.session.scalar(select(HelpRequest.contact_phone)) == ""


def test_double_submit_and_bad_token(login_as, world, cats):
    c = login_as("parent")
    data = help_form(world, cats)
    first = c.post_form("/help/new", data, token_from="/help/new")
    second = c.post_form("/help/new", data, token_from="/help/new")
    assert first.headers["Location"] == second.headers["Location"] and count(HelpRequest) == 1
    assert zh("This request was already sent; it was not sent twice.") in c.get(second.headers["Location"]).get_data(
        as_text=True)
    r = c.post_form("/help/new", help_form(world, cats, submit_token="nope", detail="另一件事"), token_from="/help/new")
    assert r.status_code == 200 and zh("The form is out of date. Please reload it.") in r.get_data(as_text=True)
    assert count(HelpRequest) == 1


def test_two_identical_requests_at_the_same_moment_make_one(login_as, world, cats):
    tabs = [login_as("parent") for _ in range(2)]
    data = help_form(world, cats)
    responses = post_at_once(tabs, "/help/new", [{**data, "csrf_token": t.csrf("/help/new")} for t in tabs])
    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert count(HelpRequest) == 1 and len(audits("help.submit")) == 1


def test_parent_cannot_see_another_familys_request(login_as, world, cats, neighbour):
    theirs = factories.help_request(neighbour.child, cats.study, neighbour.parent, detail="李家的求助")
    mine = factories.help_request(world.pupil, cats.study, world.users["parent"], detail="王家的求助")
    far = factories.help_request(world.far_pupil, cats.far, world.users["coordinator"], family_id=world.far_family.id)
    c = login_as("parent")
    html = c.get("/help/").get_data(as_text=True)
    assert help_ids(html) == [mine.id] and "李家的求助" not in html
    assert c.get(f"/help/{theirs.id}").status_code == 404
    assert c.get(f"/help/{far.id}").status_code == 404
    assert c.get(f"/help/{mine.id}").status_code == 200
    # Nor can they answer anything, even their own.
    r = c.post_form(f"/help/{mine.id}", {"reply": "自问自答"}, token_from="/help/")
    assert r.status_code == 302
    db.session.refresh(mine)
    assert mine.status == "new" and mine.reply == ""


def test_parent_without_a_family_link(app, world):
    factories.user(world.school, "parent", "unlinked-parent")
    c = Client(app)
    c.login("unlinked-parent")
    r = c.get("/help/new")
    assert r.status_code == 302
    assert zh("Your account is not linked to a family yet. Ask the committee office.") in c.get(
        r.headers["Location"]).get_data(as_text=True)


# --- staff: answer ---

def test_staff_answer_and_the_parent_sees_the_reply(login_as, world, cats):
    req = factories.help_request(world.pupil, cats.mind, world.users["parent"])
    c = login_as("coordinator")
    page = c.get(f"/help/{req.id}").get_data(as_text=True)
    assert f'href="/needs/new?help_id={req.id}"' in page and 'name="reply"' in page
    r = c.post_form(f"/help/{req.id}", {"reply": ""}, token_from=f"/help/{req.id}")
    assert r.status_code == 200 and zh("This field is required.") in field_error(r.get_data(as_text=True), "reply")
    r = c.post_form(f"/help/{req.id}", {"reply": "已联系班主任，本周五下午到校面谈。"}, token_from=f"/help/{req.id}")
    assert r.status_code == 302
    db.session.refresh(req)
    assert req.status == "answered" and req.handled_by_id == world.users["coordinator"].id and req.handled_at
    assert [a.object_id for a in audits("help.answer")] == [req.id]

    p = login_as("parent")
    html = p.get(f"/help/{req.id}").get_data(as_text=True)
    assert "已联系班主任，本周五下午到校面谈。" in html and zh("Answered and closed") in html
    assert zh("Answered and closed") in p.get("/help/").get_data(as_text=True)


def test_a_second_answer_to_a_handled_request_is_refused_with_a_message(login_as, world, cats):
    req = factories.help_request(world.pupil, cats.mind, world.users["parent"])
    first, second = login_as("coordinator"), login_as("admin")
    token = second.csrf(f"/help/{req.id}")  # the second page was opened before the first answer
    first.post_form(f"/help/{req.id}", {"reply": "第一条答复"}, token_from=f"/help/{req.id}")
    r = second.post_form(f"/help/{req.id}", {"reply": "第二条答复", "csrf_token": token})
    assert r.status_code == 200
    assert zh("This help request has already been handled.") in r.get_data(as_text=True)
    db.session.refresh(req)
    assert req.reply == "第一条答复"


def test_staff_list_shows_new_requests_first_and_filters_by_status(login_as, world, cats, neighbour):
    new = factories.help_request(world.pupil, cats.mind, world.users["parent"], urgency=1)
    urgent = factories.help_request(neighbour.child, cats.study, neighbour.parent, urgency=3)
    answered = factories.help_request(world.pupil, cats.study, world.users["parent"], status="answered", reply="好")
    factories.help_request(world.far_pupil, cats.far, world.users["coordinator"], family_id=world.far_family.id)
    c = login_as("coordinator")
    full = c.get("/help/")
    html = full.get_data(as_text=True)
    assert "<html" in html and help_ids(html) == [urgent.id, new.id]
    assert re.search(r'id="nav-count-help">2</span>', html)
    part = c.htmx("/help/?status=").get_data(as_text=True)
    assert "<html" not in part and help_ids(part) == [urgent.id, new.id, answered.id]
    assert help_ids(c.htmx("/help/?status=answered").get_data(as_text=True)) == [answered.id]
    assert "13800001111" in html  # staff see how to reach the family


# --- staff: turn it into a need ---

def test_coordinator_turns_a_request_into_a_need(login_as, world, cats):
    req = factories.help_request(world.pupil, cats.mind, world.users["parent"], urgency=3,
                                 detail="孩子最近不爱说话，想请老师聊一聊")
    term = factories.term(world.school)
    c = login_as("coordinator")
    html = c.get(f"/needs/new?help_id={req.id}").get_data(as_text=True)
    assert "孩子最近不爱说话，想请老师聊一聊</textarea>" in html
    assert re.search(rf'<option selected value="{world.pupil.id}">王小明', html)
    assert re.search(rf'<option selected value="{cats.mind.id}">心理疏导', html)
    assert re.search(r'checked[^>]*value="3"|value="3"[^>]*checked', html)
    assert f'<input type="hidden" name="help_id" value="{req.id}">' in html

    data = {"help_id": str(req.id), "submit_token": secrets.token_hex(16), "beneficiary": "student",
            "place": f"c{world.own_class.id}", "student_id": str(world.pupil.id), "category_id": str(cats.mind.id),
            "detail": "每周一次谈心", "urgency": "3", "term_id": str(term.id)}
    r = c.post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 302
    need = db.session.scalar(select(Need))
    db.session.refresh(req)
    assert (req.status, req.need_id, req.handled_by_id) == ("need", need.id, world.users["coordinator"].id)
    assert need.student_id == world.pupil.id and need.urgency == 3
    assert [a.detail for a in audits("help.to_need")] == [f"need={need.id}"]

    staff_page = c.get(f"/help/{req.id}").get_data(as_text=True)
    assert f'href="/needs/{need.id}"' in staff_page and 'name="reply"' not in staff_page
    p = login_as("parent")
    html = p.get(f"/help/{req.id}").get_data(as_text=True)
    assert zh("The committee office has taken this on and is arranging help. You will be contacted.") in html
    assert zh("Taken on: help is being arranged") in html and "/needs/" not in html

    # Converting again, with a fresh form: the same content is answered with the need made the first time,
    # other content is refused; neither makes a second need.
    again = {**data, "submit_token": secrets.token_hex(16)}
    r = c.post_form("/needs/new", again, token_from="/needs/new")
    assert r.status_code == 302 and r.headers["Location"] == f"/needs/{need.id}"
    again["detail"] = "每周两次谈心"
    r = c.post_form("/needs/new", again, token_from="/needs/new")
    assert r.status_code == 200 and zh("This help request has already been handled.") in r.get_data(as_text=True)
    assert count(Need) == 1
    # The same form sent twice lands on the first need.
    r = c.post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 302 and r.headers["Location"] == f"/needs/{need.id}" and count(Need) == 1


def test_an_answered_request_cannot_become_a_need(login_as, world, cats):
    req = factories.help_request(world.pupil, cats.mind, world.users["parent"], status="answered", reply="已答复")
    term = factories.term(world.school)
    data = {"help_id": str(req.id), "submit_token": secrets.token_hex(16), "beneficiary": "student",
            "place": f"c{world.own_class.id}", "student_id": str(world.pupil.id), "category_id": str(cats.mind.id),
            "detail": "x", "urgency": "1", "term_id": str(term.id)}
    r = login_as("coordinator").post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 200 and zh("This help request has already been handled.") in r.get_data(as_text=True)
    assert count(Need) == 0
    db.session.refresh(req)
    assert req.status == "answered"


def test_a_bad_need_form_leaves_the_request_untouched(login_as, world, cats):
    req = factories.help_request(world.pupil, cats.mind, world.users["parent"])
    term = factories.term(world.school)
    data = {"help_id": str(req.id), "submit_token": secrets.token_hex(16), "beneficiary": "student",
            "place": f"c{world.own_class.id}", "student_id": str(world.pupil.id), "category_id": "999999",
            "detail": "x", "urgency": "1", "term_id": str(term.id)}
    r = login_as("coordinator").post_form("/needs/new", data, token_from="/needs/new")
    assert r.status_code == 200 and count(Need) == 0
    db.session.refresh(req)
    assert req.status == "new" and req.need_id is None and audits("help.to_need") == []


def test_help_id_of_another_school_is_404_and_a_teacher_cannot_use_help_requests(login_as, world, cats):
    far = factories.help_request(world.far_pupil, cats.far, world.users["coordinator"], family_id=world.far_family.id)
    assert login_as("coordinator").get(f"/needs/new?help_id={far.id}").status_code == 404
    mine = factories.help_request(world.pupil, cats.mind, world.users["parent"], detail="只给关工委看的求助")
    t = login_as("teacher")
    html = t.get(f"/needs/new?help_id={mine.id}").get_data(as_text=True)
    assert "只给关工委看的求助" not in html and 'name="help_id"' not in html
    assert t.get(f"/help/{mine.id}").status_code == 403


def test_messages_of_help_requests_are_chinese():
    ids = ["Please choose one of your children.", "Please choose a kind of help.", "Please choose a kind of help from the list.",
           "Please leave a phone number so we can call you.", "This help request has already been handled.",
           "The committee office has taken this on and is arranging help. You will be contacted.",
           "Taken on: help is being arranged", "Answered and closed", "Received, not yet handled"]
    assert [m for m in ids if not re.search(r"[\u4e00-\u9fff]", zh(m))] == []
