"""The demo school made complete enough that every form appears somewhere, and the pages that show them.

Besides the site map's roles, a "newcomer": a teacher whose login the office has just opened, so the only page
that opens for them is the one that sets their own password (and its form)."""
import io
from datetime import date, timedelta

from flask import current_app, url_for
from openpyxl import Workbook
from sqlalchemy import func, select

from portal.auth.models import User
from portal.auth.services import give_temporary_password
from portal.core.clock import local_today
from portal.demo import DEMO_PASSWORD
from portal.events import photos
from portal.events.models import Event, EventHelper
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.matching.models import MatchPlan
from portal.matching.services import make_plan
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.parent_school.models import CourseSession
from portal.people import rollover, roster_import
from portal.people.models import ErasureRequest, Family, School, SchoolClass, Student, Volunteer
from portal.permissions import STAFF
from portal.registrations import services as seats
from portal.registrations.models import Registration
from tests import site_map

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
NEWCOMER = "newcomer"


def _roster() -> bytes:
    """A roster of one new child, one bad row and a column the reader does not know (the mapping step's form)."""
    wb = Workbook()
    wb.active.append(["姓名", "性别", "学籍号", "班级", "监护人", "紧急电话"])
    wb.active.append(["新同学", "男", "G2026X001", "三年级2班", "", "13812340000"])
    wb.active.append(["", "女", "G2026X002", "三年级2班", "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ROSTER = _roster()
ROLES = (*site_map.ROLES, NEWCOMER)


def complete_demo():
    """What the demo lacks for some forms to show: a held event with a helper, a family and a photo; a family that
    came to the next parent-school session; a matching plan; three uploads waiting for confirmation, a roster with a
    column to name among them; a school year to roll over into; a child who left long ago, for the retention run;
    a guardian's erasure request."""
    coord = site_map.user_of("coordinator")
    sid = coord.school_id
    held = db.session.scalar(select(Event).where(Event.school_id == sid, Event.status == "done").order_by(Event.id))
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.school_id == sid).order_by(Volunteer.id.desc()))
    child = db.session.scalar(select(Student).where(Student.school_id == sid, Student.family_id.is_not(None))
                              .order_by(Student.id.desc()))
    held.capacity, held.taken = 10, 1
    db.session.add_all([
        EventHelper(school_id=sid, event_id=held.id, volunteer_id=volunteer.id, role="helper", added_by_id=coord.id),
        Registration(school_id=sid, event_id=held.id, family_id=child.family_id, student_id=child.id,
                     class_id=child.class_id, status="confirmed", seq=1, code="SEC001", registered_by_id=coord.id),
        ImportBatch(school_id=sid, kind="needs", user_id=coord.id, filename="需求.xlsx", rows=[]),
        ImportBatch(school_id=sid, kind="events", user_id=coord.id, filename="行事历.xlsx", rows=[
            {"line": 2, "values": {"when": "3月5日", "title": "讲座"}, "errors": [], "who": ""}]),
    ])
    session = _first_open_session(sid)
    came = db.session.scalar(select(Registration).where(Registration.session_id == session.id)
                             .order_by(Registration.id))
    came.attended_at, came.checked_in_by_id = session.starts_at - timedelta(minutes=5), coord.id
    db.session.commit()
    photos.add(coord, held, "合影.jpg", JPEG)
    make_plan(coord)
    roster_import.stage(coord, "名册.xlsx", ROSTER)
    school = db.session.get(School, sid)
    school.school_year = rollover.school_year_of(local_today()) - 1  # a year behind: the rollover is offered
    # Not the first student (the site map's student page shows the forms of one still in the school) nor the last
    # (registered above).
    gone = db.session.scalar(select(Student).where(Student.school_id == sid).order_by(Student.id.desc()).offset(5))
    gone.active, gone.status, gone.left_on = False, "left", date(2020, 7, 1)  # long gone: the retention run is offered
    # Another family's child than the parent's, whose page still offers the request.
    db.session.add(ErasureRequest(school_id=sid, student_id=child.id, requested_by_id=coord.id))
    db.session.commit()
    newcomer = User(school_id=sid, username=NEWCOMER, display_name="新来的老师", role="teacher")
    give_temporary_password(newcomer, DEMO_PASSWORD)
    db.session.add(newcomer)
    db.session.commit()
    _district_returns(db.session.get(School, sid), coord)


def _district_returns(school, coord):
    """The district's task with a return being drafted by the school (an entry with its file, a photo: their remove
    buttons) and one submitted by a second school of the bureau (the unit's approve, send-back and judging forms)."""
    from portal.demo import demo_docx
    from portal.district import tasks
    from portal.district.models import Task, TaskReturn

    task = db.session.scalar(select(Task).order_by(Task.id))
    own = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id, TaskReturn.school_id == school.id))
    tasks.add_entry(coord, own, {"title": "我的祖国我的家", "author": "王思远", "class_name": "五年级1班", "teacher": "陈老师"},
                    ("我的祖国我的家.docx", demo_docx("我的祖国我的家")))
    tasks.add_file(coord, own, "photo", "活动照片.jpg", JPEG)
    second = School(name="滨湖区第二实验学校", unit_id=school.unit_id)
    db.session.add(second)
    db.session.flush()
    office = User(school_id=second.id, username="second-office", display_name="二校关工委", role="coordinator",
                  password_hash=coord.password_hash)
    theirs = TaskReturn(task_id=task.id, school_id=second.id)
    db.session.add_all([office, theirs])
    db.session.commit()
    tasks.add_entry(office, theirs, {"title": "书香伴我成长", "author": "李欣怡", "class_name": "四年级2班", "teacher": "周老师"},
                    None)
    tasks.save_draft(office, theirs, "选送1篇。")
    tasks.submit(office, theirs)


def _first_open_session(sid):
    """The session the site map opens (its roster shows the check-in marked below, with its undo button)."""
    return db.session.scalar(select(CourseSession).where(CourseSession.school_id == sid,
                                                         CourseSession.status == "open").order_by(CourseSession.id))


def _session_at_the_door(sid):
    """The demo's session whose door takes check-ins now."""
    sessions = db.session.scalars(select(CourseSession).where(CourseSession.school_id == sid,
                                                              CourseSession.status == "open")
                                  .order_by(CourseSession.starts_at))
    return next(s for s in sessions if seats.check_in_closed(s) is None)


def extra_pages(role) -> list[str]:
    """Pages the site map leaves out that hold a form: the matching plan, upload previews, the door with a search,
    suggestions for needs and offers, every event and its report, and the password prompt."""
    if role not in STAFF:
        return []
    with current_app.test_request_context():
        return _extra_pages(site_map.user_of(role))


def _extra_pages(user) -> list[str]:
    role = user.role
    sid = user.school_id
    urls = [url_for("auth.reauth")]
    if role == "coordinator":  # an upload's preview and the plan are the uploader's own
        batches = db.session.scalars(select(ImportBatch).where(ImportBatch.user_id == user.id)).all()
        urls += [url_for("calendar.preview", batch_id=b.id) if b.kind == "events"
                 else url_for("people.roster_preview", batch_id=b.id) if b.kind == "roster"
                 else url_for("imports.preview", kind=b.kind, batch_id=b.id) for b in batches]
        plan = db.session.scalar(select(MatchPlan.id).where(MatchPlan.school_id == sid).order_by(MatchPlan.id.desc()))
        urls.append(url_for("matching.plan", plan_id=plan))
    # The door's search, once for a registered child not yet checked in (the check-in button) and once for a
    # child of the course's grades whose family has not registered (the walk-in button). By full name: which
    # children share a surname with whom changes with the day the demo was seeded.
    session = _session_at_the_door(sid)
    waiting = db.session.scalar(select(Student.name).join(Registration, Registration.student_id == Student.id)
                                .where(Registration.session_id == session.id, Registration.attended_at.is_(None),
                                       Registration.status != "cancelled").order_by(Registration.id))
    registered = select(Registration.family_id).where(Registration.session_id == session.id)
    stranger = db.session.scalar(select(Student.name).join(SchoolClass, SchoolClass.id == Student.class_id).where(
        Student.school_id == sid, Student.active.is_(True), Student.family_id.not_in(registered),
        SchoolClass.grade.in_(session.course.grades)).order_by(Student.id))
    urls += [url_for("parent_school.door", session_id=session.id, q=name) for name in (waiting, stranger)]
    for event_id in db.session.scalars(select(Event.id).where(Event.school_id == sid).order_by(Event.id)):
        urls += [url_for("events.show", event_id=event_id), url_for("events.report", event_id=event_id)]
    needs = select(Need.id).where(Need.school_id == sid, Need.status == "open").order_by(Need.id).limit(8)
    offers = select(Offer.id).where(Offer.school_id == sid, Offer.status == "active").order_by(Offer.id).limit(8)
    urls += [url_for("matching.need", need_id=i) for i in db.session.scalars(needs)]
    urls += [url_for("matching.offer", offer_id=i) for i in db.session.scalars(offers)]
    urls += _merge_previews(sid)
    return urls


def _merge_previews(sid) -> list[str]:
    """A merge's preview (it holds the form) for two records that may be merged: two children of one family, a
    family and one with no registration (two families registered for one session are not merged), two volunteers."""
    sibling = select(Student.family_id).where(Student.school_id == sid).group_by(Student.family_id).having(
        func.count() > 1).order_by(Student.family_id).limit(1)
    children = db.session.scalars(select(Student.id).where(Student.family_id == sibling.scalar_subquery())
                                  .order_by(Student.id)).all()
    families = db.session.scalars(select(Family.id).where(Family.school_id == sid).order_by(Family.id)).all()
    unregistered = db.session.scalar(select(Family.id).where(Family.school_id == sid, Family.id.not_in(
        select(Registration.family_id))).order_by(Family.id))
    volunteers = db.session.scalars(select(Volunteer.id).where(Volunteer.school_id == sid).order_by(Volunteer.id)
                                    .limit(2)).all()
    return [url_for("people.merge_student", student_id=children[0], **{"with": children[1]}),
            url_for("people.merge_family", family_id=families[0], **{"with": unregistered}),
            url_for("people.merge_volunteer", volunteer_id=volunteers[0], **{"with": volunteers[1]})]


def pages(role) -> list[str]:
    """Every page the role opens: the site map's, then the extra ones; downloads left out."""
    if role == NEWCOMER:
        with current_app.test_request_context():
            return [url_for("auth.own_password")]
    mapped = [p.url for p in site_map.pages(role) if p.is_html]
    return mapped + [u for u in extra_pages(role) if u not in mapped]


def downloads(role) -> list[str]:
    return [p.url for p in site_map.pages(role) if not p.is_html]
