"""The dwnews add-on: every crawl component wired in one place (Scrapy's ``ADDONS``).

Spiders only route; they never touch settings. The add-on puts the components in the settings at
Scrapy's "addon" priority (a project or command-line setting still wins), in the order a request,
a page and a record pass them:

- downloader middlewares: the origin check (every request on the configured site), retries that
  back off, conditional requests, and, with ``SPLASH_URL``, rendering through Splash;
- spider middleware: incremental crawling (claims, skips, retries of earlier failures);
- pipelines: clean the text, require the core fields, one record per short id, stage in the ledger;
- feeds: written atomically, recorded in the ledger once complete; a default feed per run;
- extensions: the ledger keeper, the failure tracker, page events, the health verdict, the
  summary, the stats file;
- with ``DWNEWS_REDIS_URL``: scrapy-redis's scheduler and dupefilter (our recovering scheduler).

It also keeps passwords out of the log for as long as the crawl runs.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.extensions.feedexport import FeedExporter
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from dwnews.core.config import Config
from dwnews.crawl import rendering
from dwnews.crawl.conditional import ConditionalRequestMiddleware
from dwnews.crawl.failures import FailureTracker
from dwnews.crawl.feeds import AtomicFileFeedStorage, FeedExporterCheck, PromptBatchFeedExporter, StdoutFeedStorage
from dwnews.crawl.health import HealthCheck
from dwnews.crawl.incremental import IncrementalMiddleware
from dwnews.crawl.ledger import LedgerKeeper
from dwnews.crawl.logs import RedactedLogs
from dwnews.crawl.origin import PagePolicyMiddleware, SiteOriginMiddleware
from dwnews.crawl.page_events import PageEvents
from dwnews.crawl.retry import BackoffRetryMiddleware
from dwnews.crawl.stats_file import StatsFile
from dwnews.crawl.summary import CrawlSummary
from dwnews.pipelines import CleanTextPipeline, RequiredFieldsPipeline, RunDedupPipeline, StageRecordPipeline

DOWNLOADER_MIDDLEWARES = {
    # every request (redirects too) on the configured site's scheme, host and port, before
    # robots.txt (100) is fetched for it
    SiteOriginMiddleware: 40,
    # a page type's size bound and status handling (before robots.txt, the downloader reads them)
    PagePolicyMiddleware: 45,
    BackoffRetryMiddleware: 550,
    # next to the downloader: If-None-Match / If-Modified-Since out, a 304 answered from the store
    ConditionalRequestMiddleware: 880,
}
# closest to the spider: it sees what the spider yields first
SPIDER_MIDDLEWARES = {IncrementalMiddleware: 950}
ITEM_PIPELINES = {
    CleanTextPipeline: 50,
    RequiredFieldsPipeline: 100,
    RunDedupPipeline: 200,
    # last: the record, as exported, is staged in the ledger (kept there once its feed is stored)
    StageRecordPipeline: 900,
}
EXTENSIONS = {
    PromptBatchFeedExporter: 0,
    # owns the ledger (first: the others ask it); faults and refusals stop the crawl through it
    LedgerKeeper: -100,
    FeedExporterCheck: 10,
    FailureTracker: 300,
    PageEvents: 310,
    HealthCheck: 400,  # the verdict, judged once the feeds are stored
    CrawlSummary: 450,
    StatsFile: 500,
}
FEED_STORAGES = {"": AtomicFileFeedStorage, "file": AtomicFileFeedStorage, "stdout": StdoutFeedStorage}
FEED_EXPORTERS = {"csv": "dwnews.crawl.exporters.SpreadsheetCsvItemExporter"}


class Addon:
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.logs = RedactedLogs()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Addon:
        addon = cls(crawler)
        crawler.signals.connect(addon.engine_stopped, signal=signals.engine_stopped)
        return addon

    def update_settings(self, settings: BaseSettings) -> None:
        level = logging.getLevelName(str(settings.get("LOG_LEVEL") or "DEBUG").upper())
        self.logs.install(level if isinstance(level, int) else logging.NOTSET)  # before Scrapy logs the settings
        config = Config.read(settings)
        # Scrapy's own that ours replace: a host-only offsite check, retries at once, feed batches
        # kept until the crawl ends
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", OffsiteMiddleware, None)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", RetryMiddleware, None)
        settings.set_in_component_priority_dict("EXTENSIONS", FeedExporter, None)
        for name, components in (
            ("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES),
            ("SPIDER_MIDDLEWARES", SPIDER_MIDDLEWARES),
            ("ITEM_PIPELINES", ITEM_PIPELINES),
            ("EXTENSIONS", EXTENSIONS),
        ):
            for component, priority in components.items():
                settings.setdefault_in_component_priority_dict(name, component, priority)
        for name, ours in (("FEED_STORAGES", FEED_STORAGES), ("FEED_EXPORTERS", FEED_EXPORTERS)):
            # merged into the user's dict at its own priority (at the add-on's, a FEED_STORAGES given
            # with -s replaced ours, and -O fell back to Scrapy's non-atomic storage)
            priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"])
            settings.set(name, {**ours, **settings.getdict(name)}, priority=priority)
        # Without -O/-o (and no FEEDS) a crawl writes one JSON Lines file per run, named with the
        # spider and the run's start time to the microsecond (two runs started in the same second
        # never share a file). Not a FEEDS default in settings.py: Scrapy merges -O/-o into FEEDS.
        # A run that exports nothing writes no default feed (a run every 30 minutes would leave 48 empty
        # files a day); an explicit -O/-o still gets its file.
        default_feed = config["DWNEWS_DEFAULT_FEED"]
        if default_feed and not settings.getdict("FEEDS"):
            settings.set("FEEDS", {default_feed: {"format": "jsonlines", "store_empty": False}}, priority="addon")
        if rendering.enabled(settings):
            rendering.configure(settings)
        if config["DWNEWS_REDIS_URL"]:
            # (scrapy-redis and redis-py only in distributed mode: 50 ms at every start)
            from dwnews.crawl import redis

            redis.configure(settings, getattr(self.crawler.spidercls, "name", ""), config)

    def engine_stopped(self) -> None:
        self.logs.remove()
