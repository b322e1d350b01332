"""Validators every form shares, and WTForms' own messages in the reader's language."""
from functools import lru_cache

from babel import support
from flask import flash
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation, ValidationError

from .listing import to_id


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsMessages:
    """WTForms' built-in messages ("不是有效的选择") from one catalog per language per worker. Flask-WTF reads the
    catalog from disk again in every request that builds a form; it uses this instead when the request holds it
    as `wtforms_translations`."""

    def ugettext(self, string):
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular, plural, n):
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as a select's or radio group's choices: WTForms 3.4 no longer takes tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class Clean:
    """Strip spaces and refuse control characters such as NUL, which some databases reject."""

    def __call__(self, form, field):
        if isinstance(field.data, str):
            field.data = field.data.strip()
            if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in field.data):
                raise ValidationError(_l("Contains characters that are not allowed."))


MOBILE_PATTERN = r"^1\d{10}$"


def show_error(form, err) -> None:
    """Put a domain error beside its field, or at the top of the page when it concerns no one field."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = list(field.errors) + [err.message]
    else:
        flash(err.message, "error")


def int_or_zero(value) -> int:
    """Coerce a select's value; the "please choose" entry, or anything that is no id, becomes 0."""
    return to_id(value) or 0


class Chosen:
    """A select whose first entry is a "please choose" placeholder with value 0."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(self.message)
