"""The 行事历 at /calendar: by month, printable, to and from Excel, and each user's private feed."""
from datetime import timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.services import is_fresh
from ..core import ical
from ..core.errors import DomainError
from ..core.htmx import render
from ..core.listing import to_id
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..imports import services as imports
from ..imports.forms import ConfirmForm, UploadForm
from ..parent_school.exports import session_entry
from ..permissions import can, public, requires
from ..registrations import services as seats
from . import calendar, services, transfer
from . import feed as private_feed
from .models import EVENT_KINDS, Event

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


# The 行事历 --------------------------------------------------------------------------------------------

def _calendar_args():
    today = seats.local_now().date()
    p = calendar.period(request.args.get("period"), today)
    kind = request.args.get("kind", "")
    kind = kind if kind in EVENT_KINDS else ""
    month = to_id(request.args.get("month"))
    # A month kept from another term's filter is dropped rather than showing an empty calendar.
    month = month if month in {d.month for d in _months_of(p)} else None
    return today, p, kind, month


def _calendar_context():
    me = acting_user()
    today, p, kind, month = _calendar_args()
    viewer = None if can(me, "events.manage") else me
    events = calendar.calendar_events(me.school_id, p, kind, month, viewer)
    return {"p": p, "kind": kind, "month": month, "groups": calendar.month_groups(events, p),
            "kinds": [(k, k) for k in EVENT_KINDS], "when_text": calendar.when_text, "count": len(events),
            "responsible": services.responsible_text, "school": me.school,
            "period_options": [(x.key, x.name) for x in calendar.periods_around(today)],
            "month_options": [(d.month, f"{d.month}月") for d in _months_of(p)]}


def _months_of(p):
    day, out = p.starts, []
    while day <= p.ends:
        out.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


@bp.route("/")
@requires("calendar.view")
def index():
    return render("events/calendar.html", "events/_calendar_page.html", **_calendar_context())


@bp.route("/print")
@requires("calendar.view")
def print_view():
    return render_template("events/calendar_print.html", **_calendar_context())


@bp.route("/export.xlsx")
@requires("calendar.view")
def export():
    ctx = _calendar_context()
    title = f"{ctx['school'].name}关工委工作行事历（{ctx['p'].name}）"
    data = transfer.calendar_workbook(title, ctx["groups"])
    return xlsx_response(data, f"行事历-{ctx['p'].name}.xlsx", f"calendar-{ctx['p'].key}.xlsx")


def _import_urls(batch_id=None):
    urls = {"template": url_for("calendar.template"), "upload": url_for("calendar.upload"),
            "back": url_for("calendar.index")}
    if batch_id is not None:
        urls["confirm"] = url_for("calendar.confirm", batch_id=batch_id)
    return urls


@bp.route("/import/template.xlsx")
@requires("calendar.transfer")
def template():
    return xlsx_response(transfer.template_workbook(), "行事历-导入模板.xlsx", "calendar-import-template.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@requires("calendar.transfer")
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        f = form.file.data
        try:
            batch = imports.stage(acting_user(), "events", f.filename or "", f.read(imports.MAX_BYTES + 1))
        except DomainError as err:
            form.file.errors = [*form.file.errors, err.message]
        else:
            return redirect(url_for("calendar.preview", batch_id=batch.id))
    return render_template("imports/upload.html", form=form, kind="events", title=_("Import the calendar from Excel"),
                           columns=transfer.COLUMNS, urls=_import_urls())


def _batch(batch_id):
    batch = imports.find_batch(acting_user(), "events", batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/import/<int:batch_id>")
@requires("calendar.transfer")
def preview(batch_id):
    batch = _batch(batch_id)
    ok, bad = imports.counts(batch)
    return render_template("imports/preview.html", batch=batch, kind="events", ok=ok, bad=bad, form=ConfirmForm(),
                           title=_("Import the calendar from Excel"), columns=transfer.COLUMNS,
                           urls=_import_urls(batch.id))


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@requires("calendar.transfer")
def confirm(batch_id):
    batch = _batch(batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        n = imports.apply(acting_user(), batch)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("calendar.preview", batch_id=batch.id))
    flash(_("Imported %(n)d events.", n=n), "success")
    return redirect(url_for("calendar.index"))


# The private feed ---------------------------------------------------------------------------------------

@bp.route("/feed", methods=["GET", "POST"])
@requires("calendar.feed")
def feed():
    me = acting_user()
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not is_fresh():
            return redirect(url_for("auth.reauth", about="calendar", next=url_for("calendar.feed")))
        private_feed.feed_token(me, renew=True)
        flash(_("A new address is ready; the old one no longer works."), "success")
        return redirect(url_for("calendar.feed"))
    token = private_feed.feed_token(me)
    return render_template("events/feed.html", form=form,
                           feed_url=url_for("calendar.feed_ics", token=token, _external=True))


@bp.route("/feed/<token>.ics")
@public
def feed_ics(token):
    """The user's events for their phone's calendar app; the secret token in the URL stands in for a login."""
    user = private_feed.user_by_feed_token(token)
    if user is None:
        abort(404)
    now = seats.local_now()
    entries = [_entry(e) for e in private_feed.feed_events(user, now)]
    entries += [session_entry(r.session, f"session-{r.session_id}-family-{r.family_id}@carebridge")
                for r in private_feed.feed_sessions(user, now)]
    resp = make_response(ical.calendar(entries, name=f"{user.school.name} 关爱桥"))
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _entry(e: Event) -> ical.Entry:
    if e.precision == "time":
        starts, ends = e.starts_at, e.ends_at or e.starts_at + timedelta(hours=1)
    else:
        starts, ends = e.starts_at.date(), e.starts_at.date() + timedelta(days=1)
    description = "\n".join(x for x in (e.description, f"责任人：{services.responsible_text(e)}",
                                        e.cancel_reason and f"取消原因：{e.cancel_reason}") if x)
    return ical.Entry(uid=f"event-{e.id}@carebridge", summary=e.title, starts=starts, ends=ends, location=e.place,
                      description=description, cancelled=e.status == "cancelled", alarm=e.precision == "time")

