"""Merging two records of one person (合并重复记录): thin views over merging.py, one page per kind."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from ..core.errors import DomainError
from ..core.htmx import render
from ..core.listing import clean_query, to_id
from ..core.users import acting_user
from ..extensions import db
from ..permissions import authorize, requires, visible
from . import bp, merging
from .forms import MergeForm
from .models import Family, Student, Volunteer


@bp.route("/students/<int:student_id>/merge", methods=["GET", "POST"])
@requires("people.manage")
def merge_student(student_id):
    keep = authorize("people.manage", db.session.get(Student, student_id))
    return _merge(keep, url_for("people.student", student_id=keep.id), _("Merge a duplicate student"))


@bp.route("/families/<int:family_id>/merge", methods=["GET", "POST"])
@requires("people.manage")
def merge_family(family_id):
    keep = authorize("people.manage", db.session.get(Family, family_id))
    return _merge(keep, url_for("people.family", family_id=keep.id), _("Merge a duplicate family"))


@bp.route("/volunteers/<int:volunteer_id>/merge", methods=["GET", "POST"])
@requires("people.manage")
def merge_volunteer(volunteer_id):
    keep = authorize("people.manage", db.session.get(Volunteer, volunteer_id))
    return _merge(keep, url_for("people.volunteer_form", volunteer_id=keep.id), _("Merge a duplicate volunteer"))


def _other(keep, other_id):
    other_id = to_id(other_id)
    other = db.session.get(type(keep), other_id) if other_id else None
    return other if other is not None and other.id != keep.id and visible(acting_user(), other) else None


def _merge(keep, back: str, title: str):
    form = MergeForm()
    here = request.path
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("The form could not be sent. Please try again."), "error")
            return redirect(here)
        other = _other(keep, form.other.data)
        if other is None or other.created_at.isoformat() != form.created.data:
            flash(_("The other record is no longer there: it may have been merged already."), "error")
            return redirect(back)
        name = merging.describe(other)
        try:
            plan = merging.merge(acting_user(), keep, other)
        except DomainError as err:
            flash(err.message, "error")
            return redirect(f"{here}?with={form.other.data}")
        moved = "、".join(f"{label} {n}" for label, n in plan.moves if n) or pgettext("merged", "nothing")
        flash(_("%(other)s was merged into this record. Came over: %(moved)s.", other=name, moved=moved), "success")
        return redirect(back)
    q = clean_query(request.args.get("q"))
    other = _other(keep, request.args.get("with"))
    plan = merging.preview(keep, other) if other is not None else None
    found = [] if plan else merging.candidates(keep, q)
    swap = None
    if plan is not None and plan.swap:  # the same page from the other record's side
        (key,) = request.view_args
        swap = url_for(request.endpoint, **{key: other.id, "with": keep.id})
    return render("people/merge.html", "people/_merge_candidates.html", keep=keep, plan=plan, found=found, q=q,
                  form=form, back=back, title=title, here=here, swap=swap, describe=merging.describe)
