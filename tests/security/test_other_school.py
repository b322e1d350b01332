"""Every object URL, with the id of another school's record, answers 404 to every role: the record does not exist
for them (issue 10). A role that may not use the page at all gets 403 before any lookup, which says nothing about
the record either. A teacher gets 404 for a student, need or pair of a class not theirs.

The URLs come from the url_map, so a new route is checked as soon as it exists; tests/test_permissions.py pins
each role's answer on chosen routes."""
import itertools
import re
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.notices.models import Notice
from portal.pairs.models import Pair
from portal.people.models import ErasureRequest
from portal.people.roster import Roster, roster_json
from portal.people.views import _ACTIVATABLE
from portal.permissions import RULES, policy_of
from tests import factories
from tests.test_permissions import announced, events, ledger, menus, parent_school  # noqa: F401  (fixtures)

ROLES = ("admin", "coordinator", "teacher", "volunteer", "parent", "unit_admin", "unit_officer")
ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
# URL argument -> the key of the record in the fixtures' ids; where the name is ambiguous, per blueprint.
FAR = {
    "need_id": "far_need", "offer_id": "far_offer", "help_id": "far_help", "entry_id": "far_hour",
    "record_id": "far_record", "volunteer_id": "far_volunteer", "plan_id": "far_plan", "proposal_id": "far_proposal",
    "pair_id": "far_pair", "member_id": "far_member", "event_id": "ev_far", "photo_id": "ev_far_photo",
    "partner_id": "ev_far_partner", "helper_id": "ev_far_helper", "course_id": "far_ps_course",
    "session_id": "far_ps_session", "code": "far_ps_code", "student_id": "far_pupil", "class_id": "far_class",
    "family_id": "far_family", "guardian_id": "far_guardian", "user_id": "far_user", "teacher_id": "far_young_teacher",
    ("events", "registration_id"): "ev_far_registration", ("parent_school", "registration_id"): "far_ps_registration",
    ("calendar", "batch_id"): "ev_far_batch", ("imports", "batch_id"): "far_import_batch",
    ("people", "batch_id"): "far_roster_batch", "request_id": "far_erasure", "notice_id": "far_notice",
    ("student", "obj_id"): "far_pupil", ("family", "obj_id"): "far_family", ("volunteer", "obj_id"): "far_volunteer",
    ("user", "obj_id"): "far_user", ("young_teacher", "obj_id"): "far_young_teacher",
    "announcement_id": "ann_far",
    # Another district's: its school, units, accounts, task, a school's return of it, its files and entries.
    ("district", "school_id"): "far_school", "unit_id": "far_unit", ("district", "user_id"): "far_officer",
    "task_id": "far_task", "return_id": "far_return", "file_id": "far_file", ("tasks", "entry_id"): "far_entry",
}
# The same for a teacher: a record of the school, of a class not theirs.
NOT_THEIR_CLASS = {"student_id": "stranger", "need_id": "stranger_need", "pair_id": "other_pair",
                   "member_id": "other_member", ("student", "obj_id"): "stranger"}


def _all_ids(request, world) -> dict:
    ids = {}
    for name in ("menus", "ledger", "parent_school", "events", "announced"):
        ids.update(request.getfixturevalue(name))
    far_user = db.session.scalar(select(User).where(User.school_id == world.far.id).order_by(User.id))
    batch = ImportBatch(school_id=world.far.id, kind="needs", user_id=far_user.id, filename="x.xlsx", rows=[])
    roster = ImportBatch(school_id=world.far.id, kind="roster", user_id=far_user.id, filename="x.xlsx",
                         rows={"roster": roster_json(Roster()), "mapping": {}})
    erasure = ErasureRequest(school_id=world.far.id, student_id=world.far_pupil.id, requested_by_id=far_user.id)
    notice = Notice(school_id=world.far.id, user_id=far_user.id, kind="help.answered", subject="help:1",
                    due_at=datetime(2026, 12, 1, 9, 0), text="远方学校的通知")
    db.session.add_all([batch, roster, erasure, notice])
    db.session.commit()
    far_task = _far_task(world, far_user)
    far_pair, other_pair = db.session.get(Pair, ids["far_pair"]), db.session.get(Pair, ids["other_pair"])
    return {**ids, "far_pupil": world.far_pupil.id, "far_class": world.far_class.id, "far_family": world.far_family.id,
            "far_guardian": world.far_family.guardians[0].id, "far_user": far_user.id, "far_import_batch": batch.id,
            "far_roster_batch": roster.id, "far_erasure": erasure.id, "far_notice": notice.id,
            "far_young_teacher": factories.young_teacher(world.far).id, "far_member": far_pair.members[0].id,
            "stranger": world.stranger.id, "other_member": other_pair.members[0].id, **far_task}


def _far_task(world, far_user) -> dict:
    """The other district's task to its school, with an attachment and the school's entry with its file."""
    from portal.district import tasks
    from portal.district.models import TaskReturn
    from tests.district.test_tasks import NOTICE, PDF

    task = tasks.create(world.far_officer, {"kind": "competition", "title": "远方的征文", "body": "内容",
                                            "due_on": date.today() + timedelta(days=7), "parts": ["entries"]},
                        [("通知.docx", NOTICE)])
    ret = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id))
    entry = tasks.add_entry(far_user, ret, {"title": "远方的作品", "author": "钱小宝"}, ("作品.pdf", PDF))
    return {"far_school": world.far.id, "far_unit": world.far_unit.id, "far_officer": world.far_officer.id,
            "far_task": task.id, "far_return": ret.id, "far_file": task.attachments[0].id, "far_entry": entry.id}


def _requests(ids, keys, every_route=True) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route with an id in its path, each id the record `keys` names; a route with
    a kind in its path once per kind. A route with an argument `keys` does not know fails the test, or with
    every_route=False is left out."""
    out = []
    for rule in current_app.url_map.iter_rules():
        args = ARG.findall(rule.rule)
        if not any(conv == "int" for conv, _choices, _name in args):
            continue
        blueprint = rule.endpoint.split(".")[0]
        # A word in the path (needs/offers, confirm/pause/resume, what people.set_active activates): each one.
        words = {name: re.findall(r"\w+", choices) if conv == "any" else list(_ACTIVATABLE)
                 for conv, choices, name in args if conv == "any" or name == "kind"}
        for chosen in itertools.product(*words.values()):
            chosen = dict(zip(words, chosen, strict=True))
            kind = chosen.get("kind")
            values = {name: chosen[name] if name in chosen else
                      ids.get(keys.get((blueprint, name)) or keys.get((kind, name)) or keys.get(name))
                      for _conv, _choices, name in args}
            if None in values.values():
                assert not every_route, f"{rule.rule}: which record of another school goes here?"
                continue
            url = ARG.sub(lambda m, v=values: str(v[m.group(3)]), rule.rule)
            out += [(rule.endpoint, method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return out


def _answers(login_as, roles, requests):
    """Requests whose answer is not 404 (or 403 for a role the page's policy leaves out)."""
    wrong = []
    for role in roles:
        c = login_as(role)
        for endpoint, method, url in requests:
            expected = 404 if role in RULES[policy_of(endpoint)] else 403
            r = c.get(url) if method == "GET" else c.post_form(url, {"active": "1", "status": "closed"},
                                                                token_from="/settings")
            if r.status_code != expected:
                wrong.append((role, method, url, r.status_code, expected))
    return wrong


def test_another_schools_records_do_not_exist(request, app, world, login_as):
    ids = _all_ids(request, world)
    with app.test_request_context():
        requests = _requests(ids, FAR)
    assert len({e for e, _m, _u in requests}) >= 60
    assert _answers(login_as, ROLES, requests) == []


def test_a_teacher_finds_no_student_need_or_pair_of_another_class(request, app, world, login_as):
    ids = _all_ids(request, world)
    with app.test_request_context():
        requests = _requests(ids, NOT_THEIR_CLASS, every_route=False)
    assert len(requests) >= 10
    assert _answers(login_as, ["teacher"], requests) == []
