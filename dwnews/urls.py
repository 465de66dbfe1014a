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

# /<lang>/<slug...>/<kind>-<digits>; the slug is cosmetic on dw.com (it may hold several
# segments, e.g. legacy "/en/top-stories/germany/s-1432").
_PATH_RE = re.compile(r"^/(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)/(?:(?P<slug>.+)/)?(?P<kind>[a-z]+)-(?P<id>[0-9]+)/?$")
_SHORT_ID_RE = re.compile(r"p\.dw\.com/p/([0-9A-Za-z]+)")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL: no request can carry them


def valid_content_id(content_id: int) -> bool:
    """True for a content id this package can store and export: 1..MAX_CONTENT_ID."""
    return MIN_CONTENT_ID <= content_id <= MAX_CONTENT_ID


def _content_id_from_digits(digits: str) -> int | None:
    """The content id an ASCII digit string states, or None when it is out of range."""
    significant = digits.lstrip("0")
    if not digits.isascii() or not digits.isdigit() or len(significant) > _MAX_ID_DIGITS:
        return None
    value = int(digits)
    return value if valid_content_id(value) else None


def content_id_from_text(text: str | None) -> int | None:
    """A content id written as decimal digits (``dwsyn:contentID``), or None when not 1..MAX_CONTENT_ID."""
    return _content_id_from_digits(text.strip()) if text else None


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
    match = _match_path(url)
    if match is None:
        return None
    content_id = _content_id_from_digits(match.group("id"))
    if content_id is None:
        return None
    return DwPath(
        language=match.group("lang"),
        kind=match.group("kind"),
        content_id=content_id,
        slug=match.group("slug") or "",
    )


def _match_path(url: str) -> re.Match[str] | None:
    try:
        path = urlsplit(url).path
    except ValueError:  # e.g. "http://[::1/...": an unbalanced IPv6 bracket
        return None
    return _PATH_RE.match(path)


def has_bad_content_id(url: str) -> bool:
    """True for a ``/<lang>/<slug>/<kind>-<id>`` URL whose id is outside 1..MAX_CONTENT_ID.

    :func:`parse_path` gives None for these; this tells them from URLs of other shapes.
    """
    match = _match_path(url)
    return match is not None and _content_id_from_digits(match.group("id")) is None


def usable_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host that can be split and requested as it is.

    False for relative URLs, other schemes, control characters, unbalanced IPv6 brackets and bad
    ports: a request for any of these would fail, taking the rest of the page's links with it.
    False too with U+FFFD in it: a character was lost on the way (a NUL, an undecodable byte).
    """
    if not url or "\ufffd" in url or _CONTROL_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0..65535
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def article_id(url: str, language: str | None = None) -> int | None:
    """Content id of an article link (any slug, query or fragment), or None.

    With ``language`` set, only links of that edition count (``/sw/...``). None too for an id
    outside 1..MAX_CONTENT_ID (``a-0``, ``a-9223372036854775808``): see MAX_CONTENT_ID.
    """
    parsed = parse_path(url)
    if parsed is None or not parsed.is_article:
        return None
    if language is not None and parsed.language != language:
        return None
    return parsed.content_id


_USERINFO_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>[^@/\s]*)@", re.I)


def redact(text: str) -> str:
    """Text (a URL, an error message) with the password of every ``scheme://user:password@`` in it
    replaced by ``***``: a Redis, Splash or proxy URL's credentials are never logged."""
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(text))


def strip_tracking(url: str) -> str:
    """Drop the query and fragment: DW identifies pages by path alone (``?maca=``, ``?at_medium=``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


_DEFAULT_PORTS = {"http": 80, "https": 443}

# Hosts whose pages a mirror of dw.com serves at the same paths (rss.dw.com's feeds included).
DW_PAGE_HOSTS = frozenset({"www.dw.com", "dw.com", "m.dw.com", "amp.dw.com"})
# (and the short-link host: p.dw.com/p/<id> redirects to the article; a mirror answers /p/<id> the same)
DW_SITE_HOSTS = DW_PAGE_HOSTS | {"rss.dw.com", "p.dw.com"}
# What the crawler may request besides the configured site when that is the real www.dw.com: the
# feed host, and the short-link host (it only redirects to www). Never DW's static image hosts.
DW_EXTRA_ORIGINS = frozenset({("https", "rss.dw.com", 443), ("http", "rss.dw.com", 80), ("https", "p.dw.com", 443)})

Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL, the port made explicit; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def site_origins(base_url: str) -> frozenset[Origin]:
    """The origins a crawl of ``base_url`` may request: that site's own, plus DW's feed and
    short-link hosts when it is the real www.dw.com."""
    own = origin(base_url)
    if own is None:
        return frozenset()
    if own == ("https", "www.dw.com", 443):
        return frozenset({own}) | DW_EXTRA_ORIGINS
    return frozenset({own})


def on_site(url: str, origins: frozenset[Origin]) -> bool:
    """True when ``url`` is absolute and its scheme, host and port are one of ``origins``."""
    return origin(url) in origins


def same_site(url: str, base_url: str) -> bool:
    """True when ``url`` has the scheme, host and port of ``base_url``; relative URLs count."""
    try:
        relative = not urlsplit(url).netloc
    except ValueError:
        return False
    if relative:
        return True
    own = origin(base_url)
    return own is not None and origin(url) == own


def rebase(url: str, base_url: str) -> str:
    """A dw.com URL as fetched from the configured site: an http(s) link to one of DW's page hosts
    (``dw.com``, ``m.dw.com``, ``http://www.dw.com``) moves onto the configured site, same path and
    query; so does the feed host's on a mirror. Anything else (another host, another scheme, a
    string that is no URL: data from a page, not code) is returned as it is, for the origin check."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    base = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https"):
        return url
    if host not in DW_SITE_HOSTS or (host not in DW_PAGE_HOSTS and base.netloc.lower() == "www.dw.com"):
        return url  # not DW's, or the real feed host on the real site
    # dw.com, m.dw.com, http:// ...: the same page on the configured site
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def site_url(base_url: str, path_or_url: str) -> str:
    """Absolute URL of a path on the configured site (``DWNEWS_BASE_URL``)."""
    return urljoin(base_url.rstrip("/") + "/", path_or_url)
