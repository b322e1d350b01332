"""Which events a reader is shown: staff all of the school's; a teacher those they lead or whose audience takes in
their classes; a volunteer those open to volunteers or asking for help, and their own; a family those for parents of
its children's grades or classes, and the ones it registered for. Each rule both as a test of one event and as a query
condition, reading the models only, for `permissions`."""
from __future__ import annotations

from sqlalchemy import and_, literal, or_, select

from ..auth.models import STAFF
from ..people.models import Student
from ..registrations.models import ACTIVE, Registration
from .models import Event, EventHelper, event_classes, event_leads


def _family_children(user) -> list[Student]:
    family = user.family
    return [s for s in family.children if s.active] if family else []


def _for_students(grades: set[int], class_ids: set[int]):
    """Events whose students' audience takes in these grades or classes, or the whole school."""
    whole_school = and_(Event.audience_grades == "",
                        Event.id.not_in(select(event_classes.c.event_id)))
    padded = literal(",") + Event.audience_grades + literal(",")
    return or_(whole_school, *[padded.contains(f",{g},") for g in sorted(grades)],
               Event.id.in_(select(event_classes.c.event_id).where(event_classes.c.class_id.in_(class_ids or {0}))))


def _is_for_students(event: Event, grades: set[int], class_ids: set[int]) -> bool:
    if not event.grades and not event.classes:
        return True
    return bool(grades & set(event.grades)) or bool(class_ids & {c.id for c in event.classes})


def condition(user):
    """Which events a user is shown in lists (None: all of the school's)."""
    if user.role in STAFF:
        return None
    if user.role == "teacher":
        led = select(event_leads.c.event_id).where(event_leads.c.user_id == user.id)
        return or_(Event.id.in_(led), _for_students({c.grade for c in user.classes}, {c.id for c in user.classes}))
    if user.role == "volunteer":
        mine = select(EventHelper.event_id).where(EventHelper.volunteer_id == (user.volunteer_id or 0))
        return or_(Event.for_volunteers.is_(True), Event.helpers_needed > 0, Event.speakers_needed > 0, Event.id.in_(mine))
    children = _family_children(user)
    mine = select(Registration.event_id).where(Registration.family_id == (user.family.id if user.family else 0),
                                               Registration.event_id.is_not(None))
    return or_(and_(Event.for_parents.is_(True),
                    _for_students({c.school_class.grade for c in children}, {c.class_id for c in children})),
               Event.id.in_(mine))


def may_see(user, event: Event) -> bool:
    """The same rule for one event, as its page checks it."""
    if user.role in STAFF:
        return True
    if user.role == "teacher":
        return user in event.leads or _is_for_students(event, {c.grade for c in user.classes},
                                                         {c.id for c in user.classes})
    if user.role == "volunteer":
        return (event.for_volunteers or event.helpers_needed > 0 or event.speakers_needed > 0
                or any(h.volunteer_id == user.volunteer_id for h in event.helpers))
    family = user.family
    if family is not None and any(r.family_id == family.id for r in event.registrations):
        return True
    children = _family_children(user)
    return event.for_parents and _is_for_students(event, {c.school_class.grade for c in children},
                                                  {c.class_id for c in children})


def feed_condition(user):
    """The events of a user's calendar feed: those they lead, help at, or registered for (None: the whole school's)."""
    if user.role == "teacher":
        return Event.id.in_(select(event_leads.c.event_id).where(event_leads.c.user_id == user.id))
    if user.role == "volunteer":
        return Event.id.in_(select(EventHelper.event_id).where(
            EventHelper.volunteer_id == (user.volunteer_id or 0), EventHelper.status == "confirmed"))
    if user.role == "parent":
        return Event.id.in_(select(Registration.event_id).where(
            Registration.family_id == (user.family.id if user.family else 0), Registration.status.in_(ACTIVE)))
    return None
