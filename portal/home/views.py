from flask import jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..database import ping
from ..extensions import db
from ..people.models import Family, SchoolClass, Student, Volunteer
from ..permissions import public, requires
from . import bp


@bp.route("/")
@requires("home.view")
def index():
    me = current_user
    counts = {}
    if me.role in ("admin", "coordinator"):
        for key, model in (("students", Student), ("families", Family), ("volunteers", Volunteer),
                           ("classes", SchoolClass)):
            counts[key] = db.session.scalar(
                select(func.count()).select_from(model).where(model.school_id == me.school_id, model.active.is_(True)))
    return render_template("home/index.html", counts=counts)


@bp.route("/my/family")
@requires("family.own")
def family():
    return render_template("home/family.html", family=current_user.family)


@bp.route("/my/volunteer")
@requires("volunteer.own")
def volunteer():
    return render_template("home/volunteer.html", volunteer=current_user.volunteer)


@bp.route("/healthz")
@public
def healthz():
    state = ping()
    return jsonify(status="ok" if state == "ok" else "error", database=state), 200 if state == "ok" else 503
