"""How long children's data is kept (/people/retention): the admin's policy, what the next run removes, run now."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..core.users import acting_user
from ..permissions import requires
from . import bp, retention
from .forms import EmptyForm, RetentionForm


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
