"""JavaScript rendering through Splash (scrapy-splash), off unless ``SPLASH_URL`` is set.

With ``SPLASH_URL`` set, the add-on enables scrapy-splash's two downloader middlewares (and moves
HttpCompressionMiddleware after them, as scrapy-splash documents) and :class:`RenderingMiddleware`,
which turns each request for a page type named in ``DWNEWS_SPLASH_PAGES`` into a request to Splash's
``render.html`` as it passes (spiders build plain requests and never know). The response keeps the
page's own URL, so records, canonical URLs and short ids are the same as without rendering.

The same middleware checks, when the spider opens and without blocking the reactor (the check runs
in a thread), that Splash answers, and handles a page Splash failed on (after retries): fetched
again without rendering with ``DWNEWS_SPLASH_FALLBACK``, a failure of the page otherwise.

Scrapy 2.14+ removed the downloader's ``_get_slot_key`` that scrapy-splash's default slot policy
calls, so every rendered request uses ``slot_policy=SlotPolicy.SCRAPY_DEFAULT``.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.threads import deferToThread

from dwnews.core import stats
from dwnews.core.config import Config
from dwnews.core.keys import Meta
from dwnews.core.outcome import Outcome
from dwnews.core.urls import redact
from dwnews.crawl.ledger import ledger_keeper

logger = logging.getLogger(__name__)

#: scrapy-splash's components, where its documentation puts them
SPLASH_DOWNLOADER_MIDDLEWARES = {
    "scrapy_splash.SplashCookiesMiddleware": 723,
    "scrapy_splash.SplashMiddleware": 725,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 810,
}
#: before RetryMiddleware (550) on the way out, so that it sees a Splash failure only after retries;
#: before SplashMiddleware (725) on the way in, so that the request is rendered in the same pass
PRIORITY = 540
#: scrapy-splash's slot policy value for "Scrapy's default slot" (scrapy_splash.SlotPolicy.SCRAPY_DEFAULT)
_SCRAPY_DEFAULT_SLOT = "scrapy_default"


def enabled(settings: BaseSettings) -> bool:
    return bool(settings.get("SPLASH_URL"))


def configure(settings: BaseSettings) -> None:
    """Add the scrapy-splash components to the crawl's settings (the add-on, only with SPLASH_URL),
    into the user's ``DOWNLOADER_MIDDLEWARES`` whatever its priority (a dict given with ``-s`` used
    to replace them all, and the crawl was not rendered, without a word)."""
    for path, priority in SPLASH_DOWNLOADER_MIDDLEWARES.items():
        component = load_object(path)
        if component is HttpCompressionMiddleware:  # scrapy-splash needs it after its own
            settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", component, priority)
        else:
            settings.setdefault_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", component, priority)
    settings.setdefault_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", RenderingMiddleware, PRIORITY)
    settings.set("HTTPCACHE_STORAGE", "scrapy_splash.SplashAwareFSCacheStorage", priority="addon")


def ping(splash_url: str, timeout: float = 5.0) -> str | None:
    """None when Splash answers ``/_ping``, else what went wrong (one line). Blocking: run it in a thread."""
    url = splash_url.rstrip("/") + "/_ping"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = json.loads(answer.read().decode("utf-8", "replace") or "{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"
    if not isinstance(body, dict) or body.get("status") != "ok":
        return f"unexpected /_ping answer {str(body)[:100]!r}"
    return None


class RenderingMiddleware:
    """Downloader middleware: see the module docstring."""

    def __init__(self, crawler: Crawler, config: Config, splash_url: str) -> None:
        self.crawler = crawler
        self.splash_url = splash_url
        self.pages = frozenset(config["DWNEWS_SPLASH_PAGES"])
        self.fallback = config["DWNEWS_SPLASH_FALLBACK"]
        self.args: dict[str, Any] = {"wait": config["DWNEWS_SPLASH_WAIT"], **config["DWNEWS_SPLASH_ARGS"]}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderingMiddleware:
        if not enabled(crawler.settings):
            raise NotConfigured
        middleware = cls(crawler, Config.read(crawler.settings), crawler.settings.get("SPLASH_URL"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    async def spider_opened(self, spider: Spider) -> None:
        """Before any request: does Splash answer? Not answering: the crawl is refused (exit 2), or,
        with ``DWNEWS_SPLASH_FALLBACK``, goes on without rendering and says so."""
        if not self.pages:
            return
        problem = await maybe_deferred_to_future(deferToThread(ping, self.splash_url))  # type: ignore[no-untyped-call]
        if problem is None:
            logger.info(
                "Rendering %s pages through Splash at %s", ", ".join(sorted(self.pages)), redact(self.splash_url)
            )
            return
        message = (
            f"SPLASH_URL={redact(self.splash_url)}: Splash does not answer ({redact(problem)}); start it (docker run "
            "-p 127.0.0.1:8050:8050 scrapinghub/splash, or bash scripts/splash/start.sh 8050) or crawl "
            "without rendering (no SPLASH_URL, or -s DWNEWS_SPLASH_FALLBACK=True)"
        )
        if not self.fallback:
            ledger_keeper(self.crawler).stop(Outcome.REFUSED, message)
            return
        logger.error("dwnews: %s; DWNEWS_SPLASH_FALLBACK: crawling without rendering", message)
        self.pages = frozenset()
        self.inc(stats.SPLASH_UNAVAILABLE.key)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        page = request.meta.get(Meta.PAGE)
        if page not in self.pages or "splash" in request.meta or request.meta.get(Meta.RENDERED) is False:
            return
        # what scrapy_splash.SplashRequest puts in meta; SplashMiddleware (725) sends it to Splash
        request.meta["splash"] = {
            "endpoint": "render.html",
            "args": {**self.args, "url": request.url},
            "slot_policy": _SCRAPY_DEFAULT_SLOT,
            "magic_response": True,
            "http_status_from_error_code": True,
        }
        request.meta.setdefault(Meta.URL, request.url)  # the page's own URL, whatever Splash's is
        request.meta[Meta.RENDERED] = True
        self.inc(stats.SPLASH_REQUESTS(page=page))

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        # 5xx through Splash: Splash's own failure (502 a network error on the page, 503 overloaded,
        # 504 a render timeout) or the page's; either way, fetched again without Splash if allowed
        if request.meta.get(Meta.RENDERED) and response.status >= 500:
            return self._fallback(request, f"Splash answered {response.status}") or response
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Any:
        if request.meta.get(Meta.RENDERED):
            return self._fallback(request, f"{type(exception).__name__}: {exception}")
        return None

    def _fallback(self, request: Request, why: str) -> Request | None:
        """The page fetched again without Splash (with ``DWNEWS_SPLASH_FALLBACK``), else None."""
        if not self.fallback:
            return None
        page = request.meta.get(Meta.PAGE, "page")
        url = request.meta.get(Meta.URL) or request.url
        self.inc(stats.SPLASH_FALLBACK(page=page))
        logger.warning("Splash failed on %s (%s); fetching it without rendering", url, redact(why)[:300])
        meta = {key: value for key, value in request.meta.items() if key in Meta.ALL}
        meta[Meta.RENDERED] = False  # never rendered again
        # the page itself (not Splash's render.html), once more even though its URL was seen
        plain = Request(
            url,
            callback=request.callback,
            errback=request.errback,
            meta=meta,
            cb_kwargs=dict(request.cb_kwargs),
            dont_filter=True,
            priority=request.priority,
        )
        return plain
