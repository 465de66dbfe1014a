"""The DOM of DW's current layout (the React app, 2023-2026): ``article header h1``, the body in
``div.rich-text``, ``author-details``, ``time-area``, the kicker, ``figure`` images.

Its styled class names are hashed and change with every redesign, so the hooks here are element
names, ``data-tracking-name`` attributes and the few plain class names the app keeps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from dwnews.core import ids
from dwnews.core.dates import parse_text_date
from dwnews.core.text import collapse_whitespace, dedupe
from dwnews.pages.html import RICH_TEXT, extract_body, first, has_class, text_of
from dwnews.pages.sources import STATIC_IMAGE_BASE, UNKNOWN_LAYOUT, FoundBody, Image, Source, found_body

IMAGE_FORMAT_ID = "6"  # DW's 940x529 rendition
_IMAGE_ID_RE = re.compile(r"/image/(\d+)_")
_CREDIT_RE = re.compile(r"^\s*(?:Picha|Bild|Image|Foto|Photo)\s*:\s*", re.IGNORECASE)


def figure_image(figure: Any) -> Image | None:
    """The image of a ``figure``: its ``data-url`` template (or the image id in its srcset) at
    DW's 940x529 rendition, with the caption and the credit of its ``figcaption``."""
    img = first(figure, ".//img")
    if img is None:
        return None
    template = img.get("data-url")
    if template:
        url = template.replace("${formatId}", IMAGE_FORMAT_ID)
    else:
        candidates = " ".join(filter(None, [img.get("srcset"), img.get("srcSet"), img.get("src")]))
        candidates += " " + " ".join(figure.xpath(".//source/@srcset | .//source/@srcSet"))
        match = _IMAGE_ID_RE.search(candidates)
        if match is None:
            return None
        url = f"{STATIC_IMAGE_BASE}image/{match.group(1)}_{IMAGE_FORMAT_ID}.jpg"
    caption_el = first(figure, ".//figcaption")
    caption = credit = None
    if caption_el is not None:
        credit_el = first(caption_el, './/*[contains(@class, "copyright")]')
        if credit_el is not None:
            credit = collapse_whitespace(_CREDIT_RE.sub("", collapse_whitespace(credit_el.text_content()))) or None
        caption = text_of(caption_el) or None
    return Image(url=url, caption=caption, credit=credit)


class CurrentLayout(Source):
    """The fields of the current layout's DOM."""

    name = "dom"
    # Its category is the kicker's first item and its date the text readers see: named after what
    # they read, so that a crawl's counts tell a stable hook from a last resort.
    event_names: ClassVar[Mapping[str, str]] = {"category": "kicker", "published": "text"}
    layout_name = "current"

    @cached_property
    def rich_text(self) -> Any | None:
        return self.first(f'/descendant::div[@data-tracking-name="{RICH_TEXT}" or {has_class(RICH_TEXT)}][1]')

    @cached_property
    def _kicker(self) -> list[str]:
        kicker = self.first('//article/descendant::*[@data-tracking-name="content-detail-kicker"][1]')
        if kicker is None:
            return []
        return dedupe([text_of(span) for span in kicker.xpath("./span | ./a")])

    def layout(self) -> str:
        found = self.page.tree.xpath("//article//header//h1") or self.rich_text is not None
        return self.layout_name if found else ""

    def page_short_id(self) -> str | None:
        wrapper = 'string(//article/descendant::*[contains(@class, "copy-button-wrapper")][1])'
        return ids.short_id_from_text(self.page.tree.xpath(wrapper))

    def title(self) -> str:
        return collapse_whitespace(self.page.tree.xpath("string(//article//header//h1)"))

    def teaser(self) -> str:
        return collapse_whitespace(self.page.tree.xpath('string(//header//p[contains(@class, "teaser-text")])'))

    def body(self) -> FoundBody | None:
        container = self.rich_text
        return None if container is None else found_body(container, extract_body(container))

    def kicker(self) -> list[str]:
        return self._kicker

    def category(self) -> str | None:
        return self._kicker[0] if self._kicker else None

    def topics(self) -> list[str]:
        related = self.page.tree.xpath('//section[@id="related-topics"]//a[contains(@href, "/t-")]')
        return self._kicker[1:] + [text_of(a) for a in related]

    def authors(self) -> list[str]:
        details = self.first('//article/descendant::*[contains(@class, "author-details")][1]')
        if details is None:
            return []
        nodes = details.xpath(f'.//a[contains(@class, "author-link")] | .//*[{has_class("author")}]')
        return dedupe([collapse_whitespace(n.text_content()) for n in nodes])

    def published(self) -> str | None:
        """The date as readers see it ("14 Septemba 2023"); DW's ``<time>`` has no datetime."""
        area = self.first('/descendant::*[contains(@class, "time-area")][1]')
        if area is None:
            return None
        texts = [collapse_whitespace(t) for t in area.xpath(".//text()")]
        for text in sorted(filter(None, texts), key=len, reverse=True):
            parsed = parse_text_date(text, self.page.language or "sw")
            if parsed:
                return parsed
        return None

    def images(self) -> list[Image]:
        """The lead figure (outside the body), then the figures of the body the page chose; those
        are in this layout's markup on a page of this layout, or of none (the state's body HTML)."""
        lead = self.first(f"//article/descendant::figure[not(ancestor::*[{has_class(RICH_TEXT)}])][1]")
        figures = [] if lead is None else [lead]
        container = self.page.body_container
        if container is not None and self.page.layout in (self.layout_name, UNKNOWN_LAYOUT):
            figures += container.xpath(".//figure")
        return [image for image in map(figure_image, figures) if image]
