"""The menu every page shows: its items for the reader's role, and the badges counting what waits for them.

It reads each domain's count query, so only the app factory imports it."""
from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import select

from .core.clock import local_today
from .district.tasks import waiting_query
from .extensions import db
from .help_requests.services import open_count_query as open_help_query
from .hours.ledger import pending_count_query
from .needs.services import open_count_query as open_needs_query
from .notices.services import unread_count_query
from .offers.services import active_count_query
from .pairs.services import due_count_query
from .permissions import can

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
    (lazy_pgettext("menu", "Announcements"), "announcements.index", "announcements.receipts", None),
    (_l("Tasks from above"), "tasks.inbox", "tasks.return", "tasks"),
    (_l("Board"), "needs.board", "menus.board", None),
    (_l("Reports"), "reports.index", "reports.view", None),
    (_l("Schools' figures"), "district.index", "district.view", None),
    (_l("Tasks to schools"), "district.task_list", "tasks.manage", None),
    (_l("Units and accounts"), "district.units", "district.manage", None),
    (_l("Students"), "people.students", "students.view", None),
    (_l("People"), "people.index", "people.manage", None),
    (_l("Audit log"), "audit.index", "audit.view", None),
    (_l("My settings"), "auth.settings", "account.edit", None),
)


def _count_query(key: str, user, today=None):
    """Needs waiting, offers available, pairs without a visit for 14 days, hours waiting for this user to
    verify, the district's tasks not yet submitted, help requests not yet handled (for staff) or open (for a
    parent)."""
    if key == "needs":
        return open_needs_query(user)
    if key == "offers":
        return active_count_query(user)
    if key == "pairs":
        return due_count_query(user, today or local_today())
    if key == "hours":
        return pending_count_query(user)
    if key == "notices":
        return unread_count_query(user)
    if key == "tasks":
        return waiting_query(user)
    return open_help_query(user)


_NAV_STATEMENTS: dict = {}


def _nav_statement(keys: tuple[str, ...], user):
    """The badges' statement, built once per kind of reader and day: building it cost more than running it, on
    every page. The key holds all that the count queries read from the user; a teacher's also depend on their
    classes and events, so theirs is built afresh each time."""
    today = local_today()
    key = None
    if user.role != "teacher":
        key = (keys, user.role, user.school_id, user.id, user.volunteer_id,
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
    """The menu's items, and the reader's unread notices for the bell beside it (counted with the badges)."""
    user = current_user._get_current_object()  # read ~100 times below; through the proxy each costs a lookup
    if not user.is_authenticated:
        return [], 0
    # A unit's user has no home of its own: the district's table is where its pages start.
    allowed = [(label, url_for(endpoint), count) for label, endpoint, action, count in NAV
               if can(user, action) and not (endpoint == "home.index" and user.unit_id is not None)]
    # The longest matching prefix marks the current section.
    matches = [url for _, url, _c in allowed if request.path == url or (url != "/" and request.path.startswith(url))]
    current = max(matches, key=len, default=None)
    counts = nav_counts([count for _l, _u, count in allowed if count] + ["notices"] * can(user, "notices.view"), user)
    return [(label, url, url == current, count and (count, counts[count])) for label, url, count in allowed], \
        counts.get("notices", 0)


def init_app(app):
    @app.context_processor
    def _navigation():
        # Called by the layout only, so partials do not pay for the counts.
        return {"nav_items": nav_items}
