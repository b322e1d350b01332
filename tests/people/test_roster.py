"""Reading a school's roster workbook: the value parsers, the workbook quirks of real files, the row checks and the
generated school of issue 29."""
import io
import time
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from portal.core.errors import DomainError
from portal.core.phones import parse_mobile
from portal.people import roster
from portal.people.roster import (
    clean_name,
    header_text,
    parse_class,
    parse_date,
    parse_gender,
    parse_kind,
    parse_student_no,
    parse_year,
    read_roster,
    student_key,
    surname,
)
from tests.people.roster_workbook import patch_cells, school_roster, school_workbook

TODAY = date(2026, 12, 7)
HEAD = ["姓名", "性别", "学籍号", "班级", "监护人姓名", "联系电话"]


@pytest.fixture
def en(app):
    """Messages in English, to assert on them; their Chinese is held by tests/test_i18n.py."""
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        yield


def xlsx(*sheets) -> bytes:
    """A workbook of (title, rows) or (title, rows, {"state": …, "merge": [...]}) sheets."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, *extra in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        options = extra[0] if extra else {}
        for cells in options.get("merge", ()):
            ws.merge_cells(cells)
        ws.sheet_state = options.get("state", "visible")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(*sheets, **kw):
    return read_roster(xlsx(*sheets), TODAY, **kw)


def pupil(name="王小明", no="G1001", klass="三年级2班", guardian="王建国", mobile="13812345678", gender="男"):
    return [name, gender, no, klass, guardian, mobile]


# ---- the values ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, mobile", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("138.1234.5678", "13812345678"), ("(138)12345678", "13812345678"), ("+86 138 1234 5678", "13812345678"),
    ("0086-13812345678", "13812345678"), ("8613812345678", "13812345678"), ("１３８１２３４５６７８", "13812345678"),
    (" 13812345678\u3000", "13812345678"), (13812345678, "13812345678"), (13812345678.0, "13812345678"),
    ("1381234567", None), ("138123456789", None), ("23812345678", None), ("021-12345678", None), ("", None),
    ("手机13812345678", None),
])
def test_parse_mobile(text, mobile):
    assert parse_mobile(text) == mobile


@pytest.mark.parametrize("grade, klass, expected", [
    ("", "三年级2班", (3, "2班")), ("", "3年级(2)班", (3, "2班")), ("", "3年级（2）班", (3, "2班")),
    ("", "三(2)班", (3, "2班")), ("", "302", (3, "2班")), ("", 302, (3, "2班")), ("", "0302", (3, "2班")),
    ("", "3.2", (3, "2班")), ("", 3.2, (3, "2班")), ("", "3-2", (3, "2班")), ("", "三年级 12班", (3, "12班")),
    ("", "初一(3)班", (7, "3班")), ("", "高二1班", (11, "1班")), ("", "1001", (10, "1班")),
    ("", "1302", (13, "2班")),  # read; the row check says the grade is out of range
    ("三年级", "2班", (3, "2班")), ("3", "2", (3, "2班")), ("3年级", "(2)班", (3, "2班")), ("三年级", "二班", (3, "2班")),
    ("初二", "十二班", (8, "12班")), ("三年级", "三年级2班", (3, "2班")), ("三年级", "302", (3, "2班")),
    ("", "2班", None), ("", "实验班", None), ("", "300", None), ("", "三年级", None), ("四年级", "302", None),
    ("", "", None), ("三年级", "", None),
])
def test_parse_class(grade, klass, expected):
    assert parse_class(grade, klass) == expected


@pytest.mark.parametrize("value, expected", [
    (datetime(2016, 5, 3), date(2016, 5, 3)), (date(2016, 5, 3), date(2016, 5, 3)), (42493, date(2016, 5, 3)),
    ("2016-05-03", date(2016, 5, 3)), ("2016/5/3", date(2016, 5, 3)), ("2016.5.3", date(2016, 5, 3)),
    ("20160503", date(2016, 5, 3)), (20160503, date(2016, 5, 3)), ("2016年5月3日", date(2016, 5, 3)),
    ("2016年5月", date(2016, 5, 1)), ("２０１６－０５－０３", date(2016, 5, 3)),
    ("2027-01-01", None), ("1899-12-31", None), ("2016-02-30", None), ("五月三日", None), ("", None),
])
def test_parse_date(value, expected):
    assert parse_date(value, TODAY) == expected


@pytest.mark.parametrize("parse, text, expected", [
    (parse_gender, "男", "男"), (parse_gender, "女性", "女"), (parse_gender, "m", "男"), (parse_gender, "F", "女"),
    (parse_gender, "不详", None),
    (parse_student_no, " g3201 0001 ", None), (parse_student_no, "ｇ３２０１０００１", "G32010001"),
    (parse_student_no, 202600010.0, "202600010"), (parse_student_no, "123", None), (parse_student_no, "G-1234", None),
    (parse_kind, "老教师", "老教师"), (parse_kind, "老教师（退休）", "老教师"), (parse_kind, "退休教师", "老教师"),
    (parse_kind, "离退休干部", "老干部"), (parse_kind, "劳动模范", "老模范"), (parse_kind, "教师", None),
    (clean_name, "王 小\u3000明 ", "王小明"), (clean_name, "Anna  Lee", "Anna Lee"),
    (surname, "欧阳娜娜", "欧阳"), (surname, "王小明", "王"),
    (header_text, "出生日期（yyyy-mm-dd）", "出生日期"), (header_text, "*学 籍 号", "学籍号"), (header_text, "＊姓名", "姓名"),
    (student_key, "监护人1姓名", "guardian1.name"), (student_key, "家长2电话", "guardian2.mobile"),
    (student_key, "监护人二关系", "guardian2.relation"), (student_key, "监护人2", "guardian2.name"),
    (student_key, "父亲姓名", "father.name"), (student_key, "妈妈手机", "mother.mobile"),
    (student_key, "全国学籍号", "student_no"),
    (student_key, "家庭住址", None),
])
def test_the_other_parsers(parse, text, expected):
    assert parse(text) == expected


def test_parse_year():
    assert [parse_year(v, TODAY) for v in (1950, "1950年", "1950-03", date(1950, 3, 1), "2030", "五零年")] == \
        [1950, 1950, 1950, 1950, None, None]


# ---- the workbook as schools have it -------------------------------------------------------

def test_a_hidden_or_very_hidden_sheet_is_skipped_and_an_unrecognised_one_reported(en):
    r = read(("名册", [HEAD, pupil()]),
             ("草稿", [HEAD, pupil(no="G2002")], {"state": "hidden"}),
             ("旧表", [HEAD, pupil(no="G3003")], {"state": "veryHidden"}),
             ("统计", [["班级人数", "男生", "女生"], [38, 20, 18]]),
             ("空白", []))
    assert [s.student_no for s in r.students] == ["G1001"]
    assert {s.name: s.reason for s in r.skipped_sheets} == {
        "草稿": "The sheet is hidden.", "旧表": "The sheet is hidden.",
        "统计": "No row among the first 10 has at least 3 known column headers (such as 姓名, 学籍号, 班级)."}


def test_title_rows_and_a_merged_two_row_header(en):
    rows = [["2026学年花园小学学生名册"], ["填表日期：2026年9月1日"],
            ["姓名", "性别", "学籍号", "班级", "监护人1", None, "监护人2", None, "出生日期（yyyy-mm-dd）"],
            [None, None, None, None, "姓名", "电话", "姓名", "联系电话", None],
            ["王小明", "男", "G1001", "302", "王建国", "13812345678", "李芳", "13987654321", "2017-03-04"]]
    r = read(("学生", rows, {"merge": ["A1:I1", "E3:F3", "G3:H3", "A3:A4", "I3:I4"]}))
    (s,) = r.students
    assert (s.sheet, s.line, s.name, s.grade, s.class_name, s.birth_date) == ("学生", 5, "王小明", 3, "2班", date(2017, 3, 4))
    assert [(g.label, g.name, g.mobile) for g in s.guardians] == [
        ("监护人1", "王建国", "13812345678"), ("监护人2", "李芳", "13987654321")]
    assert s.errors == [] and r.unknown_headers == {}


def test_a_header_merged_across_two_columns_for_its_width_has_its_data_right_below(en):
    rows = [["姓名", "性别", "学籍号", "班级", "联系电话", None], pupil()[:5] + [None]]
    rows[1][4] = "13812345678"
    (s,) = read(("学生", rows, {"merge": ["E1:F1"]})).students
    assert (s.name, s.guardians[0].mobile, s.errors) == ("王小明", "13812345678", [])


def test_a_class_merged_down_its_rows_is_every_row_s_class(en):
    rows = [HEAD, pupil(klass="三年级2班"), pupil("王小红", "G1002", None, mobile="13912345678", gender="女")]
    r = read(("学生", rows, {"merge": ["D2:D3"]}))
    assert [(s.name, s.grade, s.class_name, s.errors) for s in r.students] == [
        ("王小明", 3, "2班", []), ("王小红", 3, "2班", [])]


def test_a_formula_gives_its_cached_value_and_numbers_stored_as_floats_keep_their_digits(en):
    data = xlsx(("学生", [HEAD, pupil(no=1, mobile=2)]))
    data = patch_cells(data, {(1, "C2"): "<v>2.0260001E8</v>", (1, "F2"): "<f>13800000000+12345678</f><v>1.3812345678E10</v>"})
    (s,) = read_roster(data, TODAY).students
    assert (s.student_no, s.guardians[0].mobile, s.values["guardian.mobile"], s.errors) == \
        ("202600010", "13812345678", "13812345678", [])


def test_full_width_digits_spaces_and_no_break_spaces_are_cleaned(en):
    r = read(("学生", [[" 姓 名 ", "性别\xa0", "＊学籍号", "班　级", "家长姓名", "手机号码"],
                      ["王 小 明 ", "男 ", "ｇ１００１\u3000", "３年级（２）班", " 王建国\xa0",
                       "１３８ １２３４ ５６７８\u3000"]]))
    (s,) = r.students
    assert (s.name, s.gender, s.student_no, s.grade, s.class_name, s.guardians[0].name, s.guardians[0].mobile) == \
        ("王小明", "男", "G1001", 3, "2班", "王建国", "13812345678")
    assert s.errors == []


def test_an_unknown_header_is_listed_and_a_mapping_gives_it_a_meaning(en):
    rows = [["姓名", "性别", "学籍号", "班级", "紧急联系人", "紧急联系电话", "备注"],
            ["王小明", "男", "G1001", "302", "王建国", "13812345678", "午托"]]
    r = read(("学生", rows))
    assert r.unknown_headers == {"学生": ["紧急联系人", "紧急联系电话", "备注"]}
    assert r.students[0].guardians == []
    mapped = read(("学生", rows), mapping={"学生": {"紧急联系人": "guardian.name", "紧急联系电话 ": "guardian.mobile"}})
    assert mapped.unknown_headers == {"学生": ["备注"]}
    assert [(g.name, g.mobile) for g in mapped.students[0].guardians] == [("王建国", "13812345678")]
    not_a_key = read(("学生", rows), mapping={"学生": {"备注": "notes"}})
    assert not_a_key.unknown_headers == {"学生": ["紧急联系人", "紧急联系电话", "备注"]}


def test_father_and_mother_columns_give_the_relation(en):
    r = read(("学生", [["学生姓名", "性别", "学号", "年级", "班", "父亲姓名", "父亲电话", "母亲姓名", "母亲手机"],
                      ["王小明", "男", "G1001", "三年级", "2", "王建国", "13812345678", "李芳", "13987654321"]]))
    (s,) = r.students
    assert (s.grade, s.class_name) == (3, "2班")
    assert [(g.label, g.relation, g.name) for g in s.guardians] == [("父亲", "父亲", "王建国"), ("母亲", "母亲", "李芳")]


def test_a_volunteer_sheet(en):
    head = ["姓名", "性别", "五老类别", "特长", "原工作单位", "联系电话", "出生年月"]
    r = read(("五老", [head, ["周德明", "男", "老教师（退休）", "书法、象棋", "花园小学", "13700001111", "1952年3月"],
                       ["孙 秀 英", "女", "劳动模范", "剪纸", "", "137 0000 2222", 1950],
                       ["钱老", "男", "热心人", "", "", "13700001111", "五十年代"]]))
    good, other, bad = r.volunteers
    assert (good.name, good.kind, good.skills, good.former_unit, good.mobile, good.birth_year, good.errors) == \
        ("周德明", "老教师", "书法、象棋", "花园小学", "13700001111", 1952, ["The mobile 13700001111 is also on line 4."])
    assert (other.name, other.kind, other.birth_year, other.errors) == ("孙秀英", "老模范", 1950, [])
    assert bad.errors == ["The kind “热心人” is not one of 老干部、老战士、老专家、老教师、老模范.",
                          "The birth year “五十年代” cannot be read.", "The mobile 13700001111 is also on line 2."]
    assert r.students == [] and r.bad_rows() == [good, bad]


@pytest.mark.parametrize("row, error", [
    (pupil(name=""), "The student's name is missing."),
    (pupil(no=""), "The student number (学籍号) is missing."),
    (pupil(no="G-1"), "The student number “G-1” should be 4 to 30 letters and digits."),
    (pupil(klass=""), "The class is missing."),
    (pupil(klass="实验班"), "The class “实验班” cannot be read. Write it like 三年级2班, 3年级(2)班 or 302."),
    (pupil(klass="1302"), "The grade 13 is not between 1 and 12."),
    (pupil(gender=""), "The gender is missing."),
    (pupil(gender="未知"), "The gender “未知” is not 男 or 女."),
    (pupil(mobile="1381234567"), "监护人: the mobile “1381234567” is not an 11-digit mobile number."),
    (pupil(mobile=""), "监护人 王建国 has no mobile number."),
    (pupil(guardian="", mobile="13812345678"), None),
    (pupil(guardian="", mobile=""), None),
])
def test_row_checks(en, row, error):
    (s,) = read(("学生", [HEAD, row])).students
    assert s.errors == ([error] if error else [])


def test_a_birth_date_in_the_future_or_unreadable(en):
    head = [*HEAD, "出生日期"]
    r = read(("学生", [head, [*pupil(), "2061-05-03"], [*pupil(no="G1002"), "去年"], [*pupil(no="G1003"), 42493]]))
    assert [s.errors for s in r.students] == [
        ["The birth date 2061-05-03 is in the future."],
        ["The birth date “去年” cannot be read. Write it like 2016-05-03."], []]


def test_a_guardian_with_only_a_relation_needs_a_name_or_mobile(en):
    head = ["姓名", "性别", "学籍号", "班级", "监护人2姓名", "监护人2关系", "监护人2电话"]
    (s,) = read(("学生", [head, ["王小明", "男", "G1001", "302", "", "奶奶", ""]])).students
    assert s.errors == ["监护人2 needs a name or a mobile number."]


def test_two_rows_with_one_student_number(en):
    r = read(("一年级", [HEAD, pupil(), pupil("李小红", mobile="13900000000")]), ("二年级", [HEAD, pupil("赵雷", "g1001")]))
    assert [s.errors for s in r.students] == [
        ["The student number G1001 is also on line 3、line 2 of sheet “二年级”."],
        ["The student number G1001 is also on line 2、line 2 of sheet “二年级”."],
        ["The student number G1001 is also on line 2 of sheet “一年级”、line 3 of sheet “一年级”."]]


def test_one_mobile_for_two_families_but_not_for_siblings(en):
    r = read(("学生", [HEAD,
                      pupil("王小明", "G1001", guardian="王建国"),
                      pupil("王小红", "G1002", guardian="王 建国"),  # a sister: one family
                      pupil("张伟", "G1003", guardian="王建国"),  # a stepchild: the same guardian
                      pupil("欧阳娜娜", "G1004", guardian="欧阳峰", mobile="13900000000"),
                      pupil("欧小丽", "G1005", guardian="欧建华", mobile="13900000000")]))
    assert [s.errors for s in r.students[:3]] == [[], [], []]
    assert r.students[3].errors == ["The mobile 13900000000 is also given for 欧建华, guardian of 欧小丽 on line 6: "
                                    "one mobile cannot belong to two families."]
    assert r.students[4].errors == ["The mobile 13900000000 is also given for 欧阳峰, guardian of 欧阳娜娜 on line 5: "
                                    "one mobile cannot belong to two families."]


def test_families_join_through_any_shared_mobile_and_merge_guardians(en):
    head = ["姓名", "性别", "学籍号", "班级", "监护人1姓名", "监护人1电话", "监护人2姓名", "监护人2电话"]
    r = read(("学生", [head,
                      ["王大", "男", "G1001", "101", "李芳", "13900000001", "", ""],
                      ["王二", "男", "G1002", "301", "", "13900000001", "王建国", "13900000002"],
                      ["王三", "女", "G1003", "501", "王建国", "13900000002", "", ""],
                      ["赵四", "女", "G1004", "502", "", "", "", ""],
                      ["钱五", "女", "G1005", "503", "钱爸", "13900000005", "", ""],
                      ["孙六", "女", "", "503", "孙爸", "13900000006", "", ""]]))
    families = sorted(([s.name for s in f.students], [(g.name, g.mobile) for g in f.guardians]) for f in r.families())
    assert families == [
        (["王大", "王二", "王三"], [("李芳", "13900000001"), ("王建国", "13900000002")]),
        (["赵四"], []), (["钱五"], [("钱爸", "13900000005")])]  # 孙六 has an error: no family until fixed


def test_the_file_checks(en, monkeypatch):
    with pytest.raises(DomainError, match="empty"):
        read_roster(b"", TODAY)
    with pytest.raises(DomainError, match="not a readable Excel"):
        read_roster(b"PK not really a zip", TODAY)
    with pytest.raises(DomainError, match="at most 5 MB and 8,000 rows") as exc:
        read_roster(b"x" * (roster.MAX_BYTES + 1), TODAY)
    assert exc.value.field == "file"
    monkeypatch.setattr(roster, "MAX_UNPACKED", 1000)  # a zip bomb unpacks to far more than it weighs
    with pytest.raises(DomainError, match="at most 5 MB"):
        read(("学生", [HEAD, pupil()]))
    monkeypatch.undo()
    monkeypatch.setattr(roster, "MAX_ROWS", 2)
    with pytest.raises(DomainError, match="2 rows"):
        read(("学生", [HEAD, pupil(), pupil(no="G2")]), ("二", [HEAD, pupil(no="G3")]))


def test_the_messages_are_in_chinese_for_a_chinese_office(app):
    with app.test_request_context("/"):
        app.preprocess_request()
        (s,) = read(("学生", [HEAD, pupil(mobile="1381234567", klass="实验班")])).students
    assert s.errors == ["班级“实验班”无法识别，请写成“三年级2班”“3年级(2)班”或“302”。",
                        "监护人：手机号“1381234567”不是11位手机号码。"]


# ---- the school of issue 29 ----------------------------------------------------------------

def test_the_generated_school_reads_as_planted(en):
    planted = school_roster(seed=2026, bad=20)
    started = time.perf_counter()
    r = read_roster(planted.data, TODAY)
    took = time.perf_counter() - started
    print(f"\nread {len(r.students)} student rows and {len(r.volunteers)} volunteers "
          f"({len(planted.data) // 1024} KB) in {took:.2f} s")
    assert took < 3

    families = r.families()
    assert (planted.students, planted.families, planted.guardians, planted.volunteers) == (900, 845, 1616, 40)
    assert len(r.students) == planted.rows == 920
    assert sum(len(f.students) for f in families) == planted.students
    assert len(families) == planted.families
    assert sum(len(f.guardians) for f in families) == planted.guardians
    assert len({g.mobile for f in families for g in f.guardians}) == planted.guardians
    assert len(r.volunteers) == planted.volunteers and not any(v.errors for v in r.volunteers)
    assert [s.name for s in r.skipped_sheets] == ["数据源"]
    assert r.unknown_headers == {"五六年级": ["备注"]}
    assert {len(f.students) for f in families} == {1, 2, 3}

    found = {(row.sheet, row.line): row.errors for row in r.bad_rows()}
    assert sorted(found) == sorted((b.sheet, b.line) for b in planted.bad)
    assert len(found) == 20
    for bad in planted.bad:
        (error,) = found[bad.sheet, bad.line]
        assert bad.reason in error, (bad, error)
    assert {b.kind for b in planted.bad} == {"mobile10", "class", "future", "dup_no", "shared", "no_name", "no_no",
                                            "gender", "no_mobile"}


def test_the_generated_school_other_seeds_and_counts_of_bad_rows(en):
    for seed, bad in ((1, 0), (7, 5), (8, 33)):
        planted = school_roster(seed=seed, bad=bad)
        r = read_roster(planted.data, TODAY)
        assert sorted((row.sheet, row.line) for row in r.bad_rows()) == sorted((b.sheet, b.line) for b in planted.bad)
        assert len(r.bad_rows()) == bad
        assert len(r.families()) == planted.families
    assert len(read_roster(school_workbook(), TODAY).students) == 920
