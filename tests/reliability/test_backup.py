"""`flask backup` while the office keeps writing, then a restore into a database of its own: the restored database
holds exactly what the backup holds, table by table; every write acknowledged before the backup began is there;
the copy is consistent (no entry without its audit row), undamaged, already at the newest migration, and the
portal runs on it.

"Identical" cannot mean equal to the live database: writes go on during and after the backup. It means the
restore loses and adds nothing relative to the backup's own snapshot, and the snapshot is a moment in time."""
import os
import shutil
import subprocess
import time

from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from portal import create_app
from portal.extensions import db
from tests.conftest import Client, make_config
from tests.reliability.harness import (
    ROOT,
    Burst,
    Gunicorn,
    backup_counts,
    engine_for,
    flask_cli,
    half_saved,
    integrity_problems,
    saved_notes,
    seed_office,
    table_counts,
)


def _restore(dump, url: str):
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        shutil.copyfile(dump, target.database)  # the README's restore: the file back in place
        return
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-h", target.host or "127.0.0.1",
                    "-p", str(target.port or 5432), "-U", target.username or "postgres", "-d", target.database,
                    str(dump)], check=True, capture_output=True, text=True,
                   env={**os.environ, "PGPASSWORD": target.password or ""})


def _head() -> str:
    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


def test_backup_while_writing_restores_to_the_backups_own_counts(new_db_url, tmp_path):
    started = time.monotonic()
    live = new_db_url("live")
    backend = make_url(live).get_backend_name()
    dump = tmp_path / ("backup.db" if backend == "sqlite" else "backup.dump")
    office = seed_office(live)
    with Gunicorn(live, tmp_path) as portal:
        portal.start()
        with Burst(portal.url, office) as burst:
            burst.wait_acked(20)
            before_backup = set(burst.acked)
            flask_cli(live, "backup", str(dump))  # the writers go on meanwhile
            burst.wait_acked(10)  # and after: the live database moves past the snapshot

    snapshot = backup_counts(dump, backend)
    restored = new_db_url("restored")
    _restore(dump, restored)

    assert table_counts(restored) == snapshot
    assert snapshot["hour_entry"] < table_counts(live)["hour_entry"], "no write came after the backup"
    in_backup = saved_notes(restored)
    assert before_backup <= set(in_backup), "writes acknowledged before the backup are missing from it"
    assert set(in_backup) <= burst.attempted and set(in_backup.values()) == {1}
    assert half_saved(restored) == [], "the backup is not one moment: an entry without its audit row"
    assert integrity_problems(restored) == []

    out = flask_cli(restored, "db", "upgrade")
    assert "Running upgrade" not in out, out
    with engine_for(restored).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head()

    app = create_app(make_config(restored))
    with app.app_context():
        client = Client(app)
        assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
        assert client.login(office.username).status_code == 302
        assert "志愿者0" in client.get("/hours/queue").get_data(as_text=True)
        db.engine.dispose()
    print(f"\nbackup: {snapshot['hour_entry']} entries in the backup, {len(burst.acked)} acknowledged in all, "
          f"{time.monotonic() - started:.1f} s")
