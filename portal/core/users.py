"""The user of the current request."""
from flask_login import current_user


def acting_user():
    """The logged-in user as the model object rather than Flask-Login's proxy: what services and audit records take."""
    return current_user._get_current_object()
