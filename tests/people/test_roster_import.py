"""Loading a whole school from its roster workbook (issue 29, item 1): the preview, the import, importing again."""
import io
import re
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.people.models import GRADE_NAMES, Family, Guardian, SchoolClass, Student, Volunteer
from portal.people.roster import read_roster
from tests import factories
from tests.conftest import Client
from tests.helpers import main_text
from tests.people.roster_workbook import patch_cells, school_roster, text_cell

PAGE = "/people/import"


def _upload(client, data, name="名册.xlsx"):
    return client.post_form(PAGE, {"file": (io.BytesIO(data), name)}, token_from=PAGE,
                            content_type="multipart/form-data")


def _preview(client, data):
    r = _upload(client, data)
    assert r.status_code == 302, main_text(r.get_data(as_text=True))
    return r.headers["Location"], client.get(r.headers["Location"]).get_data(as_text=True)


def _confirm(client, preview_url):
    return client.post_form(f"{preview_url}/confirm", token_from=preview_url)


def _counts(html) -> dict:
    """{"学生": ("新建", "更新", "不变"), …} from the preview's table."""
    table = html.split('id="import-counts"')[1].split("</table>")[0]
    return {label: tuple(int(n) if n.isdigit() else n for n in cells)
            for label, *cells in (re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
                                  for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1]))}


def _bad_rows(html) -> list[tuple[str, int, str]]:
    if 'id="bad-title"' not in html:
        return []
    section = html.split('id="bad-title"')[1].split("</section>")[0]
    return [(sheet, int(line), problem) for sheet, line, problem in
            re.findall(r"<tr><td[^>]*>(.*?)</td><td>(\d+)</td><td[^>]*>.*?</td><td>(.*?)</td></tr>", section)]


def _count(model, school):
    return db.session.scalar(select(func.count()).select_from(model).where(model.school_id == school.id))


def _office(app, school):
    factories.user(school, "coordinator", f"office{school.id}")
    c = Client(app)
    assert c.login(f"office{school.id}").status_code == 302
    return c


def _snapshot(school):
    """Every student, guardian and volunteer of the school as the portal holds them."""
    students = {s.student_no: (s.name, s.gender, s.birth_date, s.school_class.label, s.family_id)
                for s in db.session.scalars(select(Student).where(Student.school_id == school.id))}
    guardians = {g.mobile: (g.name, g.relation, g.family_id)
                 for g in db.session.scalars(select(Guardian).where(Guardian.school_id == school.id))}
    volunteers = {v.phone: (v.name, v.kind, v.skills, v.former_unit, v.birth_year)
                  for v in db.session.scalars(select(Volunteer).where(Volunteer.school_id == school.id))}
    return students, guardians, volunteers


def test_a_whole_school_moves_in_and_importing_again_changes_only_what_was_edited(app):
    school = factories.school("花园小学")
    c = _office(app, school)
    planted = school_roster(seed=2026, bad=20)

    url, html = _preview(c, planted.data)

    assert _counts(html) == {"学生": (planted.students, 0, 0), "监护人": (planted.guardians, 0, 0),
                             "五老志愿者": (planted.volunteers, 0, 0), "家庭": (planted.families, "—", "—"),
                             "班级": (24, "—", "—")}
    bad = _bad_rows(html)
    assert sorted((sheet, line) for sheet, line, _ in bad) == sorted((b.sheet, b.line) for b in planted.bad)
    assert all(problem for *_, problem in bad)
    assert "20 行有问题，不导入" in main_text(html)
    assert _count(Student, school) == _count(Family, school) == _count(Volunteer, school) == 0  # nothing until confirmed

    r = _confirm(c, url)
    assert r.status_code == 302
    db.session.expire_all()
    assert (_count(Student, school), _count(Family, school), _count(Guardian, school), _count(Volunteer, school),
            _count(SchoolClass, school)) == (planted.students, planted.families, planted.guardians, 40, 24)
    done = main_text(c.get(url).get_data(as_text=True))
    assert "名册已导入" in done and f"新建 {planted.students}，更新 0" in done and "三年级2班" in done
    assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "roster.import")).startswith(
        "file=名册.xlsx")

    before = _snapshot(school)
    url, html = _preview(c, planted.data)  # the same file again
    assert _counts(html)["学生"] == (0, 0, planted.students) and _counts(html)["监护人"] == (0, 0, planted.guardians)
    assert _counts(html)["五老志愿者"] == (0, 0, 40) and _counts(html)["家庭"][0] == 0
    assert "没有需要导入的内容" in main_text(html) and "/confirm" not in html
    assert _snapshot(school) == before

    # An edited file: one child moves class, one guardian's name is corrected, one volunteer has a new skill.
    roster = read_roster(planted.data, date.today())
    mobiles_used = {}
    for s in roster.students:
        for g in s.guardians:
            mobiles_used[g.mobile] = mobiles_used.get(g.mobile, 0) + 1
    moved = next(s for s in roster.students if s.sheet == "三四年级" and not s.errors and s.class_name != "4班"
                 and all(mobiles_used[g.mobile] == 1 for g in s.guardians))
    volunteer = roster.volunteers[3]
    edited = patch_cells(planted.data, {
        (3, f"E{moved.line}"): f"<v>{moved.grade * 100 + 4}</v>",
        (3, f"F{moved.line}"): text_cell(f"F{moved.line}", "改正名"),
        (5, f"E{volunteer.line}"): text_cell(f"E{volunteer.line}", "围棋、合唱"),
    })
    url, html = _preview(c, edited)
    assert _counts(html)["学生"] == (0, 1, planted.students - 1)
    assert _counts(html)["监护人"] == (0, 1, planted.guardians - 1)
    assert _counts(html)["五老志愿者"] == (0, 1, 39)
    page = main_text(html)
    old_class = GRADE_NAMES[moved.grade] + moved.class_name
    assert f"班级：{old_class} → {GRADE_NAMES[moved.grade]}4班" in page
    assert "姓名：" in page and "→ 改正名" in page and "特长：" in page and "→ 围棋、合唱" in page

    assert _confirm(c, url).status_code == 302
    db.session.expire_all()
    students, guardians, volunteers = _snapshot(school)
    old_students, old_guardians, old_volunteers = before
    assert {k for k in students if students[k] != old_students[k]} == {moved.student_no}
    assert students[moved.student_no][3].endswith("4班")
    assert {k for k in guardians if guardians[k] != old_guardians[k]} == {moved.guardians[0].mobile}
    assert {k for k in volunteers if volunteers[k] != old_volunteers[k]} == {volunteer.mobile}
    assert len(students) == len(old_students) and len(guardians) == len(old_guardians)


HEADERS = ["姓名", "性别", "出生日期", "学籍号", "班级", "监护人姓名", "与学生关系", "联系电话"]


def _workbook(rows, headers=HEADERS, volunteers=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "学生"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if volunteers:
        vs = wb.create_sheet("五老")
        vs.append(["姓名", "五老类别", "特长", "原单位", "手机号"])
        for row in volunteers:
            vs.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_column_the_reader_does_not_know_is_named_by_the_office_and_read(app):
    school = factories.school()
    c = _office(app, school)
    data = _workbook([["林一", "男", "2017-03-01", "G0001", "三年级1班", "林父", "13800001111"]],
                     ["姓名", "性别", "出生日期", "学籍号", "班级", "监护人", "紧急联系号码"])
    url, html = _preview(c, data)
    assert "工作表“学生”的“紧急联系号码”列" in main_text(html) and _counts(html)["监护人"] == (0, 0, 0)
    questions = re.findall(r'<select name="(col-\d+)">', html)
    assert len(questions) == 1

    c.post_form(f"{url}/columns", {questions[0]: "guardian.mobile"}, token_from=url)
    html = c.get(url).get_data(as_text=True)
    assert _counts(html)["监护人"] == (1, 0, 0) and _counts(html)["家庭"][0] == 1
    assert 'value="guardian.mobile" selected' in html  # the choice stays, and can be changed


def test_rows_the_school_cannot_take_are_refused_with_why_and_the_rest_imported(app):
    school = factories.school()
    c = _office(app, school)
    klass = factories.school_class(school, 3, "1班")
    twin = factories.family(school, "周家")
    known = factories.student(klass, "周知", family=twin, student_no="G0100", birth_date=date(2017, 5, 1))
    other = factories.family(school, "吴家")
    factories.student(klass, "吴一", family=other, student_no="G0200")
    left = factories.student(klass, "郑离", student_no="G0300")
    left.active, left.status = False, "left"
    db.session.commit()
    data = _workbook([
        ["初一新", "男", "2013-01-01", "G0400", "初一1班", "", "", ""],  # a grade the school does not teach
        ["周知", "男", "2017-05-01", "G0999", "三年级1班", "", "", ""],  # already here under another 学籍号
        ["周知", "男", "2017-05-01", "G0100", "三年级1班", "", "", ""],  # here already, as it is
        ["吴一", "女", "", "G0200", "三年级1班", "周父", "父亲", twin.guardians[0].mobile],  # joins two families
        ["郑离", "男", "", "G0300", "三年级1班", "", "", ""],  # left the school
        ["好好", "女", "2017-09-09", "G0500", "三年级2班", "好妈", "母亲", "13911112222"],
    ])
    url, html = _preview(c, data)
    problems = {line: problem for _sheet, line, problem in _bad_rows(html)}
    assert set(problems) == {2, 3, 5, 6}
    assert "本校没有初一" in problems[2] and "一年级至六年级" in problems[2]
    assert f"系统中已有三年级1班的周知（学籍号 {known.student_no}）" in problems[3]
    assert "分属 2 个家庭（周家、吴家）" in problems[5]
    assert "已停用的学生郑离" in problems[6]
    page = main_text(html)
    assert _counts(html)["学生"] == (1, 0, 1) and "新建班级： 三年级2班" in page

    _confirm(c, url)
    db.session.expire_all()
    assert _count(Student, school) == 4 and db.session.get(Student, other.children[0].id).family_id == other.id
    new = db.session.scalar(select(Student).where(Student.student_no == "G0500"))
    assert new.school_class.label == "三年级2班" and [g.name for g in new.family.guardians] == ["好妈"]
    assert new.family.name == "好好家"


def test_a_blank_cell_keeps_what_the_portal_has_and_a_child_missing_from_the_file_is_listed_not_deleted(app):
    school = factories.school()
    c = _office(app, school)
    klass = factories.school_class(school, 3, "1班")
    kept = factories.student(klass, "钱多", student_no="G0001", birth_date=date(2017, 2, 2))
    gone = factories.student(klass, "孙少", student_no="G0002")
    elsewhere = factories.student(factories.school_class(school, 4, "1班"), "李别", student_no="G0003")
    url, html = _preview(c, _workbook([["钱多", "男", "", "G0001", "三年级1班", "", "", ""]]))
    assert _counts(html)["学生"] == (0, 0, 1) and "没有需要导入的内容" in main_text(html)
    missing = html.split('id="missing-title"')[1].split("</section>")[0]
    assert "孙少" in missing and "李别" not in missing  # only the classes the file holds
    assert kept.birth_date == date(2017, 2, 2) and gone.active and elsewhere.active


def test_confirming_twice_imports_once(app):
    school = factories.school()
    c = _office(app, school)
    url, _html = _preview(c, _workbook([["新生", "男", "", "G0001", "一年级1班", "新妈", "母亲", "13700001111"]]))
    assert _confirm(c, url).status_code == 302
    again = c.post_form(f"{url}/confirm", token_from="/people/import")
    assert "此文件已经导入过了" in main_text(c.get(again.headers["Location"]).get_data(as_text=True))
    assert _count(Student, school) == 1 and _count(Guardian, school) == 1


def test_volunteers_are_found_by_mobile_or_by_name_when_entered_without_one(app):
    school = factories.school()
    c = _office(app, school)
    by_mobile = factories.volunteer(school, "张老师", phone="13600001111")
    by_name = factories.volunteer(school, "李老师")
    by_name.phone = ""
    db.session.commit()
    data = _workbook([], volunteers=[["张老师", "老教师", "书法", "市一中", "13600001111"],
                                     ["李老师", "老干部", "", "", "136 0000 2222"],
                                     ["王新", "退休教师", "象棋", "", "13600003333"]])
    url, html = _preview(c, data)
    assert _counts(html)["五老志愿者"] == (1, 2, 0)
    assert "原单位：— → 市一中" in main_text(html) and "手机号：— → 13600002222" in main_text(html)
    _confirm(c, url)
    db.session.expire_all()
    assert by_mobile.former_unit == "市一中" and by_mobile.skills == "书法"
    assert by_name.phone == "13600002222" and by_name.kind == "老干部"
    assert db.session.scalar(select(Volunteer).where(Volunteer.phone == "13600003333")).kind == "老教师"


def test_the_template_reads_back_and_imports_nothing(app):
    school = factories.school()
    c = _office(app, school)
    r = c.get("/people/import/template.xlsx")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["学生名册", "五老志愿者", "说明"]
    roster = read_roster(r.data, date.today())
    assert roster.sheets == {"学生名册": "students", "五老志愿者": "volunteers"} and not roster.unknown_headers
    _url, html = _preview(c, r.data)
    assert "没有需要导入的内容" in main_text(html)


def test_only_the_office_imports_and_only_the_uploader_sees_a_file(app, world, login_as):
    url, _html = _preview(login_as("coordinator"), _workbook([["新生", "男", "", "G0001", "三年级2班", "", "", ""]]))
    assert login_as("admin").get(url).status_code == 404
    assert login_as("teacher").get(PAGE).status_code == 403
    assert login_as("parent").get(PAGE).status_code == 403


def test_the_school_sets_its_grades_and_classes_follow_them(world, login_as):
    c = login_as("coordinator")
    r = c.post_form("/people/grades", {"first_grade": "7", "last_grade": "9"}, token_from="/people/grades")
    assert "以下班级不在这些年级之内：三年级2班、四年级1班" in main_text(r.get_data(as_text=True))
    r = c.post_form("/people/grades", {"first_grade": "1", "last_grade": "4"}, token_from="/people/grades")
    assert r.status_code == 302
    r = c.post_form("/people/classes/new", {"grade": "5", "name": "1班"}, token_from="/people/classes/new")
    assert "本校为一年级至四年级" in main_text(r.get_data(as_text=True))
    assert "本校为一年级至四年级。" in main_text(c.get("/people/").get_data(as_text=True))


def test_a_student_number_typed_in_lower_case_is_the_same_child(app):
    """Found by review: the form keeps a 学籍号 as typed, the reader upper-cases it: a second record was made."""
    school = factories.school()
    c = _office(app, school)
    factories.student(factories.school_class(school, 3, "1班"), "钱多", student_no="g2026abc1")
    url, html = _preview(c, _workbook([["钱多", "男", "", "G2026ABC1", "三年级1班", "", "", ""]]))
    assert _counts(html)["学生"] == (0, 0, 1) and 'id="missing-title"' not in html


def test_a_volunteer_without_a_mobile_takes_the_first_row_of_the_name_only(app):
    school = factories.school()
    c = _office(app, school)
    twin = factories.volunteer(school, "李老师")
    twin.phone = ""
    db.session.commit()
    data = _workbook([], volunteers=[["李老师", "老教师", "", "", "13600002222"],
                                     ["李老师", "老干部", "", "", "13600003333"]])
    _url, html = _preview(c, data)
    assert _counts(html)["五老志愿者"] == (1, 1, 0)
