"""Feed dates read strictly: RFC 822, ISO 8601 / W3C-DTF and Unix epoch numbers.

feedparser's own date handlers read a named zone it does not know ("KST") as UTC, a
Unix time as a year, and roll month 13 or hour 99 over into a real date. Here:

* a named zone from ``ZONES`` is converted (``... 09:00 KST`` is 00:00 UTC);
* a date with no zone at all is read as UTC (not dropped);
* a bare 9-13 digit number is seconds (or milliseconds) since 1970;
* out-of-range fields make the date invalid, not a different date.

``parse_date`` returns ``(when, verdict)``: verdict "ok", "invalid" (a date, but not a
real one: counted as unreadable) or "unknown" (not a format read here: the caller may
try feedparser's wider set of formats).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

__all__ = ["ZONES", "parse_date"]

# Named zones seen in news feeds, beyond RFC 822's own (UT, GMT, Z, EST/EDT, CST/CDT,
# MST/MDT, PST/PDT, which email.utils knows). Ambiguous names take their news-wire use.
ZONES: dict[str, float] = {
    "UTC": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "TRT": 3, "GST": 4, "PKT": 5, "NPT": 5.75,
    "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "PHT": 8, "AWST": 8, "KST": 9, "JST": 9,
    "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9,
    "AKDT": -8, "ADT": -3, "AST": -4, "NST": -3.5, "SAST": 2, "WAT": 1, "CAT": 2, "EAT": 3,
}
_EPOCH = re.compile(r"[0-9]{9,13}(?:\.[0-9]+)?")
_ISO = re.compile(r"[0-9]{4}-[0-9]{1,2}")
_ZONE_NAME = re.compile(r"\s([A-Za-z]{2,5})\s*$")
_ISO_ZONE_NAME = re.compile(r"(?<=[0-9])\s*([A-Za-z]{3,5})\s*$")


def _zone(hours: float) -> timezone:
    return timezone(timedelta(minutes=round(hours * 60)))


def parse_date(text: object) -> tuple[datetime | None, str]:
    """``text`` as an aware UTC datetime, with a verdict (see the module docstring)."""
    if text is None or isinstance(text, bool):
        return None, "unknown"
    t = str(text).strip()
    if not t:
        return None, "unknown"
    if _EPOCH.fullmatch(t):
        seconds = float(t)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, tz=UTC), "ok"
        except (OverflowError, ValueError, OSError):
            return None, "invalid"
    if _ISO.match(t):
        return _iso(t)
    return _rfc822(t)


def _iso(t: str) -> tuple[datetime | None, str]:
    zone = None
    m = _ISO_ZONE_NAME.search(t)
    if m and m.group(1).upper() in ZONES and m.group(1).upper() != "Z":
        zone = _zone(ZONES[m.group(1).upper()])
        t = t[: m.start()].rstrip()
    try:
        when = datetime.fromisoformat(t)
    except ValueError:
        try:
            from dateutil import parser as dateparser  # noqa: PLC0415

            when = dateparser.isoparse(t)
        except (ValueError, OverflowError):
            return None, "invalid"
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone or UTC)
    try:
        return when.astimezone(UTC), "ok"
    except (OverflowError, ValueError):
        return None, "invalid"


def _rfc822(t: str) -> tuple[datetime | None, str]:
    zone = None
    m = _ZONE_NAME.search(t)
    if m and m.group(1).upper() in ZONES:
        zone = _zone(ZONES[m.group(1).upper()])
        t = t[: m.start()]
    parts = parsedate_tz(t)
    if parts is None:
        return None, "unknown"
    year, month, day, hour, minute, second = parts[:6]
    if year < 100:  # two-digit years (RFC 822): 1970-2069
        year += 2000 if year < 70 else 1900
    try:
        when = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None, "invalid"  # hour 99, day 45: not a date to guess at
    offset = parts[9]
    if zone is None:
        zone = timezone(timedelta(seconds=offset)) if offset is not None else UTC
    try:
        return when.replace(tzinfo=zone).astimezone(UTC), "ok"
    except (OverflowError, ValueError):
        return None, "invalid"
