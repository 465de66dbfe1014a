"""Downloader middlewares: retries that back off, and bounds on what a page may cost."""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from dwnews import urls

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """A ``Retry-After`` header as seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, spaced out: ``DWNEWS_RETRY_BACKOFF`` x 2^(attempt - 1) seconds, or the
    server's ``Retry-After`` when it gives one, never more than ``DWNEWS_RETRY_MAX_DELAY``.

    Scrapy retries at once; a site answering 429/503 is asking for time. The wait holds that one
    request only. Stat: ``dwnews/retry/waited_seconds``.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.backoff = crawler.settings.getfloat("DWNEWS_RETRY_BACKOFF")
        self.max_delay = crawler.settings.getfloat("DWNEWS_RETRY_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """The retry of a request, or None when it is out of retries (Scrapy's public helper)."""
        assert self.crawler.spider is not None
        return get_retry_request(
            request,
            reason=reason,
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )

    async def _wait(self, request: Request, retry: Request, response: Response | None) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = self.backoff * 2 ** (attempt - 1)
        given = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
        if given is not None:
            delay = given
        delay = min(delay, self.max_delay)
        if delay > 0:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("dwnews/retry/waited_seconds", round(delay))
            logger.info("Retrying %s in %.1f s (attempt %d)", request.url, delay, attempt + 1)
            from twisted.internet import reactor

            await maybe_deferred_to_future(task.deferLater(reactor, delay, lambda: None))  # type: ignore[arg-type]

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self.retry_request(request, f"{response.status}")
        if retry is None:
            return response
        await self._wait(request, retry, response)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self.retry_request(request, exception)
        if retry is None:
            return None
        await self._wait(request, retry, None)
        return retry


class SiteOriginMiddleware:
    """Every request the crawler makes stays on the configured site: its scheme, host and port.

    One check for every request, whatever made it: listing links, sitemap and feed entries,
    robots.txt ``Sitemap:`` lines, redirects (a redirected request passes here again), retries of
    earlier failures. On the real www.dw.com the feed host and the short-link host are allowed
    too (:func:`dwnews.urls.site_origins`); DW's image hosts never are. A Splash request is judged
    by the page it renders, and may only go to ``SPLASH_URL``.

    A request that fails the check is never downloaded: it fails with ``IgnoreRequest("offsite
    ...")`` (its errback runs, so a claimed article is released, not remembered), is counted as
    ``dwnews/offsite/<source>`` (``redirect`` for a redirect's target) and logged with its URL.
    Scrapy's own OffsiteMiddleware is replaced: it compares host names only, and drops a redirect
    at scheduling time without telling the request's errback.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._origins: frozenset[urls.Origin] | None = None
        splash_url = crawler.settings.get("SPLASH_URL")
        self.splash_origin = urls.origin(splash_url) if splash_url else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteOriginMiddleware:
        return cls(crawler)

    @property
    def origins(self) -> frozenset[urls.Origin]:
        if self._origins is None:
            base_url = getattr(self.crawler.spider, "base_url", None) or self.crawler.settings.get("DWNEWS_BASE_URL")
            self._origins = urls.site_origins(str(base_url or ""))
        return self._origins

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        splash = request.meta.get("splash")
        if isinstance(splash, dict):
            page_url = str((splash.get("args") or {}).get("url") or "")
            allowed = urls.on_site(page_url, self.origins) and (
                not request.meta.get("_splash_processed") or urls.origin(request.url) == self.splash_origin
            )
        else:
            page_url = request.url
            allowed = urls.on_site(page_url, self.origins)
        if allowed:
            return
        source = "redirect" if request.meta.get("redirect_urls") else self.source_of(request)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"dwnews/offsite/{source}")
        logger.warning("Refused an off-site request (%s): %s", source, urls.redact(page_url[:300]))
        raise IgnoreRequest(f"offsite request to {urls.redact(page_url[:300])}")

    @staticmethod
    def source_of(request: Request) -> str:
        meta = request.meta
        return str(meta.get("dwnews_source") or meta.get("dwnews_page") or "other")
