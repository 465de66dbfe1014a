"""Drop records that miss a required field or break the record schema: never export an article
half-empty or with a field of the wrong type."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from dwnews.core import stats
from dwnews.core.record import exported, missing_fields, record_problems

logger = logging.getLogger(__name__)


class RequiredFieldsPipeline:
    """Drops a record without short id, title, body or published date, counted per field; and one
    that breaks the record schema (a page object never makes one: this is the last check before a
    record leaves the crawl).

    Stats: ``dwnews/dropped/missing_<field>``, ``dwnews/dropped/bad_record``; the records checked and
    the problems found under spidermon's item-validation names, which its monitor judges
    (:class:`dwnews.crawl.monitors.RecordsMonitor`).
    """

    def __init__(self, counter: StatsCollector) -> None:
        self.counter = counter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequiredFieldsPipeline:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        record = exported(item)
        missing = missing_fields(record)
        if missing:
            self.counter.inc_value(stats.DROPPED(reason=f"missing_{missing[0]}"))
            logger.warning("Dropped %s: missing %s", record.get("url"), ", ".join(missing))
            raise DropItem(f"missing {', '.join(missing)}: {record.get('url')}")
        problems = record_problems(record)
        self.counter.inc_value(stats.VALIDATED.key)
        if problems:
            self.counter.inc_value(stats.VALIDATION_ERRORS.key, len(problems))
            self.counter.inc_value(stats.DROPPED(reason="bad_record"))
            logger.warning("Dropped %s: %s", record.get("url"), "; ".join(problems))
            raise DropItem(f"not a record: {'; '.join(problems)}")
        return item
