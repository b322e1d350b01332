"""Two records of one person made one (合并重复记录): two students, two families or two volunteers.

The office opens the record to keep and names the other; preview() says what the kept record becomes, field by field
(its own values win, a blank is filled from the other), what comes over and why a merge cannot be done yet; merge()
does it in one transaction, or nothing. Every row with history that pointed at the other record points at the kept
one afterwards (needs, registrations, help requests, consents, guardians and children; a volunteer's offers, pairs,
visits, hours and certificates), so both histories read as one; the other record, empty then, is deleted and the
merge audited with what came over. A login comes over unless the kept record has one, in which case the other's is
closed. Two live places in one session or at one event cannot be merged into one: the office cancels one first (the
waiting list moves up through the seat service, which a merge does not bypass); a cancelled one of such a pair is
dropped. This module sits above the domains it touches, as leaving.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import func, or_, select, update

from ..audit.models import AuditEntry
from ..audit.services import record
from ..auth.models import User, new_session_token
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..events.models import EventHelper
from ..extensions import db
from ..help_requests.models import HelpRequest
from ..hours.models import HourEntry, ServiceRecord
from ..needs.models import Need
from ..offers.models import Offer
from ..pairs.models import PairVolunteer, Visit
from ..parent_school.models import Course
from ..registrations.models import ACTIVE, Registration
from .models import STUDENT_STATUSES, ErasureRequest, Family, Guardian, Student, Volunteer, initials

CANDIDATES = 20


@dataclass
class Line:
    """One field of the kept record: its value, the other record's, and what it will be."""
    label: str
    kept: str
    other: str
    result: str


@dataclass
class Merge:
    keep: Student | Family | Volunteer
    other: Student | Family | Volunteer
    lines: list[Line] = field(default_factory=list)
    moves: list[tuple[str, int]] = field(default_factory=list)  # what comes over, counted
    notes: list[str] = field(default_factory=list)  # what else happens
    problem: str = ""  # why it cannot be done yet
    swap: bool = False  # the other record may be the one kept instead (its 学籍号, class or login, say)


def describe(person) -> str:
    """A record as the merge page names it, with what tells two of one name apart."""
    if isinstance(person, Student):
        state = "" if person.active else f"，{STUDENT_STATUSES[person.status]}"
        return _("%(name)s (%(klass)s, student number %(no)s%(state)s)", name=person.name,
                 klass=person.school_class.label, no=person.student_no, state=state)
    if isinstance(person, Family):
        guardians = "、".join(f"{g.name} {g.mobile}".strip() for g in person.guardians) or "—"
        children = "、".join(c.name for c in person.children) or "—"
        return _("%(name)s (children: %(children)s; guardians: %(guardians)s)", name=person.name,
                 children=children, guardians=guardians)
    return person.label


def candidates(person, q: str = "") -> list:
    """The records that may be the same person (a same name; for a family also a guardian's name or mobile), or
    those matching what the office typed. Anonymised students are out: nothing is left to compare."""
    model = type(person)
    stmt = select(model).where(model.school_id == person.school_id, model.id != person.id)
    if isinstance(person, Student):
        stmt = stmt.where(Student.anonymised_at.is_(None))
    if q:
        like = f"%{q}%"
        if isinstance(person, Family):
            guardians = select(Guardian.family_id).where(Guardian.school_id == person.school_id,
                                                          or_(Guardian.name.like(like), Guardian.mobile.like(like)))
            stmt = stmt.where(or_(Family.name.like(like), Family.name_initials.like(f"{q.lower()}%"),
                                  Family.id.in_(guardians)))
        else:
            keys = [model.name.like(like), model.name_initials.like(f"{q.lower()}%")]
            keys.append(func.upper(Student.student_no) == q.upper() if model is Student else Volunteer.phone.like(like))
            stmt = stmt.where(or_(*keys))
    elif isinstance(person, Family):
        names = {g.name for g in person.guardians}
        mobiles = {g.mobile for g in person.guardians if g.mobile}
        guardians = select(Guardian.family_id).where(Guardian.school_id == person.school_id,
                                                      or_(Guardian.name.in_(names), Guardian.mobile.in_(mobiles)))
        stmt = stmt.where(or_(Family.name == person.name, Family.id.in_(guardians)))
    else:
        stmt = stmt.where(model.name == person.name)
    return db.session.scalars(stmt.order_by(model.id).limit(CANDIDATES)).all()


def _count(model, column, value) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(column == value))


def _fill(label: str, kept, other, show=str) -> Line:
    """The kept value, or the other's where the kept one is blank."""
    def text(value) -> str:
        return "—" if value in (None, "") else show(value)
    return Line(label, text(kept), text(other), text(other if kept in (None, "") else kept))


def preview(keep, other) -> Merge:
    if keep.id == other.id or type(keep) is not type(other) or keep.school_id != other.school_id:
        raise DomainError(_("Choose another record of the same kind to merge into this one."))
    plan = Merge(keep, other, swap=other.active or not keep.active)
    if not keep.active and other.active:
        plan.problem = _("This record is no longer in the lists and the other one is: keep the one in the lists.")
    {Student: _student, Family: _family, Volunteer: _volunteer}[type(keep)](plan)
    return plan


def _student(plan: Merge) -> None:
    keep, other = plan.keep, plan.other
    plan.lines = [Line(_("Student number"), keep.student_no, other.student_no, keep.student_no),
                  _fill(_("Name"), keep.name, other.name),
                  _fill(_("Gender"), keep.gender, other.gender),
                  _fill(_("Date of birth"), keep.birth_date, other.birth_date, lambda d: d.strftime("%Y-%m-%d")),
                  Line(_("Class"), keep.school_class.label, other.school_class.label, keep.school_class.label),
                  _fill(_("Family"), keep.family.name if keep.family else "", other.family.name if other.family else "")]
    if keep.anonymised_at or other.anonymised_at:
        plan.problem = _("An anonymised record cannot be merged: nothing is left to tell whose it was.")
    elif keep.family_id and other.family_id and keep.family_id != other.family_id:
        plan.problem = _("The two records belong to different families (%(a)s, %(b)s). If it is one child, merge the "
                         "two families first.", a=keep.family.name, b=other.family.name)
    tags = {t.id for t in other.support_tags} - {t.id for t in keep.support_tags}
    plan.moves = [(pgettext("merged", "needs"), _count(Need, Need.student_id, other.id)),
                  (pgettext("merged", "registrations"), _count(Registration, Registration.student_id, other.id)),
                  (pgettext("merged", "help requests"), _count(HelpRequest, HelpRequest.student_id, other.id)),
                  (pgettext("merged", "consents"), len(other.consents)),
                  (pgettext("merged", "erasure requests"), _count(ErasureRequest, ErasureRequest.student_id, other.id)),
                  (pgettext("merged", "support tags"), len(tags))]


def _family(plan: Merge) -> None:
    keep, other = plan.keep, plan.other
    written = pgettext("family situation", "written")
    situation = (pgettext("family situation", "both kept") if keep.notes and other.notes
                 else written if keep.notes or other.notes else "—")
    plan.lines = [_fill(_("Name"), keep.name, other.name), _fill(_("Address"), keep.address, other.address),
                  Line(_("Family situation"), written if keep.notes else "—", written if other.notes else "—",
                       situation)]
    twins = _guardian_twins(keep, other)
    for guardian, twin in twins.items():
        plan.notes.append(_("%(name)s %(mobile)s is on both records: one guardian is kept.", name=twin.name,
                            mobile=twin.mobile or guardian.mobile))
    clashes, dropped = _registration_clashes(keep, other)
    if clashes:
        plan.problem = _("Both families hold a place for %(what)s: cancel one of them first (on its registrations "
                         "page), then merge.", what="、".join(clashes))
    if dropped:
        plan.notes.append(_("%(n)d cancelled registrations for a session or event the other family also registered "
                            "for are dropped.", n=len(dropped)))
    plan.moves = [(pgettext("merged", "children"), len(other.children)),
                  (pgettext("merged", "guardians"), len(other.guardians) - len(twins)),
                  (pgettext("merged", "registrations"), _count(Registration, Registration.family_id, other.id) - len(dropped)),
                  (pgettext("merged", "help requests"), _count(HelpRequest, HelpRequest.family_id, other.id))]
    plan.notes += _login_notes(list(twins.items()))


def _volunteer(plan: Merge) -> None:
    keep, other = plan.keep, plan.other
    plan.lines = [_fill(_("Name"), keep.name, other.name), _fill(_("Kind (五老)"), keep.kind, other.kind),
                  _fill(_("Skills and subjects"), keep.skills, other.skills),
                  _fill(_("Former work unit"), keep.former_unit, other.former_unit),
                  _fill(_("Mobile number"), keep.phone, other.phone),
                  _fill(_("Year of birth"), keep.birth_year, other.birth_year)]
    both = select(EventHelper.event_id).where(EventHelper.volunteer_id == keep.id)
    clashes = db.session.scalars(select(EventHelper).where(EventHelper.volunteer_id == other.id,
                                                           EventHelper.event_id.in_(both))).all()
    kept = {h.event_id: h for h in db.session.scalars(select(EventHelper).where(EventHelper.volunteer_id == keep.id))}
    live = [h.event.title for h in clashes if h.status == "confirmed" and kept[h.event_id].status == "confirmed"]
    if live:
        plan.problem = _("Both records signed up for %(what)s: take one of them off the event first, then merge.",
                         what="、".join(live))
    elif clashes:
        plan.notes.append(_("%(n)d cancelled sign-ups for an event the other record also signed up for are dropped.",
                            n=len(clashes)))
    # A pair holds a volunteer once (pairs.services): both records in one running pair would be one person twice.
    mine = select(PairVolunteer.pair_id).where(PairVolunteer.volunteer_id == keep.id, PairVolunteer.left_at.is_(None))
    shared = db.session.scalars(select(PairVolunteer).where(PairVolunteer.volunteer_id == other.id,
                                                            PairVolunteer.left_at.is_(None),
                                                            PairVolunteer.pair_id.in_(mine))).all()
    if shared and not plan.problem:
        names = ["、".join(n.student.name if n.student else n.young_teacher.name for n in m.pair.needs) for m in shared]
        plan.problem = _("Both records are in the running pair with %(who)s: on the pair's page, replace one of them "
                         "(更换) first, then merge.", who="；".join(names))
    plan.notes += _same_days(keep, other)
    plan.moves = [(pgettext("merged", "offers"), _count(Offer, Offer.volunteer_id, other.id)),
                  (pgettext("merged", "pair memberships"), _count(PairVolunteer, PairVolunteer.volunteer_id, other.id)),
                  (pgettext("merged", "visits"), _count(Visit, Visit.volunteer_id, other.id)),
                  (pgettext("merged", "hour entries"), _count(HourEntry, HourEntry.volunteer_id, other.id)),
                  (pgettext("merged", "certificates"), _count(ServiceRecord, ServiceRecord.volunteer_id, other.id)),
                  (pgettext("merged", "event sign-ups"), _count(EventHelper, EventHelper.volunteer_id, other.id) - len(clashes)),
                  (pgettext("merged", "courses given"), _count(Course, Course.lecturer_volunteer_id, other.id))]
    plan.notes += _login_notes([(other, keep)])


def _same_days(keep: Volunteer, other: Volunteer) -> list[str]:
    """Days both records have hours for: a record entered twice is often found because a visit was logged twice (by
    the volunteer, and by the office on their behalf). The merge keeps both rows; the office checks them."""
    def days(volunteer_id):
        return select(HourEntry.worked_on).where(HourEntry.volunteer_id == volunteer_id,
                                                 HourEntry.status != "rejected", HourEntry.reverses_id.is_(None))
    both = db.session.scalars(days(other.id).where(HourEntry.worked_on.in_(days(keep.id)))
                              .distinct().order_by(HourEntry.worked_on)).all()
    if not both:
        return []
    return [_("Both records have hours on %(days)s: after the merge, check those days in the hours ledger for an "
              "activity logged twice.", days="、".join(d.strftime("%Y-%m-%d") for d in both))]


def _login_of(column, person_id: int) -> User | None:
    return db.session.scalar(select(User).where(column == person_id))


def _login_notes(pairs) -> list[str]:
    notes = []
    for gone, kept in pairs:
        column = User.volunteer_id if isinstance(gone, Volunteer) else User.guardian_id
        login = _login_of(column, gone.id)
        if login is None:
            continue
        if _login_of(column, kept.id) is None:
            notes.append(_("The login %(login)s now opens the kept record.", login=login.username))
        else:
            notes.append(_("The login %(login)s is closed: the kept record has its own.", login=login.username))
    return notes


def _guardian_twins(keep: Family, other: Family) -> dict[Guardian, Guardian]:
    """The other family's guardians who are one of the kept family's: the same name, and the same mobile or a
    mobile on one record only."""
    twins = {}
    for guardian in other.guardians:
        twin = next((g for g in keep.guardians if g.name == guardian.name
                     and (g.mobile == guardian.mobile or not g.mobile or not guardian.mobile)), None)
        if twin is not None:
            twins[guardian] = twin
    return twins


def _registration_clashes(keep: Family, other: Family) -> tuple[list[str], list[Registration]]:
    """Sessions and events both families hold a live place for (by name), and the cancelled registrations a merge
    drops because the other family's row for the same session or event is the one that stays."""
    rows = db.session.scalars(select(Registration).where(Registration.family_id.in_((keep.id, other.id)))).all()
    by_holder: dict[tuple, list[Registration]] = {}
    for row in rows:
        by_holder.setdefault((row.session_id, row.event_id), []).append(row)
    clashes, dropped = [], []
    for pair in (p for p in by_holder.values() if len(p) == 2):
        live = [r for r in pair if r.status in ACTIVE]
        if len(live) == 2:
            holder = pair[0].holder
            clashes.append(holder.title if pair[0].event_id else
                           f"{holder.course.title}{'（' + holder.title + '）' if holder.title else ''}")
        else:
            stays = live[0] if live else next(r for r in pair if r.family_id == keep.id)
            dropped += [r for r in pair if r is not stays]
    return clashes, dropped


def merge(actor, keep, other) -> Merge:
    """Merge `other` into `keep` in one transaction, or refuse with the preview's reason."""
    model = type(keep)
    with saving(_("The records changed while they were being merged: nothing was merged. Please try again.")):
        # Both rows are taken first, so a second tap on the button, even at the same moment, waits for the first
        # and then finds the other record gone.
        taken = db.session.execute(update(model).where(model.id.in_((keep.id, other.id)))
                                   .values(updated_at=utcnow()).execution_options(synchronize_session=False))
        if taken.rowcount != 2:
            raise DomainError(_("The other record is no longer there: it may have been merged already."))
        plan = preview(keep, other)
        if plan.problem:
            raise DomainError(plan.problem)
        moved = ", ".join(f"{label}={n}" for label, n in plan.moves if n)
        {Student: _merge_students, Family: _merge_families, Volunteer: _merge_volunteers}[model](keep, other)
        _repoint_audit(model, other.id, keep.id)
        record(actor, f"{model.__name__.lower()}.merge", keep, f"#{other.id} {_key_of(other)}: {moved}")
        db.session.delete(other)
    return plan


def _key_of(person) -> str:
    """What the import knew the other record by, kept in the audit entry: a 学籍号 or mobile that was not kept."""
    return person.student_no if isinstance(person, Student) else person.phone if isinstance(person, Volunteer) \
        else person.name


def _repoint_audit(model, old: int, new: int) -> None:
    """The audit trail of the deleted record becomes the kept one's: it is the same person, and SQLite gives a
    deleted row's id to the next new one, whose name the log would otherwise show for these entries."""
    db.session.execute(update(AuditEntry).where(AuditEntry.object_type == model.__name__, AuditEntry.object_id == old)
                       .values(object_id=new).execution_options(synchronize_session=False))


def _repoint(model, column, old: int, new: int) -> None:
    # A bulk UPDATE, not the ORM: hours.models locks an approved ledger row's volunteer against edits by the
    # services, and a merge is the one change that may relabel it (the same person, the hours unchanged, audited).
    db.session.execute(update(model).where(column == old).values({column.key: new})
                       .execution_options(synchronize_session=False))


def _fill_blanks(keep, other, keys) -> None:
    for key in keys:
        if getattr(keep, key) in (None, "") and getattr(other, key) not in (None, ""):
            setattr(keep, key, getattr(other, key))


def _merge_students(keep: Student, other: Student) -> None:
    _fill_blanks(keep, other, ("birth_date",))
    keep.family = keep.family or other.family
    keep.support_tags = list({t.id: t for t in [*keep.support_tags, *other.support_tags]}.values())
    other.support_tags = []
    for model in (Need, Registration, HelpRequest, ErasureRequest):
        _repoint(model, model.student_id, other.id, keep.id)
    for consent in list(other.consents):
        consent.student = keep


def _merge_families(keep: Family, other: Family) -> None:
    _fill_blanks(keep, other, ("address",))
    keep.notes = "\n".join(n for n in (keep.notes, other.notes) if n)
    keep.active = keep.active or other.active
    _, dropped = _registration_clashes(keep, other)
    for row in dropped:
        db.session.delete(row)
    db.session.flush()
    twins = _guardian_twins(keep, other)
    for guardian, twin in twins.items():
        _fill_blanks(twin, guardian, ("mobile",))
        _move_login(User.guardian_id, guardian.id, twin.id)
        _repoint_audit(Guardian, guardian.id, twin.id)
        db.session.delete(guardian)
    for guardian in [g for g in other.guardians if g not in twins]:
        guardian.family = keep
    for child in list(other.children):
        child.family = keep
    for model in (Registration, HelpRequest):
        _repoint(model, model.family_id, other.id, keep.id)
    keep.name_initials = initials(keep.name)


def _merge_volunteers(keep: Volunteer, other: Volunteer) -> None:
    _fill_blanks(keep, other, ("skills", "former_unit", "phone", "birth_year"))
    kept = select(EventHelper.event_id).where(EventHelper.volunteer_id == keep.id)
    for helper in db.session.scalars(select(EventHelper).where(EventHelper.volunteer_id == other.id,
                                                              EventHelper.event_id.in_(kept))).all():
        mine = db.session.scalar(select(EventHelper).where(EventHelper.volunteer_id == keep.id,
                                                          EventHelper.event_id == helper.event_id))
        if mine.status == "cancelled" and helper.status == "confirmed":
            db.session.delete(mine)
            db.session.flush()
        else:
            db.session.delete(helper)
    db.session.flush()
    _move_login(User.volunteer_id, other.id, keep.id)
    for model in (Offer, PairVolunteer, Visit, HourEntry, ServiceRecord, EventHelper):
        _repoint(model, model.volunteer_id, other.id, keep.id)
    _repoint(Course, Course.lecturer_volunteer_id, other.id, keep.id)


def _move_login(column, old: int, new: int) -> None:
    """The other record's login opens the kept one, unless the kept one has a login: then it is closed."""
    login = _login_of(column, old)
    if login is None:
        return
    if _login_of(column, new) is None:
        setattr(login, column.key, new)
    else:
        setattr(login, column.key, None)
        login.active = False
        login.session_token = new_session_token()
    db.session.flush()
