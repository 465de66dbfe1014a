"""Every request stays on the configured site (its scheme, host and port), and gets its page type's policy."""

from __future__ import annotations

import logging

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request

from dwnews.core import stats, urls
from dwnews.core.config import Config
from dwnews.core.keys import Meta, PageType
from dwnews.crawl.failures import OffsiteRequest

logger = logging.getLogger(__name__)


class SiteOriginMiddleware:
    """Every request the crawler makes stays on the configured site: its scheme, host and port.

    One check for every request, whatever made it: listing links, sitemap and feed entries,
    robots.txt ``Sitemap:`` lines, redirects (a redirected request passes here again), retries of
    earlier failures. On the real www.dw.com the feed host and the short-link host are allowed
    too (:func:`dwnews.core.urls.site_origins`); DW's image hosts never are. A Splash request is judged
    by the page it renders, and may only go to ``SPLASH_URL``.

    A request that fails the check is never downloaded: it fails with an
    :class:`~dwnews.crawl.failures.OffsiteRequest` (its errback runs, so a claimed article is released,
    not remembered), is counted as ``dwnews/offsite/<source>`` (``redirect`` for a redirect's target)
    and logged with its URL.
    Scrapy's own OffsiteMiddleware is replaced: it compares host names only, and drops a redirect
    at scheduling time without telling the request's errback.
    """

    def __init__(self, crawler: Crawler, origins: frozenset[urls.Origin], splash_url: str | None) -> None:
        self.crawler = crawler
        self.origins = origins
        self.splash_origin = urls.origin(splash_url) if splash_url else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteOriginMiddleware:
        return cls(crawler, Config.read(crawler.settings).site.origins, crawler.settings.get("SPLASH_URL"))

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
        self.crawler.stats.inc_value(stats.OFFSITE(source=source))
        logger.warning("Refused an off-site request (%s): %s", source, urls.redact(page_url[:300]))
        raise OffsiteRequest(f"offsite request to {urls.redact(page_url[:300])}")

    @staticmethod
    def source_of(request: Request) -> str:
        meta = request.meta
        return str(meta.get(Meta.SOURCE) or meta.get(Meta.PAGE) or "other")


class PagePolicyMiddleware:
    """What a page type may cost and how it is read, decided here and not by meta a request carries
    (a queue entry from Redis carries none of it): a sitemap or feed may be ``DWNEWS_SITEMAP_MAXSIZE``
    (other pages keep ``DOWNLOAD_MAXSIZE``), and sources and robots.txt reach their callback whatever
    their status (a missing source is a warning, robots.txt's 404 means "try /sitemap.xml")."""

    def __init__(self, source_maxsize: int) -> None:
        self.source_maxsize = source_maxsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PagePolicyMiddleware:
        return cls(Config.read(crawler.settings)["DWNEWS_SITEMAP_MAXSIZE"])

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        page = request.meta.get(Meta.PAGE)
        if page == PageType.SOURCE:
            request.meta["download_maxsize"] = self.source_maxsize
        if page in (PageType.SOURCE, PageType.ROBOTS):
            request.meta["handle_httpstatus_all"] = True
