"""Every endpoint declares a policy, and each role gets what the rules say."""
from datetime import date, timedelta

import pytest

from portal import create_app
from portal.extensions import db
from portal.permissions import undeclared_endpoints
from tests import factories
from tests.conftest import Client, empty_all_tables, make_config, make_world

ROLES = ("anonymous", "admin", "coordinator", "teacher", "volunteer", "parent", "unit_admin", "unit_officer")
SCHOOL_ROLES = ROLES[1:6]
# A unit's users (above the schools) hold no action of a school: a row that does not name them expects 403 for them.
UNIT_ROLES = ("unit_admin", "unit_officer")


def test_every_endpoint_declares_a_policy(app):
    assert undeclared_endpoints(app) == []


def test_only_the_login_the_health_check_and_the_private_calendar_feed_are_public(app):
    """A new public endpoint must be added here on purpose: everything else needs a login."""
    from portal.permissions import PUBLIC, policy_of

    with app.app_context():
        public = sorted({r.endpoint for r in app.url_map.iter_rules() if policy_of(r.endpoint) == PUBLIC})
    assert public == ["auth.login", "calendar.feed_ics", "home.favicon", "home.healthz", "static"]


def test_a_route_without_policy_is_caught_and_refused(db_url):
    app = create_app(make_config(db_url))

    @app.route("/forgot-to-declare")
    def forgot():
        return "should never be served"

    assert undeclared_endpoints(app) == ["forgot"]
    assert app.test_client().get("/forgot-to-declare").status_code == 403


ALL = dict.fromkeys(SCHOOL_ROLES, 200)
STAFF_ONLY = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 403, "parent": 403}
STAFF_TEACHER = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 403, "parent": 403}
OTHER_SCHOOL = {"admin": 404, "coordinator": 404, "teacher": 403, "volunteer": 403, "parent": 403}
OFFERS = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 200, "parent": 403}
HELP = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 403, "parent": 200}
PAIRS = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 200, "parent": 403}
VISITS = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 200, "parent": 403}
STAFF_MOVES = {"admin": 302, "coordinator": 302, "teacher": 403, "volunteer": 403, "parent": 403}
FAR = {"admin": 404, "coordinator": 404}
HOURS_HOME = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 200, "parent": 403}  # teacher: the queue
HOURS_LOG = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 200, "parent": 403}
HOURS_VIEW = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 200, "parent": 403}
RECORDS = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 200, "parent": 403}
PS_VIEW = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 403, "parent": 200}
PS_FAMILY = {"admin": 403, "coordinator": 403, "teacher": 403, "volunteer": 403, "parent": 200}
PS_FAMILY_MOVES = {**PS_FAMILY, "parent": 302}
PS_STAFF_FAR = {**OTHER_SCHOOL, "teacher": 403}
# A session or course of another school: no one of this school knows it (the volunteer is refused before the lookup).
PS_FAR = {"admin": 404, "coordinator": 404, "teacher": 404, "volunteer": 403, "parent": 404}

NOBODY = dict.fromkeys(SCHOOL_ROLES, 404)  # another school's record: no one of this school knows it
FAMILY_ONLY = {"admin": 403, "coordinator": 403, "teacher": 403, "volunteer": 403, "parent": 302}
VOLUNTEER_ONLY = {"admin": 403, "coordinator": 403, "teacher": 403, "volunteer": 302, "parent": 403}
CALENDAR = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 200, "parent": 403}
ANNOUNCEMENT_TO_PARENTS = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 404, "parent": 200}
UNIT_ONLY = {**dict.fromkeys(SCHOOL_ROLES, 403), "unit_admin": 200, "unit_officer": 200}
UNIT_FAR = {**UNIT_ONLY, "unit_admin": 404, "unit_officer": 404}  # another district's: unknown to this one
UNIT_ADMIN = {**UNIT_ONLY, "unit_officer": 403}

# (method, url with {placeholders}, expected status per role; anonymous is always sent to the login page)
MATRIX = [
    ("GET", "/", {**ALL, "unit_admin": 302, "unit_officer": 302}),  # a unit's users: to the district's table
    ("GET", "/settings", {**ALL, "unit_admin": 200, "unit_officer": 200}),
    # Opens only while a password from the office is in use (tests/auth/test_own_password.py); everyone else home.
    ("GET", "/my-password", dict.fromkeys(ROLES[1:], 302)),
    # --- the district: units above schools (issue 31) ---
    ("GET", "/district/", UNIT_ONLY),
    ("GET", "/district/?period=y2026&sort=attendance&dir=asc", UNIT_ONLY),
    ("GET", "/district/schools/{school}", UNIT_ONLY),
    ("GET", "/district/schools/{school}?period=y2025", UNIT_ONLY),
    ("GET", "/district/schools/{far_school}", UNIT_FAR),
    ("GET", "/district/schools.xlsx", UNIT_ONLY),
    ("GET", "/district/thresholds", UNIT_ONLY),
    ("POST", "/district/thresholds", {**UNIT_ONLY, "unit_admin": 302, "unit_officer": 302}),
    ("GET", "/district/units", UNIT_ADMIN),
    ("POST", "/district/units/{unit}/new", {**UNIT_ADMIN, "unit_admin": 302}),  # no name: back with the message
    ("POST", "/district/units/{far_unit}/new", {**UNIT_ADMIN, "unit_admin": 404}),
    ("POST", "/district/schools/{school}/unit", {**UNIT_ADMIN, "unit_admin": 302}),  # no unit: back with the message
    ("POST", "/district/schools/{far_school}/unit", {**UNIT_ADMIN, "unit_admin": 404}),
    ("GET", "/district/users/new", UNIT_ADMIN),
    ("POST", "/district/users/new", UNIT_ADMIN),  # an empty form comes back with messages
    ("GET", "/district/users/{officer_user}/edit", UNIT_ADMIN),
    ("GET", "/district/users/{teacher_user}/edit", {**UNIT_ADMIN, "unit_admin": 404}),  # a school's account
    ("GET", "/district/users/{far_officer}/edit", {**UNIT_ADMIN, "unit_admin": 404}),
    # Tasks down, returns up: the unit's pages, the school office's, and the files each may open.
    ("GET", "/district/tasks/", UNIT_ONLY),
    ("GET", "/district/tasks/new", UNIT_ONLY),
    ("POST", "/district/tasks/new", UNIT_ONLY),  # an empty form comes back with messages
    ("GET", "/district/tasks/{task}", UNIT_ONLY),
    ("GET", "/district/tasks/{far_task}", UNIT_FAR),
    ("GET", "/district/tasks/{task}/returns/{task_return}", UNIT_ONLY),
    ("GET", "/district/tasks/{far_task}/returns/{far_task_return}", UNIT_FAR),
    ("GET", "/district/tasks/{task}/returns/{far_task_return}", UNIT_FAR),  # another district's school's return
    ("POST", "/district/tasks/{task}/returns/{task_return}", UNIT_ONLY),  # no action chosen: the page again
    ("GET", "/district/tasks/{task}/judge", UNIT_ONLY),
    ("POST", "/district/tasks/{task}/remind", {**UNIT_ONLY, "unit_admin": 302, "unit_officer": 302}),
    ("POST", "/district/tasks/{far_task}/remind", UNIT_FAR),
    ("GET", "/district/tasks/{task}/entries.xlsx", UNIT_ONLY),
    ("GET", "/district/tasks/{task}/files.zip", UNIT_ONLY),
    ("GET", "/district/tasks/{far_task}/files.zip", UNIT_FAR),
    ("GET", "/district/tasks/{task}/figures.xlsx", UNIT_FAR),  # a task without a form of figures has no workbook
    ("GET", "/district/files/{task_file}", {**STAFF_ONLY, "unit_admin": 200, "unit_officer": 200}),
    ("GET", "/district/files/{entry_file}", {**STAFF_ONLY, "unit_admin": 200, "unit_officer": 200}),
    ("GET", "/district/files/{far_task_file}", {**OTHER_SCHOOL, "unit_admin": 404, "unit_officer": 404}),
    ("GET", "/tasks/", STAFF_ONLY),
    ("GET", "/tasks/{task}", STAFF_ONLY),
    ("GET", "/tasks/{far_task}", OTHER_SCHOOL),
    ("POST", "/tasks/{task}", STAFF_ONLY),  # no action chosen: the page again
    ("POST", "/tasks/{far_task}", OTHER_SCHOOL),
    ("POST", "/tasks/{far_task}/entries/{far_entry}/delete", OTHER_SCHOOL),
    ("POST", "/tasks/{task}/entries/{far_entry}/delete", OTHER_SCHOOL),  # another school's entry, under this task
    ("GET", "/my/family", {**dict.fromkeys(ROLES[1:], 403), "parent": 200}),
    ("GET", "/my/volunteer", {**dict.fromkeys(ROLES[1:], 403), "volunteer": 200}),
    ("GET", "/notices/", dict.fromkeys(SCHOOL_ROLES, 200)),
    ("POST", "/notices/read", dict.fromkeys(SCHOOL_ROLES, 302)),
    ("GET", "/notices/deliveries", STAFF_ONLY),
    ("POST", "/parent-school/courses/{ps_course}/classes/{own_class}/remind",
     {**STAFF_MOVES, "teacher": 302}),
    ("POST", "/parent-school/courses/{ps_course}/classes/{far_class}/remind", {**OTHER_SCHOOL, "teacher": 404}),
    ("GET", "/people/", STAFF_ONLY),
    ("GET", "/people/students", STAFF_TEACHER),
    ("GET", "/people/students?q=wxm", STAFF_TEACHER),
    ("GET", "/people/students/{pupil}", STAFF_TEACHER),
    ("GET", "/people/students/{stranger}", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/people/students/{far_pupil}", {**OTHER_SCHOOL, "teacher": 404}),
    ("GET", "/people/students/new", STAFF_ONLY),
    ("GET", "/people/students/{pupil}/edit", STAFF_ONLY),
    ("GET", "/people/students/{far_pupil}/edit", OTHER_SCHOOL),
    ("GET", "/people/classes/new", STAFF_ONLY),
    ("GET", "/people/classes/{own_class}/edit", STAFF_ONLY),
    ("GET", "/people/classes/{far_class}/edit", OTHER_SCHOOL),
    ("GET", "/people/families", STAFF_ONLY),
    ("GET", "/people/families/new", STAFF_ONLY),
    ("GET", "/people/families/{family}", STAFF_ONLY),
    ("GET", "/people/families/{family}/edit", STAFF_ONLY),
    ("GET", "/people/families/{far_family}", OTHER_SCHOOL),
    ("GET", "/people/volunteers", STAFF_ONLY),
    ("GET", "/people/volunteers/new", STAFF_ONLY),
    ("GET", "/people/volunteers/{volunteer}/edit", STAFF_ONLY),
    ("GET", "/people/users", STAFF_ONLY),
    ("GET", "/people/users/new", STAFF_ONLY),
    ("GET", "/people/users/{teacher_user}/edit", STAFF_ONLY),
    ("GET", "/people/users/{admin_user}/edit", {**STAFF_ONLY, "coordinator": 403}),
    ("GET", "/people/import", STAFF_ONLY),
    ("GET", "/people/import/template.xlsx", STAFF_ONLY),
    ("GET", "/people/import/999999", OTHER_SCHOOL),  # a roster file is seen by its uploader only
    ("GET", "/people/grades", STAFF_ONLY),
    ("GET", "/people/rollover", STAFF_ONLY),
    ("GET", "/people/retention", {**dict.fromkeys(ROLES[1:], 403), "admin": 200}),
    ("GET", "/people/erasure", STAFF_ONLY),
    ("GET", "/my/family/data.xlsx", {**dict.fromkeys(ROLES[1:], 403), "parent": 200}),
    ("POST", "/my/family/children/{pupil}/erasure", {**dict.fromkeys(ROLES[1:], 403), "parent": 302}),
    ("POST", "/people/retention/run", {**dict.fromkeys(ROLES[1:], 403), "admin": 302}),
    ("GET", "/people/classes/{own_class}/accounts", STAFF_ONLY),
    ("GET", "/people/classes/{far_class}/accounts", OTHER_SCHOOL),
    ("GET", "/people/volunteers/accounts", STAFF_ONLY),
    ("GET", "/people/students/{pupil}/merge", STAFF_ONLY),
    ("GET", "/people/students/{pupil}/merge?with={far_pupil}", STAFF_ONLY),  # another school's: not offered
    ("GET", "/people/students/{far_pupil}/merge", OTHER_SCHOOL),
    ("GET", "/people/families/{family}/merge", STAFF_ONLY),
    ("GET", "/people/families/{far_family}/merge", OTHER_SCHOOL),
    ("GET", "/people/volunteers/{volunteer}/merge", STAFF_ONLY),
    ("GET", "/people/volunteers/{far_volunteer}/merge", OTHER_SCHOOL),
    ("POST", "/people/students/{far_pupil}/merge", OTHER_SCHOOL),
    ("POST", "/people/families/{far_family}/merge", OTHER_SCHOOL),
    ("GET", "/admin/audit", {**dict.fromkeys(ROLES[1:], 403), "admin": 200}),
    ("POST", "/people/students/{pupil}/tags", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/students/{stranger}/tags", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 404}),
    ("POST", "/people/students/{far_pupil}/tags", {**OTHER_SCHOOL, "teacher": 404}),
    ("POST", "/people/students/{pupil}/consent", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/student/{pupil}/active", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),
    ("POST", "/people/student/{far_pupil}/active", OTHER_SCHOOL),
    ("POST", "/people/students/{far_pupil}/transfer", OTHER_SCHOOL),
    ("POST", "/people/students/{pupil}/transfer", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),
    ("POST", "/people/user/{admin_user}/active", {**STAFF_ONLY, "admin": 302, "coordinator": 403}),
    ("POST", "/people/students/{pupil}/consent/withdraw",
     {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/students/{stranger}/consent/withdraw", {**STAFF_TEACHER, "admin": 302, "coordinator": 302,
                                                             "teacher": 404}),
    ("POST", "/people/volunteers/{volunteer}/account", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),  # has one
    ("POST", "/people/family/{far_family}/active", OTHER_SCHOOL),
    ("POST", "/people/guardians/{guardian}/account", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),  # has one already
    ("POST", "/people/classes/{far_class}/accounts", OTHER_SCHOOL),
    ("POST", "/people/users/{teacher_user}/password-reset", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),  # refused
    ("POST", "/people/users/{admin_user}/password-reset", {**STAFF_ONLY, "admin": 302, "coordinator": 403}),
    # --- the two menus and help requests (issue 4) ---
    ("GET", "/needs/", STAFF_TEACHER),
    ("GET", "/needs/?has_tags=1&status=", STAFF_TEACHER),
    ("GET", "/needs/new", STAFF_TEACHER),
    ("GET", "/needs/new?student_id={stranger}", STAFF_TEACHER),  # not prefilled for the teacher, but no error
    ("GET", "/needs/new?help_id={help}", STAFF_TEACHER),  # the teacher's form ignores help_id
    ("GET", "/needs/new?help_id={far_help}", {**STAFF_TEACHER, "admin": 404, "coordinator": 404}),
    ("GET", "/needs/students?place=c{own_class}", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("GET", "/needs/board", STAFF_ONLY),
    ("GET", "/needs/{need}", STAFF_TEACHER),
    ("GET", "/needs/{stranger_need}", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/needs/{young_need}", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/needs/{far_need}", {**OTHER_SCHOOL, "teacher": 404}),
    ("GET", "/needs/999999", {**OTHER_SCHOOL, "teacher": 404}),
    # Cards are htmx fragments: opened on their own they lead to their page, once the record is known to be visible.
    ("GET", "/needs/{need}/card", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("GET", "/needs/{stranger_need}/card", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 404}),
    ("GET", "/needs/{far_need}/card", {**OTHER_SCHOOL, "teacher": 404}),
    ("GET", "/needs/{need}/edit", STAFF_TEACHER),
    ("GET", "/needs/{stranger_need}/edit", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/needs/{far_need}/edit", {**OTHER_SCHOOL, "teacher": 404}),
    ("POST", "/needs/new", STAFF_TEACHER),  # an incomplete form comes back with messages
    ("POST", "/needs/{need}/edit", STAFF_TEACHER),
    ("POST", "/needs/{stranger_need}/edit", {**STAFF_TEACHER, "teacher": 404}),
    ("POST", "/needs/{far_need}/edit", {**OTHER_SCHOOL, "teacher": 404}),
    ("POST", "/needs/{need}/status", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/needs/{stranger_need}/status", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 404}),
    ("POST", "/needs/{far_need}/status", {**OTHER_SCHOOL, "teacher": 404}),
    ("GET", "/offers/", OFFERS),
    ("GET", "/offers/?status=paused&free_only=1", OFFERS),
    ("GET", "/offers/new", OFFERS),
    ("GET", "/offers/{offer}/card", {**OFFERS, "admin": 302, "coordinator": 302, "volunteer": 302}),
    ("GET", "/offers/{other_offer}/card", {**OFFERS, "admin": 302, "coordinator": 302, "volunteer": 404}),
    ("GET", "/offers/{far_offer}/card", {**OFFERS, "admin": 404, "coordinator": 404, "volunteer": 404}),
    ("GET", "/offers/{offer}/edit", OFFERS),
    ("GET", "/offers/{other_offer}/edit", {**OFFERS, "volunteer": 404}),
    ("GET", "/offers/{far_offer}/edit", {**OFFERS, "admin": 404, "coordinator": 404, "volunteer": 404}),
    ("POST", "/offers/new", OFFERS),
    ("POST", "/offers/{offer}/edit", OFFERS),
    ("POST", "/offers/{other_offer}/edit", {**OFFERS, "volunteer": 404}),
    ("POST", "/offers/{offer}/status", {**OFFERS, "admin": 302, "coordinator": 302, "volunteer": 302}),
    ("POST", "/offers/{other_offer}/status", {**OFFERS, "admin": 302, "coordinator": 302, "volunteer": 404}),
    ("POST", "/offers/{far_offer}/status", {**OFFERS, "admin": 404, "coordinator": 404, "volunteer": 404}),
    ("GET", "/help/", HELP),
    ("GET", "/help/?status=", HELP),
    ("GET", "/help/new", {**dict.fromkeys(ROLES[1:], 403), "parent": 200}),
    ("POST", "/help/new", {**dict.fromkeys(ROLES[1:], 403), "parent": 200}),
    ("GET", "/help/{help}", HELP),
    ("GET", "/help/{other_help}", {**HELP, "parent": 404}),
    ("GET", "/help/{far_help}", {**HELP, "admin": 404, "coordinator": 404, "parent": 404}),
    ("POST", "/help/{help}", {**HELP, "parent": 302}),  # staff: the empty answer comes back; a parent cannot answer
    ("POST", "/help/{other_help}", {**HELP, "parent": 404}),
    ("POST", "/help/{far_help}", {**HELP, "admin": 404, "coordinator": 404, "parent": 404}),
    # --- matching and pairs (issue 5) ---
    ("GET", "/matching/", STAFF_ONLY),
    ("GET", "/matching/?category_id=1&sort=waiting", STAFF_ONLY),
    ("GET", "/matching/needs/{need}", STAFF_ONLY),
    ("GET", "/matching/needs/{far_need}", {**STAFF_ONLY, **FAR}),
    ("POST", "/matching/needs/{need}", STAFF_ONLY),  # nothing ticked: the page comes back with a message
    ("GET", "/matching/offers/{offer}", STAFF_ONLY),
    ("GET", "/matching/offers/{far_offer}", {**STAFF_ONLY, **FAR}),
    ("POST", "/matching/plans", STAFF_MOVES),
    ("GET", "/matching/plans/{plan}", STAFF_ONLY),
    ("GET", "/matching/plans/{far_plan}", {**STAFF_ONLY, **FAR}),
    ("POST", "/matching/proposals/{proposal}/reject", STAFF_MOVES),
    ("POST", "/matching/proposals/{far_proposal}/accept", {**STAFF_MOVES, **FAR}),
    ("POST", "/matching/plans/{plan}/accept-all", STAFF_MOVES),
    ("GET", "/pairs/", PAIRS),
    ("GET", "/pairs/?follow=due&status=all&kind=one_to_one", PAIRS),
    ("GET", "/pairs/{pair}", PAIRS),
    ("GET", "/pairs/{other_pair}", {**PAIRS, "teacher": 404, "volunteer": 404}),
    ("GET", "/pairs/{far_pair}", {**PAIRS, **FAR, "teacher": 404, "volunteer": 404}),
    ("GET", "/pairs/{pair}/visits/new", VISITS),
    ("GET", "/pairs/{other_pair}/visits/new", {**VISITS, "volunteer": 404}),
    ("GET", "/pairs/{far_pair}/visits/new", {**VISITS, **FAR, "volunteer": 404}),
    ("POST", "/pairs/{pair}/visits/new", VISITS),  # an empty form comes back with messages
    ("POST", "/pairs/{pair}/confirm", {**STAFF_MOVES, "volunteer": 302}),
    ("POST", "/pairs/{other_pair}/confirm", {**STAFF_MOVES, "volunteer": 404}),
    ("POST", "/pairs/{pair}/pause", STAFF_MOVES),
    ("POST", "/pairs/{pair}/end", STAFF_ONLY),  # no reason given: the page comes back with a message
    ("POST", "/pairs/{far_pair}/end", {**STAFF_ONLY, **FAR}),
    ("GET", "/pairs/{pair}/reassign/{member}", STAFF_ONLY),
    ("GET", "/pairs/renew", STAFF_ONLY),
    ("POST", "/pairs/renew", {**STAFF_MOVES}),
    # --- hours (issue 6) ---
    ("GET", "/hours/", HOURS_HOME),
    ("GET", "/hours/?period=all&kind=老教师&q=zjg", HOURS_HOME),
    ("GET", "/hours/?period=t999999&page=2", HOURS_HOME),
    ("GET", "/hours/volunteers/{volunteer}", STAFF_ONLY),
    ("GET", "/hours/volunteers/{volunteer}?page=2", STAFF_ONLY),
    ("GET", "/hours/volunteers/{far_volunteer}", OTHER_SCHOOL),
    ("GET", "/hours/volunteers/999999", OTHER_SCHOOL),
    ("GET", "/hours/new", HOURS_LOG),
    ("GET", "/hours/new?volunteer_id={volunteer}&worked_on=2026-02-30&activity=event", HOURS_LOG),
    ("GET", "/hours/new?volunteer_id={far_volunteer}", HOURS_LOG),  # not offered, no error
    ("POST", "/hours/new", HOURS_LOG),  # an empty form comes back with messages
    ("GET", "/hours/queue", STAFF_TEACHER),
    ("GET", "/hours/queue?status=all&entered=staff&kind=老干部&activity=event&q=lgy&page=3", STAFF_TEACHER),
    ("GET", "/hours/queue?event_id={far_event}", STAFF_TEACHER),
    ("POST", "/hours/review", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),  # nothing ticked
    ("GET", "/hours/{hour}", {**HOURS_VIEW, "teacher": 404}),  # the volunteer's own entry, at no event
    ("GET", "/hours/{other_hour}", {**HOURS_VIEW, "teacher": 404, "volunteer": 404}),
    ("GET", "/hours/{event_hour}", {**HOURS_VIEW, "volunteer": 404}),  # at an event the teacher leads
    ("GET", "/hours/{far_hour}", {**HOURS_VIEW, **FAR, "teacher": 404, "volunteer": 404}),
    ("GET", "/hours/999999", {**HOURS_VIEW, **FAR, "teacher": 404, "volunteer": 404}),
    ("POST", "/hours/{hour}", {**HOURS_VIEW, "teacher": 404, "volunteer": 403}),  # staff: no reason, a message
    ("POST", "/hours/{other_hour}", {**HOURS_VIEW, "teacher": 404, "volunteer": 404}),  # pending: a message
    ("POST", "/hours/{event_hour}", {**HOURS_VIEW, "teacher": 403, "volunteer": 404}),
    ("POST", "/hours/{far_hour}", {**HOURS_VIEW, **FAR, "teacher": 404, "volunteer": 404}),
    ("GET", "/hours/recognition", STAFF_ONLY),
    ("GET", "/hours/recognition?year=1900", STAFF_ONLY),
    ("POST", "/hours/recognition", STAFF_ONLY),  # every row empty: a message, the levels stay
    ("GET", "/hours/recognition.xlsx?year=2026", STAFF_ONLY),
    ("GET", "/hours/export.xlsx", STAFF_ONLY),
    ("GET", "/hours/export.xlsx?period=all", STAFF_ONLY),
    ("POST", "/hours/volunteers/{volunteer}/records", STAFF_ONLY),  # no dates: the page comes back with messages
    ("POST", "/hours/volunteers/{far_volunteer}/records", OTHER_SCHOOL),
    ("GET", "/hours/records/{record}", RECORDS),
    ("GET", "/hours/records/{other_record}", {**RECORDS, "volunteer": 404}),
    ("GET", "/hours/records/{far_record}", {**RECORDS, **FAR, "volunteer": 404}),
    ("GET", "/hours/records/999999", {**RECORDS, **FAR, "volunteer": 404}),
    # --- the parent school ---
    ("GET", "/parent-school/", PS_VIEW),  # a family's sessions, the office's list, a teacher's mandatory courses
    ("GET", "/parent-school/sessions/{ps_session}", {**PS_VIEW, "teacher": 403}),  # the roster, or the family's page
    ("GET", "/parent-school/sessions/{ps_session}?status=waitlisted&q=lxh", {**PS_VIEW, "teacher": 403}),
    ("GET", "/parent-school/sessions/{ps_first_grade_session}", {**PS_VIEW, "teacher": 403, "parent": 404}),
    ("GET", "/parent-school/sessions/{far_ps_session}", PS_FAR),
    ("GET", "/parent-school/sessions/999999", PS_FAR),
    ("POST", "/parent-school/sessions/{ps_session}/register", PS_FAMILY_MOVES),  # an out-of-date form: a message
    ("POST", "/parent-school/sessions/{far_ps_session}/register", {**PS_FAMILY, "parent": 404}),
    ("POST", "/parent-school/registrations/{ps_registration}/cancel", {**STAFF_MOVES, "teacher": 404, "parent": 302}),
    ("POST", "/parent-school/registrations/{ps_other_registration}/cancel",
     {**STAFF_MOVES, "teacher": 404, "parent": 404}),
    ("POST", "/parent-school/registrations/{far_ps_registration}/cancel", {**PS_FAR, "teacher": 404}),
    ("POST", "/parent-school/registrations/{ps_registration}/feedback", PS_FAMILY_MOVES),  # not attended: a message
    ("POST", "/parent-school/registrations/{ps_other_registration}/feedback", {**PS_FAMILY, "parent": 404}),
    ("GET", "/parent-school/registrations/{ps_registration}.ics", PS_FAMILY),
    ("GET", "/parent-school/registrations/{ps_other_registration}.ics", {**PS_FAMILY, "parent": 404}),
    ("GET", "/parent-school/registrations/{far_ps_registration}.ics", {**PS_FAMILY, "parent": 404}),
    # Not completed: back to the list with a message. Staff name the family; a teacher prints none.
    ("GET", "/parent-school/courses/{ps_course}/certificate", {**PS_VIEW, "admin": 404, "coordinator": 404,
                                                              "teacher": 403, "parent": 302}),
    ("GET", "/parent-school/courses/{ps_course}/certificate?family={family}", {**PS_VIEW, "admin": 302,
                                                                               "coordinator": 302, "teacher": 403,
                                                                               "parent": 302}),
    ("GET", "/parent-school/courses/{ps_course}/certificate?family={far_family}",
     {**PS_VIEW, "admin": 404, "coordinator": 404, "teacher": 403, "parent": 302}),
    ("GET", "/parent-school/courses/{far_ps_course}/certificate", {**PS_FAR, "teacher": 403}),
    ("POST", "/parent-school/sessions/{ps_session}/status", STAFF_MOVES),  # no status given: a message
    ("POST", "/parent-school/sessions/{far_ps_session}/status", PS_STAFF_FAR),
    ("GET", "/parent-school/sessions/{ps_session}/attendance.xlsx", STAFF_ONLY),
    ("GET", "/parent-school/sessions/{far_ps_session}/attendance.xlsx", PS_STAFF_FAR),
    ("GET", "/parent-school/sessions/{ps_session}/sign-in-sheet", STAFF_ONLY),
    ("GET", "/parent-school/sessions/{far_ps_session}/sign-in-sheet", PS_STAFF_FAR),
    ("GET", "/parent-school/sessions/{ps_session}/door", STAFF_ONLY),
    ("GET", "/parent-school/sessions/{ps_session}/door?q=wxm", STAFF_ONLY),
    ("GET", "/parent-school/sessions/{far_ps_session}/door", PS_STAFF_FAR),
    ("POST", "/parent-school/sessions/{ps_session}/check-in", STAFF_ONLY),  # no code: the page with a message
    ("POST", "/parent-school/sessions/{far_ps_session}/check-in", PS_STAFF_FAR),
    ("POST", "/parent-school/registrations/{ps_registration}/check-in", STAFF_MOVES),
    ("POST", "/parent-school/registrations/{far_ps_registration}/check-in", PS_STAFF_FAR),
    ("POST", "/parent-school/registrations/{ps_registration}/undo-check-in", STAFF_MOVES),
    ("POST", "/parent-school/registrations/{far_ps_registration}/undo-check-in", PS_STAFF_FAR),
    ("POST", "/parent-school/sessions/{ps_session}/walk-in", STAFF_MOVES),  # no child chosen: a message
    ("POST", "/parent-school/sessions/{far_ps_session}/walk-in", PS_STAFF_FAR),
    ("GET", "/parent-school/check-in/{ps_session}/{ps_code}", STAFF_ONLY),
    ("GET", "/parent-school/check-in/{ps_session}/NOSUCH", STAFF_ONLY),
    ("GET", "/parent-school/check-in/{far_ps_session}/{far_ps_code}", PS_STAFF_FAR),
    ("GET", "/parent-school/courses/new", STAFF_ONLY),
    ("POST", "/parent-school/courses/new", STAFF_ONLY),  # an empty form comes back with messages
    ("GET", "/parent-school/courses/{ps_course}", STAFF_ONLY),
    ("GET", "/parent-school/courses/{far_ps_course}", PS_STAFF_FAR),
    ("GET", "/parent-school/courses/{ps_course}/edit", STAFF_ONLY),
    ("POST", "/parent-school/courses/{ps_course}/edit", STAFF_ONLY),
    ("GET", "/parent-school/courses/{far_ps_course}/edit", PS_STAFF_FAR),
    ("POST", "/parent-school/courses/{far_ps_course}/edit", PS_STAFF_FAR),
    ("GET", "/parent-school/courses/{ps_course}/sessions/new", STAFF_ONLY),
    ("POST", "/parent-school/courses/{ps_course}/sessions/new", STAFF_ONLY),
    ("GET", "/parent-school/courses/{far_ps_course}/sessions/new", PS_STAFF_FAR),
    ("POST", "/parent-school/courses/{far_ps_course}/sessions/new", PS_STAFF_FAR),
    ("GET", "/parent-school/sessions/{ps_session}/edit", STAFF_ONLY),
    ("POST", "/parent-school/sessions/{ps_session}/edit", STAFF_ONLY),
    ("GET", "/parent-school/sessions/{far_ps_session}/edit", PS_STAFF_FAR),
    ("POST", "/parent-school/sessions/{far_ps_session}/edit", PS_STAFF_FAR),
    ("GET", "/parent-school/courses/{ps_course}/coverage", STAFF_TEACHER),
    ("GET", "/parent-school/courses/{far_ps_course}/coverage", {**PS_FAR, "parent": 403}),
    ("GET", "/parent-school/courses/{ps_course}/coverage.xlsx", STAFF_TEACHER),
    ("GET", "/parent-school/courses/{far_ps_course}/coverage.xlsx", {**PS_FAR, "parent": 403}),
    # --- events and the 行事历 ---
    ("GET", "/events/", ALL),
    ("GET", "/events/?which=past&kind=讲座&q=zz", ALL),
    ("GET", "/events/?which=all&q=%00", ALL),
    ("GET", "/events/{ev}", ALL),  # the teacher leads it; open to parents and volunteers
    ("GET", "/events/{ev_staff}", {**ALL, "teacher": 404, "volunteer": 404, "parent": 404}),  # for grade 5
    ("GET", "/events/{ev_parents}", {**ALL, "volunteer": 404}),  # not open to volunteers
    ("GET", "/events/{ev_far}", NOBODY),
    ("GET", "/events/999999", NOBODY),
    ("GET", "/events/new", STAFF_ONLY),
    ("GET", "/events/new?day=2026-02-30", STAFF_ONLY),
    ("POST", "/events/new", STAFF_ONLY),  # an empty form comes back with messages
    ("GET", "/events/{ev}/edit", STAFF_ONLY),
    ("POST", "/events/{ev}/edit", STAFF_ONLY),
    ("GET", "/events/{ev_far}/edit", OTHER_SCHOOL),
    ("POST", "/events/{ev_far}/edit", OTHER_SCHOOL),
    ("POST", "/events/{ev}/status", STAFF_MOVES),  # no status given: a message
    ("POST", "/events/{ev_far}/status", OTHER_SCHOOL),
    ("POST", "/events/{ev}/register", FAMILY_ONLY),  # already registered: a message
    ("POST", "/events/{ev_staff}/register", {**FAMILY_ONLY, "parent": 404}),
    ("POST", "/events/{ev_far}/register", {**FAMILY_ONLY, "parent": 404}),
    ("POST", "/events/registrations/{ev_registration}/cancel", {**STAFF_MOVES, "teacher": 404, "volunteer": 404,
                                                               "parent": 302}),
    ("POST", "/events/registrations/{ev_other_registration}/cancel", {**STAFF_MOVES, "teacher": 404,
                                                                     "volunteer": 404, "parent": 404}),
    ("POST", "/events/registrations/{ev_far_registration}/cancel", NOBODY),
    ("POST", "/events/{ev}/sign-up", VOLUNTEER_ONLY),  # no role chosen: a message
    ("POST", "/events/{ev_staff}/sign-up", {**VOLUNTEER_ONLY, "volunteer": 404}),
    ("POST", "/events/{ev_far}/sign-up", {**VOLUNTEER_ONLY, "volunteer": 404}),
    ("POST", "/events/helpers/{ev_helper}/withdraw", {**STAFF_MOVES, "teacher": 404, "volunteer": 302,
                                                      "parent": 404}),
    ("POST", "/events/helpers/{ev_other_helper}/withdraw", {**STAFF_MOVES, "teacher": 404, "volunteer": 404,
                                                            "parent": 404}),
    ("POST", "/events/helpers/{ev_far_helper}/withdraw", NOBODY),
    ("GET", "/events/{ev}/report", STAFF_ONLY),
    ("POST", "/events/{ev}/report", STAFF_ONLY),  # no summary: the page comes back with a message
    ("GET", "/events/{ev_far}/report", OTHER_SCHOOL),
    ("POST", "/events/{ev_far}/report", OTHER_SCHOOL),
    ("POST", "/events/{ev}/helpers-attendance", STAFF_MOVES),
    ("POST", "/events/{ev_far}/helpers-attendance", OTHER_SCHOOL),
    ("POST", "/events/{ev}/families-attendance", STAFF_MOVES),
    ("POST", "/events/{ev_far}/families-attendance", OTHER_SCHOOL),
    ("POST", "/events/{ev}/photos", STAFF_MOVES),  # no file: a message
    ("POST", "/events/{ev_far}/photos", OTHER_SCHOOL),
    ("GET", "/events/photos/{ev_photo}", STAFF_TEACHER),  # the teacher is responsible for the event
    ("GET", "/events/photos/{ev_staff_photo}", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/events/photos/{ev_far_photo}", {**STAFF_TEACHER, "admin": 404, "coordinator": 404, "teacher": 404}),
    ("GET", "/events/photos/999999", {**STAFF_TEACHER, "admin": 404, "coordinator": 404, "teacher": 404}),
    ("POST", "/events/photos/{ev_photo}/delete", STAFF_MOVES),
    ("POST", "/events/photos/{ev_far_photo}/delete", OTHER_SCHOOL),
    ("GET", "/events/partners", STAFF_ONLY),
    ("POST", "/events/partners", STAFF_ONLY),  # no name: the page comes back with a message
    ("GET", "/events/partners/{ev_partner}", STAFF_ONLY),
    ("POST", "/events/partners/{ev_partner}", STAFF_ONLY),
    ("GET", "/events/partners/{ev_far_partner}", OTHER_SCHOOL),
    ("POST", "/events/partners/{ev_far_partner}", OTHER_SCHOOL),
    ("GET", "/calendar/", CALENDAR),
    ("GET", "/calendar/?period=2026-2&month=4&kind=讲座", CALENDAR),
    ("GET", "/calendar/?period=abc&month=99999999999999999999&kind=%00", CALENDAR),
    ("GET", "/calendar/print", CALENDAR),
    ("GET", "/calendar/print?period=2026", CALENDAR),
    ("GET", "/calendar/export.xlsx", CALENDAR),
    ("GET", "/calendar/import", STAFF_ONLY),
    ("POST", "/calendar/import", STAFF_ONLY),  # no file: a message beside the field
    ("GET", "/calendar/import/template.xlsx", STAFF_ONLY),
    ("GET", "/calendar/import/{ev_batch}", {**STAFF_ONLY, "admin": 404}),  # only the coordinator who uploaded it
    ("POST", "/calendar/import/{ev_batch}/confirm", {**STAFF_MOVES, "admin": 404}),
    ("GET", "/calendar/import/{ev_far_batch}", {**STAFF_ONLY, "admin": 404, "coordinator": 404}),
    ("POST", "/calendar/import/{ev_far_batch}/confirm", {**STAFF_ONLY, "admin": 404, "coordinator": 404}),
    ("GET", "/calendar/feed", ALL),
    ("POST", "/calendar/feed", dict.fromkeys(SCHOOL_ROLES, 302)),  # a new address; the login is fresh
    # --- announcements (通知): the office to any audience, a class teacher to her class; a reader opens only what was
    # sent to them; the receipts are the sender's and the office's ---
    ("GET", "/announcements/", STAFF_TEACHER),
    ("GET", "/announcements/?page=2", STAFF_TEACHER),
    ("GET", "/announcements/new", STAFF_TEACHER),
    ("POST", "/announcements/new", STAFF_TEACHER),  # an empty form comes back with messages
    ("GET", "/announcements/{ann_class}", {**ANNOUNCEMENT_TO_PARENTS, "teacher": 404}),
    ("GET", "/announcements/{ann_teacher}", ANNOUNCEMENT_TO_PARENTS),
    ("GET", "/announcements/{ann_staff}", {**STAFF_TEACHER, "volunteer": 404, "parent": 404}),
    ("GET", "/announcements/{ann_volunteers}", {**ALL, "teacher": 404, "parent": 404}),
    ("GET", "/announcements/{ann_far}", NOBODY),
    ("GET", "/announcements/{ann_class}/receipts", {**STAFF_TEACHER, "teacher": 404}),
    ("GET", "/announcements/{ann_teacher}/receipts", STAFF_TEACHER),
    ("GET", "/announcements/{ann_staff}/receipts", STAFF_ONLY),  # it reached the teacher; its receipts are not hers
    ("GET", "/announcements/{ann_far}/receipts", {**OTHER_SCHOOL, "teacher": 404}),
    # The office may open it but was not sent it: back to the page with a message; the parent confirms.
    ("POST", "/announcements/{ann_class}/confirm", {**dict.fromkeys(SCHOOL_ROLES, 404), "admin": 302, "coordinator": 302,
                                                    "parent": 302}),
    ("POST", "/announcements/{ann_far}/confirm", NOBODY),
    ("POST", "/announcements/{ann_class}/remind", {**STAFF_MOVES, "teacher": 404}),
    ("POST", "/announcements/{ann_teacher}/remind", {**STAFF_MOVES, "teacher": 302}),
    ("POST", "/announcements/{ann_staff}/remind", STAFF_MOVES),
    ("POST", "/announcements/{ann_far}/remind", {**OTHER_SCHOOL, "teacher": 404}),
    # --- the committee's reports ---
    ("GET", "/reports/", STAFF_ONLY),
    ("GET", "/reports/?period=y2025", STAFF_ONLY),
    ("GET", "/reports/?period=t999999", STAFF_ONLY),  # not a term of the school: the current one
    ("GET", "/reports/print", STAFF_ONLY),
    ("GET", "/reports/coverage", STAFF_ONLY),  # names with support tags: staff only, audited
    ("GET", "/reports/coverage?period=nonsense", STAFF_ONLY),
    ("GET", "/reports/needs.xlsx", STAFF_ONLY),
    ("GET", "/reports/coverage.xlsx", STAFF_ONLY),  # the login is fresh
    ("GET", "/reports/hours.xlsx?period=y2025", STAFF_ONLY),
    ("GET", "/reports/annual.xlsx?year=2025", STAFF_ONLY),
    ("GET", "/reports/nosuch.xlsx", {**STAFF_ONLY, "admin": 404, "coordinator": 404}),
]

@pytest.fixture
def menus(world):
    return make_menus(world)


def make_menus(world):
    """A need, an offer and a help request visible to each role, and ones that are not."""
    coord, parent = world.users["coordinator"], world.users["parent"]
    cat, far_cat = factories.category(world.school, "学业辅导"), factories.category(world.far, "学业辅导")
    far_coord = factories.user(world.far, "coordinator", "far-coordinator")
    other_vol = factories.volunteer(world.school, "李建华")
    neighbours = factories.family(world.school, "李家")
    neighbour_child = factories.student(world.other_class, "李小华", family=neighbours)
    from datetime import date

    from portal.matching.services import make_plan
    from portal.pairs.services import create_pair

    pair_need, other_need = factories.need(world.pupil, cat, coord), factories.need(world.stranger, cat, coord)
    offer = factories.offer(world.volunteer, cat, coord, capacity=3)
    other_offer = factories.offer(other_vol, cat, coord)
    far_offer = factories.offer(factories.volunteer(world.far), far_cat, far_coord, capacity=3)
    pair = create_pair(coord, [pair_need], [offer], date.today())[0]
    other_pair = create_pair(coord, [other_need], [other_offer], date.today())[0]
    far_pair = create_pair(far_coord, [factories.need(world.far_pupil, far_cat, far_coord)], [far_offer], date.today())[0]
    need = factories.need(world.pupil, cat, coord)
    factories.need(world.far_pupil, far_cat, far_coord)
    plan, far_plan = make_plan(coord), make_plan(far_coord)
    return {
        "pair": pair.id, "other_pair": other_pair.id, "far_pair": far_pair.id, "member": pair.members[0].id,
        "plan": plan.id, "far_plan": far_plan.id, "proposal": plan.proposals[0].id,
        "far_proposal": far_plan.proposals[0].id,
        "need": need.id,
        "stranger_need": factories.need(world.stranger, cat, coord).id,
        "young_need": factories.need(factories.young_teacher(world.school), cat, coord).id,
        "far_need": factories.need(world.far_pupil, far_cat, far_coord).id,
        "offer": offer.id, "other_offer": other_offer.id, "far_offer": far_offer.id,
        "help": factories.help_request(world.pupil, cat, parent).id,
        "other_help": factories.help_request(neighbour_child, cat, coord).id,
        "far_help": factories.help_request(world.far_pupil, far_cat, far_coord, family_id=world.far_family.id).id,
    }


@pytest.fixture
def ledger(world):
    return make_ledger(world)


def make_ledger(world):
    """Hours entries and service records: the volunteer's own, another volunteer's, one at an event the teacher
    leads, and another school's; and another school's volunteer and event."""
    from datetime import datetime

    from portal.core.clock import SHANGHAI
    from portal.hours.recognition import issue_record

    today = datetime.now(SHANGHAI).date()
    coord, teacher = world.users["coordinator"], world.users["teacher"]
    far_coord = factories.user(world.far, "coordinator", "far-hours-coordinator")
    other_vol, far_vol = factories.volunteer(world.school, "李桂英", kind="老干部"), factories.volunteer(world.far)
    led, far_event = factories.event(world.school, leads=[teacher], day=today), factories.event(world.far, day=today)
    hour = factories.hour_entry(world.volunteer, coord, "3", day=today, status="approved")
    other_hour = factories.hour_entry(other_vol, coord, "2", day=today)
    event_hour = factories.hour_entry(other_vol, coord, "1", day=today, event_id=led.id, activity="event")
    far_hour = factories.hour_entry(far_vol, far_coord, "2", day=today, status="approved")
    factories.hour_entry(other_vol, coord, "4", day=today, status="approved")
    return {
        "hour": hour.id, "other_hour": other_hour.id, "event_hour": event_hour.id, "far_hour": far_hour.id,
        "far_volunteer": far_vol.id, "far_event": far_event.id,
        "record": issue_record(coord, world.volunteer, today, today, today).id,
        "other_record": issue_record(coord, other_vol, today, today, today).id,
        "far_record": issue_record(far_coord, far_vol, today, today, today).id,
    }


@pytest.fixture
def parent_school(world):
    return make_parent_school(world)


def make_parent_school(world):
    """A course for the world's grades with a session, the parent's and a neighbour's registrations; a grade-1
    session; and another school's course, session and registration."""
    from portal.registrations.services import register

    coord, parent = world.users["coordinator"], world.users["parent"]
    far_coord = factories.user(world.far, "coordinator", "far-ps-coordinator")
    course = factories.course(world.school, coord, title="好家长沟通课", grades=(3, 4), mandatory=True)
    session = factories.course_session(course, capacity=5)
    first_grade = factories.course_session(factories.course(world.school, coord, title="一年级新生家长课", grades=(1,)))
    neighbour = factories.student(world.own_class, "李小华", family=factories.family(world.school, "李家"))
    far_course = factories.course(world.far, far_coord, grades=(3,))
    far_session = factories.course_session(far_course)
    far_child = factories.student(world.far_class, "钱小贝", family=world.far_family)
    mine, _ = register(session, world.pupil, parent)
    other, _ = register(session, neighbour, coord)
    far, _ = register(far_session, far_child, far_coord)
    return {"ps_course": course.id, "ps_session": session.id, "ps_first_grade_session": first_grade.id,
            "far_ps_course": far_course.id, "far_ps_session": far_session.id, "ps_registration": mine.id,
            "ps_other_registration": other.id, "far_ps_registration": far.id, "ps_code": mine.code,
            "far_ps_code": far.code}


@pytest.fixture
def events(world):
    return make_events(world)


def make_events(world):
    """An event the teacher leads, open to parents (with seats) and volunteers (with places), with the parent's and
    a neighbour's registrations, two volunteers and a photo; an event for grade 5 only, with a photo; one open to
    parents only; partners and import previews; and another school's event, registration, helper, photo, partner
    and preview."""
    from datetime import timedelta

    from portal.events import photos
    from portal.events.models import Event, EventHelper, Partner
    from portal.extensions import db
    from portal.imports.models import ImportBatch
    from portal.registrations.services import local_now, register

    coord, teacher, parent = world.users["coordinator"], world.users["teacher"], world.users["parent"]
    far_coord = factories.user(world.far, "coordinator", "far-ev-coordinator")
    start = (local_now() + timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 32

    def event(school, by, **kw):
        e = Event(school_id=school.id, title=kw.pop("title"), kind="红色故事会", starts_at=start,
                  ends_at=start + timedelta(hours=2), created_by_id=by.id, **kw)
        db.session.add(e)
        db.session.commit()
        return e

    def helper(e, volunteer, by):
        h = EventHelper(school_id=e.school_id, event_id=e.id, volunteer_id=volunteer.id, role="helper",
                        added_by_id=by.id)
        db.session.add(h)
        db.session.commit()
        return h

    def batch(school, by):
        b = ImportBatch(school_id=school.id, kind="events", user_id=by.id, filename="行事历.xlsx", rows=[
            {"line": 2, "values": {"when": "3月5日", "title": "讲座"}, "errors": [], "who": ""}])
        db.session.add(b)
        db.session.commit()
        return b

    def partner(school, name):
        p = Partner(school_id=school.id, name=name, kind="社区")
        db.session.add(p)
        db.session.commit()
        return p

    common = {"for_parents": True, "for_volunteers": True, "capacity": 5, "deadline": start - timedelta(days=1),
              "helpers_needed": 2, "speakers_needed": 1}
    ev = event(world.school, coord, title="亲子阅读会", audience_grades="3", leads=[teacher], **common)
    staff = event(world.school, coord, title="五年级研学", audience_grades="5")
    parents = event(world.school, coord, title="家长开放日", for_parents=True, capacity=5)
    far = event(world.far, far_coord, title="远方的活动", **common)
    neighbour = factories.student(world.own_class, "李小华", family=factories.family(world.school, "李家"))
    far_child = factories.student(world.far_class, "钱小贝", family=world.far_family)
    mine, _ = register(ev, world.pupil, parent)
    other, _ = register(ev, neighbour, coord)
    far_reg, _ = register(far, far_child, far_coord)
    return {
        "ev": ev.id, "ev_staff": staff.id, "ev_parents": parents.id, "ev_far": far.id,
        "ev_registration": mine.id, "ev_other_registration": other.id, "ev_far_registration": far_reg.id,
        "ev_helper": helper(ev, world.volunteer, coord).id,
        "ev_other_helper": helper(ev, factories.volunteer(world.school, "李建华"), coord).id,
        "ev_far_helper": helper(far, factories.volunteer(world.far), far_coord).id,
        "ev_photo": photos.add(coord, ev, "a.jpg", jpeg).id, "ev_staff_photo": photos.add(coord, staff, "b.jpg", jpeg).id,
        "ev_far_photo": photos.add(far_coord, far, "c.jpg", jpeg).id,
        "ev_partner": partner(world.school, "滨湖社区居委会").id, "ev_far_partner": partner(world.far, "远方社区").id,
        "ev_batch": batch(world.school, coord).id, "ev_far_batch": batch(world.far, far_coord).id,
    }


@pytest.fixture
def announced(world):
    return make_announcements(world)


def make_announcements(world):
    """Announcements of the office to the parent's class (asking for a confirmation), to all staff and to all
    volunteers; the class teacher's to her class; and another school's."""
    from portal.announcements.models import Announcement
    from portal.announcements.services import send
    from portal.extensions import db

    office, teacher = world.users["coordinator"], world.users["teacher"]
    own = f"class:{world.own_class.id}"

    def sent(actor, audience, confirm=False):
        return send(actor, {"audience": audience, "title": "通知", "body": "内容", "confirm": confirm})[0].id

    far = Announcement(school_id=world.far.id, title="远方的通知", body="内容", audience="volunteers",
                       audience_label="全体志愿者", sent_by_id=factories.user(world.far, "coordinator", "far-ann").id)
    db.session.add(far)
    db.session.commit()
    return {"ann_class": sent(office, own, confirm=True), "ann_teacher": sent(teacher, own),
            "ann_staff": sent(office, "staff"), "ann_volunteers": sent(office, "volunteers"), "ann_far": far.id}


@pytest.fixture
def district_tasks(world):
    return make_tasks(world)


def make_tasks(world):
    """The bureau's competition to the school, with its notice attached, and the school's return submitted with an
    entry and its file; another district's task to its school likewise."""
    from sqlalchemy import select

    from portal.district import tasks
    from portal.district.models import TaskReturn
    from portal.extensions import db
    from tests.district.test_tasks import NOTICE, PDF

    def made(officer, office, school):
        task = tasks.create(officer, {"kind": "competition", "title": "征文", "body": "内容",
                                      "due_on": date.today() + timedelta(days=7), "parts": ["entries"]},
                            [("通知.docx", NOTICE)])
        ret = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id,
                                                         TaskReturn.school_id == school.id))
        entry = tasks.add_entry(office, ret, {"title": "作品", "author": "作者"}, ("作品.pdf", PDF))
        tasks.submit(office, ret)  # what the unit may read
        return task, ret, entry

    task, ret, entry = made(world.users["unit_officer"], world.users["coordinator"], world.school)
    far_task, far_ret, far_entry = made(world.far_officer, factories.user(world.far, "coordinator", "far-task-office"),
                                        world.far)
    return {"task": task.id, "task_return": ret.id, "task_file": task.attachments[0].id, "entry_file": entry.file_id,
            "far_task": far_task.id, "far_task_return": far_ret.id, "far_task_file": far_task.attachments[0].id,
            "far_entry": far_entry.id}


CASES = [(method, url, role, expected.get(role, 403 if role in UNIT_ROLES else None))
         for method, url, expected in MATRIX for role in ROLES]
# A case that reads, or that is refused, changes nothing (were a refused request to change the data, the cases after
# it would show it): these share one school built for all of them. A write that is let through gets a school of its
# own.
SHARED = [c for c in CASES if c[0] == "GET" or c[2] == "anonymous" or c[3] in (403, 404)]
WRITES = [c for c in CASES if c not in SHARED]


def _ids(world, *parts) -> dict:
    return {k: v for part in parts for k, v in part.items()} | {
        "pupil": world.pupil.id, "stranger": world.stranger.id, "far_pupil": world.far_pupil.id,
        "own_class": world.own_class.id, "far_class": world.far_class.id, "family": world.family.id,
        "far_family": world.far_family.id, "volunteer": world.volunteer.id,
        "teacher_user": world.users["teacher"].id, "admin_user": world.users["admin"].id,
        "guardian": world.family.guardians[0].id, "school": world.school.id, "far_school": world.far.id,
        "unit": world.unit.id, "far_unit": world.far_unit.id, "officer_user": world.users["unit_officer"].id,
        "far_officer": world.far_officer.id}


def _ask(client, method, url, role, expected, ids):
    target = url.format(**ids)
    if method == "GET":
        r = client.get(target)
    else:
        r = client.post_form(target, {"active": "0"}, token_from="/login" if role == "anonymous" else "/settings")
    if role == "anonymous":
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    else:
        assert r.status_code == expected, r.get_data(as_text=True)[:300]


@pytest.fixture(scope="class")
def class_data(app):
    """The whole matrix's school, and a client logged in for each role."""
    with app.app_context():
        empty_all_tables()
        world = make_world()
        ids = _ids(world, make_menus(world), make_ledger(world), make_parent_school(world), make_events(world),
                   make_announcements(world), make_tasks(world))
        clients = {"anonymous": None}
        for role in ROLES[1:]:
            clients[role] = Client(app)
            assert clients[role].login(world.users[role].username).status_code == 302
        db.session.remove()
    return ids, clients


class TestReadsAndRefusals:
    @pytest.mark.parametrize(("method", "url", "role", "expected"), SHARED,
                             ids=[f"{r}-{m}-{u}" for m, u, r, _ in SHARED])
    def test_role_route_matrix(self, app, class_data, method, url, role, expected):
        ids, clients = class_data
        _ask(clients[role] or Client(app), method, url, role, expected, ids)


@pytest.mark.parametrize(("method", "url", "role", "expected"), WRITES, ids=[f"{r}-{m}-{u}" for m, u, r, _ in WRITES])
def test_role_route_matrix_writes(request, app, world, menus, ledger, login_as, method, url, role, expected):
    parts = [menus, ledger]
    if url.startswith("/parent-school"):  # built only where it is used: the matrix is long
        parts.append(request.getfixturevalue("parent_school"))
    if url.startswith(("/events", "/calendar")):
        parts.append(request.getfixturevalue("events"))
    if url.startswith("/announcements"):
        parts.append(request.getfixturevalue("announced"))
    if url.startswith(("/district/tasks", "/tasks")):
        parts.append(request.getfixturevalue("district_tasks"))
    _ask(login_as(role), method, url, role, expected, _ids(world, *parts))
