from datetime import time

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.forms import Clean, int_or_zero, options
from ..parent_school.forms import DATE_MESSAGE
from ..people.forms import MultiCheckboxField
from .models import EVENT_KINDS, MAX_CAPACITY, MAX_HELPERS, PARTNER_KINDS

PRECISION_CHOICES = [("time", _l("Date and time")), ("day", _l("Date, all day")),
                     ("month", _l("Month only (日期待定)")), ("half", _l("Half year only (上半年 / 下半年)"))]


def _count(label, maximum, **kw):
    message = _l("Please give a whole number from 0 to %(max)d.", max=maximum)
    return IntegerField(label, default=0, validators=[Optional(), NumberRange(0, maximum, message)], **kw)


class EventForm(FlaskForm):
    title = StringField(_l("Event"), validators=[Clean(), DataRequired(_l("Please give the event a title.")),
                                                 Length(max=100)],
                        description=_l("For example: 缅怀革命先烈，老少共祭英雄"))
    kind = SelectField(_l("Type"), choices=options([(k, k) for k in EVENT_KINDS]), default="五老进课堂",
                       validators=[InputRequired(_l("Please choose the type of event."))], validate_choice=False)
    precision = RadioField(_l("When"), choices=options(PRECISION_CHOICES), default="time",
                           validators=[InputRequired(_l("Please choose how precisely the date is known."))])
    day = DateField(_l("Date"), validators=[InputRequired(DATE_MESSAGE)],
                    description=_l("For a month or half year, any day in it."))
    start = TimeField(_l("Starts at"), default=time(14), validators=[Optional()])
    end = TimeField(_l("Ends at (optional)"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Clean(), Optional(), Length(max=100)])
    partner_id = SelectField(_l("Partner"), coerce=int_or_zero, validate_choice=False)
    description = TextAreaField(_l("What will happen"), render_kw={"rows": 3},
                                validators=[Clean(), Optional(), Length(max=2000)])
    lead_ids = MultiCheckboxField(_l("Responsible staff"), coerce=int, validate_choice=False)
    lead_groups = StringField(_l("Responsible groups"), validators=[Clean(), Optional(), Length(max=200)],
                              description=_l("For example: 五年级组、学发中心。Separate several with 、"))
    lead_volunteer_ids = MultiCheckboxField(_l("Responsible volunteers"), coerce=int, validate_choice=False)
    grades = MultiCheckboxField(_l("For the students of these grades"), coerce=int, validate_choice=False)
    class_ids = MultiCheckboxField(_l("…or these classes"), coerce=int, validate_choice=False,
                                   description=_l("Neither ticked: the whole school."))
    for_parents = BooleanField(_l("Open to parents"))
    for_volunteers = BooleanField(_l("Open to all volunteers"))
    capacity = _count(_l("Seats for families to register (0: no registration)"), MAX_CAPACITY)
    deadline_day = DateField(_l("Registration closes on"), validators=[Optional()],
                             description=_l("Empty: when the event starts."))
    deadline_time = TimeField(_l("at"), default=time(20), validators=[Optional()])
    helpers_needed = _count(_l("Volunteer helpers needed"), MAX_HELPERS)
    speakers_needed = _count(_l("Volunteer speakers needed"), MAX_HELPERS)

    def values(self) -> dict:
        return {name: self[name].data for name in (
            "title", "kind", "precision", "day", "start", "end", "place", "partner_id", "description", "lead_ids",
            "lead_groups", "lead_volunteer_ids", "grades", "class_ids", "for_parents", "for_volunteers", "capacity",
            "deadline_day", "deadline_time", "helpers_needed", "speakers_needed")}


class PartnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Clean(), DataRequired(_l("Please give the name.")), Length(max=60)])
    kind = SelectField(lazy_pgettext("partner", "Kind"), choices=options([(k, k) for k in PARTNER_KINDS]), validate_choice=False)
    contact = StringField(_l("Contact person"), validators=[Clean(), Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Clean(), Optional(), Length(max=20)])
    active = BooleanField(_l("In use"), default=True)


class StatusForm(FlaskForm):
    status = HiddenField()
    reason = StringField(_l("Reason, shown to families and volunteers"), validators=[Clean(), Optional(),
                                                                                    Length(max=200)])


class SignUpForm(FlaskForm):
    role = HiddenField()


class SummaryForm(FlaskForm):
    summary = TextAreaField(_l("What happened"), render_kw={"rows": 6},
                            validators=[Clean(), DataRequired(_l("Please write a few lines about the event.")),
                                        Length(max=5000)])
    participants = IntegerField(_l("Number of participants"), validators=[
        Optional(), NumberRange(0, 100000, _l("Please give a whole number from 0 to 100000."))])


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo"))
