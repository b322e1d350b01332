from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..core.forms import Chosen, Clean, int_or_zero, options
from ..core.submit_token import submit_token_field
from ..menus.forms import modes_field, slots_field
from .models import MAX_CAPACITY

REQUIRED = _l("This field is required.")


class OfferForm(FlaskForm):
    submit_token = submit_token_field()
    volunteer_id = SelectField(_l("Volunteer"), coerce=int_or_zero, validate_choice=False,
                               validators=[Chosen(_l("Please choose a volunteer from the list."))])
    category_id = SelectField(_l("What kind of help I can give"), coerce=int_or_zero, validate_choice=False,
                              validators=[InputRequired(REQUIRED), Chosen(_l("Please choose a kind of help."))])
    skills = StringField(_l("Subjects or skills"), description=_l("e.g. 数学, 书法, 讲革命故事"),
                         validators=[Clean(), Optional(), Length(max=200)])
    detail = TextAreaField(_l("A few words (optional)"), validators=[Clean(), Optional(), Length(max=1000)],
                           render_kw={"rows": 3})
    slots = slots_field(_l("When I am free"), _l("Tap a box to choose it, tap again to undo."))
    modes = modes_field()
    capacity = SelectField(_l("How many people at once"), coerce=int,
                           choices=options([(n, str(n)) for n in range(1, MAX_CAPACITY + 1)]),
                           validators=[InputRequired(REQUIRED),
                                       NumberRange(1, MAX_CAPACITY, _l("Choose between 1 and %(max)d.", max=MAX_CAPACITY))])
    available = BooleanField(_l("Available now (switch off to pause)"), default=True)

    def values(self) -> dict:
        return {"category_id": self.category_id.data, "skills": self.skills.data or "", "detail": self.detail.data or "",
                "slots": self.slots.mask, "modes": self.modes.mask, "capacity": self.capacity.data,
                "status": "active" if self.available.data else "paused"}
