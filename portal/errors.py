"""Error pages in the user's language; never a bare stack trace."""
from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db


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

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return page(500, _("Something went wrong"),
                    _("The portal hit an error. Nothing was saved. Please try again or tell the office."))
