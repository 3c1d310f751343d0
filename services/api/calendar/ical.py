"""A small RFC 5545 writer for the calendar feeds: VCALENDAR with VEVENTs, escaped TEXT,
UTC DATE-TIMEs and lines folded at 75 octets. Written by hand because a general iCalendar
library took over a second for 2,000 events; the tests parse its output with two
independent libraries (icalendar and vobject)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class VEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    created: datetime
    last_modified: datetime
    sequence: int
    status: str  # TENTATIVE or CONFIRMED
    categories: Sequence[str] = ()


def escape(value: str) -> str:
    """TEXT value escaping (RFC 5545, 3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold to lines of at most 75 octets, never splitting a UTF-8 character."""
    raw = line.encode()
    if len(raw) <= 75:
        return line + "\r\n"
    parts, start, limit = [], 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(raw[start:end].decode())
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts) + "\r\n"


def calendar_text(name: str, events: Iterable[VEvent], *, now: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
             "PRODID:-//social-priorities//content calendar//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}"]
    dtstamp = stamp(now)
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{escape(e.uid)}", f"DTSTAMP:{dtstamp}",
                  f"DTSTART:{stamp(e.start)}", f"DTEND:{stamp(e.end)}",
                  f"SUMMARY:{escape(e.summary)}", f"DESCRIPTION:{escape(e.description)}",
                  f"CREATED:{stamp(e.created)}", f"LAST-MODIFIED:{stamp(e.last_modified)}",
                  f"SEQUENCE:{e.sequence}", f"STATUS:{e.status}"]
        if e.categories:
            lines.append("CATEGORIES:" + ",".join(escape(c) for c in e.categories))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
