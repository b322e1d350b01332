"""A class of three families for the announcement tests: the world's parent's, one whose mother and father both have
a login, and one with no login (to be phoned)."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notices.models import Notice
from tests import factories
from tests.helpers import forms


@pytest.fixture
def klass(world):
    both = factories.family(world.school, "李小华家", guardians=2)
    factories.student(world.own_class, "李小华", family=both)
    mother = factories.user(world.school, "parent", "li_mother", guardian_id=both.guardians[0].id,
                            display_name="李小华妈妈")
    father = factories.user(world.school, "parent", "li_father", guardian_id=both.guardians[1].id,
                            display_name="李小华爸爸")
    phoned = factories.family(world.school, "陈小东家")
    factories.student(world.own_class, "陈小东", family=phoned)
    return SimpleNamespace(parent=world.users["parent"], mother=mother, father=father, both=both, phoned=phoned)


def notices_of(user, kind="announcement") -> list[Notice]:
    db.session.expire_all()
    return db.session.scalars(select(Notice).where(Notice.user_id == user.id, Notice.kind == kind)
                              .order_by(Notice.id)).all()


def bell(html: str) -> str:
    m = re.search(r'<a [^>]*class="notice-bell[^>]*aria-label="([^"]*)"', html)
    return m.group(1) if m else ""


def options(html: str, name="audience") -> list[str]:
    """The values the form's select offers."""
    (form,) = [f for f in forms(html) if name in f["options"]]
    return form["options"][name]
