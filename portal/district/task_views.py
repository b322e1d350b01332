"""Tasks down, returns up: the unit's pages (/district/tasks) and the school office's (/tasks), and the files both
download."""
from flask import abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.forms import show_error
from ..core.submit_once import submit_once
from ..core.users import acting_user
from ..core.xlsx import content_disposition, xlsx_response
from ..extensions import db
from ..people.forms import EmptyForm
from ..permissions import authorize, requires, scope
from . import bp, exports, files, report_forms, school_bp, tasks
from .forms import EntryForm, ReasonForm, SummaryTextForm, TaskForm, UploadForm
from .models import AWARDS, RETURN_PARTS, RETURN_STATES, SHOWN_TO_UNIT, TASK_KINDS, Task, TaskEntry, TaskFile, TaskReturn

LABELS = {"kinds": TASK_KINDS, "parts": RETURN_PARTS, "states": RETURN_STATES, "awards": AWARDS, "late": tasks.late}


def _task(task_id) -> Task:
    return authorize("tasks.manage", db.session.get(Task, task_id))


def _return_of(task: Task, return_id) -> TaskReturn:
    ret = authorize("tasks.manage", db.session.get(TaskReturn, return_id))
    if ret.task_id != task.id:
        abort(404)
    return ret


# The unit -------------------------------------------------------------------------------------------------

@bp.route("/tasks/")
@requires("tasks.manage")
def task_list():
    me = acting_user()
    rows = tasks.overview(me)
    return render_template("district/tasks.html", rows=rows, today=local_today(), **LABELS)


@bp.route("/tasks/new", methods=["GET", "POST"])
@requires("tasks.manage")
@submit_once()
def new_task():
    form = TaskForm()
    if form.validate_on_submit():
        uploads = [(f.filename, f.read(files.max_bytes() + 1)) for f in form.attachments.data or () if f.filename]
        try:
            task = tasks.create(acting_user(), form.data, uploads)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The task is sent to %(n)d schools.", n=len(tasks.returns_of(task))), "success")
            return redirect(url_for("district.task", task_id=task.id))
    return render_template("district/task_form.html", form=form)


@bp.route("/tasks/<int:task_id>")
@requires("tasks.manage")
def task(task_id):
    t = _task(task_id)
    return render_template("district/task.html", t=t, returns=tasks.returns_of(t), today=local_today(),
                           form=EmptyForm(), **LABELS)


@bp.route("/tasks/<int:task_id>/remind", methods=["POST"])
@requires("tasks.manage")
def remind(task_id):
    t = _task(task_id)
    if EmptyForm().validate_on_submit():
        n = tasks.remind_late(acting_user(), t)
        flash(_("%(n)d schools reminded.", n=n) if n else _("No school left to remind today."), "success")
    return redirect(url_for("district.task", task_id=t.id))


@bp.route("/tasks/<int:task_id>/returns/<int:return_id>", methods=["GET", "POST"])
@requires("tasks.manage")
def review(task_id, return_id):
    t = _task(task_id)
    ret = _return_of(t, return_id)
    back = ReasonForm()
    if request.method == "POST":
        try:
            if request.form.get("do") == "approve" and EmptyForm().validate_on_submit():
                tasks.approve(acting_user(), ret)
                flash(_("%(school)s's return is approved.", school=ret.school.name), "success")
                return redirect(url_for("district.task", task_id=t.id))
            if request.form.get("do") == "back" and back.validate_on_submit():
                tasks.send_back(acting_user(), ret, back.reason.data)
                flash(_("%(school)s's return is sent back.", school=ret.school.name), "success")
                return redirect(url_for("district.task", task_id=t.id))
        except DomainError as err:
            show_error(back, err)
    return render_template("district/review.html", t=t, ret=ret, back=back, form=EmptyForm(),
                           figures=(ret.figures or {}) if ret.state in SHOWN_TO_UNIT else {}, **LABELS)


@bp.route("/tasks/<int:task_id>/judge", methods=["GET", "POST"])
@requires("tasks.manage")
def judge(task_id):
    t = _task(task_id)
    if t.kind != "competition":
        abort(404)
    returns = tasks.submitted(t)
    form = EmptyForm()
    if form.validate_on_submit():
        entries = {e.id for r in returns for e in r.entries}
        awards = {e: request.form.get(f"award-{e}") or None for e in entries}
        teachers = {e for e in entries if request.form.get(f"teacher-{e}")}
        organisers = {r.id for r in returns if request.form.get(f"organiser-{r.id}")}
        tasks.judge(acting_user(), t, awards, teachers, organisers)
        if request.form.get("publish"):
            tasks.publish_results(acting_user(), t)
            flash(_("The results are published to the schools."), "success")
        else:
            flash(_("The levels are saved."), "success")
        return redirect(url_for("district.judge", task_id=t.id))
    return render_template("district/judge.html", t=t, returns=returns, form=form, **LABELS)


@bp.route("/tasks/<int:task_id>/entries.xlsx")
@requires("tasks.manage")
def entries_xlsx(task_id):
    t = _task(task_id)
    return xlsx_response(exports.entries_workbook(t, tasks.submitted(t)), f"{t.title}-作品名单.xlsx",
                         f"task-{t.id}-entries.xlsx")


@bp.route("/tasks/<int:task_id>/figures.xlsx")
@requires("tasks.manage")
def figures_xlsx(task_id):
    t = _task(task_id)
    if not t.form:
        abort(404)
    return xlsx_response(report_forms.workbook(t, tasks.returns_of(t)), f"{t.title}-汇总.xlsx", f"task-{t.id}-figures.xlsx")


@bp.route("/tasks/<int:task_id>/files.zip")
@requires("tasks.manage")
def files_zip(task_id):
    t = _task(task_id)
    resp = make_response(send_file(exports.files_zip(t, tasks.submitted(t)), mimetype="application/zip", max_age=0))
    resp.headers["Content-Disposition"] = content_disposition(f"{t.title}-作品文件.zip", f"task-{t.id}-files.zip")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# Files, for whoever may see them ----------------------------------------------------------------------------

@bp.route("/files/<int:file_id>")
@requires("tasks.files")
def file(file_id):
    row = authorize("tasks.files", db.session.get(TaskFile, file_id))
    path = files.path_of(row.stored_name)
    if not path.is_file():  # e.g. a database restored without the files folder
        abort(404)
    resp = make_response(send_file(path, mimetype=row.content_type, as_attachment=row.kind != "photo",
                                   download_name=row.original_name, max_age=0))
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


# The school's office --------------------------------------------------------------------------------------------

def _own_return(task_id) -> TaskReturn:
    ret = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task_id,
                                                     scope(current_user, TaskReturn)))
    return authorize("tasks.return", ret)


@school_bp.route("/")
@requires("tasks.return")
def inbox():
    me = acting_user()
    return render_template("district/inbox.html", returns=tasks.inbox(me), today=local_today(), **LABELS)


ADDING = ("entry", "photo", "file")  # the return page's sends that create something


@school_bp.route("/<int:task_id>", methods=["GET", "POST"])
@requires("tasks.return")
@submit_once(when=lambda: request.form.get("do") in ADDING)  # a return sent back is rightly submitted again as is
def show(task_id):
    ret = _own_return(task_id)
    me = acting_user()
    text = SummaryTextForm(obj=ret)
    entry, upload = EntryForm(prefix="entry"), UploadForm(prefix="up")
    if request.method == "POST":
        what = request.form.get("do")
        try:
            if what == "read" and EmptyForm().validate_on_submit():
                tasks.mark_read(me, ret)
            elif what in ("save", "submit") and text.validate_on_submit():
                # What was typed is kept, whichever button sent it.
                summary = (text.summary.data or "") if "summary" in request.form else None
                given = request.form if ret.task.form and "r0c0" in request.form else None
                if summary is not None or given is not None:
                    tasks.save_draft(me, ret, summary, given)
                if what == "submit":
                    tasks.submit(me, ret)
                    flash(_("Submitted to %(unit)s.", unit=ret.task.unit.name), "success")
                else:
                    flash(_("Draft saved."), "success")
            elif what in ("photo", "file") and upload.validate_on_submit():
                data = upload.file.data
                if not data or not data.filename:
                    raise DomainError(_("Please choose a file."), "file")
                tasks.add_file(me, ret, what, data.filename, data.read(files.max_bytes() + 1))
                flash(_("File added."), "success")
            elif what == "entry" and entry.validate_on_submit():
                data = entry.file.data
                got = (data.filename, data.read(files.max_bytes() + 1)) if data and data.filename else None
                tasks.add_entry(me, ret, entry.data, got)
                flash(_("Entry added."), "success")
            else:
                return _show(ret, text, entry, upload), 200
        except DomainError as err:
            show_error(upload if what in ("photo", "file") else entry if what == "entry" else text, err)
            return _show(ret, text, entry, upload), 200
        return redirect(url_for("tasks.show", task_id=task_id))
    return _show(ret, text, entry, upload)


def _show(ret, text, entry, upload):
    editable = ret.state in tasks.OPEN
    return render_template("district/return.html", ret=ret, t=ret.task, text=text, entry=entry, upload=upload,
                           form=EmptyForm(), missing=tasks.missing(ret), editable=editable, today=local_today(),
                           figures=tasks.figures_shown(ret, request.form if request.method == "POST" else None),
                           **LABELS)


@school_bp.route("/<int:task_id>/files/<int:file_id>/delete", methods=["POST"])
@requires("tasks.return")
def delete_file(task_id, file_id):
    ret = _own_return(task_id)
    row = authorize("tasks.return", db.session.get(TaskFile, file_id))
    if EmptyForm().validate_on_submit():
        try:
            tasks.remove_file(acting_user(), ret, row)
        except DomainError as err:
            flash(err.message, "error")
    return redirect(url_for("tasks.show", task_id=task_id))


@school_bp.route("/<int:task_id>/entries/<int:entry_id>/delete", methods=["POST"])
@requires("tasks.return")
def delete_entry(task_id, entry_id):
    ret = _own_return(task_id)
    row = authorize("tasks.return", db.session.get(TaskEntry, entry_id))
    if EmptyForm().validate_on_submit():
        try:
            tasks.remove_entry(acting_user(), ret, row)
        except DomainError as err:
            flash(err.message, "error")
    return redirect(url_for("tasks.show", task_id=task_id))
