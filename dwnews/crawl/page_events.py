"""What reading article pages found, as numbers: the layout, which source gave each field, what was
missing, what a page got wrong (a DW redesign shows up here first; the health check reads it).

A spider sends :data:`dwnews.core.keys.article_read` with the page object; :class:`PageEvents`
counts ``dwnews/article/parsed``, ``dwnews/article/layout/<layout>`` and one
``dwnews/article/<event>`` per event of the page, and logs, with the URL, what the page itself got
wrong (a number where text belongs, a URL that is no http(s) URL, a canonical link elsewhere...).
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from dwnews.core import keys, stats
from dwnews.pages.article import ArticlePage

logger = logging.getLogger(__name__)

# events that say the page itself is wrong: logged with the URL (the record has the field empty)
_PAGE_FAULTS = ("bad_type/", "bad_value/", "bad_url/", "html_too_deep", "canonical_elsewhere")


class PageEvents:
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageEvents:
        extension = cls(crawler)
        crawler.signals.connect(extension.article_read, signal=keys.article_read)
        return extension

    def article_read(self, page: ArticlePage, url: str) -> None:
        counter = self.crawler.stats
        if counter is None:
            return
        counter.inc_value(stats.ARTICLE_PARSED.key)
        counter.inc_value(stats.ARTICLE_LAYOUT(layout=page.layout))
        for event in page.events:
            counter.inc_value(stats.ARTICLE_EVENT(event=event))
        hostile = sorted({event for event in page.events if event.startswith(_PAGE_FAULTS)})
        if hostile:
            logger.warning("Page %s: %s", page.url, ", ".join(hostile))
        if "short_id_mismatch" in page.events:
            logger.warning(
                "Short link on %s is p/%s, but its content id %s gives p/%s",
                page.url,
                page.page_short_id,
                page.content_id,
                page.short_id,
            )
        repaired = [event for event in page.events if event.startswith("charset/")]
        if repaired:
            logger.info("Charset of %s: %s", page.url, repaired[0].removeprefix("charset/").replace("_", " "))
