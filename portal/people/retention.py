"""Retention of children's data: what has been kept long enough after a child left, and the run that removes it.

The admin sets, per kind of record, how many months the school keeps it after a student left (Student.left_on: a
graduation, a transfer, a deactivation; consent withdrawn purges at once, people/services.py). due() lists what the
next run removes; run() removes it in one transaction and audits every step: support tags and family notes deleted,
what visits' notes and help requests say emptied, then the child's name, birth date and 学籍号 replaced and, once a
family has no child left who is not anonymised, its guardians' names and mobiles and its logins. Event photos go
some months after their event. The hours ledger, pairs, registrations, certificates and every count stay: a report
still counts an anonymised child, without a name. This module sits above the domains it touches, as leaving.py.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select

from ..audit.services import record
from ..auth.models import User, new_session_token
from ..core.clock import local_today
from ..core.errors import saving
from ..core.models import utcnow
from ..events import photos
from ..events.models import Event, EventPhoto
from ..extensions import db
from ..help_requests.models import HelpRequest
from ..imports.models import ImportBatch
from ..needs.models import Need
from ..notices.models import Notice
from ..pairs import services as pairs
from ..pairs.models import Pair, Visit
from .models import Family, RetentionPolicy, School, Student, student_tags

STALE_ROSTER_DAYS = 7
KINDS = ("support_months", "visit_months", "help_months", "identity_months", "photo_months")
ANONYMOUS = "已匿名"


def policy_of(school_id: int) -> RetentionPolicy:
    """The school's policy; the defaults until the admin sets one (not saved by reading)."""
    return (db.session.scalar(select(RetentionPolicy).where(RetentionPolicy.school_id == school_id))
            or RetentionPolicy(school_id=school_id, **{k: RetentionPolicy.__table__.c[k].default.arg for k in KINDS}))


def save_policy(actor, months: dict) -> RetentionPolicy:
    policy = policy_of(actor.school_id)
    with saving():
        for kind in KINDS:
            setattr(policy, kind, months[kind])
        db.session.add(policy)
        db.session.flush()
        record(actor, "retention.policy", policy, " ".join(f"{k}={months[k]}" for k in KINDS))
    return policy


@dataclass
class Due:
    """What the next run removes, kind by kind."""

    support: list[Student] = field(default_factory=list)  # tagged, or of a family with notes
    visits: list[Visit] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)  # what they say, often a help request's words
    help_requests: list[HelpRequest] = field(default_factory=list)
    identities: list[Student] = field(default_factory=list)
    photos: list[EventPhoto] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.support or self.visits or self.needs or self.help_requests or self.identities or self.photos)


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (31 March less one month is 28 or 29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _left_before(school_id: int, months: int, today: date):
    return (Student.school_id == school_id, Student.active.is_(False), Student.left_on.is_not(None),
            Student.left_on <= months_before(today, months))


def due(school_id: int, today: date | None = None) -> Due:
    today = today or local_today()
    policy = policy_of(school_id)
    tagged = select(student_tags.c.student_id)
    with_notes = select(Family.id).where(Family.notes != "", Family.id.not_in(
        select(Student.family_id).where(Student.active.is_(True), Student.family_id.is_not(None))))
    support = list(db.session.scalars(select(Student).where(
        *_left_before(school_id, policy.support_months, today),
        Student.id.in_(tagged) | Student.family_id.in_(with_notes)).order_by(Student.left_on, Student.id)))
    left_for_visits = select(Student.id).where(*_left_before(school_id, policy.visit_months, today))
    visits = list(db.session.scalars(select(Visit).join(Pair, Pair.id == Visit.pair_id).where(
        Pair.school_id == school_id, Visit.pair_id.in_(pairs.pair_ids_of_students(left_for_visits)),
        (Visit.content != "") | (Visit.follow_up != "")).order_by(Visit.id)))
    needs = list(db.session.scalars(select(Need).where(Need.school_id == school_id, Need.student_id.in_(
        left_for_visits), Need.detail != "").order_by(Need.id)))
    left_for_help = select(Student.id).where(*_left_before(school_id, policy.help_months, today))
    help_requests = list(db.session.scalars(select(HelpRequest).where(
        HelpRequest.school_id == school_id, HelpRequest.student_id.in_(left_for_help),
        (HelpRequest.detail != "") | (HelpRequest.reply != "") | (HelpRequest.contact_phone != "")
    ).order_by(HelpRequest.id)))
    identities = list(db.session.scalars(select(Student).where(
        *_left_before(school_id, policy.identity_months, today), Student.anonymised_at.is_(None))
        .order_by(Student.left_on, Student.id)))
    photo_list = list(db.session.scalars(select(EventPhoto).join(Event, Event.id == EventPhoto.event_id).where(
        Event.school_id == school_id,
        Event.starts_at < datetime.combine(months_before(today, policy.photo_months), time()))
        .order_by(EventPhoto.id)))
    return Due(support, visits, needs, help_requests, identities, photo_list)


def run(actor, school_id: int, today: date | None = None) -> Due:
    """Remove what due() lists, in one transaction; the photos' files go once it has committed. `actor` is None
    when the scheduled run does it: the audit log then names no user."""
    today = today or local_today()
    with saving():
        found = due(school_id, today)
        for student in found.support:
            student.support_tags = []
            family = student.family
            # The family's notes are about every child of it: they go only once none is left in the school.
            if family is not None and family.notes and not any(child.active for child in family.children):
                family.notes = ""
            record(actor, "retention.support", student, f"left_on={student.left_on}")
        for visit in found.visits:
            visit.content, visit.follow_up = "", ""
            record(actor, "retention.visit", visit, f"pair={visit.pair_id}")
        for need in found.needs:
            need.detail = ""
            record(actor, "retention.need", need, f"student={need.student_id}")
        for request in found.help_requests:
            request.detail, request.reply, request.contact_phone, request.contact_time = "", "", "", ""
            record(actor, "retention.help_request", request, f"student={request.student_id}")
        for student in found.identities:
            _anonymise(actor, student)
        db.session.flush()
        for family in {s.family for s in found.identities if s.family is not None}:
            if all(child.anonymised_at is not None for child in family.children):
                _anonymise_family(actor, family)
        files = [photos.path_of(photo) for photo in found.photos]
        for photo in found.photos:
            record(actor, "retention.photo", photo, f"event={photo.event_id}")
            db.session.delete(photo)
        # A roster file never imported holds a whole school's children: it goes after a week.
        stale = db.session.execute(delete(ImportBatch).where(
            ImportBatch.school_id == school_id, ImportBatch.kind == "roster", ImportBatch.applied_at.is_(None),
            ImportBatch.created_at < utcnow() - timedelta(days=STALE_ROSTER_DAYS))).rowcount
        record(actor, "retention.run", db.session.get(School, school_id),
               f"support={len(found.support)} visits={len(found.visits)} needs={len(found.needs)} "
               f"help={len(found.help_requests)} identities={len(found.identities)} photos={len(found.photos)} "
               f"stale_rosters={stale}")
    for path in files:
        path.unlink(missing_ok=True)
    return found


def _anonymise(actor, student: Student) -> None:
    """The child's name goes, and with it from the names an import made of it (张三家, 张三家长): a sibling still
    in the school lends the family its name."""
    family = student.family
    if family is not None and student.name in family.name + "".join(g.name for g in family.guardians):
        other = next((c.name for c in family.children if c.id != student.id and c.anonymised_at is None
                      and c.name != ANONYMOUS), ANONYMOUS)
        family.name = family.name.replace(student.name, other)
        family.name_initials = ""
        for guardian in family.guardians:
            guardian.name = guardian.name.replace(student.name, other)
    student.name, student.name_initials, student.birth_date = ANONYMOUS, "", None
    student.student_no = f"ANON{student.id}"
    student.support_tags = []
    student.anonymised_at = utcnow()
    record(actor, "retention.identity", student, f"left_on={student.left_on}")


def _anonymise_family(actor, family: Family) -> None:
    """The family's last child is anonymised: its guardians' names and mobiles go, and their logins close (a
    login's name may be the mobile)."""
    family.name, family.name_initials, family.address, family.notes = f"{ANONYMOUS}家庭", "", "", ""
    for guardian in family.guardians:
        guardian.name, guardian.mobile = ANONYMOUS, ""
    users = db.session.scalars(select(User).where(User.guardian_id.in_([g.id for g in family.guardians]))).all()
    for user in users:
        user.username, user.display_name, user.mobile, user.email = f"anon{user.id}", ANONYMOUS, None, ""
        user.active, user.session_token = False, new_session_token()
    # Their notices name the children and, with their deliveries, the mobile and e-mail they went to.
    db.session.execute(delete(Notice).where(Notice.user_id.in_([u.id for u in users])))
    record(actor, "retention.family", family, "guardians anonymised, logins closed, notices deleted")


def run_all() -> list[tuple[School, Due]]:
    """The run for every school of the deployment: the nightly job and `flask retention-run`."""
    return [(school, run(None, school.id)) for school in db.session.scalars(select(School).order_by(School.id)).all()]
