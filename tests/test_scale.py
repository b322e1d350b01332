"""One deployment, many schools: a school's pages read that school's rows, however many other schools there are.

School A is seeded alone (tagged students with needs, running pairs, offers, a busy hours ledger with entries
waiting, parent-school sessions with registrations and feedback). Its coordinator opens the committee's dashboard
(its term and its year), the hours queue with a search, and a need's suggestions, while every statement each
request runs is captured with its parameters; each is run again under EXPLAIN ANALYZE. Then a hundred more schools
with the same kind of data are added (copied by the database from one seeded school) and the pages measured again.
A scan that returns, in one pass, more rows of a table than school A has in it has read other schools' rows, which
a school's page has no use for.

Rows, not timings: they do not depend on the machine. Rows per pass, not times the passes: a plan that looks the
school's rows up one at a time, where with less data it read them in one go, reads the same rows more often, not
other schools' rows. The EXPLAIN runs with sequential scans disabled: in a test database every table is small
enough that PostgreSQL reads it whole, where with a district's data it would reach the school's rows by an index;
without sequential scans a plan reads other schools' rows only when the statement leaves it no way round them, or
when reading them all is cheaper than looking up the school's one at a time (a busy school's hours joined to the
volunteers). PostgreSQL only: SQLite's planner is not the one that went astray, and its EXPLAIN has no row counts."""
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import String, UniqueConstraint, cast, event, func, insert, or_, select, text, true

from portal.auth.models import User
from portal.events.models import Event
from portal.extensions import db
from portal.hours.models import HourEntry
from portal.needs.models import Need
from portal.offers.models import Offer
from portal.pairs.models import Pair, PairNeed, PairVolunteer
from portal.parent_school.models import Course, CourseSession, Feedback
from portal.people.models import (
    DEFAULT_SUPPORT_TAGS,
    Category,
    Family,
    School,
    SchoolClass,
    Student,
    SupportTag,
    Term,
    Volunteer,
    initials,
    student_tags,
)
from portal.registrations.models import Registration
from portal.registrations.services import local_now
from tests import factories
from tests.conftest import Client

pytestmark = pytest.mark.postgres

VOLUNTEERS = 8


class Size(NamedTuple):
    students: int
    ledger: tuple[int, int]  # approved and pending hour entries per volunteer
    staff: int  # teachers' accounts
    categories: int
    events: int


# School A is small but its ledger is busy: more entries than the district has volunteers, so that a statement
# joining its entries to every volunteer of the district finds hashing them cheaper than looking them up. The other
# schools are larger, with the lists a school keeps (categories, accounts, events) at full length: PostgreSQL then
# looks up the few rows a page of school A refers to by their keys, as it does with a district's data, rather than
# read a short table whole. Their ledgers are short: entries only make the table longer, which nothing here needs.
SCHOOL_A = Size(students=24, ledger=(60, 40), staff=0, categories=1, events=1)
OTHER = Size(students=120, ledger=(3, 2), staff=30, categories=8, events=10)
# Alike in every school, so a search for 张 finds volunteers of every school unless it keeps to one.
VOLUNTEER_NAMES = ("张建国", "李秀英", "王志强", "张桂兰", "陈国华")
SEARCH = "张"
OTHERS = 100
SHIFT = 1_000_000
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"}


def seed_school(n: int, size: Size) -> dict:
    """A school with everything the four pages read. Returns what the pages need."""
    now = local_now()
    today = now.date()
    add = db.session.add_all
    school = School(name=f"规模测试学校{n}")
    db.session.add(school)
    db.session.flush()
    sid = school.id
    coordinator = factories.user(school, "coordinator", f"scale-coordinator-{n}")
    tags = [SupportTag(school_id=sid, name=name) for name in DEFAULT_SUPPORT_TAGS]
    term = Term(school_id=sid, name="本学期", starts_on=today - timedelta(days=60), ends_on=today + timedelta(days=60),
                is_current=True)
    categories = [Category(school_id=sid, name=f"类别{i}", sort_order=i) for i in range(size.categories)]
    category = categories[0]
    classes = [SchoolClass(school_id=sid, grade=grade, name="1班") for grade in (1, 2, 3)]
    staff = [User(school_id=sid, username=f"scale-teacher-{n}-{i}", display_name="teacher", role="teacher",
                  password_hash=coordinator.password_hash) for i in range(size.staff)]
    add([*tags, term, *categories, *classes, *staff])
    db.session.flush()

    families = [Family(school_id=sid, name=f"家庭{i}", name_initials="jt") for i in range(size.students)]
    add(families)
    db.session.flush()
    students = [Student(school_id=sid, class_id=classes[i % 3].id, student_no=f"{n:04d}{i:04d}", name=f"学生{i}",
                        name_initials="xs", gender="女" if i % 2 else "男", family_id=families[i].id)
                for i in range(size.students)]
    volunteers = [Volunteer(school_id=sid, name=(name := VOLUNTEER_NAMES[i % len(VOLUNTEER_NAMES)]),
                            name_initials=initials(name), kind="老教师", skills="数学, 书法",
                            phone=f"139{n:04d}{i:04d}", birth_year=1955) for i in range(VOLUNTEERS)]
    add([*students, *volunteers])
    db.session.flush()
    # Two tags for most students, none for every sixth.
    db.session.execute(insert(student_tags), [
        {"student_id": s.id, "tag_id": tags[(i + k) % len(tags)].id}
        for i, s in enumerate(students) if i % 6 for k in (0, 1)])

    offers = [Offer(school_id=sid, volunteer_id=v.id, category_id=category.id, entered_by_id=coordinator.id,
                    skills="数学", detail="每周可辅导一次", capacity=4, used=1) for v in volunteers]
    # Every other student's need is matched, in a pair that runs; the rest wait.
    needs = [Need(school_id=sid, student_id=s.id, category_id=category.id, term_id=term.id, detail="需要数学辅导",
                  skills="数学", status="matched" if i % 2 == 0 else "open",
                  created_at=datetime.combine(today - timedelta(days=40 - i), datetime.min.time()),
                  created_by_id=coordinator.id)
             for i, s in enumerate(students)]
    add([*offers, *needs])
    db.session.flush()
    matched = [need for need in needs if need.status == "matched"]
    pairs = [Pair(school_id=sid, kind="one_to_one", status="active" if i % 4 else "ended", term_id=term.id,
                  started_on=today - timedelta(days=30 - i), ended_on=None if i % 4 else today - timedelta(days=3),
                  end_reason=None if i % 4 else "goal", last_visit_on=today - timedelta(days=i),
                  created_by_id=coordinator.id)
             for i in range(len(matched))]
    add(pairs)
    db.session.flush()
    add([PairNeed(pair_id=p.id, need_id=need.id) for p, need in zip(pairs, matched, strict=True)])
    add([PairVolunteer(pair_id=p.id, volunteer_id=offers[i % VOLUNTEERS].volunteer_id,
                       offer_id=offers[i % VOLUNTEERS].id) for i, p in enumerate(pairs)])

    # Approved hours over the term and entries waiting in the queue, for every volunteer.
    approved, pending = size.ledger
    add([HourEntry(school_id=sid, volunteer_id=v.id, worked_on=today - timedelta(days=1 + k % 50),
                   hours=Decimal(2), activity="lecture", status="approved" if k < approved else "pending",
                   entered_by_id=coordinator.id) for v in volunteers for k in range(approved + pending)])

    course = Course(school_id=sid, title="家庭教育讲座", lecturer_name="刘教授", target_grades="1,2,3",
                    created_by_id=coordinator.id)
    add([course, *(Event(school_id=sid, title="红色故事会", kind="红色故事会", status="done", participants=40,
                         starts_at=now - timedelta(days=12 + i)) for i in range(size.events))])
    db.session.flush()
    sessions = []
    for days in (10, 20):
        start = (now - timedelta(days=days)).replace(hour=19, minute=0, second=0, microsecond=0)
        sessions.append(CourseSession(school_id=sid, course_id=course.id, starts_at=start,
                                      ends_at=start + timedelta(hours=1), deadline=start - timedelta(days=1),
                                      capacity=50, place="学校报告厅", status="done"))
    add(sessions)
    db.session.flush()
    registrations = [Registration(school_id=sid, session_id=session.id, family_id=s.family_id, student_id=s.id,
                                  class_id=s.class_id, status="confirmed", seq=i + 1, code=f"R{i + 1:05d}",
                                  registered_by_id=coordinator.id,
                                  attended_at=session.starts_at if i % 3 else None)
                     for session in sessions for i, s in enumerate(students)]
    add(registrations)
    db.session.flush()
    add([Feedback(registration_id=r.id, rating=1 + r.seq % 5) for r in registrations if r.attended_at])
    db.session.commit()
    return {"school_id": sid, "coordinator": coordinator.username, "year": today.year,
            "open_need": next(need.id for need in needs if need.status == "open")}


def copy_school(template_id: int, copies: int) -> None:
    """`copies` more schools like the template, made by the database itself: every row of the template and every
    row hanging from one (a pair's needs, a student's tags, a registration's feedback) written again per copy, with
    its id and its references shifted by a multiple of SHIFT and its unique names given a suffix."""
    copy = func.generate_series(1, copies).table_valued("n").render_derived("copy")
    owned = {}
    for table in db.metadata.sorted_tables:
        if table.name == "school":
            owned[table] = table.c.id == template_id
        elif "school_id" in table.c:
            owned[table] = table.c.school_id == template_id
        elif links := [fk for fk in table.foreign_keys if fk.column.table in owned]:
            owned[table] = or_(*(fk.parent.in_(select(fk.column).where(owned[fk.column.table])) for fk in links))
    for table, of_template in owned.items():
        # The template's rows picked once, not again for every copy.
        rows = select(table).where(of_template).cte(f"template_{table.name}").prefix_with("MATERIALIZED")
        values = []
        for column in table.c:
            value = rows.c[column.name]
            if (column.primary_key and not column.foreign_keys) or any(fk.column.table in owned
                                                                        for fk in column.foreign_keys):
                value = value + copy.c.n * SHIFT
            elif isinstance(column.type, String) and _unique(table, column):
                value = func.left(value, (column.type.length or 100) - 8) + "~" + cast(copy.c.n, String)
            values.append(value)
        db.session.execute(insert(table).from_select(list(table.c), select(*values).select_from(rows.join(copy, true()))))
    db.session.commit()


def _unique(table, column) -> bool:
    return bool(column.unique) or any(
        [c.name for c in constraint.columns] == [column.name]
        for constraint in (*table.constraints, *table.indexes)
        if isinstance(constraint, UniqueConstraint) or getattr(constraint, "unique", False))


def analyze():
    """Statistics for the planner, and the dead rows of earlier tests' deletes cleared from the tables' pages."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def empty_fast():
    """What the next test's set-up would delete row by row, each delete checking the references to it."""
    db.session.rollback()
    db.session.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)))
    db.session.commit()


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def scans(plan, out=None) -> list[tuple[str, float, int]]:
    """The plan's scans of tables: (table, rows returned per loop, loops)."""
    out = [] if out is None else out
    if plan.get("Node Type") in SCANS:
        out.append((plan["Relation Name"], plan["Actual Rows"], plan["Actual Loops"]))
    for child in plan.get("Plans", ()):
        scans(child, out)
    return out


def read(nodes) -> int:
    """Rows returned by the scans over all their loops."""
    return round(sum(rows * loops for _table, rows, loops in nodes))


def explained(statements) -> list[tuple[str, list]]:
    """Each SELECT run again under EXPLAIN ANALYZE, on a connection of the app's own engine (its settings), with
    sequential scans disabled (see the module's docstring)."""
    out = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET LOCAL enable_seqscan = off")
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            out.append((statement, scans(cursor.fetchone()[0][0]["Plan"])))
        raw.rollback()
    finally:
        raw.close()
    return out


def measure(client, urls) -> dict[str, list[tuple[str, list]]]:
    got = {}
    for name, url in urls.items():
        statements = []

        def capture(_conn, _cursor, statement, parameters, _context, _executemany, into=statements):
            into.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            r = client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        assert r.status_code == 200, (url, r.status_code)
        got[name] = explained(statements)
    return got


def test_a_schools_pages_read_only_its_rows_however_many_schools_there_are(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: the row counts come from its EXPLAIN ANALYZE")
    a = seed_school(0, SCHOOL_A)
    analyze()
    urls = {"dashboard": "/reports/", "year": f"/reports/?period=y{a['year']}",
            "queue search": f"/hours/queue?q={SEARCH}", "suggestions": f"/matching/needs/{a['open_need']}"}
    client = Client(app)
    assert client.login(a["coordinator"]).status_code == 302
    for url in urls.values():  # anything a first visit sets up, out of the way
        assert client.get(url).status_code == 200
    own = row_counts()  # every row there is, so far, is school A's
    alone = measure(client, urls)
    try:
        copy_school(seed_school(1, OTHER)["school_id"], OTHERS - 1)
        analyze()
        among_many = measure(client, urls)
    finally:
        empty_fast()

    others = []
    for page, before in alone.items():
        after = among_many[page]
        assert [s for s, _nodes in before] == [s for s, _nodes in after], f"{page}: other statements ran"
        for (statement, nodes_before), (_s, nodes) in zip(before, after, strict=True):
            # A scan returning in one pass more rows of a table than school A has in it read other schools' rows.
            beyond = {table: f"{rows:g} of {own[table]}" for table, rows, _loops in nodes if rows > own[table]}
            if beyond:
                others.append(f"{page}: rows read {read(nodes_before)} alone, {read(nodes)} among {OTHERS + 1} schools;"
                              f" in one pass {beyond}\n    {' '.join(statement.split())[:300]}")
    assert not others, "statements reading other schools' rows:\n" + "\n".join(others)


def test_postgresql_compiles_none_of_the_portals_statements(app):
    """JIT is off on the portal's connections: an estimate that grows with the district would otherwise buy a
    compilation that takes longer than the statement."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT")
    assert db.session.scalar(text("SHOW jit")) == "off"
    assert db.session.scalar(text("SHOW join_collapse_limit")) == "1"
