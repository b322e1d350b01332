"""Every form of the portal refuses a request without its CSRF token, or with another browser's, and saves nothing
(issue 10). The login form's own check is in tests/auth/test_login.py."""
import io

from portal.demo import DEMO_PASSWORD
from tests import site_map
from tests.conftest import Client
from tests.security.forms import inventory, is_token, load_form, post_endpoints, table_state
from tests.security.site import NEWCOMER


def _body(form, token=None):
    """What the page would send, filled in, with the token left out or replaced; a file field gets a small file."""
    data = {k: v for k, v in form.data(filled=True).items() if not is_token(k)}
    if token is not None:
        data.update({f.name: token for f in form.fields if is_token(f.name)})
    data.update({f.name: (io.BytesIO(b"PK\x03\x04"), "a.xlsx") for f in form.fields if f.kind == "file"})
    return data


def _expired(r) -> bool:
    return r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)


def test_every_form_refuses_a_missing_or_foreign_token_and_saves_nothing(app, demo):
    targets = inventory(demo)
    assert sorted(post_endpoints() - set(targets)) == []
    # The same user in another browser: a token that is valid, but not for this session.
    others = {}
    for role in {role for by_role in targets.values() for role in by_role}:
        other = Client(app)
        if role != "anonymous":
            assert other.login(site_map.USERNAMES.get(role, role), DEMO_PASSWORD).status_code == 302
        others[role] = other.csrf({"anonymous": "/login", NEWCOMER: "/my-password"}.get(role, "/settings"))
    # Every page opened once before the tables are read: a login, or a first visit (the inventory is worked out
    # once per run, maybe by another test), may stamp the user's row.
    for by_role in targets.values():
        for role, target in by_role.items():
            load_form(demo(role), target)
    before, accepted = table_state(), []
    for endpoint, by_role in sorted(targets.items()):
        for role, target in sorted(by_role.items()):
            client = demo(role)
            form = load_form(client, target)
            for label, body, headers in (
                    ("no token", _body(form), {}),
                    ("another session's token", _body(form, others[role]), {}),
                    ("another session's token in the htmx header", _body(form),
                     {"HX-Request": "true", "X-CSRFToken": others[role]})):
                r = client.post(form.action, data=body, headers=headers)
                if not _expired(r):
                    accepted.append((endpoint, role, label, r.status_code))
    assert accepted == []
    assert table_state() == before
    # Still logged in, each on the page that opens for them.
    assert all(demo(role).get({NEWCOMER: "/my-password"}.get(role, "/settings")).status_code == 200
               for role in others if role != "anonymous")
