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

from dwnews.core import keys, stats, urls
from dwnews.core.dates import in_range
from dwnews.core.ids import content_id_to_short_id
from dwnews.core.keys import CHOSEN_SOURCES, Meta, PageType, Skip, Source, Verdict
from dwnews.core.outcome import SettingError
from dwnews.core.record import Article
from dwnews.core.site import ARTICLE_SITEMAP_NAME, NEWS_SITEMAP_NAME
from dwnews.pages.feeds import Entry, FeedPage, SitemapPage
from dwnews.pages.listing import ListingPage
from dwnews.pages.robots import RobotsPage
from dwnews.spiders.base import DwSpider

logger = logging.getLogger(__name__)

_SECTION_ID_RE = re.compile(r"^(?:s-)?(\d+)$")
SOURCES: tuple[str, ...] = tuple(CHOSEN_SOURCES)
_SOURCE_ALIASES = {"sitemaps": (Source.NEWS_SITEMAP, Source.SITEMAP), "all": SOURCES}
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
            raise SettingError(f"until={self.until}: is before since={self.since}")
        self.section_url = self._section_url(str(self.section).strip()) if self.section is not None else None
        self.sources = self._sources()
        self.politics = self.config.politics
        self._seen_ids: set[int] = set()

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
            raise SettingError(f"{name}={value!r}: expected a date YYYY-MM-DD, e.g. {name}=2024-01-31") from None

    def _sources(self) -> tuple[str, ...]:
        given = self.source if self.source is not None else ",".join(self.config["DWNEWS_SOURCES"])
        chosen: list[str] = []
        for name in (part.strip() for part in str(given).split(",")):
            if not name:
                continue
            expanded = _SOURCE_ALIASES.get(name, (name,))
            for one in expanded:
                if one not in SOURCES:
                    raise SettingError(
                        f"source={given!r}: unknown source {name!r}; accepted: {self.arguments['source']}"
                    )
                if one not in chosen:
                    chosen.append(one)
        if not chosen:
            raise SettingError(f"source={given!r}: name at least one of {', '.join(SOURCES)}")
        if self.section is not None:
            if self.source is not None and chosen != ["sections"]:
                raise SettingError(f"section={self.section!r} crawls one section: it cannot go with source={given!r}")
            return ("sections",)
        return tuple(chosen)

    def _section_url(self, value: str) -> str:
        match = _SECTION_ID_RE.match(value)
        if match:
            return self.site.section_url(int(match.group(1)))
        parsed = urls.parse_path(value)
        language = self.site.language
        if parsed is None or not parsed.is_section or parsed.language != language:
            raise SettingError(
                f"section={value!r}: expected a /{language}/ section URL, path or id, e.g. "
                f"section=/{language}/afrika/s-12756 or section=s-12756"
            )
        return self.site.url(urlsplit(value).path)

    # ----- discovery ------------------------------------------------------------------------------

    def initial_requests(self) -> Iterable[Request]:
        if Source.SECTIONS in self.sources:
            if self.section_url:
                yield self.listing_request(self.section_url, follow_sections=False, entry=True)
            else:
                yield self.listing_request(self.site.home_url, follow_sections=True, entry=True)
        if {Source.NEWS_SITEMAP, Source.SITEMAP} & set(self.sources):
            yield self.page_request(self.site.robots_url, PageType.ROBOTS, self.parse_robots)
        if Source.FEED in self.sources:
            for url in self.site.feeds:
                yield self.source_request(url, Source.FEED, self.parse_feed)

    def retry_request(self, short_id: str, path: str) -> Request | None:
        """The request of an article that failed in an earlier run (the ledger keeps its path)."""
        content_id = urls.article_id(path, language=self.site.language)
        if content_id is None or content_id_to_short_id(content_id) != short_id:
            return None
        self.inc(stats.SOURCE_FOUND(source=Source.FAILURES))
        self.seen_ids.add(content_id)
        return self.article_request(self.site.url(path), content_id, source=Source.FAILURES)

    def listing_request(self, url: str, follow_sections: bool, entry: bool = False) -> Request:
        meta: dict[str, Any] = {Meta.SOURCE: Source.SECTIONS}
        if entry:
            meta[Meta.ENTRY] = True  # the sections source is lost if this page is
        return self.page_request(
            url, PageType.LISTING, self.parse_listing, cb_kwargs={"follow_sections": follow_sections}, meta=meta
        )

    def source_request(self, url: str, source: str, callback: Any, depth: int = 0) -> Request:
        return self.page_request(
            url,
            PageType.SOURCE,
            callback,
            cb_kwargs={"source": source, "depth": depth} if source != Source.FEED else {},
            meta={Meta.SOURCE: source},
        )

    def source_missing(self, source: str, url: str, why: str) -> None:
        """A source that answered but cannot be used: the failure tracker counts it, warns once."""
        self.crawler.signals.send_catch_log(keys.source_missing, source=source, url=url, why=why)

    def parse_listing(self, response: Response, follow_sections: bool) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            self.inc(stats.LISTING_NOT_HTML.key)
            logger.warning("Listing %s is not HTML", response.url)
            return
        links = ListingPage(response.url, response.text, self.site.base_url, self.site.language).links()
        self.inc(stats.LISTING_PAGES.key)
        self.inc(stats.SOURCE_READ(source=Source.SECTIONS))
        self.inc(stats.LISTING_ARTICLE_LINKS.key, len(links.articles))
        for kind, count in links.skipped.items():
            self.inc(stats.LISTING_SKIPPED(kind=kind), count)
        if links.offsite:  # links to other sites (social media, other ports): never followed
            self.inc(stats.OFFSITE(source=Source.SECTIONS), links.offsite)
        if not links.articles:
            self.inc(stats.LISTING_EMPTY.key)
            if links.inline_scripts and not response.meta.get(Meta.RENDERED):
                self.inc(stats.LISTING_EMPTY_WITH_SCRIPTS.key)
                logger.warning(
                    "Listing %s has no article links in its HTML but has %d scripts: it may build them with "
                    "JavaScript (set SPLASH_URL to render listing pages)",
                    response.url,
                    links.inline_scripts,
                )
            else:
                logger.warning("Listing %s has no article links", response.url)
        if follow_sections:
            self.inc(stats.LISTING_SECTION_LINKS.key, len(links.sections))
            limit = self.config["DWNEWS_MAX_SECTIONS"]
            if len(links.sections) > limit:
                self.inc(stats.BOUND(what="sections"), len(links.sections) - limit)
                logger.warning(
                    "%s links %d sections: following the first %d (DWNEWS_MAX_SECTIONS)",
                    response.url,
                    len(links.sections),
                    limit,
                )
            for section_url in links.sections[:limit]:
                yield self.listing_request(section_url, follow_sections=False)
        entries = [Entry(url=url, content_id=content_id) for content_id, url in links.articles.items()]
        yield from self.article_requests(Source.SECTIONS, entries)

    def parse_robots(self, response: Response) -> Iterable[Request]:
        sitemaps: list[str] = []
        if response.status == 200 and isinstance(response, TextResponse):
            for url in RobotsPage(response.text).sitemaps():
                url = self.site.rebased(url)
                if not self.offsite(url, "robots"):
                    sitemaps.append(url)
        for url in sitemaps or [self.site.sitemap_index_url]:
            yield self.source_request(url, Source.SITEMAP_INDEX, self.parse_sitemap)

    def parse_sitemap(self, response: Response, source: str, depth: int) -> Iterable[Request]:
        page = SitemapPage(response.body) if response.status == 200 else None
        if page is None or not page.is_sitemap:
            why = f"HTTP {response.status}" if response.status != 200 else "not a sitemap"
            self.source_missing(source, response.url, why)
            return
        self.inc(stats.SOURCE_READ(source=source))
        if page.is_index:
            entries = page.entries()
            self.count_skipped(source, response.url, page.skipped)
            yield from self._sitemap_children(response.url, source, depth, entries)
            return
        if source == Source.SITEMAP_INDEX:  # robots.txt pointed straight at a urlset
            source = Source.SITEMAP
        yield from self.streamed_requests(source, response.url, page, "no entries")

    def _sitemap_children(self, url: str, source: str, depth: int, entries: list[Entry]) -> Iterable[Request]:
        if depth >= _MAX_SITEMAP_DEPTH:
            logger.warning("Sitemap index %s is nested too deep; not followed", url)
            return
        if source != Source.SITEMAP_INDEX:  # an index of a source's pages (e.g. article sitemap by month)
            for entry in entries:
                if entry.modified and not in_range(entry.modified, self.since_day, None):
                    self.inc(stats.SOURCE_DROPPED(source=source, reason="sitemap_before_since"))
                    continue
                child = self.site.rebased(entry.url)
                if not self.offsite(child, source):
                    yield self.source_request(child, source, self.parse_sitemap, depth + 1)
            return
        language = self.site.language
        ours: dict[str, list[str]] = {Source.NEWS_SITEMAP: [], Source.SITEMAP: []}
        for entry in entries:
            child = self.site.rebased(entry.url)
            path = urlsplit(child).path
            if not path.startswith(f"/{language}/") or self.offsite(child, source):
                continue
            ours[Source.NEWS_SITEMAP if "news" in path else Source.SITEMAP].append(child)
        for kind, found in ours.items():
            if kind not in self.sources:
                continue
            if not found:
                # DW's index did not list one: try the name the other editions use (unverified for /sw/).
                name = NEWS_SITEMAP_NAME if kind == Source.NEWS_SITEMAP else ARTICLE_SITEMAP_NAME
                found = [self.site.sitemap_url(name)]
                logger.info("Sitemap index %s lists no /%s/ %s; trying %s", url, language, kind, found[0])
            for child in found:
                yield self.source_request(child, kind, self.parse_sitemap, depth + 1)

    def parse_feed(self, response: Response) -> Iterable[Request]:
        page = FeedPage(response.body) if response.status == 200 else None
        if page is None or not page.is_feed:
            why = f"HTTP {response.status}" if response.status != 200 else "not a feed"
            self.source_missing(Source.FEED, response.url, why)
            return
        self.inc(stats.SOURCE_READ(source=Source.FEED))
        yield from self.streamed_requests(Source.FEED, response.url, page, "no items")

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
            self.inc(stats.SOURCE_DROPPED(source=source, reason=why), count)
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
                self.inc(stats.SOURCE_DROPPED(source=source, reason="bad_entry"))
                logger.warning("Bad %s entry %r: %s: %s", source, entry.url[:200], type(error).__name__, error)
                continue
            if request is not None:
                yield request

    def _article_request(self, source: str, entry: Entry) -> Request | None:
        url = urls.strip_tracking(self.site.rebased(entry.url))
        content_id = urls.article_id(url, language=self.site.language)
        if content_id is None:
            self.inc(stats.SOURCE_DROPPED(source=source, reason="not_an_article"))
            return None
        if self.offsite(url, source):  # never claimed, never recorded: it is not this site's
            self.inc(stats.SOURCE_DROPPED(source=source, reason="offsite"))
            return None
        self.inc(stats.SOURCE_FOUND(source=source))
        reason = self._out_of_range(entry)
        if reason:
            self.inc(stats.SOURCE_DROPPED(source=source, reason=reason))
            return None
        if content_id in self.seen_ids:
            self.inc(stats.SOURCE_DUPLICATE(source=source))
            if source == Source.SECTIONS:
                self.inc(stats.LISTING_ALREADY_REQUESTED.key)
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

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article | Skip]:
        """A politics article as an item; a :class:`Skip` saying why not otherwise.

        A page not readable as an article (broken or changed markup) is neither politics nor not:
        its item goes on, the required-fields pipeline drops it with its reason, and a later run
        tries again.
        """
        source = str(response.meta.get(Meta.SOURCE, Source.SECTIONS))
        page = self.read_article(response)
        if isinstance(page, Skip):
            yield page
            return
        readable = bool(page.title and page.body.paragraphs)
        if readable and not page.is_politics(self.politics):
            self.inc(stats.POLITICS_DROPPED(reason="not_politics"))
            self.inc(stats.SOURCE_DROPPED(source=source, reason="not_politics"))
            yield self.skip(response, Verdict.NOT_POLITICS, "not_politics", rule=self.politics.key)
            return
        reason = self._published_out_of_range(page.published) if readable else None
        if reason:
            self.inc(stats.POLITICS_DROPPED(reason=reason))
            self.inc(stats.SOURCE_DROPPED(source=source, reason=reason))
            yield self.skip(response, Verdict.OUT_OF_RANGE, reason)  # a run with other bounds may want it
            return
        item = self.build_item(page)
        if item is None:
            return
        if readable:
            self.inc(stats.POLITICS_KEPT.key)
            self.inc(stats.SOURCE_KEPT(source=source))
        yield item

    def _published_out_of_range(self, published: str | None) -> str | None:
        if published is None:
            if self.since_date or self.until_date:
                self.inc(stats.POLITICS_UNKNOWN_DATE.key)
            return None
        if not in_range(published, self.since_day, None):
            return "before_since"
        if not in_range(published, None, self.until_day):
            return "after_until"
        return None
