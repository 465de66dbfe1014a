"""Decoding a page whose declared charset may be wrong, without mojibake.

DW serves UTF-8. A page that is valid UTF-8 is read as UTF-8 whatever its headers say (UTF-8
labelled latin-1 would otherwise turn "Kiswahili ya Ng'wanza: ñ é" into "Ã±"): valid multi-byte
UTF-8 sequences practically never happen by chance in text of another encoding. For the same
reason a page that is UTF-8 but for a few invalid bytes (a stray ``\\xff`` in a comment, a
truncated character) is read as UTF-8, each invalid sequence replaced by U+FFFD: one bad byte must
not turn every "“" of the page into "â€œ". A page that is not UTF-8 but claims to be is read as
Windows-1252 (the usual culprit), else latin-1; a page that declares another charset, and is not
UTF-8, is read with it.
"""

from __future__ import annotations

import codecs

#: what :func:`decode_html` reports for a UTF-8 page read with its invalid bytes replaced
UTF8_WITH_INVALID_BYTES = "utf8_with_invalid_bytes"
_REPLACEMENT = "\ufffd"
_ENCODED_REPLACEMENT = _REPLACEMENT.encode("utf-8")


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _mostly_utf8(body: bytes) -> str | None:
    """The text of a page that is UTF-8 but for a few invalid byte sequences, or None.

    UTF-8 when its valid multi-byte sequences outnumber its invalid ones: a page in cp1252 or
    latin-1 has (practically) no valid multi-byte sequence, as every accented letter is one high
    byte between ASCII ones. A page with no non-ASCII text at all is left to the fallbacks, where
    its few invalid bytes decode to something harmless.
    """
    text = body.decode("utf-8", errors="replace")
    # U+FFFD written in the page (EF BF BD) is valid UTF-8: only the decoder's own count as invalid
    invalid = text.count(_REPLACEMENT) - body.count(_ENCODED_REPLACEMENT)
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    valid_multibyte = non_ascii - invalid
    return text if valid_multibyte > invalid else None


def decode_html(body: bytes, declared: str | None) -> tuple[str, str | None]:
    """The page's text, and what was done about its charset (None: read as declared).

    What was done is one of ``utf8_labelled_<charset>`` (valid UTF-8 under another label),
    ``utf8_with_invalid_bytes`` (UTF-8 but for a few invalid byte sequences, each read as U+FFFD),
    ``cp1252_labelled_utf8`` or ``latin-1_labelled_utf8`` (labelled UTF-8, but not UTF-8).

    A U+FFFD read from an invalid byte stays where the byte was. In a comment or in markup it never
    reaches the record (the page object reads text, and a URL holding one is no usable URL); in
    article text (the DOM's or a JSON string's) it is exported as U+FFFD, which says honestly that
    a character of the page was lost, where a guessed character would be invented text.
    """
    declared_name = _canonical(declared) or "utf-8"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared_name != "utf-8" and not body.isascii():
            return text, f"utf8_labelled_{declared_name}"
        return text.removeprefix("\ufeff"), None
    mostly_utf8 = _mostly_utf8(body)
    if mostly_utf8 is not None:
        return mostly_utf8.removeprefix("\ufeff"), UTF8_WITH_INVALID_BYTES
    if declared_name == "utf-8":
        for fallback in ("cp1252", "latin-1"):
            try:
                return body.decode(fallback), f"{fallback}_labelled_utf8"
            except UnicodeDecodeError:
                continue
    return body.decode(declared_name, errors="replace"), None
