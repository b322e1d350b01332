"""flask create-admin, seed-demo, backup."""
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from .extensions import db


def init_app(app):
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(backup)


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
    school = db.session.scalar(select(School).where(School.name == school_name))
    if school is None:
        school = School(name=school_name)
        db.session.add(school)
        db.session.flush()
        db.session.add_all([Category(school_id=school.id, name=n, sort_order=i) for i, n in enumerate(DEFAULT_CATEGORIES)])
        db.session.add_all([SupportTag(school_id=school.id, name=n) for n in DEFAULT_SUPPORT_TAGS])
    db.session.add(User(school_id=school.id, username=username, display_name=display_name, role="admin",
                        password_hash=hash_password(password)))
    db.session.commit()
    click.echo(f"已创建管理员 {username}（{school.name}）。")


@click.command("seed-demo")
@click.option("--scale", type=click.Choice(["school", "district"]), default="school")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a school.")
def seed_demo(scale, if_empty):
    """Fill an empty database with a demo school (or 20 schools with --scale district)."""
    from .demo import DEMO_PASSWORD, seed
    from .people.models import School, Student, Volunteer

    if db.session.scalar(select(func.count()).select_from(School)):
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        raise click.ClickException("数据库已有数据；演示数据只写入空数据库。")
    started = time.monotonic()
    seed(scale)
    students = db.session.scalar(select(func.count()).select_from(Student))
    volunteers = db.session.scalar(select(func.count()).select_from(Volunteer))
    click.echo(f"演示数据已写入：{students} 名学生，{volunteers} 名志愿者，用时 {time.monotonic() - started:.1f} 秒。")
    click.echo(f"演示账号 admin / coordinator / teacher / volunteer / parent，密码 {DEMO_PASSWORD}（仅用于演示）。")


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
