from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..core.clock import local_today
from ..core.forms import MOBILE_PATTERN, Clean, options
from .models import GENDERS, GRADE_NAMES, VOLUNTEER_KINDS

RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "其他监护人")
REQUIRED = _l("This field is required.")
MOBILE_MESSAGE = _l("Please enter an 11-digit mainland mobile number.")


def required():
    return DataRequired(REQUIRED)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ClassForm(FlaskForm):
    grade = SelectField(_l("Grade"), coerce=int, choices=options(sorted(GRADE_NAMES.items())),
                        validators=[InputRequired(REQUIRED)])
    name = StringField(_l("Class name"), description=_l("For example: 3班"),
                       validators=[Clean(), required(), Length(max=40)])


class SchoolGradesForm(FlaskForm):
    first_grade = SelectField(_l("From"), coerce=int, choices=options(sorted(GRADE_NAMES.items())),
                              validators=[InputRequired(REQUIRED)])
    last_grade = SelectField(_l("To"), coerce=int, choices=options(sorted(GRADE_NAMES.items())),
                             validators=[InputRequired(REQUIRED)])


def _months(label, description):
    return IntegerField(label, description=description, validators=[
        InputRequired(REQUIRED), NumberRange(0, 120, _l("Between 0 and 120 months."))])


class RetentionForm(FlaskForm):
    support_months = _months(_l("Support tags and family notes"), _l("Months after the child left."))
    visit_months = _months(_l("What visit notes say"), _l("Months after the child left; what the child’s needs say "
                                                           "goes with them."))
    help_months = _months(_l("What help requests say"), _l("Months after the child left."))
    identity_months = _months(_l("The child’s name, birth date and student number"),
                              _l("Months after the child left; then the family’s guardians too, once none of its "
                                 "children is left."))
    photo_months = _months(_l("Event photos"), _l("Months after the event."))


class YearsAgo:
    """A year from `earliest` up to `years` before the current one, read when the form is built and checked: a
    worker started in December still takes the new year's entries in January."""

    def __init__(self, earliest: int, years: int):
        self.earliest, self.years = earliest, years

    @property
    def field_flags(self):  # the input's min and max, as NumberRange gives them
        return {"min": self.earliest, "max": local_today().year - self.years}

    def __call__(self, form, field):
        NumberRange(self.earliest, local_today().year - self.years,
                    _l("Please enter a year between %(min)s and %(max)s."))(form, field)


def not_future(form, field):
    if field.data and field.data > local_today():
        raise ValidationError(_l("The date cannot be in the future."))


class StudentForm(FlaskForm):
    student_no = StringField(_l("Student number"), validators=[
        Clean(), required(), Length(max=30), Regexp(r"^[0-9A-Za-z-]+$", message=_l("Use digits and letters only."))])
    name = StringField(_l("Name"), validators=[Clean(), required(), Length(max=40)])
    gender = SelectField(_l("Gender"), choices=options([(g, g) for g in GENDERS]))
    birth_date = DateField(_l("Date of birth"), validators=[Optional(), not_future])
    class_id = SelectField(_l("Class"), coerce=int, validators=[InputRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.birth_date.render_kw = {"max": local_today().isoformat()}  # today's, not the day the worker started


class ConsentForm(FlaskForm):
    guardian_name = StringField(_l("Guardian who consented"), validators=[Clean(), required(), Length(max=40)])
    method = SelectField(_l("How consent was given"),
                         choices=options((m, m) for m in ("纸质签字", "线上确认", "家长会现场确认")))
    given_on = DateField(_l("Date of consent"), validators=[InputRequired(_l("Please enter a valid date.")),
                                                           not_future])


class TagsForm(FlaskForm):
    tags = MultiCheckboxField(_l("Support tags"), coerce=int)


class FamilyForm(FlaskForm):
    name = StringField(_l("Family name"), description=_l("For example: 张小明家"),
                       validators=[Clean(), required(), Length(max=60)])
    address = StringField(_l("Address"), validators=[Clean(), Optional(), Length(max=200)])
    notes = TextAreaField(_l("Family situation (sensitive)"), validators=[Clean(), Optional(), Length(max=2000)])


class GuardianForm(FlaskForm):
    name = StringField(_l("Guardian name"), validators=[Clean(), required(), Length(max=40)])
    relation = SelectField(_l("Relation"), choices=options([(r, r) for r in RELATIONS]))
    mobile = StringField(_l("Mobile number"), validators=[Clean(), Optional(), Regexp(MOBILE_PATTERN, message=MOBILE_MESSAGE)])


class LinkChildForm(FlaskForm):
    student_no = StringField(_l("Student number of the child"), validators=[Clean(), required(), Length(max=30)])


class VolunteerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Clean(), required(), Length(max=40)])
    kind = SelectField(_l("Kind (五老)"), choices=options([(k, k) for k in VOLUNTEER_KINDS]))
    skills = StringField(_l("Skills and subjects"), description=_l("Separate with commas, e.g. 数学, 书法, 心理咨询"),
                         validators=[Clean(), Optional(), Length(max=300)])
    former_unit = StringField(_l("Former work unit"), description=_l("Where they worked before retiring, e.g. 市第一中学"),
                              validators=[Clean(), Optional(), Length(max=100)])
    phone = StringField(_l("Mobile number"), validators=[Clean(), Optional(), Regexp(MOBILE_PATTERN, message=MOBILE_MESSAGE)])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional(), YearsAgo(1920, 18)])


class YoungTeacherForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Clean(), required(), Length(max=40)])
    subject = StringField(_l("Subject taught"), validators=[Clean(), Optional(), Length(max=30)])
    joined_year = IntegerField(_l("Year joined the school"), validators=[Optional(), YearsAgo(1980, 0)])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        Clean(), required(), Length(min=2, max=40),
        Regexp(r"^[0-9A-Za-z_.-]+$", message=_l("Use letters, digits, dot, dash or underscore."))])
    display_name = StringField(_l("Display name"), validators=[Clean(), required(), Length(max=40)])
    mobile = StringField(_l("Mobile number"), validators=[Clean(), Optional(), Regexp(MOBILE_PATTERN, message=MOBILE_MESSAGE)])
    role = SelectField(_l("Role"))
    classes = MultiCheckboxField(_l("Classes (for class teachers)"), coerce=int)
    password = PasswordField(_l("Password"), description=_l("At least 8 characters. Leave empty to keep it."),
                             validators=[Optional(), Length(min=8, max=200,
                                                            message=_l("The password must have at least 8 characters."))])


class EmptyForm(FlaskForm):
    """CSRF only, for buttons that change state."""


class RosterFileForm(FlaskForm):
    file = FileField(
        _l("Roster file"),
        description=_l("An .xlsx file of at most 5 MB: a student roster with guardians, or a list of volunteers, "
                       "one sheet or several."),
        validators=[FileRequired(_l("Please choose a file.")),
                    FileAllowed(["xlsx"], _l("Only Excel files (.xlsx) can be imported."))],
        render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )


class MergeForm(FlaskForm):
    """The record merged into the one on the page, and when it was created: the record previewed, not one given
    its id since (SQLite reuses a deleted row's id)."""
    other = IntegerField(validators=[DataRequired()])
    created = StringField(validators=[DataRequired()])
