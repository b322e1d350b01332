"""Loading the school from its roster workbook (/people/import): upload, name unknown columns, preview, import."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..core.errors import DomainError
from ..core.forms import show_error
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..extensions import db
from ..imports import services as imports
from ..permissions import requires
from . import bp, roster, roster_import
from .forms import EmptyForm, RosterFileForm
from .models import GRADE_NAMES, School
from .roster import KEY_HEADERS


@bp.route("/import", methods=["GET", "POST"])
@requires("people.manage")
def roster_upload():
    form = RosterFileForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = roster_import.stage(acting_user(), upload.filename or "", upload.read(roster.MAX_BYTES + 1))
        except DomainError as err:
            show_error(form, err)
        else:
            return redirect(url_for("people.roster_preview", batch_id=batch.id))
    return render_template("people/import.html", form=form, school=_school(), grade_names=GRADE_NAMES)


@bp.route("/import/template.xlsx")
@requires("people.manage")
def roster_template():
    return xlsx_response(roster_import.template_workbook(_school()), "学生和志愿者名册-导入模板.xlsx",
                         "roster-template.xlsx")


def _school() -> School:
    return db.session.get(School, acting_user().school_id)


def _batch(batch_id):
    """Only the uploader sees a roster file, in their school."""
    batch = imports.find_batch(acting_user(), roster_import.KIND, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@requires("people.manage")
def roster_preview(batch_id):
    batch = _batch(batch_id)
    if batch.applied_at is not None:
        return render_template("people/import_done.html", batch=batch, summary=batch.rows["summary"],
                               classes=roster_import.imported_classes(batch))
    the_plan = roster_import.plan(acting_user().school_id, roster_import.roster_of(batch))
    return render_template("people/import_preview.html", batch=batch, plan=the_plan, summary=the_plan.summary(),
                           questions=roster_import.column_questions(batch), key_headers=KEY_HEADERS,
                           grade_names=GRADE_NAMES,
                           form=EmptyForm())


@bp.route("/import/<int:batch_id>/columns", methods=["POST"])
@requires("people.manage")
def roster_columns(batch_id):
    """The meanings the user chose for the columns the reader did not know; the file is read again with them."""
    batch = _batch(batch_id)
    if EmptyForm().validate_on_submit():
        mapping: dict = {}
        for n, question in enumerate(roster_import.column_questions(batch)):
            key = request.form.get(f"col-{n}", "")
            if key in question.keys:
                mapping.setdefault(question.sheet, {})[question.header] = key
        try:
            roster_import.read_again(acting_user(), batch, mapping)
        except DomainError as err:
            flash(err.message, "error")
    return redirect(url_for("people.roster_preview", batch_id=batch.id))


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@requires("people.manage")
def roster_confirm(batch_id):
    batch = _batch(batch_id)
    if EmptyForm().validate_on_submit():
        try:
            roster_import.apply(acting_user(), batch)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("The roster was imported."), "success")
    return redirect(url_for("people.roster_preview", batch_id=batch.id))
