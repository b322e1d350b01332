"""Notices beyond the portal (issue 30): e-mail to a real SMTP server (aiosmtpd) and SMS to a real HTTP receiver,
both started by the tests; a channel that is down is retried, then marked failed with its reason, while the notice
in the portal is there all along; no SMS at night."""
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.notices import channels, daily, reminders
from portal.notices import services as notices
from portal.notices.models import Delivery, Notice
from portal.registrations import services as seats
from tests import factories
from tests.helpers import main_text, run_at_once
from tests.notices.conftest import at as _at
from tests.notices.conftest import free_port as _free_port

NOON = datetime(2026, 12, 7, 12, 0)


def _deliveries() -> list[Delivery]:
    db.session.expire_all()
    return db.session.scalars(select(Delivery).order_by(Delivery.id)).all()


def test_a_notice_goes_by_email_to_the_schools_smtp_server_once(app, world, smtp_server, monkeypatch):
    parent = world.users["parent"]
    parent.email = "wang.mama@example.com"
    db.session.commit()
    _at(monkeypatch, NOON)
    notices.notify([parent], "help.answered", "help:1", lambda: "关工委办公室已答复您为王小明提交的求助。", "/help/1")
    db.session.commit()

    assert run_at_once(app, lambda: channels.deliver_due(NOON)) == []  # two runners at the same moment
    assert channels.deliver_due(NOON)["sent"] == 0  # and a third finds nothing left to send
    ((to, message),) = smtp_server.messages
    assert to == ["wang.mama@example.com"] and message["From"] == "guanai@school.local"
    assert "关工委办公室已答复您" in message["Subject"]
    assert "http://guanai.school.local/help/1" in message.get_content()
    (sent,) = _deliveries()
    assert (sent.status, sent.attempts, sent.address) == ("sent", 1, "wang.mama@example.com")


def test_with_the_smtp_server_down_the_email_is_retried_then_failed_and_the_notice_is_there(world, app, login_as,
                                                                                          monkeypatch):
    parent = world.users["parent"]
    parent.email = "wang.mama@example.com"
    db.session.commit()
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = "127.0.0.1", _free_port()  # nothing listens there
    try:
        _at(monkeypatch, NOON)
        notices.notify([parent], "help.answered", "help:1", lambda: "关工委办公室已答复您的求助。", "/help/1")
        db.session.commit()
        outcomes = []
        for minutes in (0, 1, 6, 36, 36):  # each retry comes due 1, 5 and 30 minutes after the last
            outcomes.append({k: v for k, v in channels.deliver_due(datetime(2026, 12, 7, 12, minutes)).items() if v})
    finally:
        app.config["SMTP_HOST"] = ""

    assert outcomes == [{"retry": 1}, {"retry": 1}, {"retry": 1}, {"failed": 1}, {}]
    (failed,) = _deliveries()
    assert failed.status == "failed" and failed.attempts == 4 and "ConnectionRefusedError" in failed.last_error
    assert "关工委办公室已答复您的求助。" in main_text(login_as("parent").get("/notices/").get_data(as_text=True))
    log = main_text(login_as("coordinator").get("/notices/deliveries").get_data(as_text=True))
    assert "邮件 发送失败 4 ConnectionRefusedError" in log


def test_an_sms_goes_through_the_gateway_by_day_and_waits_for_the_morning_by_night(world, sms_gateway, monkeypatch):
    received, _state = sms_gateway
    parent = world.users["parent"]
    parent.mobile = "13812345678"
    db.session.commit()
    night = _at(monkeypatch, datetime(2026, 12, 7, 22, 30))
    notices.notify([parent], "registration.promoted", "registration:1", lambda: "您已从候补转为正式报名。", "/parent-school/")
    db.session.commit()

    assert channels.deliver_due(night) == {"sent": 0, "retry": 0, "failed": 0, "waiting": 1, "skipped": 0}
    assert received == [] and _deliveries()[0].next_try_at == datetime(2026, 12, 8, 8, 0)
    assert channels.deliver_due(datetime(2026, 12, 8, 7, 59))["sent"] == 0
    assert channels.deliver_due(datetime(2026, 12, 8, 8, 0))["sent"] == 1
    ((sms,),) = [received]
    assert sms["to"] == ["13812345678"] and sms["user"] == ["school"]
    assert sms["msg"][0].startswith("【关爱桥】您已从候补转为正式报名。")


def test_a_gateway_that_refuses_is_retried_and_a_user_who_turned_sms_off_gets_none(world, sms_gateway,
                                                                                  monkeypatch):
    received, state = sms_gateway
    parent, volunteer = world.users["parent"], world.users["volunteer"]
    parent.mobile, volunteer.mobile, volunteer.notices_by_sms = "13812345678", "13912345678", False
    db.session.commit()
    _at(monkeypatch, NOON)
    state["answer"] = 503
    notices.notify([parent, volunteer], "help.answered", "help:1", lambda: "您的求助已答复。")
    db.session.commit()

    assert channels.deliver_due(NOON)["retry"] == 1
    (waiting,) = _deliveries()
    assert waiting.address == "13812345678" and "503" in waiting.last_error
    state["answer"] = 200
    assert channels.deliver_due(datetime(2026, 12, 7, 12, 1))["sent"] == 1
    assert len(received) == 2 and db.session.scalar(select(Notice.id).where(Notice.user_id == volunteer.id))


def test_the_settings_page_offers_the_channels_the_school_has(world, app, login_as, smtp_server):
    c = login_as("parent")
    page = main_text(c.get("/settings").get_data(as_text=True))
    assert "电子邮箱" in page and "短信" not in page
    c.post_form("/settings", {"ch-email": "wang.mama@example.com", "ch-notices_by_email": "y", "ch-submit": "1"},
                token_from="/settings")
    db.session.expire_all()
    parent = world.users["parent"]
    assert (parent.email, parent.notices_by_email, parent.notices_by_sms) == ("wang.mama@example.com", True, True)
    bad = c.post_form("/settings", {"ch-email": "not-an-address", "ch-submit": "1"}, token_from="/settings")
    assert "请输入有效的电子邮箱地址" in main_text(bad.get_data(as_text=True))


def test_an_sms_goes_to_the_mobile_on_the_guardians_record_when_the_login_has_none(world, sms_gateway, monkeypatch):
    received, _state = sms_gateway
    parent = world.users["parent"]
    assert parent.mobile is None and parent.guardian.mobile
    _at(monkeypatch, NOON)
    notices.notify([parent], "help.answered", "help:1", lambda: "您的求助已答复。")
    db.session.commit()

    assert channels.deliver_due(NOON)["sent"] == 1
    assert received[0]["to"] == [parent.guardian.mobile]


def test_what_is_no_longer_wanted_when_it_goes_is_skipped_with_the_reason(world, sms_gateway, monkeypatch):
    """A reminder held for the morning whose registration was cancelled overnight, and an SMS to a user who turned
    SMS off after it was written, are not sent."""
    received, _state = sms_gateway
    volunteer = world.users["volunteer"]
    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)),
                                       starts_at=datetime(2026, 12, 8, 10, 0), deadline=datetime(2026, 12, 7, 12, 0))
    reg, _ = seats.register(session, world.pupil, world.users["parent"], now=datetime(2026, 12, 6, 9, 0))
    night = _at(monkeypatch, datetime(2026, 12, 7, 18, 0))
    reminders.send_due(night)  # the evening-before reminder; its SMS waits for 08:00
    notices.notify([volunteer], "help.answered", "help:1", lambda: "您的求助已答复。")
    db.session.commit()
    seats.cancel(reg, world.users["coordinator"], datetime(2026, 12, 7, 22, 0), staff=True)
    volunteer.notices_by_sms = False
    db.session.commit()

    assert channels.deliver_due(datetime(2026, 12, 8, 8, 0)) == {"sent": 1, "retry": 0, "failed": 0, "waiting": 0,
                                                                 "skipped": 2}
    ((sms,),) = [received]  # only the office's cancellation, held for the morning too
    assert sms["msg"][0].startswith("【关爱桥】关工委办公室取消了您")
    skipped = sorted(d.last_error for d in _deliveries() if d.status == "skipped")
    assert skipped == ["报名已取消或活动已开始，不再需要提醒。", "用户已关闭这种通知方式。"]


def test_the_offices_morning_notice_goes_to_the_staff_groups_robot_once_and_a_refusal_is_retried(
        app, world, group_robot, login_as, monkeypatch):
    posts, state = group_robot
    app.config["GROUP_BOTS"] = {world.school.id: (state["url"], "")}
    factories.help_request(world.pupil, factories.category(world.school), world.users["parent"])
    notices.save_choices(world.users["coordinator"], {"help.waiting": "off"})  # she reads the group instead
    db.session.commit()
    _at(monkeypatch, NOON)
    state["answer"] = {"errcode": 310000, "errmsg": "keywords not in content"}
    daily.tell_the_office(NOON.date())
    factories.user(world.school, "coordinator", "second_office")  # a new login that morning
    daily.tell_the_office(NOON.date())  # a second run: the new login is told, the group is not posted again

    assert run_at_once(app, lambda: channels.deliver_due(NOON)) == []
    assert len(posts) == 1
    (group,) = [d for d in _deliveries() if d.channel == "group"]
    assert group.status == "pending" and group.last_error == "Refused: errcode 310000: keywords not in content"
    state["answer"] = {"errcode": 0, "errmsg": "ok"}
    assert channels.deliver_due(datetime(2026, 12, 7, 12, 1))["sent"] == 1

    (_query, body), (query, sent) = posts
    assert sent == body and sent["msgtype"] == "text"
    assert sent["text"]["content"].startswith("【关爱桥·滨湖实验小学】1 条家庭求助等待答复")
    assert query == {"access_token": ["abc"]}
    (group,) = [d for d in _deliveries() if d.channel == "group"]
    assert (group.status, group.address, group.notice_id) == ("sent", "127.0.0.1", None)
    log = main_text(login_as("coordinator").get("/notices/deliveries").get_data(as_text=True))
    assert "工作群机器人 已发送" in log and "access_token" not in log and "工作群机器人：已开通" in log


def test_one_robot_for_a_deployment_of_several_schools_posts_nothing(app, world, group_robot, monkeypatch):
    posts, state = group_robot
    app.config["GROUP_BOT_URL"] = state["url"]  # the world holds two schools: whose group would it be?
    factories.help_request(world.pupil, factories.category(world.school), world.users["parent"])
    db.session.commit()
    _at(monkeypatch, NOON)
    daily.tell_the_office(NOON.date())
    channels.deliver_due(NOON)
    assert posts == [] and [d for d in _deliveries() if d.channel == "group"] == []


def test_a_robot_address_written_wrong_never_shows_its_key_in_the_log(app, world, group_robot, login_as, monkeypatch):
    _posts, _state = group_robot
    app.config["GROUP_BOTS"] = {world.school.id: ("qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY", "")}
    _at(monkeypatch, NOON)
    notices.post_to_group(world.school.id, "digest.weekly", "digest:weekly", lambda: "本周概况：一切正常。", "", NOON)
    db.session.commit()
    assert channels.deliver_due(NOON)["retry"] == 1
    (group,) = _deliveries()
    assert "SECRET-KEY" not in group.last_error and group.last_error.startswith("ValueError")
    assert "SECRET-KEY" not in login_as("coordinator").get("/notices/deliveries").get_data(as_text=True)


def test_dingtalk_signs_each_post_with_the_robots_secret(app, world, group_robot, monkeypatch):
    import base64
    import hashlib
    import hmac

    posts, state = group_robot
    app.config["GROUP_BOTS"] = {world.school.id: (state["url"], "SEC123")}
    _at(monkeypatch, NOON)
    notices.post_to_group(world.school.id, "digest.weekly", "digest:weekly", lambda: "本周概况：一切正常。", "", NOON)
    db.session.commit()
    channels.deliver_due(NOON)

    ((query, _body),) = posts
    stamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["abc"]
