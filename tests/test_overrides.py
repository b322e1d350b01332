"""The portal's overrides of Flask, itsdangerous, Flask-Babel and Jinja (portal/core/sessions.py, portal/core/i18n.py)
still do what the code they replace does: each test fails when an upgrade changes what an override relies on."""
import contextvars

import flask_babel
import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from jinja2 import Environment

from portal.core import i18n
from portal.core.sessions import FLASH_LIMIT, SessionInterface, UncompressedSerializer

SESSION = {"_user_id": "42", "_fresh": True, "csrf_token": "a" * 40, "locale": "en", "note": "重复的文字" * 50}


def _flask_serializer(app):
    """The serializer Flask itself would sign the session cookie with."""
    return SecureCookieSessionInterface().get_signing_serializer(app)


def test_a_cookie_signed_without_compression_is_the_one_flask_would_read(app):
    ours = app.session_interface.get_signing_serializer(app)
    assert isinstance(ours, UncompressedSerializer)
    cookie = ours.dumps(SESSION)
    assert not cookie.startswith(".")  # never the zlib form, however repetitive the payload
    assert _flask_serializer(app).loads(cookie) == SESSION


def test_a_cookie_flask_signed_compressed_still_loads(app):
    cookie = _flask_serializer(app).dumps(SESSION)
    assert cookie.startswith(".")  # Flask's own compresses a payload this repetitive
    assert app.session_interface.get_signing_serializer(app).loads(cookie) == SESSION


def test_a_cookie_signed_with_the_previous_key_still_loads():
    old = Flask("old")
    old.secret_key = "the-key-before"
    new = Flask("new")
    new.secret_key, new.config["SECRET_KEY_FALLBACKS"] = "the-key-now", ["the-key-before"]
    cookie = URLSafeTimedSerializer(old.secret_key, salt="cookie-session", signer_kwargs={
        "key_derivation": "hmac", "digest_method": SecureCookieSessionInterface.digest_method}).dumps({"a": 1})
    assert SessionInterface().get_signing_serializer(new).loads(cookie) == {"a": 1}


def test_a_flash_longer_than_the_cookie_allows_is_cut(app):
    with app.test_request_context("/"):
        session["_flashes"] = [("error", "长" * 5000), ("success", "短")]
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    flashes = app.session_interface.get_signing_serializer(app).loads(cookie)["_flashes"]
    assert [len(m) for _c, m in flashes] == [FLASH_LIMIT, 1] and flashes[0][1].endswith("…")


def test_flask_babel_finds_the_request_catalog_once(app, monkeypatch):
    looked_up = []
    original = flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: looked_up.append(1) or original(self))

    def request():  # in a context of its own, as a request in production gets its own app context and g
        with app.test_request_context("/"):
            return [flask_babel.gettext("Home") for _ in range(5)] + [str(flask_babel.lazy_gettext("Needs"))]

    assert contextvars.Context().run(request) == ["首页"] * 5 + ["需求菜单"]
    assert len(looked_up) == 1  # the catalog is kept on the request (g.catalog), not looked up per string
    contextvars.Context().run(request)
    assert len(looked_up) == 2  # and found afresh for the next request


@pytest.mark.parametrize("source", [
    "{{ _('Home') }}",
    "{{ _('%(n)s of <b>', n='<script>') }}",
    "{{ _('100%% sure') }}",
    "{% autoescape false %}{{ _('%(n)s of <b>', n='<i>') }}{% endautoescape %}",
])
def test_the_template_gettext_reads_as_jinjas_own(app, source):
    """The kept-text gettext gives what Jinja's newstyle gettext gives: escaped variables, %-formatting always."""
    jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    with app.test_request_context("/"):
        catalog = flask_babel.get_translations()
        jinja.install_gettext_callables(gettext=catalog.ugettext, ngettext=catalog.ungettext, newstyle=True)
        expected = jinja.from_string(source).render()
        assert app.jinja_env.globals["_"] is i18n.template_gettext
        assert app.jinja_env.from_string(source).render() == expected
        assert app.jinja_env.from_string(source).render() == expected  # once more, from the kept texts
