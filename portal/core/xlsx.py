"""Excel workbooks as every export writes them: a header row in bold on a tint, set widths, frozen panes, text that
stays text (never a formula), dates as dates; and the download response with the Chinese file name."""
import io
import zipfile
from contextlib import contextmanager
from datetime import UTC, date, datetime
from urllib.parse import quote

from flask import make_response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .clock import SHANGHAI
from .errors import DomainError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E8F1FB")
WRAP = Alignment(wrap_text=True, vertical="top")


def write_sheet(ws, headers: list[tuple[str, int]], rows, date_columns=()):
    ws.append([h for h, _w in headers])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for i, (_h, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    # Cell by cell at a known row: `ws.max_row` (and `ws[n]`) scan every cell written so far, which made a sheet's
    # cost grow with the square of its rows.
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
            if cell.data_type == "f":  # text such as "=HYPERLINK(…)" stays text, never a formula
                cell.data_type = "s"
    for col in date_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "yyyy-mm-dd"


def workbook_bytes(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI).date()


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """RFC 6266 / RFC 5987: an ASCII name for old clients and the Chinese one for the rest."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(data: bytes, filename: str, ascii_fallback: str):
    resp = make_response(data)
    resp.headers["Content-Type"] = XLSX_MIMETYPE
    resp.headers["Content-Disposition"] = content_disposition(filename, ascii_fallback)
    return resp


def not_xlsx() -> DomainError:
    return DomainError(_("The file is not a readable Excel workbook (.xlsx)."), "file")


@contextmanager
def reading_upload(data: bytes, max_bytes: int, max_unpacked: int, too_large: str, read_only: bool = True):
    """An uploaded .xlsx, opened with the cached values of its formulas after the checks every upload gets, and
    closed after the block.

    Raises DomainError (field "file") for an empty file, one over `max_bytes` or unpacking to more than
    `max_unpacked` (`too_large` says so), or one that is not a workbook or fails while the block reads it.
    """
    if not data:
        raise DomainError(_("The file is empty."), "file")
    if len(data) > max_bytes:
        raise DomainError(too_large, "file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            # A small .xlsx may unpack to far more: refuse a zip bomb before openpyxl reads it.
            if sum(i.file_size for i in z.infolist()) > max_unpacked:
                raise DomainError(too_large, "file")
    except zipfile.BadZipFile as exc:
        raise not_xlsx() from exc
    try:
        wb = load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise not_xlsx() from exc
    try:
        yield wb
    except DomainError:
        raise
    except Exception as exc:  # a damaged sheet found while reading it
        raise not_xlsx() from exc
    finally:
        wb.close()
