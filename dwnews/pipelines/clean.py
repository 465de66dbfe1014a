"""Kiswahili text cleaning as an item pipeline: a thin shell over :func:`dwnews.text.clean_record`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from dwnews.core import stats
from dwnews.core.record import FIELD_NAMES, Article, exported
from dwnews.core.text import clean_record

logger = logging.getLogger(__name__)


class CleanTextPipeline:
    """Cleans every text field; drops a record whose body is empty after cleaning.

    Stats: ``dwnews/clean/removed/<rule>`` per removed paragraph, ``dwnews/dropped/empty_body``.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanTextPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        parts = item.parts if isinstance(item, Article) else None
        cleaned, removed = clean_record(exported(item), parts=parts)
        for rule in removed:
            self.stats.inc_value(stats.CLEAN_REMOVED(rule=rule))
        if not adapter.get("body"):
            return item  # no body at all: RequiredFieldsPipeline drops it as missing_body
        if not cleaned["body"]:
            self.stats.inc_value(stats.DROPPED(reason="empty_body"))
            logger.warning("Dropped %s: body empty after cleaning", adapter.get("url"))
            raise DropItem(f"empty body after cleaning: {adapter.get('url')}")
        if isinstance(item, Article):
            return replace(item, **{k: v for k, v in cleaned.items() if k in FIELD_NAMES}, parts=None)
        for key, value in cleaned.items():
            adapter[key] = value
        return item
