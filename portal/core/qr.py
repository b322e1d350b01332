"""QR codes drawn as inline SVG: the family's check-in code, the portal's address on a login slip."""
from functools import lru_cache

import segno

QR_MASK = 0


@lru_cache(maxsize=512)
def qr_svg(text: str) -> str:
    """An inline SVG QR code: no image request, works offline and inside WeChat's browser.
    Kept per worker (a family reopens its page; ~5 KB each). micro=False: phones do not read Micro QR, and
    trying it first cost much of the time. A fixed mask: scoring all eight to pick the tidiest cost most of the
    rest, and every reader decodes any mask."""
    return segno.make(text, error="m", micro=False, mask=QR_MASK).svg_inline(omitsize=True, border=2, dark="#000",
                                                                            light="#fff")
