"""Validators every form shares."""
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
