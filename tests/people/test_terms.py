from datetime import date

import pytest

from portal.people.models import Term
from portal.people.services import current_term, term_for
from tests import factories


@pytest.mark.parametrize("day, name", [
    (date(2026, 11, 23), "2026–2027学年第一学期"),
    (date(2027, 1, 15), "2026–2027学年第一学期"),
    (date(2027, 3, 1), "2026–2027学年第二学期"),
    (date(2027, 8, 31), "2026–2027学年第二学期"),
])
def test_term_for_follows_the_chinese_school_year(day, name):
    assert term_for(day)[0] == name


def test_current_term_is_created_once_then_reused():
    school = factories.school()
    first = current_term(school.id, date(2026, 11, 23))
    again = current_term(school.id, date(2026, 12, 1))
    assert first.id == again.id and first.name == "2026–2027学年第一学期"
    assert Term.query.filter_by(school_id=school.id).count() == 1


def test_a_term_marked_current_wins():
    school = factories.school()
    marked = Term(school_id=school.id, name="试点学期", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30),
                  is_current=True)
    from portal.extensions import db
    db.session.add(marked)
    db.session.commit()
    assert current_term(school.id, date(2026, 11, 23)).id == marked.id


def test_a_term_created_meanwhile_by_another_request_is_reused(monkeypatch):
    """Two first-ever need forms at once: the second insert clashes and must find the first term."""
    from portal.extensions import db
    from portal.people import services

    school = factories.school()
    name, starts, ends = term_for(date(2026, 11, 23))
    db.session.add(Term(school_id=school.id, name=name, starts_on=starts, ends_on=ends))
    db.session.commit()
    real_scalar = db.session.scalar
    calls = {"n": 0}

    def miss_the_first_two_lookups(stmt, *a, **kw):
        calls["n"] += 1
        return None if calls["n"] <= 2 else real_scalar(stmt, *a, **kw)

    monkeypatch.setattr(db.session, "scalar", miss_the_first_two_lookups)
    term = services.current_term(school.id, date(2026, 11, 23))
    monkeypatch.undo()
    assert term is not None and term.name == name
    assert Term.query.filter_by(school_id=school.id).count() == 1
