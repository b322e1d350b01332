"""The family's register button, as the parent-school and event views both handle it."""
from flask import flash
from flask_babel import gettext as _

from ..core.errors import DomainError
from . import services as seats


def register_from_form(holder, form, family, by, registered: str, waiting: str) -> bool:
    """Register the family for the child chosen on `form` and flash the outcome in the domain's words:
    `registered` for a seat, `waiting` for a place on the waiting list (the page it leads to shows which: counting
    here too was a statement more for most families of a storm). False when nothing could be done."""
    if not form.validate_on_submit():
        flash(_("The form is out of date. Please try again."), "error")
        return False
    try:
        student = seats.child_to_register(family, form.student_id.data, [c.value for c in form.student_id.choices])
        reg, created = seats.register(holder, student, by)
    except DomainError as err:
        flash(err.message, "error")
        return False
    if not created:
        flash(_("Your family was already registered; nothing changed."), "success")
    elif reg.status == "confirmed":
        flash(registered, "success")
    else:
        flash(waiting, "success")
    return True
