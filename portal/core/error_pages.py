"""Error pages in the user's language; never a bare stack trace."""
from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from ..extensions import db, login_manager
from .database import busy
from .htmx import is_htmx

RETRY_AFTER_SECONDS = 30


def unreachable(exc: OperationalError | InterfaceError) -> bool:
    """The database could not be connected to, or the connection broke mid-request; not a fault in a statement
    (SQLite's "no such table" is an OperationalError too, and must stay a 500 that someone fixes)."""
    return exc.statement is None or exc.connection_invalidated


def _as_visitor():
    """Render as for a signed-out visitor: the layout would otherwise look the user up in the database again."""
    login_manager._update_request_context_with_user()


def _forget_failed_user_lookup():
    """When looking the user up is what failed, the error page must not fail the same way."""
    try:
        current_user._get_current_object()  # looks the user up now, inside the try
    except SQLAlchemyError:
        db.session.rollback()
        _as_visitor()


def init_app(app):
    def page(code, title, message):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(400, _("This page has expired"), _("Please reload the page and try again."))

    @app.errorhandler(400)
    def bad_request(_e):
        return page(400, _("Bad request"), _("The request could not be understood. Please go back and try again."))

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("No access"), _("Your account may not open this page."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Page not found"), _("The page or record does not exist, or is not visible to you."))

    @app.errorhandler(405)
    def method_not_allowed(_e):
        return page(405, _("Not allowed"), _("This action cannot be done this way."))

    @app.errorhandler(413)
    def too_large(_e):
        return page(413, _("File too large"), _("The file is larger than 5 MB. Please upload a smaller file."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(exc):
        if isinstance(exc, OperationalError) and busy(exc):  # waited its bounded time behind other writes
            db.session.rollback()
            message = _("Many people are doing this at the same moment. Please try again in a minute.")
        elif not unreachable(exc):
            raise exc  # a real error: the 500 page, logged with its traceback
        else:
            db.session.rollback()
            _as_visitor()
            app.logger.error("Database unreachable: %s", exc.orig)
            message = _("The system cannot reach its database just now. Please try again in a few minutes.")
        if is_htmx():  # htmx swaps no 5xx answer: app.js shows this text in the flash region
            html = render_template("errors/_message.html", message=message)
        else:
            html = render_template("errors/error.html", code=503, title=_("Service temporarily unavailable"),
                                   message=message)
        return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        _forget_failed_user_lookup()
        return page(500, _("Something went wrong"),
                    _("The portal hit an error. Nothing was saved. Please try again or tell the office."))
