"""Incremental crawling: the spider middleware between the spiders and the ledger.

As zyte-spider-templates keeps incremental crawling in one spider middleware, here
:class:`IncrementalMiddleware` is where the spiders' output meets the ledger:

- article requests are claimed in the ledger before download, a page's links in one transaction
  (a 50,000-URL sitemap in batches of :data:`CLAIM_BATCH`); the ones the ledger knows are dropped;
- a :class:`~dwnews.core.keys.Skip` (a spider's verdict on an article page it does not export) is
  applied: "not politics" remembered with the rule that judged it, "out of range" released for a
  run with other bounds, "failed" released and recorded for a later run;
- an article page that gave neither an item nor a skip (the callback raised) is released;
- articles that failed in earlier runs are requested again after the start requests (a spider that
  wants them says how, with ``retry_request``);
- once a page's output is all passed on, :data:`dwnews.core.keys.page_done` is sent (the Redis
  scheduler's bookkeeping).

A kept article's claim lasts until its feed is stored or its item dropped (the ledger keeper and
the staging pipeline see to that).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.ids import content_id_to_short_id, valid_content_id
from dwnews.core.keys import Meta, PageType, Skip, Source, Verdict
from dwnews.crawl.ledger import LedgerKeeper, ledger_keeper
from dwnews.store.ledger import TO_FETCH, Answer, Claim

logger = logging.getLogger(__name__)

#: article requests of one page claimed in one ledger transaction (a sitemap holds up to 50,000)
CLAIM_BATCH = 500


class IncrementalMiddleware:
    """See the module docstring."""

    def __init__(self, crawler: Crawler, keeper: LedgerKeeper, config: Config) -> None:
        self.crawler = crawler
        self.keeper = keeper
        self.rule = config.politics.key
        self.retry_failed = config["DWNEWS_RETRY_FAILED"]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        return cls(crawler, ledger_keeper(crawler), Config.read(crawler.settings))

    def inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    # ----- requests --------------------------------------------------------------------------------

    def claimed(self, requests: list[Request]) -> Iterator[Request]:
        """The article requests to download: new (or revised) in the ledger; the rest counted."""
        if self.keeper.stopped or not requests:
            return
        claims = [
            Claim(r.meta[Meta.SHORT_ID], r.meta[Meta.CONTENT_ID], r.meta.get(Meta.LASTMOD), self.rule) for r in requests
        ]
        answers = self.keeper.claim(claims)
        if answers is None:
            return  # a storage fault (reported): the crawl stops
        for request in requests:
            source = request.meta.get(Meta.SOURCE, Source.SECTIONS)
            answer = answers.get(request.meta[Meta.SHORT_ID], Answer.NEW)
            if answer not in TO_FETCH:
                self.inc(stats.INCREMENTAL_SKIPPED(answer=answer))
                self.inc(stats.SOURCE_KNOWN(source=source))
                continue
            self.inc(stats.SOURCE_NEW(source=source))
            if answer == Answer.REVISED:
                self.inc(stats.INCREMENTAL_REVISED.key)
                request.meta[Meta.REVISION] = True
            yield request

    def _split(self, output: Any, held: list[Request]) -> Any:
        """Hold an article request back for the page's one claim transaction; pass the rest."""
        if isinstance(output, Request) and output.meta.get(Meta.PAGE) == PageType.ARTICLE:
            content_id = output.meta.get(Meta.CONTENT_ID)
            if not isinstance(content_id, int) or not valid_content_id(content_id):
                self.inc(stats.DROPPED(reason="bad_content_id"))
                logger.warning("Not requested: %s has no usable content id (%r)", output.url, content_id)
                return None
            output.meta.setdefault(Meta.SHORT_ID, content_id_to_short_id(content_id))
            held.append(output)
            return None
        if self.keeper.stopped and isinstance(output, Request):
            return None
        return output

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        held: list[Request] = []
        try:
            async for output in start:
                if (passed := self._split(output, held)) is not None and not self.keeper.stopped:
                    yield passed
        except Exception as error:
            # what came before still counts; the crawl is unhealthy
            self.inc(stats.ERRORS(where="start", error=type(error).__name__))
            logger.error("dwnews: the start requests broke off: %s: %s", type(error).__name__, error, exc_info=True)
        for request in self.claimed(held):
            yield request
        for request in self.retries():
            yield request

    def retries(self) -> Iterator[Request]:
        """Articles that failed in earlier runs, requested again (spiders that ask for it)."""
        spider = self.crawler.spider
        retry = getattr(spider, "retry_request", None)
        if retry is None or self.keeper.stopped or not self.retry_failed:
            return
        entries = self.keeper.failures_to_retry()
        held: list[Request] = []
        for short_id, path in entries:
            request = retry(short_id, path)
            if request is not None:
                self._split(request, held)
        if held:
            logger.info("Retrying %d articles that failed in earlier runs", len(held))
        yield from self.claimed(held)

    # ----- responses -------------------------------------------------------------------------------

    @staticmethod
    def _batch(held: list[Request]) -> list[Request]:
        """The held requests once there are CLAIM_BATCH of them (and held emptied), else none: a
        50,000-URL sitemap is claimed in batches, so downloads start while it is still read."""
        if len(held) < CLAIM_BATCH:
            return []
        batch = held[:]
        held.clear()
        return batch

    def _passed(self, output: Any, held: list[Request], outcome: dict[str, bool]) -> Any:
        if isinstance(output, Skip):
            outcome["decided"] = True
            self.apply(output)
            return None
        passed = self._split(output, held)
        if passed is not None and not isinstance(passed, Request):
            outcome["decided"] = True  # an item: its claim lasts until its feed is stored
        return passed

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterator[Any]:
        held: list[Request] = []
        outcome = {"decided": False}
        try:
            for output in result:
                passed = self._passed(output, held, outcome)
                if passed is not None:
                    yield passed
                yield from self.claimed(self._batch(held))
        except Exception:
            yield from self.claimed(held)  # what the page gave before it raised still counts
            self.page_finished(response, outcome["decided"])
            raise
        yield from self.claimed(held)
        self.page_finished(response, outcome["decided"])

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        held: list[Request] = []
        outcome = {"decided": False}
        try:
            async for output in result:
                passed = self._passed(output, held, outcome)
                if passed is not None:
                    yield passed
                for request in self.claimed(self._batch(held)):
                    yield request
        except Exception:
            for request in self.claimed(held):
                yield request
            self.page_finished(response, outcome["decided"])
            raise
        for request in self.claimed(held):
            yield request
        self.page_finished(response, outcome["decided"])

    def page_finished(self, response: Response, decided: bool) -> None:
        """All of a page's output is passed on: an article nobody decided on is released (its
        callback raised, or gave nothing); any page's work is done."""
        meta = response.meta
        content_id = meta.get(Meta.CONTENT_ID)
        if meta.get(Meta.PAGE) == PageType.ARTICLE:
            if not decided and isinstance(content_id, int):
                self.keeper.release(content_id_to_short_id(content_id))
        elif response.request is not None:
            self.crawler.signals.send_catch_log(keys.page_done, request=response.request)

    def apply(self, skip: Skip) -> None:
        """What a spider's verdict on an article page means for the ledger."""
        if self.keeper.stopped:
            return
        if skip.verdict == Verdict.FAILED:
            self.keeper.article_failed(skip.short_id, skip.url, skip.reason)
        elif skip.verdict == Verdict.NOT_POLITICS:
            self.keeper.skip(skip.short_id, skip.content_id, skip.rule or self.rule)
        else:
            self.keeper.release(skip.short_id)  # out of range: a run with other bounds may want it
