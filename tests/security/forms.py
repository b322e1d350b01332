"""The forms of the portal as a browser sees them: parsed from the pages of the site map."""
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import current_app
from sqlalchemy import func, null, select
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from tests.security import site


@dataclass
class Field:
    name: str
    kind: str  # text, hidden, checkbox, radio, select, textarea, date, number, file, submit …
    value: str = ""
    options: list[str] = field(default_factory=list)  # a select's
    checked: bool = False
    disabled: bool = False
    attrs: dict = field(default_factory=dict)

    def plausible(self) -> str:
        """A value a user would type into the empty field, so that the rest of the form gets checked too."""
        if self.kind == "date":
            return (date.today() + timedelta(days=7)).isoformat()
        if self.kind == "time":
            return "14:00"
        if self.kind == "number":
            return self.attrs.get("min") or "1"
        if self.kind == "tel" or "phone" in self.name or "mobile" in self.name:
            return "13800138000"
        if "url" in self.name:
            return "https://example.cn/"
        if self.kind in ("text", "textarea", "search"):
            return "测试内容"
        return ""


@dataclass
class Form:
    page: str
    action: str
    fields: list[Field]
    multipart: bool = False
    form_id: str = ""
    htmx: bool = False  # sent by htmx (hx-post), which then asks for a partial

    def data(self, filled=False) -> dict[str, list[str]]:
        """What the browser sends when the first submit button is pressed; filled: with the empty fields filled in
        and a choice made in each select and group of radios."""
        out: dict[str, list[str]] = {}
        pressed = False
        for f in self.fields:
            if f.disabled or f.kind in ("file", "button", "reset"):
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    out.setdefault(f.name, []).append(f.value)
                continue
            if f.kind == "submit":
                if pressed:
                    continue
                pressed = True
            value = f.value
            if f.kind == "select" and not value:
                value = next((o for o in f.options if o or not filled), "")
            elif filled and not value:
                value = f.plausible()
            out.setdefault(f.name, []).append(value)
        if filled:
            for f in self.fields:
                if f.kind == "radio" and not f.disabled:
                    out.setdefault(f.name, [f.value])
        return out

    def choices(self, name) -> list[str]:
        """The values the page offers for a field: a select's options, or its radios' and checkboxes' values."""
        return [v for f in self.fields if f.name == name
                for v in (f.options if f.kind == "select" else [f.value] if f.kind in ("radio", "checkbox") else [])]


class _FormParser(HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page, self.forms, self.by_id, self.orphans = page, [], {}, []
        self.current = self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() != "post":
                return
            form = Form(self.page, urljoin(self.page, a.get("action") or self.page), [],
                        "multipart" in a.get("enctype", ""), a.get("id", ""), "hx-post" in a)
            self.forms.append(form)
            self.current = form
            if form.form_id:
                self.by_id[form.form_id] = form
            return
        name = a.get("name")
        if tag in ("input", "button", "select", "textarea") and name:
            kind = {"select": "select", "textarea": "textarea"}.get(tag) or a.get("type", "submit" if tag == "button" else "text")
            f = Field(name, kind, a.get("value", ""), checked="checked" in a, disabled="disabled" in a, attrs=a)
            owner = a.get("form")
            if owner:
                self.orphans.append((owner, f))
            elif self.current is not None:
                self.current.fields.append(f)
            if tag == "select":
                self.select = f
            elif tag == "textarea":
                self.textarea = f
        elif tag == "option" and self.select is not None:
            value = a.get("value")
            self.select.options.append(value if value is not None else "")
            if "selected" in a and not self.select.value:
                self.select.value = value or ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def close(self):
        super().close()
        for owner, f in self.orphans:
            if owner in self.by_id:
                self.by_id[owner].fields.append(f)


def parse_forms(page_url: str, html: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def is_token(name) -> bool:
    """A CSRF token field; forms with a prefix name it "<prefix>-csrf_token"."""
    return name == "csrf_token" or name.endswith("-csrf_token")


def endpoint_of(url: str, method="POST") -> str | None:
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(urlsplit(url).path, method)
    except HTTPException:
        return None
    return endpoint


def post_endpoints() -> set[str]:
    return {r.endpoint for r in current_app.url_map.iter_rules() if "POST" in r.methods}


# Rows these tables gain on any request (a failed login, a page view of personal data), not data a form saves.
UNCOUNTED = {"audit_entry", "login_failure"}


def table_state() -> dict[str, tuple]:
    """Per table, how many rows and when one last changed: a refused form must leave both as they were."""
    db.session.expire_all()
    tables = [t for t in db.metadata.sorted_tables if t.name not in UNCOUNTED]
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    changed = [select(func.max(t.c.updated_at)).scalar_subquery() if "updated_at" in t.c else null() for t in tables]
    row = db.session.execute(select(*counts, *changed)).one()
    return {t.name: (row[i], row[len(tables) + i]) for i, t in enumerate(tables)}


@dataclass(frozen=True)
class Target:
    """Where a role finds the form of an endpoint (the first on the page)."""
    endpoint: str
    role: str
    page: str


_inventory: dict[str, dict[str, Target]] = {}


def inventory(as_role) -> dict[str, dict[str, Target]]:
    """endpoint -> role -> the shortest page with its form. Worked out once per run: the demo school gets the same
    ids in every test (tests/security/conftest.py), so the pages stay where they were."""
    if not _inventory:
        for role in site.ROLES:
            client, sizes = as_role(role), {}
            for url in site.pages(role):
                html = client.get(url).get_data(as_text=True)
                for endpoint in {endpoint_of(f.action) for f in parse_forms(url, html)} - {None}:
                    if len(html) < sizes.get(endpoint, float("inf")):
                        sizes[endpoint] = len(html)
                        _inventory.setdefault(endpoint, {})[role] = Target(endpoint, role, url)
    return _inventory


def load_form(client, target: Target) -> Form | None:
    """The form as the page shows it now, with fresh tokens; None once an earlier submission used it up."""
    r = client.get(target.page)
    if r.status_code != 200:  # the record moved on (a member reassigned …)
        return None
    forms = [f for f in parse_forms(target.page, r.get_data(as_text=True)) if endpoint_of(f.action) == target.endpoint]
    return forms[0] if forms else None
