"""Sitemaps and RSS/RDF/Atom feeds: article links with the dates they give, before any download.

Pure: XML bytes in, :class:`Entry` list out. Broken XML is read as far as it goes (lxml's
recovering parser) and never raises. One bad entry costs only itself: an entry whose URL cannot be
requested or names an out-of-range content id is left out (counted in ``skipped``), a date that is
malformed or not representable in UTC is None, the entry kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from lxml import etree

from dwnews import urls
from dwnews.dates import iso_utc

# Characters XML 1.0 forbids, as raw bytes or character references. libxml2's recovering parser
# drops a raw one silently ("a-123<NUL>456" would read as the wrong id a-123456) and gives text it
# cannot decode for a reference to a surrogate (reading it raises): both become U+FFFD first.
_ILLEGAL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CHAR_REF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT = b"&#xFFFD;"


@dataclass(frozen=True)
class Entry:
    """One link of a sitemap or feed: URL, the dates it states, and what else it says."""

    url: str
    published: str | None = None  # news:publication_date, dc:date, pubDate, published
    modified: str | None = None  # lastmod, updated
    content_id: int | None = None  # dwsyn:contentID
    subject: str | None = None  # dc:subject / category: DW's category name


def _local(tag: object) -> str:
    """The local name of a tag: "{ns}loc" -> "loc"; also "dc:date" (a prefix never declared).

    Not etree.QName: it raises ValueError on names the recovering parser makes of broken
    markup ("dc:date" with no xmlns:dc, "lo:9c"), which lost the whole page.
    """
    return tag.rpartition("}")[2].rpartition(":")[2] if isinstance(tag, str) else ""


def _legal_char_ref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal_digits = match.group(1), match.group(2)
    digits = (hex_digits or decimal_digits).lstrip(b"0")
    if len(digits) > 8:
        return _REPLACEMENT
    code = int(digits or b"0", 16 if hex_digits else 10)
    legal = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    return match.group(0) if legal else _REPLACEMENT


def _sanitise(data: bytes) -> bytes:
    """Replace characters XML forbids with U+FFFD, so the parser neither drops nor chokes on them."""
    if data.startswith(
        (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00<\x00", b"<\x00")
    ):
        return data  # UTF-16 or UTF-32: NUL bytes are part of every character (DW serves UTF-8)
    data = _ILLEGAL_BYTES_RE.sub(_REPLACEMENT, data)
    return _CHAR_REF_RE.sub(_legal_char_ref, data)


def _parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(_sanitise(data.strip()) or b"<empty/>", parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _text(element: etree._Element) -> str | None:
    """An element's stripped text, or None when it has none (or text lxml cannot decode)."""
    try:
        text = element.text
    except UnicodeDecodeError:
        return None
    return (str(text).strip() or None) if text else None


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element:
        if _local(child.tag) in names:
            text = _text(child)
            if text:
                return text
    return None


def _descendant_text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name:
            text = _text(child)
            if text:
                return text
    return None


def _unusable(url: str) -> str | None:
    """Why a link of a sitemap or feed cannot be followed ("bad_url", "bad_id"), or None."""
    if not urls.usable_url(url):
        return "bad_url"
    if urls.has_bad_content_id(url):
        return "bad_id"
    return None


class SitemapPage:
    """A sitemap (``urlset``) or sitemap index (``sitemapindex``).

    ``skipped`` counts, by reason, the entries :meth:`entries` left out: ``no_url`` (no ``loc``),
    ``bad_url`` (not an absolute http(s) URL a request can be made for), ``bad_id`` (a content id
    outside 1..MAX_CONTENT_ID, see :mod:`dwnews.urls`).
    """

    def __init__(self, data: bytes) -> None:
        self.root = _parse(data)
        self.skipped: Counter[str] = Counter()

    @property
    def is_index(self) -> bool:
        return self.root is not None and _local(self.root.tag) == "sitemapindex"

    @property
    def is_sitemap(self) -> bool:
        return self.root is not None and _local(self.root.tag) in ("urlset", "sitemapindex")

    def entries(self) -> list[Entry]:
        """``<url>`` entries of a sitemap, or ``<sitemap>`` entries of an index."""
        self.skipped = Counter()
        if self.root is None:
            return []
        wanted = "sitemap" if self.is_index else "url"
        entries = []
        for node in self.root:
            if _local(node.tag) != wanted:
                continue
            loc = _child_text(node, "loc")
            why = _unusable(loc) if loc else "no_url"
            if loc is None or why:
                self.skipped[why or "no_url"] += 1
                continue
            entries.append(
                Entry(
                    url=loc,
                    published=iso_utc(_descendant_text(node, "publication_date")),
                    modified=iso_utc(_child_text(node, "lastmod")),
                )
            )
        return entries


class FeedPage:
    """An RSS 2.0, RSS 1.0 (RDF, as DW serves) or Atom feed.

    ``skipped`` counts the items :meth:`entries` left out, as :class:`SitemapPage` does.
    """

    def __init__(self, data: bytes) -> None:
        self.root = _parse(data)
        self.skipped: Counter[str] = Counter()

    @property
    def is_feed(self) -> bool:
        return self.root is not None and _local(self.root.tag) in ("rss", "RDF", "feed")

    def entries(self) -> list[Entry]:
        self.skipped = Counter()
        if self.root is None:
            return []
        entries = []
        for node in self.root.iter():
            if _local(node.tag) not in ("item", "entry"):
                continue
            link = _child_text(node, "link")
            if link is None:  # Atom: <link href="..."/>
                for child in node:
                    if _local(child.tag) == "link" and child.get("href"):
                        link = str(child.get("href"))
                        break
            why = _unusable(link) if link else "no_url"
            if link is None or why:
                self.skipped[why or "no_url"] += 1
                continue
            entries.append(
                Entry(
                    url=link,
                    published=iso_utc(_child_text(node, "date", "published") or _rfc822(_child_text(node, "pubDate"))),
                    modified=iso_utc(_child_text(node, "updated")),
                    content_id=urls.content_id_from_text(_child_text(node, "contentID")),
                    subject=_child_text(node, "subject", "category"),
                )
            )
        return entries


# A year of three or more digits: not the day (1-2), not part of the time (":") or offset ("+0200").
_RFC822_YEAR_RE = re.compile(r"(?<![\d:+-])(\d{3,})(?![\d:])")


def _rfc822(value: str | None) -> str | None:
    """RSS 2.0's pubDate ("Thu, 14 Sep 2023 10:12:00 GMT") as ISO; None when malformed."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):  # OverflowError: "99999999999 Sep 2023"
        return None
    year = _RFC822_YEAR_RE.search(value)
    if year is not None and year.group(1).lstrip("0") != str(moment.year):
        # email.utils reads years below 100 as 19xx/20xx, also written in full ("0001" -> 2001).
        return None
    return moment.isoformat()
