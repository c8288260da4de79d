"""Finding a publication time in a line of page text.

Pages write dates many ways ("Published: July 27, 2025 05:52:47 IST",
"Updated: 28-04-2025 09:57 IST", " date 2025-08-28"); we locate the date with
precompiled patterns and let dateutil read it, with the zone abbreviations news
sites use. A day without a time becomes midnight UTC with ``has_time`` False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as du_parser
from dateutil.tz import tzoffset

_TZ = {
    "IST": 19800, "UTC": 0, "GMT": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200,
    "EET": 7200, "EEST": 10800, "MSK": 10800, "EST": -18000, "EDT": -14400, "CST": -21600,
    "CDT": -18000, "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200, "ET": -18000,
    "PT": -28800, "JST": 32400, "KST": 32400, "HKT": 28800, "SGT": 28800, "PKT": 18000,
    "AEST": 36000, "AEDT": 39600, "NZST": 43200, "NZDT": 46800, "WIB": 25200, "SAST": 7200,
    "WAT": 3600, "EAT": 10800, "NPT": 20700, "BDT": 21600, "GST": 14400,
}
_TZINFOS = {k: tzoffset(k, v) for k, v in _TZ.items()}

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ZONE = r"(?:\s*(?-i:" + "|".join(sorted(_TZ, key=len, reverse=True)) + r")\b|\s*[+-]\d{2}:?\d{2})"
_TIME = (r"(?:[,\s]+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"
         r"(?:" + _ZONE + r")?)?")
_DATE = re.compile(
    r"(?P<d>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|" + _ZONE + r")?)?"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}" + _TIME +
    r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}" + _TIME +
    r"|\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+\d{4}" + _TIME + r")",
    re.I)
DATE_RE = _DATE  # where a date is in a line (group "d"), for callers that want every one
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}")
_DOT_TIME = re.compile(r"(\d{1,2})\.(\d{2})(?!\d)")


@dataclass
class FoundDate:
    when: datetime
    has_time: bool


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_T = (r"(?:[,\s]+(?:at\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}))?\s*"
      r"(?:(?P<ap>[ap])\.?m\.?)?)?(?P<z>" + _ZONE + r")?")
# The common shapes, read without dateutil (the text path's speed budget); anything
# else that _DATE located goes to dateutil.
_FAST = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{2}):(?P<M>\d{2})"
               r"(?::(?P<S>\d{2}))?(?:\.\d+)?(?P<z>Z|" + _ZONE + r")?)?$", re.I),
    re.compile(r"(?P<mon>[a-z]{3})[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
               + _T + "$", re.I),
    re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]{3})[a-z]*\.?,?\s+(?P<y>\d{4})"
               + _T + "$", re.I),
    re.compile(r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})[-/.](?P<y>\d{4})" + _T + "$", re.I),
]


def _zone(z: str | None) -> timezone | None:
    if not z:
        return None
    z = z.strip()
    if z.upper() == "Z":
        return UTC
    if z.upper() in _TZ:
        return timezone(timedelta(seconds=_TZ[z.upper()]))
    m = re.match(r"([+-])(\d{2}):?(\d{2})$", z)
    if m:
        off = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return timezone(-off if m.group(1) == "-" else off)
    return None


def _fast_parse(raw: str) -> FoundDate | None:
    for k, pat in enumerate(_FAST):
        m = pat.match(raw)
        if m is None:
            continue
        g = m.groupdict()
        try:
            year = int(g["y"])
            if k == 3:
                a, b = int(g["a"]), int(g["b"])
                # dashes and dots are day-first (most of the world); slashes are
                # month-first unless the first number cannot be a month
                day_first = g["sep"] in "-." or a > 12
                day, month = (a, b) if day_first else (b, a)
            else:
                day = int(g["d"])
                month = int(g["m"]) if k == 0 else _MONTHS.get(g["mon"].lower(), 0)
            if not month:
                return None
            if g.get("H") is None:
                return FoundDate(datetime(year, month, day, tzinfo=UTC), False)
            hour, minute, sec = int(g["H"]), int(g["M"]), int(g["S"] or 0)
            ap = (g.get("ap") or "").lower()
            if ap == "p" and hour < 12:
                hour += 12
            elif ap == "a" and hour == 12:
                hour = 0
            tz = _zone(g.get("z")) or UTC  # a time with no zone: read as UTC
            return FoundDate(datetime(year, month, day, hour, minute, sec, tzinfo=tz), True)
        except ValueError:
            return None
    return None


def parse_date_text(raw: str) -> FoundDate | None:
    """Read one date string (already located). None when it does not parse."""
    raw = raw.strip()
    found = _fast_parse(raw)
    if found is not None:
        return found if 1990 <= found.when.year <= 2100 else None
    return _dateutil_parse(raw)


def _dateutil_parse(raw: str) -> FoundDate | None:
    has_time = bool(_HAS_TIME.search(raw[6:] if re.match(r"\d{1,2}[-/.]", raw) else raw)) \
        or bool(re.search(r"T\d{2}:\d{2}", raw))
    dayfirst = bool(re.match(r"\d{1,2}[-.]\d{1,2}[-.]\d{4}", raw))
    if re.match(r"(\d{1,2})/(\d{1,2})/\d{4}", raw):
        first = int(raw.split("/")[0])
        dayfirst = first > 12
    text = raw
    if not re.match(r"\d{4}-\d{2}-\d{2}", raw):
        text = _DOT_TIME.sub(r"\1:\2", raw) if not dayfirst else raw
    try:
        when = du_parser.parse(text, dayfirst=dayfirst, fuzzy=True, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError):
        return None
    if not (1990 <= when.year <= 2100):
        return None
    if not has_time:
        when = datetime(when.year, when.month, when.day, tzinfo=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # a time with no zone: read as UTC
    else:
        off = when.utcoffset() or timedelta(0)
        when = when.replace(tzinfo=timezone(off))
    return FoundDate(when, has_time)


def find_date(line: str) -> FoundDate | None:
    """The first date in a line of text, if any."""
    m = _DATE.search(line)
    if m is None:
        return None
    return parse_date_text(m.group("d"))


def parse_iso_like(value: str | None) -> FoundDate | None:
    """A date from metadata (trafilatura gives ``YYYY-MM-DD``)."""
    if not value:
        return None
    return parse_date_text(value)
