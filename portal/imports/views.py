"""Excel export and import of the two menus (being written: see the Excel helper's brief)."""
from flask import Blueprint, abort

from ..permissions import requires
from .models import ImportBatch  # noqa: F401  (the helper uses it)

bp = Blueprint("imports", __name__)


@bp.route("/needs/export.xlsx", defaults={"kind": "needs"})
@bp.route("/offers/export.xlsx", defaults={"kind": "offers"})
@requires("menus.transfer")
def export(kind):
    abort(404)


@bp.route("/<any(needs, offers):kind>/import", methods=["GET", "POST"])
@requires("menus.transfer")
def upload(kind):
    abort(404)
