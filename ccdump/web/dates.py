"""HTTP dates → epoch milliseconds, leniently (spec nutch-dumper.md §3.5).

RFC 1123, RFC 850 and asctime forms with English names; GMT/UTC/UT/Z, numeric offsets and the US
zone abbreviations; a wrong day-of-week name is ignored. asctime carries no zone and is GMT by HTTP's
definition. Anything else yields None.
"""

from __future__ import annotations

import calendar
import re

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ZONES = {
    "gmt": 0, "utc": 0, "ut": 0, "z": 0,
    "est": -5 * 60, "edt": -4 * 60, "cst": -6 * 60, "cdt": -5 * 60,
    "mst": -7 * 60, "mdt": -6 * 60, "pst": -8 * 60, "pdt": -7 * 60,
}  # fmt: skip

_RFC = re.compile(
    r"^\s*(?:[A-Za-z]+,?\s+)?(\d{1,2})[\s\-]+([A-Za-z]{3})[A-Za-z]*[\s\-]+(\d{2,4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([A-Za-z]+|[+\-]\d{2}:?\d{2})?\s*$"
)
_ASCTIME = re.compile(r"^\s*[A-Za-z]+\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s*$")


def _offset_minutes(zone: str) -> int | None:
    z = zone.lower()
    if z in _ZONES:
        return _ZONES[z]
    m = re.fullmatch(r"([+\-])(\d{2}):?(\d{2})", zone)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return sign * (int(m.group(2)) * 60 + int(m.group(3)))
    return None


def parse_http_date(value: str | None) -> int | None:
    """Epoch milliseconds, or None.

    >>> parse_http_date("Mon, 09 Mar 2015 17:16:40 GMT")
    1425921400000
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), parse_http_date("Sun Nov  6 08:49:37 1994")
    (784111777000, 784111777000)
    >>> parse_http_date("yesterday") is None, parse_http_date("Mon, 09 Mar 2015 17:16:40") is None
    (True, True)
    """
    if not value:
        return None
    m = _RFC.match(value)
    if m:
        day, mon, year, hh, mm, ss, zone = m.groups()
        if zone is None:
            return None
        offset = _offset_minutes(zone)
        if offset is None:
            return None
        y = int(year)
        if len(year) == 2:
            y += 1900 if y >= 70 else 2000
        fields = (y, _MONTHS.get(mon.lower()), int(day), int(hh), int(mm), int(ss or 0))
    else:
        m = _ASCTIME.match(value)
        if not m:
            return None
        mon, day, hh, mm, ss, year = m.groups()
        offset = 0
        fields = (int(year), _MONTHS.get(mon.lower()), int(day), int(hh), int(mm), int(ss))
    if fields[1] is None:
        return None
    try:
        seconds = calendar.timegm((*fields, 0, 0, 0))  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return None
    return (seconds - offset * 60) * 1000
