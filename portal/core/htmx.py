"""htmx helpers: one URL answers with a full page or a partial."""
from flask import make_response, render_template, request


def is_htmx() -> bool:
    # A history restore needs the whole page, not the fragment.
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render(page: str, partial: str, page_only=None, **context):
    """`page_only()` gives what only the full page shows (a filter's choices, say): an htmx search, which asks for
    the partial on every keystroke, does not load it."""
    if is_htmx():
        return render_template(partial, **context)
    return render_template(page, **context, **(page_only() if page_only else {}))


def hx_redirect(url: str, status: int = 200):
    resp = make_response("", status)
    resp.headers["HX-Redirect"] = url
    return resp
