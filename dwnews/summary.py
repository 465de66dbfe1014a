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

from dwnews.health import HEALTH_OK_STAT, REFUSED_STAT, UNHEALTHY_STAT

logger = logging.getLogger(__name__)

SOURCES = ("sections", "news-sitemap", "sitemap", "feed", "failures")


def _n(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int) else 0


def _sum(stats: dict[str, Any], prefix: str) -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


class CrawlSummary:
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("DWNEWS_PROGRESS_INTERVAL")
        self.feeds: list[tuple[str, int]] = []
        self.corpus: dict[str, int] | None = None
        self.started = time.monotonic()
        self.reason = ""
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        if not crawler.settings.getbool("DWNEWS_SUMMARY"):
            raise NotConfigured
        summary = cls(crawler)
        crawler.signals.connect(summary.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(summary.count_corpus, signal=signals.feed_exporter_closed)
        crawler.signals.connect(summary.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(summary.engine_stopped, signal=signals.engine_stopped)
        return summary

    @staticmethod
    def of(crawler: Crawler) -> CrawlSummary | None:
        found = crawler.extensions.middlewares if crawler.extensions is not None else ()
        return next((e for e in found if isinstance(e, CrawlSummary)), None)

    def stats(self) -> dict[str, Any]:
        return dict(self.crawler.stats.get_stats()) if self.crawler.stats is not None else {}

    # ----- during the crawl ----------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self._loop = task.LoopingCall(self.progress)
            self._loop.start(self.interval, now=False)

    def progress(self) -> None:
        stats = self.stats()
        queued = _n(stats, "scheduler/enqueued") - _n(stats, "scheduler/dequeued")
        logger.info(
            "Progress after %s: %d politics articles kept, %d written to feeds, %d requests queued, "
            "%d pages failed; %s",
            _duration(time.monotonic() - self.started),
            _n(stats, "dwnews/politics/kept"),
            sum(n for _, n in self.feeds),
            max(0, queued),
            _sum(stats, "dwnews/failed/"),
            _sources(stats) or "no article links yet",
        )

    def feed_stored(self, path: Path | str, records: int) -> None:
        """Called by the feed storage once a feed file is complete and recorded."""
        self.feeds.append((str(path), records))

    # ----- at the end ----------------------------------------------------------------------

    def count_corpus(self) -> None:
        """The store's counts once every feed is recorded (the ledger is still open)."""
        from dwnews.incremental import LedgerOwner
        from dwnews.ledger import StorageError

        try:
            ledger = LedgerOwner.of(self.crawler).ledger
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
        stats = self.stats()
        if stats.get(REFUSED_STAT) or not self.reason:
            return  # refused before it started (its one dwnews: line says why), or never opened
        for line in self.lines():
            logger.info("%s", line)

    def lines(self) -> list[str]:
        stats = self.stats()
        lines = [
            f"Summary of this run ({self.reason or 'stopped'} after {_duration(time.monotonic() - self.started)}):"
        ]
        for source in SOURCES:
            found = _n(stats, f"dwnews/source/{source}/found")
            if found or stats.get(f"dwnews/source/{source}/missing"):
                missing = " (source missing)" if stats.get(f"dwnews/source/{source}/missing") else ""
                duplicate = _n(stats, f"dwnews/source/{source}/duplicate")
                also = f", {duplicate} found by another source first" if duplicate else ""
                lines.append(
                    f"  {source}: {found} article links, {_n(stats, f'dwnews/source/{source}/new')} new, "
                    f"{_n(stats, f'dwnews/source/{source}/known')} known{also}{missing}"
                )
        skipped = _sum(stats, "dwnews/politics/dropped/")
        dropped = _sum(stats, "dwnews/dropped/")
        failed = _sum(stats, "dwnews/failed/article/")
        exported = sum(n for _, n in self.feeds)
        lines.append(
            f"  articles: {exported} exported, {skipped} skipped (not politics or out of range), "
            f"{dropped} dropped (incomplete), {failed} failed"
            + (" (retried next run: python3 -m dwnews.state failures)" if failed else "")
        )
        for path, records in self.feeds:
            lines.append(f"  written: {path} ({records} records)")
        if not self.feeds:
            lines.append("  written: no feed")
        if self.corpus is not None:
            lines.append(
                f"  corpus in the store: {self.corpus.get('exported', 0)} articles exported in all, "
                f"{self.corpus.get('skipped', 0)} known not politics "
                "(python3 -m dwnews.state export -O siasa.jsonl)"
            )
        if stats.get(UNHEALTHY_STAT):
            problems = (
                stats.get("dwnews/health/problems") or stats.get("dwnews/storage/fault") or stats.get("dwnews/refused")
            )
            lines.append(f"  health: UNHEALTHY: {problems}")
        elif stats.get(HEALTH_OK_STAT):
            lines.append("  health: ok")
        return lines


def _sources(stats: dict[str, Any]) -> str:
    parts = []
    for source in SOURCES:
        found = _n(stats, f"dwnews/source/{source}/found")
        if found:
            parts.append(f"{source} {found} links ({_n(stats, f'dwnews/source/{source}/new')} new)")
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
