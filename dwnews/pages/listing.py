"""The DW listing page object (home and section pages): links in, classified links out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError

from dwnews.core import urls
from dwnews.core.site import is_media_section
from dwnews.pages.html import parse_html


@dataclass
class ListingLinks:
    """What a listing page links to, classified.

    ``articles`` maps content id -> the first absolute URL seen for it (query and fragment
    dropped); ``sections`` are section URLs of the same edition but media sections (videos,
    audio: counted as ``media_section``); ``skipped`` counts links
    that are not articles by kind (``video``, ``audio``, ``live``...), ``bad_url`` those that
    cannot be resolved (``http://[::1``), ``bad_id`` those whose content id is outside
    1..MAX_CONTENT_ID (``a-0``, see :mod:`dwnews.core.ids`); ``offsite`` counts those to other hosts,
    ``other_language`` those to other DW editions; ``inline_scripts`` counts inline scripts (a
    listing with none of its links in the HTML may build them with them).
    """

    articles: dict[int, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    offsite: int = 0
    other_language: int = 0
    inline_scripts: int = 0


class ListingPage:
    """A DW home or section page of one language edition, read from its HTML."""

    def __init__(self, url: str, html: str, base_url: str, language: str = "sw") -> None:
        self.url = url
        self.base_url = base_url
        self.language = language
        try:  # a page nested deeper than libxml2 builds keeps its links (see parse_html)
            self.tree, _ = parse_html(html or "<html></html>")
        except (ParserError, ValueError):
            self.tree = lxml.html.document_fromstring("<html></html>")

    def links(self) -> ListingLinks:
        """Every ``a[href]`` of the page, classified; each article and section once."""
        found = ListingLinks()
        found.inline_scripts = len(self.tree.xpath("//script[not(@src) and normalize-space()]"))
        seen_sections: set[str] = set()
        for href in self.tree.xpath("//a/@href"):
            href = str(href).strip()
            if not href or href.startswith(("#", "mailto:", "javascript:")):
                continue
            try:
                absolute = urls.rebase(urljoin(self.url, href), self.base_url)
            except ValueError:  # urlsplit: an unbalanced IPv6 bracket ("http://[::1/...")
                found.skipped["bad_url"] += 1
                continue
            if not urls.same_site(absolute, self.base_url):
                found.offsite += 1
                continue
            parsed = urls.parse_path(absolute)
            if parsed is None:
                found.skipped["bad_id" if urls.has_bad_content_id(absolute) else "other"] += 1
                continue
            if parsed.language != self.language:
                found.other_language += 1
                continue
            clean = urls.strip_tracking(absolute)
            if parsed.is_article:
                found.articles.setdefault(parsed.content_id, clean)
            elif parsed.is_section and is_media_section(parsed.slug):
                if clean not in seen_sections:
                    seen_sections.add(clean)
                    found.skipped["media_section"] += 1
            elif parsed.is_section:
                if clean not in seen_sections:
                    seen_sections.add(clean)
                    found.sections.append(clean)
            else:
                found.skipped[parsed.kind] += 1
        return found
