"""What both spiders share: the site's base URL, argument checks, article parsing and failure stats.

Spiders route; page objects read HTML. A spider argument that makes no sense stops the crawl
before its first request with one line naming the argument and what it accepts.
"""

from __future__ import annotations

import logging
import sys
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from dwnews import distributed, incremental, rendering, urls
from dwnews.encoding import decode_html
from dwnews.items import Article
from dwnews.pages.article import ArticlePage
from dwnews.reachability import SiteReachability, network_reason

logger = logging.getLogger(__name__)


#: the first listing page that does not exist (404, 410): the health check names it
LISTING_NOT_FOUND_STAT = "dwnews/health/listing_not_found"
#: the failure reason of a rendered request fetched again without Splash (not a failure for good)
SPLASH_FALLBACK = "splash_fallback"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# page events (dwnews.pages.article) that say the page itself is wrong: logged with the URL
_PAGE_FAULTS = ("bad_type/", "bad_value/", "bad_url/", "html_too_deep", "canonical_elsewhere")


def failure_reason(failure: Failure, request: Request, allowed_hosts: set[str]) -> str:
    """A short, stable name for why a request failed for good (stats keys, the failures file)."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    if isinstance(error, IgnoreRequest):
        message = str(error).lower()
        if "download_maxsize" in message or "max size" in message:  # e.g. a gzip bomb, decompressed
            return "too_large"
        if "robots" in message:
            return "robots_txt"
        if "offsite" in message:
            return "offsite"
        if "redirect" in message:
            return "redirect_loop"
        host = (urlsplit(request.url).hostname or "").lower()
        return "offsite" if allowed_hosts and host not in allowed_hosts else "ignored"
    name = type(error).__name__ if error is not None else "error"
    text = str(error).lower()
    if isinstance(error, zlib.error) or "gzip" in text or "decompress" in text:
        return "bad_content_encoding"
    if "maxsize" in text or "max size" in text or "larger than" in text:
        return "too_large"
    network = network_reason(error)
    if network is not None:
        return network
    return "cancelled" if name == "CancelledError" else name


class ArgumentError(ValueError):
    """A spider argument or ``DWNEWS_*`` setting that cannot be used."""


def fail_at_start(spider_name: str, error: ArgumentError) -> None:
    """Print one line and end the process with status 2 (as a command-line usage error does).

    Scrapy would otherwise log an unhandled-error traceback for an exception raised while the
    spider is built and still exit 0 on some versions; a scheduler needs a clear failure.
    """
    sys.stderr.write(f"dwnews: {spider_name}: {error}\n")
    sys.stderr.flush()
    logging.shutdown()
    raise SystemExit(2)


def check_settings(settings: BaseSettings) -> None:
    """Every ``DWNEWS_*`` setting read as the type of its default in dwnews.settings.

    ``-s DWNEWS_MAX_FAILURES=abc`` would otherwise raise wherever it is first read, mid-crawl.
    """
    from dwnews import settings as defaults

    readers: dict[type, Any] = {
        bool: settings.getbool,
        int: settings.getint,
        float: settings.getfloat,
        list: settings.getlist,
        dict: settings.getdict,
    }
    for name in dir(defaults):
        reader = readers.get(type(getattr(defaults, name))) if name.startswith("DWNEWS_") else None
        if reader is None:
            continue
        try:
            reader(name)
        except (ValueError, TypeError):
            kinds = {bool: "True or False", int: "a whole number", float: "a number"}
            kind = kinds.get(type(getattr(defaults, name)), type(getattr(defaults, name)).__name__)
            raise ArgumentError(
                f"{name}={settings.get(name)!r}: expected {kind} (default {getattr(defaults, name)!r})"
            ) from None


def check_base_url(value: str) -> str:
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ArgumentError(
            f"DWNEWS_BASE_URL={value!r}: expected a site root such as https://www.dw.com or http://127.0.0.1:8000"
        )
    return f"{parts.scheme}://{parts.netloc}"


class DwSpider(scrapy.Spider):
    """Base of the dwnews spiders (not a spider itself)."""

    #: spider arguments this spider accepts (``-a name=value``); others are refused.
    arguments: ClassVar[dict[str, str]] = {}

    base_url: str
    #: (scheme, host, port) the crawl may request: see dwnews.middlewares.SiteOriginMiddleware
    origins: frozenset[urls.Origin] = frozenset()
    language: str
    #: page types rendered through Splash (empty: no rendering)
    render: frozenset[str] = frozenset()
    render_args: dict[str, Any]
    splash_fallback: bool = False

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        default_feed = settings.get("DWNEWS_DEFAULT_FEED")
        if default_feed and not settings.getdict("FEEDS"):
            settings.set("FEEDS", {default_feed: {"format": "jsonlines"}}, priority="spider")
        rendering.configure(settings)
        distributed.configure(settings, cls.name)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DwSpider:
        try:
            unknown = sorted(k for k in kwargs if k not in cls.arguments and not k.startswith("_"))
            if unknown:
                accepted = ", ".join(f"{k} ({v})" for k, v in cls.arguments.items()) or "none"
                raise ArgumentError(f"unknown argument {unknown[0]!r}; accepted: {accepted}")
            check_settings(crawler.settings)
            base_url = check_base_url(crawler.settings.get("DWNEWS_BASE_URL"))
            redis_url = crawler.settings.get("DWNEWS_REDIS_URL")
            problem = distributed.check_url(redis_url) if redis_url else None
            if problem:
                raise ArgumentError(f"DWNEWS_REDIS_URL={urls.redact(redis_url)!r} is not a Redis URL: {problem}")
            spider = super().from_crawler(crawler, *args, **kwargs)
            assert isinstance(spider, DwSpider)
            spider.base_url = base_url
            spider.language = crawler.settings.get("DWNEWS_LANGUAGE")
            spider.allowed_domains = [urlsplit(base_url).hostname or ""]  # type: ignore[attr-defined]
            spider.origins = urls.site_origins(base_url)
            spider.render = spider._rendering(crawler)
            spider.check_arguments()
        except ArgumentError as error:
            fail_at_start(cls.name, error)
            raise  # unreachable: fail_at_start exits
        return spider

    def check_arguments(self) -> None:
        """Validate and convert ``-a`` arguments; raise :class:`ArgumentError` on bad ones."""

    def _rendering(self, crawler: Crawler) -> frozenset[str]:
        """The page types to render through Splash (whether Splash answers is checked when the
        spider opens, by :class:`dwnews.rendering.SplashCheck`: building a spider does no I/O)."""
        settings = crawler.settings
        self.render_args = {}
        if not rendering.enabled(settings):
            return frozenset()
        try:
            pages = rendering.render_pages(settings)
        except ValueError as error:
            raise ArgumentError(str(error)) from None
        self.render_args = rendering.render_args(settings)
        self.splash_fallback = settings.getbool("DWNEWS_SPLASH_FALLBACK")
        return pages

    def page_request(self, url: str, page_type: str, callback: Any, **kwargs: Any) -> Request:
        """A request for a page of a type (``listing``, ``article``): through Splash if so configured."""
        # the page's own URL: a Splash request's URL is Splash's render.html
        meta = {**kwargs.pop("meta", {}), "dwnews_page": page_type, "dwnews_url": url}
        if page_type in self.render:
            self.inc(f"splash/requests/{page_type}")
            meta["dwnews_rendered"] = True
            return rendering.splash_request(
                url, self.render_args, callback=callback, errback=self.on_failure, meta=meta, **kwargs
            )
        return Request(url, callback=callback, errback=self.on_failure, meta=meta, **kwargs)

    def offsite(self, url: str, source: str) -> bool:
        """True (counted as ``dwnews/offsite/<source>``, logged) when a link leaves the configured
        site's scheme, host and port; SiteOriginMiddleware refuses such requests anyway, this
        keeps them from being claimed or followed in the first place."""
        if urls.on_site(url, self.origins):
            return False
        self.inc(f"offsite/{source}")
        logger.info("Off-site %s link not followed: %s", source, urls.redact(url[:300]))
        return True

    def allowed_hosts(self) -> set[str]:
        return set(getattr(self, "allowed_domains", []) or [])

    def site_url(self, path_or_url: str) -> str:
        return urls.site_url(self.base_url, path_or_url)

    # ----- start ---------------------------------------------------------------------------

    def initial_requests(self) -> Iterable[Request]:
        """The first requests of the crawl (arguments are already checked)."""
        return []

    async def start(self) -> AsyncIterator[Any]:
        for request in self._first_requests():
            yield request

    def start_requests(self) -> Iterable[Request]:
        """The same as :meth:`start`, for spider middlewares that only know the old API.

        scrapy-splash's SplashDeduplicateArgsMiddleware defines only ``process_start_requests``;
        Scrapy 2.13-2.15 refuse to open a spider without ``start_requests`` when it is enabled.
        """
        return self._first_requests()

    def _first_requests(self) -> Iterable[Request]:
        return self.initial_requests()

    # ----- shared callbacks -----------------------------------------------------------------

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"dwnews/{key}", count)

    def article_request(self, url: str, content_id: int, source: str = "", lastmod: str | None = None) -> Request:
        """The request of an article page; the incremental middleware claims it before download."""
        meta: dict[str, Any] = {
            "dwnews_content_id": content_id,
            "dwnews_short_id": urls.content_id_to_short_id(content_id),
            "dwnews_lastmod": lastmod,
        }
        if source:
            meta["dwnews_source"] = source
        # Each article is requested once per crawl already (the spider's seen ids, the ledger's
        # claims): Scrapy's dupefilter would keep a fingerprint of each for nothing, about 0.5 KB
        # an article while a 50,000-URL sitemap waits in the queue. With Redis, the shared
        # dupefilter is what keeps two workers' discovery from queueing an article twice.
        unique = not distributed.enabled(self.settings)
        return self.page_request(url, "article", self.parse_article, meta=meta, dont_filter=unique)

    def read_article(self, response: Response) -> ArticlePage | None:
        """The page object of an article response, or None (counted and logged) if it is not HTML."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        mime = content_type.split(";")[0].strip().lower()
        if not isinstance(response, TextResponse) or (mime and mime not in HTML_TYPES):
            self.inc("article/not_html")
            logger.warning("Not an HTML page at %s (%s)", response.url, content_type or "no Content-Type")
            response.meta["dwnews_verdict"] = incremental.FAILED_PREFIX + "not_html"
            return None
        html, repaired = decode_html(response.body, response.encoding)
        if repaired:
            self.inc(f"article/charset/{repaired}")
            logger.info("Charset of %s: %s", response.url, repaired.replace("_", " "))
        page = ArticlePage(response.url, html)
        page.record()  # runs every field once, so that the events below are complete
        asked = response.meta.get("dwnews_content_id")
        if isinstance(asked, int) and page.content_id is not None and page.content_id != asked:
            # a redirect to another article: this page says nothing about the one asked for, and
            # what it says about itself is for that article's own request to find out
            self.inc("article/other_article")
            logger.warning(
                "Asked for article %s at %s, got article %s (%s): not used",
                asked,
                response.meta.get("dwnews_url", response.url),
                page.content_id,
                response.url,
            )
            response.meta["dwnews_verdict"] = incremental.FAILED_PREFIX + "other_article"
            return None
        self.inc("article/parsed")
        self.inc(f"article/layout/{page.layout}")
        for event in page.events:
            self.inc(f"article/{event}")
        hostile = [e for e in page.events if e.startswith(_PAGE_FAULTS)]
        if hostile:  # what the page got wrong, with its URL (the record has the field empty)
            logger.warning("Page %s: %s", response.url, ", ".join(sorted(set(hostile))))
        if "short_id_mismatch" in page.events:
            logger.warning(
                "Short link on %s is p/%s, but its content id %s gives p/%s",
                response.url,
                page.page_short_id,
                page.content_id,
                page.short_id,
            )
        return page

    def build_item(self, page: ArticlePage) -> Article | None:
        record = page.record()
        if not record["short_id"]:
            self.inc("dropped/missing_short_id")
            logger.warning("Dropped %s: no content id in its URL, canonical link or state", page.url)
            return None
        crawled_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Article.from_record(record, crawled_at=crawled_at, parts=page.body)

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article]:
        raise NotImplementedError

    def source_failed(self, request: Request, reason: str) -> None:
        """A discovery source (sitemap, feed, robots.txt) could not be fetched."""
        self.inc(f"failed/source/{reason}")
        logger.warning("Failed source %s: %s", request.url, reason)

    def on_failure(self, failure: Failure) -> Iterable[Request]:
        """Count and log a request that failed for good (after retries), with its URL.

        A page that Splash failed to render is fetched again without rendering when
        ``DWNEWS_SPLASH_FALLBACK`` is on.
        """
        request = failure.request  # type: ignore[attr-defined]
        page_type = request.meta.get("dwnews_page", "page")
        url = request.meta.get("dwnews_url", request.url)
        if request.meta.get("dwnews_rendered") and self.splash_fallback:
            self.inc(f"splash/fallback/{page_type}")
            logger.warning("Splash failed on %s (%s); fetching it without rendering", url, failure.value)
            meta = {k: v for k, v in request.meta.items() if k.startswith("dwnews_") and k != "dwnews_rendered"}
            # the page itself (not Splash's render.html), once more even though its URL was seen
            plain = Request(url, callback=request.callback, errback=self.on_failure, meta=meta, dont_filter=True)
            plain.cb_kwargs.update(request.cb_kwargs)
            return [plain]
        reason = failure_reason(failure, request, self.allowed_hosts())
        reachability = SiteReachability.of(self.crawler)
        if reachability is not None:
            reachability.failed(request, reason, failure.value)
        # the ledger's owner releases an article's claim and records the failure for a later run
        self.crawler.signals.send_catch_log(incremental.request_failed, request=request, reason=reason)
        if reason == "robots_txt":
            # robots.txt said no: not a failure, and not to be tried again
            self.inc(f"not_fetched/{page_type}")
            logger.info("Not fetched (robots.txt): %s %s", page_type, url)
            return []
        if page_type in ("source", "robots"):
            self.source_failed(request, reason)
            return []
        self.inc(f"failed/{page_type}/{reason}")
        logger.warning("Failed %s %s: %s", page_type, url, reason)
        if page_type == "listing" and reason in ("http_404", "http_410"):
            assert self.crawler.stats is not None
            if not self.crawler.stats.get_value(LISTING_NOT_FOUND_STAT):
                self.crawler.stats.set_value(LISTING_NOT_FOUND_STAT, f"{url} (HTTP {reason[5:]})")
        return []
