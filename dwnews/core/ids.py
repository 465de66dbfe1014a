"""Article identity: a DW content id and its short id (base 62), both ways, exactly.

A DW short link (``https://p.dw.com/p/<short_id>``) is the article's numeric content id written in
base 62 with the alphabet ``0-9A-Za-z``; both directions are exact, so the dedup key of an article
is known from any link to it, before it is downloaded.
"""

from __future__ import annotations

import re

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {ch: i for i, ch in enumerate(BASE62_ALPHABET)}

SHORT_URL_PREFIX = "https://p.dw.com/p/"

# The content ids this package accepts. DW's are positive and today about 8 digits; the bound is
# far above that yet safe everywhere an id goes: SQLite stores it as an INTEGER (at most 2**63 - 1,
# a bigger one fails at insert time) and JSON consumers (JavaScript, jq) read numbers as doubles,
# exact only up to 2**53 - 1. A link with an id outside 1..MAX_CONTENT_ID is not an article link.
MIN_CONTENT_ID = 1
MAX_CONTENT_ID = 2**53 - 1
# Digits of MAX_CONTENT_ID in base 10 and base 62: longer strings (leading zeros aside) are out of
# range without converting them (int() refuses strings of more than 4300 digits).
_MAX_ID_DIGITS = len(str(MAX_CONTENT_ID))
_MAX_SHORT_ID_CHARS = 9

_SHORT_ID_RE = re.compile(r"p\.dw\.com/p/([0-9A-Za-z]+)")


def valid_content_id(content_id: int) -> bool:
    """True for a content id this package can store and export: 1..MAX_CONTENT_ID."""
    return MIN_CONTENT_ID <= content_id <= MAX_CONTENT_ID


def content_id_from_digits(digits: str) -> int | None:
    """The content id an ASCII digit string states, or None when it is out of range."""
    significant = digits.lstrip("0")
    if not digits.isascii() or not digits.isdigit() or len(significant) > _MAX_ID_DIGITS:
        return None
    value = int(digits)
    return value if valid_content_id(value) else None


def content_id_from_text(text: str | None) -> int | None:
    """A content id written as decimal digits (``dwsyn:contentID``), or None when not 1..MAX_CONTENT_ID."""
    return content_id_from_digits(text.strip()) if text else None


def content_id_to_short_id(content_id: int) -> str:
    """Return the short id (base 62) of a DW content id: 66808855 -> "4WK2B"."""
    if content_id <= 0:
        raise ValueError(f"content id must be positive, got {content_id}")
    digits = []
    while content_id:
        content_id, rest = divmod(content_id, 62)
        digits.append(BASE62_ALPHABET[rest])
    return "".join(reversed(digits))


def short_id_to_content_id(short_id: str) -> int:
    """Return the content id of a DW short id: "4WK2B" -> 66808855.

    Raises ValueError for a string that is not base 62 or states an id outside 1..MAX_CONTENT_ID.
    """
    if not short_id:
        raise ValueError("empty short id")
    if len(short_id.lstrip("0")) > _MAX_SHORT_ID_CHARS:
        raise ValueError(f"short id out of range: {short_id[:20]!r}")
    value = 0
    for ch in short_id:
        try:
            value = value * 62 + _BASE62_INDEX[ch]
        except KeyError:
            raise ValueError(f"not a base-62 short id: {short_id!r}") from None
    if not valid_content_id(value):
        raise ValueError(f"short id out of range: {short_id!r}")
    return value


def short_url(short_id: str) -> str:
    """Return the public short link of a short id."""
    return SHORT_URL_PREFIX + short_id


def short_id_from_text(text: str) -> str | None:
    """Find the short id in text holding a ``p.dw.com/p/<id>`` link (share URLs too).

    None also when the short id states a content id outside 1..MAX_CONTENT_ID.
    """
    match = _SHORT_ID_RE.search(text)
    if match is None:
        return None
    try:
        short_id_to_content_id(match.group(1))
    except ValueError:
        return None
    return match.group(1)
