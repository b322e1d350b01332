from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.back import page_before
from ..core.clock import local_today
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import is_htmx, render
from ..core.listing import clean_query, page_arg, paginate, to_id
from ..core.submit_once import submit_once
from ..core.submit_token import issue_token, renew_bad_token
from ..core.users import acting_user
from ..extensions import db
from ..help_requests.models import HelpRequest
from ..menus.slots import SLOT_CHOICES
from ..menus.words import URGENCY
from ..pairs.services import pairs_of_need
from ..people import services as people
from ..people.models import GRADE_NAMES, Student
from ..permissions import authorize, can, requires
from . import bp, services
from .forms import NeedForm, StatusForm
from .models import NEED_STATUS, Need


def _classes():
    me = acting_user()
    return me.classes if me.role == "teacher" else people.classes_of(me.school_id)


def _places(classes):
    """Grade and class choices in one list: whole grades first for staff, then each class."""
    out = []
    if can(current_user, "needs.manage"):
        out += [(f"g{g}", _("All of %(grade)s", grade=GRADE_NAMES[g])) for g in sorted({c.grade for c in classes})]
    return out + [(f"c{c.id}", c.label) for c in classes]


def list_context():
    classes = _classes()
    school_id = current_user.school_id
    return {"categories": [(c.id, c.name) for c in people.categories_of(school_id, active_only=False)],
            "places": _places(classes), "statuses": NEED_STATUS, "urgencies": URGENCY, "slots": SLOT_CHOICES,
            "terms": [(t.id, t.name) for t in people.terms_of(school_id)], "sorts": _sort_labels()}


def _sort_labels():
    return {"new": _("Newest first"), "urgency": _("Most urgent first"), "waiting": _("Waiting longest first"),
            "class": _("By class")}


@bp.route("/")
@requires("needs.view")
def index():
    f = services.NeedFilters.from_args(request.args, clean_query)
    if "status" not in request.args:
        f.status = "active"
    if f.has_tags:
        if can(current_user, "students.sensitive"):
            services.note_tag_filter(acting_user(), f)
        else:
            f.has_tags = False
    pagination = paginate(services.need_cards(acting_user(), f), page_arg(request.args),
                          current_app.config["PAGE_SIZE"])
    return render("needs/index.html", "needs/_results.html", pagination=pagination, f=f,
                  page_only=list_context)


def _student_choices(place: str):
    class_id = to_id(place[1:]) if place.startswith("c") else None
    if class_id is None:
        return []
    # student_list keeps a class teacher to their own classes.
    students = db.session.scalars(people.student_list(acting_user(), class_id=class_id)).all()
    return [(s.id, f"{s.name}（{s.student_no}）") for s in students]


@bp.route("/students")
@requires("needs.raise")
def student_options():
    """The student list of one class, for the form's second select (htmx)."""
    if not is_htmx():  # a bookmarked or reloaded fragment: the form it belongs to
        return redirect(url_for("needs.new"))
    place = request.args.get(request.args.get("field", "place"), "")
    return render_template("needs/_student_options.html", choices=_student_choices(place), selected=None)


def _prepare(form: NeedForm, need: Need | None):
    me = acting_user()
    classes = _classes()
    form.place.choices = options([("", _("Choose a class"))] + [(f"c{c.id}", c.label) for c in classes])
    if not form.place.data and len(classes) == 1:
        form.place.data = f"c{classes[0].id}"
    form.student_id.choices = options([(0, _("Choose a student"))] + _student_choices(form.place.data or ""))
    form.category_id.choices = options([(0, _("Choose a category"))] + [
        (c.id, c.name) for c in people.categories_of(me.school_id)])
    if can(me, "needs.manage"):
        form.young_teacher_id.choices = options([(0, _("Choose a young teacher"))] + [
            (t.id, f"{t.name}（{t.subject}）" if t.subject else t.name) for t in people.active_young_teachers(me.school_id)])
    else:
        del form.beneficiary
        del form.young_teacher_id
    terms = people.terms_of(me.school_id)
    form.term_id.choices = options([(t.id, t.name) for t in terms])
    if need is not None and need.category and not need.category.active:
        form.category_id.choices += options([(need.category.id, need.category.name)])


def _fill(form: NeedForm, need: Need):
    if need.student:
        form.place.data = f"c{need.student.class_id}"
    if form.beneficiary is not None:  # deleted from a teacher's form
        form.beneficiary.data = "young_teacher" if need.young_teacher_id else "student"
    form.slots.set_mask(need.slots)
    form.modes.set_mask(need.modes)


def _help_request(help_id):
    if not help_id or not can(current_user, "help.manage"):
        return None
    return authorize("help.manage", db.session.get(HelpRequest, help_id))


@bp.route("/new", methods=["GET", "POST"])
@requires("needs.raise")
@submit_once(message=_l("This need was already saved; it was not saved twice."))
def new():
    me = acting_user()
    term = people.current_term(me.school_id, local_today())
    help_req = _help_request(to_id(request.values.get("help_id")))
    form = NeedForm()
    if request.method == "GET":
        issue_token(form)
        form.term_id.data = term.id
        student = db.session.get(Student, to_id(request.args.get("student_id")) or 0)
        if help_req is not None:
            student = help_req.student
            form.category_id.data, form.detail.data, form.urgency.data = (
                help_req.category_id, help_req.detail, help_req.urgency)
        if student is not None and can(me, "students.view", student):
            form.place.data, form.student_id.data = f"c{student.class_id}", student.id
    _prepare(form, None)
    if form.validate_on_submit():
        try:
            need, created = services.save_need(me, None, form.values(), db.session.get(type(term), form.term_id.data),
                                               form.submit_token.data, help_request=help_req)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Need saved. It is now on the needs menu.") if created
                  else _("This need was already saved; it was not saved twice."), "success")
            return redirect(url_for("needs.show", need_id=need.id))
    else:
        renew_bad_token(form)
    return render_template("needs/form.html", form=form, need=None, help_req=help_req, title=_("Raise a need"))


@bp.route("/<int:need_id>")
@requires("needs.view")
def show(need_id):
    need = authorize("needs.view", db.session.get(Need, need_id, options=services.page_options()))
    student = need.student
    sensitive = student is not None and can(current_user, "students.sensitive", student) and bool(student.support_tags)
    page = render_template("needs/show.html", need=need, sensitive=sensitive,
                           pairs=pairs_of_need(need, with_members=True))
    if sensitive:
        # Recorded once the page is built (a failure still shows nothing): the commit expires what it read.
        people.view_sensitive(acting_user(), student)
    return page


@bp.context_processor
def _card_helpers():
    return {"status_choices": _status_choices}


def _status_choices(need):
    return [(s, NEED_STATUS[s]) for s in services.TRANSITIONS.get(need.status, ())]


def _status_form(need):
    # The card writes the same fields as plain markup: a form object for each of a page's 25 cards cost more
    # than the rest of the card.
    form = StatusForm(prefix=f"s{need.id}")
    form.status.choices = options(_status_choices(need))
    return form


def _card(need, **extra):
    """One need's card; after a change, with the navigation count refreshed out of band."""
    return render_template("needs/_card_response.html", need=need, open_count=services.open_count(current_user),
                           **extra)


@bp.route("/<int:need_id>/card")
@requires("needs.view")
def card(need_id):
    need = authorize("needs.view", db.session.get(Need, need_id))
    if not is_htmx():
        return redirect(url_for("needs.show", need_id=need.id))
    return render_template("needs/_card.html", need=need)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@requires("needs.raise")
def edit(need_id):
    need = authorize("needs.raise", db.session.get(Need, need_id))
    if need.status in ("done", "closed"):
        flash(_("A completed or closed need cannot be edited. Reopen it first."), "error")
        return redirect(url_for("needs.show", need_id=need.id))
    # Inline forms get a prefix, so two open on one page do not share element ids.
    form = NeedForm(obj=need, prefix=f"e{need.id}" if is_htmx() else "")
    del form.submit_token  # guards creation only; imported needs have none
    if request.method == "GET":
        _fill(form, need)
    _prepare(form, need)
    if form.validate_on_submit():
        try:
            need, _created = services.save_need(acting_user(), need, form.values(),
                                                db.session.get(type(need.term), form.term_id.data))
        except DomainError as err:
            show_error(form, err)
        else:
            if is_htmx():
                return _card(need, saved=True)
            flash(_("Need saved."), "success")
            return redirect(url_for("needs.show", need_id=need.id))
    if is_htmx():
        return render_template("needs/_edit.html", form=form, need=need)
    return render_template("needs/form.html", form=form, need=need, help_req=None, title=_("Edit need"))


@bp.route("/<int:need_id>/status", methods=["POST"])
@requires("needs.raise")
def status(need_id):
    need = authorize("needs.raise", db.session.get(Need, need_id))
    form = _status_form(need)
    error = None
    if form.validate_on_submit():
        try:
            services.set_status(acting_user(), need, form.status.data, form.reason.data)
        except DomainError as err:
            error = err.message
    else:
        error = next(iter(e for errs in form.errors.values() for e in errs), _("Please try again."))
    if is_htmx():
        if error:  # keep what was typed, beside the message
            return _card(need, status_error=error, status_value=form.status.data, reason_value=form.reason.data)
        return _card(need, saved=True)
    flash(error or _("Status changed to “%(status)s”.", status=need.status_label), "error" if error else "success")
    return redirect(page_before(url_for("needs.show", need_id=need.id)))


@bp.route("/board")
@requires("menus.board")
def board():
    rows = services.board(current_user.school_id)
    return render_template("needs/board.html", rows=rows, max_count=max(
        [max(r["needs"], r["free"]) for r in rows] + [1]))

