"""Excel import for every domain's sheet, and what the two menus' sheets (需求菜单, 资源菜单) share.

Import: read a sheet, check every row the way the forms would, keep the checked rows in an ImportBatch for a
preview, and on confirmation check them again and insert them all in one transaction — whole or not at all. Each
sheet's own columns and checks are in its domain's transfer.py (needs, offers, events), registered here.

The column headers and the words in the cells are data, written in Chinese whatever the interface
language; the messages about them go through Flask-Babel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import delete, select, update

from ..audit.services import record
from ..core.clock import local_today
from ..core.errors import DomainError, saving
from ..core.models import utcnow
from ..core.xlsx import WRAP, not_xlsx, reading_upload, workbook_bytes, write_sheet
from ..extensions import db
from ..menus.slots import MODES, parse_modes, parse_slots
from ..people.models import Category, Term
from ..people.services import categories_of, current_term
from .models import ImportBatch

MENU_NAME = {"needs": "需求菜单", "offers": "资源菜单"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
# A 2 MB .xlsx may unpack to far more (a zip bomb): refused before openpyxl reads it.
MAX_UNPACKED = 50 * 1024 * 1024
MAX_COLUMNS = 60
MAX_DETAIL, MAX_SKILLS = 1000, 200
# Values are kept in the batch for the preview; anything longer fails a length check anyway.
KEEP_CHARS = MAX_DETAIL + 1


# ---- columns ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int = 12
    required: bool = False
    example: str = ""


# Each domain's sheet, registered by its transfer.py (register_kind).
IMPORT_COLUMNS: dict = {}
HANDLERS: dict = {}  # kind -> (check rows, build objects, audit action per object)
ALSO_READ: dict = {}  # kind -> columns of an exported sheet that the check reads too
ONE_OF: dict = {}  # kind -> keys of columns of which the header must have at least one
TERM_KINDS: set = set()  # kinds whose rows fall in the current term unless they name one


def register_kind(kind: str, columns: tuple, check, build, action: str, also_read: tuple = (), one_of: tuple = (),
                  term: bool = False) -> None:
    """Let a domain import its sheet through the same upload → preview → confirm steps and ImportBatch.

    check(actor, rows, term) makes the Checked rows, term being default_term's (None unless registered with
    term=True); build(actor, checked) makes the objects to add, each audited as `action`.
    """
    IMPORT_COLUMNS[kind] = columns
    HANDLERS[kind] = (check, build, action)
    ALSO_READ[kind], ONE_OF[kind] = also_read, one_of
    if term:
        TERM_KINDS.add(kind)


def import_columns(kind: str) -> tuple[Column, ...]:
    return IMPORT_COLUMNS[kind]


def menu_workbook(actor, kind: str, filters, columns: list, rows: list, date_columns=()) -> tuple[bytes, int]:
    """A menu with the list's filters as one sheet: the kind's transfer.py reads the rows (never support tags or
    family notes).

    Writes an audit entry and commits. Returns the file and its row count.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = MENU_NAME[kind]
    write_sheet(ws, columns, rows, date_columns=date_columns)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    with saving():
        record(actor, f"{kind}.export", None, f"filters={filters.args()} rows={len(rows)}")
    return workbook_bytes(wb), len(rows)


def export_filename(kind: str, day: date) -> str:
    return f"{MENU_NAME[kind]}-{day.isoformat()}.xlsx"


def menu_template(kind: str, school_id: int, rules: dict) -> bytes:
    """The import columns with one example row, and a sheet 说明 with the allowed values: `rules` for the kind's own
    columns, the category, skills, time slots and ways as both menus write them."""
    columns = IMPORT_COLUMNS[kind]
    categories = [c.name for c in categories_of(school_id)]
    wb = Workbook()
    ws = wb.active
    ws.title = MENU_NAME[kind]
    example = [c.example for c in columns]
    if categories:
        example[[c.key for c in columns].index("category")] = categories[0]
    write_sheet(ws, [(c.header, c.width) for c in columns], [example])

    notes = wb.create_sheet("说明")
    rule = {
        "category": "必填。可选值：" + ("、".join(categories) if categories else "（请先在“人员管理”中设置类别）"),
        "skills": f"选填，最多 {MAX_SKILLS} 字，多个用逗号分隔。",
        "slots": "格式如“周三晚上、周六全天”：周一至周日 + 上午/下午/晚上/全天，用“、”分隔。留空为时间不限。",
        "modes": "可选值：" + "、".join(MODES) + "，多个用“、”分隔。留空为方式不限。",
        **rules,
    }
    rows = [[c.header, "必填" if c.required else "选填", rule[c.key]] for c in columns]
    rows.append(["", "", "第一行为列标题，请勿修改；多余的列会被忽略。每个文件最多 "
                 f"{MAX_ROWS} 行、2 MB。导入前会先检查，确认后全部导入或全部不导入。"])
    write_sheet(notes, [("列", 16), ("是否必填", 10), ("填写说明", 80)], rows)
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    return workbook_bytes(wb)


# ---- reading an upload --------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            return value.strftime("%Y-%m-%d %H:%M")
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(kind: str, data: bytes) -> list[dict]:
    """The first sheet's rows as {"line": n, "values": {key: text}}, columns found by their header.

    Raises DomainError (field "file") for an empty, oversized, unreadable or wrongly shaped file.
    """
    with reading_upload(data, MAX_BYTES, MAX_UNPACKED, _("The file is larger than 2 MB. Please split it.")) as wb:
        return _read_rows(kind, wb)


def _header_index(kind: str, columns, header: list[str]) -> tuple[dict, list[str]]:
    """Where each column is, and the required headers missing."""
    index = {col.key: header.index(col.header) for col in columns if col.header in header}
    missing = [c.header for c in columns if c.required and c.key not in index]
    if ONE_OF[kind] and not any(key in index for key in ONE_OF[kind]):
        missing.insert(0, "/".join(column_of(kind, key).header for key in ONE_OF[kind]))
    return index, missing


def _read_rows(kind: str, wb) -> list[dict]:
    if not wb.worksheets:
        raise not_xlsx()
    rows = wb.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
    columns = IMPORT_COLUMNS[kind] + ALSO_READ[kind]
    # The headers are in the first row, or the second below a title (an exported 行事历 has its title first).
    for header_line in (1, 2):
        header = [_text(v).replace(" ", "").replace("\u3000", "") for v in (next(rows, None) or ())]
        index, missing = _header_index(kind, columns, header)
        if not missing:
            break
        if header_line == 1:
            first_missing = missing
    else:
        raise DomainError(_("The first row must hold the column headers. Missing: %(columns)s.",
                            columns="、".join(first_missing)), "file")
    out = []
    for line, row in enumerate(rows, start=header_line + 1):
        values = {key: (_text(row[i]) if i < len(row) else "")[:KEEP_CHARS] for key, i in index.items()}
        if not any(values.values()):
            continue
        if len(out) == MAX_ROWS:
            raise DomainError(_("The file has more than %(max)d rows. Please split it.", max=MAX_ROWS), "file")
        out.append({"line": line, "values": values})
    if not out:
        raise DomainError(_("The sheet has no rows below the header."), "file")
    return out


# ---- checking rows ------------------------------------------------------------------------

@dataclass
class Checked:
    line: int
    values: dict
    errors: list = field(default_factory=list)  # [[column header, message], ...]
    who: str = ""  # the beneficiary or volunteer found, for the preview
    data: dict = field(default_factory=dict)  # what would be saved

    def error(self, header: str, message: str):
        self.errors.append([header, message])

    def as_json(self) -> dict:
        return {"line": self.line, "values": self.values, "errors": self.errors, "who": self.who}


def check_each(rows: list[dict], check) -> list[Checked]:
    """Each row of a sheet checked in turn by check(row, seen); `seen` is shared, so a row repeating an earlier one
    is found."""
    seen: dict = {}
    checked = []
    for r in rows:
        row = Checked(r["line"], dict(r["values"]))
        check(row, seen)
        checked.append(row)
    return checked


def has_control(text: str) -> bool:
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text)


def text_value(row: Checked, col: Column, limit: int | None = None, required=False) -> str:
    value = row.values.get(col.key, "")
    if has_control(value):
        row.error(col.header, _("Contains characters that are not allowed."))
    elif required and not value:
        row.error(col.header, _("This field is required."))
    elif limit is not None and len(value) > limit:
        row.error(col.header, _("At most %(max)d characters.", max=limit))
    return value


def column_of(kind, key) -> Column:
    return next(c for c in IMPORT_COLUMNS[kind] if c.key == key)


class Lookup:
    """The school's lists a sheet's rows are checked against, loaded once for a whole file; each menu's transfer.py
    adds its own."""

    def __init__(self, school_id: int, term: Term | None):
        self.school_id = school_id
        self.term = term
        self.categories = {c.name: c for c in db.session.scalars(select(Category).where(Category.school_id == school_id))}


def category_of(row: Checked, kind: str, look: Lookup):
    col = column_of(kind, "category")
    name = text_value(row, col, required=True)
    if not name or has_control(name):
        return None
    category = look.categories.get(name)
    if category is None or not category.active:
        row.error(col.header, _("Unknown or inactive category “%(name)s”.", name=name))
        return None
    return category


def masks(row: Checked, kind: str) -> tuple[int, int]:
    slots = modes = 0
    col = column_of(kind, "slots")
    text = text_value(row, col)
    if not has_control(text):
        try:
            slots = parse_slots(text)
        except ValueError as exc:
            row.error(col.header, _("Unknown time slot “%(word)s”. Write it like 周三晚上、周六全天.", word=str(exc)))
    col = column_of(kind, "modes")
    text = text_value(row, col)
    if not has_control(text):
        try:
            modes = parse_modes(text)
        except ValueError as exc:
            row.error(col.header, _("Unknown way “%(word)s”. Use %(choices)s.", word=str(exc), choices="、".join(MODES)))
    return slots, modes


def check_rows(kind: str, actor, rows: list[dict], term: Term | None = None) -> list[Checked]:
    """Check every row as the forms and services would; each Checked row carries its errors."""
    return HANDLERS[kind][0](actor, rows, term)


def default_term(kind: str, actor) -> Term | None:
    """The current term for a kind whose rows fall in one, created on demand as the needs form does (this may
    commit)."""
    return current_term(actor.school_id, local_today()) if kind in TERM_KINDS else None


def _clean_filename(name: str) -> str:
    return "".join(ch for ch in (name or "") if ch.isprintable())[:200]


def stage(actor, kind: str, filename: str, data: bytes) -> ImportBatch:
    """Read and check an upload and keep it for the preview. Nothing is added to the menus."""
    rows = read_sheet(kind, data)
    checked = check_rows(kind, actor, rows, default_term(kind, actor))
    batch = ImportBatch(school_id=actor.school_id, kind=kind, user_id=actor.id, filename=_clean_filename(filename),
                        rows=[c.as_json() for c in checked])
    with saving():
        # A new upload replaces the user's unconfirmed one: abandoned previews do not pile up children's data.
        db.session.execute(delete(ImportBatch).where(ImportBatch.user_id == actor.id, ImportBatch.kind == kind,
                                                     ImportBatch.applied_at.is_(None)))
        db.session.add(batch)
        db.session.flush()
        record(actor, f"{kind}.import.upload", batch,
               f"file={batch.filename} rows={len(checked)} errors={sum(1 for c in checked if c.errors)}")
    return batch


def counts(batch: ImportBatch) -> tuple[int, int]:
    """(rows without errors, rows with errors)."""
    bad = sum(1 for r in batch.rows if r["errors"])
    return len(batch.rows) - bad, bad


def find_batch(actor, kind: str, batch_id: int) -> ImportBatch | None:
    """Only the uploader sees a batch, in their school."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != kind or batch.user_id != actor.id or batch.school_id != actor.school_id:
        return None
    return batch


class _NoLongerValid(Exception):
    """Rows that passed the preview fail the check at confirmation (a student left, a duplicate was added)."""

    def __init__(self, checked: list):
        super().__init__()
        self.checked = checked


def apply(actor, batch: ImportBatch) -> int:
    """Check the rows again and add them all in one transaction, or nothing. Returns the count."""
    already = _("This file has already been imported.")
    if batch.applied_at is not None:
        raise DomainError(already)
    if any(r["errors"] for r in batch.rows):
        raise DomainError(_("Please correct the rows with errors in the file and upload it again. Nothing was imported."))
    term = default_term(batch.kind, actor)
    try:
        with saving(_("The rows could not be saved. Nothing was imported. Please try again.")):
            # Claim the batch first: a second confirm, even a concurrent one, finds it taken.
            claimed = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id,
                                                                   ImportBatch.applied_at.is_(None))
                                         .values(applied_at=utcnow()))
            if claimed.rowcount != 1:
                raise DomainError(already)
            checked = check_rows(batch.kind, actor, [{"line": r["line"], "values": r["values"]} for r in batch.rows],
                                 term)
            if not checked or any(c.errors for c in checked):
                raise _NoLongerValid(checked)
            objects = HANDLERS[batch.kind][1](actor, checked)
            db.session.add_all(objects)
            db.session.flush()
            action = HANDLERS[batch.kind][2]
            for obj in objects:
                record(actor, action, obj, f"import={batch.id}")
            record(actor, f"{batch.kind}.import", batch, f"file={batch.filename} rows={len(objects)}")
    except _NoLongerValid as stale:  # the claim is rolled back; the preview shows the rows' errors as they are now
        with saving():
            batch.rows = [c.as_json() for c in stale.checked]
        raise DomainError(_("Nothing was imported: some rows are no longer valid. See the errors below.")) from None
    return len(objects)
