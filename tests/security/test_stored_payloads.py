"""Text users wrote comes back as text (issue 10): markup, template syntax and spreadsheet formulas stored in every
free-text column are escaped on every page of every role, htmx partials included, and stay text in every export."""
import io
from html.parser import HTMLParser

from openpyxl import load_workbook
from sqlalchemy import String, Text, UniqueConstraint, case, cast, select, update

from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.services import import_columns
from portal.people.roster import Roster, StudentRow, roster_json
from tests.security import site
from tests.site_map import ROLES

# Text columns users cannot fill freely, and why: the app writes them, or accepts only a fixed set or shape.
NOT_FREE_TEXT = {
    "login_failure.key": "the throttle's key",
    "user.username": "letters, digits, dot, dash and underscore only",
    "user.password_hash": "written by the app", "user.session_token": "written by the app",
    "user.calendar_token": "written by the app", "user.role": "a fixed choice", "user.locale": "a fixed choice",
    "user.mobile": "an 11-digit mobile number", "guardian.mobile": "an 11-digit mobile number",
    "volunteer.phone": "an 11-digit mobile number", "help_request.contact_phone": "an 11-digit mobile number",
    "student.student_no": "digits and letters only", "student.gender": "a fixed choice",
    "guardian.relation": "a fixed choice", "consent.method": "a fixed choice", "volunteer.kind": "a fixed choice",
    "course.kind": "a fixed choice", "course.target_grades": "grade numbers", "event.kind": "a fixed choice",
    "event.precision": "a fixed choice", "event.audience_grades": "grade numbers",
    "audit_entry.action": "written by the app", "audit_entry.object_type": "written by the app",
    "audit_entry.ip": "written by the app", "import_batch.kind": "a fixed choice", "pair.kind": "a fixed choice",
    "pair.end_reason": "a fixed choice", "service_record.serial": "written by the app",
    "service_record.breakdown": "figures the app writes as JSON", "event_photo.stored_name": "written by the app",
    "event_photo.content_type": "written by the app", "help_request.contact_method": "a fixed choice",
    "visit.mode": "a fixed choice", "hour_entry.activity": "a fixed choice", "registration.code": "written by the app",
    "event_helper.role": "a fixed choice", "announcement.audience": "a fixed choice",
    "unit_threshold.figure": "a fixed choice", "task.kind": "a fixed choice", "task.parts": "a fixed choice",
    "task_return.state": "a state the app sets", "task_file.kind": "a fixed choice",
    "task_file.stored_name": "written by the app", "task_file.content_type": "written by the app",
    "task_entry.award": "a fixed choice",
}
# Column names that are never free text wherever they are.
NEVER_FREE_TEXT = {"status": "a state the app sets", "submit_token": "the double-submit guard's token"}

HTML_PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", "tpl{{7*7}}")
FORMULA_PAYLOADS = ('=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(1)", "=1+1")
# A link must start with http(s):// and hold no space (parent_school/forms.py), which still leaves this.
URL_PAYLOAD = 'https://x/"><svg/onload=alert(1)>'


def free_text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            key = f"{table.name}.{column.name}"
            if isinstance(column.type, String | Text) and key not in NOT_FREE_TEXT and column.name not in NEVER_FREE_TEXT:
                yield table, column


def _text(payloads, k, room):
    """Payload k, then the next ones while there is room: markup payloads in one column test each other's escaping."""
    text = payloads[k]
    if payloads is HTML_PAYLOADS:
        text = "".join(payloads[(k + i) % len(payloads)] for i in range(len(payloads)))
    return text[:room] if room else text


def store(payloads):
    """Every free-text column of every row gets one of the payloads, row by row in turn; a column with a unique
    constraint gets the row id after it."""
    columns = {}
    for table, column in free_text_columns():
        columns.setdefault(table, []).append(column)
    for table, cols in columns.items():
        unique = {c.name for k in table.constraints if isinstance(k, UniqueConstraint) for c in k.columns}
        values = {}
        for c in cols:
            if f"{table.name}.{c.name}" == "course_session.online_url":
                values[c.name] = URL_PAYLOAD
                continue
            room = getattr(c.type, "length", None)
            if c.name in unique or c.unique:
                room -= 8  # " " and the id
            text = case(*((table.c.id % len(payloads) == k, _text(payloads, k, room)) for k in range(len(payloads))))
            values[c.name] = text + " " + cast(table.c.id, String) if c.name in unique or c.unique else text
        db.session.execute(update(table).values(values))
    for batch in db.session.scalars(select(ImportBatch)):
        text = payloads[0]
        if batch.kind == "roster":
            row = StudentRow(text, 2, {"name": text, "class": text}, name=text, errors=[text])
            batch.rows = {"roster": roster_json(Roster([row], unknown_headers={text: [text]},
                                                       sheets={text: "students"})), "mapping": {text: {text: "name"}}}
            continue
        batch.rows = [{"line": 2, "values": {c.key: text for c in import_columns(batch.kind)}, "who": text,
                       "errors": [[text, text]]}]
    db.session.commit()


class _Unsafe(HTMLParser):
    """Markup no template writes: an inline script, an event handler, a javascript: link, the payloads' tags."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not a.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith(("on", "hx-on")):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag in ("img", "svg") and (a.get("src") == "x" or "onload" in a):
            self.found.append(f"<{tag}> from a payload")


def unsafe(html: str) -> list[str]:
    parser = _Unsafe()
    parser.feed(html)
    found = parser.found
    for raw in ("<script>alert(1)", "<img src=x onerror", "<svg/onload", "tpl49"):
        if raw in html:
            found.append(raw)
    return found


def test_the_columns_set_aside_exist(app):
    columns = {f"{t.name}.{c.name}" for t in db.metadata.sorted_tables for c in t.columns}
    assert sorted(set(NOT_FREE_TEXT) - columns) == []


def test_stored_markup_is_escaped_on_every_page(demo):
    store(HTML_PAYLOADS)
    problems, seen = [], 0
    for role in ROLES:
        client = demo(role)
        for url in site.pages(role) + site.downloads(role):  # printable certificates and sheets are HTML too
            for headers in ({}, {"HX-Request": "true"}):
                r = client.get(url, headers=headers)
                # A partial may send a plain request on to its page, which the walk opens too.
                assert r.status_code in (200, 302), (role, url, headers, r.status_code)
                if r.mimetype != "text/html":
                    break
                html = r.get_data(as_text=True)
                seen += "alert(1)" in html
                problems += [(role, url, "htmx" if headers else "page", p) for p in unsafe(html)]
    assert problems == []
    assert seen > 200  # the payloads did reach the pages


def _formula_payloads(client, url):
    """(sheet, cell, value) of every cell stored as a formula, and how many cells hold a payload."""
    wb = load_workbook(io.BytesIO(client.get(url).data))
    formulas, reached = [], 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((ws.title, cell.coordinate, cell.value))
                reached += isinstance(cell.value, str) and cell.value.startswith(FORMULA_PAYLOADS)
    return formulas, reached


def test_stored_formulas_stay_text_in_every_export(demo):
    store(FORMULA_PAYLOADS)
    formulas, reached, files = [], 0, 0
    for role in ROLES:
        client = demo(role)
        for url in site.downloads(role):
            if url.split("?")[0].endswith(".xlsx"):
                found, n = _formula_payloads(client, url)
                formulas += [(role, url, *f) for f in found]
                reached, files = reached + n, files + 1
    assert formulas == []
    assert files >= 10 and reached > 100  # the payloads did reach the files
