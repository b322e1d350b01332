"""The job runner as `make run` starts it (`huey_consumer portal.jobs.huey`), on a database of the test's own: a
family registered for a session starting within two hours is reminded by it, and a runner restarted does not
remind it again."""
import subprocess
import time
from datetime import timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.notices.models import Notice
from portal.people.models import School
from portal.registrations import services as seats
from tests import factories
from tests.conftest import make_config, require
from tests.reliability.harness import BIN, ROOT, env_for, seed_office


def _reminders(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Notice.kind, Notice.text).where(Notice.kind.like("reminder.%"))).all()
    finally:
        engine.dispose()


def _seed_registration(url: str) -> str:
    """A session of the seeded school in an hour and a half, a family registered with a parent login; its code."""
    app = create_app(make_config(url))
    with app.app_context():
        school = db.session.scalar(select(School).order_by(School.id))
        office = db.session.scalar(select(User).where(User.role == "coordinator"))
        family = factories.family(school, "周家")
        child = factories.student(factories.school_class(school, 3), "周小雨", family=family)
        factories.user(school, "parent", "zhou_mother", guardian_id=family.guardians[0].id)
        start = (seats.local_now() + timedelta(minutes=90)).replace(second=0, microsecond=0)
        session = factories.course_session(factories.course(school, office, grades=(3,)), starts_at=start,
                                           deadline=start - timedelta(minutes=30))
        reg, _ = seats.register(session, child, office)
        code = reg.code
        db.session.remove()
        db.engine.dispose()
    return code


def _run_consumer(url: str, tmp_path, until, timeout: float = 30) -> None:
    env = {**env_for(url), "JOBS_DB": str(tmp_path / "jobs.db")}
    with open(tmp_path / "jobs.log", "ab") as log:
        runner = subprocess.Popen([str(BIN / "huey_consumer"), "portal.jobs.huey", "--workers", "2",
                                   "--worker-type", "thread"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not until():
            assert runner.poll() is None, (tmp_path / "jobs.log").read_text()[-2000:]
            assert time.monotonic() < deadline, (tmp_path / "jobs.log").read_text()[-2000:]
            time.sleep(0.3)
    finally:
        runner.terminate()
        runner.wait(timeout=15)


def test_the_runner_reminds_a_family_two_hours_before_and_once_across_a_restart(new_db_url, tmp_path):
    require((BIN / "huey_consumer").exists(), "huey is not installed in the virtualenv")
    url = new_db_url("jobs")
    seed_office(url, volunteers=0)
    code = _seed_registration(url)

    _run_consumer(url, tmp_path, until=lambda: _reminders(url))
    ((kind, text),) = _reminders(url)
    assert kind == "reminder.hours_before" and text.startswith("两小时后：家长学校：") and code in text

    # Started again: its first minute runs the reminders once more, and they find the reminder sent.
    log = tmp_path / "jobs.log"
    def reminder_runs() -> int:
        return sum("send_reminders" in line and "executed in" in line for line in log.read_text().splitlines())

    before = reminder_runs()
    _run_consumer(url, tmp_path, until=lambda: reminder_runs() > before)
    assert len(_reminders(url)) == 1
