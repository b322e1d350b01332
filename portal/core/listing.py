"""Search text, ids from requests and pagination shared by every list page."""
import re

from werkzeug.routing import IntegerConverter

from ..extensions import db

MAX_ID = 2**31 - 1  # the largest id both databases store in an integer column
MAX_PAGE = 100_000
_DIGITS = re.compile(r"[0-9]{1,10}")


def clean_query(q: str | None) -> str:
    return "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:40]


def to_id(value) -> int | None:
    """A positive whole number that fits an integer column, from text a user could have typed; else None."""
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """<int:…> in a route: a number no integer column can hold matches no route (404), not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(args, name: str) -> int | None:
    """A whole-number query argument; anything else (empty, text, 0, too big) means no filter."""
    return to_id(args.get(name))


def page_arg(args) -> int:
    return min(to_id(args.get("page")) or 1, MAX_PAGE)


def paginate(stmt, page: int, per_page: int):
    return db.paginate(stmt, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False, count=True)
