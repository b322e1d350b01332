"""Every interface string has its Chinese in messages.po, the one source of it; dates read the Chinese way."""
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.core.display import cn_date

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def _key(message):
    """(context, msgid): a message with a context is another message than the same id without (pgettext)."""
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def _read(path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages of the code and templates, extracted afresh as `make messages` does."""
    from portal.cli import extract_messages

    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    extract_messages(pot)
    return {_key(m): m for m in _read(pot) if m.id}


def test_every_message_in_the_code_has_its_chinese_in_the_po(extracted):
    catalog = {_key(m): m for m in _read(PO) if m.id}

    def translated(m):
        if m is None or m.fuzzy:
            return False
        return all(m.string) if isinstance(m.string, tuple) else bool(m.string)  # every plural form

    missing = [" | ".join(filter(None, key)) for key in extracted if not translated(catalog.get(key))]
    assert missing == [], "run `make messages`, then write the Chinese of these entries in messages.po"


def test_the_po_holds_no_fuzzy_and_no_unused_entries(extracted):
    catalog = _read(PO)
    fuzzy = [" | ".join(filter(None, _key(m))) for m in catalog if m.id and m.fuzzy]
    unused = [" | ".join(filter(None, _key(m))) for m in catalog if m.id and _key(m) not in extracted]
    obsolete = [" | ".join(filter(None, _key(m))) for m in catalog.obsolete.values()]
    assert (fuzzy, unused, obsolete) == ([], [], []), "`make messages` drops unused entries; check a fuzzy one"


def test_translations_keep_every_placeholder():
    """A translation that drops or renames %(name)s breaks the page at run time."""
    import re

    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    placeholders = re.compile(r"%\(\w+\)[sd]")
    wrong = [m.id for m in catalog if m.id and m.string and isinstance(m.id, str)
             and sorted(placeholders.findall(m.id)) != sorted(placeholders.findall(m.string))]
    assert wrong == []


def test_chinese_date_format(app):
    with app.test_request_context():
        assert cn_date(date(2026, 3, 5)) == "2026年3月5日 (周四)"


def test_home_shows_today_in_shanghai_time(app, login_as):
    from portal.core.clock import local_today

    html = login_as("teacher").get("/").get_data(as_text=True)
    with app.test_request_context():
        assert cn_date(local_today()) in html


def test_each_reader_gets_pages_in_their_own_language(login_as, world):
    """Templates translate from the catalog of the request's reader: one reader's English does not leak into the
    next reader's page, nor the other way round."""
    from portal.extensions import db

    world.users["teacher"].locale = "en"
    db.session.commit()
    english = login_as("teacher").get("/").get_data(as_text=True)
    chinese = login_as("coordinator").get("/").get_data(as_text=True)
    english_again = login_as("teacher").get("/").get_data(as_text=True)
    assert "Log out" in english and "退出登录" not in english
    assert "退出登录" in chinese and "Log out" not in chinese
    assert "Log out" in english_again
