"""Every form of the portal, fuzzed (issue 10): NUL bytes, lone surrogates, 100,000 characters, impossible dates,
negative and huge numbers. The answer is the form again (200), a refusal (400) or, for harmless data, a redirect;
never a 500, never a header (a Set-Cookie carrying a message that quotes the input) over 4 KB, and a refused form
saves nothing."""
import io
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from portal import create_app
from tests.conftest import make_config
from tests.security.forms import inventory, is_token, load_form, post_endpoints, table_state

UPLOADS = ("calendar.upload", "events.add_photo", "imports.upload", "people.roster_upload")
# POST endpoints not fuzzed field by field, and why.
FUZZED_ELSEWHERE = {
    "auth.logout": "no field to fuzz, and it ends the session; tests/auth/test_login.py covers it",
    **dict.fromkeys(UPLOADS, "a file upload: test_file_uploads_never_fail"),
}
# Collected from the url_map, so a new form is fuzzed without anyone remembering to add it.
FUZZED = sorted({r.endpoint for r in create_app(make_config("sqlite://")).url_map.iter_rules() if "POST" in r.methods}
                - set(FUZZED_ELSEWHERE))
# A few examples per form keep `make test` quick; FUZZ_EXAMPLES=200 digs deeper.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

DATES = ("2026-02-30", "0000-01-01", "99999-01-01", "明天", "", "2026-13-01", "2026-3-5", "2026/03/05", "25:61")
NUMBERS = ("-1", "-0", "0", "0.5", "-99999999999999999999", "99999999999999999999", str(2**31), str(2**63),
           "1e309", "NaN", "inf", "１２", "٣", "0x10", "1_000")
TEXTS = ("\x00", "a\x00b", "\ud800", "x\udfffy", "x" * 100_000, "中" * 100_000, " ", "\r\n\t", "\u202e\u200b",
         "%", "'\"<>&", "\x1b[31m", "c99999999999999999999", "g-1")
NASTY = st.one_of(st.sampled_from(DATES + NUMBERS + TEXTS), st.integers().map(str),
                  st.text(st.characters(exclude_categories=()), max_size=12))
URLENCODED = "application/x-www-form-urlencoded"


def encode(pairs) -> str:
    """The body a client sends. A lone surrogate cannot be UTF-8, so it goes as the bytes a careless encoder
    writes (ED A0 80); test_what_a_lone_surrogate_becomes shows what the app then receives."""
    return urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs])


def flashes(app, client) -> list:
    """The messages waiting in the session cookie for the next page."""
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value).get("_flashes", []) if cookie else []


def refused(r, new_flashes) -> bool:
    """Whether the portal said no: a 400, a message beside a field or at the top, or a redirect carrying one."""
    if r.status_code == 400:
        return True
    if r.status_code == 200:
        html = r.get_data(as_text=True)
        return 'class="field-error"' in html or 'class="flash flash-error"' in html
    return any(category == "error" for category, _m in new_flashes)


# Past 4 KB a browser drops a cookie and nginx's default proxy buffer answers 502; a header that long can only
# carry something the user sent back at them.
HEADER_LIMIT = 4096


def small_headers(r) -> bool:
    return all(len(name) + len(value) <= HEADER_LIMIT for name, value in r.headers.items())


def post(app, client, url, **kw):
    """The answer, and the messages it left for the next page (earlier ones may still wait, unseen by a partial)."""
    waiting = flashes(app, client)
    r = client.post(url, **kw)
    after = flashes(app, client)
    return r, after[len(waiting):] if after[:len(waiting)] == waiting else after


# What to send is drawn before the page is opened, so a test case means the same whatever the database holds:
# (a role, whether to fill in the form first, whether htmx sends it (if the page would), [(a field, set / drop /
# many, [a nasty value, or the n-th value the page offers])]).
VALUE = st.one_of(NASTY.map(lambda v: (None, v)), st.integers(0, 99).map(lambda n: (n, "")))
CHANGE = st.tuples(st.integers(0, 999), st.sampled_from(("set", "set", "set", "drop", "many")),
                   st.lists(VALUE, min_size=1, max_size=3))
PLAN = st.tuples(st.integers(0, 9), st.booleans(), st.booleans(), st.lists(CHANGE, min_size=1, max_size=3))
# Tried on every form, whatever the draw: the form filled in, then each field given one of these in turn.
ISSUE_VALUES = ("a\x00b", "\ud800", "x" * 100_000, "2026-02-30", "0000-01-01", "99999-01-01", "明天", "", "-1",
                "99999999999999999999")
EVERY_FIELD = (0, True, False, [(i, "set", [(None, ISSUE_VALUES[i % len(ISSUE_VALUES)])]) for i in range(60)])
# And every field 5,000 characters long at once (more would pass the request size limit): a message or an address
# quoting any of them must not come back in a header.
EVERY_FIELD_LONG = (0, True, False, [(i, "set", [(None, "x" * 5_000)]) for i in range(60)])


def mutate(form, filled, changes) -> tuple[str, list[tuple[str, str]]]:
    """The form as the page offers it (or filled in, so the rest passes), with some fields (or the action's query)
    set to other values, dropped, or sent several times."""
    action = urlsplit(form.action)
    fields = form.data(filled)
    query = dict(parse_qsl(action.query, keep_blank_values=True))
    names = sorted({f.name for f in form.fields if not is_token(f.name)} | {f"?{k}" for k in query} | {"extra"})
    for pick, how, values in changes:
        name = names[pick % len(names)]
        offered = form.choices(name)
        values = [offered[n % len(offered)] if n is not None and offered else v for n, v in values]
        values = {"drop": [], "set": values[:1], "many": values}[how]
        if name.startswith("?"):
            query[name[1:]] = values[0] if values else ""
        else:
            fields[name] = values
    url = action.path + ("?" + encode(query.items()) if query else "")
    return url, [(k, v) for k, vs in fields.items() for v in vs]


@pytest.mark.parametrize("endpoint", FUZZED)
@FUZZ
@given(plan=PLAN)
@example(plan=EVERY_FIELD)
@example(plan=EVERY_FIELD_LONG)
def test_fuzzed_form_never_fails_and_a_refused_one_saves_nothing(app, demo, endpoint, plan):
    targets = inventory(demo).get(endpoint)
    assert targets, f"no page shows the form of {endpoint}: add one in tests/security/site.py, or list it above"
    pick, filled, by_htmx, changes = plan
    roles = sorted(r for r in targets if not (r == "admin" and "coordinator" in targets))  # the same forms
    role = roles[pick % len(roles)]
    client = demo(role)
    form = load_form(client, targets[role])
    if form is None:  # an earlier, harmless test case used it up (ended the pair, removed the photo …)
        return
    url, pairs = mutate(form, filled, changes)
    headers = {"HX-Request": "true"} if by_htmx and form.htmx else {}
    note(f"{role} {'htmx ' if headers else ''}POST {url} {[(k, v[:40] + '…' if len(v) > 40 else v) for k, v in pairs]}")
    before = table_state()
    r, new_flashes = post(app, client, url, data=encode(pairs), content_type=URLENCODED, headers=headers)
    assert r.status_code in (200, 302, 303, 400), (r.status_code, r.get_data(as_text=True)[:500])
    assert small_headers(r), {name: f"{len(value)} bytes" for name, value in r.headers.items()}
    if refused(r, new_flashes):
        assert table_state() == before


def test_every_post_endpoint_is_fuzzed_or_set_aside(app, demo):
    assert sorted(post_endpoints()) == sorted(FUZZED + list(FUZZED_ELSEWHERE))
    assert sorted(set(FUZZED) - set(inventory(demo))) == []


FILE_NAMES = st.one_of(st.sampled_from(("", "a\x00.xlsx", "../../etc/passwd", "x" * 100_000 + ".xlsx", "名单.XLSX",
                                        "photo.jpg\x00.exe", ".xlsx", "CON")), st.text(max_size=20))
CONTENTS = st.one_of(st.sampled_from((b"", b"PK\x03\x04", b"\xff\xd8\xff" + b"\x00" * 64, b"\x89PNG\r\n\x1a\n",
                                      b"<script>alert(1)</script>", b"\x00" * 1000)), st.binary(max_size=200))


@pytest.mark.parametrize("endpoint", UPLOADS)
@FUZZ
@given(content=CONTENTS, name=FILE_NAMES, extra=st.none() | NASTY)
def test_file_uploads_never_fail(app, demo, endpoint, content, name, extra):
    client = demo("coordinator")
    form = load_form(client, inventory(demo)[endpoint]["coordinator"])
    fields = form.data()
    fields.update({f.name: (io.BytesIO(content), name) for f in form.fields if f.kind == "file"})
    if extra is not None:  # a multipart body has no room for a lone surrogate either
        fields["extra"] = extra.encode("utf-8", "replace").decode()
    before = table_state()
    r, new_flashes = post(app, client, form.action, data=fields, content_type="multipart/form-data")
    assert r.status_code in (200, 302, 400, 413), (r.status_code, r.get_data(as_text=True)[:500])
    assert small_headers(r), {name: f"{len(value)} bytes" for name, value in r.headers.items()}
    if refused(r, new_flashes) or r.status_code == 413:
        assert table_state() == before


def test_what_a_lone_surrogate_becomes(client):
    """No browser can send one: it is not UTF-8. A client writing its bytes anyway reaches the app as the literal
    %-escapes (Werkzeug keeps undecodable escapes); raw bytes that are not UTF-8 leave the form empty, so the CSRF
    check refuses it; in a multipart body they become U+FFFD."""
    token = client.csrf()
    r = client.post("/login", data=encode([("csrf_token", token), ("username", "\ud800"), ("password", "x")]),
                    content_type=URLENCODED)
    assert r.status_code == 200 and 'value="%ED%A0%80"' in r.get_data(as_text=True)
    r = client.post("/login", data=f"csrf_token={token}&username=\xed\xa0\x80&password=x".encode("latin-1"),
                    content_type=URLENCODED)
    assert r.status_code == 400
    body = (f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="username"\r\n\r\n').encode() + b"\xed\xa0\x80\r\n--b--\r\n"
    r = client.post("/login", data=body, content_type="multipart/form-data; boundary=b")
    assert r.status_code == 200 and re.search(r'name="username"[^>]*value="\ufffd+"', r.get_data(as_text=True))
