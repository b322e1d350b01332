"""Deactivating a person (停用), and what it ends.

Their access ends at the next request by `permissions.may_sign_in`. What they take part in is ended here, each
with a reason and through its own domain's service, rather than left dangling: a volunteer's offers pause, their
running pairs end or go on without them and their places at events still to come are given up; a family's
registrations still to come are cancelled and the seats go to families waiting; a student's waiting needs close
and their running pairs end. The office is told what was ended. This module sits above the domains it calls, so
none of them imports it.
"""
from flask_babel import gettext as _

from ..core.clock import local_now
from ..events import signup
from ..pairs import services as pairs
from ..registrations import services as seats
from . import services
from .models import Family, Student, Volunteer


def deactivate(actor, obj) -> list[str]:
    """Deactivate `obj` and end what it takes part in; returns what was ended, one phrase each, for the office."""
    now = local_now()
    changed = services.set_active(actor, obj, False)
    done = []
    if isinstance(obj, Volunteer):
        done += [_("%(n)d offers paused", n=changed)] if changed else []
        if n := pairs.volunteer_leaves(actor, obj.id, now.date()):
            done.append(_("left %(n)d running pairs (a pair they held alone ended, its needs back on the menu)", n=n))
        if n := signup.withdraw_volunteer(actor, obj.id, now):
            done.append(_("taken off %(n)d events still to come", n=n))
    elif isinstance(obj, Student):
        done += [_("%(n)d waiting needs closed", n=changed)] if changed else []
        if n := pairs.student_leaves(actor, obj.id, now.date()):
            done.append(_("%(n)d running pairs ended", n=n))
        family = obj.family
        # A family with no child left loses the parent school (permissions.family_has_left): its seats go too.
        if family is not None and not any(child.active for child in family.children):
            if n := seats.cancel_family(actor, family.id, now):
                done.append(_("%(n)d registrations still to come cancelled, their seats given to families waiting",
                              n=n))
    elif isinstance(obj, Family):
        if n := seats.cancel_family(actor, obj.id, now):
            done.append(_("%(n)d registrations still to come cancelled, their seats given to families waiting", n=n))
    return done
