"""Finding a publication time in a line of page text.

Pages write dates many ways ("Published: July 27, 2025 05:52:47 IST",
"Updated: 28-04-2025 09:57 IST", " date 2025-08-28"); we locate the date with
precompiled patterns and let dateutil read it, with the zone abbreviations news
sites use. A day without a time becomes midnight UTC with ``has_time`` False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}")
_DOT_TIME = re.compile(r"(\d{1,2})\.(\d{2})(?!\d)")


@dataclass
class FoundDate:
    when: datetime
    has_time: bool


def parse_date_text(raw: str) -> FoundDate | None:
    """Read one date string (already located). None when it does not parse."""
    raw = raw.strip()
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
        when = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # a time with no zone: read as UTC
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
