"""The last pipeline: each record that leaves the pipelines is staged in the ledger, so that the
ledger holds the record once the feed holding it is complete (see :mod:`dwnews.store.ledger`)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from dwnews.core import stats
from dwnews.core.outcome import StorageError
from dwnews.core.record import exported
from dwnews.crawl.ledger import LedgerKeeper, ledger_keeper


class StageRecordPipeline:
    """Stages each record in the ledger; drops one whose own short id the ledger knows.

    Stat: ``dwnews/dropped/already_<exported|claimed_elsewhere>`` (a link that redirected to
    another article, a resumed JOBDIR queue: exported once only).
    """

    def __init__(self, keeper: LedgerKeeper) -> None:
        self.keeper = keeper

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StageRecordPipeline:
        return cls(ledger_keeper(crawler))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if self.keeper.stopped:
            raise DropItem("the crawl stopped", log_level="DEBUG")
        record = exported(item)
        try:
            refused = self.keeper.stage(record)
        except StorageError as fault:  # reported by the keeper: the crawl stops
            raise DropItem(f"not staged: {fault}", log_level="DEBUG") from None
        if refused:
            if self.keeper.crawler.stats is not None:
                self.keeper.crawler.stats.inc_value(stats.DROPPED(reason=f"already_{refused}"))
            raise DropItem(f"{record['short_id']} is {refused}: not exported again", log_level="INFO")
        return item
