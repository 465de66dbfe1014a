"""Conditional requests for the pages a scheduled crawl fetches every run.

A crawl every 15 minutes fetches the home page, the sections, robots.txt, the sitemaps and the
feed each time, though they rarely change between two runs. :class:`ConditionalRequestMiddleware`
keeps, per URL, the validators (``ETag``, ``Last-Modified``) and the body of the last full answer
in ``DWNEWS_STATE_DIR/pages.sqlite3``, sends ``If-None-Match`` / ``If-Modified-Since`` the next
time, and on ``304 Not Modified`` hands the spider the stored page: no body crosses the network.

The stored page is still read: its links are judged again against the ledger, which costs no
request (known articles are dropped before download) and loses nothing: an article left out last
time (out of a ``since`` range, unreadable, released by a killed run) is found again. Only a page
kept with the validators it came with is ever answered by a 304: a first run, a moved or deleted
state dir or a page that came without validators is simply fetched in full.

Scrapy's HTTP cache (``RFC2616Policy``) does the revalidation part, but would also serve a page
from the cache without asking when the page's own headers or the heuristic say it is fresh (10% of
its age since ``Last-Modified``: a day for a sitemap unchanged for ten), and serve the old page on
a 5xx, hiding that the site is down from the health checks. It also stores its metadata as pickle.
This middleware asks every time, passes every error on, and stores JSON and bytes in SQLite.

The store is bounded: a page no run fetched (in full or as a 304) in the last
``DWNEWS_PAGE_STORE_KEEP_RUNS`` runs (10) is pruned when a run ends (``dwnews/conditional/pruned``):
a home page whose section links change, or a section DW dropped, no longer grows it run after run.

Pages handled: listing pages, sitemaps, the feed and robots.txt (GET, not rendered through Splash).
Article pages are never fetched twice by an incremental crawl, so they are never stored. The store
is a cache: when it cannot be read or written (disk full, corrupt file) the crawl goes on with full
requests, counted (``dwnews/conditional/store_error``) and logged once.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes

from dwnews.core import stats
from dwnews.core.config import Config
from dwnews.core.keys import Meta, PageType
from dwnews.store.pages import DB_NAME, PageStore

logger = logging.getLogger(__name__)

#: page types fetched conditionally
PAGE_TYPES = frozenset({PageType.LISTING, PageType.SOURCE, PageType.ROBOTS})


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = value.decode("latin-1").strip()
    # a validator is sent back in a header: no control characters from the site go into one
    return text if text and text.isprintable() and len(text) <= 512 else None


class ConditionalRequestMiddleware:
    """Downloader middleware: see the module docstring. Stats ``dwnews/conditional/<what>``:
    ``sent`` (requests with validators), ``not_modified/<page>`` (304s answered from the store),
    ``modified`` (a full answer to a conditional request), ``bytes_saved``, ``store_error``, ``pruned``."""

    def __init__(self, crawler: Crawler) -> None:
        config = Config.read(crawler.settings)
        if not config["DWNEWS_CONDITIONAL_REQUESTS"] or not config["DWNEWS_INCREMENTAL"]:
            raise NotConfigured  # no message: Scrapy would log one as a warning
        self.crawler = crawler
        self.path = Path(config["DWNEWS_STATE_DIR"]) / DB_NAME
        self.keep_runs = int(config["DWNEWS_PAGE_STORE_KEEP_RUNS"])
        self._store: PageStore | None = None
        self.broken = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stats.CONDITIONAL(what=key), count)

    @property
    def store(self) -> PageStore | None:
        if self._store is None and not self.broken:
            try:
                self._store = PageStore(self.path)
                self._store.start_run()
            except (sqlite3.Error, OSError) as error:
                self._fail(error)
        return self._store

    def _fail(self, error: Exception) -> None:
        self.inc("store_error")
        if not self.broken:
            logger.warning("Conditional requests off for this run: %s: %s", self.path, error)
        self.broken = True
        if self._store is not None:
            with contextlib.suppress(sqlite3.Error):
                self._store.close()
            self._store = None

    @staticmethod
    def wanted(request: Request) -> bool:
        if request.method != "GET" or "splash" in request.meta:
            return False
        return request.meta.get(Meta.PAGE) in PAGE_TYPES or request.meta.get("dont_obey_robotstxt") is True

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not self.wanted(request) or b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return
        store = self.store
        if store is None:
            return
        try:
            kept = store.get(request.url)
        except (sqlite3.Error, ValueError) as error:
            self._fail(error)
            return
        if kept is None:
            return
        etag, last_modified, _, _ = kept
        if etag:
            request.headers[b"If-None-Match"] = etag.encode("latin-1")
        if last_modified:
            request.headers[b"If-Modified-Since"] = last_modified.encode("latin-1")
        if etag or last_modified:
            request.meta[Meta.CONDITIONAL] = True
            self.inc("sent")

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if not self.wanted(request):
            return response
        asked = bool(request.meta.get(Meta.CONDITIONAL))
        if response.status == 304 and asked:
            return self._stored(request, response)
        if response.status != 200:
            return response
        if asked:
            self.inc("modified")
        self._keep(request, response)
        return response

    def _stored(self, request: Request, response: Response) -> Request | Response:
        store = self.store
        kept = None
        if store is not None:
            try:
                kept = store.get(request.url)
            except (sqlite3.Error, ValueError) as error:
                self._fail(error)
        if kept is None:
            # validators were sent but the page is gone from the store: fetch it in full
            self.inc("refetched")
            retry = request.replace(dont_filter=True)
            retry.headers.pop(b"If-None-Match", None)
            retry.headers.pop(b"If-Modified-Since", None)
            retry.meta[Meta.CONDITIONAL] = False
            return retry
        _, _, headers, body = kept
        if store is not None:
            try:
                store.seen(request.url)  # still fetched by this run: kept
            except sqlite3.Error as error:
                self._fail(error)
        page = request.meta.get(Meta.PAGE) or "robots"
        self.inc(f"not_modified/{page}")
        self.inc("bytes_saved", len(body))
        kept_headers = Headers(headers)
        cls = responsetypes.from_args(headers=kept_headers, url=request.url, body=body)
        return cls(
            url=request.url, status=200, headers=kept_headers, body=body, request=request, flags=["not_modified"]
        )

    def _keep(self, request: Request, response: Response) -> None:
        store = self.store
        if store is None:
            return
        etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
        try:
            if etag or last_modified:
                headers: dict[str, Any] = {
                    k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()
                }
                store.put(request.url, etag, last_modified, headers, response.body)
            else:
                store.delete(request.url)
        except sqlite3.Error as error:
            self._fail(error)

    def close(self) -> None:
        if self._store is not None:
            try:
                pruned = self._store.prune(self.keep_runs)
            except sqlite3.Error as error:
                self._fail(error)
            else:
                if pruned:
                    self.inc("pruned", pruned)
                    logger.info(
                        "Page store: %d pages no run fetched in the last %d runs were pruned", pruned, self.keep_runs
                    )
        if self._store is not None:
            with contextlib.suppress(sqlite3.Error):
                self._store.close()
            self._store = None
