"""Kiswahili text cleaning as an item pipeline: a thin shell over :func:`dwnews.core.text.clean_record`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from dwnews.core import stats
from dwnews.core.config import Config
from dwnews.core.record import FIELD_NAMES, Article, exported
from dwnews.core.text import clean_record, word_count

logger = logging.getLogger(__name__)


class CleanTextPipeline:
    """Cleans every text field; drops a record whose body is empty after cleaning; cuts a body
    longer than ``DWNEWS_MAX_BODY_CHARS`` at a paragraph boundary.

    Stats: ``dwnews/clean/removed/<rule>`` per removed paragraph, ``dwnews/dropped/empty_body``,
    ``dwnews/bounds/body_truncated``.
    """

    def __init__(self, counter: StatsCollector, max_body: int) -> None:
        self.counter = counter
        self.max_body = max_body

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanTextPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats, Config.read(crawler.settings)["DWNEWS_MAX_BODY_CHARS"])

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        parts = item.parts if isinstance(item, Article) else None
        cleaned, removed = clean_record(exported(item), parts=parts)
        for rule in removed:
            self.counter.inc_value(stats.CLEAN_REMOVED(rule=rule))
        if not adapter.get("body"):
            return item  # no body at all: the required-fields pipeline drops it as missing_body
        if not cleaned["body"]:
            self.counter.inc_value(stats.DROPPED(reason="empty_body"))
            logger.warning("Dropped %s: body empty after cleaning", adapter.get("url"))
            raise DropItem(f"empty body after cleaning: {adapter.get('url')}")
        if len(cleaned["body"]) > self.max_body:
            cleaned["body"] = self._cut(cleaned["body"])
            cleaned["word_count"] = word_count(cleaned["body"])
            self.counter.inc_value(stats.BOUND(what="body_truncated"))
            logger.warning(
                "Body of %s cut to %d characters (DWNEWS_MAX_BODY_CHARS)", adapter.get("url"), len(cleaned["body"])
            )
        if isinstance(item, Article):
            return replace(item, **{k: v for k, v in cleaned.items() if k in FIELD_NAMES}, parts=None)
        for key, value in cleaned.items():
            adapter[key] = value
        return item

    def _cut(self, body: str) -> str:
        """The body up to the last paragraph boundary within the bound (or the bound, if none)."""
        head = body[: self.max_body]
        boundary = head.rfind("\n\n")
        return head[:boundary] if boundary > 0 else head
