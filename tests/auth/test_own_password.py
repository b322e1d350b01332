"""A password the office gives out works once, to set one's own, and for a fortnight (issue 27, item 7).

Before: the password shown when the office opened a login worked again and again and was never changed."""
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.core.models import utcnow
from portal.extensions import db
from tests import factories
from tests.conftest import Client


def _open_login(login_as, world):
    """The office opens a login for a new volunteer; returns the user and the password shown once."""
    volunteer = factories.volunteer(world.school, "周建华", phone="13911112222")
    r = login_as("coordinator").post_form(f"/people/volunteers/{volunteer.id}/account",
                                          token_from="/people/volunteers")
    html = r.get_data(as_text=True)
    assert "14 天内有效" in html
    given = html.split("<code>")[1].split("</code>")[0]
    return db.session.scalar(select(User).where(User.volunteer_id == volunteer.id)), given


def _set_own(c, new, confirm=None):
    return c.post_form("/my-password", {"new": new, "confirm": confirm or new}, token_from="/my-password")


def test_the_first_login_with_the_school_s_password_sets_one_s_own(app, world, login_as):
    user, given = _open_login(login_as, world)
    phone = Client(app)
    r = phone.login(user.username, given)
    assert r.status_code == 302 and r.headers["Location"] == "/my-password"
    for elsewhere in ("/", "/pairs/", "/hours/new"):  # nothing else opens before it is set
        r = phone.get(elsewhere)
        assert r.status_code == 302 and r.headers["Location"] == "/my-password", elsewhere
    assert phone.htmx("/events/").headers["HX-Redirect"] == "/my-password"
    assert "设置您自己的密码" in phone.get("/my-password").get_data(as_text=True)
    bell = phone.htmx("/notices/bell")  # the page's bell asks every 8 s: it must not reload what is being typed
    assert bell.status_code == 200 and "HX-Redirect" not in bell.headers

    r = _set_own(phone, given)
    assert r.status_code == 200 and "不要沿用学校给的临时密码" in r.get_data(as_text=True)
    r = _set_own(phone, "my-own-secret-1")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "密码已设置好" in phone.get("/").get_data(as_text=True)
    assert phone.get("/hours/new").status_code == 200

    assert Client(app).login(user.username, given).status_code == 200  # the school's password works no more
    assert Client(app).login(user.username, "my-own-secret-1").headers["Location"] == "/"


def test_the_school_s_password_unused_for_a_fortnight_expires(app, world, login_as):
    user, given = _open_login(login_as, world)
    user.temporary_password_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = Client(app).login(user.username, given)
    assert r.status_code == 200 and "临时密码已过期未用" in r.get_data(as_text=True)


def test_a_staff_login_the_admin_typed_is_the_school_s_password_too(app, world, login_as):
    login_as("admin").post_form("/people/users/new", {"username": "lilaoshi", "display_name": "李老师",
                                                      "role": "teacher", "password": "given-by-admin-1"},
                                token_from="/people/users/new")
    r = Client(app).login("lilaoshi", "given-by-admin-1")
    assert r.status_code == 302 and r.headers["Location"] == "/my-password"
