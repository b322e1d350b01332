"""Announcements (通知, issue 30 item 3): staff write to an audience, each login of it finds one notice in the bell and
opens the announcement, confirms it when asked; the sender sees 已确认 1 / 3 and reminds the unread, once a day."""
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.announcements import services as announcements
from portal.announcements.models import Announcement, AnnouncementReceipt, AnnouncementRecipient
from portal.core.clock import local_today
from portal.core.errors import DomainError
from portal.extensions import db
from portal.notices.models import Notice
from portal.registrations import services as seats
from tests import factories
from tests.announcements.conftest import bell, notices_of, options
from tests.helpers import audits, client_for, count, field_error, flash_text, follow, main_text, post_at_once, send
from tests.notices.conftest import at

BODY = "各位家长：\n下周三下午3:30开家长会。\n<b>请准时</b>"


def _write(c, audience, title="下周三家长会", body=BODY, confirm=True, **more):
    """The form sent as the sender fills it in; returns the answer."""
    page = c.get("/announcements/new").get_data(as_text=True)
    fields = {"audience": audience, "title": title, "body": body, **more}
    if confirm:
        fields["confirm"] = "y"
    return send(c, page, "", page="/announcements/new", **fields)


def _only(model=Announcement) -> Announcement:
    db.session.expire_all()
    (row,) = db.session.scalars(select(model)).all()
    return row


def test_the_office_writes_to_a_class_and_each_login_confirms_from_its_bell(app, world, klass, login_as):
    office = login_as("coordinator")
    assert f"class:{world.own_class.id}" in options(office.get("/announcements/new").get_data(as_text=True))

    receipts = follow(office, _write(office, f"class:{world.own_class.id}"))

    ann = _only()
    assert flash_text(receipts) == "通知已发给三年级2班家长。"
    page = main_text(receipts)
    assert "已确认 0 / 3" in page and "1 户家庭没有账号，请电话通知。" in page
    assert "陈小东家" in page and "没有账号，请电话通知" in page.split("陈小东家")[1]
    assert "提醒未确认的 2 户家庭" in page  # the families with a login
    # One notice for each login of the class's families; no one else hears of it.
    for reader in (klass.parent, klass.mother, klass.father):
        (told,) = notices_of(reader)
        assert told.text == "通知：下周三家长会（需确认已读）" and told.url == f"/announcements/{ann.id}"
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 3
    assert [a.detail for a in audits("announcement.send")] == [
        f"audience=class:{world.own_class.id} recipients=3 logins=3 confirm=1"]

    # The parent finds it in the bell, opens it: the text as written (markup shown as text), who sent it, a button.
    phone = client_for(app, klass.parent)
    assert bell(phone.get("/").get_data(as_text=True)) == "消息，1 条未读"
    opened = phone.get(f"/notices/{notices_of(klass.parent)[0].id}")
    assert opened.headers["Location"] == f"/announcements/{ann.id}"
    html = phone.get(opened.headers["Location"]).get_data(as_text=True)
    assert "各位家长：\n下周三下午3:30开家长会。\n&lt;b&gt;请准时&lt;/b&gt;" in html and "<b>请准时" not in html
    assert "coordinator" in main_text(html) and "我已阅读" in html  # the office account's display name
    assert bell(html) == "消息，0 条未读"

    done = follow(phone, send(phone, html, f"/announcements/{ann.id}/confirm"))
    assert flash_text(done) == "谢谢！发通知的老师能看到您已阅读。"
    assert "已确认" in main_text(done) and "我已阅读" not in done
    again = phone.post_form(f"/announcements/{ann.id}/confirm", token_from=f"/announcements/{ann.id}")
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AnnouncementReceipt)) == 1

    # The mother opens it from the link in her e-mail (not the bell): that is read too, not confirmed.
    client_for(app, klass.mother).get(f"/announcements/{ann.id}")
    assert notices_of(klass.mother)[0].read_at is not None
    page = main_text(office.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True))
    assert "已确认 1 / 3" in page and "已打开 2" in page and "提醒未确认的 1 户家庭" in page
    assert "已确认 1 / 3" in main_text(office.get("/announcements/").get_data(as_text=True))


def test_reminding_reaches_only_the_unread_and_only_once_a_day(app, world, klass, login_as, monkeypatch):
    office = login_as("coordinator")
    follow(office, _write(office, f"class:{world.own_class.id}", confirm=False))
    ann = _only()
    client_for(app, klass.parent).get(f"/announcements/{ann.id}")  # she has read it

    page = office.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True)
    assert "已读 1 / 3" in main_text(page)
    done = follow(office, send(office, page, f"/announcements/{ann.id}/remind"))

    assert flash_text(done) == "已提醒 1 户未读的家庭。"
    assert "今天已提醒" in main_text(done) and "提醒未读的" not in done
    assert len(notices_of(klass.parent)) == 1
    for reader in (klass.mother, klass.father):
        first, reminder = notices_of(reader)
        assert reminder.text == "提醒：请阅读通知“下周三家长会”。" and reminder.read_at is None
        assert reminder.due_at == datetime.combine(local_today(), time.min)
    assert [a.detail for a in audits("announcement.remind")] == ["recipients=1 logins=2"]

    # A second tap the same day (another tab, the back button) tells no one again.
    again = follow(office, office.post_form(f"/announcements/{ann.id}/remind", token_from="/settings"))
    assert flash_text(again) == "错误： 今天已经提醒过未读的人，明天可以再次提醒。"
    assert len(notices_of(klass.mother)) == 2 and len(audits("announcement.remind")) == 1

    # The next morning the father reads it; the mother's family has read it then, and nobody is left to remind.
    at(monkeypatch, datetime.combine(local_today() + timedelta(days=1), time(8, 0)))
    page = office.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True)
    assert "提醒未读的 1 户家庭" in main_text(page) and "上次提醒" in main_text(page)
    client_for(app, klass.father).get(f"/announcements/{ann.id}")
    page = main_text(office.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True))
    assert "已读 2 / 3" in page and "有账号的人都已读。" in page and "提醒未读的" not in page
    with pytest.raises(DomainError, match="没有需要提醒的人"):
        announcements.remind(world.users["coordinator"], ann, local_today())


def test_a_class_teacher_writes_to_her_own_class_only_and_sees_her_own_receipts(app, world, klass, login_as):
    teacher = login_as("teacher")
    form = teacher.get("/announcements/new").get_data(as_text=True)
    assert options(form) == ["", f"class:{world.own_class.id}"]

    refused = _write(teacher, f"class:{world.other_class.id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and field_error(html, "audience") == "请从列表中选择发给谁。"
    assert count(Announcement) == 0 and count(Notice) == 0

    mine = follow(teacher, _write(teacher, f"class:{world.own_class.id}", title="春游带好水杯"))
    assert "已确认 0 / 3" in main_text(mine)
    office = login_as("coordinator")
    follow(office, _write(office, "staff", title="周五教职工大会"))
    staff_one = db.session.scalar(select(Announcement).where(Announcement.title == "周五教职工大会"))

    listed = main_text(teacher.get("/announcements/").get_data(as_text=True))
    assert "春游带好水杯" in listed and "周五教职工大会" not in listed
    # The office's announcement to all staff reached her: she reads it and confirms, but its receipts are not hers.
    assert teacher.get(f"/announcements/{staff_one.id}").status_code == 200
    assert teacher.get(f"/announcements/{staff_one.id}/receipts").status_code == 403
    assert teacher.post_form(f"/announcements/{staff_one.id}/remind", token_from="/settings").status_code == 403
    assert "周五教职工大会" in main_text(office.get("/announcements/").get_data(as_text=True))
    hers = db.session.scalar(select(Announcement).where(Announcement.title == "春游带好水杯"))
    assert office.get(f"/announcements/{hers.id}/receipts").status_code == 200  # the office sees all


def test_a_parent_opens_only_what_was_addressed_to_her(app, world, klass, login_as):
    neighbour = factories.family(world.school, "赵家")
    factories.student(world.other_class, "赵小军", family=neighbour)
    factories.user(world.school, "parent", "zhao", guardian_id=neighbour.guardians[0].id)
    far_parent = factories.user(world.far, "parent", "far_parent", guardian_id=world.far_family.guardians[0].id)
    factories.student(world.far_class, "钱小贝", family=world.far_family)
    far_office = factories.user(world.far, "coordinator", "far_office")
    office = world.users["coordinator"]
    ours, _ = announcements.send(office, {"audience": f"class:{world.own_class.id}", "title": "本班通知", "body": "x"})
    theirs, _ = announcements.send(office, {"audience": f"class:{world.other_class.id}", "title": "四年级通知",
                                            "body": "x", "confirm": True})
    far, _ = announcements.send(far_office, {"audience": f"class:{world.far_class.id}", "title": "远方通知",
                                             "body": "x"})
    assert len(notices_of(far_parent)) == 1

    phone = login_as("parent")
    assert phone.get(f"/announcements/{ours.id}").status_code == 200
    assert phone.get(f"/announcements/{theirs.id}").status_code == 404
    assert phone.get(f"/announcements/{far.id}").status_code == 404
    assert phone.post_form(f"/announcements/{theirs.id}/confirm", token_from="/settings").status_code == 404
    assert phone.get("/announcements/").status_code == 403 and phone.get("/announcements/new").status_code == 403
    assert login_as("volunteer").get(f"/announcements/{ours.id}").status_code == 404
    assert login_as("coordinator").get(f"/announcements/{far.id}").status_code == 404
    assert count(AnnouncementReceipt) == 0


def test_sending_and_its_notices_roll_back_together_when_the_audit_write_fails(world, klass, monkeypatch):
    def audit_fails(*_args, **_kw):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(announcements, "record", audit_fails)  # the last step of sending
    with pytest.raises(RuntimeError):
        announcements.send(world.users["coordinator"], {"audience": f"class:{world.own_class.id}", "title": "家长会",
                                                        "body": "下周三"})

    assert (count(Announcement), count(AnnouncementRecipient), count(Notice)) == (0, 0, 0)


def test_a_double_tap_or_back_and_send_again_sends_once(app, world, klass, login_as):
    office = factories.user(world.school, "coordinator", "office2")
    tabs = [client_for(app, office), client_for(app, office)]
    page = tabs[0].get("/announcements/new").get_data(as_text=True)
    token = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    data = {"submit_token": token, "audience": f"class:{world.own_class.id}", "title": "家长会", "body": "下周三"}
    answers = post_at_once(tabs, "/announcements/new", [{**data, "csrf_token": tab.csrf("/settings")} for tab in tabs])
    assert sorted(a.status_code for a in answers) == [302, 302]

    # Back, and 发送 again on the form the browser fetched afresh (a new submit token, the same content).
    again = _write(tabs[0], f"class:{world.own_class.id}", title="家长会", body="下周三", confirm=False)
    assert "这条通知已经发出，没有重复发送。" in flash_text(follow(tabs[0], again))
    assert count(Announcement) == 1 and count(AnnouncementRecipient) == 3
    assert [len(notices_of(u)) for u in (klass.parent, klass.mother, klass.father)] == [1, 1, 1]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "请填写通知的标题。"),
    ({"title": "长" * 61}, "title", "标题请不超过 60 个字。"),
    ({"body": "  "}, "body", "请填写通知的正文。"),
    ({"body": "字" * 2001}, "body", "正文请不超过 2000 个字。"),
    ({"body": "a\x00b"}, "body", "含有不允许的字符。"),
    ({"audience": ""}, "audience", "请从列表中选择发给谁。"),
    ({"audience": "class:99999999999999999999"}, "audience", "请从列表中选择发给谁。"),
    ({"audience": "grade:"}, "audience", "请从列表中选择发给谁。"),
])
def test_bad_input_gets_a_chinese_message_beside_the_field_and_saves_nothing(world, klass, login_as, changes, field,
                                                                           message):
    office = login_as("coordinator")
    r = _write(office, **{"audience": f"class:{world.own_class.id}", **changes})
    assert r.status_code == 200
    assert field_error(r.get_data(as_text=True), field) == message
    assert (count(Announcement), count(Notice)) == (0, 0)


def test_a_long_text_with_line_breaks_counts_each_break_once(world, klass, login_as):
    office = login_as("coordinator")
    lines = ["一行字"] * 500  # 1,999 characters as the text box counts them; 2,498 as the browser sends them
    follow(office, _write(office, f"class:{world.own_class.id}", body="\r\n".join(lines)))
    assert _only().body == "\n".join(lines)


def test_an_audience_with_nobody_to_reach_is_refused(world, login_as):
    office = login_as("coordinator")
    empty = _write(office, f"class:{world.other_class.id}")  # its one child has no family on record
    assert field_error(empty.get_data(as_text=True), "audience") == "“四年级1班家长”中没有可以发送的对象。"
    factories.student(world.other_class, "孙小雨", family=factories.family(world.school, "孙家"))
    unreached = _write(office, f"class:{world.other_class.id}")
    assert field_error(unreached.get_data(as_text=True), "audience").startswith("“四年级1班家长”中还没有人开通账号")
    assert (count(Announcement), count(Notice)) == (0, 0)


def test_volunteers_staff_grades_and_registered_families(world, klass, login_as):
    office = world.users["coordinator"]
    quiet = factories.volunteer(world.school, "李桂英")  # no login: the office phones her
    ann, _ = announcements.send(office, {"audience": "volunteers", "title": "重阳敬老", "body": "x"})
    assert [n.text for n in notices_of(world.users["volunteer"])] == ["通知：重阳敬老"]
    page = main_text(login_as("coordinator").get(f"/announcements/{ann.id}/receipts").get_data(as_text=True))
    assert "已读 0 / 2" in page and "1 位没有账号，请电话通知。" in page and "提醒未读的 1 位" in page
    assert quiet.name in page

    ann, _ = announcements.send(office, {"audience": "staff", "title": "教职工大会", "body": "x"})
    told = {n.user_id for n in db.session.scalars(select(Notice).where(Notice.subject == ann.subject))}
    assert told == {world.users["admin"].id, world.users["teacher"].id}  # not the sender, nor parents or volunteers

    fourth = factories.family(world.school, "周家")
    factories.student(world.other_class, "周小北", family=fourth)
    zhou = factories.user(world.school, "parent", "zhou", guardian_id=fourth.guardians[0].id)
    ann, _ = announcements.send(office, {"audience": "grade:4", "title": "四年级家长", "body": "x"})
    assert {n.user_id for n in db.session.scalars(select(Notice).where(Notice.subject == ann.subject))} == {zhou.id}

    session = factories.course_session(factories.course(world.school, office, grades=(3, 4)), capacity=1)
    seats.register(session, world.pupil, klass.parent)  # a seat
    waiting, _ = seats.register(session, factories.student(world.own_class, "李小华二", family=klass.both), klass.mother)
    cancelled, _ = seats.register(session, factories.student(world.other_class, "周小南", family=fourth), zhou)
    seats.cancel(cancelled, zhou)
    db.session.commit()
    assert waiting.status == "waitlisted"
    page = login_as("coordinator").get("/announcements/new").get_data(as_text=True)
    assert f"session:{session.id}" in options(page) and "家长学校：新生家长入学适应" in page
    ann, _ = announcements.send(office, {"audience": f"session:{session.id}", "title": "改到礼堂", "body": "x"})
    told = {n.user_id for n in db.session.scalars(select(Notice).where(Notice.subject == ann.subject))}
    assert told == {klass.parent.id, klass.mother.id, klass.father.id}  # registered or waiting, not cancelled


def test_the_list_is_newest_first_and_pages_with_htmx(app, world, klass, login_as):
    office = world.users["coordinator"]
    for title in ("第一条", "第二条"):
        announcements.send(office, {"audience": f"class:{world.own_class.id}", "title": title, "body": "x"})
    c = login_as("coordinator")
    page = main_text(c.get("/announcements/").get_data(as_text=True))
    assert page.index("第二条") < page.index("第一条") and page.count("已读 0 / 3") == 2
    part = c.htmx("/announcements/?page=1").get_data(as_text=True)
    assert "<html" not in part and "第一条" in part


def test_a_teacher_sees_only_her_classes_children_and_no_receipts_once_the_class_is_not_hers(world, klass,
                                                                                            login_as):
    sister = factories.student(world.other_class, "王小妹", family=world.pupil.family)
    teacher = login_as("teacher")
    follow(teacher, _write(teacher, f"class:{world.own_class.id}", title="春游带好水杯"))
    ann = _only()
    page = main_text(teacher.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True))
    assert "王小明（三年级2班）" in page and sister.name not in page
    assert sister.name in main_text(login_as("coordinator").get(f"/announcements/{ann.id}/receipts")
                                    .get_data(as_text=True))  # the office sees the whole family

    world.users["teacher"].classes = []
    db.session.commit()
    assert teacher.get(f"/announcements/{ann.id}/receipts").status_code == 403


def test_marking_all_notices_read_does_not_count_an_announcement_as_read(world, klass, login_as):
    office = login_as("coordinator")
    follow(office, _write(office, f"class:{world.own_class.id}", title="春游带好水杯", confirm=False))
    ann = _only()
    parent = login_as("parent")
    parent.post_form("/notices/read", token_from="/notices/")

    assert notices_of(klass.parent)[0].read_at is None
    assert "已读 0 / 3" in main_text(office.get(f"/announcements/{ann.id}/receipts").get_data(as_text=True))
