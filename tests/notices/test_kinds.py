"""Each reader picks, per kind of notice, at once, the evening's digest or off; what must reach them (a session or
event moved or cancelled) has no choice and reaches every family registered or waiting, and the volunteers helping."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.core.errors import DomainError
from portal.events import services as events
from portal.events import signup
from portal.extensions import db
from portal.help_requests import services as help_requests
from portal.notices import channels
from portal.notices import services as notices
from portal.notices.models import Delivery, Notice, NoticeChoice
from portal.parent_school import services as parent_school
from portal.people.models import Guardian
from portal.registrations import services as seats
from tests import factories
from tests.events.test_services import event_data
from tests.helpers import client_for, flash_text, follow, main_text, run_at_once, send
from tests.notices.conftest import at


def _notices(user) -> list[Notice]:
    db.session.expire_all()
    return db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id)).all()


def _answer_help(world, detail="孩子最近数学跟不上"):
    req = factories.help_request(world.pupil, factories.category(world.school), world.users["parent"], detail=detail)
    help_requests.answer(world.users["coordinator"], req, "已安排老师联系您。")
    db.session.commit()


def test_a_parent_turns_a_kind_off_in_her_settings_and_is_not_told_but_what_must_reach_her_still_does(app, world):
    parent = world.users["parent"]
    phone = client_for(app, parent)
    page = phone.get("/settings").get_data(as_text=True)
    text = main_text(page)
    assert "求助已答复" in text and "候补转为正式" in text and "课程或活动改期、取消" in text
    assert "总会通知，不能关闭" in text and "服务时长通过审核" not in text  # a parent gets no volunteer's kinds

    r = send(phone, page, "/settings", kinds__help_answered="off", kinds__submit="1")
    assert "设置已保存" in flash_text(follow(phone, r))
    # The evening's reminder cannot wait for the digest, and what must reach her cannot be turned off: a choice the
    # page does not offer is not kept.
    notices.save_choices(parent, {"reminder.day_before": "digest", "session.changed": "off", "hours.approved": "off"})
    assert dict(db.session.execute(select(NoticeChoice.kind, NoticeChoice.mode)
                                   .where(NoticeChoice.user_id == parent.id)).all()) == {"help.answered": "off"}
    assert '<option selected value="off">不通知</option>' in phone.get("/settings").get_data(as_text=True)

    _answer_help(world)
    assert _notices(parent) == []

    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)))
    seats.register(session, world.pupil, parent)
    parent_school.set_status(session, "cancelled", world.users["coordinator"], "主讲老师临时生病")
    db.session.commit()
    (told,) = _notices(parent)
    assert told.kind == "session.changed" and "主讲老师临时生病" in told.text and "取消" in told.text


def test_the_days_notices_chosen_for_the_digest_go_as_one_email_at_19(app, world, smtp_server, monkeypatch):
    parent = world.users["parent"]
    parent.email = "wang.mama@example.com"
    db.session.commit()
    notices.save_choices(parent, {"help.answered": "digest", "registration.promoted": "digest"})

    at(monkeypatch, datetime(2026, 12, 7, 10, 0))
    _answer_help(world, "数学跟不上")
    at(monkeypatch, datetime(2026, 12, 7, 15, 0))
    notices.notify([parent], "registration.promoted", "registration:9", lambda: "您已从候补转为正式报名。")
    db.session.commit()
    assert len(_notices(parent)) == 2  # in the portal at once

    assert channels.deliver_due(datetime(2026, 12, 7, 18, 59))["sent"] == 0 and smtp_server.messages == []
    assert run_at_once(app, lambda: channels.deliver_due(datetime(2026, 12, 7, 19, 0))) == []
    ((to, message),) = smtp_server.messages
    body = message.get_content()
    assert to == ["wang.mama@example.com"] and "今天的 2 条消息" in body
    assert "1. 关工委办公室已答复" in body and "2. 您已从候补转为正式报名。" in body
    assert "http://guanai.school.local/notices/" in body
    db.session.expire_all()
    assert {(d.status, d.digest) for d in db.session.scalars(select(Delivery))} == {("sent", True)}


def test_a_session_moved_tells_every_family_registered_or_waiting_where_and_when_it_now_is(world):
    office = world.users["coordinator"]
    course = factories.course(world.school, office, title="青春期沟通", grades=(3,))
    session = factories.course_session(course, capacity=1, place="三楼会议室")
    waiting_family = factories.family(world.school, "李家")
    child = factories.student(world.own_class, "李小华", family=waiting_family)
    mother = factories.user(world.school, "parent", "li_mother", guardian_id=waiting_family.guardians[0].id)
    seats.register(session, world.pupil, world.users["parent"])
    seats.register(session, child, mother)
    day = timedelta(days=1)
    data = {key: getattr(session, key) for key in ("title", "online_url", "capacity", "deadline")} | {
        "starts_at": session.starts_at + day, "ends_at": session.ends_at + day, "place": "报告厅"}

    parent_school.save_session(session, course, data, {}, office)
    parent_school.save_session(session, course, data | {"capacity": 2}, {}, office)  # only more seats: no notice

    for reader in (world.users["parent"], mother):
        (told,) = [n for n in _notices(reader) if n.kind == "session.changed"]
        assert "青春期沟通" in told.text and "报告厅" in told.text and "三楼会议室" in told.text
        assert told.url == f"/parent-school/sessions/{session.id}"


def test_an_event_moved_or_cancelled_tells_its_families_and_the_volunteers_helping(world):
    office, volunteer = world.users["coordinator"], world.users["volunteer"]
    event = events.save_event(office, None, event_data())
    signup.sign_up(event, world.volunteer, "helper", office)
    seats.register(event, world.pupil, world.users["parent"])
    db.session.commit()

    events.save_event(office, event, event_data(place="操场"))
    events.set_status(office, event, "cancelled", "暴雨预警")

    moved, cancelled = _notices(volunteer)
    assert "您报名服务的" in moved.text and "操场" in moved.text and "学校报告厅" in moved.text
    assert "暴雨预警" in cancelled.text and cancelled.url == f"/events/{event.id}"
    assert [n.kind for n in _notices(world.users["parent"])] == ["session.changed", "session.changed"]


def test_the_familys_other_login_is_told_when_one_registers_with_the_code(world):
    other = Guardian(school_id=world.school.id, family_id=world.pupil.family_id, name="王爸爸", relation="父亲",
                     mobile="13700001111")
    db.session.add(other)
    db.session.commit()
    father = factories.user(world.school, "parent", "wang_father", guardian_id=other.id)
    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)))

    reg, _new = seats.register(session, world.pupil, world.users["parent"])

    (told,) = _notices(father)
    assert told.kind == "registration.confirmed" and f"签到码是 {reg.code}" in told.text
    assert told.text.startswith(f"{world.users['parent'].display_name}已为您家报名")
    assert _notices(world.users["parent"]) == []  # she registered: the page told her


def test_after_a_session_the_family_is_asked_for_feedback_and_told_its_certificate_is_ready_once(world):
    from portal.notices import reminders

    course = factories.course(world.school, world.users["coordinator"], title="家庭教育讲座", grades=(3,))
    session = factories.course_session(course, starts_in_days=1)
    reg, _new = seats.register(session, world.pupil, world.users["parent"])
    reg.attended_at = datetime(2026, 12, 1)
    db.session.commit()

    assert reminders.after_sessions(session.ends_at - timedelta(minutes=1)) == 0  # not over yet
    assert reminders.after_sessions(session.ends_at + timedelta(minutes=1)) == 2
    assert reminders.after_sessions(session.ends_at + timedelta(minutes=2)) == 0
    feedback, certificate = _notices(world.users["parent"])
    assert feedback.kind == "feedback.invited" and "家庭教育讲座" in feedback.text
    assert feedback.url == f"/parent-school/sessions/{session.id}"
    assert certificate.kind == "certificate.ready" and certificate.url == f"/parent-school/courses/{course.id}/certificate"


def test_families_not_registered_for_a_required_course_are_reminded_three_days_before_it_closes(world, login_as):
    from portal.core.clock import local_today

    course = factories.course(world.school, world.users["coordinator"], title="新生家长必修课", grades=(3,),
                              mandatory=True)
    today = local_today()
    closes = datetime.combine(today + timedelta(days=3), datetime.min.time()).replace(hour=20)
    factories.course_session(course, starts_at=closes + timedelta(days=1), deadline=closes)

    assert parent_school.remind_before_deadlines(today - timedelta(days=1)) == 0  # four days before: not yet
    assert parent_school.remind_before_deadlines(today) == 1
    assert parent_school.remind_before_deadlines(today) == 0  # a second run that day
    (told,) = _notices(world.users["parent"])
    assert told.kind == "course.unregistered" and "新生家长必修课" in told.text
    page = main_text(login_as("teacher").get(f"/parent-school/courses/{course.id}/coverage").get_data(as_text=True))
    assert "今天已提醒" in page


def test_an_event_cancelled_twice_edited_or_put_back_on_tells_each_family_only_what_changed(world):
    office = world.users["coordinator"]
    event = events.save_event(office, None, event_data())
    seats.register(event, world.pupil, world.users["parent"])
    db.session.commit()

    events.set_status(office, event, "cancelled", "暴雨预警")
    with pytest.raises(DomainError):
        events.set_status(office, event, "cancelled", "暴雨预警")  # a second tab: refused, nobody told again
    events.save_event(office, event, event_data(place="操场"))  # a cancelled event edited: nobody told
    events.set_status(office, event, "planned")

    said = [n.text for n in _notices(world.users["parent"])]
    assert len(said) == 2 and said[0].startswith("取消：") and said[1].startswith("恢复举行：")


def test_a_session_edited_after_it_took_place_tells_nobody(world):
    office = world.users["coordinator"]
    course = factories.course(world.school, office, grades=(3,))
    session = factories.course_session(course)
    seats.register(session, world.pupil, world.users["parent"])
    data = {key: getattr(session, key) for key in ("title", "online_url", "capacity", "deadline", "starts_at",
                                                   "ends_at")}
    parent_school.save_session(session, course, data | {"place": "报告厅"}, {}, office,
                               now=session.ends_at + timedelta(days=1))
    assert _notices(world.users["parent"]) == []


def test_a_digest_by_sms_says_how_many_in_the_readers_language(app, world, sms_gateway, monkeypatch):
    received, _state = sms_gateway
    parent = world.users["parent"]
    parent.locale = "en"
    db.session.commit()
    notices.save_choices(parent, {"help.answered": "digest", "registration.promoted": "digest"})
    at(monkeypatch, datetime(2026, 12, 7, 10, 0))
    for n in range(2):
        notices.notify([parent], "help.answered", f"help:{n}", lambda: "关工委办公室已答复您的求助。" * 10)
    db.session.commit()

    assert channels.deliver_due(datetime(2026, 12, 7, 19, 0))["sent"] == 1
    (sent,) = received
    assert sent["msg"][0].startswith("【关爱桥】You have 2 new notices today") and len(sent["msg"][0]) < 120


def test_choices_saved_from_two_tabs_at_once_keep_one_and_never_fail(app, world):
    parent_id = world.users["parent"].id

    def save():
        notices.save_choices(db.session.get(type(world.users["parent"]), parent_id), {"help.answered": "off"})

    errors = run_at_once(app, save)
    assert all(isinstance(err, DomainError) for err in errors), errors  # at worst: "please save again"
    db.session.expire_all()
    assert db.session.scalars(select(NoticeChoice.mode).where(NoticeChoice.user_id == parent_id)).all() == ["off"]
