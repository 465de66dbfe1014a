"""Sitemaps and RSS/RDF/Atom feeds: article links with the dates they give, before any download.

Pure: XML bytes in, :class:`Entry` list out. Broken XML is read as far as it goes (lxml's
recovering parser) and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from dwnews.dates import iso_utc

_CONTENT_ID_RE = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Entry:
    """One link of a sitemap or feed: URL, the dates it states, and what else it says."""

    url: str
    published: str | None = None  # news:publication_date, dc:date, pubDate, published
    modified: str | None = None  # lastmod, updated
    content_id: int | None = None  # dwsyn:contentID
    subject: str | None = None  # dc:subject / category: DW's category name


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data.strip() or b"<empty/>", parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element:
        if _local(child.tag) in names and (child.text or "").strip():
            return str(child.text).strip()
    return None


def _descendant_text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and (child.text or "").strip():
            return str(child.text).strip()
    return None


class SitemapPage:
    """A sitemap (``urlset``) or sitemap index (``sitemapindex``)."""

    def __init__(self, data: bytes) -> None:
        self.root = _parse(data)

    @property
    def is_index(self) -> bool:
        return self.root is not None and _local(self.root.tag) == "sitemapindex"

    @property
    def is_sitemap(self) -> bool:
        return self.root is not None and _local(self.root.tag) in ("urlset", "sitemapindex")

    def entries(self) -> list[Entry]:
        """``<url>`` entries of a sitemap, or ``<sitemap>`` entries of an index."""
        if self.root is None:
            return []
        wanted = "sitemap" if self.is_index else "url"
        entries = []
        for node in self.root:
            if _local(node.tag) != wanted:
                continue
            loc = _child_text(node, "loc")
            if not loc:
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
    """An RSS 2.0, RSS 1.0 (RDF, as DW serves) or Atom feed."""

    def __init__(self, data: bytes) -> None:
        self.root = _parse(data)

    @property
    def is_feed(self) -> bool:
        return self.root is not None and _local(self.root.tag) in ("rss", "RDF", "feed")

    def entries(self) -> list[Entry]:
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
            if not link:
                continue
            content_id = _child_text(node, "contentID")
            entries.append(
                Entry(
                    url=link,
                    published=iso_utc(_child_text(node, "date", "published") or _rfc822(_child_text(node, "pubDate"))),
                    modified=iso_utc(_child_text(node, "updated")),
                    content_id=int(content_id) if content_id and _CONTENT_ID_RE.match(content_id) else None,
                    subject=_child_text(node, "subject", "category"),
                )
            )
        return entries


def _rfc822(value: str | None) -> str | None:
    """RSS 2.0's pubDate ("Thu, 14 Sep 2023 10:12:00 GMT") as ISO."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return None
