"""Every interface string has a Chinese translation; dates read the Chinese way."""
import subprocess
from datetime import date
from pathlib import Path

from babel.messages.pofile import read_po

from portal.core.display import cn_date

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_id_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([str(ROOT / ".venv/bin/pybabel") if (ROOT / ".venv/bin/pybabel").exists() else "pybabel",
                    "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with (ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and "fuzzy" not in m.flags}
    assert sorted(ids - translated) == []


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
