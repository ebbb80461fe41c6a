"""The one reader of dates for every source (feeds on both paths, JSON Feed, sitemaps, pages,
Google News, GDELT, Telegram): text as publishers write it -> an aware UTC datetime, or None.

What it reads: RFC 822/1123 (with a weekday in any language, or none, month names in the
common European languages, two-digit years, the RFC's zone names), ISO 8601 and RFC 3339
(extended or basic, `T` or a space, fractions, `Z` or an offset, a bare date), `YYYY/M/D`,
`D.M.YYYY`, US long forms (`Friday, January 29, 2021 04:42 PM`), `D/M/YYYY` or `M/D/YYYY`
when one part exceeds 12, ctime, and Unix time (ten digits). A time without a zone is UTC; a bare date is its midnight.

What it refuses rather than guesses (the item is then dated when first seen): an offset
beyond ±14 h (`+3000` is no 30-hour zone), an unknown zone name, `01/02/2021` (January or
February?), a day the month does not have, and anything else. feedparser's reader, used until
now on the fast path, read `2020/1/10` as 1 December 2020 and `+3000` as 30 hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

MAX_OFFSET = timedelta(hours=14)  # UTC+14 (Kiribati) to UTC-12 are the zones that exist

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january janv janvier ene enero gen gennaio jän jänner januar januari janeiro",
        "feb february fév févr février fev fevereiro febr februar februari febrero febbraio",
        "mar march mars mär märz maart mrt marzo março marco",
        "apr april avr avril abr abril aprile",
        "may mai mei mayo mag maggio maio",
        "jun june juin juni junio giu giugno junho",
        "jul july juil juillet juli julio lug luglio julho",
        "aug august août aout ago agosto augustus",
        "sep sept september septembre septiembre set settembre setembro",
        "oct october octobre okt oktober octubre ott ottobre out outubro",
        "nov november novembre noviembre novembro",
        "dec december déc décembre dez dezember dic diciembre dicembre dezembro",
    ),
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names.split(), _number))

# RFC 822's zone names, and the few others common in feeds that mean one thing only.
_ZONES = {
    **dict.fromkeys(("z", "ut", "utc", "gmt"), 0),
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "cet": 1, "cest": 2, "eet": 2, "eest": 3, "wet": 0, "west": 1, "msk": 3, "jst": 9,
}  # fmt: skip

_ZONE = r"(?P<zone>[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5})"
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
_ISO = re.compile(
    r"(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_RFC822 = re.compile(
    rf"(?:[^\W\d]+\.?,?\s+)?(?P<day>\d{{1,2}})\.?[\s-]+(?P<month>[^\W\d]+)\.?[\s-]+(?P<year>\d{{2}}|\d{{4}})"
    rf"(?:,?\s+{_TIME}(?:\s*{_ZONE})?)?"
)
_US_LONG = re.compile(
    rf"(?:[^\W\d]+,?\s+)?(?P<month>[^\W\d]+)\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
    rf"(?:(?:,|\s+at)?\s+{_TIME}(?:\s*(?P<half>[ap]\.?m\.?))?(?:\s+{_ZONE})?)?",
    re.IGNORECASE,
)
_CTIME = re.compile(
    rf"[^\W\d]+\s+(?P<month>[^\W\d]+)\s+(?P<day>\d{{1,2}})\s+{_TIME}(?:\s+{_ZONE})?\s+(?P<year>\d{{4}})"
)
_EPOCH = re.compile(r"(?P<seconds>1\d{9})")  # Unix time, 2001-09-09 to 2033-05-18
_NUMERIC = re.compile(
    rf"(?P<a>\d{{1,4}})(?P<sep>[/.])(?P<b>\d{{1,2}})(?P=sep)(?P<c>\d{{1,4}})"
    rf"(?:,?\s+{_TIME}(?:\s*{_ZONE})?)?"
)


def parse_date(raw: str | None) -> datetime | None:
    """``raw`` as an aware UTC datetime, or None when it cannot be read reliably."""
    text = " ".join((raw or "").split())
    if not text or len(text) > 80:
        return None
    for pattern, read in _READERS:
        found = pattern.fullmatch(text)
        if found:
            return read(found)
    return None


def _epoch(found: re.Match[str]) -> datetime | None:
    return datetime.fromtimestamp(int(found["seconds"]), UTC)


def _iso(found: re.Match[str]) -> datetime | None:
    return _build(found, int(found["year"]), int(found["month"]), int(found["day"]))


def _rfc822(found: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(found["month"].lower())
    year = int(found["year"])
    if len(found["year"]) == 2:
        year += 2000 if year < 50 else 1900  # RFC 2822 section 4.3
    return _build(found, year, month, int(found["day"])) if month else None


def _named_month(found: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(found["month"].lower())
    return _build(found, int(found["year"]), month, int(found["day"])) if month else None


def _numeric(found: re.Match[str]) -> datetime | None:
    a, b, c = (int(found[name]) for name in "abc")
    if len(found["a"]) == 4:  # YYYY/M/D, YYYY.M.D: the year first, then month and day
        return _build(found, a, b, c) if len(found["c"]) <= 2 else None
    if len(found["c"]) != 4:
        return None
    if found["sep"] == ".":  # D.M.YYYY: dotted dates put the day first
        return _build(found, c, b, a)
    if a > 12 >= b:  # 29/01/2021
        return _build(found, c, b, a)
    if b > 12 >= a:  # 01/29/2021
        return _build(found, c, a, b)
    return None  # 01/02/2021: the second of January or the first of February


def _build(found: re.Match[str], year: int, month: int, day: int) -> datetime | None:
    groups = found.groupdict()
    hour = int(groups.get("hour") or 0)
    minute = int(groups.get("minute") or 0)
    second = int(groups.get("second") or 0)
    half = (groups.get("half") or "").replace(".", "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if second == 60:
        second = 59  # a leap second, as time.strptime allows it
    offset = _offset(groups.get("zone"))
    if offset is None:
        return None
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:  # 30 February, hour 25
        return None
    return local.astimezone(UTC)


def _offset(zone: str | None) -> timedelta | None:
    if not zone:
        return timedelta(0)
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        if len(digits) <= 2:
            hours, minutes = int(digits), 0
        elif len(digits) == 4:
            hours, minutes = int(digits[:2]), int(digits[2:])
        else:
            return None
        if minutes >= 60:
            return None
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
        return offset if abs(offset) <= MAX_OFFSET else None
    named = _ZONES.get(zone.lower())
    return timedelta(hours=named) if named is not None else None


_READERS = (
    (_ISO, _iso),
    (_RFC822, _rfc822),
    (_US_LONG, _named_month),
    (_CTIME, _named_month),
    (_NUMERIC, _numeric),
    (_EPOCH, _epoch),
)
