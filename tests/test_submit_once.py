"""Back, then Save again: a creating form sent a second time with the same content saves nothing new and leads
where the first send did. The page re-fetched on Back carries a fresh submit token, so each case here sends the
second copy with a new one, as the browser does."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.core.clock import local_today
from portal.core.models import utcnow
from portal.core.submit_once import FormSubmission
from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.hours.models import HourEntry
from portal.menus.slots import slot_bit
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs.models import Visit
from portal.pairs.services import create_pair
from portal.people.models import Student, Volunteer
from tests import factories
from tests.factories import zh
from tests.helpers import count, menu_categories, post_at_once

TODAY = local_today()
TOKEN_RE = re.compile(r'name="submit_token"[^>]*value="([0-9a-f]{32})"')


@pytest.fixture
def cats(world):
    return menu_categories(world)


def _fresh_token(c, url) -> dict:
    """What the form page gives each time it is opened: a new submit token (when the form has one)."""
    m = TOKEN_RE.search(c.get(url).get_data(as_text=True))
    return {"submit_token": m.group(1)} if m else {}


def _send(c, url, data):
    return c.post_form(url, {**data, **_fresh_token(c, url)}, token_from=url)


def _flash(c, location) -> str:
    html = c.get(location).get_data(as_text=True)
    return " ".join(re.findall(r'<p class="flash flash-\w+">(.*?)</p>', html, re.S))


def _visit(world, cats):
    coord = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, coord)
    offer = factories.offer(world.volunteer, cats.study, coord)
    pair, _ = create_pair(coord, [need], [offer], TODAY)
    return f"/pairs/{pair.id}/visits/new", {"visited_on": TODAY.isoformat(), "mode": "talk", "hours": "1.5",
                                            "content": "辅导数学作业", "follow_up": "下周检查错题"}


def _help(world, cats):
    return "/help/new", {"student_id": str(world.pupil.id), "category_id": str(cats.mind.id),
                         "detail": "孩子最近不爱说话", "urgency": "2", "contact_method": "电话",
                         "contact_phone": "13812345678", "contact_time": "晚上"}


def _hours(world, cats):
    return "/hours/new", {"worked_on": TODAY.isoformat(), "hours": "2", "activity": "lecture", "note": "讲座"}


def _need(world, cats):
    term = factories.term(world.school)
    return "/needs/new", {"place": f"c{world.own_class.id}", "student_id": str(world.pupil.id),
                          "category_id": str(cats.study.id), "detail": "数学跟不上", "urgency": "2",
                          "term_id": str(term.id)}


def _offer(world, cats):
    return "/offers/new", {"category_id": str(cats.study.id), "skills": "数学", "detail": "周末有空",
                           "slots": [str(slot_bit(5, 0))], "modes": ["1"], "capacity": "2", "available": "y"}


def _student(world, cats):
    return "/people/students/new", {"student_no": "20269999", "name": "孙小圣", "gender": "男",
                                    "birth_date": "2017-05-01", "class_id": str(world.own_class.id)}


def _volunteer(world, cats):
    return "/people/volunteers/new", {"name": "陈老师", "kind": "老教师", "phone": "13900001111",
                                      "birth_year": "1955"}


# (role, the form, what must not be saved twice)
CASES = {
    "visit": ("volunteer", _visit, (Visit, HourEntry)),
    "help request": ("parent", _help, (HelpRequest,)),
    "hours": ("volunteer", _hours, (HourEntry,)),
    "need": ("coordinator", _need, (Need,)),
    "offer": ("volunteer", _offer, (Offer,)),
    "student": ("coordinator", _student, (Student,)),
    "volunteer": ("coordinator", _volunteer, (Volunteer,)),
}


@pytest.mark.parametrize("case", CASES)
def test_back_and_save_again_saves_once_and_leads_to_what_was_saved(case, world, cats, login_as):
    role, make, models = CASES[case]
    url, data = make(world, cats)
    c = login_as(role)
    before = [count(m) for m in models]

    first = _send(c, url, data)
    assert first.status_code == 302, first.get_data(as_text=True)
    saved = [count(m) for m in models]
    assert all(s == b + 1 for s, b in zip(saved, before, strict=True))
    _flash(c, first.headers["Location"])  # the first answer's message is read, as the browser would

    again = _send(c, url, data)

    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert [count(m) for m in models] == saved
    assert "twice" not in _flash(c, again.headers["Location"])
    again_page = _flash(c, _send(c, url, data).headers["Location"])
    assert re.search("没有重复|重复发送|没有再", again_page)
    assert zh("To save a second copy on purpose, change any one field and save again.") in again_page


def test_other_content_is_saved_as_new(world, cats, login_as):
    url, data = _hours(world, cats)
    c = login_as("volunteer")
    assert _send(c, url, data).status_code == 302
    assert _send(c, url, {**data, "note": "讲座（下午场）"}).status_code == 302
    assert count(HourEntry) == 2


def test_a_form_refused_for_its_content_can_be_corrected_and_sent(world, cats, login_as):
    url, data = _hours(world, cats)
    c = login_as("volunteer")
    refused = _send(c, url, {**data, "hours": "13"})
    assert refused.status_code == 200 and count(HourEntry) == 0
    assert _send(c, url, {**data, "hours": "13"}).status_code == 200  # the refusal gave its claim up
    assert _send(c, url, data).status_code == 302 and count(HourEntry) == 1
    assert db.session.scalar(select(FormSubmission.location)) is not None


def test_the_same_content_hours_later_is_taken_as_meant(world, cats, login_as):
    url, data = _hours(world, cats)
    c = login_as("volunteer")
    assert _send(c, url, data).status_code == 302
    db.session.execute(update(FormSubmission).values(created_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    assert _send(c, url, data).status_code == 302
    assert count(HourEntry) == 2


def test_two_tabs_sending_the_same_content_at_once_save_one(app, world, cats, login_as):
    url, data = _help(world, cats)
    tabs = [login_as("parent") for _ in range(3)]
    payloads = [{**data, **_fresh_token(t, url), "csrf_token": t.csrf(url)} for t in tabs]

    responses = post_at_once(tabs, url, payloads)

    assert [r.status_code for r in responses] == [302] * 3
    assert len({r.headers["Location"] for r in responses}) == 1
    assert count(HelpRequest) == 1


def test_another_user_sending_the_same_content_is_not_answered_with_theirs(world, cats, login_as):
    url, data = _student(world, cats)
    assert _send(login_as("coordinator"), url, data).status_code == 302
    students = count(Student)
    r = _send(login_as("admin"), url, data)
    assert r.status_code == 200 and count(Student) == students  # refused on its own merits: the 学籍号 is taken


def test_every_creating_form_is_guarded(app):
    """Each address that makes something new (…/new, and the forms that add a row from a page) is guarded."""
    creating = {"needs.new", "offers.new", "help.new", "pairs.new_visit", "pairs.renew", "hours.new",
                "hours.issue_record", "matching.need", "matching.offer", "events.edit", "events.add_photo",
                "events.partners", "parent_school.course_form", "parent_school.session_form", "people.class_form",
                "people.student_form", "people.family_form", "people.family",
                "people.volunteer_form", "people.user_form", "people.young_teacher_form", "announcements.new",
                "district.new_task", "district.add_unit", "district.user_form", "tasks.show"}
    new_forms = {r.endpoint for r in app.url_map.iter_rules() if r.rule.endswith("/new") and "POST" in r.methods}
    assert new_forms <= creating
    unguarded = sorted(e for e in creating if not getattr(app.view_functions[e], "submit_once", False))
    assert unguarded == []


def test_a_twin_of_a_send_still_running_waits_for_its_answer(world, cats, login_as, monkeypatch):
    """A claim with no answer yet (the first send is still working) holds the twin back; when the first send never
    answers, the twin says so instead of saving a second copy."""
    from portal.core import submit_once

    url, data = _hours(world, cats)
    c = login_as("volunteer")
    assert _send(c, url, data).status_code == 302
    db.session.execute(update(FormSubmission).values(location=None, created_at=utcnow()))
    db.session.commit()
    monkeypatch.setattr(submit_once, "WAIT_S", 0.3)

    r = c.post_form(url, {**data, **_fresh_token(c, url)}, token_from=url, headers={"Referer": f"http://localhost{url}"})

    assert r.status_code == 302 and r.headers["Location"] == url and count(HourEntry) == 1
    assert zh("The same form is still being saved. Please look again in a moment.") in _flash(c, url)
