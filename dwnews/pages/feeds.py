"""Sitemaps and RSS/RDF/Atom feeds: article links with the dates they give, before any download.

Pure: XML bytes in, :class:`Entry` objects out, streamed: the document is read with lxml's
iterparse and each entry's elements are freed once it is read, so a sitemap of 50,000 URLs never
becomes a tree in memory, and a crawl can request the first articles while the rest is still being
read. At most :data:`MAX_ENTRIES` entries are taken from one document (the sitemap standard's
limit); the rest are counted as ``over_limit``. Broken XML is read as far as it goes (lxml's
recovering parser) and never raises. One bad entry costs only itself: an entry whose URL cannot be
requested or names an out-of-range content id is left out (counted in ``skipped``), a date that is
malformed or not representable in UTC is None, the entry kept.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from dwnews.core import ids, urls
from dwnews.core.dates import iso_utc

# Characters XML 1.0 forbids, as raw bytes or character references. libxml2's recovering parser
# drops a raw one silently ("a-123<NUL>456" would read as the wrong id a-123456) and gives text it
# cannot decode for a reference to a surrogate (reading it raises): both become U+FFFD first.
_ILLEGAL_BYTES_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CHAR_REF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT = b"&#xFFFD;"
#: entries taken from one sitemap or feed: the sitemap protocol's limit per file
MAX_ENTRIES = 50_000


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


def _events(data: bytes) -> Iterator[tuple[str, etree._Element]]:
    """``(event, element)`` pairs ("start", "end") of a streamed, recovering parse.

    Entities are never resolved nor fetched (no billion laughs, no XXE), and libxml2's default
    bounds on depth and text size stay on. Where even the recovering parser gives up, the events
    simply end: what was read so far counts.
    """
    parse = etree.iterparse(
        io.BytesIO(_sanitise(data.strip()) or b"<empty/>"),
        events=("start", "end"),
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        yield from parse
    except (etree.XMLSyntaxError, ValueError, UnicodeDecodeError):
        return


def _root_tag(data: bytes) -> str | None:
    """The local name of the document's root element (reads no further than its start tag)."""
    for event, element in _events(data):
        if event == "start":
            return _local(element.tag)
    return None


def _free(element: etree._Element) -> None:
    """Drop an element that was read, and the siblings read before it: memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _text(element: etree._Element) -> str | None:
    """An element's stripped text, or None when it has none (or text lxml cannot decode)."""
    try:
        text = element.text
    except UnicodeDecodeError:
        return None
    return (str(text).strip() or None) if text else None


def _text_of(elements: Iterable[etree._Element], *names: str) -> str | None:
    """The first text of ``elements`` (an element's children, or ``.iter()``: all it holds) named ``names``."""
    for child in elements:
        if _local(child.tag) in names:
            text = _text(child)
            if text:
                return text
    return None


class _StreamedPage:
    """An XML document read as a stream of entries; see the module's docstring."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.root_tag = _root_tag(data)
        self.skipped: Counter[str] = Counter()

    def entries(self) -> list[Entry]:
        """Every entry at once (small documents, tests): :meth:`iter_entries` as a list."""
        return list(self.iter_entries())

    def iter_entries(self, limit: int = MAX_ENTRIES) -> Iterator[Entry]:
        """The entries, as they are read; ``skipped`` is complete once the iterator is exhausted."""
        self.skipped = Counter()
        taken = 0
        for node in self._nodes():
            entry = self._entry(node)
            _free(node)
            if entry is None:
                continue
            if taken >= limit:
                self.skipped["over_limit"] += 1
                continue
            taken += 1
            yield entry

    def _nodes(self) -> Iterator[etree._Element]:
        raise NotImplementedError

    def _entry(self, node: etree._Element) -> Entry | None:
        raise NotImplementedError

    def _usable(self, url: str | None) -> str | None:
        """``url``, or None when it cannot be followed (counted in ``skipped`` by why)."""
        if not url:
            why = "no_url"
        elif not urls.usable_url(url):
            why = "bad_url"
        elif urls.has_bad_content_id(url):
            why = "bad_id"
        else:
            return url
        self.skipped[why] += 1
        return None


class SitemapPage(_StreamedPage):
    """A sitemap (``urlset``) or sitemap index (``sitemapindex``).

    ``skipped`` counts, by reason, the entries :meth:`entries` left out: ``no_url`` (no ``loc``),
    ``bad_url`` (not an absolute http(s) URL a request can be made for), ``bad_id`` (a content id
    outside 1..MAX_CONTENT_ID, see :mod:`dwnews.urls`), ``over_limit`` (beyond :data:`MAX_ENTRIES`).
    """

    @property
    def is_index(self) -> bool:
        return self.root_tag == "sitemapindex"

    @property
    def is_sitemap(self) -> bool:
        return self.root_tag in ("urlset", "sitemapindex")

    def _nodes(self) -> Iterator[etree._Element]:
        """``<url>`` children of a urlset, or ``<sitemap>`` children of an index, each complete."""
        if not self.is_sitemap:
            return
        wanted = "sitemap" if self.is_index else "url"
        depth = 0
        for event, element in _events(self.data):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth == 1 and _local(element.tag) == wanted:
                yield element

    def _entry(self, node: etree._Element) -> Entry | None:
        loc = self._usable(_text_of(node, "loc"))
        if loc is None:
            return None
        return Entry(
            url=loc,
            published=iso_utc(_text_of(node.iter(), "publication_date")),
            modified=iso_utc(_text_of(node, "lastmod")),
        )


class FeedPage(_StreamedPage):
    """An RSS 2.0, RSS 1.0 (RDF, as DW serves) or Atom feed.

    ``skipped`` counts the items :meth:`entries` left out, as :class:`SitemapPage` does.
    """

    @property
    def is_feed(self) -> bool:
        return self.root_tag in ("rss", "RDF", "feed")

    def _nodes(self) -> Iterator[etree._Element]:
        """``<item>`` (RSS, RDF) and ``<entry>`` (Atom) elements, wherever they sit, each complete."""
        if not self.is_feed:
            return
        for event, element in _events(self.data):
            if event == "end" and _local(element.tag) in ("item", "entry"):
                yield element

    def _entry(self, node: etree._Element) -> Entry | None:
        link = _text_of(node, "link")
        if link is None:  # Atom: <link href="..."/>
            for child in node:
                if _local(child.tag) == "link" and child.get("href"):
                    link = str(child.get("href"))
                    break
        link = self._usable(link)
        if link is None:
            return None
        return Entry(
            url=link,
            published=iso_utc(_text_of(node, "date", "published") or _rfc822(_text_of(node, "pubDate"))),
            modified=iso_utc(_text_of(node, "updated")),
            content_id=ids.content_id_from_text(_text_of(node, "contentID")),
            subject=_text_of(node, "subject", "category"),
        )


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
