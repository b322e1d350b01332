from datetime import date

from flask import abort, render_template, request

from ..auth.services import ask_password_again, is_fresh
from ..core.htmx import render
from ..core.users import acting_user
from ..core.xlsx import xlsx_response
from ..hours.totals import year_period
from ..needs.models import NEED_STATUS
from ..permissions import requires
from ..registrations.services import local_now
from . import bp, charts, exports, services

# Reports naming volunteers or students go out only after a fresh password.
PERSONAL = {"coverage", "hours"}


def _dashboard():
    me = acting_user()
    now = local_now()
    period, choices = services.period_from_arg(request.args.get("period"), me.school_id, now.date())
    return services.dashboard(me.school_id, period, now), choices


def _year_arg(today: date) -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and today.year - 10 <= year <= today.year else today.year


@bp.route("/")
@requires("reports.view")
def index():
    d, choices = _dashboard()
    today = local_now().date()
    return render("reports/index.html", "reports/_dashboard.html", d=d, charts=charts.build(d), need_status=NEED_STATUS,
                  period_options=[(p.key, p.label) for p in choices], reports=exports.REPORTS,
                  year_options=[(y, year_period(y).label) for y in range(today.year, today.year - 3, -1)])


@bp.route("/coverage")
@requires("reports.coverage")
def coverage():
    """Per class, and the students with a support tag who had no running pair: sensitive, so audited."""
    me = acting_user()
    now = local_now()
    period, choices = services.period_from_arg(request.args.get("period"), me.school_id, now.date())
    cov = services.coverage(me.school_id, period, with_names=True)
    services.note_coverage_view(me, period, cov)
    return render("reports/coverage.html", "reports/_coverage_page.html", cov=cov, period=period,
                  period_options=[(p.key, p.label) for p in choices])


@bp.route("/<key>.xlsx")
@requires("reports.view")
def export(key):
    if key not in exports.REPORTS:
        abort(404)
    if key in PERSONAL and not is_fresh():
        return ask_password_again("children" if key == "coverage" else "people")
    me = acting_user()
    now = local_now()
    period, _choices = services.period_from_arg(request.args.get("period"), me.school_id, now.date())
    d = services.dashboard(me.school_id, period, now)
    if key == "coverage":
        d.coverage = services.coverage(me.school_id, period, with_names=True)
    name = exports.REPORTS[key][0]
    return xlsx_response(exports.report_workbook(me, key, d), f"{name}-{period.label}.xlsx",
                         f"report-{key}-{period.key}.xlsx")


@bp.route("/annual.xlsx")
@requires("reports.view")
def annual():
    """年度工作台账 of a calendar year; volunteers' names, so after a fresh password."""
    if not is_fresh():
        return ask_password_again()
    me = acting_user()
    now = local_now()
    year = _year_arg(now.date())
    d = services.dashboard(me.school_id, year_period(year), now)
    return xlsx_response(exports.annual_workbook(me, me.school.name, d, now),
                         f"{me.school.name}关工委年度工作台账-{year}.xlsx", f"annual-{year}.xlsx")


@bp.route("/print")
@requires("reports.view")
def print_view():
    d, _choices = _dashboard()
    return render_template("reports/print.html", d=d, charts=charts.build(d), need_status=NEED_STATUS)
