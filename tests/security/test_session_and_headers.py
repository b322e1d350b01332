"""Sessions and response headers (issue 10). A cookie from before login never becomes a logged-in session, and login
starts a new one; every page sends the security headers DESIGN §5 asks for.

Already covered elsewhere: replaying a session or remember cookie after logout, cookie flags and the login
throttle (tests/auth/test_login.py); the CSP of the login page and htmx without eval (tests/test_app.py)."""
import re

from flask import flash, session

from tests import factories
from tests.conftest import Client, crashing_app
from tests.security import site
from tests.site_map import ROLES


def test_a_cookie_from_before_login_is_not_logged_in_after_the_victim_logs_in(app, world):
    victim = Client(app)
    token = victim.csrf()
    planted = victim.get_cookie("session").value  # what an attacker saw or set before the victim logged in
    r = victim.post("/login", data={"username": "coordinator", "password": factories.PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert victim.get_cookie("session").value != planted
    attacker = Client(app)
    attacker.set_cookie("session", planted)
    r = attacker.get("/people/students")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_starts_a_new_session_so_a_planted_csrf_token_is_worthless(app, world):
    """An attacker who planted the anonymous cookie knows its CSRF token; after login it must no longer count."""
    victim = Client(app)
    planted_token = victim.csrf()
    victim.post("/login", data={"username": "coordinator", "password": factories.PASSWORD, "csrf_token": planted_token})
    r = victim.post("/settings", data={"csrf_token": planted_token, "prefs-locale": "en", "prefs-submit": "1"})
    assert r.status_code == 400
    r = victim.post("/settings", data={"csrf_token": victim.csrf("/settings"), "prefs-locale": "en",
                                       "prefs-submit": "1"})
    assert r.status_code == 302


def _header_problems(r, logged_in: bool) -> list[str]:
    h, problems = r.headers, []
    csp = h.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    scripts = directives.get("script-src", directives.get("default-src", ["*"]))
    if "unsafe-inline" in csp or "unsafe-eval" in csp or any(s in scripts for s in ("*", "data:", "http:", "https:")):
        problems.append(f"CSP {csp!r}")
    if "object-src 'none'" not in csp or "base-uri 'self'" not in csp:
        problems.append(f"CSP without object-src or base-uri: {csp!r}")
    if h.get("X-Frame-Options") != "DENY" and "frame-ancestors 'none'" not in csp:
        problems.append("may be framed")
    if h.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if h.get("Referrer-Policy") not in ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"):
        problems.append(f"Referrer-Policy {h.get('Referrer-Policy')!r}")
    if logged_in and "no-store" not in h.get("Cache-Control", ""):
        problems.append(f"Cache-Control {h.get('Cache-Control')!r}")
    body = re.search(r"<body[^>]*>", r.get_data(as_text=True)) if r.mimetype == "text/html" else None
    if logged_in and body and 'hx-history="false"' not in body.group(0):  # a whole page, not a fragment
        problems.append('no hx-history="false"')
    return problems


def test_every_page_and_download_sends_the_security_headers(app, demo):
    problems = []
    for role in ROLES:
        client, logged_in = demo(role), role != "anonymous"
        # One hook sends them whether or not the request is htmx's; the payload walk opens every partial.
        for url in site.pages(role) + site.downloads(role):
            problems += [(role, url, p) for p in _header_problems(client.get(url), logged_in)]
        # Error pages and refusals too.
        for r in (client.get("/no-such-page"), client.get("/people/users/new"), client.post("/settings"),
                  client.get("/logout")):
            problems += [(role, r.request.path, r.status_code, p) for p in _header_problems(r, logged_in)]
    assert problems == []


def test_the_error_page_of_a_crash_sends_the_security_headers(db_url):
    r = crashing_app(db_url).test_client().get("/_boom")
    assert r.status_code == 500 and _header_problems(r, False) == []


def test_a_message_quoting_what_was_sent_never_makes_the_cookie_too_long(app):
    """Whatever a message quotes, the cookie that carries it to the next page stays under a browser's 4 KB."""
    with app.test_request_context("/"):
        flash("“" + "长" * 100_000 + "” 不是可选的状态。", "error")
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert len(cookie) < 4096
    value = cookie.split(";")[0].split("=", 1)[1]
    ((category, message),) = app.session_interface.get_signing_serializer(app).loads(value)["_flashes"]
    assert category == "error" and message.startswith("“长长") and message.endswith("…") and len(message) == 240


def test_back_to_the_page_before_never_copies_a_long_referer_into_the_location(world, login_as):
    c = login_as("coordinator")
    token = c.csrf("/people/students")
    long_back = "http://localhost/people/students?q=" + "x" * 10_000
    r = c.http.post(f"/people/student/{world.pupil.id}/active", data={"active": "0", "csrf_token": token},
                    headers={"Referer": long_back})
    assert r.status_code == 302 and r.headers["Location"] == "/people/students"
    r = c.http.post(f"/people/student/{world.pupil.id}/active", data={"active": "1", "csrf_token": token},
                    headers={"Referer": "http://localhost/people/students?show=inactive"})
    assert r.headers["Location"] == "/people/students?show=inactive"
