"""CareBridge (关爱桥): the 关工委 portal."""
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from babel import Locale
from flask import Flask, g, has_request_context, request, session
from flask_babel import Domain, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE_DIR, Config
from .extensions import babel, csrf, db, login_manager, migrate
from .forms_common import WTFormsMessages

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    # Flask-Babel parses a name on every request, and Babel's parse scans all its ~800 locales (0.3 ms).
    return Locale.parse(name)


class _RequestDomain(Domain):
    """Flask-Babel's domain with the request's catalog found once: Flask-Babel looks it up afresh for every string
    (a dozen context lookups, ~10 µs), and a list page translates several hundred, in templates and lazy labels."""

    def get_translations(self):
        if not has_request_context():
            return super().get_translations()
        catalog = g.get("catalog")
        if catalog is None:
            catalog = g.catalog = super().get_translations()
        return catalog


def _catalog():
    catalog = g.get("catalog")
    return get_translations() if catalog is None else catalog


_TEXTS = WeakKeyDictionary()  # catalog -> {(msgid, autoescape): text}: a text without variables never changes


@pass_context
def _template_gettext(context, msgid, **variables):
    """Jinja's newstyle gettext (escaped, always %-formatted), with a text without variables kept per catalog:
    a list page's cards ask for the same few labels hundreds of times."""
    autoescape = context.eval_ctx.autoescape
    if variables:
        text = _catalog().ugettext(msgid)
        return (Markup(text) if autoescape else text) % variables
    texts = g.get("texts")
    if texts is None:
        texts = g.texts = _TEXTS.setdefault(_catalog(), {})
    try:
        return texts[msgid, autoescape]
    except KeyError:
        text = _catalog().ugettext(msgid)
        text = texts[msgid, autoescape] = (Markup(text) if autoescape else text) % {}
        return text


def select_locale():
    if not has_request_context():  # CLI and background work speak the default language
        return _locale("zh_CN")
    if current_user.is_authenticated and current_user.locale:
        return _locale(current_user.locale)
    return _locale(session.get("locale") or "zh_CN")


def create_app(config=None):
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config or Config)
    from .listing import IdConverter

    app.url_map.converters["int"] = IdConverter
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The ORM writes its joins from the listed rows out to what each row shows, the order the planner would
        # reach anyway; searching all orders cost PostgreSQL 5–10 ms of planning for 0.5 ms of work on a list page.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                                                   "connect_args": {"options": "-c join_collapse_limit=1"}}
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    babel.domain_instance = _RequestDomain()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s), ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n), newstyle=True)
    # Jinja requires a gettext above; templates call this faster one (same results) for gettext and _.
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext)
    from . import web

    web.secure_cookies_over_https(app)
    login_manager.init_app(app)

    from . import database

    database.configure(app)

    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .events.calendar_views import bp as calendar_bp
    from .events.views import bp as events_bp
    from .help_requests.views import bp as help_bp
    from .home.views import bp as home_bp
    from .hours.views import bp as hours_bp
    from .imports.views import bp as imports_bp
    from .matching.views import bp as matching_bp
    from .needs.views import bp as needs_bp
    from .offers.views import bp as offers_bp
    from .pairs.views import bp as pairs_bp
    from .parent_school.views import bp as parent_school_bp
    from .people.views import bp as people_bp
    from .reports import bp as reports_bp

    for bp in (auth_bp, home_bp, people_bp, needs_bp, offers_bp, help_bp, imports_bp, matching_bp, pairs_bp,
               hours_bp, parent_school_bp, events_bp, calendar_bp, reports_bp, audit_bp):
        app.register_blueprint(bp)

    from . import cli, errors, permissions

    permissions.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    wtforms_messages = WTFormsMessages()

    @app.before_request
    def _remember_locale_choice():
        request.wtforms_translations = wtforms_messages
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["locale"] = lang

    return app
