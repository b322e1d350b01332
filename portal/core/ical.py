"""iCalendar text (RFC 5545) for the calendar apps on people's phones: one entry or a whole feed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from .clock import SHANGHAI


@dataclass
class Entry:
    uid: str
    summary: str
    starts: datetime | date  # a wall-clock Shanghai time, or a day for an all-day entry
    ends: datetime | date
    location: str = ""
    description: str = ""
    cancelled: bool = False
    alarm: bool = False


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space, never splitting a character."""
    out, current = [], b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > 75:
            out.append(current.decode())
            current = b" "
        current += b
    out.append(current.decode())
    return "\r\n".join(out)


def _when(name: str, value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"{name}:{value.replace(tzinfo=SHANGHAI).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def calendar(entries: list[Entry], name: str = "") -> str:
    stamp = f"DTSTAMP:{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CareBridge//ZH", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{_text(name)}")
    for e in entries:
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}", stamp, _when("DTSTART", e.starts), _when("DTEND", e.ends),
                  f"SUMMARY:{_text(e.summary)}"]
        if e.location:
            lines.append(f"LOCATION:{_text(e.location)}")
        if e.description:
            lines.append(f"DESCRIPTION:{_text(e.description)}")
        lines.append("STATUS:CANCELLED" if e.cancelled else "STATUS:CONFIRMED")
        if e.alarm:
            lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT2H", f"DESCRIPTION:{_text(e.summary)}", "END:VALARM"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
