"""Decoding a page whose declared charset may be wrong, without mojibake.

DW serves UTF-8. A page that is valid UTF-8 is read as UTF-8 whatever its headers say (UTF-8
labelled latin-1 would otherwise turn "Kiswahili ya Ng'wanza: ñ é" into "Ã±"): valid multi-byte
UTF-8 sequences practically never happen by chance in text of another encoding. A page that is
not valid UTF-8 but claims to be is read as Windows-1252 (the usual culprit), else latin-1; a page
that declares another charset, and is not UTF-8, is read with it.
"""

from __future__ import annotations

import codecs

_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(body: bytes, declared: str | None) -> tuple[str, str | None]:
    """The page's text, and what was done about its charset (None: read as declared)."""
    declared_name = _canonical(declared) or "utf-8"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared_name != "utf-8" and not body.isascii():
            return text, f"utf8_labelled_{declared_name}"
        return text.removeprefix("\ufeff"), None
    if declared_name == "utf-8":
        for fallback in ("cp1252", "latin-1"):
            try:
                return body.decode(fallback), f"{fallback}_labelled_utf8"
            except UnicodeDecodeError:
                continue
    return body.decode(declared_name, errors="replace"), None
