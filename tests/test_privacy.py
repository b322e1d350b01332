"""Support tags and family notes never reach a volunteer's or a parent's page (issue 4, DESIGN §5).

Every GET route the role may use is found in app.url_map, filled with the world's records, and fetched
as a full page and as an htmx partial; the forms a role can send are sent too. No support-tag word
and no family-notes text may appear in any response. A route added later is walked automatically;
one with a URL parameter this test cannot fill makes it fail until the parameter is added here.
"""
import itertools
import re
import secrets

import pytest

from portal.people.models import DEFAULT_SUPPORT_TAGS
from portal.permissions import PUBLIC, RULES, policy_of
from tests import factories
from tests.factories import zh

# The set-up checks families in at sessions days away: the door's hours are tested in tests/parent_school.
pytestmark = pytest.mark.usefixtures("door_always_open")

FAMILY_NOTES = "父母离异，由奶奶照看"
SENSITIVE = (*DEFAULT_SUPPORT_TAGS, FAMILY_NOTES, "父母离异", "特殊群体")

# Extra query strings worth fetching for a list page (filters, all statuses, page 2).
VARIANTS = {
    "help.index": ["?status=", "?status=need", "?status=answered", "?status=new", "?page=2"],
    "offers.index": ["?status=", "?status=paused", "?sort=free", "?q=数学", "?free_only=1", "?page=2"],
    "hours.index": ["?page=1", "?page=2"],
    "hours.new": ["?activity=pair_visit", "?worked_on=2026-03-05"],
    "events.index": ["?which=past", "?which=all", "?q=阅读"],
    "calendar.index": ["?period=2026", "?period=2027"],
}


def leaks(html: str) -> list[str]:
    return [w for w in SENSITIVE if w in html]


@pytest.fixture
def data(world):
    """Tagged children with needs, help requests in every state, offers; the family has notes after consent."""
    coord, teacher, parent = world.users["coordinator"], world.users["teacher"], world.users["parent"]
    assert world.pupil.active_consent is not None
    world.family.notes = FAMILY_NOTES
    world.stranger.support_tags = [factories.tag(world.school, t) for t in DEFAULT_SUPPORT_TAGS]
    from portal.extensions import db
    db.session.commit()
    study, mind = factories.category(world.school, "学业辅导"), factories.category(world.school, "心理疏导")
    for student in (world.pupil, world.stranger):
        factories.need(student, mind, coord, detail=f"{student.name}需要每周谈心", urgency=3)
        factories.need(student, study, teacher, detail="数学辅导", status="matched")
    factories.need(world.pupil, study, teacher, detail="已结束", status="closed", close_reason="家长自行安排")
    converted = factories.need(world.pupil, mind, coord, detail="由求助转来")
    help_new = factories.help_request(world.pupil, mind, parent, detail="孩子最近不爱说话")
    help_need = factories.help_request(world.pupil, mind, parent, detail="想请人辅导数学", status="need",
                                       need_id=converted.id)
    help_done = factories.help_request(world.pupil, study, parent, detail="作业太多怎么办", status="answered",
                                       reply="已和班主任沟通，作业量会调整。")
    other_vol = factories.volunteer(world.school, "李建华")
    mine = [factories.offer(world.volunteer, mind, coord, skills="谈心", capacity=2, used=1, on_behalf=True),
            factories.offer(world.volunteer, study, world.users["volunteer"], status="paused")]
    factories.offer(other_vol, mind, coord)
    pairs = _pairs_with_visits(world, coord, mind, mine[0], factories.offer(other_vol, study, coord, capacity=3))
    events = _events(world, coord, other_vol)
    announced = _announcements(world, coord)
    return {
        "volunteer": {"offer_id": [o.id for o in mine], "pair_id": pairs, **_hours(world, coord, teacher, other_vol),
                      **events["volunteer"], "notice_id": _notice(world.users["volunteer"], "hours.approved"),
                      "announcement_id": announced},
        "parent": {"help_id": [help_new.id, help_need.id, help_done.id], **_parent_school(world, coord),
                   **events["parent"], "notice_id": _notice(parent, "help.answered", f"/help/{help_done.id}"),
                   "announcement_id": announced},
    }


def _notice(reader, kind, url="") -> list[int]:
    """A notice of the reader's own, opened as the notice centre opens it (it leads to what it is about)."""
    from portal.extensions import db
    from portal.notices.models import Notice
    from portal.notices.services import notify

    notify([reader], kind, "privacy:1", lambda: "您有一条新消息。", url)
    db.session.commit()
    return [db.session.scalar(db.select(Notice.id).where(Notice.user_id == reader.id))]


def _announcements(world, coord) -> list[int]:
    """The office's announcement to the tagged pupil's class (asking for a confirmation) and to the volunteers: each
    role opens the one sent to it, and is refused the other."""
    from portal.announcements.services import send

    return [send(coord, {"audience": audience, "title": "家长会", "body": "请准时参加。", "confirm": True})[0].id
            for audience in (f"class:{world.own_class.id}", "volunteers")]


def _events(world, coord, other_vol) -> dict:
    """Events the tagged pupil's family registered for (one it waits for, one cancelled with a reason), one the
    volunteer helps at with the tagged children's families registered, one closed to both roles, another school's;
    and each role's private calendar feed, with an unknown token."""
    from datetime import timedelta

    from portal.events.feed import feed_token
    from portal.events.models import Event, EventHelper
    from portal.extensions import db
    from portal.registrations.services import local_now, register

    start = (local_now() + timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0)

    def event(school, title, **kw):
        e = Event(school_id=school.id, title=title, kind="红色故事会", starts_at=start, ends_at=start + timedelta(hours=2),
                  created_by_id=coord.id, deadline=start - timedelta(days=1), **kw)
        db.session.add(e)
        db.session.commit()
        return e

    reading = event(world.school, "亲子阅读会", for_parents=True, for_volunteers=True, capacity=5, helpers_needed=2,
                    place="学校图书馆")
    full = event(world.school, "参观革命纪念馆", for_parents=True, capacity=1, audience_grades="3")
    called_off = event(world.school, "亲子运动会", for_parents=True, capacity=5)
    closed = event(world.school, "行政会议", audience_grades="6")
    far = event(world.far, "远方的活动", for_parents=True, for_volunteers=True, capacity=5)
    neighbour = factories.student(world.own_class, "李小华", family=factories.family(world.school, "李家"))
    register(full, neighbour, coord)
    register(reading, neighbour, coord)
    for e in (reading, full, called_off):
        register(e, world.pupil, world.users["parent"])
    called_off.status, called_off.cancel_reason = "cancelled", "场地检修，改期另行通知"
    for v in (world.volunteer, other_vol):
        db.session.add(EventHelper(school_id=world.school.id, event_id=reading.id, volunteer_id=v.id, role="helper",
                                   added_by_id=coord.id))
    db.session.commit()
    ids = [reading.id, full.id, called_off.id, closed.id, far.id]
    return {role: {"event_id": ids, "token": [feed_token(world.users[role]), "no-such-token"]}
            for role in ("volunteer", "parent")}


def _parent_school(world, coord) -> dict:
    """The family's parent school: a course it completed (with feedback), a session it waits for, one the school
    cancelled; a neighbour's registration and another school's course, which the parent must not open."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.parent_school.services import save_feedback, set_status
    from portal.registrations.services import check_in_registration, local_now, register

    parent = world.users["parent"]
    done = factories.course(world.school, coord, title="好家长沟通课", grades=(3,), sessions_required=1)
    start = (local_now() - timedelta(days=2)).replace(hour=19, minute=0, second=0, microsecond=0)
    past = factories.course_session(done, starts_at=start)
    attended, _ = register(past, world.pupil, parent, now=start - timedelta(days=3))
    check_in_registration(attended, coord)
    save_feedback(attended, 5, "很有收获", parent)
    db.session.commit()
    full = factories.course_session(factories.course(world.school, coord, title="亲子阅读课", grades=()), capacity=1)
    neighbour = factories.student(world.own_class, "李小华", family=factories.family(world.school, "李家"))
    theirs, _ = register(full, neighbour, coord)
    waiting, _ = register(full, world.pupil, parent)
    cancelled = factories.course_session(done, capacity=5)
    called_off, _ = register(cancelled, world.pupil, parent)
    set_status(cancelled, "cancelled", coord, "讲师临时有事")
    far = factories.course(world.far, factories.user(world.far, "coordinator", "far-privacy-coord"))
    return {"session_id": [past.id, full.id, cancelled.id, factories.course_session(far).id],
            "registration_id": [attended.id, waiting.id, called_off.id, theirs.id],
            "course_id": [done.id, far.id]}


def _pairs_with_visits(world, coord, category, offer, other_offer) -> list[int]:
    """The volunteer's pair with the tagged pupil, with a visit; and a group pair of another volunteer."""
    from datetime import datetime

    from portal.core.clock import SHANGHAI
    from portal.pairs.services import add_visit, create_pair

    today = datetime.now(SHANGHAI).date()
    mine, _ = create_pair(coord, [factories.need(world.pupil, category, coord, detail="需要有人陪伴谈心")], [offer], today)
    add_visit(world.users["volunteer"], mine, world.volunteer.id,
              {"visited_on": today, "mode": "home", "hours": "1", "content": "家访，聊了学校的事", "follow_up": "下周再来"},
              today)
    group, _ = create_pair(coord, [factories.need(s, other_offer.category, coord) for s in (world.pupil, world.stranger)],
                           [other_offer], today)
    return [mine.id, group.id]


def _hours(world, coord, teacher, other_vol) -> dict:
    """The volunteer's ledger: the claim of their visit with the tagged pupil, an entry at an event, one sent
    back, one approved and corrected (with its reversal); a service record; and another volunteer's entry and
    record, which the volunteer must not open."""
    from datetime import datetime

    from sqlalchemy import select

    from portal.core.clock import SHANGHAI
    from portal.extensions import db
    from portal.hours.ledger import reverse
    from portal.hours.models import HourEntry
    from portal.hours.recognition import issue_record

    today = datetime.now(SHANGHAI).date()
    claim = db.session.scalar(select(HourEntry).where(HourEntry.volunteer_id == world.volunteer.id))
    event = factories.event(world.school, "家长开放日", leads=[teacher], day=today)
    at_event = factories.hour_entry(world.volunteer, coord, "2", day=today, event_id=event.id, activity="event",
                                    note="签到处帮忙", status="approved")
    sent_back = factories.hour_entry(world.volunteer, coord, "1", day=today, status="rejected", reason="重复登记")
    corrected = factories.hour_entry(world.volunteer, coord, "3", day=today, status="approved", pair_id=claim.pair_id,
                                     activity="pair_visit", note="辅导数学")
    reversal = reverse(coord, corrected, "多记了一小时", "2", today)
    theirs = factories.hour_entry(other_vol, coord, "2", day=today, status="approved", note="别人的服务")
    return {"entry_id": [claim.id, at_event.id, sent_back.id, corrected.id, reversal.id, theirs.id],
            "record_id": [issue_record(coord, world.volunteer, today, today, today).id,
                          issue_record(coord, other_vol, today, today, today).id]}


def reachable_gets(app, role, params) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET route the role may use, each parameter filled from params."""
    out = []
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "home.favicon"):  # files, never data
                continue
            policy = policy_of(rule.endpoint)
            if policy != PUBLIC and role not in RULES[policy]:
                continue
            names = sorted(rule.arguments - set(rule.defaults or {}))
            unknown = [n for n in names if n not in params]
            assert not unknown, f"{rule.rule}: add ids for {unknown} to the privacy test's data for {role}"
            for combo in itertools.product(*(params[n] for n in names)):
                url = rule.build({**(rule.defaults or {}), **dict(zip(names, combo, strict=True))})[1]
                out += [(rule.endpoint, url)] + [(rule.endpoint, url + q) for q in VARIANTS.get(rule.endpoint, [])]
    return out


def readable(r) -> str:
    """A response as text: an Excel file by its cells."""
    if r.mimetype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        return r.get_data(as_text=True)
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(r.data))
    return " ".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def fetch_all(c, pages):
    """Each page as a full page and as an htmx partial: (label, response)."""
    for endpoint, url in pages:
        for htmx in (False, True):
            r = c.get(url, headers={"HX-Request": "true"} if htmx else {})
            yield f"{'htmx ' if htmx else ''}GET {url} ({endpoint})", r


@pytest.mark.parametrize("role", ["volunteer", "parent"])
def test_no_tag_word_or_family_note_on_any_page_the_role_can_reach(app, login_as, world, data, role):
    c = login_as(role)
    pages = reachable_gets(app, role, data[role])
    endpoints = {e for e, _ in pages}
    assert {"volunteer": {"offers.index", "offers.card", "offers.edit", "offers.new", "home.volunteer", "hours.index",
                          "hours.new", "hours.entry", "hours.service_record", "events.index", "events.show",
                          "calendar.index", "calendar.print_view", "calendar.export", "calendar.feed",
                          "calendar.feed_ics"},
            "parent": {"help.index", "help.show", "help.new", "home.family", "parent_school.index",
                       "parent_school.session", "parent_school.ics", "parent_school.certificate", "events.index",
                       "events.show", "calendar.feed", "calendar.feed_ics"}}[role] <= endpoints
    seen = ""
    for label, r in fetch_all(c, pages):
        assert r.status_code < 500, label
        html = readable(r)
        assert leaks(html) == [], label
        seen += html
    # The pages did show these children's and this volunteer's records, so the check had something to find.
    if role == "parent":
        assert "王小明" in seen and "孩子最近不爱说话" in seen and "已和班主任沟通" in seen
        assert zh("The committee office has taken this on and is arranging help. You will be contacted.") in seen
        # The parent-school pages were opened: the completed course's certificate, the waiting list, the
        # cancelled session.
        assert zh("Parent school certificate") in seen and zh("Waiting list no. %(n)d", n=1) in seen
        assert "讲师临时有事" in seen and "好家长沟通课" in seen and "亲子阅读课" in seen
        # The event pages and the feed were opened: a registration, a waiting place, a cancelled event.
        assert zh("Waiting list no. %(n)d", n=1) in seen and "场地检修，改期另行通知" in seen
        assert "BEGIN:VEVENT" in seen and "SUMMARY:亲子阅读会" in seen and "行政会议" not in seen
    else:
        assert "谈心" in seen and "张建国" in seen
        # The hours pages were opened and showed the volunteer's ledger, the pair with the tagged pupil included.
        assert zh("My service hours") in seen and "签到处帮忙" in seen and "多记了一小时" in seen
        assert "王小明 · 心理疏导" in seen and zh("Volunteer service record") in seen
        assert "别人的服务" not in seen
        # The event the volunteer helps at, on its page and in the feed; the families registered stay unnamed.
        assert "亲子阅读会" in seen and "SUMMARY:亲子阅读会" in seen and "行政会议" not in seen
        assert "王小明家" not in seen and "李小华" not in seen


def test_no_tag_word_in_what_a_volunteer_gets_back_from_a_form(login_as, world, data):
    c = login_as("volunteer")
    offer_id = data["volunteer"]["offer_id"][0]
    cat = re.search(r'<option value="(\d+)">心理疏导', c.get("/offers/new").get_data(as_text=True)).group(1)
    responses = {
        "bad new offer": c.post_form("/offers/new", {"submit_token": secrets.token_hex(16), "category_id": "0",
                                                     "capacity": "0", "detail": "\x00"}, token_from="/offers/new"),
        "new offer": c.post_form("/offers/new", {"submit_token": secrets.token_hex(16), "category_id": cat,
                                                 "capacity": "2", "available": "y"}, token_from="/offers/new"),
        "inline edit": c.http.post(f"/offers/{offer_id}/edit", headers={"HX-Request": "true"},
                                   data={f"e{offer_id}-csrf_token": c.csrf("/offers/"), f"e{offer_id}-capacity": "3",
                                         f"e{offer_id}-category_id": cat, f"e{offer_id}-available": "y"}),
        "bad inline edit": c.http.post(f"/offers/{offer_id}/edit", headers={"HX-Request": "true"},
                                       data={f"e{offer_id}-csrf_token": c.csrf("/offers/"),
                                             f"e{offer_id}-capacity": "0"}),
        "pause": c.http.post(f"/offers/{offer_id}/status", headers={"HX-Request": "true"},
                             data={"status": "paused", "csrf_token": c.csrf("/offers/")}),
    }
    for label, r in responses.items():
        assert r.status_code < 500, label
        assert leaks(r.get_data(as_text=True)) == [], label


def test_no_tag_word_in_what_a_volunteer_gets_back_from_an_hours_form(login_as, world, data):
    c = login_as("volunteer")
    page = c.get("/hours/new").get_data(as_text=True)
    pair_id = data["volunteer"]["pair_id"][0]
    assert f'<option value="{pair_id}">' in page  # the pair with the tagged pupil is offered
    base = {"worked_on": "", "hours": "1", "activity": "pair_visit", "pair_id": str(pair_id), "note": "陪孩子聊天"}
    entry_id = data["volunteer"]["entry_id"][0]
    responses = {
        "bad hours": c.post_form("/hours/new", {**base, "submit_token": secrets.token_hex(16), "note": "\x00"},
                                 token_from="/hours/new"),
        "another volunteer's pair": c.post_form("/hours/new", {**base, "submit_token": secrets.token_hex(16),
                                                               "pair_id": str(data["volunteer"]["pair_id"][1])},
                                                token_from="/hours/new"),
        "hours": c.post_form("/hours/new", {**base, "submit_token": secrets.token_hex(16), "worked_on": "2026-01-01"},
                             token_from="/hours/new"),
        "pair field": c.get("/hours/new", headers={"HX-Request": "true", "HX-Target": "pair-field"}),
        "correction": c.post_form(f"/hours/{entry_id}", {"reason": "改", "corrected": "2"}, token_from="/hours/new"),
    }
    responses["after saving"] = c.get("/hours/")
    for label, r in responses.items():
        assert r.status_code < 500, label
        assert leaks(r.get_data(as_text=True)) == [], label
    assert "王小明 · 心理疏导" in responses["pair field"].get_data(as_text=True)


def test_no_tag_word_in_what_a_parent_gets_back_from_a_form(login_as, world, data):
    c = login_as("parent")
    form = c.get("/help/new").get_data(as_text=True)
    cat = re.search(r'<option value="(\d+)">心理疏导', form).group(1)
    base = {"student_id": str(world.pupil.id), "category_id": cat, "detail": "孩子想找人聊聊", "urgency": "1",
            "contact_method": "微信"}
    responses = {
        "bad request": c.post_form("/help/new", {**base, "submit_token": secrets.token_hex(16), "detail": ""},
                                   token_from="/help/new"),
        "another child": c.post_form("/help/new", {**base, "submit_token": secrets.token_hex(16),
                                                   "student_id": str(world.stranger.id)}, token_from="/help/new"),
        "request": c.post_form("/help/new", {**base, "submit_token": secrets.token_hex(16)}, token_from="/help/new"),
    }
    responses["its page"] = c.get(responses["request"].headers["Location"])
    for label, r in responses.items():
        assert r.status_code < 500, label
        assert leaks(r.get_data(as_text=True)) == [], label
    assert "赵小红" not in responses["another child"].get_data(as_text=True)


def test_the_check_finds_tags_and_notes_where_staff_may_see_them(app, login_as, world, data):
    """The detector is not blind: the same walk over staff pages does find the words."""
    c = login_as("coordinator")
    need_page = next(r for label, r in fetch_all(c, [("needs.index", "/needs/")]) if "htmx" in label)
    ids = re.findall(r'id="need-(\d+)"', need_page.get_data(as_text=True))
    found = set()
    for _, r in fetch_all(c, [("needs.show", f"/needs/{i}") for i in ids]
                          + [("people.student", f"/people/students/{world.pupil.id}")]):
        found |= set(leaks(r.get_data(as_text=True)))
    assert {"留守", "单亲", FAMILY_NOTES} <= found
    # And a leak into a page the volunteer reaches would be caught: render one with a tag word in it.
    offer_id = data["volunteer"]["offer_id"][0]
    from portal.extensions import db
    from portal.offers.models import Offer

    db.session.get(Offer, offer_id).detail = "这个孩子是留守儿童"
    db.session.commit()
    html = login_as("volunteer").htmx(f"/offers/{offer_id}/card").get_data(as_text=True)
    assert leaks(html) == ["留守"]


def test_no_tag_word_in_what_a_family_or_a_volunteer_gets_back_from_an_event_form(login_as, world, data):
    from sqlalchemy import select

    from portal.events.models import EventHelper
    from portal.extensions import db
    from portal.registrations.models import Registration

    reading, full, called_off = data["parent"]["event_id"][:3]
    waiting = db.session.scalar(select(Registration.id).where(Registration.event_id == full,
                                                              Registration.family_id == world.family.id))
    p = login_as("parent")
    responses = {
        "register again": p.post_form(f"/events/{reading}/register", {}, token_from=f"/events/{reading}"),
        "register for a cancelled event": p.post_form(f"/events/{called_off}/register", {}, token_from="/events/"),
        "leave the waiting list": p.post_form(f"/events/registrations/{waiting}/cancel", {}, token_from="/events/"),
    }
    v = login_as("volunteer")
    mine = db.session.scalar(select(EventHelper.id).where(EventHelper.event_id == reading,
                                                          EventHelper.volunteer_id == world.volunteer.id))
    responses |= {
        "sign up again": v.post_form(f"/events/{reading}/sign-up", {"role": "helper"}, token_from="/events/"),
        "withdraw": v.post_form(f"/events/helpers/{mine}/withdraw", {}, token_from="/events/"),
        "renew the feed": v.post_form("/calendar/feed", {}, token_from="/calendar/feed"),
    }
    for label, r in responses.items():
        assert r.status_code == 302, label
        client = v if label in ("sign up again", "withdraw", "renew the feed") else p
        page = client.get(r.headers["Location"])
        assert page.status_code == 200, label
        assert leaks(page.get_data(as_text=True)) == [], label
