"""Children's data: how long it is kept (/people/retention: the admin's policy, what the next run removes, run now),
and the erasures guardians ask for (/people/erasure), which the office confirms."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.errors import DomainError
from ..core.users import acting_user
from ..extensions import db
from ..permissions import authorize, requires
from . import bp, family_data, retention
from .forms import EmptyForm, RetentionForm
from .models import ErasureRequest


@bp.route("/retention", methods=["GET", "POST"])
@requires("retention.manage")
def retention_page():
    me = acting_user()
    form = RetentionForm(obj=retention.policy_of(me.school_id))
    if form.validate_on_submit():
        retention.save_policy(me, {kind: getattr(form, kind).data for kind in retention.KINDS})
        flash(_("Saved. The next run removes what these periods say, as listed below."), "success")
        return redirect(url_for("people.retention_page"))
    return render_template("people/retention.html", form=form, due=retention.due(me.school_id), run_form=EmptyForm())


@bp.route("/retention/run", methods=["POST"])
@requires("retention.manage")
def retention_run():
    if EmptyForm().validate_on_submit():
        done = retention.run(acting_user(), acting_user().school_id)
        flash(_("Removed: %(support)d children’s support tags and notes, %(visits)d visit notes, %(help)d help "
                "requests, %(identities)d names, %(photos)d photos.", support=len(done.support),
                visits=len(done.visits), help=len(done.help_requests), identities=len(done.identities),
                photos=len(done.photos)), "success")
    return redirect(url_for("people.retention_page"))


@bp.route("/erasure")
@requires("people.manage")
def erasure_requests():
    return render_template("people/erasure.html", requests=family_data.pending_requests(acting_user().school_id),
                           form=EmptyForm())


@bp.route("/erasure/<int:request_id>", methods=["POST"])
@requires("people.manage")
def confirm_erasure(request_id):
    request = authorize("people.manage", db.session.get(ErasureRequest, request_id))
    if EmptyForm().validate_on_submit():
        try:
            family_data.confirm_erasure(acting_user(), request)
        except DomainError as err:
            flash(err.message, "error")
        else:
            flash(_("The sensitive data of %(name)s is erased.", name=request.student.name), "success")
    return redirect(url_for("people.erasure_requests"))
