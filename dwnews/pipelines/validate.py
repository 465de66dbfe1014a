"""Drop records that miss a core field: never export an article half-empty."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from dwnews.core import stats
from dwnews.core.record import CORE_FIELDS

logger = logging.getLogger(__name__)


class RequiredFieldsPipeline:
    """Drops a record without short id, title, body or published date, counted per field.

    Stats: ``dwnews/dropped/missing_<field>``.
    """

    def __init__(self, stats: StatsCollector, required: tuple[str, ...] = CORE_FIELDS) -> None:
        self.stats = stats
        self.required = required

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequiredFieldsPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        missing = [name for name in self.required if not adapter.get(name)]
        if missing:
            self.stats.inc_value(stats.DROPPED(reason=f"missing_{missing[0]}"))
            logger.warning("Dropped %s: missing %s", adapter.get("url"), ", ".join(missing))
            raise DropItem(f"missing {', '.join(missing)}: {adapter.get('url')}")
        return item
