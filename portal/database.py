"""Connection set-up: SQLite gets WAL and a busy timeout on every connection."""
from sqlalchemy import event, text

from .extensions import db


def configure(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def ping() -> str:
    """'ok' when the database answers, else the error's class name."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any driver error means "unreachable" to a health check
        db.session.rollback()
        return type(exc).__name__
