"""Form fields shared by needs, offers and help requests."""
import secrets

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectMultipleField, widgets
from wtforms.validators import InputRequired, Regexp, StopValidation

from .forms_common import options
from .listing import to_id
from .menus_common import URGENCY
from .slots import MODE_CHOICES, SLOT_CHOICES


class MaskField(SelectMultipleField):
    """Checkboxes whose chosen values are or-ed into one bit mask."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, choices=(), **kw):
        super().__init__(label, choices=choices, coerce=int, **kw)

    @property
    def mask(self) -> int:
        mask = 0
        for value in self.data or ():
            mask |= value
        return mask

    def set_mask(self, mask: int):
        self.data = [c.value for c in self.choices if mask & c.value]


def slots_field(label=_l("Preferred time slots"), description=_l("Tap every time that suits. None chosen means any time.")):
    return MaskField(label, choices=options(SLOT_CHOICES), description=description)


def modes_field(label=_l("How")):
    return MaskField(label, choices=options(MODE_CHOICES), description=_l("None chosen means any way."))


def urgency_field():
    return RadioField(_l("Urgency"), coerce=int, default=1, choices=options(list(URGENCY.items())),
                      validators=[InputRequired(_l("Please choose how urgent it is."))])


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


def issue_token(form) -> None:
    """A fresh submit token: the form's one-time name, so sending it twice saves once."""
    form.submit_token.data = secrets.token_hex(16)


def renew_bad_token(form) -> None:
    """The token field is hidden: say what is wrong, and give the form a fresh token so sending again works."""
    if form.submit_token.errors:
        flash(form.submit_token.errors[0], "error")
        issue_token(form)


def submit_token_field():
    return HiddenField(validators=[Regexp(r"^[0-9a-f]{32}$", message=_l("The form is out of date. Please reload it."))])
