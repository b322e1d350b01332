from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from ..core.forms import Clean, options


class LoginForm(FlaskForm):
    username = StringField(_l("Username or mobile number"),
                           validators=[Clean(), DataRequired(_l("Please enter your username or mobile number.")),
                                       Length(max=40)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Please enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this phone"), default=True,
                            description=_l("Parents and volunteers stay logged in for 30 days, until they log out. "
                                           "Staff accounts log out when the browser is closed."))


class PreferencesForm(FlaskForm):
    large_text = BooleanField(_l("Large text mode (bigger text and buttons)"))
    locale = SelectField(_l("Language"), choices=options([("zh_CN", "简体中文"), ("en", "English")]))


class ChannelsForm(FlaskForm):
    """Where notices reach the user besides the portal's 消息."""
    email = StringField(_l("E-mail address"), validators=[Clean(), Optional(), Length(max=120), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter an e-mail address such as name@example.com."))])
    notices_by_email = BooleanField(_l("Also send my notices by e-mail"))
    notices_by_sms = BooleanField(_l("Also send my notices by SMS to my mobile"))


def _new_password():
    """The new password, twice; made here for each form so that each lists it after its own fields."""
    return (PasswordField(_l("New password"), validators=[
                DataRequired(_l("Please enter a new password.")),
                Length(min=8, max=200, message=_l("The new password must have at least 8 characters."))]),
            PasswordField(_l("Repeat the new password"),
                          validators=[EqualTo("new", _l("The two passwords are not the same."))]))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Please enter your current password."))])
    new, confirm = _new_password()


class OwnPasswordForm(FlaskForm):
    """The first login with a password the office gave out: the user's own, twice."""
    new, confirm = _new_password()


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Please enter your password.")), Length(max=200)])
