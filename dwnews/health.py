"""Is a finished crawl healthy? A scheduled `scrapy crawl` must say so with its exit status.

Scrapy exits 0 even when every page failed. At the end of a crawl :class:`HealthCheck` judges
the crawl stats against thresholds (settings, defaults below), logs one ERROR line naming every
failed check, and marks the crawl unhealthy; dwnews' ``crawl`` command then exits with
``DWNEWS_HEALTH_EXIT_CODE`` (3). This is how users learn that DW changed its markup.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from dwnews.items import CORE_FIELDS as ITEM_CORE_FIELDS
from dwnews.reachability import UNREACHABLE_STAT
from dwnews.urls import redact

logger = logging.getLogger(__name__)

UNHEALTHY_STAT = "dwnews/health/unhealthy"
HEALTH_OK_STAT = "dwnews/health/ok"
ERRORS_STAT = "dwnews/errors"
# set by dwnews.incremental.LedgerOwner: the crawl stopped, and said why in one line (exit 4 / 2)
STORAGE_FAULT_STAT = "dwnews/storage/fault"
REFUSED_STAT = "dwnews/refused"
# the fields whose absence on a page means DW's markup changed: the item's core fields, with the
# content id the page gives in place of the short id derived from it
CORE_FIELDS = tuple("content_id" if name == "short_id" else name for name in ITEM_CORE_FIELDS)


@dataclass(frozen=True)
class Thresholds:
    """Limits a crawl must stay within (settings ``DWNEWS_HEALTH_*``)."""

    max_failed_share: float = 0.25
    max_missing_share: float = 0.2
    min_articles: int = 5

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Thresholds:
        return cls(
            max_failed_share=settings.getfloat("DWNEWS_HEALTH_MAX_FAILED_SHARE"),
            max_missing_share=settings.getfloat("DWNEWS_HEALTH_MAX_MISSING_SHARE"),
            min_articles=settings.getint("DWNEWS_HEALTH_MIN_ARTICLES"),
        )


def _sum(stats: Mapping[str, Any], prefix: str, suffix: str = "") -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and k.endswith(suffix) and isinstance(v, int))


def assess(stats: Mapping[str, Any], limits: Thresholds, spider: str = "politics") -> list[str]:
    """The failed health checks of a crawl, from its stats (empty: healthy)."""
    problems: list[str] = []
    parsed = int(stats.get("dwnews/article/parsed", 0))
    listings = int(stats.get("dwnews/listing/pages", 0))
    other_sources = _sum(stats, "dwnews/source/", "/read") - int(stats.get("dwnews/source/sections/read", 0))
    sources_read = listings + other_sources
    links = int(stats.get("dwnews/listing/article_links", 0)) + _sum(stats, "dwnews/source/", "/found")
    links -= int(stats.get("dwnews/source/sections/found", 0))  # counted in listing/article_links already
    known = _sum(stats, "dwnews/incremental/skipped/")
    failed = _sum(stats, "dwnews/failed/") - _sum(stats, "dwnews/failed/source/")
    attempted = parsed + listings + other_sources + failed + _sum(stats, "dwnews/article/not_html")

    section_links = int(stats.get("dwnews/listing/article_links", 0))
    # (a resumed JOBDIR crawl reads articles from its queue without reading any listing again)
    # (a distributed worker that joined a crawl whose discovery another worker did reads no listing)
    joined = bool(stats.get("dwnews/redis/worker")) and sources_read == 0
    not_found = stats.get("dwnews/health/listing_not_found")
    if spider == "politics" and links == 0 and known == 0 and parsed == 0 and not joined and not_found:
        problems.append(f"listing page {not_found} was not found: check the section (-a section=) or DWNEWS_HOME_PATH")
    elif spider == "politics" and links == 0 and known == 0 and parsed == 0 and not joined:
        where = f"{sources_read} listing/sitemap/feed pages" if sources_read else "any listing page"
        problems.append(f"no article links found on {where} (the site should have some: has DW's markup changed?)")
    elif spider == "politics" and listings and section_links == 0:
        problems.append(
            f"no article links found on {listings} listing pages, though other sources had some "
            "(has DW's listing markup changed?)"
        )
    if attempted and failed / attempted > limits.max_failed_share:
        problems.append(
            f"{failed} of {attempted} pages failed ({failed / attempted:.0%} > {limits.max_failed_share:.0%})"
        )
    if parsed >= limits.min_articles:
        for name in CORE_FIELDS:
            missing = int(stats.get(f"dwnews/article/missing/{name}", 0))
            if missing / parsed > limits.max_missing_share:
                problems.append(
                    f"{missing} of {parsed} articles have no {name} "
                    f"({missing / parsed:.0%} > {limits.max_missing_share:.0%}: has DW's markup changed?)"
                )
    errors = _sum(stats, f"{ERRORS_STAT}/")
    if errors:
        problems.append(f"{errors} unhandled errors in callbacks or pipelines (see the log)")
    kept = int(stats.get("dwnews/politics/kept", 0))
    not_politics = int(stats.get("dwnews/politics/dropped/not_politics", 0))
    if spider == "politics" and parsed >= limits.min_articles and kept == 0 and not_politics == parsed:
        problems.append(
            f"the politics filter dropped all {parsed} articles (has DW's category markup changed? "
            "see DWNEWS_POLITICS_CATEGORY_ID and DWNEWS_POLITICS_LABELS)"
        )
    return problems


class HealthCheck:
    """Judges the crawl when the spider closes; see the module docstring."""

    def __init__(self, stats: StatsCollector, limits: Thresholds, crawler: Crawler | None = None) -> None:
        self.stats = stats
        self.limits = limits
        self.crawler = crawler  # asked, when the spider closes, whether a feed exporter runs
        self.closed: tuple[str, str] | None = None  # spider name and finish reason
        self.feeds_stored = False
        self._waiting: Deferred[None] | None = None

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        """An unhandled exception in a callback: counted, and the crawl is not healthy."""
        self.stats.inc_value(f"{ERRORS_STAT}/callback/{type(failure.value).__name__}")

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """An unhandled exception in an item pipeline (not a DropItem): counted, not healthy."""
        self.stats.inc_value(f"{ERRORS_STAT}/pipeline/{type(failure.value).__name__}")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthCheck:
        if not crawler.settings.getbool("DWNEWS_HEALTH_CHECKS"):
            raise NotConfigured
        assert crawler.stats is not None
        check = cls(crawler.stats, Thresholds.from_settings(crawler.settings), crawler)
        crawler.signals.connect(check.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(check.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(check.spider_error, signal=signals.spider_error)
        crawler.signals.connect(check.item_error, signal=signals.item_error)
        return check

    def feed_exporter_closed(self) -> None:
        self.feeds_stored = True
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.callback(None)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Judged once the feeds are stored (a fault while storing them counts), before Scrapy
        dumps the stats (the verdict is in the dump and in the scrapyd log)."""
        self.closed = (spider.name, reason)
        # Scrapy's feed exporter is on (it is not, e.g., for an unknown storage scheme): wait for it
        exporter = self.crawler.get_extension(FeedExporter) if self.crawler is not None else None
        if not self.feeds_stored and exporter is not None:
            self._waiting = Deferred()
            await maybe_deferred_to_future(self._waiting)
        self.judge()

    def judge(self) -> None:
        if self.closed is None:
            return
        spider_name, reason = self.closed
        if self.stats.get_value(STORAGE_FAULT_STAT) or self.stats.get_value(REFUSED_STAT):
            # stopped on purpose, and said why: no second line; never "ok"
            self.stats.set_value(UNHEALTHY_STAT, 1)
            return
        unreachable = self.stats.get_value(UNREACHABLE_STAT)
        if unreachable:
            # one cause, said as it is: nothing else about this crawl means anything
            site = getattr(self.crawler.spider, "base_url", "the site") if self.crawler is not None else "the site"
            problems = [
                f"cannot reach {redact(str(site))}: {unreachable} (check the network, a proxy, or DWNEWS_BASE_URL)"
            ]
        else:
            problems = assess(self.stats.get_stats(), self.limits, spider=spider_name)
        if (
            reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout")
            and not unreachable
        ):
            problems.append(f"the crawl ended early ({reason})")
        if problems:
            self.stats.set_value(UNHEALTHY_STAT, 1)
            self.stats.set_value("dwnews/health/problems", "; ".join(problems))
            logger.error("dwnews: crawl unhealthy: %s", "; ".join(problems))
        else:
            self.stats.set_value(HEALTH_OK_STAT, 1)
