"""Connection set-up: SQLite gets WAL and a bounded busy timeout on every connection; on PostgreSQL a connection that
sat idle is tried before use, and a request that only read ends its transaction with COMMIT, so psycopg keeps
its prepared statements."""
import time

from sqlalchemy import event, exc, text

from ..extensions import db


def configure(app):
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas(int(app.config["LOCK_WAIT_SECONDS"] * 1000)))
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "connect", _pg_lock_timeout(int(app.config["LOCK_WAIT_SECONDS"] * 2000)))
            event.listen(engine, "checkin", _note_idle)
            event.listen(engine, "checkout", _ping_if_idle(engine.dialect))
            event.listen(engine, "before_cursor_execute", _note_writes)
            event.listen(engine, "commit", _forget_writes)
            event.listen(engine, "rollback", _forget_writes)
            app.teardown_request(_end_read_only)


# A connection back in the pool for this long is tried with SELECT 1 before a request gets it: a server restarted
# or a connection dropped meanwhile is then replaced rather than failing the request. Trying every checkout (the
# pool's pre_ping) cost every transaction a round trip, a tenth of a registration storm's work; a worker that is
# busy gets its connection back well within this, and if the server restarts in that moment, its next request
# gets the 503 page and the pool starts afresh.
PING_AFTER_IDLE_S = 2.0


def _note_idle(_dbapi_conn, record):
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect):
    def checkout(dbapi_conn, record, _proxy):
        since = record.info.pop("idle_since", None)  # None: a new connection, just made
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as err:  # whatever the driver raises: the pool drops its connections, makes a new one
            raise exc.InvalidatePoolError(str(err)) from err
    return checkout


def _note_writes(conn, _cursor, statement, *_args):
    if not statement.lstrip()[:6].upper() == "SELECT":  # anything else might have changed something
        conn.info["wrote"] = True


def _forget_writes(conn):
    if not conn.invalidated:  # a lost connection's info goes with it; asking for it would raise
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


def _sqlite_pragmas(busy_ms: int):
    def connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
    return connect


def _pg_lock_timeout(ms: int):
    """Every statement waits at most this long for a lock another transaction holds; set once per connection, so
    a registration storm's statements cost no extra round trip. Twice LOCK_WAIT_SECONDS: SQLite waits that long
    and tries once more, and a PostgreSQL transaction whose wait timed out cannot try again."""
    def connect(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {ms}")
        dbapi_conn.commit()
    return connect


def busy(err: exc.OperationalError) -> bool:
    """A write that waited its bounded time (LOCK_WAIT_SECONDS) for another request's lock and gave up."""
    return getattr(err.orig, "sqlstate", None) == "55P03" or "database is locked" in str(err.orig)


def ping() -> str:
    """'ok' when the database answers, else the error's class name."""
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any driver error means "unreachable" to a health check
        db.session.rollback()
        return type(exc).__name__
