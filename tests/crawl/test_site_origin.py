"""One origin check for every request, and sitemaps read as a stream: in-process, on real mirror files.

The end-to-end version (a hostile mirror, another port, real crawls) is tests/test_network_edge.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from dwnews.core import urls
from dwnews.crawl import incremental
from dwnews.crawl.origin import SiteOriginMiddleware
from dwnews.pages.feeds import MAX_ENTRIES, FeedPage, SitemapPage
from dwnews.spiders.politics import PoliticsSpider
from tests.helpers import BASE, SITE, make_crawler, stat

ARTICLE_SITEMAP = SITE / "sw" / "article-sitemap-2024.xml"
RDF_FEED = SITE / "rdf" / "rss-kis-all"


@pytest.mark.parametrize(
    ("url", "on_site"),
    [
        (f"{BASE}/sw/x/a-1", True),
        ("http://127.0.0.1:8999/sw/x/a-1?maca=x#top", True),
        ("HTTP://127.0.0.1:8999/sw/x/a-1", True),
        ("http://127.0.0.1:8998/sw/x/a-1", False),  # another port of the same host
        ("https://127.0.0.1:8999/sw/x/a-1", False),  # another scheme on the same port
        ("ftp://127.0.0.1:8999/sw/x/a-1", False),
        ("http://127.0.0.2:8999/sw/x/a-1", False),
        ("http://localhost:8999/sw/x/a-1", False),
        ("javascript:alert(1)", False),
        ("/sw/x/a-1", False),  # a request's URL is absolute; relative links are joined first
        ("http://[::1/sw", False),
    ],
)
def test_origin_is_scheme_host_and_port(url: str, on_site: bool) -> None:
    assert urls.on_site(url, urls.site_origins(BASE)) is on_site


def test_the_real_site_also_allows_dws_feed_and_short_link_hosts_but_not_image_hosts() -> None:
    origins = urls.site_origins("https://www.dw.com")
    assert urls.on_site("https://www.dw.com/sw/x/a-1", origins)
    assert urls.on_site("https://rss.dw.com/rdf/rss-kis-all", origins)
    assert urls.on_site("https://p.dw.com/p/4WK2B", origins)
    assert not urls.on_site("http://www.dw.com/sw/x/a-1", origins)
    assert not urls.on_site("https://static.dw.com/image/1_6.jpg", origins)
    assert not urls.on_site("https://www.dw.com:8443/sw/x/a-1", origins)
    # a mirror allows only itself, even rss.dw.com (its links are moved onto the mirror first)
    assert urls.site_origins(BASE) == {("http", "127.0.0.1", 8999)}


def test_dw_page_links_move_onto_the_site_but_other_schemes_do_not() -> None:
    assert urls.rebase("http://www.dw.com/sw/x/a-1", "https://www.dw.com") == "https://www.dw.com/sw/x/a-1"
    assert urls.rebase("https://m.dw.com/sw/x/a-1", BASE) == f"{BASE}/sw/x/a-1"
    assert urls.rebase("ftp://www.dw.com/sw/x/a-1", BASE) == "ftp://www.dw.com/sw/x/a-1"
    assert urls.rebase("https://rss.dw.com/rdf/x", "https://www.dw.com") == "https://rss.dw.com/rdf/x"


def _middleware(tmp_path: Path, **settings: str) -> tuple[SiteOriginMiddleware, PoliticsSpider]:
    crawler, spider, _ = make_crawler(tmp_path, **settings)
    return SiteOriginMiddleware.from_crawler(crawler), spider


def test_every_request_is_checked_and_a_refusal_is_counted_by_source(tmp_path: Path) -> None:
    middleware, spider = _middleware(tmp_path)
    assert middleware.process_request(Request(f"{BASE}/robots.txt")) is None
    sitemap_entry = Request("http://127.0.0.1:9000/sw/x/a-1", meta={"dwnews_source": "sitemap"})
    with pytest.raises(IgnoreRequest, match="offsite"):
        middleware.process_request(sitemap_entry)
    redirected = Request("https://127.0.0.1:8999/sw/x/a-2", meta={"redirect_urls": [f"{BASE}/sw/x/a-2"]})
    with pytest.raises(IgnoreRequest, match="offsite"):
        middleware.process_request(redirected)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://user:S3cret@127.0.0.2/x", meta={"dwnews_page": "robots"}))
    crawler = spider.crawler
    assert stat(crawler, "dwnews/offsite/sitemap") == 1
    assert stat(crawler, "dwnews/offsite/redirect") == 1
    assert stat(crawler, "dwnews/offsite/robots") == 1


def test_a_splash_request_is_judged_by_its_page_and_goes_only_to_splash(tmp_path: Path) -> None:
    middleware, _ = _middleware(tmp_path, SPLASH_URL="http://127.0.0.1:8050")
    page = {"args": {"url": f"{BASE}/sw/x/s-1"}}
    assert middleware.process_request(Request(f"{BASE}/sw/x/s-1", meta={"splash": page})) is None
    rendered = {"splash": page, "_splash_processed": True}
    assert middleware.process_request(Request("http://127.0.0.1:8050/render.html", meta=rendered)) is None
    with pytest.raises(IgnoreRequest):  # Splash asked to render another site
        middleware.process_request(Request(f"{BASE}/sw/x/s-1", meta={"splash": {"args": {"url": "http://127.0.0.2/"}}}))
    with pytest.raises(IgnoreRequest):  # a processed Splash request that does not go to Splash
        middleware.process_request(Request("http://127.0.0.2:8050/render.html", meta=rendered))


def _big_sitemap(count: int) -> bytes:
    """The real article sitemap's first <url> entry repeated with ``count`` distinct ids."""
    text = ARTICLE_SITEMAP.read_text("utf-8")
    entry = re.search(r"<url>.*?</url>", text, re.S)
    assert entry is not None
    template = re.sub(r"a-\d+", "a-{id}", entry.group(0))
    body = "".join(template.replace("{id}", str(70_000_000 + n)) for n in range(count))
    return (text[: entry.start()] + body + text[text.rindex("</urlset>") :]).encode("utf-8")


def test_a_sitemap_gives_at_most_the_standards_50000_urls_and_counts_the_rest() -> None:
    page = SitemapPage(_big_sitemap(MAX_ENTRIES + 7))
    entries = list(page.iter_entries())
    assert len(entries) == MAX_ENTRIES
    assert page.skipped["over_limit"] == 7
    assert entries[0].url.endswith("/a-70000000") and entries[-1].url.endswith(f"/a-{70_000_000 + MAX_ENTRIES - 1}")


def test_streamed_entries_are_the_same_as_the_whole_documents() -> None:
    import lxml.etree

    for data in (ARTICLE_SITEMAP.read_bytes(), (SITE / "sw" / "news-sitemap.xml").read_bytes()):
        locs = [e.text.strip() for e in lxml.etree.fromstring(data).iter("{*}loc")]
        assert [e.url for e in SitemapPage(data).entries()] == locs
    feed = FeedPage(RDF_FEED.read_bytes())
    assert [e.url for e in feed.entries()] == re.findall(
        r"<link>([^<]*/a-\d+[^<]*)</link>", RDF_FEED.read_text("utf-8")
    )


def test_requests_of_a_big_sitemap_come_out_while_it_is_still_read(tmp_path: Path) -> None:
    """The first claimed requests leave the middleware long before the sitemap's last entry is read,
    and claims go to the ledger in batches, not in one transaction at the end."""
    crawler, spider, middleware = make_crawler(tmp_path)
    count = 3 * incremental.CLAIM_BATCH + 10
    url = f"{BASE}/sw/article-sitemap-2024.xml"
    response = Response(url, body=_big_sitemap(count), request=Request(url))
    read = 0
    real_iter = SitemapPage.iter_entries

    def counting(self: SitemapPage, limit: int = MAX_ENTRIES):  # type: ignore[no-untyped-def]
        nonlocal read
        for entry in real_iter(self, limit):
            read += 1
            yield entry

    SitemapPage.iter_entries = counting  # type: ignore[method-assign]
    try:
        output = middleware.process_spider_output(response, spider.parse_sitemap(response, "sitemap", 1), spider)
        first = next(r for r in output if isinstance(r, Request))
        read_at_first = read
        rest = [r for r in output if isinstance(r, Request)]
    finally:
        SitemapPage.iter_entries = real_iter  # type: ignore[method-assign]
    assert first.meta["dwnews_page"] == "article"
    assert read_at_first <= incremental.CLAIM_BATCH + 1 < count
    assert len(rest) + 1 == count
    assert stat(crawler, "dwnews/source/sitemap/new") == count
