"""The district's figures per school: the same definitions as the school's own report, read for many schools at once,
and no school's rows in another's figures."""
from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.district import figures
from portal.hours.totals import year_period
from portal.reports import services as reports
from portal.reports.services import share
from tests import factories
from tests.reports.common import event, need, noon, pair, period, registration, tagged, term

NOW = datetime(2026, 12, 1, 12)
TERM = figures.term_period(date(2026, 10, 1))


def busy_school(school, coord, kids=4, rating=5, came=2):
    """A term's work: needs (one matched in a week, one waiting, one of the term before), pairs (one running without a
    visit for months, one ended), tagged children (one covered), hours of two volunteers, an event held and one
    cancelled, a mandatory course's session with three registrations, `came` of them checked in, and two ratings."""
    t = term(school)
    cat = factories.category(school, "学业辅导")
    klass = factories.school_class(school, 3)
    children = [tagged(klass, f"学生{i}", "留守", family=factories.family(school)) for i in range(kids)]
    tagged(klass, "无标签", family=factories.family(school))
    matched = need(children[0], cat, coord, t, noon(date(2026, 9, 5)))
    need(children[1], cat, coord, t, noon(date(2026, 10, 1)))
    need(children[2], cat, coord, t, noon(date(2026, 3, 1)))
    pair(coord, t, [matched], started_on=date(2026, 9, 12), created=noon(date(2026, 9, 12)))
    pair(coord, t, [], status="ended", started_on=date(2026, 3, 1), ended_on=date(2026, 6, 30))
    for name, hours in (("张建国", "2.5"), ("李秀英", "3")):
        vol = factories.volunteer(school, name)
        factories.hour_entry(vol, coord, hours=hours, day=date(2026, 10, 8), status="approved")
        factories.hour_entry(vol, coord, hours="9", day=date(2026, 10, 9))  # pending: not counted
    event(school, "红色故事会", datetime(2026, 10, 10, 14), status="done", participants=30)
    event(school, "研学", datetime(2026, 10, 20, 9), status="cancelled")
    course = factories.course(school, coord, grades=(3,), mandatory=True)
    session = factories.course_session(course, starts_at=datetime(2026, 10, 20, 19))
    for i, kid in enumerate(children[:3]):
        registration(session, kid, coord, attended=i < came, rating=(rating, 3, None)[i])
    return t


@pytest.fixture
def two_schools(world):
    coord = world.users["coordinator"]
    far_coord = factories.user(world.far, "coordinator", "far-coordinator")
    return busy_school(world.school, coord), busy_school(world.far, far_coord, kids=6, rating=4)


def the_reports(school_id, t):
    d = reports.dashboard(school_id, period(t), NOW)
    completion = d.parent_school.completion
    return {
        "needs": d.needs_total, "matched": d.matching.share, "days": d.matching.median_days,
        "coverage": d.coverage.share, "overdue": d.pairs.overdue,
        "volunteers": sum(n for _k, _h, n in d.hours_by_kind), "hours": float(d.hours_total),
        "events": d.events.done, "sessions": len(d.parent_school.sessions), "attendance": d.parent_school.rate,
        "satisfaction": d.parent_school.satisfied,
        "mandatory": share(sum(c.completed for c in completion), sum(c.families for c in completion)),
    }


def test_each_schools_figures_are_those_of_its_own_report(world, two_schools):
    got = {sid: v[0] for sid, v in figures.values([world.school.id, world.far.id], [TERM], NOW).items()}

    for school, t in zip((world.school, world.far), two_schools, strict=True):
        mine = got[school.id]
        assert {k: v for k, v in mine.items() if k != "pairs"} == the_reports(school.id, t)
    # And by hand, so that the comparison cannot pass on two empty reports. The world's school has two tagged children
    # of its own, and one family in the course's grade.
    assert got[world.school.id] == {
        "needs": 2, "matched": 50.0, "days": 7, "coverage": share(1, 6), "pairs": 1, "overdue": 1, "volunteers": 2,
        "hours": 5.5, "events": 1, "sessions": 1, "attendance": 66.7, "satisfaction": 50.0, "mandatory": share(2, 6)}
    assert got[world.far.id]["coverage"] == share(1, 6)
    assert got[world.far.id]["satisfaction"] == 50.0 and got[world.far.id]["mandatory"] == share(2, 7)


def test_a_schools_figures_are_the_same_read_alone_or_among_others(world, two_schools):
    periods = [TERM, figures.previous(TERM)]
    together = figures.values([world.school.id, world.far.id], periods, NOW)
    alone = figures.values([world.school.id], periods, NOW)
    assert alone[world.school.id] == together[world.school.id]
    # Read together or one at a time, the periods give the same figures (today's only with the first).
    one_by_one = [figures.values([world.school.id], [p], NOW)[world.school.id][0] for p in periods]
    assert one_by_one[0] == alone[world.school.id][0]
    assert {k: v for k, v in one_by_one[1].items() if not figures.BY_KEY[k].now_only} == alone[world.school.id][1]
    assert one_by_one[1] != one_by_one[0]


def test_the_previous_term_and_year_are_the_ones_before(world, two_schools):
    assert figures.previous(TERM).label == "2025–2026学年第二学期"
    assert figures.previous(figures.previous(TERM)) == figures.term_period(date(2025, 10, 1))
    assert figures.previous(year_period(2026)) == year_period(2025)
    before = figures.values([world.school.id], [TERM, figures.previous(TERM)], NOW)[world.school.id][1]
    assert before["needs"] == 1 and before["pairs"] == 1 and before["hours"] == 0


def test_a_school_with_nothing_counts_none_and_has_no_shares_rather_than_zero_shares(world):
    """Only the world's two tagged children, in no pair."""
    got = figures.values([world.school.id], [TERM], NOW)[world.school.id][0]
    assert got == {"needs": 0, "matched": None, "days": None, "coverage": 0.0,
                   "pairs": 0, "overdue": 0, "volunteers": 0, "hours": 0, "events": 0, "sessions": 0,
                   "attendance": None, "mandatory": None, "satisfaction": None}


@pytest.mark.parametrize(("key", "value", "line", "state"), [
    ("attendance", 80.0, 80, "met"), ("attendance", 79.9, 80, "missed"), ("overdue", 2, 2, "met"),
    ("overdue", 3, 2, "missed"), ("attendance", None, 80, None), ("attendance", 50.0, None, None),
    ("needs", 3, 1, None)])
def test_a_figure_meets_its_line_on_the_side_that_is_better(key, value, line, state):
    assert figures.status(figures.BY_KEY[key], value, line) == state


def test_hours_keep_their_half_hours(world, two_schools):
    got = figures.values([world.school.id], [TERM], NOW)[world.school.id][0]
    assert Decimal(str(got["hours"])) == Decimal("5.5")
