from flask import abort, current_app, flash, jsonify, redirect, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ..core.clock import local_today
from ..core.database import ping
from ..core.errors import DomainError
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..district import tasks
from ..district.models import RETURN_STATES
from ..events.calendar import when_text
from ..events.signup import committed, needing_help
from ..extensions import db
from ..hours import ledger as hours_ledger
from ..hours import totals as hours_totals
from ..needs.models import NEED_STATUS
from ..pairs.services import due_count, follow_ups, pairs_of_volunteer
from ..parent_school.services import family_progress
from ..people import family_data
from ..people.models import STUDENT_STATUSES, Family, SchoolClass, Student, Volunteer
from ..permissions import authorize, public, requires
from ..registrations.services import local_now
from . import bp, services
from .services import HOME_LIST


@bp.route("/")
@requires("home.view")
def index():
    me = current_user
    if me.unit_id is not None:  # above the schools: the district's pages start from its table
        return redirect(url_for("district.index"))
    counts = {}
    district_tasks = []
    if me.role in ("admin", "coordinator"):
        district_tasks = [r for r in tasks.inbox(me) if r.state not in tasks.DONE][:HOME_LIST]
        for key, model in (("students", Student), ("families", Family), ("volunteers", Volunteer),
                           ("classes", SchoolClass)):
            counts[key] = db.session.scalar(
                select(func.count()).select_from(model).where(model.school_id == me.school_id, model.active.is_(True)))
    my_pairs = pairs_of_volunteer(me.volunteer_id) if me.role == "volunteer" and me.volunteer_id else []
    notes = follow_ups(me.volunteer_id, [p.id for p in my_pairs]) if my_pairs else {}
    today = local_today()
    due = due_count(me, today) if me.role in ("admin", "coordinator", "teacher") else 0
    my_hours = wanted = parent = teacher = None
    my_events = []
    if me.role == "volunteer" and me.volunteer_id:
        my_hours = hours_totals.summary(me.volunteer, today)
        my_events = committed(me.volunteer_id, me.school_id, local_now())[:HOME_LIST]
        wanted = needing_help(me.volunteer_id, me.school_id, local_now())[:HOME_LIST]
    if me.role == "parent" and me.family is not None:
        parent = services.parent_home(me.family, local_now())
    if me.role == "teacher":
        teacher = services.teacher_home(me, today)
    return render_template("home/index.html", counts=counts, my_pairs=my_pairs, notes=notes, due=due,
                           my_hours=my_hours, my_events=my_events, wanted=wanted, parent=parent, teacher=teacher,
                           hours_pending=hours_ledger.pending_count(me), need_status=NEED_STATUS, when_text=when_text,
                           district_tasks=district_tasks, task_states=RETURN_STATES)


@bp.route("/my/family")
@requires("family.own")
def family():
    """The family's children, in school or not any more, its guardians, and its certificates: a family whose last
    child has left keeps this page."""
    family = current_user.family
    done = [p.course for p in family_progress(family) if p.completed] if family else []
    return render_template("home/family.html", family=family, certificates=done, statuses=STUDENT_STATUSES,
                           asked=family_data.pending_for(family) if family else set(), form=FlaskForm())


@bp.route("/my/family/data.xlsx")
@requires("family.own")
def family_data_xlsx():
    """Everything the portal holds about the family, for the guardian to keep (PIPL Art. 45)."""
    family = current_user.family
    if family is None:
        abort(404)
    return xlsx_response(family_data.family_workbook(acting_user(), family), f"{family.name}-我家的信息.xlsx",
                         "family-data.xlsx")


@bp.route("/my/family/children/<int:student_id>/erasure", methods=["POST"])
@requires("family.own")
def ask_erasure(student_id):
    student = authorize("family.own", db.session.get(Student, student_id))
    if FlaskForm().validate_on_submit():
        try:
            family_data.ask_erasure(acting_user(), student)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Your request is with the school office. You will see here when it is done."), "success")
    return redirect(url_for("home.family"))


@bp.route("/my/volunteer")
@requires("volunteer.own")
def volunteer():
    return render_template("home/volunteer.html", volunteer=current_user.volunteer)


@bp.route("/healthz")
@public
def healthz():
    state = ping()
    return jsonify(status="ok" if state == "ok" else "error", database=state), 200 if state == "ok" else 503


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers, WeChat's among them, ask for /favicon.ico whatever the page says."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
