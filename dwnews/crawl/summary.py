"""What a person reads at the end of a crawl, and once a minute during a long one.

Scrapy's stats dump has everything, in 80 lines of keys. :class:`CrawlSummary` says it in a few
lines after it (logger ``dwnews.summary``, INFO; ``dwnews:`` lines stay the one-line errors): per
discovery source the article links found, new and known; the articles exported, skipped and
failed; the feeds written; the size of the corpus in the store; the health verdict. A long crawl
logs its progress in the same terms every ``DWNEWS_PROGRESS_INTERVAL`` seconds (60): articles kept
so far, requests waiting, failures.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.keys import Source
from dwnews.core.outcome import Outcome, StorageError
from dwnews.core.stats import count, total
from dwnews.core.urls import redact
from dwnews.crawl.ledger import ledger_keeper

# a stable name: people filter their logs on it (docs/scheduling.md)
logger = logging.getLogger("dwnews.summary")

SOURCES = (Source.SECTIONS, Source.NEWS_SITEMAP, Source.SITEMAP, Source.FEED, Source.FAILURES)


class CrawlSummary:
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = Config.read(crawler.settings)
        self.interval = self.config["DWNEWS_PROGRESS_INTERVAL"]
        self.feeds: list[tuple[str, int]] = []
        self.corpus: dict[str, int] | None = None
        self.started = time.monotonic()
        self.reason = ""
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        if not Config.read(crawler.settings)["DWNEWS_SUMMARY"]:
            raise NotConfigured
        summary = cls(crawler)
        crawler.signals.connect(summary.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(summary.feed_stored, signal=keys.feed_stored)
        crawler.signals.connect(summary.count_corpus, signal=signals.feed_exporter_closed)
        crawler.signals.connect(summary.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(summary.engine_stopped, signal=signals.engine_stopped)
        return summary

    def crawl_stats(self) -> dict[str, Any]:
        return dict(self.crawler.stats.get_stats()) if self.crawler.stats is not None else {}

    # ----- during the crawl ----------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self._loop = task.LoopingCall(self.progress)
            self._loop.start(self.interval, now=False)

    def progress(self) -> None:
        crawl = self.crawl_stats()
        queued = count(crawl, "scheduler/enqueued") - count(crawl, "scheduler/dequeued")
        logger.info(
            "Progress after %s: %d politics articles kept, %d written to feeds, %d requests queued, "
            "%d pages failed; %s",
            _duration(time.monotonic() - self.started),
            count(crawl, stats.POLITICS_KEPT.key),
            sum(n for _, n in self.feeds),
            max(0, queued),
            total(crawl, "dwnews/failed/"),
            _sources(crawl) or "no article links yet",
        )

    def feed_stored(self, path: Path | str, records: int) -> None:
        """A feed file is complete and recorded (the feed storage's signal)."""
        self.feeds.append((str(path), records))

    # ----- at the end ----------------------------------------------------------------------

    def count_corpus(self) -> None:
        """The store's counts once every feed is recorded (the ledger is still open)."""
        try:
            ledger = ledger_keeper(self.crawler).ledger
            self.corpus = ledger.counts() if ledger is not None else None
        except (StorageError, LookupError, AttributeError):
            self.corpus = None

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.reason = reason
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.corpus is None:
            self.count_corpus()

    def engine_stopped(self) -> None:
        if self.crawl_stats().get(stats.OUTCOME.key) == Outcome.REFUSED or not self.reason:
            return  # refused before it started (its one dwnews: line says why), or never opened
        for line in self.lines():
            logger.info("%s", line)

    def retries_failures(self) -> bool:
        """Are this run's failed articles asked for again by the next run? (A spider that reads the
        ledger's failures, with the ledger and retries on.)"""
        spider = self.crawler.spider
        on = self.config["DWNEWS_RETRY_FAILED"] and (
            self.config["DWNEWS_INCREMENTAL"] or self.config["DWNEWS_REDIS_URL"]
        )
        return bool(on and hasattr(spider, "retry_request"))

    def state_command(self, what: str) -> str:
        return f"python3 -m dwnews.state {_state_where(self.config)} {what}"

    def lines(self) -> list[str]:
        crawl = self.crawl_stats()
        lines = [
            f"Summary of this run ({self.reason or 'stopped'} after {_duration(time.monotonic() - self.started)}):"
        ]
        for source in SOURCES:
            found = count(crawl, stats.SOURCE_FOUND(source=source))
            missing = crawl.get(stats.SOURCE_MISSING(source=source))
            lost = crawl.get(stats.SOURCE_LOST(source=source))
            if source == Source.FAILURES:
                if found:  # articles that failed in earlier runs, asked for again: no links, no "new"
                    lines.append(f"  {source}: {found} articles that failed in earlier runs, asked for again")
            elif found or missing or lost:
                duplicate = count(crawl, stats.SOURCE_DUPLICATE(source=source))
                also = f", {duplicate} found by another source first" if duplicate else ""
                lines.append(
                    f"  {source}: {found} article links, {count(crawl, stats.SOURCE_NEW(source=source))} new, "
                    f"{count(crawl, stats.SOURCE_KNOWN(source=source))} known{also}"
                    + (f" (source lost: {lost})" if lost else " (source missing)" if missing else "")
                )
        skipped = total(crawl, stats.POLITICS_DROPPED.prefix)
        dropped = total(crawl, stats.DROPPED.prefix)
        failed = total(crawl, "dwnews/failed/article/")
        exported = sum(n for _, n in self.feeds)
        retried = failed and self.retries_failures()
        lines.append(
            f"  articles: {exported} exported, {skipped} skipped (not politics or out of range), "
            f"{dropped} dropped (incomplete), {failed} failed"
            + (f" (retried next run: {self.state_command('failures')})" if retried else "")
        )
        known = count(crawl, stats.FAILURES_KNOWN_AGAIN.key)
        if known:
            since = crawl.get(stats.FAILURES_KNOWN_SINCE.key)
            lines.append(f"  known failures: {known} pages failed again as in earlier runs, since {since}")
        for path, records in self.feeds:
            lines.append(f"  written: {path} ({records} records)")
        if not self.feeds:
            lines.append("  written: no feed")
        if self.corpus is not None:
            lines.append(
                f"  corpus in the store: {self.corpus.get('exported', 0)} articles exported in all, "
                f"{self.corpus.get('skipped', 0)} known not politics "
                f"({self.state_command('export -O siasa.jsonl')})"
            )
        if crawl.get(stats.HEALTH_UNHEALTHY.key):
            problems = crawl.get(stats.HEALTH_PROBLEMS.key) or crawl.get(stats.OUTCOME_MESSAGE.key)
            lines.append(f"  health: UNHEALTHY: {problems}")
        elif crawl.get(stats.HEALTH_OK.key):
            lines.append("  health: ok")
        return lines


def _state_where(config: Config) -> str:
    """The state command's option naming the ledger this run used (a Redis URL without its password)."""
    if config["DWNEWS_REDIS_URL"]:
        return f"--redis-url {redact(config['DWNEWS_REDIS_URL'])}"
    return f"--state-dir {config['DWNEWS_STATE_DIR']}"


def _sources(crawl: dict[str, Any]) -> str:
    parts = []
    for source in SOURCES:
        found = count(crawl, stats.SOURCE_FOUND(source=source))
        if found:
            parts.append(f"{source} {found} links ({count(crawl, stats.SOURCE_NEW(source=source))} new)")
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
