import pytest

from portal.slots import modes_text, parse_modes, parse_slots, slot_bit, slots_text


def test_slots_text_reads_like_a_person_would_write_it():
    mask = slot_bit(2, 2) | slot_bit(5, 0)
    assert slots_text(mask) == "周三晚上、周六上午"
    whole_sunday = slot_bit(6, 0) | slot_bit(6, 1) | slot_bit(6, 2)
    assert slots_text(whole_sunday) == "周日全天"
    assert slots_text(0) == "时间不限"


@pytest.mark.parametrize("text", ["周三晚上、周六上午", "星期三晚上，周六上午", "周三晚上 / 周六上午"])
def test_parse_slots_accepts_common_spellings(text):
    assert parse_slots(text) == slot_bit(2, 2) | slot_bit(5, 0)


def test_parse_slots_round_trips_and_refuses_unknown_words():
    mask = slot_bit(0, 0) | slot_bit(6, 0) | slot_bit(6, 1) | slot_bit(6, 2)
    assert parse_slots(slots_text(mask)) == mask
    with pytest.raises(ValueError, match="周八"):
        parse_slots("周八上午")
    with pytest.raises(ValueError):
        parse_slots("周一中午")


def test_modes_round_trip():
    assert modes_text(parse_modes("面对面、线上")) == "面对面、线上"
    assert parse_modes("") == 0 and modes_text(0) == "方式不限"
    with pytest.raises(ValueError):
        parse_modes("写信")
