from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from ..core.forms import MOBILE_PATTERN, Chosen, Clean, int_or_zero, options
from ..core.submit_token import submit_token_field
from ..menus.forms import urgency_field
from .models import CONTACT_METHODS

REQUIRED = _l("This field is required.")


class HelpForm(FlaskForm):
    submit_token = submit_token_field()
    student_id = SelectField(_l("For which child"), coerce=int_or_zero, validate_choice=False,
                             validators=[InputRequired(REQUIRED)])
    category_id = SelectField(_l("What kind of help"), coerce=int_or_zero, validate_choice=False,
                              validators=[InputRequired(REQUIRED), Chosen(_l("Please choose a kind of help."))])
    detail = TextAreaField(_l("Tell us what is happening"), validators=[Clean(), DataRequired(REQUIRED), Length(max=1000)],
                           render_kw={"rows": 4})
    urgency = urgency_field()
    contact_method = RadioField(_l("How should we contact you"), default="电话",
                                choices=options([(m, m) for m in CONTACT_METHODS]))
    contact_phone = StringField(_l("Phone number"), validators=[
        Clean(), Optional(), Regexp(MOBILE_PATTERN, message=_l("Please enter an 11-digit mainland mobile number."))])
    contact_time = StringField(_l("When is it convenient"), description=_l("e.g. 工作日晚上7点后"),
                               validators=[Clean(), Optional(), Length(max=60)])

    def values(self) -> dict:
        return {k: getattr(self, k).data or ("" if k in ("contact_phone", "contact_time") else getattr(self, k).data)
                for k in ("student_id", "category_id", "detail", "urgency", "contact_method", "contact_phone",
                          "contact_time")}


class AnswerForm(FlaskForm):
    reply = TextAreaField(_l("Answer to the family"), validators=[Clean(), DataRequired(REQUIRED), Length(max=1000)],
                          render_kw={"rows": 4})
