"""The committee's figures, one definition at a time, on a handful of rows built by hand: periods, needs per
category, matching, special-group coverage, pairs, hours, events and the parent school; the chart rows and the
dashboard that puts them together. Dates and `now` are always given, never read from the clock."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.hours.totals import year_period
from portal.needs.models import Need
from portal.pairs.models import END_REASONS, PAIR_KINDS
from portal.people.models import Term, Volunteer
from portal.reports import charts, services
from tests import factories
from tests.factories import zh
from tests.helpers import menu_categories
from tests.reports.common import TERM_END, TERM_START, event, need, noon, pair, period, registration, tagged, term, utc

D = Decimal
ZEROS = {"open": 0, "matched": 0, "done": 0, "closed": 0}


@pytest.fixture
def coord(world):
    return world.users["coordinator"]


@pytest.fixture
def t(world):
    """The school's 2026–2027 first term: 2026-09-01 to 2027-01-31."""
    return term(world.school)


@pytest.fixture
def P(t):
    return period(t)


@pytest.fixture
def cats(world):
    return menu_categories(world)


# === Periods ==========================================================================================

def test_periods_are_the_terms_newest_first_then_this_year_and_the_two_before(world):
    mid = term(world.school)
    old = term(world.school, "2025–2026学年第一学期", date(2025, 9, 1), date(2026, 1, 31))
    new = term(world.school, "2026–2027学年第二学期", date(2027, 2, 1), date(2027, 8, 31))
    term(world.far)

    got = services.periods(world.school.id, date(2026, 10, 10))

    assert [(p.key, p.label, p.start, p.end) for p in got] == [
        (f"t{new.id}", "2026–2027学年第二学期", date(2027, 2, 1), date(2027, 8, 31)),
        (f"t{mid.id}", "2026–2027学年第一学期", date(2026, 9, 1), date(2027, 1, 31)),
        (f"t{old.id}", "2025–2026学年第一学期", date(2025, 9, 1), date(2026, 1, 31)),
        ("y2026", "2026年", date(2026, 1, 1), date(2026, 12, 31)),
        ("y2025", "2025年", date(2025, 1, 1), date(2025, 12, 31)),
        ("y2024", "2024年", date(2024, 1, 1), date(2024, 12, 31)),
    ]


def test_a_period_is_found_by_its_key(world, t):
    old = term(world.school, "2025–2026学年第一学期", date(2025, 9, 1), date(2026, 1, 31))
    today = date(2026, 10, 10)

    chosen, choices = services.period_from_arg(f"t{old.id}", world.school.id, today)
    assert (chosen.key, chosen.start, chosen.end) == (f"t{old.id}", date(2025, 9, 1), date(2026, 1, 31))
    assert [p.key for p in choices] == [f"t{t.id}", f"t{old.id}", "y2026", "y2025", "y2024"]

    chosen, _ = services.period_from_arg("y2025", world.school.id, today)
    assert (chosen.key, chosen.start, chosen.end) == ("y2025", date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize("value", [None, "", "t999999", "y1999", "y2027", "t", "x' OR 1=1 --", "t1\x00", "far"])
def test_an_unknown_period_falls_back_to_the_current_term(world, t, value):
    term(world.school, "2025–2026学年第一学期", date(2025, 9, 1), date(2026, 1, 31))
    if value == "far":  # another school's term is no choice here
        value = f"t{term(world.far).id}"

    chosen, _ = services.period_from_arg(value, world.school.id, date(2026, 10, 10))

    assert (chosen.key, chosen.start, chosen.end) == (f"t{t.id}", TERM_START, TERM_END)


def test_the_term_marked_current_is_the_fallback_even_when_today_is_in_another(world, t):
    marked = term(world.school, "2025–2026学年第一学期", date(2025, 9, 1), date(2026, 1, 31), current=True)
    chosen, _ = services.period_from_arg("nonsense", world.school.id, date(2026, 10, 10))
    assert chosen.key == f"t{marked.id}"


def test_a_school_without_terms_gets_the_term_of_today_created_and_offered_first(world):
    chosen, choices = services.period_from_arg(None, world.school.id, date(2027, 3, 5))
    assert (chosen.label, chosen.start, chosen.end) == ("2026–2027学年第二学期", date(2027, 2, 1), date(2027, 8, 31))
    assert choices[0] == chosen
    assert [p.key for p in choices[1:]] == ["y2027", "y2026", "y2025"]
    services.period_from_arg(None, world.school.id, date(2027, 3, 5))
    assert db.session.scalar(select(func.count()).select_from(Term).where(Term.school_id == world.school.id)) == 1


# === Needs per category ===============================================================================

def test_needs_raised_in_the_period_per_category_and_status(world, coord, t, P, cats):
    pupil = world.pupil
    # Shanghai is UTC+8: 2026-08-31 16:00 UTC is midnight starting 1 September there.
    need(pupil, cats.study, coord, t, utc(2026, 8, 31, 16, 0), "open")
    need(pupil, cats.study, coord, t, utc(2026, 8, 31, 17, 0), "open")
    need(pupil, cats.study, coord, t, utc(2026, 10, 1, 2, 0), "matched")
    need(pupil, cats.study, coord, t, utc(2026, 11, 1, 2, 0), "done")
    need(pupil, cats.study, coord, t, utc(2027, 1, 31, 15, 59, 59), "closed")  # 23:59:59 on 31 January
    need(pupil, cats.study, coord, t, utc(2026, 8, 31, 15, 59, 59), "open")     # still 31 August in Shanghai
    need(pupil, cats.study, coord, t, utc(2027, 1, 31, 16, 0), "matched")       # 1 February in Shanghai
    need(world.far_pupil, cats.far, coord, term(world.far), utc(2026, 10, 1), "open")

    rows = services.needs_by_category(world.school.id, P)

    assert [(r.name, r.by_status, r.total, r.matched) for r in rows] == [
        ("学业辅导", {"open": 2, "matched": 1, "done": 1, "closed": 1}, 5, 2),
        ("心理疏导", ZEROS, 0, 0),  # active, listed with none
    ]


def test_a_retired_category_is_listed_only_when_it_has_needs_in_the_period(world, coord, t, P, cats):
    need(world.pupil, cats.old, coord, t, utc(2026, 6, 1))  # before the term
    assert [r.name for r in services.needs_by_category(world.school.id, P)] == ["学业辅导", "心理疏导"]

    need(world.pupil, cats.old, coord, t, utc(2026, 12, 1), "done")
    rows = services.needs_by_category(world.school.id, P)
    assert [(r.name, r.total, r.matched) for r in rows] == [("学业辅导", 0, 0), ("心理疏导", 0, 0), ("旧类别", 1, 1)]


# === Matching =========================================================================================

def _matched_after(world, coord, t, cats, days, created=utc(2026, 9, 1, 2, 0), status="active"):
    """A need raised at `created` and paired `days` later (same time of day)."""
    n = need(world.pupil, cats.study, coord, t, created, "matched")
    pair(coord, t, [n], status=status, created=created + timedelta(days=days))
    return n


def test_matching_counts_days_from_raising_to_pairing_in_bands(world, coord, t, P, cats):
    for days in (7, 8, 14, 15, 30, 31):
        _matched_after(world, coord, t, cats, days)
    need(world.stranger, cats.study, coord, t, utc(2026, 9, 2), "open")

    m = services.matching(world.school.id, P)

    assert (m.raised, m.matched, m.share) == (7, 6, 85.7)
    assert sorted(m.days) == [7, 8, 14, 15, 30, 31]
    assert (m.median_days, m.mean_days) == (14.5, 17.5)
    assert m.buckets == [("一周内", 1), ("1–2 周", 2), ("2–4 周", 2), ("一个月以上", 1)]


def test_a_need_in_two_pairs_counts_once_from_its_first_pair(world, coord, t, P, cats):
    n = need(world.pupil, cats.study, coord, t, utc(2026, 9, 1, 2, 0), "matched")
    pair(coord, t, [n], status="active", created=utc(2026, 9, 21, 2, 0))
    pair(coord, t, [n], status="ended", started_on=date(2026, 9, 4), created=utc(2026, 9, 4, 2, 0),
         ended_on=date(2026, 9, 20))

    m = services.matching(world.school.id, P)

    assert (m.raised, m.matched, m.days) == (1, 1, [3])


def test_a_pair_still_to_be_confirmed_counts_as_matched(world, coord, t, P, cats):
    _matched_after(world, coord, t, cats, 2, status="pending")
    m = services.matching(world.school.id, P)
    assert (m.raised, m.matched, m.share, m.days) == (1, 1, 100.0, [2])


def test_matching_days_are_counted_between_shanghai_days(world, coord, t, P, cats):
    # Raised at 23:00 on 1 September in Shanghai, paired at 00:30 on 2 September: one day, though 90 minutes.
    n = need(world.pupil, cats.study, coord, t, utc(2026, 9, 1, 15, 0), "matched")
    pair(coord, t, [n], created=utc(2026, 9, 1, 16, 30))
    # Raised at 01:00 on 3 September in Shanghai (2 September in UTC), paired at 11:00 on 5 September: two days.
    n = need(world.pupil, cats.study, coord, t, utc(2026, 9, 2, 17, 0), "matched")
    pair(coord, t, [n], created=utc(2026, 9, 5, 3, 0))

    assert sorted(services.matching(world.school.id, P).days) == [1, 2]


def test_matching_leaves_out_needs_of_other_periods_and_schools(world, coord, t, P, cats):
    n = need(world.pupil, cats.study, coord, t, utc(2026, 8, 20), "matched")
    pair(coord, t, [n], created=utc(2026, 9, 2))
    far_term = term(world.far)
    n = need(world.far_pupil, cats.far, coord, far_term, utc(2026, 9, 5), "matched")
    pair(coord, far_term, [n], created=utc(2026, 9, 6))

    m = services.matching(world.school.id, P)

    assert (m.raised, m.matched, m.share, m.median_days, m.mean_days) == (0, 0, None, None, None)
    assert [n for _label, n in m.buckets] == [0, 0, 0, 0]


# === Special-group coverage ===========================================================================

@pytest.mark.parametrize("status, started, ended, covered", [
    ("active", date(2026, 9, 10), None, 1),
    ("active", date(2025, 3, 1), None, 1),
    ("active", TERM_END, None, 1),
    ("active", TERM_END + timedelta(days=1), None, 0),
    ("ended", date(2026, 3, 1), TERM_START, 1),
    ("ended", date(2026, 3, 1), TERM_START - timedelta(days=1), 0),
    ("ended", date(2026, 12, 1), date(2027, 3, 1), 1),
    ("ended", TERM_END + timedelta(days=1), date(2027, 3, 1), 0),
    ("pending", date(2026, 9, 10), None, 0),
    ("paused", date(2026, 9, 10), None, 0),
], ids=["active", "active_since_long", "active_from_last_day", "active_from_after_the_end", "ended_on_first_day",
        "ended_the_day_before", "ended_after_the_end", "ran_after_the_end", "pending", "paused"])
def test_a_tagged_student_is_covered_by_a_pair_running_in_the_period(world, coord, t, P, cats, status, started, ended,
                                                                    covered):
    n = need(world.pupil, cats.study, coord, t, utc(2025, 3, 1), "matched")
    pair(coord, t, [n], status=status, started_on=started, ended_on=ended)

    cov = services.coverage(world.school.id, P)

    assert [(c.school_class.id, c.tagged, c.covered) for c in cov.classes] == [
        (world.own_class.id, 1, covered), (world.other_class.id, 1, 0)]
    assert (cov.tagged, cov.covered) == (2, covered)


def test_coverage_per_class_per_grade_and_for_the_school(world, coord, t, P, cats):
    own = world.own_class                                     # 三年级2班 (and the stranger in 四年级1班)
    first = factories.school_class(world.school, 3, "1班")     # 三年级1班: listed before 2班
    closed = factories.school_class(world.school, 3, "9班")
    closed.active = False
    quiet = factories.school_class(world.school, 5, "1班")
    db.session.commit()

    # 三年级2班: the pupil covered (a small group with b1), a2 not.
    a2 = tagged(own, "周小军", "学困")
    # 三年级1班: b1 and b2 covered, b3 not; an untagged and an inactive student are not counted.
    b1, b2 = tagged(first, "钱一", "留守"), tagged(first, "孙二", "残疾")
    tagged(first, "李三", "随迁子女")  # no pair (nor has the stranger in 四年级1班)
    untagged = tagged(first, "吴四")
    gone = tagged(first, "郑五", "单亲", active=False)
    # A class closed with a tagged student left in it, and a class without tagged students: neither listed.
    tagged(closed, "冯六", "留守")
    tagged(quiet, "陈七")

    group = [need(s, cats.study, coord, t, utc(2026, 9, 2), "matched") for s in (world.pupil, b1)]
    pair(coord, t, group, kind="one_to_many")
    pair(coord, t, [need(b2, cats.mind, coord, t, utc(2026, 3, 1), "done")], status="ended",
         started_on=date(2026, 3, 10), ended_on=date(2026, 10, 1))
    for s in (untagged, gone):
        pair(coord, t, [need(s, cats.study, coord, t, utc(2026, 9, 2), "matched")])
    pair(coord, t, [need(a2, cats.study, coord, t, utc(2026, 9, 2), "matched")], status="pending")

    cov = services.coverage(world.school.id, P)

    assert [(c.school_class.label, c.tagged, c.covered, c.share) for c in cov.classes] == [
        ("三年级1班", 3, 2, 66.7), ("三年级2班", 2, 1, 50.0), ("四年级1班", 1, 0, 0.0)]
    assert cov.grades == [("三年级", 5, 3, 60.0), ("四年级", 1, 0, 0.0)]
    assert (cov.tagged, cov.covered, cov.share) == (6, 3, 50.0)
    assert cov.uncovered == []  # names only when asked for


def test_with_names_lists_the_uncovered_students_by_class_with_their_tags_and_open_need(world, coord, t, P, cats):
    own = world.own_class
    first = factories.school_class(world.school, 3, "1班")
    sun = tagged(first, "孙小雨", "随迁子女")
    waiting = tagged(own, "陈小花", "困难家庭")
    need(waiting, cats.study, coord, t, utc(2025, 10, 1), "open")  # an open need of any time
    a2 = tagged(own, "周小军", "学困", "留守")                        # tags come in the list's order
    need(a2, cats.study, coord, t, utc(2026, 9, 2), "closed")
    pair(coord, t, [need(world.pupil, cats.study, coord, t, utc(2026, 9, 2), "matched")])
    tagged(first, "郑五", "单亲", active=False)
    # Matched, but the pair waits for confirmation: not covered, and not "no need raised" either.
    confirming = tagged(first, "吴小兰", "留守")
    to_confirm = pair(coord, t, [need(confirming, cats.study, coord, t, utc(2026, 9, 3), "matched")],
                      status="pending")
    paused = pair(coord, t, [need(world.stranger, cats.study, coord, t, utc(2026, 9, 4), "matched")],
                  status="paused")
    open_need = db.session.scalar(select(Need.id).where(Need.student_id == waiting.id))

    cov = services.coverage(world.school.id, P, with_names=True)

    assert [(u.class_label, u.name, u.tags, u.need_state, u.need_id is not None, u.pair_id) for u in cov.uncovered] == [
        ("三年级1班", "孙小雨", ["随迁子女"], "none", False, None),
        ("三年级1班", "吴小兰", ["留守"], "pending", True, to_confirm.id),
        ("三年级2班", "陈小花", ["困难家庭"], "open", True, None),
        ("三年级2班", "周小军", ["留守", "学困"], "none", False, None),
        ("四年级1班", "赵小红", ["留守", "单亲"], "paused", True, paused.id),
    ]
    assert cov.uncovered[2].need_id == open_need
    assert (cov.uncovered[0].student_id, cov.uncovered[0].student_no) == (sun.id, sun.student_no)


def test_coverage_counts_only_the_schools_own_students(world, coord, t, P, cats):
    far_term = term(world.far)
    far_pupil = world.far_pupil
    far_pupil.support_tags = [factories.tag(world.far, "留守")]
    db.session.commit()
    pair(coord, far_term, [need(far_pupil, cats.far, coord, far_term, utc(2026, 9, 2), "matched")])

    ours = services.coverage(world.school.id, P, with_names=True)
    theirs = services.coverage(world.far.id, period(far_term), with_names=True)

    assert [(c.school_class.id, c.tagged, c.covered) for c in ours.classes] == [
        (world.own_class.id, 1, 0), (world.other_class.id, 1, 0)]
    assert [u.name for u in ours.uncovered] == ["王小明", "赵小红"]
    assert [(c.school_class.id, c.tagged, c.covered) for c in theirs.classes] == [(world.far_class.id, 1, 1)]
    assert theirs.uncovered == []


# === Pairs ============================================================================================

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize("days, visited, expected", [
    (13, True, (0, 0)), (14, True, (1, 0)), (29, True, (1, 0)), (30, True, (0, 1)),
    (13, False, (0, 0)), (14, False, (1, 0)), (29, False, (1, 0)), (30, False, (0, 1)),
])
def test_follow_up_needs_attention_from_14_days_and_is_overdue_from_30(world, coord, t, P, days, visited, expected):
    """Counted from the last visit, or from the start when there was none."""
    if visited:
        pair(coord, t, [], started_on=TODAY - timedelta(days=200), last_visit_on=TODAY - timedelta(days=days))
    else:
        pair(coord, t, [], started_on=TODAY - timedelta(days=days))

    f = services.pair_figures(world.school.id, P, TODAY)

    assert (f.active, f.attention, f.overdue) == (1, *expected)


def test_pairs_by_kind_started_and_ended_in_the_period(world, coord, t, P):
    long_ago = date(2026, 8, 20)
    pair(coord, t, [], started_on=date(2026, 11, 17))                                       # 13 days: fine
    pair(coord, t, [], started_on=TERM_START, last_visit_on=date(2026, 11, 16))              # attention
    pair(coord, t, [], kind="many_to_one", started_on=long_ago, last_visit_on=date(2026, 11, 1))  # attention
    pair(coord, t, [], kind="one_to_many", started_on=long_ago, last_visit_on=date(2026, 10, 31))  # overdue
    pair(coord, t, [], started_on=date(2026, 8, 1))                                         # overdue, no visit
    # Not running: no follow-up figures, whatever the dates.
    pair(coord, t, [], status="paused", started_on=date(2026, 7, 1), last_visit_on=date(2026, 7, 1))
    pair(coord, t, [], status="pending", started_on=date(2026, 10, 1))
    pair(coord, t, [], status="ended", started_on=date(2026, 9, 5), ended_on=date(2026, 10, 10), end_reason="goal")
    pair(coord, t, [], status="ended", started_on=date(2026, 3, 1), ended_on=TERM_START, end_reason="graduated")
    pair(coord, t, [], status="ended", started_on=date(2026, 4, 1), ended_on=TERM_END, end_reason="transferred")
    pair(coord, t, [], status="ended", started_on=date(2026, 2, 1), ended_on=date(2026, 8, 31), end_reason="goal")
    pair(coord, t, [], status="ended", started_on=date(2026, 2, 1), ended_on=date(2027, 2, 1), end_reason="other")
    pair(coord, term(world.far), [], started_on=date(2026, 9, 20))

    f = services.pair_figures(world.school.id, P, TODAY)

    assert f.active == 5
    assert f.by_kind == [(str(PAIR_KINDS["one_to_one"]), 3), (str(PAIR_KINDS["many_to_one"]), 1),
                         (str(PAIR_KINDS["one_to_many"]), 1)]
    assert (f.attention, f.overdue) == (2, 2)
    assert f.started == 4  # 17 Nov, 1 Sep, the pending one and the one ended in October
    assert f.ended == [(str(END_REASONS["goal"]), 1), (str(END_REASONS["graduated"]), 1),
                       (str(END_REASONS["transferred"]), 1)]
    assert f.ended_total == 3


def test_pair_figures_of_a_school_without_pairs_are_zero(world, P):
    f = services.pair_figures(world.school.id, P, TODAY)
    assert (f.active, f.attention, f.overdue, f.started, f.ended, f.ended_total) == (0, 0, 0, 0, [], 0)
    assert [n for _label, n in f.by_kind] == [0, 0, 0]


# === Volunteer hours ==================================================================================

def _approved(volunteer, by, hours, day, **kw):
    return factories.hour_entry(volunteer, by, str(hours), day=day, status="approved", **kw)


def _reverse(entry, by):
    """The correcting row that cancels an approved entry, as hours.ledger.reverse writes it."""
    return factories.hour_entry(db.session.get(Volunteer, entry.volunteer_id), by, str(-entry.hours),
                                day=entry.worked_on, status="approved", reverses_id=entry.id)


@pytest.fixture
def ledger(world, coord):
    """张建国 (老教师) 5 h in 3 entries, one of them reversed; 李桂英 (老干部) and 周红 (老专家) 5 h too; 王芳
    (老教师) 6 h; 钱明 only pending and rejected hours; hours outside the term and of another school."""
    zhang = world.volunteer
    li = factories.volunteer(world.school, "李桂英", "老干部")
    wang = factories.volunteer(world.school, "王芳", "老教师")
    qian = factories.volunteer(world.school, "钱明", "老模范")
    _approved(zhang, coord, 2, TERM_START)
    _approved(zhang, coord, 3, date(2026, 9, 30))
    _reverse(_approved(zhang, coord, 4, date(2026, 11, 15)), coord)
    _approved(zhang, coord, 5, TERM_START - timedelta(days=1))
    _approved(zhang, coord, 5, TERM_END + timedelta(days=1))
    _approved(li, coord, "3.5", date(2026, 10, 1))
    _approved(li, coord, "1.5", TERM_END)
    _approved(wang, coord, 6, date(2026, 10, 20))
    zhou = factories.volunteer(world.school, "周红", "老专家")  # the last one written, ranked between the other two
    _approved(zhou, coord, 5, date(2026, 12, 10))
    factories.hour_entry(qian, coord, "2", day=date(2026, 10, 10), status="pending")
    factories.hour_entry(qian, coord, "3", day=date(2026, 10, 11), status="rejected")
    _approved(factories.volunteer(world.far, "孙远"), coord, 8, date(2026, 9, 15))
    return zhang, li, wang, zhou


def test_hours_by_month_are_approved_hours_with_reversals_taken_off(world, P, ledger):
    got = services.hours_by_month(world.school.id, P)

    assert [(m.month, m.hours, m.entries) for m in got] == [
        (date(2026, 9, 1), D("5.0"), 2),
        (date(2026, 10, 1), D("9.5"), 2),
        (date(2026, 11, 1), D("0.0"), 1),  # 4 h reversed: no hours, and the reversal is no entry of its own
        (date(2026, 12, 1), D(5), 1),
        (date(2027, 1, 1), D("1.5"), 1),
    ]


def test_hours_by_five_elders_kind(world, P, ledger):
    assert services.hours_by_kind(world.school.id, P) == [
        ("老干部", D("5.0"), 1), ("老战士", D(0), 0), ("老专家", D(5), 1), ("老教师", D("11.0"), 2), ("老模范", D(0), 0)]


def test_top_volunteers_by_hours_then_name(world, P, ledger):
    zhang, li, wang, zhou = ledger

    top = services.top_volunteers(world.school.id, P)

    # 李桂英, 周红 and 张建国 all have 5 hours: by name (pinyin lgy, zh, zjg), so the list is the same each time.
    assert [(x.volunteer.id, x.hours, x.entries) for x in top] == [(wang.id, D(6), 1), (li.id, D(5), 2),
                                                                  (zhou.id, D(5), 1), (zhang.id, D(5), 3)]
    assert [x.volunteer.id for x in services.top_volunteers(world.school.id, P, limit=2)] == [wang.id, li.id]


def test_a_volunteer_whose_hours_were_all_reversed_is_no_top_volunteer(world, coord, P):
    _reverse(_approved(world.volunteer, coord, 4, date(2026, 10, 5)), coord)
    other = factories.volunteer(world.school, "李桂英", "老干部")
    _approved(other, coord, "0.5", date(2026, 10, 5))

    assert [(x.volunteer.id, x.hours) for x in services.top_volunteers(world.school.id, P)] == [(other.id, D("0.5"))]


# === Events ===========================================================================================

def test_events_per_month_and_kind_with_cancelled_ones_apart(world, P):
    s = world.school
    event(s, "五老讲传统", datetime(2026, 9, 1, 0, 0), "五老进课堂", "done", 40)
    event(s, "红色故事会一", datetime(2026, 9, 30, 14), "红色故事会", "done", 25)
    event(s, "红色故事会二", datetime(2026, 10, 15, 14), "红色故事会", "planned", 99)  # not held: not summed
    event(s, "法治讲座", datetime(2026, 10, 20, 14), "讲座", "cancelled", 10)
    event(s, "社区清扫", datetime(2026, 12, 5, 9), "社区服务", "done", None)
    event(s, "读书会", datetime(2027, 1, 31, 23, 59), "读书会", "planned")  # a kind not on the list: last
    event(s, "暑期夏令营", datetime(2026, 8, 31, 23, 59), "节日活动", "done", 50)
    event(s, "寒假走访", datetime(2027, 2, 1, 0, 0), "家访", "done", 30)
    event(world.far, "别校活动", datetime(2026, 10, 1, 14), "红色故事会", "done", 100)

    e = services.event_figures(s.id, P)

    assert [(m.month, dict(m.by_kind), m.total) for m in e.months] == [
        (date(2026, 9, 1), {"五老进课堂": 1, "红色故事会": 1}, 2),
        (date(2026, 10, 1), {"红色故事会": 1}, 1),
        (date(2026, 11, 1), {}, 0),
        (date(2026, 12, 1), {"社区服务": 1}, 1),
        (date(2027, 1, 1), {"读书会": 1}, 1),
    ]
    assert e.by_kind == [("五老进课堂", 1), ("红色故事会", 2), ("社区服务", 1), ("读书会", 1)]
    assert (e.done, e.planned, e.cancelled, e.participants) == (3, 2, 1, 65)
    assert [x.title for x in e.events] == ["五老讲传统", "红色故事会一", "红色故事会二", "法治讲座", "社区清扫", "读书会"]


# === Parent school ====================================================================================

NOW = datetime(2026, 11, 20, 19, 30)  # Shanghai wall clock, as session times are


def _session(course, starts_at, status="done", title=""):
    return factories.course_session(course, starts_at=starts_at, status=status, title=title)


def test_parent_school_attendance_walk_ins_and_satisfaction_of_held_sessions(world, coord, t, P):
    course = factories.course(world.school, coord, "好家长沟通课", grades=(3, 4))
    kids = factories.families_with_children(world.own_class, 6)
    held = _session(course, datetime(2026, 10, 10, 19), "done", "第一讲")
    registration(held, kids[0], coord, attended=True, rating=5)
    registration(held, kids[1], coord, attended=True, rating=4)
    registration(held, kids[2], coord)                                    # registered, did not come
    registration(held, kids[3], coord, status="waitlisted")
    registration(held, kids[4], coord, status="cancelled")
    registration(held, kids[5], coord, attended=True, walk_in=True, rating=2)
    now_on = _session(course, NOW, "open", "第二讲")                     # starting right now: held
    registration(now_on, kids[0], coord, attended=True, rating=3)
    registration(now_on, kids[1], coord)
    later = _session(course, NOW + timedelta(minutes=1), "open", "第三讲")
    cancelled = _session(course, datetime(2026, 10, 20, 19), "cancelled", "取消的一讲")
    before = _session(course, datetime(2026, 8, 31, 19), "done", "暑期一讲")
    for s in (later, cancelled, before):
        registration(s, kids[2], coord, attended=True, rating=1)
    far_course = factories.course(world.far, coord, "别校课程")
    far_kid = factories.families_with_children(world.far_class, 1)[0]
    registration(_session(far_course, datetime(2026, 10, 10, 19)), far_kid, coord, attended=True, rating=1)

    ps = services.parent_school(world.school.id, P, NOW)

    assert [(r.session.id, r.registered, r.came, r.walk_ins, r.rate, r.rating, r.ratings) for r in ps.sessions] == [
        (held.id, 3, 2, 1, 66.7, 3.7, 3),
        (now_on.id, 2, 1, 0, 50.0, 3.0, 1),
    ]
    assert (ps.registered, ps.came, ps.walk_ins, ps.rate) == (5, 3, 1, 60.0)
    assert ps.stars == [(5, 1), (4, 1), (3, 1), (2, 1), (1, 0)]
    assert (ps.ratings, ps.average, ps.satisfied) == (4, 3.5, 50.0)


def test_parent_school_without_sessions_has_no_rates(world, P):
    ps = services.parent_school(world.school.id, P, NOW)
    assert (ps.sessions, ps.registered, ps.rate, ps.ratings, ps.average, ps.satisfied) == ([], 0, None, 0, None, None)
    assert ps.stars == [(5, 0), (4, 0), (3, 0), (2, 0), (1, 0)]


def test_mandatory_course_completion_per_class_of_its_grades(world, coord):
    own, other = world.own_class, world.other_class                 # 三年级2班, 四年级1班
    first = factories.school_class(world.school, 3, "1班")          # 三年级1班
    # 三年级2班: the pupil's family with two children there (counted once), two more families, a family whose
    # only child has left, and a child without a family.
    sibling = factories.student(own, "王小亮", family=world.family)
    fam_x, fam_y = factories.families_with_children(own, 2, "二班")
    gone = factories.families_with_children(own, 1, "转走")[0]
    gone.active, gone.status = False, "left"
    factories.student(own, "无家庭")
    fam_z = factories.families_with_children(first, 1, "一班")[0]
    fam_c = factories.families_with_children(other, 1, "四年级")[0]
    db.session.commit()

    required = factories.course(world.school, coord, "新生家长入学适应", grades=(3,), mandatory=True,
                                sessions_required=2)
    m1, m2 = (_session(required, datetime(2026, 3, d, 19)) for d in (1, 8))
    m3 = _session(required, datetime(2026, 3, 15, 19), "cancelled")
    for kid in (world.pupil, fam_z):
        registration(m1, kid, coord, attended=True)
    registration(m2, sibling, coord, attended=True)                  # the same family, for the other child
    registration(m2, fam_z, coord, attended=True)
    registration(m1, fam_x, coord, attended=True)
    registration(m3, fam_x, coord, attended=True)                   # a cancelled session does not count
    registration(m1, fam_y, coord)                                  # registered, never came
    registration(m1, gone, coord, attended=True)

    everyone = factories.course(world.school, coord, "家庭教育通识", grades=(), mandatory=True)
    registration(_session(everyone, datetime(2026, 4, 1, 19)), fam_c, coord, attended=True)
    # An elective and a retired mandatory course are not listed, whoever attended them.
    elective = factories.course(world.school, coord, "选修课", grades=(3,))
    retired = factories.course(world.school, coord, "旧必修课", grades=(3,), mandatory=True, active=False)
    for c in (elective, retired):
        registration(_session(c, datetime(2026, 4, 2, 19)), world.pupil, coord, attended=True)

    got = services.mandatory_completion(world.school.id)

    assert [(c.course.title, c.school_class.label, c.families, c.started, c.completed, c.share) for c in got] == [
        ("新生家长入学适应", "三年级1班", 1, 1, 1, 100.0),
        ("新生家长入学适应", "三年级2班", 3, 2, 1, 33.3),
        ("家庭教育通识", "三年级1班", 1, 0, 0, 0.0),
        ("家庭教育通识", "三年级2班", 3, 0, 0, 0.0),
        ("家庭教育通识", "四年级1班", 1, 1, 1, 100.0),
    ]
    # Over the course's whole life: the parent-school figures of a term carry the same list.
    assert [(c.course.id, c.school_class.id) for c in services.parent_school(world.school.id, period(term(
        world.school)), NOW).completion] == [(c.course.id, c.school_class.id) for c in got]


def test_no_mandatory_course_means_no_completion_rows(world, coord):
    factories.course(world.school, coord, "选修课", grades=(3,))
    assert services.mandatory_completion(world.school.id) == []


# === Charts and the whole dashboard ===================================================================

@pytest.fixture
def small(world, coord, t, cats):
    """A little of everything in the term: two needs (one matched in 3 days), the pupil covered by an active pair,
    4.5 approved hours, a held event and a held session with one rating, and a mandatory course."""
    n = need(world.pupil, cats.study, coord, t, utc(2026, 9, 2, 2), "matched")
    need(world.stranger, cats.mind, coord, t, utc(2026, 9, 3, 2), "open")
    pair(coord, t, [n], started_on=date(2026, 9, 5), created=noon(date(2026, 9, 5)),
         last_visit_on=date(2026, 11, 1))
    _approved(world.volunteer, coord, "4.5", date(2026, 10, 8))
    event(world.school, "五老讲传统", datetime(2026, 10, 9, 14), "五老进课堂", "done", 30)
    course = factories.course(world.school, coord, "新生家长入学适应", grades=(3,), mandatory=True)
    session = _session(course, datetime(2026, 10, 10, 19), "done", "第一讲")
    registration(session, world.pupil, coord, attended=True, rating=4)


def test_chart_rows_carry_their_numbers_as_text(world, P, small):
    d = services.dashboard(world.school.id, P, NOW)

    c = charts.build(d)

    assert c.needs == [("学业辅导", 1, 1, zh("%(n)d, %(m)d matched", n=1, m=1)),
                       ("心理疏导", 1, 0, zh("%(n)d, %(m)d matched", n=1, m=0))]
    assert c.grades == [("三年级", 100, 100.0, "100% (1/1)"), ("四年级", 100, 0, "0% (0/1)")]
    assert c.matching[0] == ("一周内", 1, None, "1")
    assert c.pair_kinds[0] == (str(PAIR_KINDS["one_to_one"]), 1, None, "1")
    assert c.hours_by_month[0] == (zh("%(year)d-%(month)d", year=2026, month=9), D(0), "0")
    assert c.hours_by_month[1] == (zh("Month %(month)d", month=10), D("4.5"), "4.5")
    assert c.hours_by_month[4][0] == zh("%(year)d-%(month)d", year=2027, month=1)
    assert ("老教师", D("4.5"), None, zh("%(h)s h, %(n)d people", h="4.5", n=1)) in c.hours_by_kind
    assert c.events_by_month[1] == (zh("Month %(month)d", month=10), 1, "1")
    assert c.events_by_kind == [("五老进课堂", 1, None, "1")]
    assert c.stars == [("★★★★★", 0, None, "0"), ("★★★★", 1, None, "1"), ("★★★", 0, None, "0"),
                       ("★★", 0, None, "0"), ("★", 0, None, "0")]
    assert c.completion == [("三年级2班", 100, 100.0, zh("%(share)s (%(n)d/%(total)d), %(started)d started",
                                                        share="100%", n=1, total=1, started=1))]


def test_chart_shares_keep_one_decimal_and_an_empty_need_row_says_zero(world, coord, t, P, cats):
    for name in ("孙一", "孙二"):
        tagged(world.own_class, name, "留守")
    pair(coord, t, [need(world.pupil, cats.study, coord, t, utc(2025, 1, 1), "matched")])

    c = charts.build(services.dashboard(world.school.id, P, NOW))

    assert c.grades == [("三年级", 100, 33.3, "33.3% (1/3)"), ("四年级", 100, 0, "0% (0/1)")]
    assert c.needs == [("学业辅导", 0, 0, "0"), ("心理疏导", 0, 0, "0")]


def test_the_dashboard_puts_every_figure_of_one_period_together(world, P, small):
    d = services.dashboard(world.school.id, P, NOW)

    assert d.period == P
    assert (d.needs_total, d.matching.raised, d.matching.matched, d.matching.days) == (2, 2, 1, [3])
    assert (d.coverage.tagged, d.coverage.covered, d.coverage.uncovered) == (2, 1, [])
    assert (d.pairs.active, d.pairs.attention, d.pairs.overdue, d.pairs.started) == (1, 1, 0, 1)  # 19 days on NOW
    assert (d.hours_total, [m.month.month for m in d.hours_by_month]) == (D("4.5"), [9, 10, 11, 12, 1])
    assert [x.volunteer.id for x in d.top_volunteers] == [world.volunteer.id]
    assert (d.events.done, d.events.participants) == (1, 30)
    assert (len(d.parent_school.sessions), d.parent_school.came, d.parent_school.satisfied) == (1, 1, 100.0)
    assert [(c.families, c.completed) for c in d.parent_school.completion] == [(1, 1)]

    year = services.dashboard(world.school.id, year_period(2026), NOW)
    assert (year.period.key, len(year.hours_by_month), year.needs_total) == ("y2026", 12, 2)


def test_shares_and_averages_round_half_up_as_excel_does():
    assert services.share(1, 16) == 6.3  # 6.25
    assert services.share(1, 3) == 33.3
    assert services.Matching(raised=4, matched=4, days=[1, 2, 3, 7]).mean_days == 3.3  # 3.25
    ps = services.ParentSchool(sessions=[], stars=[(5, 0), (4, 1), (3, 3), (2, 0), (1, 0)], completion=[])
    assert ps.average == 3.3  # 3.25
