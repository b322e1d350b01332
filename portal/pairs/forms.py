from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..core.forms import Chosen, Clean, int_or_zero, options
from ..core.submit_token import submit_token_field
from .models import END_REASONS, VISIT_MODES

HOUR_CHOICES = [("0.5", "0.5"), ("1", "1"), ("1.5", "1.5"), ("2", "2"), ("2.5", "2.5"), ("3", "3"), ("4", "4")]


class VisitForm(FlaskForm):
    submit_token = submit_token_field()
    volunteer_id = SelectField(_l("Volunteer"), coerce=int_or_zero, validate_choice=False,
                               validators=[Chosen(_l("Please choose a volunteer of this pair."))])
    visited_on = DateField(_l("Date"), validators=[InputRequired(_l("Please give the date, e.g. 2026-03-05."))])
    # Choices are checked by the service, which says what is wrong in words.
    mode = RadioField(_l("How we met"), choices=options(list(VISIT_MODES.items())), default="talk", validate_choice=False,
                      validators=[InputRequired(_l("Please choose how you met."))])
    hours = RadioField(_l("How long (hours)"), choices=options(HOUR_CHOICES), default="1", validate_choice=False,
                       validators=[InputRequired(_l("Please choose how long it took."))])
    content = TextAreaField(_l("What we did"), render_kw={"rows": 3},
                            validators=[Clean(), InputRequired(_l("Please write what you did, in a sentence or two.")),
                                        Length(max=2000)])
    follow_up = TextAreaField(_l("Next time / to follow up (optional)"), render_kw={"rows": 2},
                              validators=[Clean(), Optional(), Length(max=2000)])

    def values(self) -> dict:
        return {"visited_on": self.visited_on.data, "mode": self.mode.data, "hours": self.hours.data,
                "content": self.content.data or "", "follow_up": self.follow_up.data or ""}


class EndForm(FlaskForm):
    reason = RadioField(_l("Why does the pair end"), choices=options(list(END_REASONS.items())), validate_choice=False,
                        validators=[InputRequired(_l("Please choose why the pair ends."))])
    note = StringField(_l("A few words (required for “Other”)"), validators=[Clean(), Optional(), Length(max=200)])
    no_rematch = BooleanField(_l("Do not pair these people again"))


class CreateForm(FlaskForm):
    """Pair from the suggestion list: the chosen offers (or needs) arrive as checkboxes."""

    submit_token = submit_token_field()
    chosen = SelectMultipleField(coerce=int_or_zero, validate_choice=False)


class RenewForm(FlaskForm):
    pair_ids = SelectMultipleField(coerce=int_or_zero, validate_choice=False)


class ReassignForm(FlaskForm):
    offer_id = SelectField(_l("New volunteer"), coerce=int_or_zero, validate_choice=False,
                           validators=[Chosen(_l("Please choose the new volunteer."))])
