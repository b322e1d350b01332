from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.models import ROLE_LABELS, User
from ..core.back import page_before
from ..core.errors import DomainError
from ..core.forms import options, show_error
from ..core.htmx import render
from ..core.listing import clean_query, int_arg, paginate
from ..core.qr import qr_svg
from ..core.submit_once import submit_once
from ..core.users import acting_user
from ..extensions import db
from ..parent_school.services import attendance_of
from ..permissions import assignable_roles, authorize, can, requires
from . import (
    accounts,
    bp,
    import_views,  # noqa: F401 (its routes, the roster import, are on this blueprint too)
    leaving,
    merge_views,  # noqa: F401 (merging duplicate records, on this blueprint too)
    retention_views,  # noqa: F401 (how long children's data is kept, on this blueprint too)
    rollover_views,  # noqa: F401 (the school year's rollover and transfers, on this blueprint too)
    services,
)
from .forms import (
    ClassForm,
    ConsentForm,
    EmptyForm,
    FamilyForm,
    GuardianForm,
    LinkChildForm,
    SchoolGradesForm,
    StudentForm,
    TagsForm,
    UserForm,
    VolunteerForm,
    YoungTeacherForm,
)
from .models import (
    GRADE_NAMES,
    STUDENT_STATUSES,
    VOLUNTEER_KINDS,
    Family,
    Guardian,
    School,
    SchoolClass,
    Student,
    Volunteer,
    YoungTeacher,
)


def _page():
    return request.args.get("page", 1, type=int)


def _list(title, rows_template, stmt, **extra):
    """Full page on a normal request, only the result rows for htmx: one template source."""
    pagination = paginate(stmt, _page(), current_app.config["PAGE_SIZE"])
    return render("people/list.html", rows_template, title=title, rows_template=rows_template,
                  pagination=pagination, q=extra.pop("q", ""), **extra)


@bp.route("/")
@requires("people.manage")
def index():
    return render_template("people/index.html", classes=services.classes_of(current_user.school_id, with_teachers=True),
                           sizes=services.class_sizes(current_user.school_id), grade_names=GRADE_NAMES,
                           school=db.session.get(School, current_user.school_id))


# ---- classes -----------------------------------------------------------------------------

@bp.route("/classes/new", methods=["GET", "POST"], defaults={"class_id": None})
@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@requires("people.manage")
@submit_once("class_id")
def class_form(class_id):
    klass = authorize("people.manage", db.session.get(SchoolClass, class_id)) if class_id else None
    form = ClassForm(obj=klass)
    if form.validate_on_submit():
        try:
            services.save_class(acting_user(), klass, form.grade.data, form.name.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Class saved."), "success")
            return redirect(url_for("people.index"))
    return render_template("people/form.html", form=form, title=_("Edit class") if klass else _("New class"),
                           back=url_for("people.index"))


@bp.route("/grades", methods=["GET", "POST"])
@requires("people.manage")
def school_grades():
    school = db.session.get(School, current_user.school_id)
    form = SchoolGradesForm(obj=school)
    if form.validate_on_submit():
        try:
            services.set_grades(acting_user(), school, form.first_grade.data, form.last_grade.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("The school’s grades are saved."), "success")
            return redirect(url_for("people.index"))
    return render_template("people/form.html", form=form, title=_("Grades the school teaches"),
                           back=url_for("people.index"))


@bp.route("/classes/<int:class_id>/accounts", methods=["GET", "POST"])
@requires("users.manage")
def class_accounts(class_id):
    """The class's guardians and their logins; opening the missing ones shows their login slips, once."""
    klass = authorize("users.manage", db.session.get(SchoolClass, class_id))
    here = url_for("people.class_accounts", class_id=klass.id)
    return _accounts_page(accounts.class_guardians(klass), f"class={klass.id}", _("Parent logins"), klass.label,
                          here, url_for("people.students", class_id=klass.id), parents=True)


@bp.route("/volunteers/accounts", methods=["GET", "POST"])
@requires("users.manage")
def volunteer_accounts():
    """Every volunteer's login, opened for all who have none in one step, with their slips."""
    return _accounts_page(accounts.school_volunteers(current_user.school_id), "volunteers", _("Volunteer logins"),
                          "", url_for("people.volunteer_accounts"), url_for("people.volunteers"))


def _accounts_page(lines, note: str, heading: str, label: str, here: str, back: str, parents: bool = False):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            slips = accounts.open_logins(acting_user(), lines, note)
        except DomainError as err:
            flash(err.message, "error")
        else:
            if slips:
                return _slips_page(slips, label or heading, here)
            flash(_("Everyone who can have a login already has one."), "info")
        return redirect(here)
    return render_template("people/accounts.html", lines=lines, form=form, heading=heading, label=label, back=back,
                           parents=parents, to_open=sum(1 for line in lines if line.can_open))


@bp.route("/users/<int:user_id>/password-reset", methods=["POST"])
@requires("users.manage")
def password_reset(user_id):
    """A parent's or volunteer's forgotten password: a new one-time password on a new slip, the old one void."""
    user = authorize("users.manage", db.session.get(User, user_id))
    back = page_before(url_for("people.users"))
    if not EmptyForm().validate_on_submit():
        return redirect(back)
    try:
        slip = accounts.reset_password(acting_user(), user)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(back)
    return _slips_page([slip], user.display_name, back, reset=True)


def _slips_page(slips, title: str, back: str, reset: bool = False):
    return render_template("people/login_slips.html", slips=slips, title=title, back=back, reset=reset,
                           portal_url=_portal_url(), qr=qr_svg(_portal_url()))


def _portal_url() -> str:
    """The address on a slip: the configured one (behind a proxy the request may not know it), else this one."""
    return current_app.config.get("PORTAL_URL") or request.url_root


# ---- students ----------------------------------------------------------------------------

@bp.route("/students")
@requires("students.view")
def students():
    q = clean_query(request.args.get("q"))
    class_id = int_arg(request.args, "class_id")
    show = request.args.get("show", "active")
    me = acting_user()
    classes = me.classes if me.role == "teacher" else services.classes_of(me.school_id)
    return _list(_("Students"), "people/_student_rows.html", services.student_list(me, q, class_id, show),
                 q=q, class_id=class_id, show=show, classes=classes,
                 new_url=url_for("people.student_form") if can(me, "people.manage") else None,
                 new_label=_("New student"))


def _class_choices():
    return [(c.id, c.label) for c in services.classes_of(current_user.school_id)]


@bp.route("/students/new", methods=["GET", "POST"], defaults={"student_id": None})
@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
@requires("people.manage")
@submit_once("student_id")
def student_form(student_id):
    student = authorize("people.manage", db.session.get(Student, student_id)) if student_id else None
    form = StudentForm(obj=student)
    form.class_id.choices = options(_class_choices())
    if form.validate_on_submit():
        try:
            student = services.save_student(acting_user(), student, form.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Student saved."), "success")
            return redirect(url_for("people.student", student_id=student.id))
    back = url_for("people.student", student_id=student.id) if student else url_for("people.students")
    return render_template("people/form.html", form=form, title=_("Edit student") if student else _("New student"),
                           back=back)


@bp.route("/students/<int:student_id>")
@requires("students.view")
def student(student_id):
    student = authorize("students.view", db.session.get(Student, student_id, options=services.student_page_options()))
    sensitive = can(current_user, "students.sensitive", student)
    tags_form = TagsForm(tags=[t.id for t in student.support_tags])
    tags_form.tags.choices = options([(t.id, t.name) for t in services.support_tags_of(student.school_id)])
    attended = attendance_of(student.family_id) if student.family_id else []
    page = render_template("people/student.html", student=student, sensitive=sensitive, attended=attended,
                           consent_form=ConsentForm(), tags_form=tags_form, action_form=EmptyForm(),
                           statuses=STUDENT_STATUSES)
    if sensitive:
        # Recorded once the page is built (a failure still shows nothing): the commit expires what it read.
        services.view_sensitive(acting_user(), student)
    return page


@bp.route("/students/<int:student_id>/consent", methods=["POST"])
@requires("students.sensitive")
def student_consent(student_id):
    student = authorize("students.sensitive", db.session.get(Student, student_id))
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            services.record_consent(acting_user(), student, {k: form.data[k] for k in ("guardian_name", "method", "given_on")})
            flash(_("Consent recorded."), "success")
        except DomainError as err:
            flash(err.message, "error")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("people.student", student_id=student.id))


@bp.route("/students/<int:student_id>/consent/withdraw", methods=["POST"])
@requires("students.sensitive")
def student_consent_withdraw(student_id):
    student = authorize("students.sensitive", db.session.get(Student, student_id))
    if EmptyForm().validate_on_submit():
        try:
            services.withdraw_consent(acting_user(), student)
            flash(_("Consent withdrawn. The support tags and family notes were deleted."), "success")
        except DomainError as err:
            flash(err.message, "error")
    return redirect(url_for("people.student", student_id=student.id))


@bp.route("/students/<int:student_id>/tags", methods=["POST"])
@requires("students.sensitive")
def student_tags(student_id):
    student = authorize("students.sensitive", db.session.get(Student, student_id))
    form = TagsForm()
    form.tags.choices = options([(t.id, t.name) for t in services.support_tags_of(student.school_id)])
    if form.validate_on_submit():
        try:
            services.set_support_tags(acting_user(), student, form.tags.data)
            flash(_("Support tags saved."), "success")
        except DomainError as err:
            flash(err.message, "error")
    else:
        flash(_("Please choose from the listed tags."), "error")
    return redirect(url_for("people.student", student_id=student.id))


_ACTIVATABLE = {"student": Student, "family": Family, "volunteer": Volunteer, "user": User,
                "young_teacher": YoungTeacher}
_LIST_OF = {"student": "people.students", "family": "people.families", "volunteer": "people.volunteers",
            "young_teacher": "people.young_teachers",
            "user": "people.users"}


@bp.route("/<kind>/<int:obj_id>/active", methods=["POST"])
@requires("people.manage")
def set_active(kind, obj_id):
    model = _ACTIVATABLE.get(kind)
    if model is None:
        abort(404)
    obj = authorize("people.manage", db.session.get(model, obj_id))
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            if active:
                services.set_active(acting_user(), obj, True)
                flash(_("Reactivated."), "success")
            else:
                ended = leaving.deactivate(acting_user(), obj)
                flash(_("Deactivated. The record and its history are kept.")
                      + (_(" Also: %(what)s.", what="；".join(ended)) if ended else ""), "success")
        except DomainError as err:
            flash(err.message, "error")
    return redirect(page_before(url_for(_LIST_OF[kind])))


# ---- families ----------------------------------------------------------------------------

@bp.route("/families")
@requires("people.manage")
def families():
    q = clean_query(request.args.get("q"))
    return _list(_("Families"), "people/_family_rows.html", services.family_list(current_user.school_id, q), q=q,
                 new_url=url_for("people.family_form"), new_label=_("New family"))


@bp.route("/families/new", methods=["GET", "POST"], defaults={"family_id": None})
@bp.route("/families/<int:family_id>/edit", methods=["GET", "POST"])
@requires("people.manage")
@submit_once("family_id")
def family_form(family_id):
    family = authorize("people.manage", db.session.get(Family, family_id)) if family_id else None
    form = FamilyForm(obj=family)
    if form.validate_on_submit():
        try:
            family = services.save_family(acting_user(), family, form.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Family saved."), "success")
            return redirect(url_for("people.family", family_id=family.id))
    back = url_for("people.family", family_id=family.id) if family else url_for("people.families")
    return render_template("people/form.html", form=form, title=_("Edit family") if family else _("New family"),
                           back=back)


@bp.route("/families/<int:family_id>", methods=["GET", "POST"])
@requires("people.manage")
@submit_once()
def family(family_id):
    family = authorize("people.manage", db.session.get(Family, family_id))
    guardian_form = GuardianForm(prefix="g")
    child_form = LinkChildForm(prefix="c")
    if request.method == "POST":
        try:
            if "g-name" in request.form and guardian_form.validate_on_submit():
                services.add_guardian(acting_user(), family, {k: guardian_form.data[k] for k in ("name", "relation", "mobile")})
                flash(_("Guardian added."), "success")
                return redirect(url_for("people.family", family_id=family.id))
            if "c-student_no" in request.form and child_form.validate_on_submit():
                services.link_child(acting_user(), family, child_form.student_no.data)
                flash(_("Child linked to this family."), "success")
                return redirect(url_for("people.family", family_id=family.id))
        except DomainError as err:
            show_error(child_form if "c-student_no" in request.form else guardian_form, err)
    return render_template("people/family.html", family=family, guardian_form=guardian_form,
                           child_form=child_form, action_form=EmptyForm())


@bp.route("/guardians/<int:guardian_id>/account", methods=["POST"])
@requires("users.manage")
def guardian_account(guardian_id):
    guardian = authorize("users.manage", db.session.get(Guardian, guardian_id))
    return _open_account(guardian, url_for("people.family", family_id=guardian.family_id))


@bp.route("/volunteers/<int:volunteer_id>/account", methods=["POST"])
@requires("users.manage")
def volunteer_account(volunteer_id):
    volunteer = authorize("users.manage", db.session.get(Volunteer, volunteer_id))
    return _open_account(volunteer, url_for("people.volunteers"))


def _open_account(person, back):
    if not EmptyForm().validate_on_submit():
        return redirect(back)
    try:
        user, password = accounts.open_account(acting_user(), person)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(back)
    return render_template("people/account_opened.html", user=user, password=password, back=back)


# ---- volunteers --------------------------------------------------------------------------

@bp.route("/volunteers")
@requires("people.manage")
def volunteers():
    q = clean_query(request.args.get("q"))
    kind = request.args.get("kind", "")
    kind = kind if kind in VOLUNTEER_KINDS else ""
    return _list(_("Volunteers"), "people/_volunteer_rows.html",
                 services.volunteer_list(current_user.school_id, q, kind), q=q, kind=kind, kinds=VOLUNTEER_KINDS,
                 action_form=EmptyForm(), new_url=url_for("people.volunteer_form"), new_label=_("New volunteer"),
                 accounts_url=url_for("people.volunteer_accounts"))


@bp.route("/volunteers/new", methods=["GET", "POST"], defaults={"volunteer_id": None})
@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@requires("people.manage")
@submit_once("volunteer_id")
def volunteer_form(volunteer_id):
    volunteer = authorize("people.manage", db.session.get(Volunteer, volunteer_id)) if volunteer_id else None
    form = VolunteerForm(obj=volunteer)
    if form.validate_on_submit():
        try:
            services.save_volunteer(acting_user(), volunteer, form.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Volunteer saved."), "success")
            return redirect(url_for("people.volunteers"))
    return render_template("people/form.html", form=form,
                           title=_("Edit volunteer") if volunteer else _("New volunteer"), back=url_for("people.volunteers"))


# ---- user accounts -----------------------------------------------------------------------

@bp.route("/users")
@requires("users.manage")
def users():
    q = clean_query(request.args.get("q"))
    role = request.args.get("role", "")
    role = role if role in ROLE_LABELS else ""
    return _list(_("User accounts"), "people/_user_rows.html", services.user_list(current_user.school_id, q, role),
                 q=q, role=role, role_labels=ROLE_LABELS, action_form=EmptyForm(),
                 new_url=url_for("people.user_form"), new_label=_("New account"))


@bp.route("/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("users.manage")
@submit_once("user_id")
def user_form(user_id):
    user = authorize("users.manage", db.session.get(User, user_id)) if user_id else None
    form = UserForm(obj=user, classes=[c.id for c in user.classes] if user else [])
    roles = assignable_roles(acting_user())
    if user and user.role in ("volunteer", "parent"):
        roles = (user.role,)  # linked to a person; open a new account from that person instead
    else:
        roles = tuple(r for r in roles if r not in ("volunteer", "parent"))
    form.role.choices = options([(r, ROLE_LABELS[r]) for r in roles])
    classes = services.classes_of(current_user.school_id)
    form.classes.choices = options([(c.id, c.label) for c in classes])
    if form.validate_on_submit():
        if user is None and not form.password.data:
            form.password.errors.append(_("A new account needs a password."))
        else:
            chosen = [c for c in classes if c.id in set(form.classes.data)]
            try:
                services.save_user(acting_user(), user, form.data, chosen)
            except DomainError as err:
                show_error(form, err)
            else:
                flash(_("Account saved."), "success")
                return redirect(url_for("people.users"))
    return render_template("people/form.html", form=form, title=_("Edit account") if user else _("New account"),
                           back=url_for("people.users"))


# ---- young teachers (青蓝工程) ---------------------------------------------------------------

@bp.route("/young-teachers")
@requires("people.manage")
def young_teachers():
    q = clean_query(request.args.get("q"))
    return _list(_("Young teachers"), "people/_young_teacher_rows.html",
                 services.young_teacher_list(current_user.school_id, q), q=q, action_form=EmptyForm(),
                 new_url=url_for("people.young_teacher_form"), new_label=_("New young teacher"))


@bp.route("/young-teachers/new", methods=["GET", "POST"], defaults={"teacher_id": None})
@bp.route("/young-teachers/<int:teacher_id>/edit", methods=["GET", "POST"])
@requires("people.manage")
@submit_once("teacher_id")
def young_teacher_form(teacher_id):
    teacher = authorize("people.manage", db.session.get(YoungTeacher, teacher_id)) if teacher_id else None
    form = YoungTeacherForm(obj=teacher)
    if form.validate_on_submit():
        try:
            services.save_young_teacher(acting_user(), teacher, form.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(_("Young teacher saved."), "success")
            return redirect(url_for("people.young_teachers"))
    return render_template("people/form.html", form=form, back=url_for("people.young_teachers"),
                           title=_("Edit young teacher") if teacher else _("New young teacher"))
