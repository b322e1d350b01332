"""Back to the page a form was sent from."""
from urllib.parse import urlsplit

from flask import request

# An address longer than this is not one of ours (lists keep a few filters and a search of 40 characters); a
# Location header must not carry whatever the client put in its Referer.
LONGEST = 2000


def page_before(default: str) -> str:
    """The same-site page the request came from, as a path and query, or `default`."""
    before = urlsplit(request.referrer or "")
    target = before.path + (f"?{before.query}" if before.query else "")
    if before.netloc == request.host and before.path.startswith("/") and len(target) <= LONGEST:
        return target
    return default
