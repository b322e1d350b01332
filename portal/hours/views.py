import json
from datetime import datetime
from decimal import Decimal

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.services import ask_password_again, is_fresh
from ..core.clock import local_today
from ..core.display import cn_day, hours_text
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import is_htmx, render
from ..core.listing import clean_query, int_arg, page_arg, paginate
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..extensions import db
from ..people.models import VOLUNTEER_KINDS, Volunteer
from ..permissions import authorize, can, requires, visible
from . import bp, exports, ledger, totals
from . import recognition as recognition_service
from .forms import LevelsForm, LogForm, RecordForm, ReverseForm, ReviewForm
from .models import ACTIVITIES, HourEntry, ServiceRecord


@bp.route("/")
@requires("hours.view")
def index():
    me = acting_user()
    if me.role == "volunteer":
        if me.volunteer is None:
            abort(404)
        return _volunteer_page(me.volunteer)
    if me.role == "teacher":  # a teacher's part of the ledger is verifying their events' hours
        return _queue_page()
    today = local_today()
    period = totals.period_from_arg(request.args.get("period"), me.school_id, today)
    kind = request.args.get("kind") or ""
    q = clean_query(request.args.get("q"))
    rows = totals.volunteer_totals(me.school_id, period, kind, q)
    return render("hours/index.html", "hours/_totals.html", rows=rows, period=period, kind=kind, q=q,
                  periods=totals.periods(me.school_id, today), kinds=VOLUNTEER_KINDS,
                  by_kind=totals.by_kind(me.school_id, period),
                  by_activity=totals.by_activity([HourEntry.school_id == me.school_id, *period.conditions()]),
                  total=sum((r.approved for r in rows), Decimal(0)), pending=ledger.pending_count(me))


@bp.route("/volunteers/<int:volunteer_id>")
@requires("hours.manage")
def volunteer(volunteer_id):
    return _volunteer_page(authorize("hours.manage", db.session.get(Volunteer, volunteer_id)))


def _volunteer_page(volunteer, record_form=None):
    today = local_today()
    pagination = paginate(select(HourEntry).where(HourEntry.volunteer_id == volunteer.id)
                          .order_by(HourEntry.worked_on.desc(), HourEntry.id.desc()).options(*ledger.card_loads()),
                          page_arg(request.args), current_app.config["PAGE_SIZE"])
    if is_htmx() and request.args.get("page"):
        return render_template("hours/_history.html", pagination=pagination, volunteer=volunteer)
    if record_form is None and acting_user().role != "volunteer":
        record_form = RecordForm(period_from=today.replace(month=1, day=1), period_to=today)
    return render_template("hours/volunteer.html", volunteer=volunteer, summary=totals.summary(volunteer, today),
                           pagination=pagination, records=recognition_service.records_of(volunteer), record_form=record_form)


@bp.route("/new", methods=["GET", "POST"])
@requires("hours.log")
@submit_once(message=_l("These hours were already logged; they were not saved twice."))
def new():
    me = acting_user()
    today = local_today()
    form = LogForm()
    if me.role == "volunteer":
        if me.volunteer is None:
            abort(404)
        del form.volunteer_id
        volunteer = me.volunteer
    else:
        choices = db.session.scalars(select(Volunteer).where(Volunteer.school_id == me.school_id,
                                                             Volunteer.active.is_(True))
                                     .order_by(Volunteer.name_initials, Volunteer.id)).all()
        form.volunteer_id.choices = options([(0, _("Choose the volunteer"))] + [(v.id, v.label) for v in choices])
        # Choosing the volunteer reloads the pair choices: their pairs only.
        form.volunteer_id.render_kw = {"hx-get": url_for("hours.new"), "hx-target": "#pair-field",
                                       "hx-swap": "outerHTML", "hx-trigger": "change"}
        if request.method == "GET" and not form.volunteer_id.data:
            form.volunteer_id.data = int_arg(request.args, "volunteer_id") or 0
        volunteer = next((v for v in choices if v.id == form.volunteer_id.data), None)
    pairs = ledger.pairs_for_logging(volunteer.id) if volunteer else []
    form.pair_id.choices = options([(0, _("None"))] + [(p.id, _pair_label(p)) for p in pairs])
    events = ledger.events_for_logging(me.school_id, today)
    form.event_id.choices = options([(0, _("None"))] + [(e.id, f"{e.starts_at:%m-%d} {e.title}") for e in events])
    if request.method == "GET":
        issue_token(form)
        form.worked_on.data = _date_arg("worked_on") or today
        if request.args.get("activity") in ACTIVITIES:
            form.activity.data = request.args["activity"]
        if is_htmx() and request.headers.get("HX-Target") == "pair-field":
            return render_template("hours/_pair_field.html", form=form)
    if form.validate_on_submit():
        try:
            if volunteer is None:
                raise DomainError(_("Please choose the volunteer."), "volunteer_id")
            entry, created = ledger.log_hours(me, volunteer, form.values(), today, form.submit_token.data)
        except DomainError as err:
            # A pair or event field with nothing to choose is not on the page: say it at the top instead.
            if err.field in ("pair_id", "event_id") and len(form[err.field].choices) <= 1:
                flash(err.message, "error")
            else:
                show_error(form, err)
        else:
            if not created:
                flash(_("These hours were already logged; they were not saved twice."), "success")
            elif entry.on_behalf:
                flash(_("Logged %(h)s hours for %(name)s on %(day)s. Next entry:", h=hours_text(entry.hours),
                        name=volunteer.name, day=cn_day(entry.worked_on)), "success")
                return redirect(url_for("hours.new", worked_on=entry.worked_on.isoformat(), activity=entry.activity))
            else:
                flash(_("Thank you! %(h)s hours logged; they wait for the office to approve.",
                        h=hours_text(entry.hours)), "success")
            return redirect(url_for("hours.index"))
    else:
        renew_bad_token(form)
    return render_template("hours/form.html", form=form, volunteer=volunteer)


def _pair_label(pair):
    names = "、".join(n.student.name if n.student else n.young_teacher.name for n in pair.needs)
    return f"{names} · {pair.needs[0].category.name}"


def _date_arg(name):
    try:
        return datetime.strptime(request.args.get(name) or "", "%Y-%m-%d").date()
    except ValueError:
        return None


# --- review --------------------------------------------------------------------------------------

@bp.route("/queue")
@requires("hours.verify")
def queue():
    return _queue_page()


def _queue_page(template=None):
    me = acting_user()
    f = ledger.QueueFilters.from_args(request.args, clean_query)
    pagination = paginate(ledger.queue(me, f), page_arg(request.args), current_app.config["PAGE_SIZE"])
    context = {"pagination": pagination, "f": f, "activities": ACTIVITIES, "kinds": VOLUNTEER_KINDS,
               "pending": ledger.pending_count(me), "review_form": ReviewForm()}
    if template:
        return render_template(template, **context)
    return render("hours/queue.html", "hours/_queue.html", **context)


@bp.route("/review", methods=["POST"])
@requires("hours.verify")
def review():
    """Approve or send back ticked rows (or one row); answers htmx with the list, counts refreshed out of band."""
    form = ReviewForm()
    action = request.form.get("action", "")
    if form.validate_on_submit():
        ids = sorted({i for i in form.ids.data or [] if i})
        try:
            changed = ledger.review(acting_user(), ids, action, form.reason.data)
        except DomainError as err:
            flash(err.message, "error")
        else:
            message = (_("%(n)d entries approved.", n=changed) if action == "approve"
                       else _("%(n)d entries sent back.", n=changed))
            if changed < len(ids):
                message += " " + _("%(n)d had already been handled and were left as they were.", n=len(ids) - changed)
            flash(message, "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    if is_htmx():
        return _queue_page("hours/_review_response.html")
    # The list's filters as the list reads them, not the address as sent: a Location header never carries more.
    return redirect(url_for("hours.queue", **ledger.QueueFilters.from_args(request.args, clean_query).args()))


@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@requires("hours.view")
def entry(entry_id):
    item = authorize("hours.view", db.session.get(HourEntry, entry_id))
    me = acting_user()
    correctable = item.status == "approved" and not item.is_reversal and item.reversal is None
    may_correct = can(me, "hours.manage")
    if request.method == "POST" and not may_correct:
        abort(403)
    # A correction posted twice reaches the service, which says it is already done.
    form = ReverseForm() if may_correct and (correctable or request.method == "POST") else None
    if form is not None and form.validate_on_submit():
        try:
            ledger.reverse(me, item, form.reason.data, form.corrected.data, local_today())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Correction saved. The original entry stays in the ledger, cancelled by the correction."),
                  "success")
            return redirect(url_for("hours.entry", entry_id=item.id))
    # Only the entries this user may open: a teacher sees those of their own events, not the rest of the day.
    related = [r for r in db.session.scalars(select(HourEntry).where(
        HourEntry.volunteer_id == item.volunteer_id, HourEntry.worked_on == item.worked_on,
        HourEntry.id != item.id).order_by(HourEntry.id)) if visible(me, r)]
    return render_template("hours/entry.html", item=item, form=form, related=related)


# --- recognition, records, exports ---------------------------------------------------------------

def _year_arg(today):
    year = int_arg(request.args, "year")
    return year if year and 2000 <= year <= today.year + 1 else today.year


@bp.route("/recognition", methods=["GET", "POST"])
@requires("hours.manage")
def recognition():
    me = acting_user()
    today = local_today()
    year = _year_arg(today)
    current = totals.levels(me.school_id)
    form = LevelsForm()
    if request.method == "GET":
        for i, (name, hours) in enumerate(current):
            form.names[i].data, form.hours[i].data = name, hours_text(hours)
    elif form.validate_on_submit():
        try:
            recognition_service.save_levels(me, list(zip(form.names.data, form.hours.data, strict=True)))
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("Recognition levels saved."), "success")
            return redirect(url_for("hours.recognition", year=year))
    else:
        # The level fields show no messages of their own: the first problem goes at the top.
        flash(_first_error(form.errors), "error")
    return render_template("hours/recognition.html", year=year, years=range(today.year, today.year - 5, -1),
                           groups=recognition_service.recognition(me.school_id, year), form=form, levels=current,
                           open_levels=request.method == "POST")


def _first_error(errors):
    """The first message in form.errors, where a FieldList's errors are a list per row."""
    for messages in errors.values():
        for message in messages:
            found = _first_error({"": message}) if isinstance(message, list | dict) else message
            if found:
                return found
    return ""


@bp.route("/recognition.xlsx")
@requires("hours.manage")
def recognition_xlsx():
    if not is_fresh():
        return ask_password_again()
    year = _year_arg(local_today())
    return xlsx_response(exports.recognition_workbook(acting_user(), year), f"志愿者表彰名单-{year}.xlsx",
                         f"recognition-{year}.xlsx")


@bp.route("/export.xlsx")
@requires("hours.manage")
def ledger_xlsx():
    """The ledger of a period for the district; volunteers' names and phones, so after a fresh password."""
    if not is_fresh():
        return ask_password_again()
    me = acting_user()
    today = local_today()
    period = totals.period_from_arg(request.args.get("period"), me.school_id, today)
    return xlsx_response(exports.ledger_workbook(me, period), f"志愿服务时长台账-{period.label}.xlsx",
                 f"hours-ledger-{period.key}.xlsx")


@bp.route("/volunteers/<int:volunteer_id>/records", methods=["POST"])
@requires("hours.manage")
@submit_once()
def issue_record(volunteer_id):
    vol = authorize("hours.manage", db.session.get(Volunteer, volunteer_id))
    form = RecordForm()
    if form.validate_on_submit():
        try:
            rec = recognition_service.issue_record(acting_user(), vol, form.period_from.data, form.period_to.data, local_today())
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Service record %(serial)s issued. Print it from this page.", serial=rec.serial), "success")
            return redirect(url_for("hours.service_record", record_id=rec.id))
    return _volunteer_page(vol, record_form=form)


@bp.route("/records/<int:record_id>")
@requires("hours.record")
def service_record(record_id):
    rec = authorize("hours.record", db.session.get(ServiceRecord, record_id))
    return render_template("hours/record.html", rec=rec, figures=json.loads(rec.breakdown))
