from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, DateField, DecimalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..core.forms import Clean, options
from ..parent_school.forms import DATE_MESSAGE
from ..people.forms import REQUIRED, MultiCheckboxField, UserForm, required
from . import figures
from .models import RETURN_PARTS, TASK_KINDS
from .report_forms import SOURCES


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), description=_l("For example: 湖东学区"),
                       validators=[Clean(), required(), Length(max=100)])


class PlaceSchoolForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int, validate_choice=True)


class UnitUserForm(UserForm):
    """A unit's account: the school account's fields and its unit, without classes."""

    classes = None
    unit = SelectField(_l("Unit"), coerce=int)
    active = BooleanField(_l("Active"), default=True,
                          description=_l("Off: the account can no longer log in, on any device (someone who left)."))


def thresholds_form(current: dict[str, float]):
    """One optional number per figure that can be met or missed; empty removes the line."""

    class ThresholdsForm(FlaskForm):
        pass

    for f in figures.WITH_THRESHOLD:
        top = 100 if f.unit == "%" else 999
        hint = _l("At least") if f.better == "higher" else _l("At most")
        setattr(ThresholdsForm, f.key, DecimalField(
            f.label, places=1, description=hint,
            validators=[Optional(), NumberRange(0, top, _l("Between 0 and %(top)d.", top=top))]))
    return ThresholdsForm(data=current)



# Tasks ------------------------------------------------------------------------------------------------

class TaskForm(FlaskForm):
    kind = RadioField(_l("Kind of task"), choices=options(TASK_KINDS.items()), validators=[InputRequired(REQUIRED)])
    title = StringField(_l("Title"), description=_l("For example: 2026年“强国有我”主题读书征文"),
                        validators=[Clean(), required(), Length(max=120)])
    body = TextAreaField(_l("Notice to the schools"), description=_l("What to do, for whom, how it will be judged."),
                         validators=[Clean(), required(), Length(max=5000)])
    due_on = DateField(_l("Deadline"), validators=[InputRequired(DATE_MESSAGE)])
    parts = MultiCheckboxField(_l("Each school returns"), choices=options(RETURN_PARTS.items()))
    form_columns = StringField(_l("Columns of the form"), description=_l("Separated by 、, for example: 小学部、初中部. "
                                                                         "Empty for one column of figures."),
                               validators=[Clean(), Length(max=200)])
    form_rows = TextAreaField(_l("Rows of the form"), description=_l(
        "One row per line: 名称|单位|说明|来源, for example: 参训家长人次|人次|本学年累计|. A unit or a note that "
        "differs per column is written 人/人次. 来源 may name a figure the portal fills in: %(sources)s.",
        sources=LazyString(lambda: "、".join(f"{k}（{v}）" for k, v in SOURCES.items()))),
        validators=[Clean(), Length(max=8000)])
    attachments = MultipleFileField(_l("Attachments"), description=_l("Word, PDF or Excel files, at most 4 MB each."))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("What should the school change?"), validators=[Clean(), required(),
                                                                             Length(max=500)])


class SummaryTextForm(FlaskForm):
    summary = TextAreaField(_l("Written summary"), validators=[Clean(), Length(max=20000)])


class EntryForm(FlaskForm):
    title = StringField(_l("Title of the entry"), validators=[Clean(), required(), Length(max=120)])
    author = StringField(_l("Author"), validators=[Clean(), required(), Length(max=40)])
    class_name = StringField(_l("Class"), description=_l("For example: 五年级2班"), validators=[Clean(), Length(max=40)])
    teacher = StringField(_l("Supervising teacher (指导教师)"), validators=[Clean(), Length(max=40)])
    file = FileField(_l("File"), description=_l("Word, PDF or a photo, at most 4 MB."))


class UploadForm(FlaskForm):
    file = FileField(_l("File"))
