"""What the portal tells volunteers and staff by itself (issue 30): a pair started, paused or ended; a visit coming due,
需关注 and 逾期; tomorrow's event; events asking for their skills (if they chose so); a class teacher's need matched;
the event's 责任人 hearing of sign-ups; the office's morning notices and weekly digest. Each exactly once."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.events import services as events
from portal.events import signup
from portal.extensions import db
from portal.jobs import huey
from portal.notices import daily, reminders
from portal.notices import services as notices
from portal.notices.models import Notice
from portal.pairs import services as pairs
from tests import factories
from tests.events.test_services import event_data
from tests.pairs.test_capacity import menu_categories

MONDAY = date(2026, 12, 7)


def _notices(user, kind=None) -> list[Notice]:
    db.session.expire_all()
    stmt = select(Notice).where(Notice.user_id == user.id)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    return db.session.scalars(stmt.order_by(Notice.id)).all()


def _pair(world, started_on=MONDAY, cats=None):
    cats = cats or menu_categories(world)
    office = world.users["coordinator"]
    need = factories.need(world.pupil, cats.study, office)
    offer = factories.offer(world.volunteer, cats.study, office, capacity=2)
    pair, _new = pairs.create_pair(office, [need], [offer], started_on)
    pairs.move(office, pair, "confirm")
    return pair


def test_a_pair_tells_its_volunteer_when_it_starts_pauses_and_ends_and_the_class_teacher_when_matched(world):
    office, volunteer = world.users["coordinator"], world.users["volunteer"]
    pair = _pair(world)
    pairs.move(office, pair, "pause")
    pairs.end(office, pair, "goal", "", False, MONDAY)

    said = [(n.kind, n.text) for n in _notices(volunteer)]
    assert [kind for kind, _text in said] == ["pair.started", "pair.started", "pair.paused", "pair.ended"]
    assert "您将帮扶王小明（学业辅导）" in said[0][1] and "已确认" in said[1][1] and "暂停" in said[2][1]
    assert "已结束：目标达成" in said[3][1]
    (matched,) = _notices(world.users["teacher"])
    assert matched.kind == "need.matched" and "王小明" in matched.text and "张建国" in matched.text
    assert _notices(world.users["parent"]) == []  # a family hears nothing of a pair through notices


def test_a_volunteer_hears_of_a_visit_due_then_attention_then_overdue_each_once(world):
    volunteer = world.users["volunteer"]
    pair = _pair(world, started_on=MONDAY - timedelta(days=40))
    db.session.expire_all()

    told = []
    for days in (10, 11, 11, 13, 14, 20, 30, 31):
        daily.follow_up_pairs(pair.started_on + timedelta(days=days))
        told.append([n.kind for n in _notices(volunteer) if n.kind in ("visit.due", "pair.attention", "pair.overdue")])
    assert told[0] == [] and told[1] == told[2] == told[3] == ["visit.due"]
    assert told[4] == told[5] == ["visit.due", "pair.attention"]
    assert told[6] == told[7] == ["visit.due", "pair.attention", "pair.overdue"]
    overdue = _notices(volunteer, "pair.overdue")[0]
    assert overdue.text.startswith("逾期：") and overdue.url == f"/pairs/{pair.id}"


def test_a_visit_starts_a_new_stretch(world):
    volunteer = world.users["volunteer"]
    pair = _pair(world, started_on=MONDAY - timedelta(days=40))
    daily.follow_up_pairs(pair.started_on + timedelta(days=11))
    pairs.add_visit(volunteer, db.session.get(type(pair), pair.id), world.volunteer.id,
                    {"visited_on": pair.started_on + timedelta(days=12), "mode": "talk", "content": "聊了学习",
                     "hours": "1"}, MONDAY)
    daily.follow_up_pairs(pair.started_on + timedelta(days=14))  # 2 days after the visit: nothing due
    assert len(_notices(volunteer, "visit.due")) == 1
    daily.follow_up_pairs(pair.started_on + timedelta(days=23))  # 11 days after it
    assert len(_notices(volunteer, "visit.due")) == 2


def test_a_volunteer_helping_tomorrow_is_reminded_at_18_once(app, world, monkeypatch):
    office, volunteer = world.users["coordinator"], world.users["volunteer"]
    tomorrow = MONDAY + timedelta(days=1)
    event = events.save_event(office, None, event_data(day=tomorrow, deadline_day=MONDAY, capacity=0,
                                                       for_parents=False))
    signup.sign_up(event, world.volunteer, "speaker", office, now=datetime.combine(MONDAY, time(9)))

    assert reminders.send_due(datetime.combine(MONDAY, time(17, 59))) == 0
    assert reminders.send_due(datetime.combine(MONDAY, time(18, 0))) == 1
    assert reminders.send_due(datetime.combine(MONDAY, time(18, 1))) == 0
    (told,) = _notices(volunteer, "event.tomorrow")
    assert told.text.startswith("明天您担任") and "主讲" in told.text and "学校报告厅" in told.text


def test_the_events_lead_hears_of_each_sign_up_and_withdrawal(world):
    office, teacher = world.users["coordinator"], world.users["teacher"]
    event = events.save_event(office, None, event_data(lead_ids=[teacher.id]))
    helper = signup.sign_up(event, world.volunteer, "helper", office)
    signup.withdraw(helper, office)
    signup.withdraw(helper, office)  # a second tab: withdrawn already, nothing told again

    signed, withdrew = _notices(teacher, "event.signup")
    assert "张建国报名参加" in signed.text and "张建国退出了" in withdrew.text


def test_only_volunteers_who_chose_so_hear_of_events_asking_for_their_skills(world):
    office = world.users["coordinator"]
    keen = world.users["volunteer"]
    world.volunteer.skills = "法治宣传、书法"
    other = factories.volunteer(world.school, "李大爷")
    other.skills = "法治宣传"
    quiet = factories.user(world.school, "volunteer", "li_volunteer", volunteer_id=other.id)
    db.session.commit()
    notices.save_choices(keen, {"event.needs_you": "now"})

    events.save_event(office, None, event_data(title="法治宣传进校园", helpers_needed=2))
    events.save_event(office, None, event_data(title="红色故事会", helpers_needed=2))  # not their skills

    (told,) = _notices(keen, "event.needs_you")
    assert "法治宣传进校园" in told.text and "协助 2 人" in told.text
    assert _notices(quiet) == []


def test_the_office_hears_each_morning_of_what_waits_and_on_monday_the_weeks_digest(world, monkeypatch):
    office, teacher = world.users["coordinator"], world.users["teacher"]
    cats = menu_categories(world)
    factories.help_request(world.pupil, cats.study, world.users["parent"])
    old = factories.hour_entry(world.volunteer, world.users["volunteer"], day=MONDAY - timedelta(days=6))
    old.created_at = datetime.combine(MONDAY - timedelta(days=5), time(9))
    factories.hour_entry(world.volunteer, world.users["volunteer"], day=MONDAY)  # new today: not yet waiting long
    db.session.commit()

    assert daily.tell_the_office(MONDAY) > 0
    assert daily.tell_the_office(MONDAY) == 0  # a second run that morning tells nothing more
    (help_waiting,) = _notices(office, "help.waiting")
    assert help_waiting.text.startswith("1 条家庭求助等待答复") and help_waiting.url == "/help/"
    (hours_waiting,) = _notices(office, "hours.waiting")
    assert hours_waiting.text.startswith("1 条志愿者服务时长已等您审核超过 3 天")
    assert _notices(teacher, "help.waiting") == []

    _pair(world, started_on=MONDAY - timedelta(days=35), cats=cats)
    daily.weekly_digest(MONDAY)
    (digest,) = _notices(office, "digest.weekly")
    assert "1 个结对一个月没有走访" in digest.text


def test_the_runner_has_the_daily_and_weekly_tasks_at_local_times():
    def due(moment):
        return {t.name for t in huey.read_periodic(moment)}

    assert "tell_the_office" in due(datetime(2026, 12, 7, 0, 30)) and "weekly_digest" in due(datetime(2026, 12, 7, 0, 30))
    assert "weekly_digest" not in due(datetime(2026, 12, 8, 0, 30))  # Tuesday
    assert "follow_up_pairs" in due(datetime(2026, 12, 7, 1, 0))
