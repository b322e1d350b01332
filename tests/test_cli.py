"""flask seed-demo, create-admin and backup."""
import sqlite3
import subprocess

from sqlalchemy import func, make_url, select

from portal.auth.models import User
from portal.extensions import db
from portal.people.models import SchoolClass, Student, SupportTag, Volunteer, student_tags
from tests.conftest import require


def test_seed_demo_writes_a_believable_school(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "演示数据已写入" in result.output
    students = db.session.scalar(select(func.count()).select_from(Student))
    assert 850 <= students <= 950
    assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 24
    kinds = set(db.session.scalars(select(Volunteer.kind)))
    assert kinds == {"老干部", "老战士", "老专家", "老教师", "老模范"}
    assert {u.username for u in db.session.scalars(select(User))} == {"admin", "coordinator", "teacher", "volunteer",
                                                                     "parent", "district", "officer"}
    tagged = db.session.scalars(select(Student).join(student_tags).distinct()).all()
    assert tagged and all(s.active_consent for s in tagged)
    assert db.session.scalar(select(func.count()).select_from(SupportTag)) == 7


def test_seed_demo_refuses_a_database_with_data_but_if_empty_passes(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0 and "已有数据" in again.output
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0


def test_demo_accounts_log_in(app):
    from tests.conftest import Client

    app.test_cli_runner().invoke(args=["seed-demo"])
    for username in ("admin", "coordinator", "teacher", "volunteer", "parent", "district", "officer"):
        assert Client(app).login(username, "guanai-demo").status_code == 302, username


def test_create_admin(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "--username", "head", "--name", "王主任",
                                                "--school", "新学校", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "head"))
    assert user.role == "admin" and user.school.name == "新学校"
    short = app.test_cli_runner().invoke(args=["create-admin", "--username", "x", "--name", "x", "--school", "y",
                                               "--password", "short"])
    assert short.exit_code != 0 and "至少 8 位" in short.output


def test_backup_makes_a_consistent_copy(app, tmp_path):
    app.test_cli_runner().invoke(args=["seed-demo"])
    expected = db.session.scalar(select(func.count()).select_from(Student))
    target = tmp_path / "backup.db"
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        target = tmp_path / "backup.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(target) as copy:
            assert copy.execute("select count(*) from student").fetchone()[0] == expected
    else:
        require(subprocess.run(["which", "pg_restore"], capture_output=True).returncode == 0, "pg_restore missing")
        listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True)
        assert "TABLE DATA public student" in listing.stdout
