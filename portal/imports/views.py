"""Excel export and import of the two menus: thin views over imports.services and each menu's transfer.py."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.services import ask_password_again, is_fresh
from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.listing import clean_query
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..needs import transfer as needs_transfer
from ..needs.services import NeedFilters
from ..offers import transfer as offers_transfer
from ..offers.services import OfferFilters
from ..permissions import requires
from . import services
from .forms import ConfirmForm, UploadForm

bp = Blueprint("imports", __name__)

FILTERS = {"needs": NeedFilters, "offers": OfferFilters}
# Each menu's sheet; importing them here, at start-up, also registers their import with imports.services.
TRANSFER = {"needs": needs_transfer, "offers": offers_transfer}


def _titles(kind):
    return {"needs": _("Import needs from Excel"), "offers": _("Import offers from Excel")}[kind]


@bp.route("/needs/export.xlsx", defaults={"kind": "needs"})
@bp.route("/offers/export.xlsx", defaults={"kind": "offers"})
@requires("menus.transfer")
def export(kind):
    """The menu with the list's current filters; personal data, so only after a fresh password."""
    if not is_fresh():
        return ask_password_again("children" if kind == "needs" else "people")
    f = FILTERS[kind].from_args(request.args, clean_query)
    data, _count = TRANSFER[kind].export_workbook(acting_user(), f)
    day = local_today()
    return xlsx_response(data, services.export_filename(kind, day), f"{kind}-{day.isoformat()}.xlsx")


@bp.route("/<any(needs, offers):kind>/import/template.xlsx")
@requires("menus.transfer")
def template(kind):
    data = TRANSFER[kind].template_workbook(current_user.school_id)
    return xlsx_response(data, f"{services.MENU_NAME[kind]}-导入模板.xlsx", f"{kind}-import-template.xlsx")


@bp.route("/<any(needs, offers):kind>/import", methods=["GET", "POST"])
@requires("menus.transfer")
def upload(kind):
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            batch = services.stage(acting_user(), kind, upload_file.filename or "",
                                   upload_file.read(services.MAX_BYTES + 1))
        except DomainError as err:
            form.file.errors = [*form.file.errors, err.message]
        else:
            return redirect(url_for("imports.preview", kind=kind, batch_id=batch.id))
    return render_template("imports/upload.html", form=form, kind=kind, title=_titles(kind),
                           columns=services.import_columns(kind), urls=import_urls(kind))


def import_urls(kind, batch_id=None) -> dict:
    """The links the shared upload and preview pages show."""
    urls = {"template": url_for("imports.template", kind=kind), "upload": url_for("imports.upload", kind=kind),
            "back": url_for(f"{kind}.index")}
    if batch_id is not None:
        urls["confirm"] = url_for("imports.confirm", kind=kind, batch_id=batch_id)
    return urls


def _batch(kind, batch_id):
    batch = services.find_batch(acting_user(), kind, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/<any(needs, offers):kind>/import/<int:batch_id>")
@requires("menus.transfer")
def preview(kind, batch_id):
    batch = _batch(kind, batch_id)
    ok, bad = services.counts(batch)
    return render_template("imports/preview.html", batch=batch, kind=kind, ok=ok, bad=bad, form=ConfirmForm(),
                           title=_titles(kind), columns=services.import_columns(kind),
                           urls=import_urls(kind, batch.id))


@bp.route("/<any(needs, offers):kind>/import/<int:batch_id>/confirm", methods=["POST"])
@requires("menus.transfer")
def confirm(kind, batch_id):
    batch = _batch(kind, batch_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        n = services.apply(acting_user(), batch)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("imports.preview", kind=kind, batch_id=batch.id))
    flash(_("Imported %(n)d rows.", n=n), "success")
    return redirect(url_for(f"{kind}.index"))
