"""``scrapy crawl politics``: DW Kiswahili politics articles from every discovery source.

Sources (``-a source=``, default ``DWNEWS_SOURCES``):

- ``sections``: the Kiswahili home page and the section pages it links;
- ``news-sitemap``: the Kiswahili news sitemap (fresh articles, with publication dates);
- ``sitemap``: the Kiswahili article sitemap (every article, with lastmod: a backfill);
- ``feed``: the Kiswahili RSS feed(s) in ``DWNEWS_FEED_URLS``.

Sitemaps are found through ``robots.txt`` (its ``Sitemap:`` lines) or ``/sitemap.xml``, and the
``/sw/`` sitemaps picked from the index. A missing source (404, not XML, empty) is one warning
and the crawl goes on with the others. ``since``/``until`` apply before downloading wherever a
source gives dates. Every article is requested once per run, whatever number of sources and
links lead to it: its content id, and so its short id, is read from the link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Request, Response, TextResponse

from dwnews import incremental, urls
from dwnews.items import Article
from dwnews.ledger import in_range
from dwnews.pages.feeds import Entry, FeedPage, SitemapPage
from dwnews.pages.listing import ListingPage
from dwnews.spiders.base import ArgumentError, DwSpider

logger = logging.getLogger(__name__)

_SECTION_ID_RE = re.compile(r"^(?:s-)?(\d+)$")
SOURCES = ("sections", "news-sitemap", "sitemap", "feed")
_SOURCE_ALIASES = {"sitemaps": ("news-sitemap", "sitemap"), "all": SOURCES}
_MAX_SITEMAP_DEPTH = 3


class PoliticsSpider(DwSpider):
    """Discovers Kiswahili article links, downloads the new ones, keeps the politics articles.

    Politics is DW's category id (``DWNEWS_POLITICS_CATEGORY_ID``) in the page's embedded data,
    or the category/kicker label "Siasa" where a page embeds none.
    """

    name = "politics"
    arguments: ClassVar[dict[str, str]] = {
        "section": "a section URL, path or id: https://www.dw.com/sw/afrika/s-12756, /sw/afrika/s-12756, s-12756",
        "since": "a date YYYY-MM-DD; articles published before it are skipped",
        "until": "a date YYYY-MM-DD; articles published after it are skipped",
        "source": "discovery sources, comma-separated: " + ", ".join(SOURCES) + ", sitemaps, all",
    }

    section: str | None = None
    since: str | None = None
    until: str | None = None
    source: str | None = None

    # ----- arguments ----------------------------------------------------------------------------

    def check_arguments(self) -> None:
        self.since_date = self._date("since", self.since)
        self.until_date = self._date("until", self.until)
        self.since_day = self.since_date.isoformat() if self.since_date else None
        self.until_day = self.until_date.isoformat() if self.until_date else None
        if self.since_date and self.until_date and self.until_date < self.since_date:
            raise ArgumentError(f"until={self.until}: is before since={self.since}")
        self.section_url = self._section_url(str(self.section).strip()) if self.section is not None else None
        self.sources = self._sources()
        self.politics_id = str(self.settings.get("DWNEWS_POLITICS_CATEGORY_ID"))
        self.politics_labels = tuple(label.lower() for label in self.settings.getlist("DWNEWS_POLITICS_LABELS"))
        self.feed_urls = [urls.rebase(url, self.base_url) for url in self.settings.getlist("DWNEWS_FEED_URLS")]
        hosts = {urlsplit(url).hostname or "" for url in self.feed_urls}
        self.allowed_domains = sorted({*self.allowed_domains, *hosts})  # type: ignore[has-type]
        self._seen_ids: set[int] = set()
        self.warned_sources: set[str] = set()

    @property
    def seen_ids(self) -> set[int]:
        """Articles requested, or found known, in this crawl.

        Kept in ``spider.state`` when the crawl has a JOBDIR, so that a resumed crawl does not
        request again (under another slug) an article its first part queued.
        """
        job_state = getattr(self, "state", None)
        if isinstance(job_state, dict):
            seen: set[int] = job_state.setdefault("dwnews_seen_ids", set())
            return seen
        return self._seen_ids

    @staticmethod
    def _date(name: str, value: str | None) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ArgumentError(f"{name}={value!r}: expected a date YYYY-MM-DD, e.g. {name}=2024-01-31") from None

    def _sources(self) -> tuple[str, ...]:
        given = self.source if self.source is not None else ",".join(self.settings.getlist("DWNEWS_SOURCES"))
        chosen: list[str] = []
        for name in (part.strip() for part in str(given).split(",")):
            if not name:
                continue
            expanded = _SOURCE_ALIASES.get(name, (name,))
            for one in expanded:
                if one not in SOURCES:
                    raise ArgumentError(
                        f"source={given!r}: unknown source {name!r}; accepted: {self.arguments['source']}"
                    )
                if one not in chosen:
                    chosen.append(one)
        if not chosen:
            raise ArgumentError(f"source={given!r}: name at least one of {', '.join(SOURCES)}")
        if self.section is not None:
            if self.source is not None and chosen != ["sections"]:
                raise ArgumentError(f"section={self.section!r} crawls one section: it cannot go with source={given!r}")
            return ("sections",)
        return tuple(chosen)

    def _section_url(self, value: str) -> str:
        match = _SECTION_ID_RE.match(value)
        if match:
            return self.site_url(f"/{self.language}/s-{match.group(1)}")
        parsed = urls.parse_path(value)
        if parsed is None or not parsed.is_section or parsed.language != self.language:
            raise ArgumentError(
                f"section={value!r}: expected a /{self.language}/ section URL, path or id, e.g. "
                f"section=/{self.language}/afrika/s-12756 or section=s-12756"
            )
        return self.site_url(urlsplit(value).path)

    # ----- discovery ------------------------------------------------------------------------------

    def initial_requests(self) -> Iterable[Request]:
        if "sections" in self.sources:
            if self.section_url:
                yield self.listing_request(self.section_url, follow_sections=False)
            else:
                home = self.site_url(self.settings.get("DWNEWS_HOME_PATH"))
                yield self.listing_request(home, follow_sections=True)
        if {"news-sitemap", "sitemap"} & set(self.sources):
            yield Request(
                self.site_url("/robots.txt"),
                callback=self.parse_robots,
                errback=self.on_failure,
                meta={"dwnews_page": "robots", "handle_httpstatus_all": True},
            )
        if "feed" in self.sources:
            for url in self.feed_urls:
                yield self.source_request(url, "feed", self.parse_feed)

    def retry_request(self, short_id: str, path: str) -> Request | None:
        """The request of an article that failed in an earlier run (the ledger keeps its path)."""
        content_id = urls.article_id(path, language=self.language)
        if content_id is None or urls.content_id_to_short_id(content_id) != short_id:
            return None
        self.inc("source/failures/found")
        self.seen_ids.add(content_id)
        return self.article_request(self.site_url(path), content_id, source="failures")

    def listing_request(self, url: str, follow_sections: bool) -> Request:
        return self.page_request(
            url,
            "listing",
            self.parse_listing,
            cb_kwargs={"follow_sections": follow_sections},
            meta={"dwnews_source": "sections"},
        )

    def source_request(self, url: str, source: str, callback: Any, depth: int = 0) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.on_failure,
            cb_kwargs={"source": source, "depth": depth} if source != "feed" else {},
            meta={
                "dwnews_page": "source",
                "dwnews_source": source,
                "handle_httpstatus_all": True,
                "download_maxsize": self.settings.getint("DWNEWS_SITEMAP_MAXSIZE"),
            },
        )

    def source_failed(self, request: Request, reason: str) -> None:
        source = request.meta.get("dwnews_source", "robots")
        self.source_missing(source, request.url, reason)

    def source_missing(self, source: str, url: str, why: str) -> None:
        """One warning per source; the crawl goes on with the others."""
        self.inc(f"source/{source}/missing")
        if source not in self.warned_sources:
            self.warned_sources.add(source)
            logger.warning("Source %s is missing at %s (%s); going on with the other sources", source, url, why)

    def parse_listing(self, response: Response, follow_sections: bool) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            self.inc("listing/not_html")
            logger.warning("Listing %s is not HTML", response.url)
            return
        links = ListingPage(response.url, response.text, self.base_url, self.language).links()
        self.inc("listing/pages")
        self.inc("source/sections/read")
        self.inc("listing/article_links", len(links.articles))
        for kind, count in links.skipped.items():
            self.inc(f"listing/skipped/{kind}", count)
        if links.offsite:  # links to other sites (social media, other ports): never followed
            self.inc("offsite/sections", links.offsite)
        if not links.articles:
            self.inc("listing/empty")
            if links.inline_scripts and not response.meta.get("dwnews_rendered"):
                self.inc("listing/empty_with_scripts")
                logger.warning(
                    "Listing %s has no article links in its HTML but has %d scripts: it may build them with "
                    "JavaScript (set SPLASH_URL to render listing pages)",
                    response.url,
                    links.inline_scripts,
                )
            else:
                logger.warning("Listing %s has no article links", response.url)
        if follow_sections:
            self.inc("listing/section_links", len(links.sections))
            for section_url in links.sections:
                yield self.listing_request(section_url, follow_sections=False)
        entries = [Entry(url=url, content_id=content_id) for content_id, url in links.articles.items()]
        yield from self.article_requests("sections", entries)

    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps: list[str] = []
        if response.status == 200:
            for line in response.text.splitlines() if isinstance(response, TextResponse) else []:
                key, _, value = line.partition(":")
                if key.strip().lower() == "sitemap" and urls.usable_url(value.strip()):
                    url = urls.rebase(value.strip(), self.base_url)
                    if not self.offsite(url, "robots"):
                        sitemaps.append(url)
        if not sitemaps:
            sitemaps = [self.site_url("/sitemap.xml")]
        for url in sitemaps:
            yield self.source_request(url, "sitemap-index", self.parse_sitemap)

    def parse_sitemap(self, response: Response, source: str, depth: int) -> Iterable[Request]:
        page = SitemapPage(response.body) if response.status == 200 else None
        if page is None or not page.is_sitemap:
            why = f"HTTP {response.status}" if response.status != 200 else "not a sitemap"
            self.source_missing(source, response.url, why)
            return
        self.inc(f"source/{source}/read")
        if page.is_index:
            entries = page.entries()
            self.count_skipped(source, response.url, page.skipped)
            yield from self._sitemap_children(response.url, source, depth, entries)
            return
        if source == "sitemap-index":  # robots.txt pointed straight at a urlset
            source = "sitemap"
        yield from self.streamed_requests(source, response.url, page, "no entries")

    def _sitemap_children(self, url: str, source: str, depth: int, entries: list[Entry]) -> Iterable[Request]:
        if depth >= _MAX_SITEMAP_DEPTH:
            logger.warning("Sitemap index %s is nested too deep; not followed", url)
            return
        if source != "sitemap-index":  # an index of a source's pages (e.g. article sitemap by month)
            for entry in entries:
                if entry.modified and not in_range(entry.modified, self.since_day, None):
                    self.inc(f"source/{source}/dropped/sitemap_before_since")
                    continue
                child = urls.rebase(entry.url, self.base_url)
                if not self.offsite(child, source):
                    yield self.source_request(child, source, self.parse_sitemap, depth + 1)
            return
        ours: dict[str, list[str]] = {"news-sitemap": [], "sitemap": []}
        for entry in entries:
            child = urls.rebase(entry.url, self.base_url)
            path = urlsplit(child).path
            if not path.startswith(f"/{self.language}/") or self.offsite(child, source):
                continue
            ours["news-sitemap" if "news" in path else "sitemap"].append(child)
        for kind, found in ours.items():
            if kind not in self.sources:
                continue
            if not found:
                # DW's index did not list one: try the name the other editions use (unverified for /sw/).
                name = "news-sitemap.xml" if kind == "news-sitemap" else "article-sitemap.xml"
                found = [self.site_url(f"/{self.language}/{name}")]
                logger.info("Sitemap index %s lists no /%s/ %s; trying %s", url, self.language, kind, found[0])
            for child in found:
                yield self.source_request(child, kind, self.parse_sitemap, depth + 1)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        page = FeedPage(response.body) if response.status == 200 else None
        if page is None or not page.is_feed:
            why = f"HTTP {response.status}" if response.status != 200 else "not a feed"
            self.source_missing("feed", response.url, why)
            return
        self.inc("source/feed/read")
        yield from self.streamed_requests("feed", response.url, page, "no items")

    def streamed_requests(self, source: str, url: str, page: SitemapPage | FeedPage, empty: str) -> Iterable[Request]:
        """Article requests as a sitemap or feed is read: the first ones can be downloaded while
        the rest of a large sitemap is still being read (the incremental middleware claims them
        in batches)."""
        read = 0

        def counted() -> Iterator[Entry]:
            nonlocal read
            for entry in page.iter_entries():
                read += 1
                yield entry

        yield from self.article_requests(source, counted())
        self.count_skipped(source, url, page.skipped)
        if not read:
            self.source_missing(source, url, empty)

    def count_skipped(self, source: str, url: str, skipped: Mapping[str, int]) -> None:
        """Entries a sitemap or feed page left out (no usable URL or id): counted, logged once a page."""
        for why, count in skipped.items():
            self.inc(f"source/{source}/dropped/{why}", count)
        if skipped:
            logger.warning("%s %s: left out %s", source, url, ", ".join(f"{n} {w}" for w, n in skipped.items()))

    # ----- articles -----------------------------------------------------------------------------

    def article_requests(self, source: str, entries: Iterable[Entry]) -> Iterable[Request]:
        """Requests for the articles among a source's links, once per crawl; the rest counted.

        The incremental middleware then drops, before download, those the ledger knows. One
        unusable entry is counted and logged, and costs only itself.
        """
        for entry in entries:
            try:
                request = self._article_request(source, entry)
            except Exception as error:  # one bad entry never loses its page's other links
                self.inc(f"source/{source}/dropped/bad_entry")
                logger.warning("Bad %s entry %r: %s: %s", source, entry.url[:200], type(error).__name__, error)
                continue
            if request is not None:
                yield request

    def _article_request(self, source: str, entry: Entry) -> Request | None:
        url = urls.strip_tracking(urls.rebase(entry.url, self.base_url))
        content_id = urls.article_id(url, language=self.language)
        if content_id is None:
            self.inc(f"source/{source}/dropped/not_an_article")
            return None
        if self.offsite(url, source):  # never claimed, never recorded: it is not this site's
            self.inc(f"source/{source}/dropped/offsite")
            return None
        self.inc(f"source/{source}/found")
        reason = self._out_of_range(entry)
        if reason:
            self.inc(f"source/{source}/dropped/{reason}")
            return None
        if content_id in self.seen_ids:
            self.inc(f"source/{source}/duplicate")
            if source == "sections":
                self.inc("listing/article_already_requested")
            return None
        self.seen_ids.add(content_id)
        return self.article_request(url, content_id, source=source, lastmod=entry.modified or entry.published)

    def _out_of_range(self, entry: Entry) -> str | None:
        """Why a link is outside since/until by the dates its source gives, or None."""
        # lastmod >= publication: a lastmod before `since` means it was published before, too.
        earliest = entry.published or entry.modified
        if not in_range(earliest, self.since_day, None):
            return "before_since"
        if not in_range(entry.published, None, self.until_day):
            return "after_until"
        return None

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article]:
        """Keep a politics article; say why not in ``response.meta["dwnews_verdict"]`` otherwise."""
        source = response.meta.get("dwnews_source", "sections")
        page = self.read_article(response)
        if page is None:
            return
        if not (page.title and page.body.paragraphs):
            # Not readable as an article (broken or changed markup): neither politics nor not, so
            # not remembered as skipped; the pipeline counts the drop, a later run retries.
            response.meta["dwnews_verdict"] = incremental.UNREADABLE
            item = self.build_item(page)
            if item is not None:
                yield item  # RequiredFieldsPipeline drops it with its reason
            return
        if not page.is_politics(self.politics_id, self.politics_labels):
            self.inc("politics/dropped/not_politics")
            self.inc(f"source/{source}/dropped/not_politics")
            response.meta["dwnews_verdict"] = incremental.NOT_POLITICS
            return
        published = page.published
        reason = None
        if published is None and (self.since_date or self.until_date):
            self.inc("politics/since_unknown_date")
        elif not in_range(published, self.since_day, None):
            reason = "before_since"
        elif not in_range(published, None, self.until_day):
            reason = "after_until"
        if reason:
            self.inc(f"politics/dropped/{reason}")
            self.inc(f"source/{source}/dropped/{reason}")
            response.meta["dwnews_verdict"] = incremental.OUT_OF_RANGE  # a run with other bounds may want it
            return
        item = self.build_item(page)
        if item is not None:
            self.inc("politics/kept")
            self.inc(f"source/{source}/kept")
            yield item
