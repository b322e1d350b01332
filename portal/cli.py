"""flask create-admin, add-unit, create-unit-admin, seed-demo, backup, retention-run, translate update / compile."""
import contextlib
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from .core.errors import saving
from .extensions import db


def init_app(app):
    app.cli.add_command(create_admin)
    app.cli.add_command(add_unit)
    app.cli.add_command(create_unit_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup)
    app.cli.add_command(retention_run)
    app.cli.add_command(translate)


@click.command("create-admin")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", prompt="显示名称")
@click.option("--school", "school_name", prompt="学校名称")
@click.password_option("--password", prompt="密码")
def create_admin(username, display_name, school_name, password):
    """Create an administrator (and the school, if it is new)."""
    from .auth.models import User
    from .auth.services import hash_password
    from .people.models import DEFAULT_CATEGORIES, DEFAULT_SUPPORT_TAGS, Category, School, SupportTag

    if len(password) < 8:
        raise click.ClickException("密码至少 8 位。")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"用户名 {username} 已存在。")
    with saving():
        school = db.session.scalar(select(School).where(School.name == school_name))
        if school is None:
            school = School(name=school_name)
            db.session.add(school)
            db.session.flush()
            db.session.add_all([Category(school_id=school.id, name=n, sort_order=i) for i, n in enumerate(DEFAULT_CATEGORIES)])
            db.session.add_all([SupportTag(school_id=school.id, name=n) for n in DEFAULT_SUPPORT_TAGS])
        db.session.add(User(school_id=school.id, username=username, display_name=display_name, role="admin",
                            password_hash=hash_password(password)))
    click.echo(f"已创建管理员 {username}（{school.name}）。")


@click.command("add-unit")
@click.argument("name")
@click.option("--parent", help="The unit above it (a 学区 under the bureau's 关工委).")
@click.option("--school", "schools", multiple=True, help="A school to place under it; may be given several times.")
@click.option("--all-schools", is_flag=True, help="Place every school of the deployment under it.")
def add_unit(name, parent, schools, all_schools):
    """Create a unit above schools (if it is new) and place schools under it."""
    from .district.models import Unit
    from .people.models import School

    with saving():
        unit = db.session.scalar(select(Unit).where(Unit.name == name))
        if unit is None:
            above = db.session.scalar(select(Unit).where(Unit.name == parent)) if parent else None
            if parent and above is None:
                raise click.ClickException(f"没有名为 {parent} 的单位。")
            unit = Unit(name=name, parent_id=above.id if above else None)
            db.session.add(unit)
            db.session.flush()
        placed = db.session.scalars(select(School) if all_schools else select(School).where(School.name.in_(schools))).all()
        missing = set(schools) - {s.name for s in placed}
        if missing:
            raise click.ClickException(f"没有这些学校：{'、'.join(sorted(missing))}。")
        for school in placed:
            school.unit_id = unit.id
    click.echo(f"单位 {unit.name}：已放入 {len(placed)} 所学校。")


@click.command("create-unit-admin")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", prompt="显示名称")
@click.option("--unit", "unit_name", prompt="单位名称")
@click.password_option("--password", prompt="密码")
def create_unit_admin(username, display_name, unit_name, password):
    """Create a unit's administrator (flask add-unit first)."""
    from .auth.models import User
    from .auth.services import hash_password
    from .district.models import Unit

    if len(password) < 8:
        raise click.ClickException("密码至少 8 位。")
    unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
    if unit is None:
        raise click.ClickException(f"没有名为 {unit_name} 的单位：先用 flask add-unit 创建。")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"用户名 {username} 已存在。")
    with saving():
        db.session.add(User(unit_id=unit.id, username=username, display_name=display_name, role="unit_admin",
                            password_hash=hash_password(password)))
    click.echo(f"已创建单位管理员 {username}（{unit.name}）。")


@click.command("retention-run")
def retention_run():
    """Remove what every school has kept long enough after its children left, now (the job runner does it every
    night, portal/jobs.py); each step is in the audit log."""
    from .people import retention

    for school, done in retention.run_all():
        click.echo(f"{school.name}: support={len(done.support)} visits={len(done.visits)} "
                   f"help={len(done.help_requests)} identities={len(done.identities)} photos={len(done.photos)}")


@click.command("seed-demo")
@click.option("--scale", type=click.Choice(["school", "district"]), default="school")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a school.")
@click.option("--schools", type=click.IntRange(1, 1000), help="How many schools (with --scale district; 20 by default).")
def seed_demo(scale, if_empty, schools):
    """Fill an empty database with a demo school (or 20 schools with --scale district)."""
    from .demo import DEMO_PASSWORD, seed
    from .people.models import School, Student, Volunteer

    if db.session.scalar(select(func.count()).select_from(School)):
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        raise click.ClickException("数据库已有数据；演示数据只写入空数据库。")
    started = time.monotonic()
    seed(scale, schools=schools)
    students = db.session.scalar(select(func.count()).select_from(Student))
    volunteers = db.session.scalar(select(func.count()).select_from(Volunteer))
    click.echo(f"演示数据已写入：{students} 名学生，{volunteers} 名志愿者，用时 {time.monotonic() - started:.1f} 秒。")
    click.echo("演示账号 admin / coordinator / teacher / volunteer / parent，区关工委 district / officer，"
               f"密码 {DEMO_PASSWORD}（仅用于演示）。")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path):
    """Write a consistent copy of the database to PATH."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(url.database)
        dst = sqlite3.connect(path)
        with dst:
            src.backup(dst)  # the online backup API: consistent even while the portal writes
        src.close()
        dst.close()
    else:
        env = {"PGPASSWORD": url.password or ""}
        cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", "-h", url.host or "127.0.0.1",
               "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database]
        result = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
        if result.returncode:
            raise click.ClickException(f"pg_dump 失败：{result.stderr.strip()}")
    click.echo(f"备份已写入 {path}")


# The interface's Chinese lives in translations/<lang>/LC_MESSAGES/messages.po alone (microblog's model): add a
# string in the code, `flask translate update` (make messages), translate its new entry in the .po,
# `flask translate compile` (make translations).
ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# Besides Babel's defaults (_, gettext, ngettext, pgettext, npgettext …): the lazy forms the code imports.
KEYWORDS = ("_l", "lazy_gettext", "lazy_pgettext:1c,2")


def _pybabel(*args: str) -> None:
    if CommandLineInterface().run(["pybabel", "-q", *args]):
        raise click.ClickException(f"pybabel {args[0]} failed")


def extract_messages(pot: Path) -> None:
    """Every message of the code and templates, as `pybabel extract` finds them, into the template catalogue POT."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    with contextlib.chdir(ROOT):  # from the project folder, so that the locations read portal/… and templates/…
        _pybabel("extract", "-F", "babel.cfg", *keywords, "--no-wrap", "-o", str(pot.resolve()), ".")


def catalog_paths() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


@click.group()
def translate():
    """Translation commands: the .po of each language is the one source of its words."""


@translate.command("update")
def translate_update():
    """Extract the messages afresh and merge them into every .po: new ones come in empty, unused ones go."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract_messages(pot)
        # No fuzzy guesses (a guess looks translated and is wrong), no obsolete #~ entries (git keeps the history).
        _pybabel("update", "--no-fuzzy-matching", "--ignore-obsolete", "--no-wrap", "-i", str(pot),
                 "-d", str(TRANSLATIONS))
    for path in catalog_paths():
        with path.open("rb") as f:
            todo = [m for m in read_po(f) if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
        click.echo(f"{path.relative_to(ROOT)}: {len(todo)} to translate")
        for m in todo:
            click.echo(f"  {m.context + ' | ' if m.context else ''}{m.id if isinstance(m.id, str) else m.id[0]}")


@translate.command("compile")
def translate_compile():
    """Compile every .po into the .mo the portal reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS))
