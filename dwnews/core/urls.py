"""Pure URL facts about dw.com: page paths, link classification, origins, the configured site.

An article's identity (content id, short id) is :mod:`dwnews.core.ids`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from dwnews.core.ids import content_id_from_digits

# /<lang>/<slug...>/<kind>-<digits>; the slug is cosmetic on dw.com (it may hold several
# segments, e.g. legacy "/en/top-stories/germany/s-1432").
_PATH_RE = re.compile(r"^/(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)/(?:(?P<slug>.+)/)?(?P<kind>[a-z]+)-(?P<id>[0-9]+)/?$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")  # C0 controls and DEL: no request can carry them


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
    content_id = content_id_from_digits(match.group("id"))
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
    return match is not None and content_id_from_digits(match.group("id")) is None


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
