"""Incremental crawling around the article ledger: one owner per crawl, spiders never touch it.

- :class:`LedgerOwner` (an extension) creates the crawl's ledger when the spider opens (no I/O
  while the crawler is built), ends the run when the engine stops, and turns a storage fault into
  one ``dwnews:`` line, a stopped crawl and exit status 4.
- :class:`IncrementalMiddleware` (a spider middleware, as zyte-spider-templates does it) claims
  the article requests the spiders yield and drops the known ones before they are downloaded,
  then reads the spider's verdict on each article page (not politics: remembered; unreadable or
  out of range: released for a later run).
- :class:`StageRecordPipeline` (the last pipeline) stages each record in the ledger, so that the
  ledger holds the record once the feed holding it is complete.

A spider reports a failed download with the :data:`request_failed` signal (errback output does
not pass through spider middlewares) and its verdict on an article page in
``response.meta["dwnews_verdict"]``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from dwnews import urls
from dwnews.health import HEALTH_OK_STAT, REFUSED_STAT, STORAGE_FAULT_STAT, UNHEALTHY_STAT
from dwnews.items import exported
from dwnews.ledger import NEW, REVISED, Claim, Ledger, SqliteLedger, StorageError

logger = logging.getLogger(__name__)

#: sent by a spider's errback: ``request`` failed for good, ``reason`` a short name
request_failed = object()

# stats keys (constants so that grep finds writer and reader)
GIVEN_UP_STAT = "dwnews/failures/given_up"

#: article requests of one page claimed in one ledger transaction (a sitemap holds up to 50,000)
CLAIM_BATCH = 500
# what a spider may put in response.meta["dwnews_verdict"] of an article page
NOT_POLITICS = "not_politics"
OUT_OF_RANGE = "out_of_range"
UNREADABLE = "unreadable"
FAILED_PREFIX = "failed:"  # failed:<reason>, e.g. failed:not_html


def open_ledger(settings: BaseSettings, spider_name: str) -> Ledger | None:
    """The crawl's ledger from its settings: Redis, SQLite, or none (incremental off)."""
    if settings.get("DWNEWS_REDIS_URL"):
        from dwnews.distributed import RedisLedger, crawl_key

        # Distributed mode: the ledger is always on (it is what keeps workers from exporting twice).
        return RedisLedger(
            settings.get("DWNEWS_REDIS_URL"),
            crawl_key(settings, spider_name),
            revisions=settings.getbool("DWNEWS_REVISIONS"),
            worker_timeout=settings.getfloat("DWNEWS_REDIS_WORKER_TIMEOUT"),
            crawl_keys=(settings.get("SCHEDULER_QUEUE_KEY"), settings.get("SCHEDULER_DUPEFILTER_KEY")),
            max_failures=settings.getint("DWNEWS_MAX_FAILURES"),
        )
    if settings.getbool("DWNEWS_INCREMENTAL"):
        return SqliteLedger(
            Path(settings.get("DWNEWS_STATE_DIR")),
            spider=spider_name,
            revisions=settings.getbool("DWNEWS_REVISIONS"),
            max_failures=settings.getint("DWNEWS_MAX_FAILURES"),
        )
    return None


class LedgerOwner:
    """Owns the crawl's ledger and its faults; see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._ledger: Ledger | None = None
        self._opened = False
        self._unusable: StorageError | None = None  # why it could not be opened (said once)
        #: a storage fault or a refusal stopped the crawl: nothing more is requested or exported
        self.stopped = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerOwner:
        owner = cls(crawler)
        crawler.signals.connect(owner.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(owner.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(owner.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(owner.request_failed, signal=request_failed)
        return owner

    @staticmethod
    def of(crawler: Crawler) -> LedgerOwner:
        owner = crawler.get_extension(LedgerOwner)
        if owner is None:
            raise RuntimeError("dwnews.incremental.LedgerOwner is not among the EXTENSIONS")
        return owner

    def inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    # ----- the ledger ------------------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger | None:
        """The ledger (opened on first use), or None when incremental crawling is off.

        Raises :class:`StorageError` (already reported) when it cannot be opened.
        """
        if self._unusable is not None:
            raise self._unusable
        if not self._opened:
            self._opened = True
            name = getattr(self.crawler.spidercls, "name", "")
            try:
                self._ledger = open_ledger(self.crawler.settings, name)
                if self._ledger is not None:
                    for key, value in self._ledger.start_run().items():
                        if value and self.crawler.stats is not None:
                            self.crawler.stats.set_value(f"dwnews/state/recovered/{key}", value)
            except StorageError as fault:
                self._ledger, self._unusable = None, fault
                self.fault(fault)
                raise
        return self._ledger

    def spider_opened(self, spider: Spider) -> None:
        with contextlib.suppress(StorageError):  # reported
            _ = self.ledger  # open it now: a fault shows before any request
        from dwnews.feeds import PromptBatchFeedExporter  # (it imports this module)

        feeds = self.crawler.settings.getdict("FEEDS")
        if feeds and not self.stopped and self.crawler.get_extension(PromptBatchFeedExporter) is None:
            # Scrapy disabled its feed exporter (an unknown storage scheme, an unknown format):
            # the crawl would write nothing and say all went well
            self.refuse(f"no feed can be written to {', '.join(map(str, feeds))} (Scrapy's error above says why)")

    def engine_stopped(self) -> None:
        ledger = self._ledger
        if ledger is None:
            return
        try:
            ledger.finish_run("faulted" if self.stopped else "finished")
        except StorageError as fault:
            self.fault(fault)
        finally:
            ledger.close()

    # ----- faults ----------------------------------------------------------------------------------

    def fault(self, fault: StorageError) -> None:
        """A storage fault: one line, the crawl stops, exit 4; nothing unfinished is exported."""
        self._stop(STORAGE_FAULT_STAT, f"storage fault: {fault}", "storage_fault")

    def refuse(self, message: str) -> None:
        """A run that must not go on (another run writes its feed): one line, exit 2."""
        self._stop(REFUSED_STAT, message, "refused")

    def _stop(self, stat: str, message: str, reason: str) -> None:
        stats = self.crawler.stats
        if stats is not None and not stats.get_value(stat):
            stats.set_value(stat, message)
        if stats is not None and stats.get_value(HEALTH_OK_STAT):  # judged before this fault
            stats.set_value(HEALTH_OK_STAT, 0)
            stats.set_value(UNHEALTHY_STAT, 1)
        if self.stopped:
            logger.info("Also, after the crawl stopped: %s", message)  # the first cause was said
            return
        self.stopped = True
        logger.error("dwnews: %s", message)
        engine = self.crawler.engine

        def close() -> None:
            if engine is not None and engine.spider is not None:
                from scrapy.utils.defer import deferred_from_coro

                deferred_from_coro(engine.close_spider_async(reason=reason))

        from twisted.internet import reactor  # the installed one (importing it early would install one)

        reactor.callLater(0, close)  # type: ignore[attr-defined]

    # ----- what the crawl reports ------------------------------------------------------------------

    def item_dropped(self, item: Any, response: Response | None, exception: BaseException, spider: Spider) -> None:
        short_id = ItemAdapter(item).get("short_id") if ItemAdapter.is_item(item) else None
        if short_id:
            self.release(str(short_id))  # not exported: a later run tries again

    def release(self, short_id: str) -> None:
        try:
            ledger = self.ledger
            if ledger is not None:
                ledger.release(short_id)
        except StorageError as fault:
            self.fault(fault)

    def request_failed(self, request: Request, reason: str) -> None:
        """A request failed for good: an article's claim is released and its failure recorded."""
        try:
            ledger = self.ledger
        except StorageError:
            return
        if ledger is None:
            return
        try:
            content_id = request.meta.get("dwnews_content_id")
            if request.meta.get("dwnews_page") == "article" and content_id:
                url = request.meta.get("dwnews_url", request.url)  # not Splash's render.html
                self.article_failed(ledger, urls.content_id_to_short_id(int(content_id)), url, reason)
            page_done = getattr(ledger, "page_failed", None)  # the Redis ledger's bookkeeping
            if page_done is not None:
                page_done(request)
        except StorageError as fault:
            self.fault(fault)

    def article_failed(self, ledger: Ledger, short_id: str, url: str, reason: str) -> None:
        ledger.release(short_id)
        if reason in ("robots_txt", "splash_fallback") or not self.crawler.settings.getbool("DWNEWS_RETRY_FAILED"):
            return
        path = urlsplit(url).path  # a path on the crawled site, never another host's URL
        if not ledger.record_failure(short_id, path, reason):
            self.inc(GIVEN_UP_STAT)
            logger.warning(
                "Given up on %s after %d failed runs (%s): no longer retried; "
                "python3 -m dwnews.state failures lists them",
                path,
                self.crawler.settings.getint("DWNEWS_MAX_FAILURES"),
                reason,
            )


class IncrementalMiddleware:
    """Claims article requests in the ledger before download; handles the spider's verdicts."""

    def __init__(self, crawler: Crawler, owner: LedgerOwner) -> None:
        self.crawler = crawler
        self.owner = owner

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        return cls(crawler, LedgerOwner.of(crawler))

    def inc(self, key: str, count: int = 1) -> None:
        self.owner.inc(f"dwnews/{key}", count)

    # ----- requests --------------------------------------------------------------------------------

    def claimed(self, requests: list[Request]) -> Iterator[Request]:
        """The article requests to download: new (or revised) in the ledger; the rest counted."""
        if self.owner.stopped or not requests:
            return
        try:
            ledger = self.owner.ledger
            answers: dict[str, str] = {}
            if ledger is not None:
                claims = [
                    Claim(r.meta["dwnews_short_id"], r.meta["dwnews_content_id"], r.meta.get("dwnews_lastmod"))
                    for r in requests
                ]
                answers = ledger.claim_many(claims)
        except StorageError:
            return  # reported: the crawl stops
        for request in requests:
            source = request.meta.get("dwnews_source", "sections")
            answer = answers.get(request.meta["dwnews_short_id"], NEW)
            if answer not in (NEW, REVISED):
                self.inc(f"incremental/skipped/{answer}")
                self.inc(f"source/{source}/known")
                continue
            self.inc(f"source/{source}/new")
            if answer == REVISED:
                self.inc("incremental/revised")
                request.meta["dwnews_revision"] = True
            yield request

    def _split(self, output: Any, held: list[Request]) -> Any:
        """Hold an article request back for the page's one claim transaction; pass the rest."""
        if isinstance(output, Request) and output.meta.get("dwnews_page") == "article":
            content_id = output.meta.get("dwnews_content_id")
            if not isinstance(content_id, int) or not urls.valid_content_id(content_id):
                self.inc("dropped/bad_content_id")
                logger.warning("Not requested: %s has no usable content id (%r)", output.url, content_id)
                return None
            if "dwnews_short_id" not in output.meta:
                output.meta["dwnews_short_id"] = urls.content_id_to_short_id(content_id)
            held.append(output)
            return None
        if self.owner.stopped and isinstance(output, Request):
            return None
        return output

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        held: list[Request] = []
        try:
            async for output in start:
                if (passed := self._split(output, held)) is not None and not self.owner.stopped:
                    yield passed
        except Exception as error:
            self._start_broke_off(error)
        for request in self._after_start(held):
            yield request

    def process_start_requests(self, start_requests: Iterable[Any], spider: Spider) -> Iterator[Any]:
        """The same for middlewares of the old API (scrapy-splash's): Scrapy wants both defined."""
        held: list[Request] = []
        try:
            yield from (p for o in start_requests if (p := self._split(o, held)) is not None and not self.owner.stopped)
        except Exception as error:
            self._start_broke_off(error)
        yield from self._after_start(held)

    def _start_broke_off(self, error: Exception) -> None:
        """The spider's start requests raised: what came before still counts; the crawl is unhealthy."""
        self.inc(f"errors/start/{type(error).__name__}")
        logger.error("dwnews: the start requests broke off: %s: %s", type(error).__name__, error, exc_info=True)

    def _after_start(self, held: list[Request]) -> Iterator[Request]:
        yield from self.claimed(held)
        yield from self.retries()

    def retries(self) -> Iterator[Request]:
        """Articles that failed in earlier runs, requested again (spiders that ask for it)."""
        spider = self.crawler.spider
        retry = getattr(spider, "retry_request", None)
        if retry is None or self.owner.stopped or not self.crawler.settings.getbool("DWNEWS_RETRY_FAILED"):
            return
        try:
            ledger = self.owner.ledger
            entries = ledger.failures_to_retry() if ledger is not None else []
        except StorageError:
            return
        held: list[Request] = []
        for short_id, path in entries:
            request = retry(short_id, path)
            if request is not None:
                self._split(request, held)
        if held:
            logger.info("Retrying %d articles that failed in earlier runs", len(held))
        yield from self.claimed(held)

    # ----- responses -------------------------------------------------------------------------------

    def _batch(self, held: list[Request]) -> list[Request]:
        """The held requests once there are CLAIM_BATCH of them (and held emptied), else none: a
        50,000-URL sitemap is claimed in batches, so downloads start while it is still read."""
        if len(held) < CLAIM_BATCH:
            return []
        batch = held[:]
        held.clear()
        return batch

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterator[Any]:
        held: list[Request] = []
        kept = False
        try:
            for output in result:
                passed = self._split(output, held)
                if passed is not None:
                    kept = kept or not isinstance(passed, Request)
                    yield passed
                yield from self.claimed(self._batch(held))
        except Exception:
            yield from self.claimed(held)
            self.verdict(response, kept=kept, raised=True)
            raise
        yield from self.claimed(held)
        self.verdict(response, kept=kept)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        held: list[Request] = []
        kept = False
        try:
            async for output in result:
                passed = self._split(output, held)
                if passed is not None:
                    kept = kept or not isinstance(passed, Request)
                    yield passed
                for request in self.claimed(self._batch(held)):
                    yield request
        except Exception:
            for request in self.claimed(held):
                yield request
            self.verdict(response, kept=kept, raised=True)
            raise
        for request in self.claimed(held):
            yield request
        self.verdict(response, kept=kept)

    def verdict(self, response: Response, kept: bool, raised: bool = False) -> None:
        """What an article page's outcome means for the ledger."""
        meta = response.meta
        content_id = meta.get("dwnews_content_id")
        if meta.get("dwnews_page") != "article" or not isinstance(content_id, int) or kept:
            return  # a kept article's claim lasts until its feed is stored (or it is dropped)
        try:
            ledger = self.owner.ledger
        except StorageError:
            return
        if ledger is None:
            return
        short_id = urls.content_id_to_short_id(content_id)
        verdict = str(meta.get("dwnews_verdict") or (UNREADABLE if not raised else "error"))
        try:
            if verdict == NOT_POLITICS:
                ledger.mark_skipped(short_id, content_id, verdict)
            elif verdict.startswith(FAILED_PREFIX):
                url = meta.get("dwnews_url", response.url)  # the URL asked for, not a redirect's
                self.owner.article_failed(ledger, short_id, url, verdict[len(FAILED_PREFIX) :])
            else:
                ledger.release(short_id)  # unreadable, out of range, or the callback raised
        except StorageError as fault:
            self.owner.fault(fault)


class StageRecordPipeline:
    """Stages each record that leaves the pipelines in the ledger (the last pipeline)."""

    def __init__(self, owner: LedgerOwner) -> None:
        self.owner = owner

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StageRecordPipeline:
        return cls(LedgerOwner.of(crawler))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if self.owner.stopped:
            raise DropItem("the crawl stopped on a storage fault", log_level="DEBUG")
        try:
            ledger = self.owner.ledger
            refused = ledger.stage(exported(item)) if ledger is not None else None
        except StorageError as fault:
            self.owner.fault(fault)
            raise DropItem(f"not staged: {fault}", log_level="DEBUG") from None
        if refused:
            # its own short id is known (a link under another id, a resumed JOBDIR queue): once only
            self.owner.inc(f"dwnews/dropped/already_{refused}")
            raise DropItem(f"{ItemAdapter(item).get('short_id')} is {refused}: not exported again", log_level="INFO")
        return item
