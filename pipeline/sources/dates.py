"""Read an entry's date as a feed writes it: RFC 822, ISO 8601, and the looser forms found in the wild.

feedparser's own date handlers read a zone-less RFC 822 date as missing, most zone abbreviations
(CEST, MSK, JST, ...) as UTC, and ``2016/6/29 15:07:41`` as another day, without a word. Here:

* RFC 822 (``Thu, 4 May 2017 19:40:17 CEST``) and ISO 8601 are read by two strict fast paths
  (most feeds; python-dateutil costs ~280 us a date, these ~5 us);
* anything else goes to python-dateutil (Y/M/D forms, stray words), with the zone table below,
  and must name a year, a month and a day;
* a date without a zone is UTC (what RSS readers and RFC 5322's "-0000" both assume);
* a zone abbreviation that is not in the table is read as UTC, and the caller is told;
* a date outside years 1000-9999 in UTC (Hugo's ``0001-01-01`` for undated pages) is no date:
  the stored ISO form needs four digits, and no real entry is that old or that far ahead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import dateutil.parser

MIN_YEAR = 1000
MAX_YEAR = 9999

# Zone abbreviations seen in feeds, as offsets from UTC in minutes. Abbreviations are ambiguous by
# nature (no library maps them), so each name has the reading most feeds mean: CST is US Central
# (as in RFC 822), not China; IST is India (the most common in feeds), not Ireland or Israel.
ZONE_MINUTES: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEZ": 0,
    "BST": 60, "IST": 330, "CET": 60, "MEZ": 60, "WAT": 60, "WEST": 60,
    "CEST": 120, "MESZ": 120, "EET": 120, "SAST": 120, "CAT": 120, "IDT": 180,
    "EEST": 180, "MSK": 180, "EAT": 180, "TRT": 180, "AST": -240, "ADT": -180,
    "MSD": 240, "GST": 240, "PKT": 300, "NPT": 345, "ICT": 420, "WIB": 420,
    "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "WITA": 480, "KST": 540, "JST": 540, "WIT": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
}  # fmt: skip

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_RFC822 = re.compile(
    r"(?:[A-Za-z]{2,9}\.?,?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{2,4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(?:\s*(?:([+-])(\d{2}):?(\d{2})|\(?([A-Za-z]{1,5})\)?))?"
)
_ISO_START = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True, slots=True)
class DateReading:
    """What a raw date string gave: the moment in UTC, or None and why (``problem``, for a warning).

    ``problem`` is also set when a moment was read but with a guess (an unknown zone read as UTC).
    """

    moment: datetime | None
    problem: str | None = None


def read_date(raw: str) -> DateReading:
    """Read a feed's date string; never raises. Years outside 1000-9999 (in UTC) give no moment."""
    value = " ".join(raw.split())
    if not value:
        return DateReading(None)
    for reader in (_read_rfc822, _read_iso, _read_loose):
        reading = reader(value)
        if reading is not None:
            return reading
    return DateReading(None, "cannot be read as a date")


def in_range(moment: datetime) -> DateReading:
    """``moment`` in UTC if its UTC year is within 1000-9999, else no moment and why."""
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        return DateReading(None, f"is outside years {MIN_YEAR}-{MAX_YEAR}")
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        return DateReading(None, f"is outside years {MIN_YEAR}-{MAX_YEAR}")
    return DateReading(utc)


def _zone(name: str) -> tuple[tzinfo, str | None]:
    """The zone an abbreviation names, or UTC and a problem for a name not in the table."""
    minutes = ZONE_MINUTES.get(name.upper())
    if minutes is None:
        return UTC, f"has an unknown time zone {name!r}; read as UTC"
    return timezone(timedelta(minutes=minutes)), None


def _read_rfc822(value: str) -> DateReading | None:
    found = _RFC822.fullmatch(value)
    if found is None:
        return None
    day, month_name, year_text, hour, minute, second, sign, zh, zm, zone_name = found.groups()
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    year = int(year_text)
    if len(year_text) == 2:  # RFC 5322 4.3: 00-49 are 2000-2049, 50-99 are 1950-1999
        year += 2000 if year < 50 else 1900
    elif len(year_text) == 3:
        year += 1900
    problem = None
    zone: tzinfo = UTC
    if sign:
        offset = timedelta(hours=int(zh), minutes=int(zm))
        zone = timezone(-offset if sign == "-" else offset)
    elif zone_name:
        zone, problem = _zone(zone_name)
    try:
        moment = datetime(year, month, int(day), int(hour), int(minute), int(second or 0), tzinfo=zone)
    except ValueError:
        return DateReading(None, "is not a valid date")
    reading = in_range(moment)
    return DateReading(reading.moment, reading.problem or problem)


def _read_iso(value: str) -> DateReading | None:
    if not _ISO_START.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return in_range(moment)


# Two defaults that differ in every field: a date string that leaves out its year, month or day
# gives two different results, and is refused rather than completed with a made-up value.
_DEFAULTS = (datetime(2001, 2, 3), datetime(2004, 5, 6))


def _read_loose(value: str) -> DateReading | None:
    """python-dateutil for the rest (``2016/6/29 15:07:41``, ``June 29, 2016 3:07 PM PDT``)."""
    unknown: list[str] = []

    def zones(name: str | None, offset: int | None) -> tzinfo | None:
        if name is None:
            return timezone(timedelta(seconds=offset)) if offset is not None else None
        minutes = ZONE_MINUTES.get(name.upper())
        if minutes is not None:
            return timezone(timedelta(minutes=minutes))
        if offset is not None:
            return timezone(timedelta(seconds=offset))
        unknown.append(name)
        return UTC

    try:
        first, second = (
            dateutil.parser.parse(value, default=default, tzinfos=zones) for default in _DEFAULTS
        )
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None
    reading = in_range(first)
    guess = f"has an unknown time zone {unknown[0]!r}; read as UTC" if unknown else None
    problem = reading.problem or guess
    return DateReading(reading.moment, problem)
