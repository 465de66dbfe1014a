"""``scrapy site-check``: every assumption dwnews makes about DW's Kiswahili site, checked in one run.

dw.com could not be reached where dwnews was built, so what it knows of ``/sw/`` comes from other
editions' real pages (see tests/site/README.md). The first person with a network runs this: a
dozen polite requests (home page, robots.txt, sitemap index, news sitemap, feed, a section or three and
three articles it found), one line per assumption, ``ok`` or ``FAIL`` with the evidence, and at the
end the settings to change for each failure. Exit 0 when all hold, 3 when any fails.

:class:`SiteCheckSpider` gathers the evidence (it uses the crawl's own page objects, so what it
reads is what a crawl reads); :func:`report` turns it into lines. Nothing is exported and the
ledger is not touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from dwnews.core import stats, urls
from dwnews.core.encoding import decode_html
from dwnews.core.keys import Meta, PageType
from dwnews.core.site import NEWS_SITEMAP_NAME, PoliticsRule
from dwnews.core.text import is_kiswahili
from dwnews.crawl.failures import FailureTracker, failure_reason
from dwnews.pages.article import ArticlePage
from dwnews.pages.feeds import FeedPage, SitemapPage
from dwnews.pages.listing import ListingPage
from dwnews.pages.robots import RobotsPage
from dwnews.spiders.base import DwSpider

logger = logging.getLogger(__name__)

SAMPLES = 3
#: sections read, one after the other, until one links articles
SECTIONS_TRIED = 3
#: candidate article links tried for the samples (a dead link is replaced by the next one)
_CANDIDATES = 6


@dataclass
class Check:
    """One assumption: whether it holds, the evidence, and the settings to change when it does not."""

    name: str
    ok: bool
    evidence: str
    settings: tuple[str, ...] = ()
    advice: str = "report it: DW's markup or layout may have changed"


@dataclass
class Evidence:
    """What the site-check requests found; checks are made from it at the end."""

    home: str = ""
    home_status: str = "not fetched"
    sections: list[str] = field(default_factory=list)
    section: str = ""
    sections_tried: list[str] = field(default_factory=list)
    section_status: str = "not fetched"
    listing_article_links: dict[str, int] = field(default_factory=dict)  # page -> article links
    other_sw_links: int = 0
    robots_status: str = "not fetched"
    robots_sitemaps: list[str] = field(default_factory=list)
    index_status: str = "not fetched"
    sw_sitemaps: list[str] = field(default_factory=list)
    news: str = ""
    news_status: str = "not fetched"
    news_entries: int = 0
    feed: str = ""
    feeds_named: list[str] = field(default_factory=list)  # <link rel="alternate"> feeds of the home page
    feed_status: str = "not fetched"
    feed_entries: int = 0
    politics_on_listings: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    failed_samples: list[str] = field(default_factory=list)
    unreachable: str = ""


class SiteCheckSpider(DwSpider):
    """Fetches what the checks need; see the module docstring. Not a crawl spider (not listed)."""

    name = "site-check"
    exports = False  # a report, no records
    custom_settings = {  # noqa: RUF012 -- Scrapy's own attribute
        "DWNEWS_INCREMENTAL": False,
        "DWNEWS_DEFAULT_FEED": "",
        "DWNEWS_CONDITIONAL_REQUESTS": False,
        "DWNEWS_HEALTH_CHECKS": False,
        "DWNEWS_SUMMARY": False,
        "RETRY_TIMES": 1,
    }

    def check_arguments(self) -> None:
        self.evidence = Evidence()
        self.politics = self.config.politics
        feeds = self.site.feeds
        self.evidence.feed = feeds[0] if feeds else ""
        self.samples_asked = 0
        self.sections_to_try: list[str] = []

    # ----- requests ------------------------------------------------------------------------

    def _request(self, url: str, callback: Any, what: str, **meta: Any) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.on_check_failure,
            meta={Meta.PAGE: PageType.SOURCE, Meta.CHECK: what, "handle_httpstatus_all": True, **meta},
            dont_filter=True,
        )

    def initial_requests(self) -> Iterable[Request]:
        self.evidence.home = self.site.home_url
        yield self._request(self.evidence.home, self.parse_home, "home")
        yield self._request(self.site.robots_url, self.parse_robots, "robots")
        if self.evidence.feed:
            yield self._request(self.evidence.feed, self.parse_feed, "feed")

    def on_check_failure(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        what = request.meta.get(Meta.CHECK, "")
        reason = failure_reason(failure.value)
        status = f"failed ({reason})"
        if what == "sample":
            self.evidence.failed_samples.append(f"{request.url}: {reason}")
            yield from self._next_sample()
            return
        setattr(self.evidence, f"{what}_status", status)
        tracker = self.crawler.get_extension(FailureTracker)
        if tracker is not None:  # nothing answered yet and a network failure: the site cannot be reached
            tracker.unreachable(str(request.url), reason, failure.value)
        if what == "section":
            yield from self._next_section()

    @staticmethod
    def _status(response: Response) -> str:
        return f"HTTP {response.status}"

    def parse_home(self, response: Response) -> Iterable[Request]:
        self.evidence.home_status = self._status(response)
        if response.status != 200 or not isinstance(response, TextResponse):
            return
        links = self._listing(response, "home page")
        for href in response.xpath('//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "rdf")]/@href'):
            self.evidence.feeds_named.append(response.urljoin(href.get()))
        self.evidence.sections = list(links.sections)
        self._add_candidates(links.articles.values())
        # the sections the crawl follows (media sections are not among them); the home page is a
        # section too, and its own navigation links it
        self.sections_to_try = [url for url in links.sections if urlsplit(url).path != urlsplit(response.url).path]
        yield from self._next_section()

    def _next_section(self) -> Iterable[Request]:
        """The next section to read, while none has linked an article yet (at most SECTIONS_TRIED)."""
        if self.sections_to_try and len(self.evidence.sections_tried) < SECTIONS_TRIED:
            self.evidence.section = self.sections_to_try.pop(0)
            self.evidence.sections_tried.append(self.evidence.section)
            yield self._request(self.evidence.section, self.parse_section, "section")
        else:
            yield from self._next_sample()

    def parse_section(self, response: Response) -> Iterable[Request]:
        self.evidence.section_status = self._status(response)
        if response.status == 200 and isinstance(response, TextResponse):
            links = self._listing(response, "section")
            self._add_candidates(links.articles.values())
            if links.articles:
                yield from self._next_sample()
                return
        yield from self._next_section()  # it links no article: the next one

    def _listing(self, response: TextResponse, what: str) -> Any:
        html, _ = decode_html(response.body, response.encoding)
        page = ListingPage(response.url, html, self.site.base_url, self.site.language)
        links = page.links()
        self.evidence.listing_article_links[what] = len(links.articles)
        self.evidence.other_sw_links += sum(links.skipped.values())
        lowered = html.lower()
        if self.politics.category_id in html or any(f">{label}<" in lowered for label in self.politics.folded_labels):
            self.evidence.politics_on_listings.append(what)
        return links

    def parse_robots(self, response: Response) -> Iterable[Request]:
        self.evidence.robots_status = self._status(response)
        text = response.text if response.status == 200 and isinstance(response, TextResponse) else ""
        self.evidence.robots_sitemaps = RobotsPage(text).sitemaps()
        index = self.site.rebased(self.evidence.robots_sitemaps[0]) if self.evidence.robots_sitemaps else ""
        if index and not self.offsite(index, "robots"):
            yield self._request(index, self.parse_index, "index")
        else:
            yield self._news_request(self.site.sitemap_url(NEWS_SITEMAP_NAME))

    def parse_index(self, response: Response) -> Iterable[Request]:
        self.evidence.index_status = self._status(response)
        page = SitemapPage(response.body) if response.status == 200 else None
        if page is not None and page.is_index:
            for entry in page.entries():
                child = self.site.rebased(entry.url)
                if urlsplit(child).path.startswith(f"/{self.site.language}/"):
                    self.evidence.sw_sitemaps.append(entry.url)
        news = [u for u in self.evidence.sw_sitemaps if "news" in urlsplit(u).path]
        target = self.site.rebased(news[0]) if news else self.site.sitemap_url(NEWS_SITEMAP_NAME)
        yield self._news_request(target)

    def _news_request(self, url: str) -> Request:
        self.evidence.news = url
        return self._request(url, self.parse_news, "news")

    def parse_news(self, response: Response) -> Iterable[Request]:
        self.evidence.news_status = self._status(response)
        page = SitemapPage(response.body) if response.status == 200 else None
        if page is not None and page.is_sitemap and not page.is_index:
            entries = page.entries()
            self.evidence.news_entries = len(entries)
            self._add_candidates(e.url for e in entries)
        yield from self._next_sample()

    def parse_feed(self, response: Response) -> Iterable[Request]:
        self.evidence.feed_status = self._status(response)
        page = FeedPage(response.body) if response.status == 200 else None
        if page is not None and page.is_feed:
            entries = page.entries()
            self.evidence.feed_entries = len(entries)
            self._add_candidates(e.url for e in entries)
        yield from self._next_sample()

    # ----- samples -------------------------------------------------------------------------

    def _add_candidates(self, links: Iterable[str]) -> None:
        for link in links:
            url = urls.strip_tracking(self.site.rebased(link))
            if urls.article_id(url, self.site.language) is not None and url not in self.evidence.candidates:
                self.evidence.candidates.append(url)

    def _next_sample(self) -> Iterable[Request]:
        """The next article to sample, while fewer than SAMPLES were read and candidates remain."""
        done = len(self.evidence.samples) + self.samples_in_flight()
        if done >= SAMPLES or self.samples_asked >= min(len(self.evidence.candidates), _CANDIDATES):
            return
        for url in self.evidence.candidates[self.samples_asked : self.samples_asked + SAMPLES - done]:
            self.samples_asked += 1
            yield self._request(url, self.parse_sample, "sample", dwnews_sampled=True)

    def samples_in_flight(self) -> int:
        return self.samples_asked - len(self.evidence.samples) - len(self.evidence.failed_samples)

    def parse_sample(self, response: Response) -> Iterable[Request]:
        if response.status != 200 or not isinstance(response, TextResponse):
            self.evidence.failed_samples.append(f"{response.url}: HTTP {response.status}")
            yield from self._next_sample()
            return
        html, _ = decode_html(response.body, response.encoding)
        page = ArticlePage(response.url, html)
        record = page.record()
        opening, read = " ".join(page.body.paragraphs[:3]), self.config["DWNEWS_LANGID_MAX_CHARS"]
        if len(opening) > read:
            self.inc(stats.BOUND(what="langid_text"))
        self.evidence.samples.append(
            {
                "url": response.url,
                "content_id": page.content_id,
                "short_id": record["short_id"],
                "page_short_id": page.page_short_id,
                "embedded": ", ".join(name for name, data in (("JSON-LD", page.jsonld), ("state", page.state)) if data),
                "title": bool(record["title"]),
                "body": len(page.body.paragraphs),
                "published": record["published"],
                "layout": page.layout,
                "politics": page.is_politics(self.politics),
                "category_id": record["category_id"],
                "category": record["category"],
                "language": record["language"],
                # what the text itself is, by a language identifier (not what the page declares)
                "body_kiswahili": is_kiswahili(opening, read) if page.body.paragraphs else None,
            }
        )
        yield from self._next_sample()


def _fetched(status: str) -> bool:
    return status == "HTTP 200"


def checks(evidence: Evidence, language: str, politics: PoliticsRule) -> list[Check]:
    """The assumptions, judged from what the site-check found."""
    found: list[Check] = []
    e = evidence
    found.append(
        Check("home page answers", _fetched(e.home_status), f"{e.home} -> {e.home_status}", ("DWNEWS_HOME_PATH",))
    )
    found.append(
        Check(
            "sections are discovered",
            bool(e.sections),
            f"{len(e.sections)} /{language}/ section links on the home page"
            + (f" (e.g. {e.section or e.sections[0]})" if e.sections else ""),
            ("DWNEWS_HOME_PATH",),
        )
    )
    found.append(
        Check(
            "a section page answers and links articles",
            _fetched(e.section_status) and e.listing_article_links.get("section", 0) > 0,
            f"{e.section or 'no section'} -> {e.section_status}, "
            f"{e.listing_article_links.get('section', 0)} article links"
            + (f" (sections read: {len(e.sections_tried)})" if len(e.sections_tried) > 1 else ""),
            ("DWNEWS_HOME_PATH",),
        )
    )
    found.append(
        Check(
            "robots.txt names sitemaps",
            bool(e.robots_sitemaps),
            f"robots.txt -> {e.robots_status}; Sitemap: {', '.join(e.robots_sitemaps) or 'none'}",
            advice="nothing to set: a crawl then tries /sitemap.xml",
        )
    )
    found.append(
        Check(
            f"the sitemap index lists /{language}/ sitemaps",
            bool(e.sw_sitemaps),
            f"index -> {e.index_status}; /{language}/: {', '.join(e.sw_sitemaps) or 'none'}",
            advice=f"nothing to set if the news sitemap exists: a crawl then tries /{language}/news-sitemap.xml",
        )
    )
    found.append(
        Check(
            "the news sitemap exists",
            _fetched(e.news_status) and e.news_entries > 0,
            f"{e.news} -> {e.news_status}, {e.news_entries} entries",
            advice="crawl without it: DWNEWS_SOURCES (or -a source=sections,feed)",
        )
    )
    found.append(
        Check(
            "the feed exists",
            _fetched(e.feed_status) and e.feed_entries > 0,
            f"{e.feed or 'no DWNEWS_FEED_URLS'} -> {e.feed_status}, {e.feed_entries} items; "
            f"feeds the home page names: {', '.join(e.feeds_named) or 'none'}",
            ("DWNEWS_FEED_URLS",),
        )
    )
    listing_links = sum(e.listing_article_links.values())
    found.append(
        Check(
            f"article links have the form /{language}/<slug>/a-<id>",
            listing_links > 0,
            f"{listing_links} such links on {len(e.listing_article_links)} listing pages, "
            f"{e.other_sw_links} other /{language}/ links",
            ("DWNEWS_HOME_PATH",),
        )
    )
    samples = e.samples
    failed = f"; failed: {'; '.join(e.failed_samples)}" if e.failed_samples else ""
    found.append(
        Check(
            f"{SAMPLES} sample articles were read",
            len(samples) >= SAMPLES,
            f"{len(samples)} of {len(e.candidates)} article links found{failed}",
        )
    )
    for n, sample in enumerate(samples, 1):
        problems = []
        if sample["page_short_id"] is None:
            problems.append("no short link on the page")
        elif sample["page_short_id"] != sample["short_id"]:
            problems.append(
                f"short link p/{sample['page_short_id']} but content id {sample['content_id']} "
                f"gives p/{sample['short_id']}"
            )
        if not sample["title"]:
            problems.append("no title")
        if not sample["body"]:
            problems.append("no body")
        if not sample["published"]:
            problems.append("no date")
        what = (
            f"{sample['url']}: {sample['layout']} layout, "
            f"{sample['embedded'] or 'no JSON-LD or state (DOM and meta)'}, "
            f"{sample['body']} paragraphs, published {sample['published']}, language {sample['language']}"
        )
        found.append(
            Check(
                f"sample {n} reads as an article", not problems, what + ("; " + "; ".join(problems) if problems else "")
            )
        )
    on_samples = [s for s in samples if s["politics"]]
    categories = ", ".join(sorted({f"{s['category']} {s['category_id']}" for s in samples})) or "none"
    found.append(
        Check(
            f"the politics category ({politics.category_id}) or label ({', '.join(politics.folded_labels)}) appears",
            bool(on_samples or e.politics_on_listings),
            f"on {len(on_samples)} of {len(samples)} samples (categories: {categories}); "
            f"on listing pages: {', '.join(e.politics_on_listings) or 'none'}",
            ("DWNEWS_POLITICS_CATEGORY_ID", "DWNEWS_POLITICS_LABELS"),
        )
    )
    languages = sorted({str(s["language"]) for s in samples})
    read_as = sum(1 for s in samples if s["body_kiswahili"])
    found.append(
        Check(
            f"the sample articles are in {language}",
            bool(samples) and languages == [language] and (language != "sw" or read_as == len(samples)),
            f"declared (page lang, JSON-LD inLanguage, URL): {', '.join(languages) or 'none'}; "
            f"bodies a language identifier reads as Kiswahili: {read_as} of {len(samples)}",
            ("DWNEWS_LANGUAGE",),
        )
    )
    return found


def report(evidence: Evidence, base_url: str, language: str, politics: PoliticsRule) -> tuple[list[str], bool]:
    """The lines to print and whether every assumption holds."""
    if evidence.unreachable:
        return [
            f"dwnews: site-check: cannot reach {evidence.unreachable} (check the network, a proxy, or DWNEWS_BASE_URL)"
        ], False
    found = checks(evidence, language, politics)
    lines = [f"{'ok  ' if c.ok else 'FAIL'}  {c.name}: {c.evidence}" for c in found]
    failed = [c for c in found if not c.ok]
    if not failed:
        lines.append(f"dwnews: site-check: all {len(found)} assumptions hold for {base_url}")
        return lines, True
    advice = []
    for c in failed:
        advice.append(f"{c.name} -> {', '.join(c.settings) if c.settings else c.advice}")
    lines.append(f"dwnews: site-check: {len(failed)} of {len(found)} assumptions fail; change: " + "; ".join(advice))
    return lines, False
