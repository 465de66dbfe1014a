"""The verdict on a crawl, in one place: why it stopped early, or whether it was healthy.

Scrapy exits 0 even when every page failed. :class:`HealthCheck` is the one component that
decides how a crawl ended, and :func:`exit_status` turns that into the command's exit status:

- a component that must stop the crawl sends :data:`dwnews.core.keys.stop_requested` with an
  :class:`~dwnews.core.outcome.Outcome` (another run writes the feed: refused, exit 2; a storage
  fault: exit 4; the site cannot be reached: unhealthy, exit 3). The first one is said in one
  ``dwnews:`` line and the spider is closed with that reason; later ones are logged at INFO;
- otherwise, once the feeds are stored, the crawl's stats are judged against the thresholds
  (``DWNEWS_HEALTH_*``): one ERROR line ``dwnews: crawl unhealthy: ...`` names every failed check,
  and the crawl exits ``DWNEWS_HEALTH_EXIT_CODE`` (3). This is how users learn that DW changed its
  markup.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.outcome import ExitStatus, Outcome
from dwnews.core.record import CORE_FIELDS as RECORD_CORE_FIELDS
from dwnews.core.stats import count, total
from dwnews.core.urls import redact

logger = logging.getLogger(__name__)

# the fields whose absence on a page means DW's markup changed: the record's core fields, with the
# content id the page gives in place of the short id derived from it
CORE_FIELDS = tuple("content_id" if name == "short_id" else name for name in RECORD_CORE_FIELDS)
# finish reasons of a crawl that ended as planned
_PLANNED_ENDS = ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout")


@dataclass(frozen=True)
class Thresholds:
    """Limits a crawl must stay within (settings ``DWNEWS_HEALTH_*``)."""

    max_failed_share: float = 0.25
    max_missing_share: float = 0.2
    min_articles: int = 5

    @classmethod
    def from_config(cls, config: Config) -> Thresholds:
        return cls(
            max_failed_share=config["DWNEWS_HEALTH_MAX_FAILED_SHARE"],
            max_missing_share=config["DWNEWS_HEALTH_MAX_MISSING_SHARE"],
            min_articles=config["DWNEWS_HEALTH_MIN_ARTICLES"],
        )


def assess(crawl: Mapping[str, Any], limits: Thresholds, spider: str = "politics") -> list[str]:
    """The failed health checks of a crawl, from its stats (empty: healthy)."""
    problems: list[str] = []
    parsed = count(crawl, stats.ARTICLE_PARSED.key)
    listings = count(crawl, stats.LISTING_PAGES.key)
    other_sources = total(crawl, "dwnews/source/", "/read") - count(crawl, stats.SOURCE_READ(source="sections"))
    sources_read = listings + other_sources
    section_links = count(crawl, stats.LISTING_ARTICLE_LINKS.key)
    # listing links are counted in listing/article_links already
    links = (
        section_links + total(crawl, "dwnews/source/", "/found") - count(crawl, stats.SOURCE_FOUND(source="sections"))
    )
    known = total(crawl, stats.INCREMENTAL_SKIPPED.prefix)
    failed = total(crawl, "dwnews/failed/") - total(crawl, stats.FAILED_SOURCE.prefix)
    attempted = parsed + listings + other_sources + failed + count(crawl, stats.ARTICLE_SKIPPED(reason="not_html"))

    # (a resumed JOBDIR crawl reads articles from its queue without reading any listing again)
    # (a distributed worker that joined a crawl whose discovery another worker did reads no listing)
    joined = bool(crawl.get(stats.REDIS_WORKER.key)) and sources_read == 0
    not_found = crawl.get(stats.LISTING_NOT_FOUND.key)
    nothing = spider == "politics" and links == 0 and known == 0 and parsed == 0 and not joined
    if nothing and not_found:
        problems.append(f"listing page {not_found} was not found: check the section (-a section=) or DWNEWS_HOME_PATH")
    elif nothing:
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
    if parsed and parsed >= limits.min_articles:
        for name in CORE_FIELDS:
            missing = count(crawl, stats.ARTICLE_MISSING(field=name))
            if missing / parsed > limits.max_missing_share:
                problems.append(
                    f"{missing} of {parsed} articles have no {name} "
                    f"({missing / parsed:.0%} > {limits.max_missing_share:.0%}: has DW's markup changed?)"
                )
    errors = total(crawl, "dwnews/errors/")
    if errors:
        problems.append(f"{errors} unhandled errors in callbacks or pipelines (see the log)")
    kept = count(crawl, stats.POLITICS_KEPT.key)
    not_politics = count(crawl, stats.POLITICS_DROPPED(reason="not_politics"))
    if spider == "politics" and parsed and parsed >= limits.min_articles and kept == 0 and not_politics == parsed:
        problems.append(
            f"the politics filter dropped all {parsed} articles (has DW's category markup changed? "
            "see DWNEWS_POLITICS_CATEGORY_ID and DWNEWS_POLITICS_LABELS)"
        )
    return problems


def exit_status(crawl: Mapping[str, Any], config: Config) -> int:
    """The exit status of a finished crawl, from its stats: see :class:`~dwnews.core.outcome.ExitStatus`."""
    outcome = crawl.get(stats.OUTCOME.key)
    if outcome in (Outcome.REFUSED, Outcome.STORAGE_FAULT):
        return int(Outcome(outcome).exit_status)
    if crawl.get(stats.HEALTH_UNHEALTHY.key):
        return int(config["DWNEWS_HEALTH_EXIT_CODE"])
    return int(ExitStatus.OK)


class HealthCheck:
    """Decides how the crawl ended; see the module docstring. Always on: ``DWNEWS_HEALTH_CHECKS``
    only turns the judgement of a crawl that ran to its end off."""

    def __init__(self, stats_collector: StatsCollector, limits: Thresholds, crawler: Crawler, judge: bool) -> None:
        self.stats = stats_collector
        self.limits = limits
        self.crawler = crawler
        self.judging = judge
        self.closed: tuple[str, str] | None = None  # spider name and finish reason
        self.feeds_stored = False
        self._waiting: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthCheck:
        config = Config.read(crawler.settings)
        assert crawler.stats is not None
        check = cls(crawler.stats, Thresholds.from_config(config), crawler, config["DWNEWS_HEALTH_CHECKS"])
        crawler.signals.connect(check.stop_requested, signal=keys.stop_requested)
        crawler.signals.connect(check.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(check.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(check.spider_error, signal=signals.spider_error)
        crawler.signals.connect(check.item_error, signal=signals.item_error)
        return check

    # ----- during the crawl ----------------------------------------------------------------------

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        """An unhandled exception in a callback: counted, and the crawl is not healthy."""
        self.stats.inc_value(stats.ERRORS(where="callback", error=type(failure.value).__name__))

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        """An unhandled exception in an item pipeline (not a DropItem): counted, not healthy."""
        self.stats.inc_value(stats.ERRORS(where="pipeline", error=type(failure.value).__name__))

    def stop_requested(self, outcome: Outcome, message: str) -> None:
        """A component stops the crawl: the first cause is said once, the spider closed with it."""
        if self.stats.get_value(stats.HEALTH_OK.key):  # judged before this fault (a feed stored late)
            self.stats.set_value(stats.HEALTH_OK.key, 0)
            self.stats.set_value(stats.HEALTH_UNHEALTHY.key, 1)
        if self.stats.get_value(stats.OUTCOME.key):
            logger.info("Also, after the crawl stopped: %s", message)  # the first cause was said
            return
        self.stats.set_value(stats.OUTCOME.key, str(outcome))
        self.stats.set_value(stats.OUTCOME_MESSAGE.key, message)
        if outcome == Outcome.UNREACHABLE:
            self.stats.set_value(stats.UNREACHABLE.key, message)  # said by the verdict, with the site
        else:
            logger.error("dwnews: %s", message)
        engine = self.crawler.engine

        def close() -> None:
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=str(outcome)))

        # not from inside the signal handler: the component asking may be in the middle of a call
        from twisted.internet import reactor  # the installed one (importing it early would install one)

        reactor.callLater(0, close)  # type: ignore[attr-defined]

    # ----- at the end ----------------------------------------------------------------------------

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
        if not self.feeds_stored and self.crawler.get_extension(FeedExporter) is not None:
            self._waiting = Deferred()
            await maybe_deferred_to_future(self._waiting)
        self.judge()

    def judge(self) -> None:
        if self.closed is None:
            return
        spider_name, reason = self.closed
        outcome = self.stats.get_value(stats.OUTCOME.key)
        if outcome in (Outcome.REFUSED, Outcome.STORAGE_FAULT):
            # stopped on purpose, and said why: no second line; never "ok"
            self.stats.set_value(stats.HEALTH_UNHEALTHY.key, 1)
            return
        unreachable = self.stats.get_value(stats.UNREACHABLE.key)
        if unreachable:
            # one cause, said as it is: nothing else about this crawl means anything
            site = Config.read(self.crawler.settings).site.base_url
            problems = [f"cannot reach {redact(site)}: {unreachable} (check the network, a proxy, or DWNEWS_BASE_URL)"]
        elif self.judging:
            problems = assess(self.stats.get_stats(), self.limits, spider=spider_name)
            if reason not in _PLANNED_ENDS:
                problems.append(f"the crawl ended early ({reason})")
        else:
            return  # DWNEWS_HEALTH_CHECKS=False: no verdict either way
        if problems:
            self.stats.set_value(stats.HEALTH_UNHEALTHY.key, 1)
            self.stats.set_value(stats.HEALTH_PROBLEMS.key, "; ".join(problems))
            logger.error("dwnews: crawl unhealthy: %s", "; ".join(problems))
        else:
            self.stats.set_value(stats.HEALTH_OK.key, 1)
