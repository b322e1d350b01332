"""Mainland mobile numbers as people write them: on a roster, on a login page, typed on a phone."""
import re
import unicodedata


def parse_mobile(text) -> str | None:
    """The 11-digit number starting with 1, from 138 1234 5678, 138-1234-5678, +86 13812345678, 0086…, full-width
    digits or a number cell (13812345678.0); None when it is no mobile number."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    digits = re.sub(r"[\s\-.()（）]", "", unicodedata.normalize("NFKC", str(text or "")))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if re.fullmatch(r"1\d{10}", digits) else None
