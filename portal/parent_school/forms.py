from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..core.forms import Clean, int_or_zero, options
from ..people.forms import MultiCheckboxField
from .models import COURSE_KINDS

DATE_MESSAGE = _l("Please give the date, e.g. 2026-03-05.")
TIME_MESSAGE = _l("Please give the time, e.g. 19:00.")


class CourseForm(FlaskForm):
    title = StringField(_l("Course title"), validators=[Clean(), DataRequired(_l("Please give the course a title.")),
                                                         Length(max=100)])
    kind = RadioField(_l("Kind of course"), choices=options(list(COURSE_KINDS.items())), default="required",
                      validators=[InputRequired(_l("Please choose the kind of course."))])
    topic = TextAreaField(_l("What the course is about"), render_kw={"rows": 3},
                          validators=[Clean(), Optional(), Length(max=500)])
    lecturer_volunteer_id = SelectField(_l("Lecturer from our volunteers"), coerce=int_or_zero, validate_choice=False)
    lecturer_name = StringField(_l("…or an outside expert"), description=_l("For example: 区家庭教育指导中心 刘老师"),
                                validators=[Clean(), Optional(), Length(max=60)])
    # Checked by the service, whose message is in words.
    grades = MultiCheckboxField(_l("For the families of"), coerce=int, validate_choice=False,
                                description=_l("None ticked: open to every grade."))
    mandatory = BooleanField(_l("Mandatory for every family of these grades (全员培训)"))
    sessions_required = IntegerField(_l("Sessions attended to complete the course"), default=1,
                                     validators=[InputRequired(_l("Please give a whole number from 1 to 50.")),
                                                 NumberRange(1, 50, _l("Please give a whole number from 1 to 50."))])

    def values(self) -> dict:
        return {"title": self.title.data, "kind": self.kind.data, "topic": self.topic.data,
                "lecturer_volunteer_id": self.lecturer_volunteer_id.data, "lecturer_name": self.lecturer_name.data,
                "grades": self.grades.data, "mandatory": self.mandatory.data,
                "sessions_required": self.sessions_required.data}


class SessionForm(FlaskForm):
    title = StringField(_l("Topic of this session (optional)"), validators=[Clean(), Optional(), Length(max=100)])
    day = DateField(_l("Date"), validators=[InputRequired(DATE_MESSAGE)])
    start = TimeField(_l("Starts at"), default=time(19), validators=[InputRequired(TIME_MESSAGE)])
    end = TimeField(_l("Ends at"), default=time(20, 30), validators=[InputRequired(TIME_MESSAGE)])
    place = StringField(_l("Place"), validators=[Clean(), Optional(), Length(max=100)],
                        description=_l("For example: 学校报告厅"))
    online_url = StringField(_l("Online link (optional)"),
                             validators=[Clean(), Optional(), Length(max=300),
                                         Regexp(r"^https?://\S+$", message=_l("Please give a link starting with http:// or https://."))])
    capacity = IntegerField(_l("Seats"), default=50,
                            validators=[InputRequired(_l("Please give a whole number from 1 to 5000.")),
                                        NumberRange(1, 5000, _l("Please give a whole number from 1 to 5000."))])
    deadline_day = DateField(_l("Registration closes on"), validators=[InputRequired(DATE_MESSAGE)])
    deadline_time = TimeField(_l("at"), default=time(20), validators=[InputRequired(TIME_MESSAGE)])


class RegisterForm(FlaskForm):
    student_id = SelectField(_l("For which child"), coerce=int_or_zero, validate_choice=False)


class FeedbackForm(FlaskForm):
    rating = RadioField(_l("How helpful was the session?"), coerce=int_or_zero, validate_choice=False,
                        choices=options([(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")]),
                        validators=[InputRequired(_l("Please choose from 1 to 5 stars."))])
    comment = TextAreaField(_l("Anything to tell the school (optional)"), render_kw={"rows": 2},
                            validators=[Clean(), Optional(), Length(max=500)])


class CheckInForm(FlaskForm):
    code = StringField(_l("Check-in code"), render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                                        "maxlength": 12, "spellcheck": "false"},
                       validators=[Clean(), InputRequired(_l("Please type the family's check-in code."))])


class WalkInForm(FlaskForm):
    student_id = HiddenField()


class StatusForm(FlaskForm):
    status = HiddenField()
    reason = StringField(_l("Reason, shown to every registered family"), validators=[Clean(), Optional(),
                                                                                     Length(max=200)])
