"""Flask's signed-cookie session, changed in two ways (tests/test_overrides.py holds both to Flask and itsdangerous):
the payload is signed without trying zlib first, and a flash message is cut short before it can outgrow the cookie."""
from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.url_safe import URLSafeSerializerMixin

# The longest message a flash carries to the next page. It rides in the session cookie, which a browser drops past
# 4 KB (and nginx's default proxy buffer answers 502): no message is meant to be that long, so a longer one can
# only be quoting what a user sent.
FLASH_LIMIT = 240


class UncompressedSerializer(URLSafeTimedSerializer):
    """Signs without trying zlib first: a session cookie is a few hundred bytes, and setting up zlib for them
    (clearing a quarter megabyte of tables) cost a request that saves the session a noticeable share of its work.
    Cookies signed compressed, from before, still load."""

    def dump_payload(self, obj):
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))  # the JSON, not the zlib try


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response):
        flashes = session.get("_flashes")
        if flashes and any(len(message) > FLASH_LIMIT for _category, message in flashes):
            session["_flashes"] = [(category, message if len(message) <= FLASH_LIMIT else message[:FLASH_LIMIT - 1] + "…")
                                   for category, message in flashes]
        super().save_session(app, session, response)

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]  # the current key last, as Flask has it
        return UncompressedSerializer(keys, salt=self.salt,
                                      serializer=self.serializer, signer_kwargs={
                                          "key_derivation": self.key_derivation, "digest_method": self.digest_method})
