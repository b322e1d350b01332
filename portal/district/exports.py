"""The district's table as a workbook (this period's figures with 达标 or 未达标 where the unit drew a line, the
previous period's figures, and the lines); a competition's entries as a workbook and their files as one .zip."""
import tempfile
import zipfile

from openpyxl import Workbook

from ..core.xlsx import workbook_bytes, write_sheet
from ..hours.totals import Period
from . import figures, files
from .models import AWARDS


def _header(figure: figures.Figure) -> str:
    return f"{figure.label}（%）" if figure.unit == "%" else str(figure.label)


def table_workbook(unit, period: Period, rows: list[figures.Row], lines: dict[str, float]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = period.label[:31]
    headers = [("学校", 28), ("所属单位", 20)]
    for f in figures.FIGURES:
        headers.append((_header(f), 14))
        if f.key in lines:
            headers.append((f"{f.label}达标", 10))
    body = []
    for r in rows:
        line = [r.name, r.unit]
        for f in figures.FIGURES:
            line.append(r.values.get(f.key))
            if f.key in lines:
                state = figures.status(f, r.values.get(f.key), lines[f.key])
                line.append(str(figures.STATUS_LABELS[state]) if state else "")
        body.append(line)
    write_sheet(ws, headers, body)
    before = wb.create_sheet(f"上期 {figures.previous(period).label}"[:31])
    write_sheet(before, [("学校", 28), *((_header(f), 14) for f in figures.FIGURES if not f.now_only)],
                [[r.name, *(r.before.get(f.key) for f in figures.FIGURES if not f.now_only)] for r in rows])
    line_sheet = wb.create_sheet("达标线")
    write_sheet(line_sheet, [("指标", 30), ("达标线", 12), ("要求", 10)],
                [[_header(figures.BY_KEY[k]), v, "不低于" if figures.BY_KEY[k].better == "higher" else "不高于"]
                 for k, v in lines.items() if k in figures.BY_KEY])
    return workbook_bytes(wb)


def entries_workbook(task, returns) -> bytes:
    """A competition's entries, school by school, with their levels; the file named as in the .zip."""
    wb = Workbook()
    ws = wb.active
    ws.title = "作品名单"
    rows = []
    for r in returns:
        for i, e in enumerate(r.entries, start=1):
            rows.append([r.school.name, e.title, e.author, e.class_name, e.teacher,
                         str(AWARDS[e.award]) if e.award else "", "优秀指导教师" if e.teacher_award else "",
                         "优秀组织奖" if r.organising_award else "", entry_file_name(r, i, e) if e.file else ""])
    write_sheet(ws, [("学校", 28), ("作品", 30), ("作者", 12), ("班级", 12), ("指导教师", 12), ("等次", 10),
                     ("优秀指导教师", 12), ("优秀组织奖", 12), ("文件", 40)], rows)
    return workbook_bytes(wb)


def entry_file_name(ret, n: int, entry) -> str:
    """学校/序号-作品-作者.ext: the name the file has in the .zip."""
    ext = entry.file.stored_name.rsplit(".", 1)[-1]
    return f"{files.safe_part(ret.school.name)}/{files.safe_part(f'{n:02d}-{entry.title}-{entry.author}')}.{ext}"


def files_zip(task, returns):
    """Every file the schools returned, in a folder per school: entries by number, title and author; photos and
    files by their own names. Written to a temporary file (in memory while small), not held whole in memory: a
    district's essays add up."""
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for r in returns:
            for i, e in enumerate(r.entries, start=1):
                if e.file and files.path_of(e.file.stored_name).is_file():
                    z.write(files.path_of(e.file.stored_name), entry_file_name(r, i, e))
            for f in r.files:
                if f.kind in ("photo", "file") and files.path_of(f.stored_name).is_file():
                    z.write(files.path_of(f.stored_name),
                            f"{files.safe_part(r.school.name)}/{f.id}-{files.safe_part(f.original_name)}")
    out.seek(0)
    return out
