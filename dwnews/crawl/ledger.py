"""The crawl's ledger: one keeper per crawl, and the one accessor every component reaches it by.

:class:`LedgerKeeper` (an extension) opens the crawl's ledger when the spider opens (no I/O while
the crawler is built), ends the run when the engine stops, and turns a storage fault into a stop
request (one ``dwnews:`` line and exit status 4, said by :mod:`dwnews.crawl.health`). It also
applies what the crawl reports about articles that leave the crawl without a record: an item
dropped by a pipeline is released, an article that failed for good is released and its failure
recorded for a later run.

Components reach it with :func:`ledger_keeper` and meet each other through the signals of
:mod:`dwnews.core.keys`, never by importing one another.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.ids import content_id_to_short_id
from dwnews.core.keys import Meta, PageType, Source
from dwnews.core.outcome import Outcome, StorageError
from dwnews.store.ledger import Answer, Claim, Ledger
from dwnews.store.sqlite import SqliteLedger

logger = logging.getLogger(__name__)

#: failure reasons that say nothing against the article (robots.txt forbids it): not recorded as failures
_NOT_FAILURES = frozenset({"robots_txt"})


def open_ledger(config: Config, spider_name: str) -> Ledger | None:
    """The crawl's ledger: Redis (always on there: it is what keeps workers from exporting twice),
    SQLite, or none (incremental crawling off)."""
    if config["DWNEWS_REDIS_URL"]:
        # only in distributed mode: redis-py costs every crawl's start 50 ms it does not need
        from dwnews.store.redis import RedisLedger

        return RedisLedger(
            config["DWNEWS_REDIS_URL"],
            redis_crawl_key(config, spider_name),
            revisions=config["DWNEWS_REVISIONS"],
            worker_timeout=config["DWNEWS_REDIS_WORKER_TIMEOUT"],
            max_failures=config["DWNEWS_MAX_FAILURES"],
        )
    if config["DWNEWS_INCREMENTAL"]:
        return SqliteLedger(
            Path(config["DWNEWS_STATE_DIR"]),
            spider=spider_name,
            revisions=config["DWNEWS_REVISIONS"],
            max_failures=config["DWNEWS_MAX_FAILURES"],
        )
    return None


def redis_crawl_key(config: Config, spider_name: str) -> str:
    """The prefix of a shared crawl's Redis keys: ``dwnews:<DWNEWS_REDIS_CRAWL or the spider's name>``."""
    return f"dwnews:{config['DWNEWS_REDIS_CRAWL'] or spider_name}"


def ledger_keeper(crawler: Crawler) -> LedgerKeeper:
    """The crawl's ledger keeper (the add-on always enables it)."""
    keeper = crawler.get_extension(LedgerKeeper)
    if keeper is None:
        raise RuntimeError("dwnews.crawl.ledger.LedgerKeeper is not among the EXTENSIONS (the dwnews add-on adds it)")
    return keeper


class LedgerKeeper:
    """Owns the crawl's ledger; see the module docstring."""

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self._ledger: Ledger | None = None
        self._opened = False
        self._unusable: StorageError | None = None  # why it could not be opened (said once)
        #: the crawl was asked to stop (a storage fault, a refusal): nothing more is requested or exported
        self.stopped = False
        self._answered: set[str] = set()  # paths of listing pages and sources that answered in this run
        self._failed: set[str] = set()  # ... and of those that failed for good

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerKeeper:
        keeper = cls(crawler, Config.read(crawler.settings))
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(keeper.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(keeper.request_failed, signal=keys.request_failed_for_good)
        crawler.signals.connect(keeper.source_missing, signal=keys.source_missing)
        crawler.signals.connect(keeper.response_received, signal=signals.response_received)
        crawler.signals.connect(keeper.stop_requested, signal=keys.stop_requested)
        return keeper

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
            try:
                self._ledger = open_ledger(self.config, getattr(self.crawler.spidercls, "name", ""))
                if self._ledger is not None:
                    for what, value in self._ledger.start_run().items():
                        if value and self.crawler.stats is not None:
                            self.crawler.stats.set_value(stats.STATE_RECOVERED(what=what), value)
            except StorageError as fault:
                self._ledger, self._unusable = None, fault
                self.fault(fault)
                raise
        return self._ledger

    def spider_opened(self, spider: Spider) -> None:
        with contextlib.suppress(StorageError):  # reported
            _ = self.ledger  # open it now: a fault shows before any request

    def engine_stopped(self) -> None:
        ledger = self._ledger
        if ledger is None:
            return
        try:
            ledger.pages_answered(sorted(self._answered - self._failed))
            ledger.finish_run("faulted" if self.stopped else "finished")
            self.crawler.signals.send_catch_log(keys.ledger_closing, ledger=ledger)
        except StorageError as fault:
            self.fault(fault)
        finally:
            ledger.close()

    # ----- stopping --------------------------------------------------------------------------------

    def stop_requested(self, outcome: Outcome, message: str) -> None:
        self.stopped = True

    def fault(self, fault: StorageError) -> None:
        """A storage fault: the crawl stops (exit 4); nothing unfinished is exported."""
        self.stop(Outcome.STORAGE_FAULT, f"storage fault: {fault}")

    def refuse(self, message: str) -> None:
        """A run that must not go on (another run writes its feed): exit 2."""
        self.stop(Outcome.REFUSED, message)

    def stop(self, outcome: Outcome, message: str) -> None:
        self.stopped = True
        self.crawler.signals.send_catch_log(keys.stop_requested, outcome=outcome, message=message)

    # ----- what the crawl asks and reports ---------------------------------------------------------

    def claim(self, claims: list[Claim]) -> dict[str, Answer] | None:
        """The ledger's answers for articles about to be requested; None when the crawl stopped on a
        storage fault (nothing is to be requested); every one NEW when there is no ledger."""
        try:
            ledger = self.ledger
            if ledger is None:
                return {claim.short_id: Answer.NEW for claim in claims}
            return ledger.claim_many(claims)
        except StorageError as fault:
            if fault is not self._unusable:  # (a ledger that could not be opened was reported already)
                self.fault(fault)
            return None

    def skip(self, short_id: str, content_id: int, rule: str) -> None:
        """Downloaded and not politics by ``rule``: later runs judging by the same rule skip it."""
        try:
            ledger = self.ledger
            if ledger is not None:
                ledger.mark_skipped(short_id, content_id, rule)
        except StorageError as fault:
            self.fault(fault)

    def stage(self, record: dict[str, Any]) -> Answer | None:
        """Stage a record on its way into this run's feeds; why it is refused, or None (raises
        :class:`StorageError`, reported, when the ledger cannot take it)."""
        try:
            ledger = self.ledger
            return ledger.stage(record) if ledger is not None else None
        except StorageError as fault:
            if fault is not self._unusable:
                self.fault(fault)
            raise

    def failures_to_retry(self) -> list[tuple[str, str]]:
        try:
            ledger = self.ledger
            return ledger.failures_to_retry() if ledger is not None else []
        except StorageError as fault:
            if fault is not self._unusable:
                self.fault(fault)
            return []

    def item_dropped(self, item: Any, response: Response | None, exception: BaseException, spider: Spider) -> None:
        short_id = getattr(item, "short_id", None) or (item.get("short_id") if isinstance(item, dict) else None)
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
        """A request failed for good: an article's claim is released and its failure recorded; a
        listing page's or source's failure is compared with what earlier runs saw."""
        page, url = request.meta.get(Meta.PAGE), str(request.meta.get(Meta.URL, request.url))  # not render.html
        content_id = request.meta.get(Meta.CONTENT_ID)
        if page == PageType.ARTICLE and isinstance(content_id, int):
            self.article_failed(content_id_to_short_id(content_id), url, reason, counted=True)
        elif page in (PageType.LISTING, PageType.SOURCE) and reason != "robots_txt":
            source = str(request.meta.get(Meta.SOURCE, Source.SECTIONS))
            self.page_failed(
                url, reason, source, entry=bool(request.meta.get(Meta.ENTRY)), counted=page == PageType.LISTING
            )

    def source_missing(self, source: str, url: str, why: str) -> None:
        """A source answered but cannot be read (an HTTP error status, not a sitemap or feed)."""
        if why.startswith("HTTP "):
            self.page_failed(url, f"http_{why[5:]}", source, entry=False, counted=False)
        elif why.startswith("not a "):
            self.page_failed(url, why.replace(" ", "_"), source, entry=False, counted=False)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """A listing page, sitemap or feed answered: remembered when the run ends, unless it failed
        after all (a source that answered in an earlier run and fails for good now is lost)."""
        if request.meta.get(Meta.PAGE) in (PageType.LISTING, PageType.SOURCE) and 200 <= response.status < 300:
            self._answered.add(urlsplit(str(request.meta.get(Meta.URL, request.url))).path)

    def page_failed(self, url: str, reason: str, source: str, entry: bool, counted: bool) -> None:
        """A page of a discovery source failed for good. The crawl's entry page (the home page, or
        the section given), or a source page that answered in an earlier run, is a lost source
        (unhealthy) in every run it fails. A page that failed the same way in an earlier run is a
        known failure besides (``counted``: it is left out of the share of failures a run is judged
        by)."""
        path = urlsplit(url).path
        self._failed.add(path)
        try:
            ledger = self.ledger
            failure = ledger.page_failed(path, reason) if ledger is not None else None
        except StorageError as fault:
            self.fault(fault)
            return
        since = failure.known_since if failure is not None else None
        if since is not None:
            self.known_again(since, counted)
        answered_before = failure is not None and failure.retried
        if (entry or answered_before) and self.crawler.stats is not None:
            # lost run after run while it fails: the articles only it links are not found (a source
            # gone for good is taken out of DWNEWS_SOURCES, or the section out of -a section=)
            lost = stats.SOURCE_LOST(source=source)
            why = "the crawl's first page" if entry else "it answered in an earlier run"
            if since is not None:
                why += f"; failing so since {since[:10]}"
            if not self.crawler.stats.get_value(lost):
                self.crawler.stats.set_value(lost, f"{url} failed ({reason}); {why}")

    def known_again(self, since: str, counted: bool) -> None:
        """A page failed the same way as in an earlier run: reported, not held against this run."""
        counter = self.crawler.stats
        if counter is None:
            return
        if counted:
            counter.inc_value(stats.FAILURES_KNOWN_AGAIN.key)
        first = counter.get_value(stats.FAILURES_KNOWN_SINCE.key)
        if not first or since < str(first):
            counter.set_value(stats.FAILURES_KNOWN_SINCE.key, since[:10])

    def article_failed(self, short_id: str, url: str, reason: str, counted: bool = False) -> None:
        """An article is not exported this run for a reason a later run may not meet: released, and
        (unless robots.txt forbade it) recorded to be tried again."""
        try:
            ledger = self.ledger
            if ledger is None:
                return
            ledger.release(short_id)
            if reason in _NOT_FAILURES or not self.config["DWNEWS_RETRY_FAILED"]:
                return
            path = urlsplit(url).path  # a path on the crawled site, never another host's URL
            failure = ledger.record_failure(short_id, path, reason)
            if failure.known_since is not None:
                self.known_again(failure.known_since, counted)
            if not failure.retried:
                if self.crawler.stats is not None:
                    self.crawler.stats.inc_value(stats.FAILURES_GIVEN_UP.key)
                logger.warning(
                    "Given up on %s after %d failed runs (%s): no longer retried; "
                    "python3 -m dwnews.state failures lists them",
                    path,
                    self.config["DWNEWS_MAX_FAILURES"],
                    reason,
                )
        except StorageError as fault:
            self.fault(fault)
