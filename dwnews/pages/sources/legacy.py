"""The DOM of DW's legacy layout (before mid-2023): ``div#bodyContent`` with its ``h1``, the body in
``div.longText``, the ``ul.smallList`` of labelled meta items (Date, Author, Permalink, topics) and
``picBox`` images.

Pages of this layout are still served from the archive. When they no longer are, this module and
its row in ``COMPOSITION`` (:mod:`dwnews.pages.article`) go, and nothing else.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from dwnews.core import ids
from dwnews.core.dates import iso_utc
from dwnews.core.text import collapse_whitespace, split_names
from dwnews.pages.html import LONG_TEXT, extract_body, has_class
from dwnews.pages.sources import STATIC_IMAGE_BASE, FoundBody, Image, Source, found_body

# The labels of the ``ul.smallList`` items, in the editions' languages, by what they hold.
_LABELS = {
    "date": ("date", "datum", "tarehe"),
    "author": ("author", "autorin/autor", "autor", "autorin", "mwandishi", "waandishi"),
    "topics": ("related subjects", "themenseiten", "kurasa za mada", "mada zinazohusiana", "mada"),
    "permalink": ("permalink",),
}


class LegacyLayout(Source):
    """The fields of the legacy layout's DOM."""

    name = "legacy"
    layout_name = "legacy"

    @cached_property
    def long_text(self) -> Any | None:
        return self.first(f"/descendant::div[{has_class(LONG_TEXT)}][1]")

    @cached_property
    def meta_items(self) -> dict[str, Any]:
        """The ``ul.smallList`` entries by normalised label (Date, Author, Permalink...)."""
        entries: dict[str, Any] = {}
        for item in self.page.tree.xpath('//ul[contains(@class, "smallList")]/li[strong]'):
            label = collapse_whitespace(item.xpath("string(strong)")).rstrip(":").lower()
            for key, labels in _LABELS.items():
                if label in labels and key not in entries:
                    entries[key] = item
        return entries

    def meta_value(self, key: str) -> str | None:
        item = self.meta_items.get(key)
        if item is None:
            return None
        text = collapse_whitespace("".join(item.xpath("text()|*[not(self::strong)]//text()")))
        return text or None

    def layout(self) -> str:
        return self.layout_name if self.long_text is not None else ""

    def page_short_id(self) -> str | None:
        return ids.short_id_from_text(self.meta_value("permalink") or "")

    def title(self) -> str:
        return collapse_whitespace(self.page.tree.xpath('string(//div[@id="bodyContent"]//h1)'))

    def teaser(self) -> str:
        return collapse_whitespace(self.page.tree.xpath('string(//p[contains(@class, "intro")])'))

    def body(self) -> FoundBody | None:
        container = self.long_text
        return None if container is None else found_body(container, extract_body(container, legacy=True))

    def category(self) -> str:
        return collapse_whitespace(self.page.tree.xpath('string(//h4[contains(@class, "artikel")])'))

    def topics(self) -> list[str]:
        item = self.meta_items.get("topics")
        return [] if item is None else [collapse_whitespace(a.text_content()) for a in item.xpath(".//a")]

    def authors(self) -> list[str]:
        return split_names(self.meta_value("author") or "")

    def published(self) -> str | None:
        return iso_utc(self.meta_value("date") or "")

    def images(self) -> list[Image]:
        """The ``picBox`` images of the page's main column (or, without one, of the page), and
        those in the body; on a page of this layout only."""
        if self.page.layout != self.layout_name:
            return []
        images = []
        column = self.first('//div[@id="bodyContent"]/div[contains(@class, "col3")]')
        if column is None:
            column = self.page.tree
        boxes = column.xpath(
            './div[contains(@class, "picBox")]'
            ' | .//div[contains(@class, "longText")][1]/div[contains(@class, "picBox")]'
        )
        for box in boxes:
            src = box.xpath("string(.//img/@src)")
            if not src:
                continue
            try:
                url = urljoin(STATIC_IMAGE_BASE, src)
            except ValueError:  # e.g. "http://[::1/x.jpg": no URL at all
                self.page.events.append("bad_url/images")
                continue
            caption = collapse_whitespace(box.xpath("string(./p)")) or None
            images.append(Image(url=url, caption=caption, credit=None))
        return images
