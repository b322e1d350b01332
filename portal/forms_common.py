"""Validators every form shares."""
from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError


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
