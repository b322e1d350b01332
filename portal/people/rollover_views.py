"""The school year rolling over (/people/rollover) and a student transferring out: thin views over rollover.py."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.errors import DomainError
from ..core.users import acting_user
from ..extensions import db
from ..permissions import authorize, requires
from . import bp, rollover
from .forms import EmptyForm
from .models import GRADE_NAMES, Student


@bp.route("/rollover", methods=["GET", "POST"])
@requires("people.manage")
def rollover_page():
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            done = rollover.apply(acting_user())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("The school is in the %(year)s school year: %(moved)d classes moved up, %(graduates)d students "
                    "graduated, %(pairs)d pairs ended.", year=done.year_label, moved=len(done.moves),
                    graduates=len(done.graduates), pairs=len(done.pairs)), "success")
            return redirect(url_for("people.index"))
    plan = rollover.preview(acting_user().school_id)
    return render_template("people/rollover.html", plan=plan, form=form, grade_names=GRADE_NAMES)


@bp.route("/students/<int:student_id>/transfer", methods=["POST"])
@requires("people.manage")
def transfer(student_id):
    student = authorize("people.manage", db.session.get(Student, student_id))
    if EmptyForm().validate_on_submit():
        try:
            ended = rollover.transfer_out(acting_user(), student)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("%(name)s has transferred out. The record and its history are kept.", name=student.name)
                  + (_(" Also: %(what)s.", what="；".join(ended)) if ended else ""), "success")
    return redirect(url_for("people.student", student_id=student.id))
