"""Tasks down, returns up (任务下发): a unit asks the schools under it for something by a deadline; each school's
office reads it, drafts its return and submits it; the unit sends a return back with a reason or approves it,
reminds the late schools, judges competition entries and publishes the results. Each step is one transaction with
its audit row and the notices it causes; a file is kept only when its row is (files.kept)."""
from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.models import STAFF, User
from ..core.clock import local_now, local_today
from ..core.display import cn_day
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..extensions import db
from ..notices import services as notices
from ..people.models import School
from . import files, report_forms
from .models import AWARDS, RETURN_PARTS, SHOWN_TO_UNIT, TASK_KINDS, Task, TaskEntry, TaskFile, TaskReturn, units_below

MAX_FILES = 30  # per return, photos and files together; a task's attachments likewise
MAX_ENTRIES = 50  # per return: a competition asks each school for a few
OPEN = ("unread", "read", "draft", "returned")  # the school may still change its return
DONE = ("submitted", "approved")


def _offices(school_ids) -> list[User]:
    """Who answers for a school: its committee office (admin and coordinators)."""
    return list(db.session.scalars(select(User).where(User.school_id.in_(school_ids), User.role.in_(STAFF),
                                                      User.active.is_(True))))


def _tell(school_ids, kind: str, task: Task, text, due=None) -> None:
    notices.notify(_offices(school_ids), kind, f"task:{task.id}", text, notices.link("tasks.show", task_id=task.id),
                   due=due or local_now())


def late(ret: TaskReturn, today: date) -> bool:
    return ret.state not in DONE and ret.task.due_on < today


# The unit ---------------------------------------------------------------------------------------------

def create(actor, data: dict, attachments: list[tuple[str, bytes]]) -> Task:
    """The task, a return for every school under the actor's unit, the attachments, and a notice to each school's
    office, together."""
    if data["kind"] not in TASK_KINDS:
        raise DomainError(_("Choose what kind of task it is."), "kind")
    parts = [p for p in data["parts"] if p in RETURN_PARTS]
    if not parts:
        raise DomainError(_("Choose at least one thing each school returns."), "parts")
    if data["due_on"] < local_today():
        raise DomainError(_("The deadline has passed already."), "due_on")
    if len(attachments) > MAX_FILES:
        raise DomainError(_("A task keeps at most %(n)d files.", n=MAX_FILES), "attachments")
    schools = list(db.session.scalars(select(School.id).where(School.unit_id.in_(units_below(actor.unit_id)))))
    if not schools:
        raise DomainError(_("No school is under this unit yet."))
    form = report_forms.parse(data.get("form_columns"), data.get("form_rows")) if "figures" in parts else None
    task = Task(unit_id=actor.unit_id, kind=data["kind"], title=data["title"], body=data["body"],
                due_on=data["due_on"], parts=",".join(parts), form=form, created_by_id=actor.id)
    with ExitStack() as kept:
        checked = [kept.enter_context(files.kept(name, blob, files.DOCUMENTS)) for name, blob in attachments]
        with saving():
            db.session.add(task)
            db.session.flush()
            db.session.add_all([TaskFile(task_id=task.id, kind="attachment", uploaded_by_id=actor.id, **vars(c))
                                for c in checked])
            db.session.add_all([TaskReturn(task_id=task.id, school_id=sid) for sid in schools])
            record(actor, "task.create", task, f"{task.title} schools={len(schools)}")
            _tell(schools, "task.new", task,
                  lambda: _("%(unit)s asks by %(day)s: %(title)s", unit=actor.unit.name, day=cn_day(task.due_on),
                            title=task.title))
    return task


def send_back(actor, ret: TaskReturn, reason: str) -> None:
    """A submitted return goes back to the school with what to change; it may change it and submit again."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the school should change."), "reason")
    if ret.state != "submitted":
        raise DomainError(_("Only a submitted return can be sent back."))
    with saving():
        ret.state, ret.returned_reason = "returned", reason[:500]
        record(actor, "task.sent_back", ret.task, f"{ret.school.name}: {reason[:200]}")
        _tell([ret.school_id], "task.returned", ret.task,
              lambda: _("Sent back to change: %(title)s (%(reason)s)", title=ret.task.title, reason=reason[:100]))


def approve(actor, ret: TaskReturn) -> None:
    if ret.state != "submitted":
        raise DomainError(_("Only a submitted return can be approved."))
    with saving():
        ret.state = "approved"
        record(actor, "task.approved", ret.task, ret.school.name)


def remind_late(actor, task: Task) -> int:
    """A notice to each school that has not submitted, at most once a day; how many were reminded."""
    today = local_today()
    due = [r for r in returns_of(task) if r.state not in DONE and r.reminded_on != today]
    if not due:
        return 0
    with saving():
        for r in due:
            r.reminded_on = today
        record(actor, "task.reminded", task, f"schools={len(due)}")
        # Due at the day's start: two reminders sent at once on the same day are one notice.
        _tell([r.school_id for r in due], "task.reminder", task,
              lambda: _("Please submit by %(day)s: %(title)s", day=cn_day(task.due_on), title=task.title),
              due=datetime.combine(today, time.min))
    return len(due)


def judge(actor, task: Task, awards: dict[int, str | None], teachers: set[int], organisers: set[int]) -> None:
    """Levels for the entries, 优秀指导教师 for the entries' teachers, 优秀组织奖 for the returns (by id); only entries
    and returns of this task the judges were shown (a return sent back keeps its levels until it comes again)."""
    rets = {r.id: r for r in submitted(task)}
    entries = db.session.scalars(select(TaskEntry).where(TaskEntry.return_id.in_(rets))).all()
    with saving():
        for e in entries:
            e.award = awards.get(e.id) if awards.get(e.id) in AWARDS else None
            e.teacher_award = e.id in teachers
        for r in rets.values():
            r.organising_award = r.id in organisers
        record(actor, "task.judged", task, f"entries={sum(1 for e in entries if e.award)}")


def publish_results(actor, task: Task) -> None:
    if task.kind != "competition":
        raise DomainError(_("Only a competition has results to publish."))
    with saving():
        task.results_published_at = utcnow()
        record(actor, "task.results", task, task.title)
        _tell([r.school_id for r in returns_of(task)], "task.results", task,
              lambda: _("The results are out: %(title)s", title=task.title))


def submitted(task: Task) -> list[TaskReturn]:
    """The returns the unit may read: submitted or approved."""
    return [r for r in returns_of(task) if r.state in SHOWN_TO_UNIT]


def returns_of(task: Task) -> list[TaskReturn]:
    return list(db.session.scalars(select(TaskReturn).where(TaskReturn.task_id == task.id)
                                   .join(School, School.id == TaskReturn.school_id).order_by(School.name)))


# The school ---------------------------------------------------------------------------------------------

def _open(ret: TaskReturn) -> None:
    if ret.state not in OPEN:
        raise DomainError(_("The return is submitted: it can be changed only if the unit sends it back."))


def mark_read(actor, ret: TaskReturn) -> None:
    if ret.state != "unread":
        return
    with saving():
        ret.state, ret.read_at = "read", utcnow()
        record(actor, "task.read", ret.task, "")


def save_draft(actor, ret: TaskReturn, summary: str | None, given=None) -> None:
    """What the school typed: the summary, and (`given`, the posted form) its figures, all checked before any is
    kept."""
    _open(ret)
    figures_given = report_forms.read(ret.task.form, given) if given is not None and ret.task.form else None
    with saving():
        if summary is not None:
            ret.summary = summary
        if figures_given is not None:
            ret.figures = figures_given
        _drafting(ret)
        record(actor, "task.draft", ret.task, "")


def add_file(actor, ret: TaskReturn, kind: str, filename: str, data: bytes) -> TaskFile:
    _open(ret)
    if sum(1 for f in ret.files if f.kind in ("photo", "file")) >= MAX_FILES:
        raise DomainError(_("A return keeps at most %(n)d files.", n=MAX_FILES), "file")
    with files.kept(filename, data, files.PHOTOS if kind == "photo" else files.ANY) as checked, saving():
        row = TaskFile(task_id=ret.task_id, return_id=ret.id, kind=kind, uploaded_by_id=actor.id, **vars(checked))
        db.session.add(row)
        _drafting(ret)
        record(actor, "task.file_added", ret.task, checked.stored_name)
    return row


def remove_file(actor, ret: TaskReturn, row: TaskFile) -> None:
    _open(ret)
    if row.return_id != ret.id or row.kind not in ("photo", "file"):
        raise DomainError(_("This file is not one of the return's."))
    name = row.stored_name
    with saving():
        db.session.delete(row)
        record(actor, "task.file_removed", ret.task, name)
    files.forget(name)


def add_entry(actor, ret: TaskReturn, data: dict, upload: tuple[str, bytes] | None) -> TaskEntry:
    _open(ret)
    if len(ret.entries) >= MAX_ENTRIES:
        raise DomainError(_("A return holds at most %(n)d entries.", n=MAX_ENTRIES))
    entry = TaskEntry(school_id=ret.school_id, return_id=ret.id, title=data["title"], author=data["author"],
                      class_name=data.get("class_name") or "", teacher=data.get("teacher") or "")
    with ExitStack() as kept:
        checked = kept.enter_context(files.kept(*upload, files.ANY)) if upload else None
        with saving():
            if checked is not None:
                row = TaskFile(task_id=ret.task_id, return_id=ret.id, kind="entry", uploaded_by_id=actor.id,
                               **vars(checked))
                db.session.add(row)
                db.session.flush()
                entry.file_id = row.id
            db.session.add(entry)
            _drafting(ret)
            record(actor, "task.entry_added", ret.task, entry.title)
    return entry


def remove_entry(actor, ret: TaskReturn, entry: TaskEntry) -> None:
    _open(ret)
    if entry.return_id != ret.id:
        raise DomainError(_("This entry is not one of the return's."))
    name = entry.file.stored_name if entry.file else None
    with saving():
        file_row = entry.file
        db.session.delete(entry)
        if file_row is not None:
            db.session.delete(file_row)
        record(actor, "task.entry_removed", ret.task, entry.title)
    if name:
        files.forget(name)


def figures_shown(ret: TaskReturn, posted=None) -> dict[str, str]:
    """The school's copy as its form shows it: what was just sent back with a message, else what is saved, else what
    the portal can fill in from the school's own data."""
    form = ret.task.form
    if not form:
        return {}
    if posted is not None and "r0c0" in posted:
        return {name: posted.get(name, "") for name in report_forms.cells(form)}
    if ret.figures is not None:
        return ret.figures
    return report_forms.prefilled(form, ret.school_id, local_now())


def _drafting(ret: TaskReturn) -> None:
    if ret.state in ("unread", "read"):
        ret.state = "draft"
    ret.read_at = ret.read_at or utcnow()


def missing(ret: TaskReturn) -> list[str]:
    """What the task asks for that the return does not hold yet."""
    parts = ret.task.part_keys
    kinds = {f.kind for f in ret.files}
    out = []
    if "summary" in parts and not ret.summary.strip():
        out.append(_("the written summary"))
    if "photos" in parts and "photo" not in kinds:
        out.append(_("at least one photo"))
    if "files" in parts and "file" not in kinds:
        out.append(_("at least one file"))
    if "entries" in parts and not ret.entries:
        out.append(_("at least one entry"))
    if "figures" in parts and ret.task.form and not report_forms.complete(ret.task.form, ret.figures):
        out.append(_("every figure of the form"))
    return out


def submit(actor, ret: TaskReturn) -> None:
    _open(ret)
    lacking = missing(ret)
    if lacking:
        raise DomainError(_("Not submitted: the return still needs %(what)s.", what="、".join(lacking)))
    with saving():
        ret.state, ret.submitted_at, ret.submitted_by_id = "submitted", utcnow(), actor.id
        ret.read_at = ret.read_at or utcnow()
        record(actor, "task.submitted", ret.task, "")


# Lists ------------------------------------------------------------------------------------------------------

def overview(actor) -> list[tuple[Task, dict[str, int]]]:
    """The unit's tasks, newest first, each with how many schools are in each state."""
    ts = list(db.session.scalars(select(Task).where(Task.unit_id.in_(units_below(actor.unit_id)))
                                 .order_by(Task.created_at.desc(), Task.id.desc())))
    counts: dict[int, dict[str, int]] = {t.id: {} for t in ts}
    if ts:
        for task_id, state, n in db.session.execute(
                select(TaskReturn.task_id, TaskReturn.state, func.count())
                .where(TaskReturn.task_id.in_(counts)).group_by(TaskReturn.task_id, TaskReturn.state)):
            counts[task_id][state] = n
    return [(t, counts[t.id]) for t in ts]


def inbox(actor) -> list[TaskReturn]:
    """The school's copies of the tasks sent to it: those still to do first, by deadline; then the rest, newest
    first."""
    rets = list(db.session.scalars(select(TaskReturn).where(TaskReturn.school_id == actor.school_id)
                                   .join(Task, Task.id == TaskReturn.task_id).order_by(Task.due_on.desc())))
    todo = sorted((r for r in rets if r.state not in DONE), key=lambda r: r.task.due_on)
    return todo + [r for r in rets if r.state in DONE]


def waiting_query(actor):
    """How many tasks the school has not submitted yet: the menu's figure beside 上级任务."""
    return select(func.count()).select_from(TaskReturn).where(TaskReturn.school_id == actor.school_id,
                                                               TaskReturn.state.in_(OPEN))
