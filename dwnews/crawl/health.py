"""The verdict on a crawl, in one place: why it stopped early, or whether it was healthy.

Scrapy exits 0 even when every page failed. :class:`HealthCheck` is the one component that
decides how a crawl ended, and :func:`exit_status` turns that into the command's exit status:

- a component that must stop the crawl sends :data:`dwnews.core.keys.stop_requested` with an
  :class:`~dwnews.core.outcome.Outcome` (another run writes the feed: refused, exit 2; a storage
  fault: exit 4; the site cannot be reached: unhealthy, exit 3). The first one is said in one
  ``dwnews:`` line and the spider is closed with that reason; later ones are logged at INFO;
- once the feeds are stored, the crawl is judged by the spidermon suite of
  :mod:`dwnews.crawl.monitors`: a failed monitor makes the crawl unhealthy, with one ERROR line
  ``dwnews: crawl unhealthy: ...`` naming every problem (exit ``DWNEWS_HEALTH_EXIT_CODE``, 3), and
  sends the alerts configured in spidermon's settings. This is how users learn that DW changed its
  markup, or that the site or the network did.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from spidermon.runners import MonitorRunner
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.outcome import ExitStatus, Outcome
from dwnews.core.urls import redact
from dwnews.crawl.monitors import PROBLEMS, HealthSuite

logger = logging.getLogger(__name__)


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
    only turns the judgement (and the alerts) of a crawl that was not stopped off."""

    def __init__(self, stats_collector: StatsCollector, crawler: Crawler, config: Config) -> None:
        self.stats = stats_collector
        self.crawler = crawler
        self.config = config
        self.judging = config["DWNEWS_HEALTH_CHECKS"]
        self.feeds_stored = False
        self._waiting: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthCheck:
        assert crawler.stats is not None
        check = cls(crawler.stats, crawler, Config.read(crawler.settings))
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
        dumps the stats (the verdict is in the dump and in the scrapyd log); an alert is sent
        before the crawl ends."""
        # Scrapy's feed exporter is on (it is not, e.g., for an unknown storage scheme): wait for it
        if not self.feeds_stored and self.crawler.get_extension(FeedExporter) is not None:
            self._waiting = Deferred()
            await maybe_deferred_to_future(self._waiting)
        self.stats.set_value("finish_reason", reason)  # Scrapy sets it after the spider_closed signal
        suite = self.judge(spider)
        for action in suite.monitors_failed_actions if suite is not None else []:
            if getattr(action, "outbox", None):  # an EmailAlert's messages: sent off the reactor thread
                try:
                    await maybe_deferred_to_future(deferToThread(action.deliver))  # type: ignore[no-untyped-call]
                except Exception as error:  # an alert that cannot go out is said, never a traceback
                    logger.error(
                        "dwnews: the alert email could not be sent: %s", redact(f"{type(error).__name__}: {error}")
                    )

    def judge(self, spider: Spider) -> HealthSuite | None:
        """Run the monitors; record and say the verdict. Returns the suite (its actions ran)."""
        outcome = self.stats.get_value(stats.OUTCOME.key)
        if not self.judging and not outcome:
            return None  # DWNEWS_HEALTH_CHECKS=False: no verdict either way
        meta = {"dwnews_site": redact(self.config.site.base_url), "dwnews_log_file": self._log_file()}
        data = {"stats": self.stats.get_stats(), "crawler": self.crawler, "spider": spider, "job": None, "meta": meta}
        runner = MonitorRunner()
        try:
            suite = HealthSuite(self.crawler)
            result = runner.run(suite, **data)
        except Exception as error:  # the checks could not run (a monitor's own setting): never "healthy"
            self.stats.set_value(stats.HEALTH_UNHEALTHY.key, 1)
            self.stats.set_value(stats.HEALTH_PROBLEMS.key, f"the health checks could not run: {error}")
            logger.error(
                "dwnews: crawl unhealthy: the health checks could not run: %s: %s", type(error).__name__, error
            )
            return None
        problems: list[str] = list(dict.fromkeys(runner.data.meta.get(PROBLEMS, [])))  # in order, each once
        for action in result.monitors_failed_action_results:
            if action.error:
                logger.error("dwnews: the alert %s failed: %s", action.item.name, str(action.error).splitlines()[-1])
        if not problems:
            self.stats.set_value(stats.HEALTH_OK.key, 1)
            return suite
        self.stats.set_value(stats.HEALTH_UNHEALTHY.key, 1)
        self.stats.set_value(stats.HEALTH_PROBLEMS.key, "; ".join(problems))
        if outcome not in (Outcome.REFUSED, Outcome.STORAGE_FAULT):  # those were said when they stopped it
            logger.error("dwnews: crawl unhealthy: %s", "; ".join(problems))
        return suite

    def _log_file(self) -> str:
        log_file = self.crawler.settings.get("LOG_FILE")
        return str(log_file) if log_file else "standard error (no LOG_FILE set)"
