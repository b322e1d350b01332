"""Response headers, navigation and template helpers shared by every page."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin
from sqlalchemy import select

from .extensions import db
from .menus_common import URGENCY
from .permissions import can
from .slots import modes_text, slots_text

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _wall() -> datetime:
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def local_now() -> datetime:
    """The school's wall-clock time (Shanghai), naive, comparable with session and event times."""
    return _wall()


def local_today() -> date:
    """The school's date: every "today", due date and "not in the future" in the portal is this one."""
    return _wall().date()

WEEKDAYS_ZH = "一二三四五六日"

# (label, endpoint, action, count): an item shows only to roles that may use it; a count key adds a
# number kept fresh by out-of-band swaps (see nav_counts).
NAV = (
    (_l("Home"), "home.index", "home.view", None),
    (_l("My family"), "home.family", "family.own", None),
    (_l("My volunteer profile"), "home.volunteer", "volunteer.own", None),
    (_l("Needs"), "needs.index", "needs.view", "needs"),
    (_l("Offers"), "offers.index", "offers.view", "offers"),
    (_l("Help requests"), "help.index", "help.view", "help"),
    (_l("Matching"), "matching.index", "matching.use", None),
    (_l("Pairs"), "pairs.index", "pairs.view", "pairs"),
    (_l("Hours"), "hours.index", "hours.view", "hours"),
    (_l("Parent school"), "parent_school.index", "parent_school.view", None),
    (_l("Events"), "events.index", "events.view", None),
    (_l("Calendar"), "calendar.index", "calendar.view", None),
    (_l("Board"), "needs.board", "menus.board", None),
    (_l("Reports"), "reports.index", "reports.view", None),
    (_l("Students"), "people.students", "students.view", None),
    (_l("People"), "people.index", "people.manage", None),
    (_l("Audit log"), "audit.index", "audit.view", None),
    (_l("My settings"), "auth.settings", "account.edit", None),
)


def _count_query(key: str, user, today=None):
    """Needs waiting, offers available, pairs without a visit for 14 days, hours waiting for this user to
    verify, help requests not yet handled (for staff) or open (for a parent)."""
    if key == "needs":
        from .needs.services import open_count_query
        return open_count_query(user)
    if key == "offers":
        from .offers.services import active_count_query
        return active_count_query(user)
    if key == "pairs":
        from .pairs.services import due_count_query
        return due_count_query(user, today or local_today())
    if key == "hours":
        from .hours.services import pending_count_query
        return pending_count_query(user)
    from .help_requests.services import open_count_query
    return open_count_query(user)


def nav_count(key: str, user) -> int:
    return db.session.scalar(_count_query(key, user)) or 0


_NAV_STATEMENTS: dict = {}


def _nav_statement(keys: tuple[str, ...], user):
    """The badges' statement, built once per kind of reader and day: building it cost more than running it, on
    every page. The key holds all that the count queries read from the user; a teacher's also depend on their
    classes and events, so theirs is built afresh each time."""
    today = local_today()
    key = None
    if user.role != "teacher":
        key = (keys, user.role, user.school_id, user.volunteer_id,
               user.guardian.family_id if user.guardian else None, today)
        stmt = _NAV_STATEMENTS.get(key)
        if stmt is not None:
            return stmt
    stmt = select(*(_count_query(k, user, today).scalar_subquery() for k in keys))
    if key is not None:
        if len(_NAV_STATEMENTS) >= 4096:  # a new day's keys replace the old ones
            _NAV_STATEMENTS.clear()
        _NAV_STATEMENTS[key] = stmt
    return stmt


def nav_counts(keys: list[str], user) -> dict[str, int]:
    """Every badge of the menu in one statement: the layout would otherwise pay a query per badge."""
    if not keys:
        return {}
    row = db.session.execute(_nav_statement(tuple(keys), user)).one()
    return {k: v or 0 for k, v in zip(keys, row, strict=True)}


def nav_items():
    user = current_user._get_current_object()  # read ~100 times below; through the proxy each costs a lookup
    if not user.is_authenticated:
        return []
    allowed = [(label, url_for(endpoint), count) for label, endpoint, action, count in NAV if can(user, action)]
    # The longest matching prefix marks the current section.
    matches = [url for _, url, _c in allowed if request.path == url or (url != "/" and request.path.startswith(url))]
    current = max(matches, key=len, default=None)
    counts = nav_counts([count for _l, _u, count in allowed if count], user)
    return [(label, url, url == current, count and (count, counts[count])) for label, url, count in allowed]


def cn_date(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(SHANGHAI)
    if str(get_locale()) == "en":
        return value.strftime("%Y-%m-%d (%a)")
    return f"{value.year}年{value.month}月{value.day}日 (周{WEEKDAYS_ZH[value.weekday()]})"


def cn_day(value):
    """2026年3月5日, without the weekday: for printed documents."""
    text = cn_date(value)
    return text.split(" (")[0]


def cn_when(value):
    """A wall-clock time already in Shanghai (a session's start): 2026年3月5日 (周四) 19:00."""
    if value is None:
        return ""
    return f"{cn_date(value.date())} {value:%H:%M}"


def cn_wall_date(value):
    """The date of a wall-clock time already in Shanghai (a session's or event's start); cn_date would read a naive
    time as UTC and move an evening session to the next day."""
    return cn_date(value.date()) if value is not None else ""


def cn_datetime(value):
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(SHANGHAI)
    return f"{cn_date(local)} {local:%H:%M}"


def hours_text(value) -> str:
    """2.0 → "2", 1.50 → "1.5"."""
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def init_app(app):
    app.jinja_env.filters["cn_date"] = cn_date
    app.jinja_env.filters["cn_day"] = cn_day
    app.jinja_env.filters["hours"] = hours_text
    app.jinja_env.filters["cn_datetime"] = cn_datetime
    app.jinja_env.filters["cn_when"] = cn_when
    app.jinja_env.filters["cn_wall_date"] = cn_wall_date
    app.jinja_env.filters["slots_text"] = slots_text
    app.jinja_env.filters["modes_text"] = modes_text
    app.jinja_env.globals["urgency_label"] = URGENCY.get

    @app.context_processor
    def _layout_context():
        return {
            # Called by the layout only, so partials do not pay for the counts.
            "nav_items": nav_items,
            "nav_count": lambda key: nav_count(key, current_user),
            "can": lambda action, obj=None: can(current_user._get_current_object(), action, obj),
            "html_lang": "en" if str(get_locale()) == "en" else "zh-CN",
            "today": local_today(),
        }

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.vary.add("HX-Request")
        if request.endpoint != "static" and current_user.is_authenticated:
            # Logged-in pages carry children's data; a shared phone's back button must not show them.
            resp.headers["Cache-Control"] = "no-store"
        return resp


class _UncompressedSerializer(URLSafeTimedSerializer):
    """Signs without trying zlib first: a session cookie is a few hundred bytes, and setting up zlib for them
    (clearing a quarter megabyte of tables) cost a request that saves the session about 4% of its instructions.
    Cookies signed compressed, from before, still load."""

    def dump_payload(self, obj):
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))  # the JSON, not the zlib try


# The longest message a flash carries to the next page. It rides in the session cookie, which a browser drops past
# 4 KB (and nginx's default proxy buffer answers 502): no message is meant to be that long, so a longer one can
# only be quoting what a user sent.
FLASH_LIMIT = 240


class _SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        flashes = session.get("_flashes")
        if flashes and any(len(message) > FLASH_LIMIT for _category, message in flashes):
            session["_flashes"] = [(category, message if len(message) <= FLASH_LIMIT else message[:FLASH_LIMIT - 1] + "…")
                                   for category, message in flashes]
        super().save_session(app, session, response)

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]  # the current key last, as Flask has it
        return _UncompressedSerializer(keys, salt=self.salt,
                                       serializer=self.serializer, signer_kwargs={
                                           "key_derivation": self.key_derivation, "digest_method": self.digest_method})


def secure_cookies_over_https(app):
    """Mark every cookie Secure when the request came over HTTPS (directly or via a trusted proxy).

    Call before login_manager.init_app: after_request hooks run in reverse order, so this one then
    sees the remember cookie Flask-Login adds; the session cookie is handled by the session interface.
    """
    app.session_interface = _SessionInterface()

    @app.after_request
    def _secure(resp):
        if request.is_secure:
            cookies = resp.headers.getlist("Set-Cookie")
            resp.headers.remove("Set-Cookie")
            for c in cookies:
                resp.headers.add("Set-Cookie", c if "; Secure" in c else c + "; Secure")
        return resp
