from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..core.forms import Chosen, Clean, int_or_zero, options
from ..core.submit_token import submit_token_field
from .models import ACTIVITIES

HOUR_CHOICES = [(h, h) for h in ("0.5", "1", "1.5", "2", "2.5", "3", "4", "5", "6", "8")]
# What a volunteer logs by hand; pair visits arrive from the visit form.
LOG_ACTIVITIES = [(k, v) for k, v in ACTIVITIES.items()]


class LogForm(FlaskForm):
    submit_token = submit_token_field()
    volunteer_id = SelectField(_l("Volunteer"), coerce=int_or_zero, validate_choice=False,
                               validators=[Chosen(_l("Please choose the volunteer."))])
    worked_on = DateField(_l("Date of service"), validators=[InputRequired(_l("Please give the date, e.g. 2026-03-05."))])
    # Choices are checked by the service, which says what is wrong in words.
    hours = RadioField(_l("How long (hours)"), choices=options(HOUR_CHOICES), default="1", validate_choice=False,
                       validators=[InputRequired(_l("Please choose how long it took."))])
    activity = RadioField(_l("What kind of service"), choices=options(LOG_ACTIVITIES), validate_choice=False,
                          validators=[InputRequired(_l("Please choose what kind of service it was."))])
    pair_id = SelectField(_l("For a pair (optional)"), coerce=int_or_zero, validate_choice=False)
    event_id = SelectField(_l("At an event (optional)"), coerce=int_or_zero, validate_choice=False)
    note = TextAreaField(_l("What you did (optional)"), render_kw={"rows": 2},
                         validators=[Clean(), Optional(), Length(max=500)])

    def values(self) -> dict:
        return {"worked_on": self.worked_on.data, "hours": self.hours.data, "activity": self.activity.data,
                "pair_id": self.pair_id.data, "event_id": self.event_id.data, "note": self.note.data or ""}


class ReviewForm(FlaskForm):
    ids = SelectMultipleField(coerce=int_or_zero, validate_choice=False)
    reason = StringField(_l("Reason for sending back"), validators=[Clean(), Optional(), Length(max=200)])


class ReverseForm(FlaskForm):
    reason = StringField(_l("Why are the hours corrected"),
                         validators=[Clean(), InputRequired(_l("Please say why the hours are corrected.")),
                                     Length(max=200)])
    corrected = StringField(_l("Correct hours (leave empty to cancel the hours)"),
                            validators=[Optional(), Length(max=10)], render_kw={"inputmode": "decimal"})


class LevelsForm(FlaskForm):
    # Lengths and figures are checked by the service, whose messages name the row.
    names = FieldList(StringField(_l("Level name"), validators=[Clean()], render_kw={"maxlength": 30}),
                      min_entries=6, max_entries=6)
    hours = FieldList(StringField(_l("Hours in a year"), render_kw={"inputmode": "decimal", "maxlength": 10}),
                      min_entries=6, max_entries=6)


class RecordForm(FlaskForm):
    period_from = DateField(_l("From"), validators=[InputRequired(_l("Please give the date, e.g. 2026-03-05."))])
    period_to = DateField(_l("To"), validators=[InputRequired(_l("Please give the date, e.g. 2026-03-05."))])
