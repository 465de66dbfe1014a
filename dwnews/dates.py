"""Pure date parsing: DW's ISO timestamps, numeric dates and Kiswahili text dates to ISO UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_NUMERIC_DATE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def iso_utc(value: str | None) -> str | None:
    """Normalise a timestamp to ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; a bare date stays a date.

    Accepts ISO 8601 with ``Z`` or an offset (DW's JSON-LD and state), ``YYYY-MM-DD``
    and DW's numeric ``dd.mm.yyyy``. Returns None for anything else.
    """
    if not value:
        return None
    text = value.strip()
    match = _ISO_DATE_RE.match(text)
    if match:
        return _checked_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _NUMERIC_DATE_RE.match(text)
    if match:
        return _checked_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        # DW's machine-readable timestamps are UTC; one without an offset is taken as UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _checked_date(year: int, month: int, day: int) -> str | None:
    try:
        return datetime(year, month, day).strftime("%Y-%m-%d")
    except ValueError:
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
    if parsed is None:
        return None
    return str(parsed.strftime("%Y-%m-%d"))
