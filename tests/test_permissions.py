"""Every endpoint declares a policy, and each role gets what the rules say."""
import pytest

from portal import create_app
from portal.permissions import undeclared_endpoints
from tests.conftest import Client, make_config

ROLES = ("anonymous", "admin", "coordinator", "teacher", "volunteer", "parent")


def test_every_endpoint_declares_a_policy(app):
    assert undeclared_endpoints(app) == []


def test_a_route_without_policy_is_caught_and_refused(db_url):
    app = create_app(make_config(db_url))

    @app.route("/forgot-to-declare")
    def forgot():
        return "should never be served"

    assert undeclared_endpoints(app) == ["forgot"]
    assert app.test_client().get("/forgot-to-declare").status_code == 403


ALL = dict.fromkeys(ROLES[1:], 200)
STAFF_ONLY = {"admin": 200, "coordinator": 200, "teacher": 403, "volunteer": 403, "parent": 403}
STAFF_TEACHER = {"admin": 200, "coordinator": 200, "teacher": 200, "volunteer": 403, "parent": 403}
OTHER_SCHOOL = {"admin": 404, "coordinator": 404, "teacher": 403, "volunteer": 403, "parent": 403}

# (method, url with {placeholders}, expected status per role; anonymous is always sent to the login page)
MATRIX = [
    ("GET", "/", ALL),
    ("GET", "/settings", ALL),
    ("GET", "/my/family", {**dict.fromkeys(ROLES[1:], 403), "parent": 200}),
    ("GET", "/my/volunteer", {**dict.fromkeys(ROLES[1:], 403), "volunteer": 200}),
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
    ("GET", "/admin/audit", {**dict.fromkeys(ROLES[1:], 403), "admin": 200}),
    ("POST", "/people/students/{pupil}/tags", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/students/{stranger}/tags", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 404}),
    ("POST", "/people/students/{far_pupil}/tags", {**OTHER_SCHOOL, "teacher": 404}),
    ("POST", "/people/students/{pupil}/consent", {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/student/{pupil}/active", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),
    ("POST", "/people/student/{far_pupil}/active", OTHER_SCHOOL),
    ("POST", "/people/user/{admin_user}/active", {**STAFF_ONLY, "admin": 302, "coordinator": 403}),
    ("POST", "/people/students/{pupil}/consent/withdraw",
     {**STAFF_TEACHER, "admin": 302, "coordinator": 302, "teacher": 302}),
    ("POST", "/people/students/{stranger}/consent/withdraw", {**STAFF_TEACHER, "admin": 302, "coordinator": 302,
                                                             "teacher": 404}),
    ("POST", "/people/volunteers/{volunteer}/account", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),  # has one
    ("POST", "/people/family/{far_family}/active", OTHER_SCHOOL),
    ("POST", "/people/guardians/{guardian}/account", {**STAFF_ONLY, "admin": 302, "coordinator": 302}),  # has one already
]

CASES = [(method, url, role, expected.get(role)) for method, url, expected in MATRIX for role in ROLES]


@pytest.mark.parametrize(("method", "url", "role", "expected"), CASES,
                         ids=[f"{r}-{m}-{u}" for m, u, r, _ in CASES])
def test_role_route_matrix(app, world, login_as, method, url, role, expected):
    ids = {"pupil": world.pupil.id, "stranger": world.stranger.id, "far_pupil": world.far_pupil.id,
           "own_class": world.own_class.id, "far_class": world.far_class.id, "family": world.family.id,
           "far_family": world.far_family.id, "volunteer": world.volunteer.id,
           "teacher_user": world.users["teacher"].id, "admin_user": world.users["admin"].id,
           "guardian": world.family.guardians[0].id}
    target = url.format(**ids)
    c = Client(app) if role == "anonymous" else login_as(role)
    if method == "GET":
        r = c.get(target)
    else:
        r = c.post_form(target, {"active": "0"}, token_from="/login" if role == "anonymous" else "/settings")
    if role == "anonymous":
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    else:
        assert r.status_code == expected, r.get_data(as_text=True)[:300]
