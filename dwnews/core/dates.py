"""Pure date parsing: DW's ISO timestamps, numeric dates and Kiswahili text dates to ISO UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache

_NUMERIC_DATE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def iso_utc(value: str | None) -> str | None:
    """Normalise a timestamp to ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; a bare date stays a date.

    Accepts ISO 8601 with ``Z`` or an offset (DW's JSON-LD and state), ``YYYY-MM-DD``
    and DW's numeric ``dd.mm.yyyy``. Returns None for anything else, and for a moment that is
    not in years 1..9999 once in UTC: never raises.
    """
    if not value:
        return None
    text = value.strip()
    if not text.isascii() or not text.isprintable():
        # DW writes dates in ASCII; fromisoformat stops reading at a NUL ("...Z\x00junk" passed)
        return None
    match = _ISO_DATE_RE.match(text)
    if match:
        return _checked_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC_DATE_RE.match(text)
    if match:
        return _checked_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            # DW's machine-readable timestamps are UTC; one without an offset is taken as UTC.
            moment = moment.replace(tzinfo=UTC)
        # OverflowError: the moment is in year 1 or 9999 and UTC is in year 0 or 10000
        # ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+05:00").
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return f"{_date_text(moment)}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"


def _date_text(moment: date) -> str:
    # Not strftime("%Y"): it does not pad years before 1000 to four digits on Linux ("999-01-01").
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


def _checked_date(year: int, month: int, day: int) -> str | None:
    try:
        return _date_text(date(year, month, day))
    except (ValueError, OverflowError):
        return None


@lru_cache(maxsize=2048)
def parse_text_date(text: str, language: str = "sw") -> str | None:
    """Parse a visible date such as "14 Septemba 2023" or "Jumatano, 13 Septemba 2023".

    Returns ``YYYY-MM-DD`` (a text date carries no time). dateparser knows Kiswahili month and
    weekday names; it is slow (about 0.4 ms), so results are cached and it is a last resort.
    """
    numeric = iso_utc(text)
    if numeric is not None:
        return numeric[:10]
    import dateparser  # deferred: a heavy import, only needed when a page has text dates alone

    languages = [language] if language else None
    try:
        parsed = dateparser.parse(
            text,
            languages=languages,
            settings={"PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["day", "month", "year"]},
        )
    except ValueError:  # a language dateparser does not know (a page's lang attribute is free text)
        return None if languages is None else parse_text_date(text, "")
    except OverflowError:  # a number too big for a date field ("99999999999999999999 Septemba 2023")
        return None
    if not isinstance(parsed, datetime):
        return None
    return _date_text(parsed)


def in_range(published: str | None, since: str | None, until: str | None) -> bool:
    """Is a published date (ISO string) within since/until (YYYY-MM-DD, both inclusive)?

    The one since/until rule: the spider's download filter and ``export --since`` both use it.
    An unknown date is in range (it cannot be shown to be out).
    """
    if not published:
        return True
    day = published[:10]
    return not ((since and day < since) or (until and day > until))


def instant(stamp: str | None) -> str:
    """A date or timestamp (ISO, UTC) comparable as a string: a bare date counts as the end of its
    day (a page giving only ``2023-04-28`` is not older than a lastmod of that day's midnight)."""
    if not stamp:
        return ""
    return f"{stamp}T23:59:59Z" if len(stamp) == 10 else stamp
