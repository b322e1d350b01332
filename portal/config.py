"""Settings, read from the environment."""
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _normalise_db_url(url: str) -> str:
    # Accept the plain scheme many hosts hand out; we drive PostgreSQL with psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/ for all workers."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"secret_key.{os.getpid()}")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: the first worker wins, the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'carebridge.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # Uploads are Excel imports of at most 2 MB; refuse anything far bigger before reading it.
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Event photos: files under this folder (back it up with the database), each at most this large.
    EVENT_PHOTO_DIR = os.environ.get("EVENT_PHOTO_DIR") or str(INSTANCE_DIR / "event-photos")
    EVENT_PHOTO_MAX_BYTES = 4 * 1024 * 1024
    # A district's task attachments and the files schools return, likewise: under this folder, each at most so large.
    DISTRICT_FILE_DIR = os.environ.get("DISTRICT_FILE_DIR") or str(INSTANCE_DIR / "district-files")
    DISTRICT_FILE_MAX_BYTES = 4 * 1024 * 1024
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Behind a reverse proxy that sets X-Forwarded-For/-Proto (so HTTPS is recognised).
    TRUST_PROXY = os.environ.get("TRUST_PROXY", "0") == "1"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Parents and volunteers stay logged in on their own phones this long (until they log out, change the password
    # or the office deactivates them); staff sessions end with the browser.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; a long form must not expire
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    # How long a write waits for another to finish before the user is told to try again in a moment: a seat's row
    # lock on PostgreSQL (lock_timeout), the database's write lock on SQLite (busy timeout). A seat is tried twice,
    # well within gunicorn's 30 s worker timeout.
    LOCK_WAIT_SECONDS = float(os.environ.get("LOCK_WAIT_SECONDS", "8"))
    # A password the office gives out (opening a login) works this many days, until its first use sets one's own.
    TEMPORARY_PASSWORD_DAYS = int(os.environ.get("TEMPORARY_PASSWORD_DAYS", "14"))
    # The address printed on login slips and under their QR code, e.g. http://guanai.school.local/ (the one the
    # request came in on when unset).
    PORTAL_URL = os.environ.get("PORTAL_URL", "")
    # Exports of personal data ask for the password again after this long.
    FRESH_LOGIN_SECONDS = int(os.environ.get("FRESH_LOGIN_SECONDS", "900"))
    PAGE_SIZE = 25
    # The door takes check-ins from this long before a session or event starts until this long after it ends.
    CHECK_IN_OPENS_BEFORE = timedelta(hours=int(os.environ.get("CHECK_IN_OPENS_BEFORE_HOURS", "2")))
    CHECK_IN_CLOSES_AFTER = timedelta(hours=int(os.environ.get("CHECK_IN_CLOSES_AFTER_HOURS", "3")))
    # Notices beyond the portal, each channel off until configured: the school's SMTP server for e-mail, and an SMS
    # gateway's HTTP interface (a URL with {mobile} and {text} in it, sent as GET, or as POST with SMS_BODY).
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    SMS_URL = os.environ.get("SMS_URL", "")
    SMS_BODY = os.environ.get("SMS_BODY", "")
    # A WeCom (企业微信) or DingTalk group robot's webhook for the staff's group: what the office is told each
    # morning and on Monday goes there too. DingTalk's 加签 needs the robot's secret. GROUP_BOT_URL serves a
    # deployment of one school; with several, each school's robot is GROUP_BOT_URL_<school id> (and
    # GROUP_BOT_SECRET_<school id>), so no school's figures reach another's group.
    GROUP_BOT_URL = os.environ.get("GROUP_BOT_URL", "")
    GROUP_BOT_SECRET = os.environ.get("GROUP_BOT_SECRET", "")
    GROUP_BOTS = {int(name.rsplit("_", 1)[1]): (url, os.environ.get(f"GROUP_BOT_SECRET_{name.rsplit('_', 1)[1]}", ""))
                  for name, url in os.environ.items() if re.fullmatch(r"GROUP_BOT_URL_\d+", name) and url}
    CHANNEL_TIMEOUT_SECONDS = float(os.environ.get("CHANNEL_TIMEOUT_SECONDS", "10"))


class TestConfig(Config):
    TESTING = True
    # Still Argon2id, at the lowest cost: hundreds of test logins would otherwise take minutes.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    SECRET_KEY = "test-secret"
    REDIS_URL = None
