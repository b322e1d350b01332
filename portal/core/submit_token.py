"""The submit token: a creating form's one-time name, stored on the row it creates (a unique column), so the same
form sent twice saves one row and the second send is answered with it. portal/core/submit_once.py guards the other
way round, by the content sent, for Back and Save on a page fetched afresh."""
import secrets

from flask import flash
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import HiddenField
from wtforms.validators import Regexp

from ..extensions import db
from .errors import DomainError, saving


def submit_token_field():
    return HiddenField(validators=[Regexp(r"^[0-9a-f]{32}$", message=_l("The form is out of date. Please reload it."))])


def issue_token(form) -> None:
    """A fresh submit token: the form's one-time name, so sending it twice saves once."""
    form.submit_token.data = secrets.token_hex(16)


def renew_bad_token(form) -> None:
    """The token field is hidden: say what is wrong, and give the form a fresh token so sending again works."""
    if form.submit_token.errors:
        flash(form.submit_token.errors[0], "error")
        issue_token(form)


def earlier_submit(model, token: str | None):
    """The row an earlier submit of the same form created, if any."""
    if not token:
        return None
    return db.session.scalar(select(model).where(model.submit_token == token))


def save_once(model, token: str | None, conflict_message: str, write):
    """Run write() in one transaction; returns (row, True). When a twin submit carrying the same token
    won the race, returns (its row, False) instead of an error."""
    try:
        with saving(conflict_message):
            return write(), True
    except DomainError:
        earlier = earlier_submit(model, token)
        if earlier is not None:
            return earlier, False
        raise
