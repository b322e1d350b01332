"""The reader's language, and Flask-Babel's translation lookup made to find the request's catalogue once.

Both overrides reach into Flask-Babel and Jinja; tests/test_overrides.py fails when an upgrade changes what they
replace."""
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

from babel import Locale
from flask import g, has_request_context, session
from flask_babel import Domain, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from ..extensions import babel

TRANSLATIONS = Path(__file__).resolve().parent.parent.parent / "translations"


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    # Flask-Babel parses a name on every request, and Babel's parse scans all its ~800 locales.
    return Locale.parse(name)


class RequestDomain(Domain):
    """Flask-Babel's domain with the request's catalog found once: Flask-Babel looks it up afresh for every string
    (a dozen context lookups), and a list page translates several hundred, in templates and lazy labels."""

    def get_translations(self):
        if not has_request_context():
            return super().get_translations()
        catalog = g.get("catalog")
        if catalog is None:
            catalog = g.catalog = super().get_translations()
        return catalog


def request_catalog():
    catalog = g.get("catalog")
    return get_translations() if catalog is None else catalog


_TEXTS = WeakKeyDictionary()  # catalog -> {(msgid, autoescape): text}: a text without variables never changes


@pass_context
def template_gettext(context, msgid, **variables):
    """Jinja's newstyle gettext (escaped, always %-formatted), with a text without variables kept per catalog:
    a list page's cards ask for the same few labels hundreds of times."""
    autoescape = context.eval_ctx.autoescape
    if variables:
        text = request_catalog().ugettext(msgid)
        return (Markup(text) if autoescape else text) % variables
    texts = g.get("texts")
    if texts is None:
        texts = g.texts = _TEXTS.setdefault(request_catalog(), {})
    try:
        return texts[msgid, autoescape]
    except KeyError:
        text = request_catalog().ugettext(msgid)
        text = texts[msgid, autoescape] = (Markup(text) if autoescape else text) % {}
        return text


def select_locale():
    if not has_request_context():  # CLI and background work speak the default language
        return _locale("zh_CN")
    if current_user.is_authenticated and current_user.locale:
        return _locale(current_user.locale)
    return _locale(session.get("locale") or "zh_CN")


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    babel.domain_instance = RequestDomain()
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_catalog().ugettext(s), ngettext=lambda s, p, n: request_catalog().ungettext(s, p, n),
        pgettext=lambda c, s: request_catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalog().unpgettext(c, s, p, n), newstyle=True)
    # Jinja requires a gettext above; templates call this faster one (same results) for gettext and _.
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)
