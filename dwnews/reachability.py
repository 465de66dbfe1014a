"""Can the site be reached at all? Say so in one line, promptly, instead of blaming the markup.

Without a network (no DNS, a refused connection, a TLS error, no answer) every request fails, and a
crawl would end with "no article links found... has DW's markup changed?" after every page has
been retried. :class:`SiteReachability` watches for the first request that fails for good at the
network level while the site has not answered a single request yet: the crawl stops there
(finish reason ``site_unreachable``), and the health check's one line reads ``cannot reach
<site>: <cause>`` (exit 3). Once any answer came (even a 404) the site is reachable, and later
network failures are counted per page as before.

It also keeps Scrapy's robots.txt middleware from logging a traceback for a robots.txt it could
not download: one line with the cause is enough at the default log level (the traceback is logged
at DEBUG).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from dwnews import urls

logger = logging.getLogger(__name__)

UNREACHABLE_STAT = "dwnews/health/unreachable"
UNREACHABLE_REASON = "site_unreachable"
#: failure reasons (dwnews.spiders.base.failure_reason) that mean the site could not be talked to
NETWORK_REASONS = frozenset({"dns", "connection_refused", "timeout", "tls", "connection_lost", "no_route"})
_ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


_NETWORK_ERRORS = {
    "CannotResolveHostError": "dns",
    "DNSLookupError": "dns",
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "NoRouteError": "no_route",
    "TimeoutError": "timeout",
    "DownloadTimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "ResponseNeverReceived": "connection_lost",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ResponseFailed": "connection_lost",
}
_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def network_reason(error: BaseException | None) -> str | None:
    """The network-level failure an exception stands for (``dns``, ``tls``...), or None."""
    if error is None:
        return None
    reason = _NETWORK_ERRORS.get(type(error).__name__)
    text = f"{type(error).__name__} {error}".lower()
    if reason in ("connection_lost", None) and any(word in text for word in _TLS_WORDS):
        return "tls"  # Twisted wraps a failed handshake in ResponseNeverReceived
    return reason


def describe(reason: str, error: BaseException | None, url: str) -> str:
    """A network failure in words: what a person would check."""
    host = urls.origin(url)
    where = host[1] if host else url
    if reason == "dns":
        return f"DNS lookup failed for {where}"
    if reason == "connection_refused":
        return f"connection refused by {where}"
    if reason == "timeout":
        return f"no answer from {where} within the download timeout"
    if reason == "tls":
        first = str(error).splitlines()[0][:200] if error is not None and str(error) else "handshake failed"
        return f"TLS error with {where}: {first}"
    return f"connection to {where} lost before an answer"


class _RobotsErrorFilter(logging.Filter):
    """Turns the robots.txt middleware's ERROR-with-traceback into one WARNING line."""

    def __init__(self, owner: SiteReachability) -> None:
        super().__init__()
        self.owner = owner

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno >= logging.ERROR:
            error = record.exc_info[1]
            asked = record.args.get("request") if isinstance(record.args, dict) else None
            robots_url = urljoin(asked.url, "/robots.txt") if isinstance(asked, Request) else ""
            logger.debug("robots.txt download failed", exc_info=record.exc_info)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "robots.txt could not be downloaded (%s): %s"
            record.args = (type(error).__name__, str(error).splitlines()[0][:300] if error else "")
            reason = network_reason(error)
            if reason is not None:
                self.owner.failed(Request(robots_url or self.owner.site() + "/robots.txt"), reason, error)
        return True


class SiteReachability:
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.answered = False
        self.filter = _RobotsErrorFilter(self)
        logging.getLogger(_ROBOTS_LOGGER).addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteReachability:
        extension = cls(crawler)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    @staticmethod
    def of(crawler: Crawler) -> SiteReachability | None:
        found = crawler.extensions.middlewares if crawler.extensions is not None else ()
        return next((e for e in found if isinstance(e, SiteReachability)), None)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self.answered = True

    def failed(self, request: Request, reason: str, error: BaseException | None) -> bool:
        """A request failed for good: True when that means the site cannot be reached (the crawl
        is stopped, and the cause kept for the health check)."""
        if self.answered or reason not in NETWORK_REASONS:
            return False
        stats = self.crawler.stats
        assert stats is not None
        if stats.get_value(UNREACHABLE_STAT):
            return True
        cause = describe(reason, error, str(request.meta.get("dwnews_url", request.url)))
        stats.set_value(UNREACHABLE_STAT, cause)
        logger.warning("Cannot reach %s (%s): stopping the crawl", urls.redact(self.site()), cause)
        engine = self.crawler.engine

        def close() -> None:
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=UNREACHABLE_REASON))

        from twisted.internet import reactor  # the installed one

        reactor.callLater(0, close)  # type: ignore[attr-defined]
        return True

    def site(self) -> str:
        return str(getattr(self.crawler.spider, "base_url", "") or self.crawler.settings.get("DWNEWS_BASE_URL"))

    def engine_stopped(self, *args: Any) -> None:
        logging.getLogger(_ROBOTS_LOGGER).removeFilter(self.filter)
