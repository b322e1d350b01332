"""The words a user reads: one English id with two meanings gets a context; the audit log speaks Chinese and finds
Chinese words; a prompt says what it guards; staff reading a volunteer's page are not addressed as the volunteer;
dates in messages are written as people write them; the site has an icon."""
import re
from pathlib import Path

from sqlalchemy import select

from portal.audit.labels import ACTIONS
from portal.audit.models import AuditEntry
from portal.core.clock import local_today
from portal.core.display import cn_day
from portal.extensions import db
from tests import factories
from tests.factories import zh, zh_in
from tests.helpers import menu_categories

PORTAL = Path(__file__).resolve().parents[1] / "portal"
LITERAL_ACTION = re.compile(r"\brecord\([^,]+,\s*\"([a-z_]+\.[a-z_.]+)\"")


def test_waiting_means_to_match_on_the_matching_list_and_to_approve_on_the_queue(world, login_as):
    cats = menu_categories(world)
    factories.need(world.pupil, cats.study, world.users["coordinator"])
    factories.hour_entry(world.volunteer, world.users["coordinator"])
    c = login_as("coordinator")

    matching = c.get("/matching/").get_data(as_text=True)
    queue = c.get("/hours/queue").get_data(as_text=True)

    assert zh_in("matching", "%(n)d waiting", n=1) == "待对接 1 条" and "待对接 1 条" in matching
    assert "待审核" not in matching
    assert zh_in("hours", "%(n)d waiting", n=1) == "待审核 1 条" and "待审核 1 条" in queue


def test_the_audit_log_says_in_chinese_who_did_what_to_whom_and_finds_chinese_words(world, login_as):
    coord = login_as("coordinator")
    assert coord.get(f"/people/students/{world.pupil.id}").status_code == 200
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "student.sensitive.view"))
    admin = login_as("admin")

    page = admin.get("/admin/audit").get_data(as_text=True)
    found = admin.get("/admin/audit?q=敏感", headers={"HX-Request": "true"}).get_data(as_text=True)

    rows = re.sub(r'title="[^"]*"', "", page.split("<tbody>")[1])
    assert zh("Viewed a student's sensitive data") == "查看学生敏感信息" and "查看学生敏感信息" in rows
    assert f"{zh('Student')} {world.pupil.name}" in rows
    assert "student.sensitive.view" not in rows and "Student #" not in rows
    assert "查看学生敏感信息" in found and zh("Logged in") not in found.split("<tbody>")[1]
    assert zh("Logged in") in admin.get("/admin/audit?q=登录").get_data(as_text=True).split("<tbody>")[1]


def test_every_action_the_code_records_has_words():
    recorded = {m.group(1) for path in PORTAL.rglob("*.py") for m in LITERAL_ACTION.finditer(path.read_text("utf-8"))}
    assert recorded and sorted(recorded - set(ACTIONS)) == []
    # A label is lazy_gettext(msgid) or, for an id with more than one meaning, lazy_pgettext(context, msgid).
    untranslated = [code for code, label in ACTIONS.items()
                    if (zh_in if len(label._args) == 2 else zh)(*label._args) == label._args[-1]]
    assert untranslated == []


def test_the_password_prompt_says_what_it_guards(world, login_as):
    c = login_as("coordinator")
    with c.http.session_transaction() as sess:
        sess["auth_at"] = 0
    volunteers = c.get(c.get(f"/hours/recognition.xlsx?year={local_today().year}").headers["Location"])
    children = c.get(c.get("/needs/export.xlsx").headers["Location"])

    assert zh("This export contains personal data. Please enter your password again to continue.") in \
        volunteers.get_data(as_text=True)
    assert "children" not in zh("This export contains personal data. Please enter your password again to continue.")
    assert zh("This export contains personal data of children. Please enter your password again to continue.") in \
        children.get_data(as_text=True)


def test_staff_reading_a_volunteers_hours_are_told_about_the_volunteer(world, login_as):
    for _ in range(5):
        factories.hour_entry(world.volunteer, world.users["coordinator"], hours="10", status="approved")
    staff = login_as("coordinator").get(f"/hours/volunteers/{world.volunteer.id}").get_data(as_text=True)
    own = login_as("volunteer").get("/hours/").get_data(as_text=True)

    assert "您" not in staff.split("<main")[1].split("</main>")[0]
    assert zh("This year %(name)s has reached “%(level)s”.", name=world.volunteer.name, level="一星志愿者") in staff
    assert zh("This year you have reached “%(level)s”.", level="一星志愿者") in own


def test_dates_in_messages_are_written_as_people_write_them(world, login_as):
    day = local_today()
    c = login_as("coordinator")
    token = re.search(r'name="submit_token"[^>]*value="([0-9a-f]{32})"', c.get("/hours/new").get_data(as_text=True))
    r = c.post_form("/hours/new", {"volunteer_id": str(world.volunteer.id), "worked_on": day.isoformat(), "hours": "2",
                                   "activity": "lecture", "submit_token": token.group(1)}, token_from="/hours/new")
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert cn_day(day) in page and f"{day.year}年{day.month}月{day.day}日" in cn_day(day)
    assert day.isoformat() not in page.split('<div id="flash"')[1].split("</div>")[0]


def test_the_site_has_an_icon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype == "image/vnd.microsoft.icon" and r.data[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
