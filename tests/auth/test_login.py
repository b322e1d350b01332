"""Logging in and out: CSRF, throttling, cookie replay, deactivation, htmx session expiry."""
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import redis as redis_lib
from flask.sessions import SecureCookieSessionInterface

from portal import create_app
from portal.auth import services as auth_services
from portal.auth.models import LoginFailure, User
from portal.auth.services import change_password
from portal.extensions import db
from tests import factories
from tests.conftest import Client, make_config, require
from tests.helpers import post_at_once


@pytest.fixture
def staff(world):
    return world.users["coordinator"]


def test_login_page_is_chinese_with_csrf(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名或手机号" in html
    assert 'name="csrf_token"' in html


def test_login_by_username_and_by_mobile(app, staff):
    for ident in ("coordinator", "13900000002"):
        c = Client(app)
        r = c.login(ident)
        assert r.status_code == 302 and r.headers["Location"] == "/"
        assert "您好" in c.get("/").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["139 0000 0002", "139-0000-0002", "+86 139 0000 0002", "0086-13900000002",
                                   "８６１３９" + "０" * 7 + "２", " 13900000002 "])
def test_a_mobile_is_taken_as_people_type_it(app, staff, typed):
    assert Client(app).login(typed).status_code == 302


def test_a_parent_logs_in_with_the_mobile_now_on_their_record_but_not_with_one_two_records_share(app, world):
    parent = world.users["parent"]
    guardian = parent.guardian
    assert parent.mobile != "13811112222"
    guardian.mobile = "13811112222"  # the office updated the record; the login was opened with the old number
    db.session.commit()
    assert Client(app).login("138 1111 2222").status_code == 302
    assert Client(app).login("13811112223").status_code == 200  # nobody's number

    other = factories.family(world.school, "同号家", guardians=1).guardians[0]
    other.mobile = "13811112222"
    factories.user(world.school, "parent", "parent2", guardian_id=other.id)
    db.session.commit()
    r = Client(app).login("13811112222")
    assert r.status_code == 200 and "用户名或密码不正确" in r.get_data(as_text=True)


def test_wrong_password_gets_a_chinese_message_beside_the_field(client, staff):
    r = client.login("coordinator", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, staff):
    r = client.post("/login", data={"username": "coordinator", "password": factories.PASSWORD})
    assert r.status_code == 400
    assert "页面已过期" in r.get_data(as_text=True)


def test_logout_is_post_only(login_as):
    c = login_as("coordinator")
    assert c.get("/logout").status_code == 405
    assert c.get("/").status_code == 200


def test_session_cookie_saved_before_logout_no_longer_works(app, login_as):
    c = login_as("coordinator")
    saved = c.get_cookie("session").value
    c.logout()
    replay = Client(app)
    replay.set_cookie("session", saved)
    r = replay.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_session_cookie_signed_compressed_by_the_previous_version_still_works(app, login_as):
    """Session cookies are signed without zlib now; one signed compressed, as before, keeps its owner logged in."""
    c = login_as("coordinator")
    saved = c.get_cookie("session").value
    assert not saved.startswith(".")  # itsdangerous marks a compressed payload with a leading dot
    data = app.session_interface.get_signing_serializer(app).loads(saved)
    before = SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    assert before.startswith(".")
    old = Client(app)
    old.set_cookie("session", before)
    r = old.get("/")
    assert r.status_code == 200 and "您好" in r.get_data(as_text=True)


def test_remember_cookie_saved_before_logout_no_longer_works(app, world):
    c = Client(app)
    c.login(world.users["parent"].username, remember=True)
    remembered = c.get_cookie("remember_token")
    assert remembered is not None
    assert remembered.http_only and remembered.same_site == "Lax"
    c.logout()
    replay = Client(app)
    replay.set_cookie("remember_token", remembered.value)
    assert replay.get("/").status_code == 302


def test_session_cookie_flags(app, world):
    c = Client(app)
    r = c.login("coordinator")
    header = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_cookies_are_secure_over_https(app, world):
    c = Client(app)
    token = c.csrf()
    r = c.post("/login", data={"username": world.users["volunteer"].username, "password": factories.PASSWORD,
                               "csrf_token": token, "remember": "y"},
               base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert r.status_code == 302
    assert {h.split("=")[0] for h in r.headers.getlist("Set-Cookie")} == {"session", "remember_token", "known"}
    assert all("Secure" in h for h in r.headers.getlist("Set-Cookie"))


def test_deactivated_user_loses_access_at_once(app, login_as, world):
    c = login_as("teacher")
    assert c.get("/").status_code == 200
    admin = login_as("admin")
    admin.post_form(f"/people/user/{world.users['teacher'].id}/active", {"active": "0"}, token_from="/people/users")
    r = c.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    again = Client(app).login("teacher")
    assert "账号已停用" in again.get_data(as_text=True)


def test_htmx_request_with_expired_session_gets_hx_redirect(client, world):
    r = client.htmx("/people/students?q=王")
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/login")
    assert "<form" not in r.get_data(as_text=True)


def test_next_parameter_only_allows_local_paths(app, world):
    c = Client(app)
    token = c.csrf()
    r = c.post("/login?next=//evil.example/x", data={"username": "coordinator", "password": factories.PASSWORD,
                                                      "csrf_token": token})
    assert r.headers["Location"] == "/"
    c2 = Client(app)
    token = c2.csrf()
    r = c2.post("/login?next=/people/students", data={"username": "coordinator", "password": factories.PASSWORD,
                                                       "csrf_token": token})
    assert r.headers["Location"] == "/people/students"


def test_failed_logins_are_throttled_in_the_database(app, world):
    c = Client(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert "用户名或密码不正确" in c.login("coordinator", "nope").get_data(as_text=True)
    r = c.login("coordinator")  # right password, but locked for now
    assert r.status_code == 200 and "登录失败次数过多" in r.get_data(as_text=True)
    assert db.session.query(LoginFailure).count() >= app.config["LOGIN_MAX_FAILURES"]
    # Another worker process shares the database, so it sees the same count.
    other_worker = Client(create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"])))
    assert "登录失败次数过多" in other_worker.login("coordinator").get_data(as_text=True)


def test_success_clears_the_per_account_counter(app, world):
    c = Client(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        c.login("coordinator", "nope")
    assert c.login("coordinator").status_code == 302
    c2 = Client(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        c2.login("coordinator", "nope")
    assert c2.login("coordinator").status_code == 302


def test_an_account_gets_its_guesses_once_whichever_of_its_names_is_typed(app, world):
    """Counted per typed name, the username and the mobile gave one account ten guesses instead of five."""
    c = Client(app)
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        c.login("coordinator" if i % 2 else world.users["coordinator"].mobile, "nope")
    assert "登录失败次数过多" in c.login("coordinator").get_data(as_text=True)
    assert "登录失败次数过多" in c.login(world.users["coordinator"].mobile).get_data(as_text=True)


def test_thirty_wrong_passwords_at_once_get_only_the_allowed_checks(app, world, monkeypatch):
    """The count was read before a failure was recorded: of 30 sent at once, 6 were checked against the hash."""
    checked = []
    real = auth_services.verify_password
    monkeypatch.setattr(auth_services, "verify_password", lambda user, pw: checked.append(1) or real(user, pw))
    clients = [Client(app) for _ in range(30)]
    forms = [{"username": "coordinator", "password": f"guess-{i}", "csrf_token": c.csrf()} for i, c in enumerate(clients)]
    answers = post_at_once(clients, "/login", forms)
    assert all(r.status_code == 200 for r in answers)
    assert len(checked) <= app.config["LOGIN_MAX_FAILURES"]
    assert sum("登录失败次数过多" in r.get_data(as_text=True) for r in answers) >= 30 - app.config["LOGIN_MAX_FAILURES"]


def test_names_tried_from_a_shared_address_slow_it_down_without_locking_its_staff_out(app, world, monkeypatch):
    """22 failures for made-up names from a school's one address locked every account out from it for 15 minutes."""
    monkeypatch.setattr(auth_services, "ADDRESS_PACE", 1)
    desk = Client(app)
    assert desk.login("teacher").status_code == 302  # this browser has logged in as the teacher before
    desk.logout()
    prober = Client(app)
    for i in range(22):
        prober.login(f"nobody-{i}", "nope")

    assert desk.login("teacher").status_code == 302  # a browser the account knows is not slowed
    time.sleep(1.1)  # the prober's last try took the address's turn
    assert Client(app).login("coordinator").status_code == 302  # the address's one attempt for now
    newcomer = Client(app)
    assert "登录失败次数过多" in newcomer.login("admin").get_data(as_text=True)  # slowed, not locked
    time.sleep(1.1)
    assert newcomer.login("admin").status_code == 302


def test_failed_logins_are_throttled_in_redis_when_configured(app, world):
    url = "redis://127.0.0.1:6379/15"
    try:
        redis_lib.Redis.from_url(url).ping()
        up = True
    except redis_lib.exceptions.ConnectionError:
        up = False
    require(up, "Redis is not running on 127.0.0.1:6379")
    r = redis_lib.Redis.from_url(url)
    r.flushdb()
    redis_app = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url))
    c = Client(redis_app)
    for _ in range(redis_app.config["LOGIN_MAX_FAILURES"]):
        c.login("coordinator", "nope")
    assert "登录失败次数过多" in c.login("coordinator").get_data(as_text=True)
    assert db.session.query(LoginFailure).count() == 0
    account = f"login-fail:user:{world.users['coordinator'].id}"
    assert int(r.get(account)) == redis_app.config["LOGIN_MAX_FAILURES"]
    assert 0 < r.ttl(account) <= redis_app.config["LOGIN_WINDOW_SECONDS"]
    r.flushdb()


def test_password_is_stored_as_argon2id(world):
    assert world.users["admin"].password_hash.startswith("$argon2id$")


def test_changing_password_logs_out_other_devices(app, login_as):
    phone = login_as("volunteer")
    desk = login_as("volunteer")
    r = desk.post_form("/settings", {"pw-current": factories.PASSWORD, "pw-new": "a-new-password-1",
                                     "pw-confirm": "a-new-password-1", "pw-submit": "1"}, token_from="/settings")
    assert r.status_code == 302
    assert desk.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert Client(app).login("volunteer", "a-new-password-1").status_code == 302


def test_password_change_rejects_short_and_mismatched(login_as):
    c = login_as("volunteer")
    r = c.post_form("/settings", {"pw-current": factories.PASSWORD, "pw-new": "short", "pw-confirm": "other",
                                  "pw-submit": "1"}, token_from="/settings")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "新密码至少 8 位" in html and "两次输入的密码不一致" in html


def test_english_is_selectable_per_user_and_large_text_is_kept(login_as, world):
    c = login_as("parent")
    c.post_form("/settings", {"prefs-locale": "en", "prefs-large_text": "y", "prefs-submit": "1"},
                token_from="/settings")
    html = c.get("/").get_data(as_text=True)
    assert "My family" in html and 'lang="en"' in html and 'class="large-text"' in html
    other = login_as("teacher")
    assert "我的班级" in other.get("/").get_data(as_text=True)


def test_production_hashes_use_argon2id_at_the_recommended_cost(db_url):
    from portal import create_app
    from portal.auth.services import hash_password
    from portal.config import Config
    from tests.conftest import make_config

    assert "ARGON2_PARAMS" not in vars(Config)
    app = create_app(make_config(db_url, ARGON2_PARAMS={}))
    with app.app_context():
        assert hash_password("secret-words").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize("role, kept", [("parent", True), ("volunteer", True), ("coordinator", False),
                                        ("teacher", False), ("admin", False)])
def test_parents_and_volunteers_stay_logged_in_for_30_days_by_default_staff_do_not(app, world, role, kept):
    c = Client(app)
    page = c.get("/login").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="remember"|name="remember"[^>]*checked', page)

    c.login(world.users[role].username, remember=True)  # the box as the login page offers it: ticked

    remembered = c.get_cookie("remember_token")
    assert (remembered is not None) == kept
    if kept:
        days = (remembered.expires - datetime.now(UTC)).days
        assert 29 <= days <= 30
        later = Client(app)  # the phone's browser opened again the next evening: no session cookie, the token logs in
        later.set_cookie("remember_token", remembered.value)
        assert later.get("/").status_code == 200
        change_password(db.session.get(User, world.users[role].id), factories.PASSWORD, "a-new-password-1")
        db.session.commit()
        again = Client(app)  # a password change ends it
        again.set_cookie("remember_token", remembered.value)
        assert again.get("/").status_code == 302


def test_the_large_text_switch_on_every_page_turns_it_on_and_off_and_stays_on_the_page(app, world, login_as):
    c = login_as("volunteer")
    page = c.get("/hours/new?activity=lecture").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/settings/text-size"', page)
    assert 'name="next" value="/hours/new?activity=lecture"' in page

    r = c.post_form("/settings/text-size", {"next": "/hours/new?activity=lecture"}, token_from="/hours/new")

    assert r.status_code == 302 and r.headers["Location"] == "/hours/new?activity=lecture"
    assert 'class="large-text"' in c.get("/").get_data(as_text=True)
    c.post_form("/settings/text-size", {"next": "/"}, token_from="/")
    assert 'class="large-text"' not in c.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\r\n/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/"])
def test_a_next_address_a_browser_reads_as_another_site_leads_home_after_login_switch_or_password(
        app, world, login_as, target):
    c = login_as("volunteer")
    r = c.post_form("/settings/text-size", {"next": target}, token_from="/")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    anonymous = Client(app)
    token = anonymous.csrf()
    r = anonymous.post("/login?" + urlencode({"next": target}), data={
        "username": world.users["parent"].username, "password": factories.PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    # The password asked again before a personal export.
    r = c.post_form("/confirm-password?" + urlencode({"next": target}), {"password": factories.PASSWORD},
                    token_from="/confirm-password")
    assert r.status_code == 302 and r.headers["Location"] == "/"
