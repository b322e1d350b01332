"""What every response carries for the browser's protection: the content policy, no framing or sniffing, no cache of
a logged-in page, and Secure cookies over HTTPS."""
from flask import request
from flask_login import current_user

from .sessions import SessionInterface

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def secure_cookies_over_https(app):
    """Mark every cookie Secure when the request came over HTTPS (directly or via a trusted proxy).

    Call before login_manager.init_app: after_request hooks run in reverse order, so this one then
    sees the remember cookie Flask-Login adds; the session cookie is handled by the session interface.
    """
    app.session_interface = SessionInterface()

    @app.after_request
    def _secure(resp):
        if request.is_secure:
            cookies = resp.headers.getlist("Set-Cookie")
            resp.headers.remove("Set-Cookie")
            for c in cookies:
                resp.headers.add("Set-Cookie", c if "; Secure" in c else c + "; Secure")
        return resp


def init_app(app):
    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.vary.add("HX-Request")
        if request.endpoint != "static" and current_user.is_authenticated:
            # Logged-in pages carry children's data; a shared phone's back button must not show them.
            resp.headers["Cache-Control"] = "no-store"
        return resp
