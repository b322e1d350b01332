"""Service steps shared by needs, offers and help requests."""
from flask_babel import gettext as _
from sqlalchemy import select

from .errors_domain import DomainError, saving
from .extensions import db
from .people.models import Category


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


def usable_category(actor, category_id, message=None) -> Category:
    """An active category of the actor's school, or a message beside the category field."""
    category = db.session.get(Category, category_id or 0)
    if category is None or category.school_id != actor.school_id or not category.active:
        raise DomainError(message or _("Please choose a category from the list."), "category_id")
    return category
