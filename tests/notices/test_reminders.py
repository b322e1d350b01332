"""Reminders at their local time, exactly once (issue 30): with the clock held, a family registered for a session
on 10 December at 19:00 is reminded at 18:00 the evening before and at 17:00 on the day, once each, whoever runs
the job and however often."""
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.core import clock
from portal.extensions import db
from portal.jobs import at_local, huey
from portal.notices import reminders
from portal.notices.models import Notice
from portal.registrations import services as seats
from tests import factories
from tests.helpers import run_at_once

START = datetime(2026, 12, 10, 19, 0)


@pytest.fixture
def registered(world):
    session = factories.course_session(factories.course(world.school, world.users["coordinator"], grades=(3,)),
                                       starts_at=START, deadline=datetime(2026, 12, 9, 12, 0), place="学校报告厅")
    reg, _ = seats.register(session, world.pupil, world.users["parent"], now=datetime(2026, 12, 1, 9, 0))
    return session, reg


def _run_at(monkeypatch, moment: datetime) -> int:
    monkeypatch.setattr(clock, "_wall", lambda: moment)
    return reminders.send_due(moment)


def _reminders(world) -> list[tuple[str, datetime, str]]:
    db.session.expire_all()
    return [(n.kind, n.due_at, n.text) for n in db.session.scalars(
        select(Notice).where(Notice.user_id == world.users["parent"].id).order_by(Notice.id))]


def test_the_evening_before_and_two_hours_before_each_once(world, registered, monkeypatch):
    session, reg = registered
    assert _run_at(monkeypatch, datetime(2026, 12, 9, 17, 59)) == 0
    _run_at(monkeypatch, datetime(2026, 12, 9, 18, 0))
    _run_at(monkeypatch, datetime(2026, 12, 9, 18, 1))  # the next minute's run
    (evening,) = _reminders(world)
    assert evening[:2] == ("reminder.day_before", datetime(2026, 12, 9, 18, 0))
    assert evening[2] == (f"明天：家长学校：{session.label}，2026年12月10日 (周四) 19:00，学校报告厅。"
                          f"签到码是 {reg.code}。")

    _run_at(monkeypatch, datetime(2026, 12, 10, 16, 59))
    assert len(_reminders(world)) == 1
    _run_at(monkeypatch, datetime(2026, 12, 10, 17, 0))
    _run_at(monkeypatch, datetime(2026, 12, 10, 18, 30))
    _run_at(monkeypatch, datetime(2026, 12, 10, 19, 0))  # started: nothing more
    kinds = [(kind, due) for kind, due, _text in _reminders(world)]
    assert kinds == [("reminder.day_before", datetime(2026, 12, 9, 18, 0)),
                     ("reminder.hours_before", datetime(2026, 12, 10, 17, 0))]
    assert _reminders(world)[1][2].startswith("两小时后：家长学校：")


def test_two_runners_at_the_same_moment_send_one_reminder(app, world, registered, monkeypatch):
    moment = datetime(2026, 12, 10, 17, 0)
    monkeypatch.setattr(clock, "_wall", lambda: moment)
    errors = run_at_once(app, lambda: reminders.send_due(moment))

    assert errors == []
    assert [kind for kind, _due, _text in _reminders(world)] == ["reminder.hours_before"]


def test_a_family_registering_on_the_day_is_told_today_and_a_cancelled_one_is_not_reminded(world, registered,
                                                                                            monkeypatch):
    session, reg = registered
    other = factories.family(world.school, "李家")
    child = factories.student(world.own_class, "李小华", family=other)
    seats.cancel(reg, world.users["coordinator"], datetime(2026, 12, 8, 9, 0), staff=True)
    late, _ = seats.register(session, child, world.users["coordinator"], now=datetime(2026, 12, 9, 11, 0))
    mother = factories.user(world.school, "parent", "li_mother", guardian_id=other.guardians[0].id)

    _run_at(monkeypatch, datetime(2026, 12, 10, 9, 0))

    (told,) = db.session.scalars(select(Notice).where(Notice.kind.like("reminder.%"))).all()
    assert told.user_id == mother.id and told.kind == "reminder.day_before"
    assert told.text.startswith("今天：") and f"签到码是 {late.code}" in told.text


def test_the_runner_matches_its_tasks_at_the_schools_local_times():
    # The runner compares in UTC: 02:15 in Shanghai is 18:15 UTC the day before.
    due = {t.name for t in huey.read_periodic(datetime(2026, 12, 6, 18, 15))}
    assert {"retention_run", "send_reminders"} <= due
    assert "retention_run" not in {t.name for t in huey.read_periodic(datetime(2026, 12, 7, 2, 15))}
    assert at_local(7, 30)(datetime(2026, 12, 6, 23, 30)) and not at_local(7, 30)(datetime(2026, 12, 7, 7, 30))
