"""The office checks a roster workbook before anything is imported: what the portal reads, every bad row and why."""
import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.people.models import Family, Student
from tests.helpers import main_text
from tests.people.roster_workbook import school_roster

PAGE = "/people/roster-check"


def _upload(client, data, name="名册.xlsx"):
    return client.post_form(PAGE, {"file": (io.BytesIO(data), name)}, token_from=PAGE,
                            content_type="multipart/form-data")


def test_a_whole_school_file_is_read_and_its_bad_rows_listed_with_nothing_saved(world, login_as):
    planted = school_roster(seed=2026, bad=20)
    before = db.session.scalar(select(func.count()).select_from(Student)), db.session.scalar(
        select(func.count()).select_from(Family))

    r = _upload(login_as("coordinator"), planted.data)
    html = r.get_data(as_text=True)

    counts = dict(re.findall(r"<dt>(.*?)</dt><dd>(\d+)</dd>", html.split('id="roster-counts"')[1].split("</dl>")[0]))
    assert r.status_code == 200
    assert counts == {"学生": str(planted.rows), "家庭": str(planted.families),
                      "有手机号的监护人": str(planted.guardians), "五老志愿者": str(planted.volunteers),
                      "有问题的行": str(len(planted.bad))}
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(\d+)</td><td[^>]*>.*?</td><td>(.*?)</td></tr>",
                      html.split('id="bad-title"')[1])
    assert sorted((sheet, int(line)) for sheet, line, _ in rows) == sorted((b.sheet, b.line) for b in planted.bad)
    assert all(problem for _sheet, _line, problem in rows)
    assert (db.session.scalar(select(func.count()).select_from(Student)),
            db.session.scalar(select(func.count()).select_from(Family))) == before


def test_a_file_that_is_no_workbook_is_refused_beside_the_field(world, login_as):
    r = _upload(login_as("coordinator"), b"not a workbook at all", "名册.xlsx")
    page = main_text(r.get_data(as_text=True))
    assert r.status_code == 200 and "文件内容" not in page and ".xlsx" in page


def test_only_the_office_checks_roster_files(world, login_as):
    assert login_as("teacher").get(PAGE).status_code == 403
    assert login_as("parent").get(PAGE).status_code == 403
