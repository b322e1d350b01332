"""Connection set-up: SQLite gets WAL and a busy timeout on every connection; on PostgreSQL a request that
only read ends its transaction with COMMIT, so psycopg keeps its prepared statements."""
from sqlalchemy import event, text

from .extensions import db


def configure(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "before_cursor_execute", _note_writes)
            event.listen(engine, "commit", _forget_writes)
            event.listen(engine, "rollback", _forget_writes)
            app.teardown_request(_end_read_only)


def _note_writes(conn, _cursor, statement, *_args):
    if not statement.lstrip()[:6].upper() == "SELECT":  # anything else might have changed something
        conn.info["wrote"] = True


def _forget_writes(conn):
    conn.info.pop("wrote", None)


def _end_read_only(exc):
    """psycopg forgets its prepared statements at every ROLLBACK, and a rollback ended every request that only
    read: PostgreSQL planned each statement afresh. For a transaction that ran SELECTs only and holds nothing
    unsaved, COMMIT is the same as ROLLBACK. Anything else still ends in a rollback when the session closes."""
    session = db.session()
    if exc is not None or not session.is_active or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.connection().info.get("wrote"):
        return
    try:
        session.commit()
    except Exception:  # nothing was written; the session's close deals with a broken connection
        session.rollback()


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
