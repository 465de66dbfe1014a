"""Pure URL facts about dw.com: article identity, link classification, canonical URLs.

A DW short link (``https://p.dw.com/p/<short_id>``) is the article's numeric content id
written in base 62 with the alphabet ``0-9A-Za-z``; both directions are exact, so the
dedup key of an article is known from any link to it, before it is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {ch: i for i, ch in enumerate(BASE62_ALPHABET)}

SHORT_URL_PREFIX = "https://p.dw.com/p/"

# /<lang>/<slug...>/<kind>-<digits>; the slug is cosmetic on dw.com (it may hold several
# segments, e.g. legacy "/en/top-stories/germany/s-1432").
_PATH_RE = re.compile(r"^/(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)/(?:(?P<slug>.+)/)?(?P<kind>[a-z]+)-(?P<id>\d+)/?$")
_SHORT_ID_RE = re.compile(r"p\.dw\.com/p/([0-9A-Za-z]+)")


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
    """Return the content id of a DW short id: "4WK2B" -> 66808855."""
    if not short_id:
        raise ValueError("empty short id")
    value = 0
    for ch in short_id:
        try:
            value = value * 62 + _BASE62_INDEX[ch]
        except KeyError:
            raise ValueError(f"not a base-62 short id: {short_id!r}") from None
    return value


def short_url(short_id: str) -> str:
    """Return the public short link of a short id."""
    return SHORT_URL_PREFIX + short_id


def short_id_from_text(text: str) -> str | None:
    """Find the short id in text holding a ``p.dw.com/p/<id>`` link (share URLs too)."""
    match = _SHORT_ID_RE.search(text)
    return match.group(1) if match else None


@dataclass(frozen=True)
class DwPath:
    """The parts of a DW page path: language edition, page kind and numeric id."""

    language: str
    kind: str
    content_id: int
    slug: str

    @property
    def is_article(self) -> bool:
        return self.kind == "a"

    @property
    def is_section(self) -> bool:
        return self.kind == "s"


def parse_path(url: str) -> DwPath | None:
    """Classify a DW URL or path; None when it is not a ``/<lang>/<slug>/<kind>-<id>`` page.

    Only kind ``a`` is an article; ``video``, ``audio``, ``av``, ``live``, ``g`` (gallery), ``t``
    (topic), ``s`` (section), ``person`` and ``program`` pages are not.
    """
    path = urlsplit(url).path
    match = _PATH_RE.match(path)
    if match is None:
        return None
    return DwPath(
        language=match.group("lang"),
        kind=match.group("kind"),
        content_id=int(match.group("id")),
        slug=match.group("slug") or "",
    )


def article_id(url: str, language: str | None = None) -> int | None:
    """Content id of an article link (any slug, query or fragment), or None.

    With ``language`` set, only links of that edition count (``/sw/...``).
    """
    parsed = parse_path(url)
    if parsed is None or not parsed.is_article:
        return None
    if language is not None and parsed.language != language:
        return None
    return parsed.content_id


def strip_tracking(url: str) -> str:
    """Drop the query and fragment: DW identifies pages by path alone (``?maca=``, ``?at_medium=``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def same_site(url: str, base_url: str) -> bool:
    """True when ``url`` is on the host (and port) of ``base_url``; relative URLs count."""
    parts = urlsplit(url)
    if not parts.netloc:
        return True
    base = urlsplit(base_url)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == base.netloc.lower()


# Hosts whose pages a mirror of dw.com serves at the same paths (rss.dw.com's feeds included).
DW_SITE_HOSTS = frozenset({"www.dw.com", "dw.com", "m.dw.com", "amp.dw.com", "rss.dw.com"})


def rebase(url: str, base_url: str) -> str:
    """A dw.com URL as fetched from the configured site: unchanged on the real site, moved onto a
    mirror's host (same path and query) when ``DWNEWS_BASE_URL`` points elsewhere."""
    parts = urlsplit(url)
    base = urlsplit(base_url)
    if (parts.hostname or "").lower() not in DW_SITE_HOSTS or base.netloc.lower() == "www.dw.com":
        return url
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def site_url(base_url: str, path_or_url: str) -> str:
    """Absolute URL of a path on the configured site (``DWNEWS_BASE_URL``)."""
    return urljoin(base_url.rstrip("/") + "/", path_or_url)
