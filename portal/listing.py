"""Search text and pagination shared by every list page."""
from .extensions import db


def clean_query(q: str | None) -> str:
    return "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:40]


def paginate(stmt, page: int, per_page: int):
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, error_out=False, count=True)


def int_arg(args, name: str) -> int | None:
    """A whole-number query argument; anything else (empty, text, 0) means no filter."""
    try:
        return int(args.get(name) or "") or None
    except ValueError:
        return None
