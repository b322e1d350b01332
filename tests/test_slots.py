"""Time slots and ways of meeting: the Chinese words of the sheets (which parse_slots reads back), and the words of
the pages, in the reader's language."""
import random
import re

import pytest

from portal.extensions import db
from portal.menus.slots import (
    ALL_MODES,
    ALL_SLOTS,
    modes_text,
    modes_text_zh,
    parse_modes,
    parse_slots,
    slot_bit,
    slots_text,
    slots_text_zh,
)
from tests import factories
from tests.factories import zh
from tests.helpers import menu_categories

CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
WED_EVENING, SAT_MORNING = slot_bit(2, 2), slot_bit(5, 0)
WHOLE_SATURDAY = slot_bit(5, 0) | slot_bit(5, 1) | slot_bit(5, 2)
FACE, ONLINE = 0b001, 0b100


def test_slots_text_reads_like_a_person_would_write_it():
    mask = WED_EVENING | SAT_MORNING
    whole_sunday = slot_bit(6, 0) | slot_bit(6, 1) | slot_bit(6, 2)
    for text in (slots_text, slots_text_zh):  # the page's words in Chinese (the default language), and the sheet's
        assert text(mask) == "周三晚上、周六上午"
        assert text(whole_sunday) == "周日全天"
        assert text(0) == "时间不限"


def test_the_chinese_pages_say_what_the_sheets_say():
    """The page's words in Chinese are the sheet's words, for any week: the Chinese interface reads as it always did."""
    masks = [0, ALL_SLOTS, *(slot_bit(d, p) for d in range(7) for p in range(3)), *random.Random(28).sample(
        range(ALL_SLOTS + 1), 3000)]
    assert [slots_text(m) for m in masks] == [slots_text_zh(m) for m in masks]
    assert [modes_text(m) for m in range(ALL_MODES + 1)] == [modes_text_zh(m) for m in range(ALL_MODES + 1)]
    assert modes_text(0) == "方式不限" and modes_text(FACE | ONLINE) == "面对面、线上"


@pytest.mark.parametrize("text", ["周三晚上、周六上午", "星期三晚上，周六上午", "周三晚上 / 周六上午"])
def test_parse_slots_accepts_common_spellings(text):
    assert parse_slots(text) == WED_EVENING | SAT_MORNING


def test_parse_slots_round_trips_and_refuses_unknown_words():
    mask = slot_bit(0, 0) | slot_bit(6, 0) | slot_bit(6, 1) | slot_bit(6, 2)
    assert parse_slots(slots_text_zh(mask)) == mask
    with pytest.raises(ValueError, match="周八"):
        parse_slots("周八上午")
    with pytest.raises(ValueError):
        parse_slots("周一中午")


def test_modes_round_trip():
    assert modes_text_zh(parse_modes("面对面、线上")) == "面对面、线上"
    assert parse_modes("") == 0 and modes_text_zh(0) == "方式不限"
    with pytest.raises(ValueError):
        parse_modes("写信")


def test_the_sheets_words_stay_chinese_for_an_english_reader(app):
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert slots_text(WED_EVENING | WHOLE_SATURDAY) == "Wed evening, Sat all day"
        assert slots_text_zh(WED_EVENING | WHOLE_SATURDAY) == "周三晚上、周六全天"
        assert parse_slots(slots_text_zh(WED_EVENING | WHOLE_SATURDAY)) == WED_EVENING | WHOLE_SATURDAY
        assert modes_text_zh(FACE | ONLINE) == "面对面、线上"


def _reads(user, locale):
    user.locale = locale
    db.session.commit()


def _facts(html, term):
    """The texts of a card's <dt>term</dt><dd>…</dd>."""
    return re.findall(rf"<dt>{re.escape(term)}</dt><dd>(.*?)</dd>", html)


def _slot_grid(html):
    return html.split('class="slot-grid-set"')[1].split("</fieldset>")[0]


def _ways(html):
    return next(s for s in html.split("<fieldset")[1:] if 'name="modes"' in s).split("</fieldset>")[0]


def test_cards_and_forms_say_the_times_and_ways_in_the_readers_language(world, login_as):
    cats = menu_categories(world)
    coord = world.users["coordinator"]
    factories.need(world.pupil, cats.study, coord, slots=WED_EVENING | WHOLE_SATURDAY, modes=FACE | ONLINE)
    factories.offer(world.volunteer, cats.study, coord, slots=0, modes=0)
    c = login_as("coordinator")
    _reads(coord, "en")  # a signed-in reader's language is their setting (?lang= is for the login page)

    needs = c.get("/needs/").get_data(as_text=True)
    assert _facts(needs, "When") == ["Wed evening, Sat all day"] and _facts(needs, "How") == ["In person, Online"]
    offers = c.get("/offers/").get_data(as_text=True)
    assert _facts(offers, "When") == ["Any time"] and _facts(offers, "How") == ["Any way"]
    slot_filter = offers.split('<select id="slot"')[1].split("</select>")[0]
    form = c.get("/needs/new").get_data(as_text=True)
    grid, ways = _slot_grid(form), _ways(form)
    assert '<th scope="row">Wed</th>' in grid and "Wed evening" in grid and "In person" in ways
    assert "Wed evening" in slot_filter
    assert CHINESE.findall(" ".join([*_facts(needs, "When"), *_facts(needs, "How"), *_facts(offers, "When"),
                                     *_facts(offers, "How"), slot_filter, grid, ways])) == []

    # The Chinese interface, as it always read.
    _reads(coord, "zh_CN")
    when, how = zh("When"), zh("How")
    needs = c.get("/needs/").get_data(as_text=True)
    assert _facts(needs, when) == ["周三晚上、周六全天"] and _facts(needs, how) == ["面对面、线上"]
    offers = c.get("/offers/").get_data(as_text=True)
    assert _facts(offers, when) == ["时间不限"] and _facts(offers, how) == ["方式不限"]
    assert '<option value="256">周三晚上</option>' in offers
    grid = _slot_grid(c.get("/needs/new").get_data(as_text=True))
    assert '<th scope="row">周三</th>' in grid and "<span>周三晚上</span>" in grid
