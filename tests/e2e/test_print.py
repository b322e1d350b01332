"""What an office prints, printed by Chromium to A4: the 志愿服务记录证明 is one page, in normal and large text, its
seal, date and 经办人 on the page with the text; a certificate's title never breaks inside a word on a phone."""
import re

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.hours.models import ServiceRecord
from portal.parent_school.models import Course
from tests.e2e.conftest import PHONE, start

pytestmark = pytest.mark.e2e


def _large_text(username: str):
    db.session.scalar(select(User).where(User.username == username)).large_text = True
    db.session.commit()


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
def test_the_service_record_prints_on_one_a4_page(tab, demo, large):
    if large:
        _large_text("admin")
    record = db.session.scalar(select(ServiceRecord.id))
    page = start(tab, "admin", {"width": 1280, "height": 800})
    tab.goto(f"/hours/records/{record}")
    page.emulate_media(media="print")

    pdf = page.pdf(format="A4", print_background=True)

    assert _pages(pdf) == 1
    assert page.locator(".cert-sign").is_visible()


def test_a_certificate_title_stays_whole_on_a_phone_in_large_text(tab, demo):
    _large_text("parent")
    course = db.session.scalar(select(Course.id).where(Course.title == "如何与孩子有效沟通"))
    page = start(tab, "parent", PHONE)
    tab.goto(f"/parent-school/courses/{course}/certificate")

    title = page.locator(".certificate h1")
    lines = title.evaluate("h => Math.round(h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight))")

    assert title.inner_text().strip() == "家长学校结业证书" and lines == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
