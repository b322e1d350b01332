"""htmx helpers: one URL answers with a full page or a partial."""
from flask import make_response, render_template, request


def is_htmx() -> bool:
    # A history restore needs the whole page, not the fragment.
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def render(page: str, partial: str, **context):
    return render_template(partial if is_htmx() else page, **context)


def hx_redirect(url: str, status: int = 200):
    resp = make_response("", status)
    resp.headers["HX-Redirect"] = url
    return resp
