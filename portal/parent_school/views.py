from datetime import datetime, timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.services import ask_password_again, is_fresh
from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import is_htmx, render
from ..core.listing import clean_query, to_id
from ..core.qr import qr_svg
from ..core.submit_once import submit_once
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..extensions import db
from ..people.forms import EmptyForm
from ..people.models import GRADE_NAMES, Family, SchoolClass, Student, Volunteer
from ..permissions import authorize, can, requires
from ..registrations import services as seats
from ..registrations.form_handling import register_from_form
from ..registrations.models import Registration
from . import bp, exports, services
from .forms import CheckInForm, CourseForm, FeedbackForm, RegisterForm, SessionForm, StatusForm, WalkInForm
from .models import Course, CourseSession


def _session(session_id, action="parent_school.view", options=()) -> CourseSession:
    return authorize(action, db.session.get(CourseSession, session_id, options=options))


def _registration(registration_id, action) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is not None and reg.session_id is None:  # an event's registration has its own pages
        abort(404)
    return authorize(action, reg)


@bp.route("/")
@requires("parent_school.view")
def index():
    me = acting_user()
    now = seats.local_now()
    if me.role == "parent":
        return _family_page(me, now)
    if me.role == "teacher":
        mandatory = [c for c in services.courses(me.school_id) if c.mandatory]
        return render_template("parent_school/teacher.html", courses=mandatory)
    course_list = services.courses(me.school_id, include_inactive=True)
    sessions = services.upcoming_sessions(me.school_id, now)
    return render_template("parent_school/index.html", courses=course_list, sessions=sessions, now=now,
                           ratings=services.course_ratings(me.school_id))


def _family_page(me, now):
    family = me.family
    if family is None:
        return render_template("parent_school/family.html", family=None, offers=[], past=[], progress=[], now=now)
    offers = services.sessions_for_family(family, now)
    forms = {}
    for o in offers:
        form = RegisterForm(prefix=f"s{o.session.id}")
        form.student_id.choices = options([(c.id, f"{c.name}（{c.school_class.label}）") for c in o.children])
        forms[o.session.id] = form
    return render_template("parent_school/family.html", family=family, offers=offers, forms=forms, now=now,
                           past=services.past_registrations(family, now), progress=services.family_progress(family),
                           feedback_form=FeedbackForm())


# A family's own actions

@bp.route("/sessions/<int:session_id>/register", methods=["POST"])
@requires("parent_school.register")
def register(session_id):
    s = _session(session_id, "parent_school.register", options=(joinedload(CourseSession.course),))
    me = acting_user()
    family = me.family
    if family is None:
        abort(404)
    form = RegisterForm(prefix=f"s{s.id}")
    form.student_id.choices = options([(c.id, c.name) for c in family.children if c.active])
    if not register_from_form(s, form, family, me, _("Registered. Show your check-in code at the door."),
                              _("All seats are taken: your family is on the waiting list; its place is shown below.")):
        return redirect(url_for("parent_school.index"))
    return redirect(url_for("parent_school.session", session_id=session_id))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@requires("parent_school.view")
def cancel(registration_id):
    me = acting_user()
    staff = can(me, "parent_school.manage")
    reg = _registration(registration_id, "parent_school.manage" if staff else "parent_school.register")
    if not StatusForm().validate_on_submit():
        abort(400)
    try:
        promoted = seats.cancel(reg, me, staff=staff)
    except DomainError as err:
        flash(err.message, "error")
    else:
        if staff:
            flash(_("Registration of %(family)s cancelled.", family=reg.family.name) +
                  (" " + _("Seat given to %(names)s from the waiting list.",
                           names="、".join(p.family.name for p in promoted)) if promoted else ""), "success")
        else:
            flash(_("Your registration is cancelled."), "success")
    status = request.args.get("status")  # back to the roster as it was filtered; never an address the client made up
    return redirect(url_for("parent_school.session", session_id=reg.session_id,
                            status=status if status in services.ROSTER_FILTERS else None))


@bp.route("/registrations/<int:registration_id>/feedback", methods=["POST"])
@requires("parent_school.register")
def feedback(registration_id):
    reg = _registration(registration_id, "parent_school.register")
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            services.save_feedback(reg, form.rating.data, form.comment.data, acting_user())
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Thank you for your feedback!"), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("parent_school.session", session_id=reg.session_id))


@bp.route("/registrations/<int:registration_id>.ics")
@requires("parent_school.register")
def ics(registration_id):
    reg = _registration(registration_id, "parent_school.register")
    s = reg.session
    body = exports.ics(s, uid=f"session-{s.id}-family-{reg.family_id}@carebridge",
                       url=url_for("parent_school.session", session_id=s.id, _external=True))
    resp = make_response(body)
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="parent-school-{s.id}.ics"'
    return resp


@bp.route("/courses/<int:course_id>/certificate")
@requires("parent_school.certificate")
def certificate(course_id):
    me = acting_user()
    course = authorize("parent_school.certificate", db.session.get(Course, course_id))
    if me.role == "parent":
        family = me.family
    elif can(me, "parent_school.manage"):
        family = authorize("parent_school.manage", db.session.get(Family, to_id(request.args.get("family")) or 0))
    else:
        abort(403)
    if family is None:
        abort(404)
    try:
        progress = services.certificate(family, course)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("parent_school.index" if can(me, "parent_school.view") else "home.family"))
    return render_template("parent_school/certificate.html", family=family, course=course, progress=progress,
                           school=me.school)


# One session

@bp.route("/sessions/<int:session_id>")
@requires("parent_school.view")
def session(session_id):
    me = acting_user()
    s = _session(session_id, options=services.session_page_options(me.role != "parent"))
    now = seats.local_now()
    if me.role == "parent":
        family = me.family
        reg = db.session.scalar(select(Registration).where(Registration.session_id == s.id,
                                                           Registration.family_id == family.id)) if family else None
        if reg is None and (family is None or not any(s.course.for_grade(c.school_class.grade)
                                                      for c in family.children if c.active)):
            abort(404)
        form = RegisterForm(prefix=f"s{s.id}")
        children = [c for c in family.children if c.active and s.course.for_grade(c.school_class.grade)]
        form.student_id.choices = options([(c.id, f"{c.name}（{c.school_class.label}）") for c in children])
        return render_template("parent_school/session_family.html", s=s, reg=reg, now=now, form=form,
                               children=children, position=services.waiting_position(reg), qr=qr_svg(
                                   url_for("parent_school.scan", session_id=s.id, code=reg.code, _external=True))
                               if reg else "", feedback_form=FeedbackForm(), cancel_form=StatusForm())
    if not can(me, "parent_school.manage"):
        abort(403)
    which = request.args.get("status") if request.args.get("status") in services.ROSTER_FILTERS else "confirmed"
    q = clean_query(request.args.get("q"))
    rows = services.roster(s, which, q)
    context = {"s": s, "rows": rows, "which": which, "q": q, "counts": services.roster_counts(s), "now": now,
               "cancel_form": StatusForm(), "status_form": StatusForm(),
               "rating": services.ratings([s.id]).get(s.id), "comments": services.comments(s)}
    return render("parent_school/session.html", "parent_school/_roster.html", **context)


@bp.route("/sessions/<int:session_id>/status", methods=["POST"])
@requires("parent_school.manage")
def set_status(session_id):
    s = _session(session_id, "parent_school.manage")
    form = StatusForm()
    if form.validate_on_submit() and form.status.data in ("open", "closed", "cancelled", "done"):
        try:
            services.set_status(s, form.status.data, acting_user(), form.reason.data or "")
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash({"open": _("Registration reopened."), "closed": _("Registration closed."),
                   "cancelled": _("Session cancelled; every registered family sees it on their page."),
                   "done": _("Session marked as held.")}[form.status.data], "success")
    else:
        flash(_("The form is out of date. Please try again."), "error")
    return redirect(url_for("parent_school.session", session_id=s.id))


@bp.route("/sessions/<int:session_id>/attendance.xlsx")
@requires("parent_school.manage")
def attendance_xlsx(session_id):
    s = _session(session_id, "parent_school.manage")
    if not is_fresh():
        return ask_password_again("children")
    return xlsx_response(exports.attendance_workbook(acting_user(), s), f"家长学校签到表-{s.starts_at:%Y%m%d}.xlsx",
                         f"attendance-{s.id}.xlsx")


@bp.route("/sessions/<int:session_id>/sign-in-sheet")
@requires("parent_school.manage")
def sign_in_sheet(session_id):
    s = _session(session_id, "parent_school.manage")
    return render_template("parent_school/sign_in_sheet.html", s=s, rows=services.roster(s, "confirmed"),
                           school=acting_user().school)


# Check-in at the door

@bp.route("/sessions/<int:session_id>/door")
@requires("parent_school.check_in")
def door(session_id):
    s = _session(session_id, "parent_school.check_in")
    q = clean_query(request.args.get("q"))
    context = {"s": s, "q": q, "found": services.door_search(s, q), "counts": services.roster_counts(s),
               "door_closed": seats.check_in_closed(s)}
    if is_htmx() and request.headers.get("HX-Target") == "results":
        return render_template("parent_school/_door_results.html", **context)
    return render_template("parent_school/door.html", form=CheckInForm(), **context)


def _door_done(s, reg, created, form=None):
    """After a check-in from the door page: say who, and show the page again ready for the next family."""
    if created:
        flash(_("Checked in: %(family)s (%(child)s, %(klass)s).", family=reg.family.name, child=reg.student.name,
                klass=reg.school_class.label), "success")
    else:
        flash(_("%(family)s had already checked in.", family=reg.family.name), "success")
    return redirect(url_for("parent_school.door", session_id=s.id))


@bp.route("/sessions/<int:session_id>/check-in", methods=["POST"])
@requires("parent_school.check_in")
def check_in(session_id):
    s = _session(session_id, "parent_school.check_in")
    form = CheckInForm()
    if form.validate_on_submit():
        try:
            reg, created = seats.check_in(s, form.code.data, acting_user())
        except DomainError as err:
            show_error(form, err)
        else:
            return _door_done(s, reg, created)
    return render_template("parent_school/door.html", s=s, form=form, q="", found=[],
                           counts=services.roster_counts(s), door_closed=seats.check_in_closed(s))


@bp.route("/registrations/<int:registration_id>/check-in", methods=["POST"])
@requires("parent_school.check_in")
def check_in_registration(registration_id):
    reg = _registration(registration_id, "parent_school.check_in")
    if not StatusForm().validate_on_submit():
        abort(400)
    try:
        reg, created = seats.check_in_registration(reg, acting_user())
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("parent_school.door", session_id=reg.session_id))
    return _door_done(reg.session, reg, created)


@bp.route("/registrations/<int:registration_id>/undo-check-in", methods=["POST"])
@requires("parent_school.check_in")
def undo_check_in(registration_id):
    reg = _registration(registration_id, "parent_school.check_in")
    if not StatusForm().validate_on_submit():
        abort(400)
    seats.undo_check_in(reg, acting_user())
    flash(_("Check-in of %(family)s undone.", family=reg.family.name), "success")
    return redirect(url_for("parent_school.session", session_id=reg.session_id, status="attended"))


@bp.route("/sessions/<int:session_id>/walk-in", methods=["POST"])
@requires("parent_school.check_in")
def walk_in(session_id):
    s = _session(session_id, "parent_school.check_in")
    form = WalkInForm()
    student = db.session.get(Student, to_id(form.student_id.data) or 0) if form.validate_on_submit() else None
    if student is None or student.school_id != s.school_id:
        flash(_("Please choose the child from the list."), "error")
        return redirect(url_for("parent_school.door", session_id=s.id))
    try:
        reg, created = seats.walk_in(s, student, acting_user())
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("parent_school.door", session_id=s.id))
    return _door_done(s, reg, created)


@bp.route("/check-in/<int:session_id>/<code>")
@requires("parent_school.check_in")
def scan(session_id, code):
    """Where a family's QR code leads: staff who scan it with the phone's camera confirm with one tap."""
    s = _session(session_id, "parent_school.check_in")
    reg = db.session.scalar(select(Registration).where(Registration.session_id == s.id,
                                                       Registration.code == seats.normalise_code(code)))
    return render_template("parent_school/scan.html", s=s, reg=reg, form=CheckInForm(code=code),
                           door_closed=seats.check_in_closed(s))


# Courses and sessions for coordinators

def _course_form(form: CourseForm, school_id: int):
    volunteers = db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id,
                                                            Volunteer.active.is_(True))
                                    .order_by(Volunteer.name_initials, Volunteer.id)).all()
    form.lecturer_volunteer_id.choices = options([(0, _("An outside expert (name below)"))] + [
        (v.id, v.label) for v in volunteers])
    grades = sorted(set(db.session.scalars(select(SchoolClass.grade).where(SchoolClass.school_id == school_id,
                                                                           SchoolClass.active.is_(True)))))
    form.grades.choices = options([(g, GRADE_NAMES.get(g, str(g))) for g in grades])


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@requires("parent_school.manage")
@submit_once("course_id")
def course_form(course_id=None):
    me = acting_user()
    course = authorize("parent_school.manage", db.session.get(Course, course_id)) if course_id else None
    form = CourseForm(obj=course)
    _course_form(form, me.school_id)
    if request.method == "GET" and course is not None:
        form.grades.data = course.grades
        form.lecturer_volunteer_id.data = course.lecturer_volunteer_id or 0
    if form.validate_on_submit():
        try:
            course = services.save_course(course, form.values(), me)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Course “%(title)s” saved.", title=course.title), "success")
            return redirect(url_for("parent_school.course", course_id=course.id))
    return render_template("parent_school/course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>")
@requires("parent_school.manage")
def course(course_id):
    c = authorize("parent_school.manage", db.session.get(Course, course_id))
    ratings = services.ratings([s.id for s in c.sessions])
    return render_template("parent_school/course.html", c=c, ratings=ratings, now=seats.local_now(),
                           rating=services.course_ratings(c.school_id).get(c.id),
                           coverage=services.coverage(c) if c.mandatory else None)


def _quota_values(course, form):
    """Seats reserved per class from the quota-<class id> inputs; an error message names the problem."""
    quotas, errors = {}, []
    labels = {k.id: k.label for k in _quota_classes(course)}
    for key, raw in request.form.items():
        class_id = to_id(key.removeprefix("quota-")) if key.startswith("quota-") else None
        raw = raw.strip()
        if class_id is None or not raw:
            continue
        if not raw.isdigit() or int(raw) > 5000:
            errors.append(_("%(klass)s: please give a whole number of seats.", klass=labels.get(class_id, class_id)))
        elif int(raw):
            # Classes not offered on the form are still passed on: the service refuses them in words.
            quotas[class_id] = int(raw)
    return quotas, errors


def _quota_classes(course):
    stmt = select(SchoolClass).where(SchoolClass.school_id == course.school_id, SchoolClass.active.is_(True))
    if course.grades:
        stmt = stmt.where(SchoolClass.grade.in_(course.grades))
    return db.session.scalars(stmt.order_by(SchoolClass.grade, SchoolClass.name)).all()


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@requires("parent_school.manage")
@submit_once("session_id")
def session_form(course_id=None, session_id=None):
    s = _session(session_id, "parent_school.manage") if session_id else None
    c = s.course if s else authorize("parent_school.manage", db.session.get(Course, course_id))
    form = SessionForm()
    quotas = {q.class_id: q.seats for q in s.quotas} if s else {}
    quota_errors = []
    if request.method == "GET":
        if s is not None:
            form.title.data, form.place.data, form.online_url.data = s.title, s.place, s.online_url
            form.day.data, form.start.data, form.end.data = s.starts_at.date(), s.starts_at.time(), s.ends_at.time()
            form.capacity.data = s.capacity
            form.deadline_day.data, form.deadline_time.data = s.deadline.date(), s.deadline.time()
        else:
            day = seats.local_now().date() + timedelta(days=14)
            form.day.data, form.deadline_day.data = day, day - timedelta(days=2)
    elif form.validate_on_submit():
        quotas, quota_errors = _quota_values(c, form)
        if not quota_errors:
            data = {"title": form.title.data or "", "place": form.place.data or "",
                    "online_url": form.online_url.data or "", "capacity": form.capacity.data,
                    "starts_at": datetime.combine(form.day.data, form.start.data),
                    "ends_at": datetime.combine(form.day.data, form.end.data),
                    "deadline": datetime.combine(form.deadline_day.data, form.deadline_time.data)}
            try:
                s, promoted = services.save_session(s, c, data, quotas, acting_user())
            except DomainError as err:
                if err.field == "quotas":
                    quota_errors.append(err.message)
                else:
                    show_error(form, _field_error(err))
            else:
                msg = _("Session saved.")
                if promoted:
                    msg += " " + _("%(n)d families moved from the waiting list to a seat.", n=len(promoted))
                flash(msg, "success")
                return redirect(url_for("parent_school.session", session_id=s.id))
    else:
        quotas, _unused = _quota_values(c, form)
    return render_template("parent_school/session_form.html", form=form, s=s, c=c, quotas=quotas,
                           quota_classes=_quota_classes(c), quota_errors=quota_errors)


def _field_error(err: DomainError) -> DomainError:
    """The service speaks of ends_at and deadline; the form has end and deadline_day."""
    err.field = {"ends_at": "end", "deadline": "deadline_day"}.get(err.field, err.field)
    return err


# Coverage of mandatory courses

@bp.route("/courses/<int:course_id>/coverage")
@requires("parent_school.coverage")
def coverage(course_id):
    me = acting_user()
    c = authorize("parent_school.coverage", db.session.get(Course, course_id))
    rows = services.coverage(c, me)
    receipts = services.reminder_receipts(c, rows)
    today = local_today()
    return render_template("parent_school/coverage.html", c=c, rows=rows, form=EmptyForm(), receipts=receipts,
                           told_today={family_id for family_id, (due, _read) in receipts.items() if due.date() == today})


@bp.route("/courses/<int:course_id>/classes/<int:class_id>/remind", methods=["POST"])
@requires("parent_school.remind")
def remind(course_id, class_id):
    c = authorize("parent_school.coverage", db.session.get(Course, course_id))
    klass = authorize("parent_school.remind", db.session.get(SchoolClass, class_id))
    if EmptyForm().validate_on_submit():
        try:
            done = services.remind_unregistered(acting_user(), c, klass, local_today())
        except DomainError as err:
            flash(err.message, "error")
            return redirect(url_for("parent_school.coverage", course_id=c.id))
        if not done.unregistered:
            message = _("Every family of %(klass)s has registered.", klass=klass.label)
        elif done.families:
            message = _("%(n)d families of %(klass)s that have not registered were reminded.", n=done.families,
                        klass=klass.label)
        else:
            message = _("No family of %(klass)s could be reminded now: those with a login were reminded today.",
                        klass=klass.label)
        if done.without_login:
            message += " " + _("%(n)d families have no login yet: please phone them.", n=len(done.without_login))
        flash(message, "success")
    return redirect(url_for("parent_school.coverage", course_id=c.id) + f"#class-{klass.id}")


@bp.route("/courses/<int:course_id>/coverage.xlsx")
@requires("parent_school.coverage")
def coverage_xlsx(course_id):
    me = acting_user()
    c = authorize("parent_school.coverage", db.session.get(Course, course_id))
    if not is_fresh():
        return ask_password_again("children")
    rows = services.coverage(c, me)
    return xlsx_response(exports.coverage_workbook(me, c, rows), f"家长学校未完成名单-{c.title}.xlsx",
                         f"coverage-{c.id}.xlsx")
