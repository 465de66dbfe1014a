"""JavaScript rendering through Splash (scrapy-splash), off unless ``SPLASH_URL`` is set.

With ``SPLASH_URL`` set, the scrapy-splash components are configured as scrapy-splash documents
them (its two downloader middlewares, HttpCompressionMiddleware moved after them, the
argument-deduplicating spider middleware, the Splash-aware dupefilter and HTTP cache storage),
and the page types named in ``DWNEWS_SPLASH_PAGES`` are requested through Splash's
``render.html`` endpoint. The response keeps the page's own URL, so records, canonical URLs and
short ids are the same as without rendering, and dedup stays on the short id.

Scrapy 2.14+ removed the downloader's ``_get_slot_key`` that scrapy-splash's default slot
policy calls, so every request here uses ``slot_policy=SlotPolicy.SCRAPY_DEFAULT``.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.settings import BaseSettings

from dwnews.incremental import LedgerOwner
from dwnews.urls import redact

logger = logging.getLogger(__name__)

PAGE_TYPES = frozenset({"listing", "article"})

DOWNLOADER_MIDDLEWARES = {
    "scrapy_splash.SplashCookiesMiddleware": 723,
    "scrapy_splash.SplashMiddleware": 725,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 810,
}
SPIDER_MIDDLEWARES = {"scrapy_splash.SplashDeduplicateArgsMiddleware": 100}


def enabled(settings: BaseSettings) -> bool:
    return bool(settings.get("SPLASH_URL"))


def configure(settings: BaseSettings) -> None:
    """Add the scrapy-splash components to the crawl's settings (only when SPLASH_URL is set)."""
    if not enabled(settings):
        return
    for name, components in (
        ("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES),
        ("SPIDER_MIDDLEWARES", SPIDER_MIDDLEWARES),
    ):
        merged = {**settings.getdict(name), **components}
        settings.set(name, merged, priority="spider")
    settings.set("DUPEFILTER_CLASS", "scrapy_splash.SplashAwareDupeFilter", priority="spider")
    settings.set("HTTPCACHE_STORAGE", "scrapy_splash.SplashAwareFSCacheStorage", priority="spider")


def render_pages(settings: BaseSettings) -> frozenset[str]:
    """Which page types go through Splash; raises ValueError naming a bad one."""
    pages = frozenset(settings.getlist("DWNEWS_SPLASH_PAGES"))
    unknown = pages - PAGE_TYPES
    if unknown:
        raise ValueError(f"DWNEWS_SPLASH_PAGES: unknown page type {sorted(unknown)[0]!r}; use listing and/or article")
    return pages


def render_args(settings: BaseSettings) -> dict[str, Any]:
    args = settings.getdict("DWNEWS_SPLASH_ARGS")
    args.setdefault("wait", settings.getfloat("DWNEWS_SPLASH_WAIT"))
    return args


def ping(splash_url: str, timeout: float = 5.0) -> str | None:
    """None when Splash answers ``/_ping``, else what went wrong (one line)."""
    url = splash_url.rstrip("/") + "/_ping"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = json.loads(answer.read().decode("utf-8", "replace") or "{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"
    if body.get("status") != "ok":
        return f"unexpected /_ping answer {body!r}"
    return None


def splash_request(url: str, args: dict[str, Any], **kwargs: Any) -> Request:
    """A request rendered by Splash's render.html, with the slot policy Scrapy 2.15 needs."""
    from scrapy_splash import SlotPolicy, SplashRequest  # imported only when rendering is on

    request: Request = SplashRequest(
        url, endpoint="render.html", args=dict(args), slot_policy=SlotPolicy.SCRAPY_DEFAULT, **kwargs
    )
    return request


class SplashCheck:
    """Checks, when the spider opens (before any request), that Splash answers.

    Not answering: the crawl stops with one line and exit 2, or, with ``DWNEWS_SPLASH_FALLBACK``,
    goes on without rendering and says so.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SplashCheck:
        if not enabled(crawler.settings):
            raise NotConfigured
        check = cls(crawler)
        crawler.signals.connect(check.spider_opened, signal=signals.spider_opened)
        return check

    def spider_opened(self, spider: Spider) -> None:
        pages: frozenset[str] = getattr(spider, "render", frozenset())
        if not pages:
            return
        url = self.crawler.settings.get("SPLASH_URL")
        problem = ping(url)
        if problem is None:
            logger.info("Rendering %s pages through Splash at %s", ", ".join(sorted(pages)), url)
            return
        message = (
            f"SPLASH_URL={redact(url)}: Splash does not answer ({redact(problem)}); start it (docker run -p "
            "127.0.0.1:8050:8050 scrapinghub/splash, or bash scripts/splash/start.sh 8050) or crawl "
            "without rendering (no SPLASH_URL, or -s DWNEWS_SPLASH_FALLBACK=True)"
        )
        if not self.crawler.settings.getbool("DWNEWS_SPLASH_FALLBACK"):
            LedgerOwner.of(self.crawler).refuse(message)
            return
        logger.error("dwnews: %s; DWNEWS_SPLASH_FALLBACK: crawling without rendering", message)
        spider.render = frozenset()  # type: ignore[attr-defined]
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("dwnews/splash/unavailable_fallback")
