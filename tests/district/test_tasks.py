"""Tasks down, returns up: a unit's officer sends a task with its attachment to the schools under the unit; each
school's office reads it, drafts and submits its return with entries and files; the officer sends one back, approves,
reminds the late, judges the entries and publishes the results; the entries and their files export. Files are
checked by their content, stored under names of the portal's own and served only to who may see them."""
import io
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.district import files
from portal.district.models import Task, TaskEntry, TaskFile, TaskReturn
from portal.extensions import db
from portal.notices.models import Notice
from tests import factories
from tests.factories import zh
from tests.helpers import audits


def docx(text="作文") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document>{text}</w:document>")
    return out.getvalue()


NOTICE = docx("通知")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
DEADLINE = (date.today() + timedelta(days=14)).isoformat()


@pytest.fixture
def second(world):
    """A second school under the bureau, with its office."""
    s = factories.school("滨湖区第二实验学校")
    s.unit_id = world.unit.id
    db.session.commit()
    return s, factories.user(s, "coordinator", "second-office")


def send_task(client, **extra):
    data = {"kind": "competition", "title": "“强国有我”读书征文", "body": "各校选送优秀征文不超过5篇。",
            "due_on": DEADLINE, "parts": ["entries", "summary"], **extra}
    files_ = extra.pop("attachments", [(io.BytesIO(NOTICE), "征文通知.docx")])
    data["attachments"] = files_
    return client.post_form("/district/tasks/new", data, token_from="/district/tasks/new",
                            content_type="multipart/form-data")


def the_task() -> Task:
    return db.session.scalar(select(Task).order_by(Task.id.desc()))


def return_of(task, school) -> TaskReturn:
    db.session.expire_all()
    return db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id, TaskReturn.school_id == school.id))


def office_post(client, task, data, **kw):
    return client.post_form(f"/tasks/{task.id}", data, token_from=f"/tasks/{task.id}", **kw)


def add_entry(client, task, title, author, upload=None):
    data = {"do": "entry", "entry-title": title, "entry-author": author, "entry-class_name": "五年级2班",
            "entry-teacher": "周老师"}
    if upload:
        data["entry-file"] = upload
    return office_post(client, task, data, content_type="multipart/form-data")


def test_a_task_reaches_every_school_of_the_unit_with_its_attachment_and_a_notice(world, second, login_as):
    school2, office2 = second
    r = send_task(login_as("unit_officer"))
    assert r.status_code == 302
    task = the_task()
    assert {ret.school_id for ret in db.session.scalars(select(TaskReturn).where(TaskReturn.task_id == task.id))} == {
        world.school.id, school2.id}
    assert all(ret.state == "unread" for ret in db.session.scalars(select(TaskReturn)))
    told = set(db.session.scalars(select(Notice.user_id).where(Notice.kind == "task.new")))
    assert told == {world.users["admin"].id, world.users["coordinator"].id, office2.id}
    attachment = task.attachments[0]
    assert attachment.original_name == "征文通知.docx" and attachment.stored_name != "征文通知.docx"
    assert files.path_of(attachment.stored_name).read_bytes() == NOTICE
    # The schools' offices download it; a class teacher of the school, or another district's office, does not.
    home = login_as("coordinator")
    assert home.get(f"/district/files/{attachment.id}").data == NOTICE
    assert login_as("teacher").get(f"/district/files/{attachment.id}").status_code == 403
    far_office = factories.user(world.far, "coordinator", "far-office")
    from tests.district.test_views import login_as_user
    assert login_as_user(far_office).get(f"/district/files/{attachment.id}").status_code == 404
    assert login_as_user(far_office).get(f"/tasks/{task.id}").status_code == 404
    assert world.far.name not in login_as("unit_officer").get(f"/district/tasks/{task.id}").get_data(as_text=True)
    assert "“强国有我”读书征文" in home.get("/tasks/").get_data(as_text=True)


@pytest.mark.parametrize(("name", "blob"), [("通知.pdf", b"MZ\x90\x00 not a pdf"), ("通知.docx", b"PK\x03\x04broken"),
                                             ("photo.jpg", JPEG)])
def test_an_attachment_that_is_not_a_document_is_refused_and_nothing_is_kept(world, login_as, tmp_path, name, blob):
    before = set(files.folder().iterdir())
    r = send_task(login_as("unit_officer"), attachments=[(io.BytesIO(blob), name)])
    assert r.status_code == 200
    assert zh("This file cannot be taken: only %(kinds)s files are.", kinds="DOCX、PDF、XLSX") in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    assert set(files.folder().iterdir()) == before


def test_an_oversized_attachment_is_refused_in_chinese(world, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "DISTRICT_FILE_MAX_BYTES", 100)
    r = send_task(login_as("unit_officer"), attachments=[(io.BytesIO(PDF + b"x" * 200), "大.pdf")])
    assert zh("The file is larger than %(n)d MB. Please send a smaller one.", n=0) in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_a_task_sent_twice_by_a_double_tap_is_one_task_and_a_past_deadline_is_refused(world, login_as):
    officer = login_as("unit_officer")
    assert send_task(officer).status_code == 302
    assert send_task(officer).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1
    r = send_task(officer, title="另一个", due_on=(date.today() - timedelta(days=1)).isoformat())
    assert zh("The deadline has passed already.") in r.get_data(as_text=True)


def test_the_office_reads_drafts_and_submits_and_cannot_change_a_submitted_return(world, login_as):
    send_task(login_as("unit_officer"))
    task = the_task()
    office = login_as("coordinator")
    assert office_post(office, task, {"do": "read"}).status_code == 302
    assert return_of(task, world.school).state == "read"
    r = office_post(office, task, {"do": "submit", "summary": ""})
    assert zh("Not submitted: the return still needs %(what)s.",
              what="、".join([zh("the written summary"), zh("at least one entry")])) in r.get_data(as_text=True)
    assert add_entry(office, task, "我的祖国", "王小明", (io.BytesIO(docx("征文")), "我的祖国.docx")).status_code == 302
    assert add_entry(office, task, "光荣的少先队员", "李小红").status_code == 302
    r = office_post(office, task, {"do": "submit", "summary": "本校共收到征文86篇，选送2篇。"})
    assert r.status_code == 302
    ret = return_of(task, world.school)
    assert (ret.state, ret.summary, len(ret.entries)) == ("submitted", "本校共收到征文86篇，选送2篇。", 2)
    assert ret.entries[0].file.original_name == "我的祖国.docx"
    r = add_entry(office, task, "迟到的作品", "赵小刚")
    assert zh("The return is submitted: it can be changed only if the unit sends it back.") in r.get_data(as_text=True)
    assert len(return_of(task, world.school).entries) == 2
    assert audits("task.submitted")


def test_a_wrong_entry_file_is_refused_and_the_entry_not_half_saved(world, login_as):
    send_task(login_as("unit_officer"))
    task = the_task()
    before = set(files.folder().iterdir())
    r = add_entry(login_as("coordinator"), task, "我的祖国", "王小明", (io.BytesIO(b"#!/bin/sh\necho hi"), "作文.docx"))
    assert zh("This file cannot be taken: only %(kinds)s files are.", kinds="DOCX、PDF、XLSX、JPEG、PNG") in r.get_data(
        as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TaskEntry)) == 0
    assert set(files.folder().iterdir()) == before


def test_sent_back_with_a_reason_fixed_and_resubmitted_then_approved(world, second, login_as):
    school2, _office2 = second
    officer = login_as("unit_officer")
    send_task(officer)
    task = the_task()
    office = login_as("coordinator")
    add_entry(office, task, "我的祖国", "王小明")
    office_post(office, task, {"do": "submit", "summary": "选送1篇。"})
    ret = return_of(task, world.school)
    r = officer.post_form(f"/district/tasks/{task.id}/returns/{ret.id}", {"do": "back", "reason": ""},
                          token_from=f"/district/tasks/{task.id}/returns/{ret.id}")
    assert r.status_code == 200 and return_of(task, world.school).state == "submitted"
    r = officer.post_form(f"/district/tasks/{task.id}/returns/{ret.id}", {"do": "back", "reason": "请补充作品的指导教师。"},
                          token_from=f"/district/tasks/{task.id}/returns/{ret.id}")
    assert r.status_code == 302
    assert (return_of(task, world.school).state, return_of(task, world.school).returned_reason) == (
        "returned", "请补充作品的指导教师。")
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "task.returned")) == 2
    page = office.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "请补充作品的指导教师。" in page
    add_entry(office, task, "新的作品", "李小红")
    assert office_post(office, task, {"do": "submit", "summary": "选送2篇。"}).status_code == 302
    assert return_of(task, world.school).state == "submitted"
    r = officer.post_form(f"/district/tasks/{task.id}/returns/{ret.id}", {"do": "approve"},
                          token_from=f"/district/tasks/{task.id}/returns/{ret.id}")
    assert r.status_code == 302 and return_of(task, world.school).state == "approved"
    # A return of another school, or of the school under another task, is not at this address.
    other = return_of(task, school2)
    assert officer.get(f"/district/tasks/{task.id}/returns/{other.id}").status_code == 200
    assert officer.get(f"/district/tasks/{task.id + 1}/returns/{ret.id}").status_code == 404


def test_a_school_never_sees_another_schools_return_or_its_files(world, second, login_as, app):
    from tests.district.test_views import login_as_user

    school2, office2 = second
    send_task(login_as("unit_officer"))
    task = the_task()
    add_entry(login_as("coordinator"), task, "我的祖国", "王小明", (io.BytesIO(docx()), "我的祖国.docx"))
    mine = return_of(task, world.school)
    entry, upload = mine.entries[0], mine.entries[0].file
    other = login_as_user(office2)
    page = other.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "我的祖国" not in page and "王小明" not in page
    assert other.get(f"/district/files/{upload.id}").status_code == 404
    assert other.post_form(f"/tasks/{task.id}/entries/{entry.id}/delete", {}, token_from=f"/tasks/{task.id}").status_code == 404
    assert other.post_form(f"/tasks/{task.id}/files/{upload.id}/delete", {}, token_from=f"/tasks/{task.id}").status_code == 404
    assert db.session.get(TaskEntry, entry.id) is not None
    # And a school's office does not reach the unit's pages.
    assert other.get(f"/district/tasks/{task.id}").status_code == 403


def test_reminding_reaches_only_the_schools_not_yet_submitted_once_a_day(world, second, login_as):
    school2, office2 = second
    officer = login_as("unit_officer")
    send_task(officer, parts=["summary"])
    task = the_task()
    office_post(login_as("coordinator"), task, {"do": "submit", "summary": "已开展。"})
    r = officer.post_form(f"/district/tasks/{task.id}/remind", {}, token_from=f"/district/tasks/{task.id}")
    assert zh("%(n)d schools reminded.", n=1) in officer.get(r.headers["Location"]).get_data(as_text=True)
    reminded = set(db.session.scalars(select(Notice.user_id).where(Notice.kind == "task.reminder")))
    assert reminded == {office2.id}
    officer.post_form(f"/district/tasks/{task.id}/remind", {}, token_from=f"/district/tasks/{task.id}")
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "task.reminder")) == 1


def test_entries_are_judged_published_to_the_schools_and_exported_with_their_files(world, second, login_as):
    school2, office2 = second
    from tests.district.test_views import login_as_user

    officer = login_as("unit_officer")
    send_task(officer)
    task = the_task()
    office = login_as("coordinator")
    add_entry(office, task, "我的祖国", "王小明", (io.BytesIO(docx("祖国")), "我的祖国.docx"))
    office_post(office, task, {"do": "submit", "summary": "选送1篇。"})
    other = login_as_user(office2)
    add_entry(other, task, "家乡的河", "钱小宝", (io.BytesIO(PDF), "家乡的河.pdf"))
    office_post(other, task, {"do": "submit", "summary": "选送1篇。"})
    mine, theirs = return_of(task, world.school), return_of(task, school2)
    e1, e2 = mine.entries[0], theirs.entries[0]
    r = officer.post_form(f"/district/tasks/{task.id}/judge",
                          {f"award-{e1.id}": "first", f"award-{e2.id}": "third", f"teacher-{e1.id}": "1",
                           f"organiser-{mine.id}": "1"}, token_from=f"/district/tasks/{task.id}/judge")
    assert r.status_code == 302
    assert zh("First prize") not in office.get(f"/tasks/{task.id}").get_data(as_text=True)  # not yet published
    officer.post_form(f"/district/tasks/{task.id}/judge",
                      {f"award-{e1.id}": "first", f"award-{e2.id}": "third", f"teacher-{e1.id}": "1",
                       f"organiser-{mine.id}": "1", "publish": "1"}, token_from=f"/district/tasks/{task.id}/judge")
    page = office.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert zh("First prize") in page and zh("Organising award (优秀组织奖)") in page
    assert db.session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "task.results")) == 3
    book = load_workbook(io.BytesIO(officer.get(f"/district/tasks/{task.id}/entries.xlsx").data))
    rows = {row[0]: row for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert rows[world.school.name][1:3] + rows[world.school.name][5:8] == (
        "我的祖国", "王小明", zh("First prize"), "优秀指导教师", "优秀组织奖")
    assert rows[school2.name][5:8] == (zh("Third prize"), None, None)
    archive = zipfile.ZipFile(io.BytesIO(officer.get(f"/district/tasks/{task.id}/files.zip").data))
    assert sorted(archive.namelist()) == sorted([f"{world.school.name}/01-我的祖国-王小明.docx",
                                                 f"{school2.name}/01-家乡的河-钱小宝.pdf"])
    assert archive.read(f"{school2.name}/01-家乡的河-钱小宝.pdf") == PDF
    assert db.session.scalar(select(func.count()).select_from(TaskFile)) == 3  # the attachment and two entries


def test_a_return_sent_back_is_submitted_again_as_it_stands(world, login_as):
    """Found by the browser journey: the page's double-send guard took the second submit of the same summary for a
    resend and kept the return 退回修改."""
    officer = login_as("unit_officer")
    send_task(officer)
    task = the_task()
    office = login_as("coordinator")
    add_entry(office, task, "我的祖国", "王小明")
    office_post(office, task, {"do": "submit", "summary": "选送1篇。"})
    ret = return_of(task, world.school)
    officer.post_form(f"/district/tasks/{task.id}/returns/{ret.id}", {"do": "back", "reason": "请核对作者姓名。"},
                      token_from=f"/district/tasks/{task.id}/returns/{ret.id}")
    assert return_of(task, world.school).state == "returned"
    assert office_post(office, task, {"do": "submit", "summary": "选送1篇。"}).status_code == 302
    assert return_of(task, world.school).state == "submitted"
    # Adding the same entry twice by Back and Save still adds it once.
    officer.post_form(f"/district/tasks/{task.id}/returns/{ret.id}", {"do": "back", "reason": "请再补一篇。"},
                      token_from=f"/district/tasks/{task.id}/returns/{ret.id}")
    add_entry(office, task, "家乡的河", "李小红")
    add_entry(office, task, "家乡的河", "李小红")
    assert [e.title for e in return_of(task, world.school).entries] == ["我的祖国", "家乡的河"]


def test_the_unit_reads_nothing_a_school_has_not_submitted(world, login_as):
    """Found in review: a school's draft entries, their files and its summary reached the unit by address."""
    officer = login_as("unit_officer")
    send_task(officer)
    task = the_task()
    office = login_as("coordinator")
    add_entry(office, task, "草稿作品", "王小明", (io.BytesIO(PDF), "草稿.pdf"))
    office_post(office, task, {"do": "save", "summary": "还在写的小结"})
    ret = return_of(task, world.school)
    page = officer.get(f"/district/tasks/{task.id}/returns/{ret.id}").get_data(as_text=True)
    assert "草稿作品" not in page and "还在写的小结" not in page and "王小明" not in page
    assert officer.get(f"/district/files/{ret.entries[0].file_id}").status_code == 404
    book = load_workbook(io.BytesIO(officer.get(f"/district/tasks/{task.id}/entries.xlsx").data))
    assert list(book.active.iter_rows(min_row=2, values_only=True)) == []
    assert zipfile.ZipFile(io.BytesIO(officer.get(f"/district/tasks/{task.id}/files.zip").data)).namelist() == []
    office_post(office, task, {"do": "submit", "summary": "小结"})
    assert officer.get(f"/district/files/{ret.entries[0].file_id}").data == PDF


def test_a_file_is_downloaded_under_the_extension_of_what_it_is(world, login_as):
    """Found in review: a PDF sent as x.html went back out as x.html."""
    officer = login_as("unit_officer")
    send_task(officer, attachments=[(io.BytesIO(PDF), "通知.html")])
    attachment = the_task().attachments[0]
    assert attachment.original_name == "通知.pdf"
    r = officer.get(f"/district/files/{attachment.id}")
    assert "%E9%80%9A%E7%9F%A5.pdf" in r.headers["Content-Disposition"]


def test_a_sent_back_return_keeps_its_levels_when_the_others_are_judged(world, second, login_as):
    """Found in review: saving the levels cleared those of a return sent back meanwhile."""
    school2, office2 = second
    from tests.district.test_views import login_as_user

    officer = login_as("unit_officer")
    send_task(officer)
    task = the_task()
    for client in (login_as("coordinator"), login_as_user(office2)):
        add_entry(client, task, "作品", "作者")
        office_post(client, task, {"do": "submit", "summary": "小结"})
    mine, theirs = return_of(task, world.school), return_of(task, school2)
    judge = f"/district/tasks/{task.id}/judge"
    officer.post_form(judge, {f"award-{mine.entries[0].id}": "first", f"award-{theirs.entries[0].id}": "second"},
                      token_from=judge)
    officer.post_form(f"/district/tasks/{task.id}/returns/{theirs.id}", {"do": "back", "reason": "请补充。"},
                      token_from=f"/district/tasks/{task.id}/returns/{theirs.id}")
    officer.post_form(judge, {f"award-{mine.entries[0].id}": "third"}, token_from=judge)
    assert return_of(task, school2).entries[0].award == "second"
    assert return_of(task, world.school).entries[0].award == "third"


def test_the_zip_keeps_every_file_inside_its_schools_folder(world, login_as):
    from portal.district.exports import entry_file_name

    send_task(login_as("unit_officer"))
    task = the_task()
    office = login_as("coordinator")
    add_entry(office, task, "../../etc/passwd", "a/b:c", (io.BytesIO(PDF), "x.pdf"))
    ret = return_of(task, world.school)
    name = entry_file_name(ret, 1, ret.entries[0])
    assert name.startswith(f"{world.school.name}/") and name.count("/") == 1
    assert not {".", ".."} & set(name.split("/")) and ":" not in name
