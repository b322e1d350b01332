from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core.forms import Chosen, Clean, int_or_zero, options
from ..core.submit_token import submit_token_field
from ..menus.forms import modes_field, slots_field, urgency_field

REQUIRED = _l("This field is required.")


class NeedForm(FlaskForm):
    submit_token = submit_token_field()
    beneficiary = RadioField(_l("For whom"), default="student",
                             choices=options([("student", _l("A student")), ("young_teacher", _l("A young teacher (青蓝工程)"))]))
    place = SelectField(_l("Class"), validate_choice=False)
    student_id = SelectField(_l("Student"), coerce=int_or_zero, validate_choice=False)
    young_teacher_id = SelectField(_l("Young teacher"), coerce=int_or_zero, validate_choice=False)
    category_id = SelectField(_l("Category"), coerce=int_or_zero, validate_choice=False,
                              validators=[InputRequired(REQUIRED), Chosen(_l("Please choose a category."))])
    detail = TextAreaField(_l("What is needed"), description=_l("In plain words: what help, how often, anything to know."),
                           validators=[Clean(), DataRequired(REQUIRED), Length(max=1000)], render_kw={"rows": 4})
    skills = StringField(_l("Subjects or skills wanted"), description=_l("Separate with commas, e.g. 数学, 心理咨询"),
                         validators=[Clean(), Optional(), Length(max=200)])
    urgency = urgency_field()
    slots = slots_field()
    modes = modes_field()
    term_id = SelectField(_l("Term"), coerce=int_or_zero, validate_choice=False, validators=[InputRequired(REQUIRED)])

    def validate_student_id(self, field):
        if self._for_student() and not field.data:
            raise ValidationError(_l("Please choose a student."))

    def validate_young_teacher_id(self, field):
        if not self._for_student() and not field.data:
            raise ValidationError(_l("Please choose a young teacher."))

    def _for_student(self) -> bool:
        # A class teacher's form has no beneficiary choice: always a student.
        return self.beneficiary is None or self.beneficiary.data != "young_teacher"

    def values(self) -> dict:
        # A teacher's form has no beneficiary field (it is deleted, which leaves None).
        young = self.beneficiary is not None and self.beneficiary.data == "young_teacher"
        return {"student_id": None if young else self.student_id.data,
                "young_teacher_id": self.young_teacher_id.data if young else None,
                "category_id": self.category_id.data, "detail": self.detail.data, "skills": self.skills.data or "",
                "urgency": self.urgency.data, "slots": self.slots.mask, "modes": self.modes.mask}


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Clean(), Optional(), Length(max=200)])
