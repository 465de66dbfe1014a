"""The ``<meta>`` tags of a DW page (Open Graph, ``article:*``, ``description``...).

Every layout has them, but they are written for sharing: the title carries a " | DW | date"
suffix, the description may be shortened. So they come after the article's own markup for most
fields; for the dates they come before the DOM, which shows dates only as text.
"""

from __future__ import annotations

import re
from functools import cached_property

from dwnews.core.dates import iso_utc
from dwnews.core.text import collapse_whitespace
from dwnews.pages.sources import Source

_TITLE_SUFFIX_RE = re.compile(r"\s+[–|-]\s+DW\s+[–|-]\s+[\d./]+\s*$")


class MetaTags(Source):
    """The fields of the page's ``<meta>`` tags: language, title, teaser, dates, canonical URL."""

    name = "meta"

    @cached_property
    def values(self) -> dict[str, str]:
        """``<meta>`` values by name or property, first one of each; the scripts-stripped 2026
        copies write ``value=`` where pages have ``content=``."""
        found: dict[str, str] = {}
        for meta in self.page.tree.iter("meta"):
            value = str(meta.get("content") or meta.get("value") or "").strip()
            for key in (meta.get("property"), meta.get("name")):
                if key and value and key not in found:
                    found[str(key)] = value
        return found

    def value(self, *names: str) -> str | None:
        return next((self.values[name] for name in names if name in self.values), None)

    def canonical_url(self) -> str | None:
        return self.value("og:url")

    def language(self) -> str:
        return (self.value("language") or "")[:2].lower()

    def title(self) -> str:
        return collapse_whitespace(_TITLE_SUFFIX_RE.sub("", self.value("og:title") or ""))

    def teaser(self) -> str:
        return collapse_whitespace(self.value("og:description", "description") or "")

    def published(self) -> str | None:
        return iso_utc(self.value("article:published_time", "date", "dcterms.date") or "")

    def modified(self) -> str | None:
        return iso_utc(self.value("article:modified_time", "last-modified") or "")
