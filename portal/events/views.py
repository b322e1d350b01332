"""家校社活动 at /events: thin views over events.services, signup, after and partners."""
from datetime import datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import render
from ..core.listing import to_id
from ..core.submit_once import submit_once
from ..core.users import acting_user
from ..extensions import db
from ..imports.forms import ConfirmForm
from ..parent_school.forms import RegisterForm
from ..people.models import GRADE_NAMES, SchoolClass, Volunteer
from ..permissions import authorize, can, requires
from ..registrations import services as seats
from ..registrations.form_handling import register_from_form
from ..registrations.models import Registration
from . import after, calendar, services, signup
from . import partners as partner_directory
from . import photos as photo_store
from .forms import EventForm, PartnerForm, PhotoForm, SignUpForm, StatusForm, SummaryForm
from .models import EVENT_KINDS, Event, EventHelper, EventPhoto, Partner

bp = Blueprint("events", __name__, url_prefix="/events")


def _event(event_id, action="events.view") -> Event:
    return authorize(action, db.session.get(Event, event_id))


def _register_form(event, family):
    form = RegisterForm(prefix=f"e{event.id}")
    form.student_id.choices = options([(c.id, f"{c.name}（{c.school_class.label}）") for c in family.children
                                       if c.active and event.for_student(c)])
    return form


# Lists and the event page ------------------------------------------------------------------------------

@bp.route("/")
@requires("events.view")
def index():
    me, now = acting_user(), seats.local_now()
    f = services.EventFilters.from_args(request.args)
    events = services.event_list(me, f, now)
    context = {"events": events, "f": f, "kinds": [(k, k) for k in EVENT_KINDS], "now": now,
               "when_text": calendar.when_text, "responsible": services.responsible_text,
               "open_places": signup.open_places}
    if me.role == "volunteer" and me.volunteer_id:
        context["wanted"] = signup.needing_help(me.volunteer_id, me.school_id, now)
        context["mine"] = {h.event_id: h for h in db.session.scalars(select(EventHelper).where(
            EventHelper.volunteer_id == me.volunteer_id, EventHelper.status == "confirmed"))}
        context["sign_up_form"] = SignUpForm()
    if me.role == "parent" and me.family:
        context["family_regs"] = {r.event_id: r for r in db.session.scalars(select(Registration).where(
            Registration.family_id == me.family.id, Registration.event_id.is_not(None)))}
    return render("events/index.html", "events/_rows.html", **context)


@bp.route("/<int:event_id>")
@requires("events.view")
def show(event_id):
    me, now = acting_user(), seats.local_now()
    event = _event(event_id)
    context = {"e": event, "now": now, "when_text": calendar.when_text, "responsible": services.responsible_text,
               "open_places": signup.open_places, "status_form": StatusForm(), "sign_up_form": SignUpForm()}
    if me.role == "parent" and me.family and event.with_registration:
        reg = db.session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                           Registration.family_id == me.family.id))
        context |= {"reg": reg, "register_form": _register_form(event, me.family),
                    "position": seats.waiting_position(reg) if reg and reg.status == "waitlisted" else None}
    if me.role == "volunteer":
        context["mine"] = next((h for h in event.helpers if h.volunteer_id == me.volunteer_id
                                and h.status == "confirmed"), None)
    if can(me, "events.manage"):
        context["registrations"] = after.registrations(event)
    return render_template("events/show.html", **context)


# Coordinators: saving an event and its status ---------------------------------------------------------

def _fill_choices(form, school_id):
    form.partner_id.choices = options([(0, _("None"))] + [(p.id, f"{p.name}（{p.kind}）")
                                                          for p in partner_directory.partners(school_id)])
    form.lead_ids.choices = options([(u.id, u.display_name) for u in services.lead_user_choices(school_id)])
    form.lead_volunteer_ids.choices = options([(v.id, v.label) for v in services.volunteer_choices(school_id)])
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id,
                                                           SchoolClass.active.is_(True))
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    form.grades.choices = options([(g, GRADE_NAMES[g]) for g in sorted({c.grade for c in classes})])
    form.class_ids.choices = options([(c.id, c.label) for c in classes])


@bp.route("/new", methods=["GET", "POST"], defaults={"event_id": None})
@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@requires("events.manage")
@submit_once("event_id")
def edit(event_id):
    me = acting_user()
    event = _event(event_id, "events.manage") if event_id else None
    form = EventForm(obj=event) if event and request.method == "GET" else EventForm()
    if event and request.method == "GET":
        form.day.data, form.start.data = event.starts_at.date(), event.starts_at.time()
        form.end.data = event.ends_at.time() if event.ends_at else None
        form.lead_ids.data = [u.id for u in event.leads]
        form.lead_volunteer_ids.data = services.lead_volunteer_ids(event)
        form.grades.data, form.class_ids.data = event.grades, [c.id for c in event.classes]
        if event.deadline:
            form.deadline_day.data, form.deadline_time.data = event.deadline.date(), event.deadline.time()
    elif event is None and request.method == "GET" and request.args.get("day"):
        try:
            form.day.data = datetime.strptime(request.args["day"], "%Y-%m-%d").date()
        except ValueError:
            pass
    _fill_choices(form, me.school_id)
    if form.validate_on_submit():
        try:
            event = services.save_event(me, event, form.values())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Event saved."), "success")
            if request.form.get("next") == "new":
                return redirect(url_for("events.edit", day=event.starts_at.date().isoformat()))
            return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/form.html", form=form, e=event)


@bp.route("/<int:event_id>/status", methods=["POST"])
@requires("events.manage")
def set_status(event_id):
    event = _event(event_id, "events.manage")
    form = StatusForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()), [_("The form is out of date. Please try again.")])[0], "error")
    else:
        try:
            services.set_status(acting_user(), event, form.status.data, form.reason.data or "")
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Status changed to “%(status)s”.", status=event.status_label), "success")
    return redirect(url_for("events.show", event_id=event.id))


# Families register ------------------------------------------------------------------------------------

@bp.route("/<int:event_id>/register", methods=["POST"])
@requires("events.register")
def register(event_id):
    me = acting_user()
    event = _event(event_id, "events.register")
    family = me.family
    if family is None or not event.with_registration:
        abort(404)
    # Only the children in the event's audience are offered.
    register_from_form(event, _register_form(event, family), family, me, _("Registered. See you at the event!"),
                       _("All places are taken: your family is on the waiting list; its place is shown below."))
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@requires("events.view")
def cancel_registration(registration_id):
    me = acting_user()
    staff = can(me, "events.manage")
    reg = authorize("events.manage" if staff else "events.register", db.session.get(Registration, registration_id))
    if reg.event_id is None:
        abort(404)
    if not StatusForm().validate_on_submit():
        abort(400)
    try:
        promoted = seats.cancel(reg, me, staff=staff)
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("Registration of %(family)s cancelled.", family=reg.family.name) if staff
              else _("Your registration is cancelled."), "success")
        if promoted:
            flash(_("Seat given to %(names)s from the waiting list.", names="、".join(p.family.name for p in promoted)),
                  "success")
    return redirect(url_for("events.show", event_id=reg.event_id))


# Volunteers sign up ------------------------------------------------------------------------------------

@bp.route("/<int:event_id>/sign-up", methods=["POST"])
@requires("events.sign_up")
def sign_up(event_id):
    me = acting_user()
    event = _event(event_id, "events.sign_up")
    volunteer = db.session.get(Volunteer, me.volunteer_id or 0)
    form = SignUpForm()
    if volunteer is None:
        abort(404)
    if not form.validate_on_submit():
        flash(_("The form is out of date. Please try again."), "error")
    else:
        try:
            helper = signup.sign_up(event, volunteer, form.role.data, me)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Thank you! You are on the list as %(role)s.", role=helper.role_label), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/helpers/<int:helper_id>/withdraw", methods=["POST"])
@requires("events.view")
def withdraw(helper_id):
    me = acting_user()
    helper = authorize("events.view", db.session.get(EventHelper, helper_id))
    staff = can(me, "events.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        signup.withdraw(helper, me)
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("%(name)s is no longer on this event.", name=helper.volunteer.name) if staff
              else _("You are no longer on this event."), "success")
    return redirect(url_for("events.show", event_id=helper.event_id))


# After the event ---------------------------------------------------------------------------------------

def _report_context(event, summary_form=None):
    done = {h.volunteer_id: h for h in event.helpers}
    return {"e": event, "summary_form": summary_form or SummaryForm(obj=event), "photo_form": PhotoForm(),
            "attendance_form": ConfirmForm(), "registrations": [r for r in after.registrations(event)
                                                                if r.status == "confirmed"],
            "helpers": [h for h in event.helpers if h.status == "confirmed"], "logged": after.logged_hours(event),
            "when_text": calendar.when_text, "responsible": services.responsible_text, "done": done,
            "max_photo_mb": photo_store.max_bytes() // (1024 * 1024)}


@bp.route("/<int:event_id>/report", methods=["GET", "POST"])
@requires("events.manage")
def report(event_id):
    event = _event(event_id, "events.manage")
    form = SummaryForm(obj=event) if request.method == "GET" else SummaryForm()
    if form.validate_on_submit():
        try:
            after.save_summary(acting_user(), event, form.summary.data, form.participants.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Summary saved."), "success")
            return redirect(url_for("events.report", event_id=event.id))
    return render_template("events/report.html", **_report_context(event, form))


@bp.route("/<int:event_id>/helpers-attendance", methods=["POST"])
@requires("events.manage")
def helpers_attendance(event_id):
    event = _event(event_id, "events.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    helpers = [h for h in event.helpers if h.status == "confirmed"]
    claims = [after.HelperClaim(h, request.form.get(f"attended-{h.id}") == "y",
                                (request.form.get(f"hours-{h.id}") or "").strip()[:10]) for h in helpers]
    today = seats.local_now().date()
    try:
        made = after.record_helpers(acting_user(), event, claims, min(event.starts_at.date(), today), today)
    except DomainError as err:
        flash(err.message if not err.field else _("%(name)s: %(message)s", name=next(
            (h.volunteer.name for h in helpers if err.field == f"hours-{h.id}"), ""), message=err.message), "error")
    else:
        flash(_("Attendance saved; %(n)d hour entries are waiting for approval.", n=made), "success")
    return redirect(url_for("events.report", event_id=event.id))


@bp.route("/<int:event_id>/families-attendance", methods=["POST"])
@requires("events.manage")
def families_attendance(event_id):
    event = _event(event_id, "events.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ids = {i for i in (to_id(v) for v in request.form.getlist("came")) if i}
    try:
        after.family_attendance(acting_user(), event, ids)
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("Attendance saved."), "success")
    return redirect(url_for("events.report", event_id=event.id))


@bp.route("/<int:event_id>/photos", methods=["POST"])
@requires("events.manage")
@submit_once()
def add_photo(event_id):
    event = _event(event_id, "events.manage")
    form = PhotoForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.photo.data
    try:
        if upload is None or not upload.filename:
            raise DomainError(_("Please choose a photo."))
        photo_store.add(acting_user(), event, upload.filename, upload.read(photo_store.max_bytes() + 1))
    except DomainError as err:
        flash(err.message, "error")
    else:
        flash(_("Photo added."), "success")
    return redirect(url_for("events.report", event_id=event.id))


def _photo(photo_id) -> EventPhoto:
    photo = db.session.get(EventPhoto, photo_id)
    if photo is None:
        abort(404)
    authorize("events.photos", photo.event)
    return photo


@bp.route("/photos/<int:photo_id>")
@requires("events.photos")
def photo(photo_id):
    p = _photo(photo_id)
    path = photo_store.path_of(p)
    if not path.is_file():  # e.g. a database restored without the photo folder
        abort(404)
    resp = make_response(send_file(path, mimetype=p.content_type, max_age=0))
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@requires("events.manage")
def delete_photo(photo_id):
    p = _photo(photo_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    event_id = p.event_id
    photo_store.delete(acting_user(), p)
    flash(_("Photo removed."), "success")
    return redirect(url_for("events.report", event_id=event_id))


# The partner directory ---------------------------------------------------------------------------------

@bp.route("/partners", methods=["GET", "POST"], defaults={"partner_id": None})
@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
@requires("events.manage")
@submit_once("partner_id")
def partners(partner_id):
    me = acting_user()
    partner = authorize("events.manage", db.session.get(Partner, partner_id)) if partner_id else None
    form = PartnerForm(obj=partner) if partner and request.method == "GET" else PartnerForm()
    if form.validate_on_submit():
        try:
            partner_directory.save_partner(me, partner, {k: form[k].data for k in ("name", "kind", "contact", "phone", "active")})
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Partner saved."), "success")
            return redirect(url_for("events.partners"))
    return render_template("events/partners.html", form=form, partner=partner,
                           partners=partner_directory.partners(me.school_id, active_only=False))
