"""What both spiders share: arguments checked up front, requests, and reading an article page.

Spiders route: requests out, items and :class:`~dwnews.core.keys.Skip` verdicts in their place;
page objects read the pages; the crawl components (wired by the add-on) do the rest. A failed
request goes to the failure tracker (a signal from the errback), an article page's reading to the
page-events counter (a signal), a skip to the incremental middleware (yielded).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from dwnews.core import keys, stats, urls
from dwnews.core.config import Config
from dwnews.core.ids import content_id_to_short_id
from dwnews.core.keys import Meta, PageType, Skip, Source, Verdict
from dwnews.core.outcome import SettingError
from dwnews.core.record import Article
from dwnews.core.site import Site
from dwnews.pages.article import ArticlePage, is_html, read_article

logger = logging.getLogger(__name__)


class DwSpider(scrapy.Spider):
    """Base of the dwnews spiders (not a spider itself)."""

    #: spider arguments this spider accepts (``-a name=value``) and what each means; others are refused
    arguments: ClassVar[dict[str, str]] = {}
    #: the spider's records go to a feed (a crawl with none is refused: it would keep nothing)
    exports: ClassVar[bool] = True

    config: Config
    site: Site

    @classmethod
    def check(cls, config: Config, arguments: dict[str, Any]) -> None:
        """Refuse an unknown argument (:class:`SettingError`, one line); the spider checks the rest
        in :meth:`check_arguments`. The crawl command calls this before Scrapy starts."""
        unknown = sorted(name for name in arguments if name not in cls.arguments and not name.startswith("_"))
        if unknown:
            accepted = ", ".join(f"{name} ({meaning})" for name, meaning in cls.arguments.items()) or "none"
            raise SettingError(f"unknown argument {unknown[0]!r}; accepted: {accepted}")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DwSpider:
        config = Config.read(crawler.settings)
        cls.check(config, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, DwSpider)
        spider.config = config
        spider.site = config.site
        spider.check_arguments()
        return spider

    def check_arguments(self) -> None:
        """Validate and convert ``-a`` arguments; raise :class:`SettingError` on a bad one."""

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    # ----- requests ------------------------------------------------------------------------------

    def page_request(self, url: str, page_type: PageType, callback: Any, **kwargs: Any) -> Request:
        """A request for a page of a type; its failures go to :meth:`on_failure`."""
        meta = {**kwargs.pop("meta", {}), Meta.PAGE: page_type, Meta.URL: url}
        return Request(url, callback=callback, errback=self.on_failure, meta=meta, **kwargs)

    def article_request(
        self, url: str, content_id: int, source: str = Source.SECTIONS, lastmod: str | None = None
    ) -> Request:
        """The request of an article page; the incremental middleware claims it before download."""
        meta: dict[str, Any] = {
            Meta.CONTENT_ID: content_id,
            Meta.SHORT_ID: content_id_to_short_id(content_id),
            Meta.LASTMOD: lastmod,
            Meta.SOURCE: source,
        }
        # Each article is requested once per crawl already (the spider's seen ids, the ledger's
        # claims): Scrapy's dupefilter would keep a fingerprint of each for nothing, about 0.5 KB
        # an article while a 50,000-URL sitemap waits in the queue. With Redis, the shared
        # dupefilter is what keeps two workers' discovery from queueing an article twice.
        unique = not self.config["DWNEWS_REDIS_URL"]
        return self.page_request(url, PageType.ARTICLE, self.parse_article, meta=meta, dont_filter=unique)

    def offsite(self, url: str, source: str) -> bool:
        """True (counted as ``dwnews/offsite/<source>``, logged) when a link leaves the configured
        site's scheme, host and port; the origin middleware refuses such requests anyway, this
        keeps them from being claimed or followed in the first place."""
        if urls.on_site(url, self.site.origins):
            return False
        self.inc(stats.OFFSITE(source=source))
        logger.info("Off-site %s link not followed: %s", source, urls.redact(url[:300]))
        return True

    def on_failure(self, failure: Failure) -> Iterable[Request]:
        """A request failed for good: the failure tracker counts, logs and records it."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.signals.send_catch_log(keys.request_failed, request=request, failure=failure)
        return []

    async def start(self) -> AsyncIterator[Any]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterable[Request]:
        """The first requests of the crawl (arguments are already checked)."""
        return []

    # ----- article pages -------------------------------------------------------------------------

    def skip(self, response: Response, verdict: Verdict, reason: str, rule: str = "") -> Skip:
        """The verdict on an article page that is not exported (for the incremental middleware)."""
        content_id = int(response.meta[Meta.CONTENT_ID])
        return Skip(
            short_id=content_id_to_short_id(content_id),
            content_id=content_id,
            verdict=verdict,
            reason=reason,
            source=str(response.meta.get(Meta.SOURCE, Source.SECTIONS)),
            url=str(response.meta.get(Meta.URL, response.url)),
            rule=rule,
        )

    def read_article(self, response: Response) -> ArticlePage | Skip:
        """The page object of an article answer, or a failed verdict (counted, logged) when it is no
        HTML page or a page of another article (a redirect)."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not is_html(content_type):
            self.inc(stats.ARTICLE_SKIPPED(reason="not_html"))
            logger.warning("Not an HTML page at %s (%s)", response.url, content_type or "no Content-Type")
            return self.skip(response, Verdict.FAILED, "not_html")
        page = read_article(response.url, response.body, response.encoding)
        asked = response.meta.get(Meta.CONTENT_ID)
        if isinstance(asked, int) and page.content_id is not None and page.content_id != asked:
            # a redirect to another article: this page says nothing about the one asked for, and
            # what it says about itself is for that article's own request to find out
            self.inc(stats.ARTICLE_SKIPPED(reason="other_article"))
            logger.warning(
                "Asked for article %s at %s, got article %s (%s): not used",
                asked,
                response.meta.get(Meta.URL, response.url),
                page.content_id,
                response.url,
            )
            return self.skip(response, Verdict.FAILED, "other_article")
        self.crawler.signals.send_catch_log(keys.article_read, page=page, url=response.meta.get(Meta.URL))
        return page

    def build_item(self, page: ArticlePage) -> Article | None:
        record = page.record()
        if not record["short_id"]:
            self.inc(stats.DROPPED(reason="missing_short_id"))
            logger.warning("Dropped %s: no content id in its URL, canonical link or state", page.url)
            return None
        crawled_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Article.from_record(record, crawled_at=crawled_at, parts=page.body)

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article | Skip]:
        raise NotImplementedError
