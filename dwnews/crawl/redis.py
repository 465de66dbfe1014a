"""Distributed crawling on Redis: several workers share one crawl (scrapy-redis), exactly once.

Switched on by ``DWNEWS_REDIS_URL`` (``redis://host:port/db``). Then:

- scrapy-redis's scheduler and dupefilter hold the crawl's request queue and seen requests in
  Redis (keys ``dwnews:<crawl>:requests`` and ``dwnews:<crawl>:dupefilter``, ``<crawl>`` being
  ``DWNEWS_REDIS_CRAWL``, by default the spider's name): every ``scrapy crawl politics`` started
  with the same settings is a worker of the same crawl, discovery is done once, workers drain the
  queue. Queue entries are JSON data, never pickle (:mod:`dwnews.crawl.redis_entries`);
- the article ledger lives in Redis too (:class:`dwnews.store.redis.RedisLedger`), so workers on
  different machines never export the same article twice, and later crawls skip what earlier ones
  exported;
- a request is queued together with its fingerprint (one script, where scrapy-redis makes two
  calls), popped into the worker's taking list in one step, claimed (an article: an atomic claim)
  and recorded in the worker's in-flight list until the work is done: a page until its links are
  queued, an article until the feed holding it is complete on disk (or it was found not politics,
  or it failed). A worker killed between any two of these steps leaves the request where a live
  worker recovers it. Each worker beats a heartbeat every second (from a thread); a worker silent for
  ``DWNEWS_REDIS_WORKER_TIMEOUT`` seconds is dead (SIGKILL, power loss) and the others put its
  taken, in-flight and scraped requests back in the queue. So a killed worker loses nothing, and since an article's
  export counts only once its feed is on disk, nothing is exported twice. Should a live worker be
  taken for dead (a heartbeat thread starved for longer than the timeout), its feed is fenced when
  it closes: articles another worker took over meanwhile are left out of it;
- a worker ends when the queue is empty, no live worker has work in flight and it has been idle
  for ``DWNEWS_REDIS_IDLE_TIMEOUT`` seconds; the last one to leave clears the crawl's queue keys,
  so the next scheduled crawl starts afresh (and skips, through the ledger, what is known).

:class:`RecoveringScheduler` is the one crawl component of distributed mode: the queue, the claims
when it hands requests out, the worker's bookkeeping (signals from the other components) and its
end. Whether Redis answers at all is asked by the crawl command before Scrapy starts.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.ids import content_id_to_short_id
from dwnews.core.keys import Meta, PageType
from dwnews.core.outcome import StorageError
from dwnews.crawl import redis_entries
from dwnews.crawl.ledger import LedgerKeeper, ledger_keeper, redis_crawl_key
from dwnews.crawl.redis_entries import BadEntryError
from dwnews.store.ledger import Ledger
from dwnews.store.redis import RedisLedger

logger = logging.getLogger(__name__)

# what reading a queue entry that is no request of ours raises (the codec, then Scrapy's
# request_from_dict for a missing key, callback or argument)
_BAD_ENTRY = (ValueError, TypeError, KeyError, AttributeError, UnicodeError)


def configure(settings: BaseSettings, spider_name: str, config: Config) -> None:
    """Put scrapy-redis's scheduler (our recovering subclass) and dupefilter in the settings (the add-on)."""
    key = redis_crawl_key(config, spider_name)
    for name, value in {
        "SCHEDULER": f"{__name__}.RecoveringScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",
        # JSON, never pickle: a queue entry is data, whoever wrote it
        "SCHEDULER_SERIALIZER": redis_entries.__name__,
        "SCHEDULER_QUEUE_KEY": f"{key}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{key}:dupefilter",
        "REDIS_URL": config["DWNEWS_REDIS_URL"],
    }.items():
        settings.set(name, value, priority="addon")


def fingerprinter(crawler: Crawler) -> Any:
    """The crawl's request fingerprint as hex (the same one the dupefilter uses)."""
    assert crawler.request_fingerprinter is not None
    fingerprint = crawler.request_fingerprinter.fingerprint
    return lambda request: fingerprint(request).hex()


#: seconds before an idle worker looks at the queue again (Scrapy's own heartbeat: 5 s)
IDLE_LOOK_AGAIN = 1.0


class RecoveringScheduler(RedisScheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler that claims what it hands out, recovers dead workers' work, keeps a
    worker's bookkeeping and keeps an idle worker alive while the shared crawl is not done."""

    store: RedisLedger | None = None

    def open(self, spider: Spider) -> Any:
        result = super().open(spider)
        crawler = spider.crawler
        self.crawler = crawler
        self.keeper: LedgerKeeper = ledger_keeper(crawler)
        self.fingerprint = fingerprinter(crawler)
        self.idle_timeout = Config.read(crawler.settings)["DWNEWS_REDIS_IDLE_TIMEOUT"]
        self.idle_since: float | None = None
        self._bad_whys: set[str] = set()
        for handler, signal in (
            (self.page_done, keys.page_done),
            (self.request_failed, keys.request_failed_for_good),
            (self.ledger_closing, keys.ledger_closing),
            (self.item_scraped, signals.item_scraped),
            (self.spider_idle, signals.spider_idle),
        ):
            crawler.signals.connect(handler, signal=signal)
        if crawler.stats is not None:
            crawler.stats.set_value(stats.REDIS_WORKER.key, 1)
        try:
            store = self.keeper.ledger
        except StorageError:
            return result  # reported: the crawl stops, nothing is handed out
        assert isinstance(store, RedisLedger)
        self.store = store
        return result

    def _lost(self, error: Exception) -> None:
        if isinstance(error, StorageError):
            self.keeper.fault(error)
        else:
            self.keeper.fault(StorageError(f"Redis queue {self.queue_key}", f"{type(error).__name__}: {error}"))

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def _bad_entry(self, where: str, error: Exception) -> None:
        """A foreign or malformed entry: counted (in all and by why), logged once per why."""
        why = error.why if isinstance(error, BadEntryError) else "request"  # request_from_dict refused it
        self._count(stats.REDIS_BAD_ENTRY.key)
        self._count(stats.REDIS_BAD_ENTRY_WHY(why=why))
        if why not in self._bad_whys:
            self._bad_whys.add(why)
            logger.warning("Dropped a %s entry that is not a request of ours (%s)", where, str(error)[:200])
        else:
            logger.debug("Dropped a %s entry that is not a request of ours (%s)", where, str(error)[:200])

    # ----- the queue -----------------------------------------------------------------------------

    def next_request(self) -> Request | None:
        if self.store is None or self.keeper.stopped:
            return None
        try:
            return self._next_request(self.store)
        except (StorageError, redis.RedisError) as error:
            self._lost(error)
            return None

    def enqueue_request(self, request: Request) -> bool:
        """scrapy-redis's, with the dupefilter's check and the push in one step (the ledger's
        :meth:`~dwnews.store.redis.RedisLedger.push_new`)."""
        store = self.store
        if store is None or self.keeper.stopped:
            return False
        try:
            encoded = self.queue._encode_request(request)
            fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
            if not store.push_new(self.df.key, self.queue.key, fingerprint, encoded):
                self.df.log(request, self.spider)
                return False
        except (StorageError, redis.RedisError) as error:
            self._lost(error)
            return False
        if self.stats is not None:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def has_pending_requests(self) -> bool:
        if self.keeper.stopped:
            return False
        try:
            return bool(super().has_pending_requests())
        except redis.RedisError as error:
            self._lost(error)
            return False

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except redis.RedisError as error:
            self._lost(error)

    def _next_request(self, store: RedisLedger) -> Request | None:
        """The next request this worker may work on. Popped into the worker's taking list, then
        recorded in flight (an article: claimed) and taken off that list in one step: a worker
        killed at any point leaves it in exactly one place a live worker recovers it from."""
        while True:
            popped = store.pop(self.queue.key, self.idle_before_close)
            if popped is None:
                recovered = store.recover(self.queue.key)
                if recovered:
                    self._count(stats.REDIS_RECOVERED.key, recovered)
                    continue
                return None
            try:
                request: Request = self.queue._decode_request(popped)
            except _BAD_ENTRY as error:
                store.popped(popped)
                self._bad_entry("queue", error)  # off the queue now: it costs only itself
                continue
            if self.stats is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
            content_id = request.meta.get(Meta.CONTENT_ID)
            if request.meta.get(Meta.PAGE) == PageType.ARTICLE and isinstance(content_id, int):
                short_id = content_id_to_short_id(content_id)
                taken = store.take(short_id, popped, revision=bool(request.meta.get(Meta.REVISION)))
                if taken != 1:
                    self._count(stats.REDIS_NOT_TAKEN(why="known" if taken == 0 else "elsewhere"))
                    continue
            else:
                store.page_taken(self.fingerprint(request), popped)
            return request

    # ----- the worker's bookkeeping (signals) --------------------------------------------------------

    def _guarded(self, call: Any, *args: Any) -> None:
        if self.store is None or self.keeper.stopped:
            return
        try:
            call(*args)
        except StorageError as fault:
            self.keeper.fault(fault)

    def page_done(self, request: Request) -> None:
        """A page's output is all in the queue: its work is over."""
        if self.store is not None:
            self._guarded(self.store.page_done, self.fingerprint(request))

    def request_failed(self, request: Request, reason: str) -> None:
        """A page request failed for good: its work is over too (an article's: the ledger keeper)."""
        if request.meta.get(Meta.PAGE) != PageType.ARTICLE:
            self.page_done(request)

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        short_id = getattr(item, "short_id", None)
        if short_id and self.store is not None:
            self._guarded(self.store.scraped, str(short_id))

    def spider_idle(self, spider: Spider) -> None:
        """An idle worker waits while others work, a dead worker's work may come back, or its idle
        timeout has not passed."""
        store = self.store
        if store is None or self.keeper.stopped:
            return
        try:
            busy = len(self.queue) or store.busy_elsewhere() or store.dead_workers()
        except (StorageError, redis.RedisError) as error:
            self._lost(error)
            return
        if busy:
            self.idle_since = None
            self._look_again_soon()
            raise DontCloseSpider("other workers are still at work")
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_timeout:
            self._look_again_soon()
            raise DontCloseSpider("waiting for the idle timeout")

    def _look_again_soon(self) -> None:
        """An idle worker looks at the queue again in a second, not at Scrapy's 5 s heartbeat: work
        put back from a dead worker, or queued by a busy one, is taken up sooner, and the crawl ends
        sooner after its idle timeout. Scrapy's engine's private ``_slot.nextcall`` (pinned Scrapy;
        ``tests/crawl/test_feeds.py`` fails if it changes); without it, the heartbeat still comes."""
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule(IDLE_LOOK_AGAIN)

    def ledger_closing(self, ledger: Ledger) -> None:
        """This worker's run is recorded: the last one out clears the crawl's queue (if it is empty)
        and bookkeeping, so the next crawl starts afresh."""
        if not isinstance(ledger, RedisLedger):
            return
        try:
            if not ledger.live_workers() and not len(self.queue):
                self.flush()  # scrapy-redis: the queue and the dupefilter
                ledger.clear_crawl()
        except (StorageError, redis.RedisError) as error:
            logger.warning("Could not clear the crawl's keys: %s", error)
