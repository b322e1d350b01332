"""Every access rule of the portal, in one place.

Each endpoint declares a policy with @public or @requires(action). A request to an endpoint
without a policy is refused, and a test fails on any such endpoint.
"""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import and_, false, or_, select

from .announcements.models import Announcement, AnnouncementRecipient, addressed_to
from .auth.models import ROLES, STAFF, UNIT_ROLES, User
from .core.htmx import hx_redirect, is_htmx
from .district.models import SHOWN_TO_UNIT, Task, TaskEntry, TaskFile, TaskReturn, Unit, units_below
from .events import access as events
from .events.models import Event, EventHelper, event_leads
from .extensions import db
from .help_requests.models import HelpRequest
from .hours.models import HourEntry, ServiceRecord
from .needs.models import Need
from .notices.models import Notice
from .offers.models import Offer
from .pairs.models import Pair, PairNeed, PairVolunteer, Visit
from .people.models import Family, Guardian, School, SchoolClass, Student, Volunteer
from .registrations.models import Registration

PUBLIC = "public"

EVERYONE = {"admin", "coordinator", "teacher", "volunteer", "parent"}
# A unit's users, above the schools: figures of the schools under their unit, never a child (visible() below).
UNIT = set(UNIT_ROLES)

# action -> roles that may perform it
RULES = {
    "home.view": EVERYONE | UNIT,
    "notices.view": EVERYONE,
    "notices.deliveries": STAFF,
    "account.edit": EVERYONE | UNIT,
    "people.manage": STAFF,
    "students.view": STAFF | {"teacher"},
    "students.sensitive": STAFF | {"teacher"},
    "users.manage": STAFF,
    "audit.view": {"admin"},
    "retention.manage": {"admin"},
    "family.own": {"parent"},
    "volunteer.own": {"volunteer"},
    "needs.view": STAFF | {"teacher"},
    "needs.raise": STAFF | {"teacher"},
    "needs.manage": STAFF,
    "offers.view": STAFF | {"volunteer"},
    "offers.edit": STAFF | {"volunteer"},
    "offers.manage": STAFF,
    "menus.board": STAFF,
    "menus.transfer": STAFF,
    "help.submit": {"parent"},
    "help.view": STAFF | {"parent"},
    "help.manage": STAFF,
    "matching.use": STAFF,
    "pairs.view": STAFF | {"teacher", "volunteer"},
    "pairs.manage": STAFF,
    "pairs.confirm": STAFF | {"volunteer"},
    "visits.record": STAFF | {"volunteer"},
    "hours.view": STAFF | {"teacher", "volunteer"},
    "hours.log": STAFF | {"volunteer"},
    "hours.verify": STAFF | {"teacher"},
    "hours.manage": STAFF,
    "hours.record": STAFF | {"volunteer"},
    "parent_school.view": STAFF | {"teacher", "parent"},
    "parent_school.manage": STAFF,
    "parent_school.check_in": STAFF,
    "parent_school.register": {"parent"},
    "parent_school.certificate": STAFF | {"parent"},
    "parent_school.coverage": STAFF | {"teacher"},
    "parent_school.remind": STAFF | {"teacher"},  # a class teacher, their own classes
    "events.view": EVERYONE,
    "events.manage": STAFF,
    "events.sign_up": {"volunteer"},
    "events.register": {"parent"},
    "events.photos": STAFF | {"teacher"},
    "events.lead": STAFF | {"teacher"},  # may be named an event's 责任人
    "calendar.view": STAFF | {"teacher", "volunteer"},
    "calendar.transfer": STAFF,
    "calendar.feed": EVERYONE,
    # Announcements (通知): the office writes to any audience of the school, a class teacher to the parents of her
    # own classes; a reader opens one addressed to them; the sender and the office see who read it.
    "announcements.send": STAFF | {"teacher"},
    "announcements.view": EVERYONE,
    "announcements.receipts": STAFF | {"teacher"},
    "reports.view": STAFF,
    "reports.coverage": STAFF,
    # The district (units above schools): the table of the schools' figures and the 达标 lines, for both unit roles;
    # the units, the schools' places among them and the unit's accounts, for its administrator.
    "district.view": UNIT,
    "district.thresholds": UNIT,
    "district.manage": {"unit_admin"},
    # Tasks down, returns up: a unit sends them and reviews the returns; a school's office reads and returns them; a
    # file is for who may see its task or its return.
    "tasks.manage": UNIT,
    "tasks.return": STAFF,
    "tasks.files": UNIT | STAFF,
}

# Roles only an admin may hand out or edit.
PRIVILEGED_ROLES = {"admin", "coordinator"}


# What a parent may do only while a child of the family is in the school: after the last one graduates or leaves,
# the family keeps its login, its family page, its help requests and its certificates.
WHILE_A_CHILD_IS_IN_SCHOOL = {"parent_school.view", "parent_school.register", "events.register", "help.submit"}


def family_has_left(user) -> bool:
    """Whether a parent's family had children in the school and has none there any more (the session loader brings
    the children). A family with no child linked yet has not left."""
    children = user.guardian.family.children if user.guardian is not None else []
    return bool(children) and not any(child.active for child in children)


def can(user, action: str, obj=None) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role not in RULES[action]:
        return False
    if user.role == "parent" and action in WHILE_A_CHILD_IS_IN_SCHOOL and family_has_left(user):
        return False
    if obj is None:
        return True
    if not visible(user, obj):
        return False
    if getattr(obj, "role", None) in PRIVILEGED_ROLES:  # an admin or coordinator account
        return user.role == "admin"
    if isinstance(obj, User) and obj.unit_id is not None:  # a unit's account: its administrator's to manage
        return user.role == "unit_admin"
    if isinstance(obj, Announcement) and action != "announcements.view":  # its receipts and reminders
        # A teacher's, while the class is still hers: the page shows the families as they are now, with mobiles.
        return user.role in STAFF or (obj.sent_by_id == user.id and (
            obj.audience != "class" or obj.target_id in teacher_class_ids(user)))
    return True


def visible(user, obj) -> bool:
    """Whether the record exists at all for this user (no: 404, not 403)."""
    if user.unit_id is not None:
        return _unit_sees(user, obj)
    if isinstance(obj, Task):  # sent to the school
        return _return_of_school(obj.id, user.school_id) is not None
    if isinstance(obj, TaskFile):  # a task's attachment, or a file of the school's own return
        ret = _return_of_school(obj.task_id, user.school_id)
        return ret is not None and obj.return_id in (None, ret.id)
    if getattr(obj, "school_id", None) != user.school_id:
        return False
    if isinstance(obj, Notice):
        return obj.user_id == user.id
    if isinstance(obj, SchoolClass) and user.role == "teacher":
        return obj.id in teacher_class_ids(user)
    if isinstance(obj, Student) and user.role == "teacher":
        return obj.class_id in teacher_class_ids(user)
    if isinstance(obj, Need) and user.role == "teacher":
        return obj.student is not None and obj.student.class_id in teacher_class_ids(user)
    if isinstance(obj, Offer) and user.role == "volunteer":
        return user.volunteer_id is not None and obj.volunteer_id == user.volunteer_id
    if isinstance(obj, Visit):
        return visible(user, obj.pair) and (user.role != "volunteer" or obj.volunteer_id in pair_volunteer_ids(obj.pair))
    if isinstance(obj, Pair) and user.role == "teacher":
        classes = teacher_class_ids(user)
        return any(n.student is not None and n.student.class_id in classes for n in obj.needs)
    if isinstance(obj, Pair) and user.role == "volunteer":
        return user.volunteer_id is not None and user.volunteer_id in pair_volunteer_ids(obj)
    if isinstance(obj, Pair) and user.role == "parent":
        return False
    if isinstance(obj, HourEntry | ServiceRecord) and user.role == "volunteer":
        return user.volunteer_id is not None and obj.volunteer_id == user.volunteer_id
    if isinstance(obj, HourEntry) and user.role == "teacher":
        return obj.event is not None and user in obj.event.leads
    if isinstance(obj, HourEntry | ServiceRecord) and user.role not in STAFF:
        return False
    if isinstance(obj, Registration) and user.role == "parent":
        return user.guardian is not None and obj.family_id == user.guardian.family_id
    if isinstance(obj, Registration) and user.role not in STAFF:
        return False
    if isinstance(obj, Event):
        return events.may_see(user, obj)
    if isinstance(obj, EventHelper):  # a place on an event's list: the office's to manage, or the volunteer's own
        return user.role in STAFF or (user.volunteer_id is not None and obj.volunteer_id == user.volunteer_id)
    if isinstance(obj, HelpRequest) and user.role == "parent":
        return user.guardian is not None and obj.family_id == user.guardian.family_id
    if isinstance(obj, Announcement) and user.role not in STAFF:  # addressed to them, or one they sent
        return obj.sent_by_id == user.id or db.session.scalar(
            select(Announcement.id).where(Announcement.id == obj.id, _announcements(user))) is not None
    return True


def _unit_sees(user, obj) -> bool:
    """A unit's user knows its own unit, the units and schools under it and their unit accounts; no school record."""
    below = units_below(user.unit_id)
    if isinstance(obj, Unit):
        return obj.id in below
    if isinstance(obj, School):
        return obj.unit_id in below
    if isinstance(obj, User):
        return obj.unit_id in below
    if isinstance(obj, Task):
        return obj.unit_id in below
    if isinstance(obj, TaskReturn):  # its state and reason; what it holds only once submitted (tasks.shown_to_unit)
        return obj.task.unit_id in below
    if isinstance(obj, TaskFile) and obj.return_id is None:  # a task's attachment
        return db.session.get(Task, obj.task_id).unit_id in below
    if isinstance(obj, TaskFile | TaskEntry):  # what a school returned: not while it is drafting it
        ret = db.session.get(TaskReturn, obj.return_id)
        return ret.task.unit_id in below and ret.state in SHOWN_TO_UNIT
    return False


def _return_of_school(task_id: int, school_id: int):
    return db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task_id,
                                                      TaskReturn.school_id == school_id))


def scope(user, model, action: str | None = None):
    """`visible()` as a query condition: which rows of `model` the user may list, of their school only. With an
    action, the rows they may do it to: ("hours.verify") the hour entries waiting for them to verify."""
    own_school = model.school_id == user.school_id
    rule = _ROW_RULES[model, action](user)
    return own_school if rule is None else and_(own_school, rule)


def holders(action: str):
    """A condition on User: the accounts whose role may do `action` (e.g. "events.lead": who may be named 责任人)."""
    return User.role.in_(RULES[action])


def _students_of_classes(user):
    """A teacher's students, as a subquery."""
    return select(Student.id).where(_students(user))


def _needs(user):
    return Need.student_id.in_(_students_of_classes(user)) if user.role == "teacher" else None


def _offers(user):
    return Offer.volunteer_id == (user.volunteer_id or 0) if user.role == "volunteer" else None


def _help_requests(user):
    return HelpRequest.family_id == (user.guardian.family_id if user.guardian else 0) if user.role == "parent" else None


def _pairs(user):
    if user.role == "teacher":
        return Pair.id.in_(select(PairNeed.pair_id).join(Need, Need.id == PairNeed.need_id)
                           .where(Need.student_id.in_(_students_of_classes(user))))
    if user.role == "volunteer":
        return Pair.id.in_(select(PairVolunteer.pair_id).where(
            PairVolunteer.volunteer_id == (user.volunteer_id or 0), PairVolunteer.left_at.is_(None)))
    return false() if user.role == "parent" else None


def _visits(user):
    """A volunteer reads the visits of the pair's volunteers now: after a reassignment, not the previous one's notes."""
    if user.role != "volunteer":
        return None
    return Visit.volunteer_id.in_(select(PairVolunteer.volunteer_id).where(
        PairVolunteer.pair_id == Visit.pair_id, PairVolunteer.left_at.is_(None)))


def _classes(user):
    return SchoolClass.id.in_(teacher_class_ids(user) or {0}) if user.role == "teacher" else None


def _students(user):
    return Student.class_id.in_(teacher_class_ids(user) or {0}) if user.role == "teacher" else None


def _announcements(user):
    """The office reads every announcement of the school; anyone else those addressed to them, and a teacher also
    those she sent."""
    if user.role in STAFF:
        return None
    addressed = Announcement.id.in_(select(AnnouncementRecipient.announcement_id).where(addressed_to(user)))
    return or_(Announcement.sent_by_id == user.id, addressed) if user.role == "teacher" else addressed


def _announcement_receipts(user):
    """Who read an announcement: the office, of every one of the school; a teacher, of those she sent."""
    return None if user.role in STAFF else Announcement.sent_by_id == user.id


def _hours_to_verify(user):
    """Staff verify all of the school's entries; a teacher those of events they lead. Leads may be any accounts; only
    a teacher among them verifies."""
    if user.role in STAFF:
        return None
    if user.role == "teacher":
        return HourEntry.event_id.in_(select(event_leads.c.event_id).where(event_leads.c.user_id == user.id))
    return false()


_ROW_RULES = {
    (Need, None): _needs,
    (Offer, None): _offers,
    (HelpRequest, None): _help_requests,
    (Pair, None): _pairs,
    (Visit, None): _visits,
    (Student, None): _students,
    (SchoolClass, None): _classes,
    (Event, None): events.condition,
    (HourEntry, "hours.verify"): _hours_to_verify,
    (Announcement, None): _announcements,
    (Announcement, "announcements.receipts"): _announcement_receipts,
    (TaskReturn, None): lambda user: None,  # a school's own copies, for its office
}


def may_sign_in(user) -> bool:
    """A login works while its account is active and so is the person behind it: a volunteer the office has
    deactivated, or a guardian of a deactivated family, has no access from the next request on (their login, any
    session, a remembered phone, the calendar feed)."""
    return (user.active and (user.volunteer is None or user.volunteer.active)
            and (user.guardian is None or user.guardian.family.active))


def sign_in_condition():
    """`may_sign_in` as a query condition on User, for the session loader."""
    return and_(User.active.is_(True),
                or_(User.volunteer_id.is_(None), User.volunteer.has(Volunteer.active.is_(True))),
                or_(User.guardian_id.is_(None), User.guardian.has(Guardian.family.has(Family.active.is_(True)))))


def pair_volunteer_ids(pair) -> set[int]:
    """Volunteers in a pair now; one who left sees it no more."""
    return {m.volunteer_id for m in pair.current_members}


def teacher_class_ids(user) -> set[int]:
    return {c.id for c in user.classes}


def classes_seen(user) -> set[int] | None:
    """The classes whose children a staff user may see by name: all (None) for the office, a teacher's own."""
    return None if user.role in STAFF else teacher_class_ids(user)


def assignable_roles(user) -> tuple[str, ...]:
    return ROLES if user.role == "admin" else tuple(r for r in ROLES if r not in PRIVILEGED_ROLES)


def authorize(action: str, obj):
    """Load → authorise: 404 for a record the user may not know of, 403 for one they may see."""
    if obj is None or not visible(current_user, obj):
        abort(404)
    if not can(current_user, action, obj):
        abort(403)
    return obj


def _login_redirect():
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        # Back to the page the reader was on, not to the piece of it that asked (the bell, a list's next page).
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        if page.path:
            target = url_for("auth.login", next=page.path + (f"?{page.query}" if page.query else ""))
        return hx_redirect(target, status=401)
    return redirect(target)


def public(view):
    view.policy = PUBLIC
    return view


def requires(action: str):
    if action not in RULES:
        raise KeyError(f"unknown action {action!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return _login_redirect()
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.policy = action
        return wrapped

    return decorator


def policy_of(endpoint: str):
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "policy", None)


def undeclared_endpoints(app) -> list[str]:
    """Endpoints that declare no policy: each one is a bug (and is refused at request time)."""
    with app.app_context():
        return sorted({rule.endpoint for rule in app.url_map.iter_rules() if policy_of(rule.endpoint) is None})


def init_app(app):
    @app.before_request
    def _deny_undeclared():
        if request.endpoint and policy_of(request.endpoint) is None:
            abort(403)
