"""Requests that failed for good: classified, counted and logged in one place, and an unreachable
site named in one line instead of blamed on DW's markup.

A spider's errback only sends :data:`dwnews.core.keys.request_failed`. :class:`FailureTracker`
gives the failure a short, stable reason (``http_404``, ``dns``, ``robots_txt``...), counts it
(``dwnews/failed/<page>/<reason>``), logs it with its URL, and passes the verdict on
(:data:`dwnews.core.keys.request_failed_for_good`: the ledger keeper records a failed article for a
later run, the Redis scheduler marks a page's work done).

Without a network (no DNS, a refused connection, a TLS error, no answer) every request fails, and
a crawl would end with "no article links found... has DW's markup changed?" after every page has
been retried. While the site has not answered a single request, the first request that fails for
good at the network level stops the crawl (outcome ``site_unreachable``, exit 3 with ``cannot reach
<site>: <cause>``). Once any answer came (even a 404) the site is reachable, and later network
failures are counted per page.

It also keeps Scrapy's robots.txt middleware from logging a traceback for a robots.txt it could
not download: one line with the cause (the traceback at DEBUG), for as long as the crawl runs.
"""

from __future__ import annotations

import logging
import zlib
from urllib.parse import urljoin

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from dwnews.core import keys, stats
from dwnews.core.config import Config
from dwnews.core.keys import Meta, PageType
from dwnews.core.outcome import Outcome
from dwnews.core.urls import origin, redact

logger = logging.getLogger(__name__)

#: failure reasons that mean the site could not be talked to
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


class OffsiteRequest(IgnoreRequest):
    """A request refused for leaving the configured site (dwnews.crawl.origin)."""


def network_reason(error: BaseException | None) -> str | None:
    """The network-level failure an exception stands for (``dns``, ``tls``...), or None."""
    if error is None:
        return None
    reason = _NETWORK_ERRORS.get(type(error).__name__)
    text = f"{type(error).__name__} {error}".lower()
    if reason in ("connection_lost", None) and any(word in text for word in _TLS_WORDS):
        return "tls"  # Twisted wraps a failed handshake in ResponseNeverReceived
    return reason


def failure_reason(error: BaseException | None) -> str:
    """A short, stable name for why a request failed for good (stats keys, the ledger's failures).

    Scrapy's own refusals are all IgnoreRequest or CancelledError with a message; those messages
    are the only thing that tells them apart, so they are read here and nowhere else.
    """
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    if isinstance(error, OffsiteRequest):
        return "offsite"
    text = str(error).lower()
    if isinstance(error, IgnoreRequest):
        if "download_maxsize" in text or "max size" in text:  # e.g. a gzip bomb, decompressed
            return "too_large"
        if "robots" in text:
            return "robots_txt"
        if "redirect" in text:
            return "redirect_loop"
        return "ignored"
    if isinstance(error, zlib.error) or "gzip" in text or "decompress" in text:
        return "bad_content_encoding"
    if "maxsize" in text or "max size" in text or "larger than" in text:
        return "too_large"
    network = network_reason(error)
    if network is not None:
        return network
    name = type(error).__name__ if error is not None else "error"
    return "cancelled" if name == "CancelledError" else name


def describe(reason: str, error: BaseException | None, url: str) -> str:
    """A network failure in words, naming the one host that failed: what a person would check
    (``https://rss.dw.com: DNS lookup failed``)."""
    found = origin(url)
    where = redact(f"{found[0]}://{found[1]}" + (f":{found[2]}" if found[2] not in (80, 443) else "")) if found else url
    if reason == "dns":
        return f"{where}: DNS lookup failed"
    if reason == "connection_refused":
        return f"{where}: connection refused"
    if reason == "timeout":
        return f"{where}: no answer within the download timeout"
    if reason == "tls":
        first = str(error).splitlines()[0][:200] if error is not None and str(error) else "handshake failed"
        return f"{where}: TLS error: {first}"
    return f"{where}: connection lost before an answer"


class _RobotsErrorFilter(logging.Filter):
    """Turns the robots.txt middleware's ERROR-with-traceback into one WARNING line."""

    def __init__(self, tracker: FailureTracker) -> None:
        super().__init__()
        self.tracker = tracker

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
                self.tracker.unreachable(robots_url or self.tracker.config.site.robots_url, reason, error)
        return True


class FailureTracker:
    """See the module docstring."""

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self.answered = False  # the site answered a request (even with a 404): it can be reached
        self.warned_sources: set[str] = set()
        self.filter = _RobotsErrorFilter(self)
        self._unreachable = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureTracker:
        tracker = cls(crawler, Config.read(crawler.settings))
        crawler.signals.connect(tracker.request_failed, signal=keys.request_failed)
        crawler.signals.connect(tracker.source_missing, signal=keys.source_missing)
        crawler.signals.connect(tracker.response_received, signal=signals.response_received)
        crawler.signals.connect(tracker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(tracker.engine_stopped, signal=signals.engine_stopped)
        return tracker

    def inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def spider_opened(self, spider: Spider) -> None:
        logging.getLogger(_ROBOTS_LOGGER).addFilter(self.filter)

    def engine_stopped(self) -> None:
        logging.getLogger(_ROBOTS_LOGGER).removeFilter(self.filter)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self.answered = True

    def request_failed(self, request: Request, failure: Failure) -> None:
        reason = failure_reason(failure.value)
        page = str(request.meta.get(Meta.PAGE, "page"))
        url = str(request.meta.get(Meta.URL, request.url))
        if reason in NETWORK_REASONS:
            self.unreachable(url, reason, failure.value)
        if reason == "robots_txt":
            # robots.txt said no: not a failure, and not to be tried again
            self.inc(stats.NOT_FETCHED(page=page))
            logger.info("Not fetched (robots.txt): %s %s", page, url)
        elif page in (PageType.SOURCE, PageType.ROBOTS):
            self.inc(stats.FAILED_SOURCE(reason=reason))
            self.source_missing(str(request.meta.get(Meta.SOURCE, "robots")), url, reason)
        else:
            self.inc(stats.FAILED(page=page, reason=reason))
            logger.warning("Failed %s %s: %s", page, redact(url), reason)
            if page == PageType.LISTING and reason in ("http_404", "http_410") and self.crawler.stats is not None:
                self.crawler.stats.set_value(
                    stats.LISTING_NOT_FOUND.key,
                    self.crawler.stats.get_value(stats.LISTING_NOT_FOUND.key) or f"{url} (HTTP {reason[5:]})",
                )
        self.crawler.signals.send_catch_log(keys.request_failed_for_good, request=request, reason=reason)

    def source_missing(self, source: str, url: str, why: str) -> None:
        """A discovery source that cannot be read: counted, one warning per source; the crawl goes on."""
        self.inc(stats.SOURCE_MISSING(source=source))
        if source not in self.warned_sources:
            self.warned_sources.add(source)
            logger.warning("Source %s is missing at %s (%s); going on with the other sources", source, url, why)

    def unreachable(self, url: str, reason: str, error: BaseException | None) -> None:
        """A network failure: while the site has not answered at all, it cannot be reached, and the
        crawl stops there with the cause."""
        if self.answered or self._unreachable or reason not in NETWORK_REASONS:
            return
        self._unreachable = True
        cause = describe(reason, error, url)
        logger.warning("Cannot reach %s: stopping the crawl", cause)
        self.crawler.signals.send_catch_log(keys.stop_requested, outcome=Outcome.UNREACHABLE, message=cause)
