"""The job runner (Huey): what the portal does by itself at the school's local times.

`huey_consumer portal.jobs.huey` runs it; `make run` starts it beside gunicorn and docker compose as its own
service. Its queue is a SQLite file in the instance folder, so one machine needs nothing else, or Redis when
REDIS_URL is set (several app servers). Every task is safe to run twice: reminders are keyed by their due time
(notices/reminders.py), and the retention run removes only what is still there.
"""
import os
import threading

from huey import RedisHuey, SqliteHuey, crontab

from .config import INSTANCE_DIR

# The runner matches crontabs in UTC. China keeps no daylight saving, so a Shanghai wall-clock hour is always
# eight hours ahead.
SHANGHAI_AHEAD_OF_UTC = 8


def make_huey(environ=os.environ):
    if environ.get("REDIS_URL"):
        return RedisHuey("carebridge", url=environ["REDIS_URL"])
    return SqliteHuey("carebridge", filename=environ.get("JOBS_DB") or str(INSTANCE_DIR / "jobs.db"))


huey = make_huey()


def at_local(hour: int, minute: int, day_of_week: str = "*"):
    """A crontab at a Shanghai wall-clock time, daily or on a day of the week (0 is Sunday; a weekly one must be
    at 08:00 or later, when Shanghai's day is UTC's too)."""
    if day_of_week != "*" and hour < SHANGHAI_AHEAD_OF_UTC:
        raise ValueError("a weekly task before 08:00 Shanghai time falls on the day before in UTC")
    return crontab(minute=str(minute), hour=str((hour - SHANGHAI_AHEAD_OF_UTC) % 24), day_of_week=day_of_week)


_app = None
_making = threading.Lock()


def app():
    """The portal, made once per runner process (its worker threads share it), configured from the environment as
    wsgi.py is."""
    global _app
    with _making:
        if _app is None:
            from . import create_app
            _app = create_app()
    return _app


@huey.periodic_task(crontab(minute="*"))
def send_reminders():
    from .core.clock import local_now
    from .notices import reminders

    with app().app_context():
        now = local_now()
        return reminders.send_due(now) + reminders.after_sessions(now)


@huey.periodic_task(crontab(minute="*"))
def deliver_notices():
    from .notices import channels

    with app().app_context():
        return channels.deliver_due()


@huey.periodic_task(at_local(9, 0))
def follow_up_pairs():
    from .core.clock import local_today
    from .notices import daily

    with app().app_context():
        return daily.follow_up_pairs(local_today())


@huey.periodic_task(at_local(9, 0))
def remind_unregistered():
    from .core.clock import local_today
    from .parent_school import services as parent_school

    with app().app_context():
        return parent_school.remind_before_deadlines(local_today())


@huey.periodic_task(at_local(8, 30))
def tell_the_office():
    from .core.clock import local_today
    from .notices import daily

    with app().app_context():
        return daily.tell_the_office(local_today())


@huey.periodic_task(at_local(8, 30, day_of_week="1"))
def weekly_digest():
    from .core.clock import local_today
    from .notices import daily

    with app().app_context():
        return daily.weekly_digest(local_today())


@huey.periodic_task(at_local(2, 15))
def retention_run():
    from .people import retention

    with app().app_context():
        retention.run_all()


@huey.periodic_task(at_local(3, 0))
def forget_old_notices():
    from .notices import services as notices

    with app().app_context():
        return notices.forget_old()
