"""Loading a school from its roster workbook: what the rows would change, then all of it in one transaction.

stage() reads the file (roster.py) and keeps the file and its rows in an ImportBatch; nothing else is saved.
plan() compares the rows with the school as it is: the classes to open, the students, families, guardians and
volunteers to create, update or leave alone, the school's students and volunteers the file no longer holds (listed,
never deleted), and every row that cannot be taken, with why. apply() plans again against the school as it is then
and saves the rows that can be taken, all or nothing.

A student is found again by 学籍号, a guardian and a volunteer by mobile, so importing a file again changes nothing
and an edited file changes exactly its edited rows. A blank cell never erases what the portal has. Children who
share a guardian's mobile are one family; the file never moves a child or a mobile from one family of the portal to
another, and never creates a second record of a student it can tell is already there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import delete, insert, select, update

from ..audit.services import record
from ..core.clock import local_today
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..core.xlsx import WRAP, workbook_bytes, write_sheet
from ..extensions import db
from ..imports.models import ImportBatch
from .models import GRADE_NAMES, VOLUNTEER_KINDS, Family, Guardian, School, SchoolClass, Student, Volunteer, initials
from .roster import (
    STUDENT_KEYS,
    VOLUNTEER_KEYS,
    GuardianRow,
    Roster,
    StudentRow,
    VolunteerRow,
    read_roster,
    roster_from_json,
    roster_json,
)

KIND = "roster"
ACTIONS = ("new", "changed", "same")


def class_label(grade: int, name: str) -> str:
    return f"{GRADE_NAMES.get(grade, str(grade))}{name}"


@dataclass
class Change:
    """One record the file creates (record None), updates (changes: (what, before, after)) or leaves as it is."""

    row: StudentRow | VolunteerRow | GuardianRow
    record: Student | Volunteer | Guardian | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "new" if self.record is None else "changed" if self.changes else "same"


@dataclass
class FamilyPlan:
    family: Family | None  # None: a new family
    students: list[Change]
    guardians: list[Change]


@dataclass
class Plan:
    roster: Roster
    school: School
    new_classes: list[tuple[int, str]]
    families: list[FamilyPlan]
    volunteers: list[Change]
    missing_students: list[Student]
    missing_volunteers: list[Volunteer]

    @property
    def students(self) -> list[Change]:
        return [c for f in self.families for c in f.students]

    @property
    def guardians(self) -> list[Change]:
        return [c for f in self.families for c in f.guardians]

    def bad_rows(self):
        return self.roster.bad_rows()

    def summary(self) -> dict:
        """The counts the preview shows and the import keeps once the rows themselves are gone."""
        def by_action(changes):
            return {a: sum(1 for c in changes if c.action == a) for a in ACTIONS}
        return {"students": by_action(self.students), "guardians": by_action(self.guardians),
                "volunteers": by_action(self.volunteers),
                "families": {"new": sum(1 for f in self.families if f.family is None and f.guardians)},
                "classes": {"new": len(self.new_classes)}, "bad": len(self.bad_rows()),
                "missing_students": len(self.missing_students), "missing_volunteers": len(self.missing_volunteers),
                "class_ids": []}

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_classes) or any(c.action != "same"
                                             for c in [*self.students, *self.guardians, *self.volunteers])


class _School:
    """The school's classes, students, guardians and volunteers, loaded once for a whole file."""

    def __init__(self, school_id: int):
        self.school = db.session.get(School, school_id)
        self.classes = {(c.grade, c.name): c for c in
                        db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id))}
        students = list(db.session.scalars(select(Student).where(Student.school_id == school_id)))
        # By 学籍号 as the reader writes it, upper-case: a number typed by hand in lower case is the same child.
        self.students = {s.student_no.upper(): s for s in students}
        self.students_named: dict[str, list[Student]] = {}
        for s in students:
            if s.active:
                self.students_named.setdefault(s.name, []).append(s)
        self.families = {f.id: f for f in db.session.scalars(select(Family).where(Family.school_id == school_id))}
        self.guardians: dict[str, list[Guardian]] = {}
        self.family_mobiles: dict[int, set[str]] = {}
        for g in db.session.scalars(select(Guardian).where(Guardian.school_id == school_id, Guardian.mobile != "")):
            self.guardians.setdefault(g.mobile, []).append(g)
            self.family_mobiles.setdefault(g.family_id, set()).add(g.mobile)
        volunteers = list(db.session.scalars(select(Volunteer).where(Volunteer.school_id == school_id)))
        self.active_volunteers = [v for v in volunteers if v.active]
        self.volunteers = {v.phone: v for v in volunteers if v.phone}
        self.volunteers_unreachable: dict[str, list[Volunteer]] = {}  # active ones with no mobile yet, by name
        for v in volunteers:
            if v.active and not v.phone:
                self.volunteers_unreachable.setdefault(v.name, []).append(v)


# ---- the plan -----------------------------------------------------------------------------

def plan(school_id: int, roster: Roster) -> Plan:
    """What importing `roster` would do to the school now. Adds the rows' problems that need the school's data to
    `roster`'s rows; reads the database and changes nothing."""
    look = _School(school_id)
    for row in roster.students:
        if not row.errors:
            _check_student(row, look)
    families = []
    for group in roster.families():
        family_plan = _family_plan(group.students, group.guardians, look)
        if family_plan:
            families.append(family_plan)
    volunteers = [change for row in roster.volunteers if not row.errors
                  for change in [_volunteer_change(row, look)] if change]
    new_classes = sorted({(c.row.grade, c.row.class_name) for f in families for c in f.students
                          if (c.row.grade, c.row.class_name) not in look.classes})
    return Plan(roster, look.school, new_classes, families, volunteers, *_missing(roster, look))


def _check_student(row: StudentRow, look: _School) -> None:
    school = look.school
    if row.grade not in school.grades:
        row.errors.append(_("The school has no %(grade)s: it teaches %(first)s to %(last)s (set on the Classes page).",
                            grade=GRADE_NAMES[row.grade], first=GRADE_NAMES[school.first_grade],
                            last=GRADE_NAMES[school.last_grade]))
        return
    known = look.students.get(row.student_no)
    if known is not None:
        if not known.active:
            row.errors.append(_("The student number %(no)s belongs to %(name)s, who has left (停用). If the student "
                                "is back, reactivate them on their page first.", no=row.student_no, name=known.name))
        return
    mobiles = {g.mobile for g in row.guardians if g.mobile}
    for other in look.students_named.get(row.name, []):
        if (other.birth_date and other.birth_date == row.birth_date) or mobiles & look.family_mobiles.get(other.family_id,
                                                                                                      set()):
            row.errors.append(_("%(name)s of %(klass)s is already in the portal with the student number %(no)s, the "
                                "same birth date or guardian mobile: if it is the same child, correct the student "
                                "number in the file.", name=other.name, klass=other.school_class.label,
                                no=other.student_no))
            return


def _family_plan(rows: list[StudentRow], guardians: list[GuardianRow], look: _School) -> FamilyPlan | None:
    """The children of one family of the file and their guardians, against the portal's family of any of them."""
    known = [look.students.get(row.student_no) for row in rows]
    found = {s.family_id for s in known if s is not None and s.family_id}
    found |= {g.family_id for guardian in guardians for g in look.guardians.get(guardian.mobile, [])}
    if len(found) > 1:
        names = "、".join(look.families[f].name for f in sorted(found))
        for row in rows:
            row.errors.append(_("In the portal, the children and guardians of this row belong to %(n)d families "
                                "(%(names)s) that the file makes one. If they are one family, open one of them on the "
                                "Families page and merge the other into it (合并重复); otherwise correct the file.",
                                n=len(found), names=names))
        return None
    family = look.families[found.pop()] if found else None
    students = [_student_change(row, student, family) for row, student in zip(rows, known, strict=True)]
    return FamilyPlan(family, students, [_guardian_change(g, family, look) for g in guardians])


def _text(value) -> str:
    return "—" if value in (None, "") else value.isoformat() if isinstance(value, date) else str(value)


def _differs(changes: list, what: str, before, after) -> None:
    """A change when the file gives a value (a blank cell never erases) that is not the portal's."""
    if after not in (None, "") and after != before:
        changes.append((what, _text(before), _text(after)))


def _student_change(row: StudentRow, student: Student | None, family: Family | None) -> Change:
    if student is None:
        return Change(row)
    changes = []
    _differs(changes, _("Name"), student.name, row.name)
    _differs(changes, _("Gender"), student.gender, row.gender)
    _differs(changes, _("Birth date"), student.birth_date, row.birth_date)
    _differs(changes, _("Class"), student.school_class.label, class_label(row.grade, row.class_name))
    if student.family_id is None and row.guardians:
        changes.append((_("Family"), "—", family.name if family else _("new family")))
    return Change(row, student, changes)


def _guardian_change(row: GuardianRow, family: Family | None, look: _School) -> Change:
    known = next((g for g in look.guardians.get(row.mobile, []) if family and g.family_id == family.id), None)
    if known is None:
        return Change(row)
    changes = []
    _differs(changes, _("Name"), known.name, row.name)
    _differs(changes, _("Relation"), known.relation, row.relation)
    return Change(row, known, changes)


def _volunteer_change(row: VolunteerRow, look: _School) -> Change | None:
    known = look.volunteers.get(row.mobile)
    changes = []
    if known is None and len(same_name := look.volunteers_unreachable.get(row.name, [])) == 1:
        known = same_name.pop()  # entered by hand without a mobile: the file gives it one, to its first row only
        changes.append((_("Mobile"), "—", row.mobile))
    if known is None:
        return Change(row)
    if not known.active:
        row.errors.append(_("The mobile %(mobile)s belongs to %(name)s, who has left (停用). If the volunteer is "
                            "back, reactivate them on their page first.", mobile=row.mobile, name=known.name))
        return None
    _differs(changes, _("Name"), known.name, row.name)
    _differs(changes, _("Kind"), known.kind, row.kind)
    _differs(changes, _("Skills"), known.skills, row.skills)
    _differs(changes, _("Former work unit"), known.former_unit, row.former_unit)
    _differs(changes, _("Birth year"), known.birth_year, row.birth_year)
    return Change(row, known, changes)


def _missing(roster: Roster, look: _School) -> tuple[list[Student], list[Volunteer]]:
    """The school's students in the classes the file holds, and its volunteers if the file lists volunteers, that
    the file does not hold: a new first-year roster does not make the other grades missing."""
    classes = {(row.grade, row.class_name) for row in roster.students if row.grade}
    numbers = {row.values.get("student_no", "").upper() for row in roster.students} | {
        row.student_no for row in roster.students}
    students = sorted((s for s in look.students.values() if s.active and s.student_no.upper() not in numbers
                       and (s.school_class.grade, s.school_class.name) in classes),
                      key=lambda s: (s.school_class.grade, s.school_class.name, s.student_no))
    volunteers = []
    if roster.volunteers:
        mobiles = {row.mobile for row in roster.volunteers} | {row.values.get("mobile", "") for row in roster.volunteers}
        names = {row.name for row in roster.volunteers}
        volunteers = sorted((v for v in look.active_volunteers if (v.phone or v.name) not in (mobiles if v.phone else names)),
                            key=lambda v: v.name)
    return students, volunteers


# ---- the template -------------------------------------------------------------------------

TEMPLATE_STUDENTS = (("姓名", 10), ("性别", 6), ("出生日期", 12), ("学籍号", 22), ("年级", 8), ("班级", 8),
                     *((f"监护人{n}{part}", width) for n in (1, 2) for part, width in
                       (("姓名", 12), ("关系", 10), ("电话", 15))))
TEMPLATE_VOLUNTEERS = (("姓名", 10), ("性别", 6), ("五老类别", 10), ("特长", 24), ("原单位", 24), ("手机号", 15),
                       ("出生年份", 10))


def template_workbook(school: School) -> bytes:
    """Two empty sheets with the headers the reader knows best, and a sheet 说明 of what goes in each column. The
    examples are on 说明 only: a template uploaded as it is imports nothing."""
    wb = Workbook()
    students = wb.active
    students.title = "学生名册"
    write_sheet(students, TEMPLATE_STUDENTS, [])
    write_sheet(wb.create_sheet("五老志愿者"), TEMPLATE_VOLUNTEERS, [])
    grades = f"{GRADE_NAMES[school.first_grade]}至{GRADE_NAMES[school.last_grade]}"
    notes = [
        ["姓名", "必填", "学生的姓名。"],
        ["性别", "必填", "男 或 女。"],
        ["出生日期", "选填", "如 2016-05-03、2016/5/3 或 2016年5月3日。"],
        ["学籍号", "必填", "全国学籍号或学号，4–30 位字母和数字。再次导入时按学籍号找到学生并更新，不会重复。"],
        ["年级、班级", "必填", f"本校为{grades}。班级可写作 三年级2班、3年级(2)班 或 302；"
                             "也可以年级一列写 三年级、班级一列写 2班。没有的班级会自动建立。"],
        ["监护人1姓名 … 监护人2电话", "选填", "最多四位监护人（监护人1 至 监护人4），也可写作 父亲姓名、母亲电话 等。"
                                         "电话为 11 位手机号，是家长登录的账号。兄弟姐妹填同一个监护人手机号，会成为一个家庭。"],
        ["五老志愿者：姓名", "必填", ""],
        ["五老类别", "必填", "、".join(VOLUNTEER_KINDS) + "。"],
        ["手机号", "必填", "11 位手机号，是志愿者登录的账号；再次导入时按手机号找到志愿者并更新。"],
        ["特长、原单位、出生年份", "选填", "如 书法、象棋；原单位如 市第一中学；出生年份如 1955。"],
        ["", "", "列按标题识别，列的顺序和多余的列不影响导入；标题可以不在第一行。导入前会先列出将新建、更新的内容和有问题的行，"
                 "确认后才导入。空白的格不会清除系统里已有的信息。"],
    ]
    write_sheet(wb.create_sheet("说明"), [("列", 24), ("是否必填", 10), ("填写说明", 90)], notes)
    for row in wb["说明"].iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    return workbook_bytes(wb)


# ---- staging and applying -----------------------------------------------------------------

def stage(actor, filename: str, data: bytes) -> ImportBatch:
    """Read a roster file and keep it, with its rows, for the preview. The school's data is not touched."""
    roster = read_roster(data, local_today())
    batch = ImportBatch(school_id=actor.school_id, kind=KIND, user_id=actor.id,
                        filename="".join(ch for ch in filename if ch.isprintable())[:200],
                        rows={"roster": roster_json(roster), "mapping": {}}, data=data)
    with saving():
        # A new upload replaces the user's unconfirmed one: abandoned previews do not pile up children's data.
        db.session.execute(delete(ImportBatch).where(ImportBatch.user_id == actor.id, ImportBatch.kind == KIND,
                                                     ImportBatch.applied_at.is_(None)))
        db.session.add(batch)
        db.session.flush()
        record(actor, "roster.upload", batch, f"file={batch.filename} students={len(roster.students)} "
                                              f"volunteers={len(roster.volunteers)} problems={len(roster.bad_rows())}")
    return batch


def imported_classes(batch: ImportBatch) -> list[SchoolClass]:
    """The classes an imported roster holds, for the links to their parents' logins."""
    return list(db.session.scalars(select(SchoolClass).where(SchoolClass.id.in_(batch.rows["summary"]["class_ids"]))
                                   .order_by(SchoolClass.grade, SchoolClass.name)))


def roster_of(batch: ImportBatch) -> Roster:
    return roster_from_json(batch.rows["roster"])


def mapping_of(batch: ImportBatch) -> dict:
    return batch.rows.get("mapping", {})


@dataclass
class Question:
    """A column the reader did not recognise, or one the user named: what it may mean, and what was chosen."""

    sheet: str
    header: str
    keys: tuple[str, ...]
    chosen: str = ""


def column_questions(batch: ImportBatch) -> list[Question]:
    roster, mapping = roster_of(batch), mapping_of(batch)
    questions = []
    for sheet, kind in roster.sheets.items():
        keys = STUDENT_KEYS if kind == "students" else VOLUNTEER_KEYS
        named = mapping.get(sheet, {})
        questions += [Question(sheet, header, keys, key) for header, key in named.items()]
        questions += [Question(sheet, header, keys) for header in roster.unknown_headers.get(sheet, [])
                      if header not in named]
    return questions


def read_again(actor, batch: ImportBatch, mapping: dict) -> None:
    """Read the kept file again with the meanings the user gave its unrecognised columns."""
    if batch.applied_at is not None or batch.data is None:
        raise DomainError(_("This file has already been imported."))
    roster = read_roster(batch.data, local_today(), mapping)
    with saving():
        batch.rows = {"roster": roster_json(roster), "mapping": mapping}
        record(actor, "roster.columns", batch, " ".join(f"{sheet}:{header}={key}" for sheet, chosen in mapping.items()
                                                        for header, key in chosen.items()))


def apply(actor, batch: ImportBatch) -> dict:
    """Plan again against the school as it is now and save every row that can be taken, in one transaction, or
    nothing. Returns the plan's summary, which the batch keeps instead of the rows and the file."""
    already = _("This file has already been imported.")
    if batch.applied_at is not None:
        raise DomainError(already)
    with saving(_("Someone changed the school's students while this file was imported. Nothing was imported; "
                  "please try again.")):
        # Claim the batch first: a second confirm, even a concurrent one, finds it taken.
        claimed = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id,
                                                               ImportBatch.applied_at.is_(None))
                                     .values(applied_at=utcnow()))
        if claimed.rowcount != 1:
            raise DomainError(already)
        the_plan = plan(actor.school_id, roster_of(batch))
        if not the_plan.changes_anything:
            raise DomainError(_("Nothing to import: the portal already has every row of this file as it is."))
        classes = _open_classes(the_plan)
        _save_families(the_plan.families, classes, actor.school_id)
        for change in the_plan.volunteers:
            _save_volunteer(change, actor.school_id)
        db.session.flush()
        summary = the_plan.summary()
        summary["class_ids"] = sorted({classes[(c.row.grade, c.row.class_name)].id for c in the_plan.students})
        record(actor, "roster.import", batch, _summary_text(batch.filename, summary))
        # The rows and the file hold children's data; once imported, the portal's own records are what counts.
        batch.rows, batch.data = {"summary": summary}, None
    return summary


def _summary_text(filename: str, summary: dict) -> str:
    counts = " ".join(f"{what}={'/'.join(str(summary[what][a]) for a in ACTIONS)}"
                      for what in ("students", "guardians", "volunteers"))
    return f"file={filename} {counts} families={summary['families']['new']} classes={summary['classes']['new']}"


def _open_classes(the_plan: Plan) -> dict:
    school_id = the_plan.school.id
    classes = {(c.grade, c.name): c for c in
               db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id))}
    for grade, name in the_plan.new_classes:
        classes[(grade, name)] = SchoolClass(school_id=school_id, grade=grade, name=name)
        db.session.add(classes[(grade, name)])
    for c in the_plan.students:
        classes[(c.row.grade, c.row.class_name)].active = True
    return classes


def _save_families(families: list[FamilyPlan], classes: dict, school_id: int) -> None:
    """Records that exist are changed through the ORM; new families, guardians and students, a whole school of
    them on the first import, are inserted in bulk. A child the file gives no guardian stays without a family, as
    the student form leaves one."""
    db.session.flush()  # the new classes' ids
    new = [f for f in families if f.family is None and f.guardians]
    names = [f"{f.students[0].row.name}家" for f in new]
    family_ids = dict(zip(map(id, new), db.session.scalars(
        insert(Family).returning(Family.id, sort_by_parameter_order=True),
        [{"school_id": school_id, "name": name, "name_initials": initials(name)} for name in names]), strict=True)) \
        if new else {}
    guardians, students = [], []
    for family_plan in families:
        family_id = family_plan.family.id if family_plan.family else family_ids.get(id(family_plan))
        for change in family_plan.guardians:
            row = change.row
            if change.record is None:
                guardians.append({"school_id": school_id, "family_id": family_id, "mobile": row.mobile,
                                  "name": row.name or f"{family_plan.students[0].row.name}家长",
                                  "relation": row.relation or "监护人"})
            else:
                change.record.name = row.name or change.record.name
                change.record.relation = row.relation or change.record.relation
        for change in family_plan.students:
            row, student = change.row, change.record
            values = {"name": row.name, "name_initials": initials(row.name), "gender": row.gender,
                      "class_id": classes[(row.grade, row.class_name)].id}
            if student is None:
                students.append({**values, "school_id": school_id, "student_no": row.student_no,
                                 "birth_date": row.birth_date, "family_id": family_id if row.guardians else None})
                continue
            for key, value in values.items():
                setattr(student, key, value)
            student.birth_date = row.birth_date or student.birth_date
            if student.family_id is None and row.guardians:
                student.family_id = family_id
    for model, rows in ((Guardian, guardians), (Student, students)):
        if rows:
            db.session.execute(insert(model), rows)


def _save_volunteer(change: Change, school_id: int) -> None:
    row, volunteer = change.row, change.record
    if volunteer is None:
        volunteer = Volunteer(school_id=school_id, kind=row.kind)
        db.session.add(volunteer)
    volunteer.name, volunteer.name_initials = row.name, initials(row.name)
    volunteer.phone, volunteer.kind = row.mobile, row.kind
    volunteer.skills = row.skills or volunteer.skills
    volunteer.former_unit = row.former_unit or volunteer.former_unit
    volunteer.birth_year = row.birth_year or volunteer.birth_year
