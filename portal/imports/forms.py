from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(
        _l("Excel file"),
        description=_l("An .xlsx file of at most 2 MB and 2000 rows, with the column headers in the first row."),
        validators=[FileRequired(_l("Please choose a file.")),
                    FileAllowed(["xlsx"], _l("Only Excel files (.xlsx) can be imported."))],
        render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: confirming needs no other input."""
