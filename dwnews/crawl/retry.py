"""Retries that back off: a site answering 429/503 is asking for time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from dwnews.core import stats
from dwnews.core.config import Config

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
        config = Config.read(crawler.settings)
        self.backoff = config["DWNEWS_RETRY_BACKOFF"]
        self.max_delay = config["DWNEWS_RETRY_MAX_DELAY"]

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
            self.crawler.stats.inc_value(stats.RETRY_WAITED.key, round(delay))
            logger.info("Retrying %s in %.1f s (attempt %d)", request.url, delay, attempt + 1)
            from twisted.internet import reactor  # the installed one (importing it early would install one)

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
