"""The JSON-LD ``NewsArticle`` of a DW page (``<script type="application/ld+json">``).

The most stable source where a page has it: written for search engines, so its keys outlive
redesigns. The 2026 copies with scripts stripped and most pages before mid-2023 have none.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from dwnews.core.dates import iso_utc
from dwnews.core.text import collapse_whitespace, dedupe
from dwnews.pages.html import read_json
from dwnews.pages.sources import Source


def _is_article_type(value: Any) -> bool:
    names = value if isinstance(value, list) else [value]  # "NewsArticle", or a list holding one
    return any(isinstance(name, str) and name.endswith("Article") for name in names)


class JsonLd(Source):
    """The fields of the page's JSON-LD ``NewsArticle``: title, teaser, authors, dates."""

    name = "jsonld"

    @cached_property
    def data(self) -> dict[str, Any]:
        """The JSON-LD NewsArticle object, or {} (invalid JSON-LD is counted, not raised)."""
        for script in self.page.tree.xpath('//script[@type="application/ld+json"]'):
            try:
                data = read_json(script.text or "")
            except ValueError:  # invalid, or nested too deep (see MAX_JSON_DEPTH)
                self.page.events.append("jsonld_invalid")
                continue
            candidates = data.get("@graph", [data]) if isinstance(data, dict) else data
            if not isinstance(candidates, list):
                continue
            for candidate in candidates:
                if isinstance(candidate, dict) and _is_article_type(candidate.get("@type")):
                    return candidate
        return {}

    def title(self) -> str:
        return collapse_whitespace(self.json_text("title", self.data.get("headline")))

    def teaser(self) -> str:
        return collapse_whitespace(self.json_text("teaser", self.data.get("description")))

    def authors(self) -> list[str]:
        return dedupe(
            [
                collapse_whitespace(self.json_text("authors", a.get("name")))
                for a in self.json_list("authors", self.data.get("author"))
                if isinstance(a, dict) and a.get("@type", "Person") == "Person"
            ]
        )

    def published(self) -> str | None:
        return iso_utc(self.json_text("published", self.data.get("datePublished")))

    def modified(self) -> str | None:
        return iso_utc(self.json_text("modified", self.data.get("dateModified")))
