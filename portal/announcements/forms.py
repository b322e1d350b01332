from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..core.forms import Clean
from ..core.submit_token import submit_token_field
from .models import MAX_BODY, MAX_TITLE


def _one_newline(text):
    """A browser sends a line break as CR LF: counted as one, as the text box counts it."""
    return text.replace("\r\n", "\n") if isinstance(text, str) else text


class AnnouncementForm(FlaskForm):
    submit_token = submit_token_field()
    # The choices are the sender's (services.audiences_for), which also checks the one sent.
    audience = SelectField(_l("To whom"), validate_choice=False,
                           description=_l("Each reader finds it among their notices, under the bell at the top of every "
                                          "page."),
                           validators=[InputRequired(_l("Please choose from the list whom it is for."))])
    title = StringField(_l("Title"), description=_l("At most %(n)d characters; it is what the notice says.", n=MAX_TITLE),
                        validators=[Clean(), DataRequired(_l("Please give the announcement a title.")),
                                    Length(max=MAX_TITLE, message=_l("Please keep the title to %(n)d characters.",
                                                                     n=MAX_TITLE))],
                        render_kw={"maxlength": MAX_TITLE, "autocomplete": "off"})
    body = TextAreaField(_l("Text"), filters=[_one_newline], validators=[
        Clean(), DataRequired(_l("Please write what the announcement says.")),
        Length(max=MAX_BODY, message=_l("Please keep the text to %(n)d characters.", n=MAX_BODY))],
        render_kw={"rows": 8, "maxlength": MAX_BODY})
    confirm = BooleanField(_l("Ask each reader to confirm that they have read it"),
                           description=_l("You then see who has confirmed, not only who has opened it."))

    def values(self) -> dict:
        return {"audience": self.audience.data, "title": self.title.data, "body": self.body.data,
                "confirm": self.confirm.data}
