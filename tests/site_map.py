"""Every page of the portal each role can open, with real ids from the demo school.

The query budget, the security suites and the accessibility walk all go through this map, so a page
added to the portal is checked by each of them once it is mapped; `test_site_map.py` fails on a GET
endpoint that is neither mapped nor set aside below with its reason.
"""
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select

from portal.announcements.models import Announcement
from portal.auth.models import User
from portal.events.models import Event, Partner
from portal.extensions import db
from portal.help_requests.models import HelpRequest
from portal.hours.models import HourEntry, ServiceRecord
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs.models import Pair
from portal.parent_school.models import Course, CourseSession
from portal.people.models import Family, SchoolClass, Student, Volunteer, YoungTeacher
from portal.permissions import RULES, STAFF, policy_of, visible
from portal.registrations.models import Registration

ROLES = ("anonymous", "admin", "coordinator", "teacher", "volunteer", "parent", "unit_admin", "unit_officer")
# The demo's login of each role: a school's are named after their role, the district's are not.
USERNAMES = {"unit_admin": "district", "unit_officer": "officer"}

# GET endpoints no walk opens, and why.
SET_ASIDE = {
    "static": "files, not pages",
    "home.healthz": "JSON for the load balancer (tests/test_app.py)",
    "calendar.feed_ics": "a calendar app's URL with a secret token (tests/events)",
    "parent_school.scan": "the check-in QR code's URL, opened by door staff (tests/parent_school)",
    "imports.preview": "exists only after an upload (tests/imports)",
    "people.roster_preview": "exists only after an upload (tests/people/test_roster_import.py)",
    "calendar.preview": "exists only after an upload (tests/events)",
    "matching.plan": "exists only after a plan is made (tests/matching)",
    "events.photo": "an image file (tests/events)",
    "home.favicon": "the site's icon file (tests/test_words.py)",
    "auth.reauth": "the password prompt before a personal export (tests/auth)",
    "auth.own_password": "opens only while a password from the office is in use (tests/auth/test_own_password.py)",
    "notices.show": "marks a notice read and goes to what it is about (tests/notices)",
    "notices.bell": "the bell alone, which every page asks for every 8 s (tests/notices/test_notices.py)",
}

# htmx fragments of a page: opened on their own they lead to the page they belong to.
FRAGMENTS = {"needs.card", "offers.card", "needs.student_options"}

# Files rather than pages: walked for the query budget and access, not for HTML checks.
DOWNLOAD_SUFFIXES = (".xlsx", ".ics", "/certificate", "/sign-in-sheet", ".zip")
DOWNLOADS = {"district.file"}  # a task's attachment or a returned file, under the portal's name for it


@dataclass(frozen=True)
class Page:
    role: str
    endpoint: str
    url: str

    @property
    def is_fragment(self) -> bool:
        return self.endpoint in FRAGMENTS

    @property
    def is_html(self) -> bool:
        return self.endpoint not in DOWNLOADS and not self.url.split("?")[0].endswith(DOWNLOAD_SUFFIXES)


def user_of(role: str) -> User:
    return db.session.scalar(select(User).where(User.username == USERNAMES.get(role, role)))


class _Picker:
    """The first record of each kind that the user may see, chosen as the views would check it."""

    def __init__(self, user: User):
        self.user = user
        self._cache = {}

    def first(self, model, *where, order=None):
        key = (model, where)
        if key not in self._cache:
            stmt = select(model).where(model.school_id == self.user.school_id, *where)
            stmt = stmt.order_by(*(order or (model.id,)))
            self._cache[key] = next((o for o in db.session.scalars(stmt) if visible(self.user, o)), None)
        return self._cache[key]

    def certificate(self):
        if "certificate" not in self._cache:
            self._cache["certificate"] = _certificate(self.user)
        return self._cache["certificate"]

    def id(self, model, *where, order=None):
        obj = self.first(model, *where, order=order)
        return obj.id if obj is not None else None


def _args(pick: _Picker, endpoint: str) -> dict | None:
    """URL arguments for one endpoint, or None when the school holds nothing to open."""
    u = pick.user
    need = pick.id(Need, Need.status == "open")
    pair = pick.first(Pair, Pair.status == "active")
    session = pick.id(CourseSession, CourseSession.status == "open")
    course = pick.id(Course)
    registration = pick.first(Registration, Registration.session_id.is_not(None))
    if u.role == "parent":  # a family sees only sessions for its children's grades, or ones it registered for
        session = registration and registration.session_id
    if u.role == "teacher":  # a teacher sees the courses' coverage, not a session's roster
        session = None
    volunteer = u.volunteer_id if u.role == "volunteer" else pick.id(Volunteer)
    held_event = pick.id(Event, Event.status == "done")
    # A reader opens what was sent to them; a teacher's receipts are those of what she sent.
    announcement = pick.id(Announcement)
    sent = pick.id(Announcement, *(() if u.role in STAFF else (Announcement.sent_by_id == u.id,)))
    table = {
        "needs.show": {"need_id": need}, "needs.card": {"need_id": need}, "needs.edit": {"need_id": need},
        "matching.need": {"need_id": need},
        "offers.card": {"offer_id": pick.id(Offer)}, "offers.edit": {"offer_id": pick.id(Offer)},
        "matching.offer": {"offer_id": pick.id(Offer, Offer.status == "active")},
        "pairs.show": {"pair_id": pair and pair.id}, "pairs.new_visit": {"pair_id": pair and pair.id},
        "pairs.reassign": {"pair_id": pair and pair.id,
                           "member_id": pair and pair.current_members and pair.current_members[0].id},
        "events.show": {"event_id": pick.id(Event)}, "events.edit": {"event_id": pick.id(Event)},
        "events.report": {"event_id": held_event},
        "events.partners": {"partner_id": pick.id(Partner)},
        "help.show": {"help_id": pick.id(HelpRequest)},
        "hours.entry": {"entry_id": pick.id(HourEntry)},
        "hours.service_record": {"record_id": pick.id(ServiceRecord)},
        "hours.volunteer": {"volunteer_id": volunteer},
        "parent_school.course": {"course_id": course}, "parent_school.certificate": pick.certificate(),
        "parent_school.coverage": {"course_id": course}, "parent_school.coverage_xlsx": {"course_id": course},
        "parent_school.course_form": {"course_id": course},
        "parent_school.session_form": {"course_id": course, "session_id": session},
        "parent_school.session": {"session_id": session}, "parent_school.door": {"session_id": session},
        "parent_school.attendance_xlsx": {"session_id": session},
        "parent_school.sign_in_sheet": {"session_id": session},
        "parent_school.ics": {"registration_id": registration and registration.id},
        "people.student": {"student_id": pick.id(Student)}, "people.student_form": {"student_id": pick.id(Student)},
        "people.family": {"family_id": pick.id(Family)}, "people.family_form": {"family_id": pick.id(Family)},
        "people.class_form": {"class_id": pick.id(SchoolClass)},
        "people.class_accounts": {"class_id": pick.id(SchoolClass)},
        "people.user_form": {"user_id": pick.id(User, User.role == "teacher")},
        "people.volunteer_form": {"volunteer_id": volunteer},
        "people.young_teacher_form": {"teacher_id": pick.id(YoungTeacher)},
        "people.merge_student": {"student_id": pick.id(Student)}, "people.merge_family": {"family_id": pick.id(Family)},
        "people.merge_volunteer": {"volunteer_id": volunteer},
        "imports.upload": {"kind": "needs"}, "imports.template": {"kind": "offers"},
        "imports.export": {"kind": "needs"},
        "reports.export": {"key": "needs"},
        "announcements.show": {"announcement_id": announcement},
        "announcements.receipts": {"announcement_id": sent},
        "district.school": {"school_id": _first_school(u)},
        **_task_args(u),
    }
    args = table.get(endpoint, {})
    return None if args is None or any(v is None for v in args.values()) else args


def _task_args(user) -> dict:
    """The district's tasks of the demo (its competition, its 上报表册), a school's return and the attachment: as the
    unit or the school's office sees them."""
    from portal.district.models import Task, TaskFile, TaskReturn

    task = db.session.scalar(select(Task).order_by(Task.id))
    if task is None or not visible(user, task):
        return {}
    # A submitted one where the demo has it (the district's), else the school's own, unread.
    ret = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id)
                            .order_by((TaskReturn.state == "submitted").desc(), TaskReturn.id))
    attachment = db.session.scalar(select(TaskFile.id).where(TaskFile.task_id == task.id, TaskFile.return_id.is_(None)))
    report = db.session.scalar(select(Task.id).where(Task.form.is_not(None)).order_by(Task.id))
    return {"district.figures_xlsx": {"task_id": report}, "district.task": {"task_id": task.id},
            "district.judge": {"task_id": task.id},
            "district.entries_xlsx": {"task_id": task.id}, "district.files_zip": {"task_id": task.id},
            "district.review": {"task_id": task.id, "return_id": ret and ret.id},
            "district.file": {"file_id": attachment}, "tasks.show": {"task_id": task.id}}


def _first_school(user) -> int | None:
    """The first school under a unit user's unit."""
    from portal.district.models import units_below
    from portal.people.models import School

    if user.unit_id is None:
        return None
    return db.session.scalar(select(School.id).where(School.unit_id.in_(units_below(user.unit_id))).order_by(School.id))


def _certificate(user) -> dict | None:
    """A course some family has completed: the parent's own family, or for staff any family (?family=)."""
    from portal.parent_school.services import family_progress

    if user.role == "parent":
        families = [user.family]
    elif user.role in STAFF:
        families = db.session.scalars(select(Family).join(Registration, Registration.family_id == Family.id).where(
            Family.school_id == user.school_id, Registration.attended_at.is_not(None)).distinct().order_by(Family.id))
    else:
        return None
    for family in families:
        done = next((p.course for p in family_progress(family) if p.completed), None)
        if done is not None:
            return {"course_id": done.id, "?": "" if user.role == "parent" else f"family={family.id}"}
    return None


# Pages that differ by query string or by being an htmx partial, walked besides the plain page.
VARIANTS = {
    "needs.index": ("?q=数学", "?status=open&page=2"),
    "offers.index": ("?q=辅导",),
    "people.students": ("?q=王",),
    "hours.queue": ("?q=老",),
    "events.index": ("?which=past",),
    "reports.index": ("?period=y2026",),
    "district.index": ("?period=y2026&sort=attendance",),
    "parent_school.index": ("?q=家长",),
}


def pages(role: str) -> list[Page]:
    """Every GET page the role may open, each once with the ids the demo school gives."""
    if role == "anonymous":
        return [Page(role, "auth.login", "/login")]
    user = user_of(role)
    pick = _Picker(user)
    out, seen = [], set()
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        endpoint = rule.endpoint
        if "GET" not in rule.methods or endpoint in SET_ASIDE:
            continue
        action = policy_of(endpoint)
        if action == "public" or role not in RULES[action]:
            continue
        if endpoint == "home.index" and user.unit_id is not None:  # a unit's user is sent on to the district's table
            continue
        args = _args(pick, endpoint)
        needed = set(rule.arguments) - set(rule.defaults or {})
        if args is None or not needed <= set(args):
            continue
        with current_app.test_request_context():
            url = url_for(endpoint, **{k: args[k] for k in needed})
        if args.get("?"):
            url += "?" + args["?"]
        if url not in seen:
            seen.add(url)
            out.append(Page(role, endpoint, url))
            out.extend(Page(role, endpoint, url + q) for q in VARIANTS.get(endpoint, ()))
    return out


def mapped_endpoints() -> set[str]:
    return {p.endpoint for role in ROLES for p in pages(role)}
