"""One record per short id within a run, whatever path led to the article."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from dwnews.core import stats


class RunDedupPipeline:
    """Drops a second record with a short id already exported in this run.

    The spiders already avoid downloading an article twice (the short id is known from the
    link); this catches what links cannot tell, e.g. one article given under two URLs whose
    ids differ from the page's own. Stat: ``dwnews/dropped/duplicate``.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunDedupPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        short_id = str(ItemAdapter(item).get("short_id"))
        if short_id in self.seen:
            self.stats.inc_value(stats.DROPPED(reason="duplicate"))
            raise DropItem(f"duplicate short id {short_id}")
        self.seen.add(short_id)
        return item
