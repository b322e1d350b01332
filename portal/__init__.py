"""CareBridge (关爱桥): the 关工委 portal."""
from pathlib import Path

from flask import Flask, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE_DIR, Config
from .core import display, i18n, security
from .core.forms import WTFormsMessages
from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config or Config)
    from .core.listing import IdConverter

    app.url_map.converters["int"] = IdConverter
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # The ORM writes its joins from the listed rows out to what each row shows, the order the planner would
        # reach anyway; searching all orders cost PostgreSQL many times the work of a list page in planning.
        # No JIT: the portal's statements are a page's worth of rows, and when an estimate grows with the district
        # past jit_above_cost, compiling takes longer than the statement itself runs.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                                                   "connect_args": {"options": "-c join_collapse_limit=1 -c jit=off"}}
    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    i18n.init_app(app)
    security.secure_cookies_over_https(app)
    login_manager.init_app(app)

    from .core import database

    database.configure(app)

    from .announcements.views import bp as announcements_bp
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .district.task_views import school_bp as tasks_bp
    from .district.views import bp as district_bp
    from .events.calendar_views import bp as calendar_bp
    from .events.views import bp as events_bp
    from .help_requests.views import bp as help_bp
    from .home.views import bp as home_bp
    from .hours.views import bp as hours_bp
    from .imports.views import bp as imports_bp
    from .matching.views import bp as matching_bp
    from .needs.views import bp as needs_bp
    from .notices.views import bp as notices_bp
    from .offers.views import bp as offers_bp
    from .pairs.views import bp as pairs_bp
    from .parent_school.views import bp as parent_school_bp
    from .people.views import bp as people_bp
    from .reports.views import bp as reports_bp

    for bp in (auth_bp, home_bp, people_bp, needs_bp, offers_bp, help_bp, imports_bp, matching_bp, pairs_bp,
               hours_bp, parent_school_bp, events_bp, calendar_bp, reports_bp, audit_bp, notices_bp,
               announcements_bp, district_bp, tasks_bp):
        app.register_blueprint(bp)

    from . import cli, navigation, permissions
    from .core import error_pages

    permissions.init_app(app)
    security.init_app(app)
    display.init_app(app)
    navigation.init_app(app)
    error_pages.init_app(app)
    cli.init_app(app)

    wtforms_messages = WTFormsMessages()

    @app.before_request
    def _remember_locale_choice():
        request.wtforms_translations = wtforms_messages
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            session["locale"] = lang

    return app
