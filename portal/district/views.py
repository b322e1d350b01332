"""The district's pages: the table of its schools' figures, a school's figures, the 达标 lines, and (its administrator)
the units, the schools' places among them and the unit's accounts."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.models import UNIT_ROLE_LABELS, User
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import render
from ..core.submit_once import submit_once
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..extensions import db
from ..people.forms import EmptyForm
from ..people.models import School
from ..permissions import authorize, requires
from ..registrations.services import local_now
from . import bp, exports, figures, services
from .forms import PlaceSchoolForm, UnitForm, UnitUserForm, thresholds_form
from .models import Unit


def _period():
    return figures.period_from_arg(request.args.get("period"), local_now().date())


def _sort() -> tuple[str | None, bool]:
    key = request.args.get("sort")
    return (key if key in figures.BY_KEY else None), request.args.get("dir") != "asc"


@bp.route("/")
@requires("district.view")
def index():
    me = acting_user()
    period, choices = _period()
    key, descending = _sort()
    rows = services.table(me.unit, period, local_now())
    lines = services.thresholds(me.unit)
    return render("district/index.html", "district/_table.html", unit=me.unit, period=period, rows=rows,
                  shown_rows=services.sort_rows(rows, key, descending), sort=key, descending=descending,
                  lines=lines, met=services.met_counts(rows, lines), chart=figures.BY_KEY[key or "matched"],
                  period_options=[(p.key, p.label) for p in choices], figures=figures)


@bp.route("/schools/<int:school_id>")
@requires("district.view")
def school(school_id):
    me = acting_user()
    place = authorize("district.view", db.session.get(School, school_id))
    period, choices = _period()
    return render("district/school.html", "district/_school.html", school=place, period=period,
                  trend=services.trend(place, period, local_now()), lines=services.thresholds(me.unit),
                  period_options=[(p.key, p.label) for p in choices], figures=figures)


@bp.route("/schools.xlsx")
@requires("district.view")
def export():
    me = acting_user()
    period, _choices = _period()
    rows = services.table(me.unit, period, local_now())
    return xlsx_response(exports.table_workbook(me.unit, period, rows, services.thresholds(me.unit)),
                         f"{me.unit.name}-学校工作数据-{period.label}.xlsx", f"district-{period.key}.xlsx")


@bp.route("/thresholds", methods=["GET", "POST"])
@requires("district.thresholds")
def thresholds():
    me = acting_user()
    form = thresholds_form(services.own_thresholds(me.unit))
    if form.validate_on_submit():
        services.save_thresholds(me, me.unit, {f.key: (float(form[f.key].data) if form[f.key].data is not None else None)
                                              for f in figures.WITH_THRESHOLD})
        flash(_("The lines are saved."), "success")
        return redirect(url_for("district.index"))
    return render_template("district/thresholds.html", form=form, unit=me.unit, figures=figures,
                           inherited=services.thresholds(me.unit))


# The unit's administrator ---------------------------------------------------------------------------------

@bp.route("/units")
@requires("district.manage")
def units():
    me = acting_user()
    tree = services.tree(me.unit)
    place = PlaceSchoolForm()
    place.unit.choices = options([(u.id, "　" * depth + u.name) for u, depth in tree])
    return render_template("district/units.html", tree=tree, schools=services.schools_below(me.unit),
                           users=services.unit_users(me.unit), unit_form=UnitForm(), place=place,
                           role_labels=UNIT_ROLE_LABELS, action_form=EmptyForm())


@bp.route("/units/<int:unit_id>/new", methods=["POST"])
@requires("district.manage")
@submit_once()
def add_unit(unit_id):
    parent = authorize("district.manage", db.session.get(Unit, unit_id))
    form = UnitForm()
    if form.validate_on_submit():
        try:
            services.add_unit(acting_user(), parent, form.name.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Unit added."), "success")
    else:
        for errors in form.errors.values():
            flash(errors[0], "error")
    return redirect(url_for("district.units"))


@bp.route("/schools/<int:school_id>/unit", methods=["POST"])
@requires("district.manage")
def place_school(school_id):
    me = acting_user()
    place = authorize("district.manage", db.session.get(School, school_id))
    form = PlaceSchoolForm()
    form.unit.choices = options([(u.id, u.name) for u, _depth in services.tree(me.unit)])
    if form.validate_on_submit():
        services.place_school(me, place, db.session.get(Unit, form.unit.data))
        flash(_("%(school)s is now under %(unit)s.", school=place.name, unit=db.session.get(Unit, form.unit.data).name),
              "success")
    else:
        flash(_("Choose a unit."), "error")
    return redirect(url_for("district.units"))


@bp.route("/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("district.manage")
@submit_once("user_id")
def user_form(user_id):
    me = acting_user()
    user = authorize("district.manage", db.session.get(User, user_id)) if user_id else None
    tree = services.tree(me.unit)
    form = UnitUserForm(obj=user, unit=user.unit_id if user else me.unit_id)
    form.role.choices = options(list(UNIT_ROLE_LABELS.items()))
    form.unit.choices = options([(u.id, "　" * depth + u.name) for u, depth in tree])
    if form.validate_on_submit():
        try:
            services.save_unit_user(me, user, db.session.get(Unit, form.unit.data), form.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Account saved."), "success")
            return redirect(url_for("district.units"))
    return render_template("people/form.html", form=form,
                           title=_("Edit account") if user else _("New account"), back=url_for("district.units"))
