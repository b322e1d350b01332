"""Service steps shared by needs, offers and help requests."""
from flask_babel import gettext as _

from ..core.errors import DomainError
from ..extensions import db
from ..people.models import Category


def usable_category(actor, category_id, message=None) -> Category:
    """An active category of the actor's school, or a message beside the category field."""
    category = db.session.get(Category, category_id or 0)
    if category is None or category.school_id != actor.school_id or not category.active:
        raise DomainError(message or _("Please choose a category from the list."), "category_id")
    return category
