"""Form fields shared by needs, offers and help requests."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, widgets
from wtforms.validators import InputRequired

from ..core.forms import options
from .slots import MODE_CHOICES, SLOT_CHOICES
from .words import URGENCY


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
