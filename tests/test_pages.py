"""Every page of every role, from the site map over the demo school: it opens, and within the query budget."""
import re

import pytest

from portal.demo import DEMO_PASSWORD, seed
from portal.extensions import db
from portal.permissions import policy_of
from tests.conftest import Client
from tests.helpers import counting
from tests.site_map import ROLES, SET_ASIDE, USERNAMES, mapped_endpoints, pages

# The ceiling for one page, whatever the data: more means a query per row somewhere. A download
# (a workbook of several reports, the annual pack) gathers more, but no more than a fixed number either.
QUERY_BUDGET = 15
DOWNLOAD_BUDGET = 25


def test_every_page_is_mapped_or_set_aside(app):
    seed()
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert sorted(get_endpoints - mapped_endpoints() - set(SET_ASIDE)) == []
    assert sorted(set(SET_ASIDE) - get_endpoints) == []


def test_every_role_reaches_what_its_home_page_offers(app):
    """The map is not thin: each role walks a fair share of the portal."""
    seed()
    sizes = {role: len({p.endpoint for p in pages(role)}) for role in ROLES}
    assert sizes["anonymous"] == 1
    assert sizes["coordinator"] >= 70 and sizes["teacher"] >= 20 and sizes["volunteer"] >= 15 and sizes["parent"] >= 10


@pytest.mark.parametrize("role", ROLES)
def test_every_page_opens_within_the_query_budget(app, role):
    seed()
    client = Client(app)
    if role != "anonymous":
        assert client.login(USERNAMES.get(role, role), DEMO_PASSWORD).status_code == 302
    over, failed = [], []
    for page in pages(role):
        for headers in ({}, {"HX-Request": "true"}):
            db.session.expire_all()
            with counting() as statements:
                r = client.get(page.url, headers=headers)
            if page.is_fragment and not headers:
                if r.status_code != 302:
                    failed.append((page.url, "a fragment opened on its own", r.status_code))
                continue
            if r.status_code != 200:
                failed.append((page.url, headers, r.status_code))
            elif len(statements) > (QUERY_BUDGET if page.is_html else DOWNLOAD_BUDGET):
                over.append((page.url, "htmx" if headers else "page", len(statements)))
            if not page.is_html:
                break
    assert failed == []
    assert over == []
    assert all(policy_of(p.endpoint) for p in pages(role))


# The filters' choices: the category and term lists (people.categories_of, terms_of) and the class list.
FILTER_CHOICES = re.compile(r"ORDER BY category\.sort_order|FROM term\b|ORDER BY school_class\.grade")


@pytest.mark.parametrize("url", ["/needs/?q=李", "/offers/?q=李", "/pairs/?q=王", "/matching/?q=李"])
def test_a_search_as_you_type_loads_the_results_not_the_filters(app, url):
    """htmx asks for the results on every keystroke; the filters around them are on the page already."""
    seed()
    client = Client(app)
    assert client.login("coordinator", DEMO_PASSWORD).status_code == 302
    with counting() as on_the_page:
        assert client.get(url).status_code == 200
    with counting() as searched:
        r = client.htmx(url)
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert [s for s in on_the_page if FILTER_CHOICES.search(s)], "the page shows the filters' choices"
    assert [s for s in searched if FILTER_CHOICES.search(s)] == []
