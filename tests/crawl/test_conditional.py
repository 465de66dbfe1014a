"""Conditional requests: a run with nothing new costs 304s, not bodies; a changed page comes in full.

End to end: real `scrapy crawl` runs against the mirror, which answers If-None-Match /
If-Modified-Since as DW's CDN does. The store's edge cases are tested in-process.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response

from dwnews.crawl.conditional import ConditionalRequestMiddleware
from dwnews.mirror import LoggedRequest, MirrorServer, SyntheticSite
from dwnews.store.pages import DB_NAME, PageStore
from tests.helpers import BASE, SITE, make_crawler, run_crawl, stat

ALL_SOURCES = ("-a", "source=all", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")
ARTICLE_RE = re.compile(r"/a-\d+")


def pages_of(requests: list[LoggedRequest]) -> list[LoggedRequest]:
    """The listing, sitemap, feed and robots.txt requests (everything but article pages)."""
    return [r for r in requests if not ARTICLE_RE.search(r.path)]


@pytest.mark.e2e
def test_nothing_new_costs_304s_and_new_articles_come_through_changed_pages(tmp_path: Path) -> None:
    site = SyntheticSite(SITE, articles=60, sections=4)
    state = tmp_path / "state"
    with MirrorServer(SITE, synthetic=site) as server:
        first = run_crawl(server.base_url, "politics", tmp_path / "1", *ALL_SOURCES, state_dir=state)
        first_requests = list(server.requests)
        second = run_crawl(server.base_url, "politics", tmp_path / "2", *ALL_SOURCES, state_dir=state)
        second_requests = server.requests[len(first_requests) :]
        site.count += 10  # ten new articles: the sections, the sitemaps and the feed change
        third = run_crawl(server.base_url, "politics", tmp_path / "3", *ALL_SOURCES, state_dir=state)
        third_requests = server.requests[len(first_requests) + len(second_requests) :]

    assert first.returncode == 0, first.log[-3000:]
    assert (state / DB_NAME).exists()
    first_bytes = sum(r.sent for r in pages_of(first_requests) if r.status == 200)

    # Nothing new: every page answered 304 from its validators, no article downloaded, the
    # stored pages read again (their links judged against the ledger, all known).
    assert second.returncode == 0, second.log[-3000:]
    assert second.items == []
    assert pages_of(second_requests) and {r.status for r in pages_of(second_requests)} == {304}
    assert not [r for r in second_requests if ARTICLE_RE.search(r.path)]
    second_bytes = sum(r.sent for r in second_requests)
    assert second_bytes < 0.05 * first_bytes, (second_bytes, first_bytes)
    assert second.stat("dwnews/conditional/sent") == len(pages_of(second_requests))
    assert second.stat("dwnews/conditional/not_modified/source") >= 3  # index, sitemaps, feed
    assert second.stat("dwnews/source/sitemap/found") == 60, "the stored sitemap's links were read"

    # Ten new articles: the changed pages come in full, the unchanged home page as a 304.
    assert third.returncode == 0, third.log[-3000:]
    new_ids = set(range(site.first_id + 60, site.first_id + 70))
    exported = {item["content_id"] for item in third.items}
    assert exported <= new_ids and len(exported) + third.stat("dwnews/politics/dropped/not_politics") == 10
    changed = [r for r in pages_of(third_requests) if r.status == 200]
    assert any("article-sitemap" in r.path for r in changed) and any("/s-9" in r.path for r in changed)
    assert any(r.status == 304 and "s-11588" in r.path for r in third_requests), "the home page did not change"
    assert third.stat("dwnews/conditional/modified") == len(changed)
    assert len([r for r in third_requests if ARTICLE_RE.search(r.path)]) == 10


def _response(url: str, status: int, body: bytes = b"", **headers: str) -> Response:
    return Response(url, status=status, body=body, headers=headers, request=Request(url))


def test_a_304_for_a_page_the_store_no_longer_has_is_fetched_in_full(tmp_path: Path) -> None:
    crawler, _, _ = make_crawler(tmp_path)
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    url = f"{BASE}/sw/news-sitemap.xml"
    request = Request(url, meta={"dwnews_page": "source"})
    assert middleware.process_request(request) is None and b"If-None-Match" not in request.headers
    stored = middleware.process_response(request, _response(url, 200, b"<urlset/>", ETag='"v1"'))
    assert isinstance(stored, Response) and stored.body == b"<urlset/>"

    again = Request(url, meta={"dwnews_page": "source"})
    middleware.process_request(again)
    assert again.headers[b"If-None-Match"] == b'"v1"'
    PageStore(tmp_path / "state" / DB_NAME).delete(url)  # the state moved or was cleaned meanwhile
    refetch = middleware.process_response(again, _response(url, 304))
    assert isinstance(refetch, Request) and b"If-None-Match" not in refetch.headers and refetch.dont_filter
    assert stat(crawler, "dwnews/conditional/refetched") == 1


def test_only_pages_with_validators_are_kept_and_articles_never(tmp_path: Path) -> None:
    crawler, _, _ = make_crawler(tmp_path)
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    article = Request(f"{BASE}/sw/x/a-1", meta={"dwnews_page": "article"})
    middleware.process_response(article, _response(article.url, 200, b"<html/>", ETag='"a"'))
    plain = Request(f"{BASE}/sw/x/s-1", meta={"dwnews_page": "listing"})
    middleware.process_response(plain, _response(plain.url, 200, b"<html/>"))
    hostile = Request(f"{BASE}/sw/x/s-2", meta={"dwnews_page": "listing"})
    middleware.process_response(hostile, _response(hostile.url, 200, b"<html/>", ETag='"a"\r\nX-Evil: 1'))
    store = PageStore(tmp_path / "state" / DB_NAME)
    assert store.get(article.url) is None and store.get(plain.url) is None
    assert store.get(hostile.url) is None, "a validator with control characters is never sent back"
    # a 5xx is passed on (the health checks see it), never answered from the store
    listing = Request(f"{BASE}/sw/x/s-3", meta={"dwnews_page": "listing"})
    middleware.process_response(listing, _response(listing.url, 200, b"<html>1</html>", ETag='"3"'))
    retried = Request(listing.url, meta={"dwnews_page": "listing"})
    middleware.process_request(retried)
    assert middleware.process_response(retried, _response(listing.url, 503)).status == 503


def test_a_corrupt_store_turns_conditional_requests_off_and_loses_nothing(tmp_path: Path) -> None:
    crawler, _, _ = make_crawler(tmp_path)
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / DB_NAME).write_bytes(b"this is not a database\n" * 100)  # a damaged file
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    url = f"{BASE}/sw/news-sitemap.xml"
    request = Request(url, meta={"dwnews_page": "source"})
    assert middleware.process_request(request) is None
    assert b"If-None-Match" not in request.headers, "nothing is asked conditionally from a store that cannot be read"
    answer = _response(url, 200, b"<urlset/>", ETag='"v1"')
    assert middleware.process_response(request, answer) is answer, "the page goes to the spider as it came"
    assert stat(crawler, "dwnews/conditional/store_error") == 1, "counted once, not per page"
    assert middleware.broken


def test_a_damaged_row_costs_its_own_page_a_full_fetch_and_nothing_else(tmp_path: Path) -> None:
    crawler, _, _ = make_crawler(tmp_path)
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    urls = [f"{BASE}/sw/news-sitemap.xml", f"{BASE}/sw/idhaa-ya-kiswahili/s-11588"]
    for url in urls:
        middleware.process_response(
            Request(url, meta={"dwnews_page": "source"}), _response(url, 200, b"<x/>", ETag='"1"')
        )
    damaged = PageStore(tmp_path / "state" / DB_NAME)
    damaged.db.execute("UPDATE pages SET headers = '{\"a\": [' WHERE url = ?", (urls[0],))  # cut short
    damaged.close()

    first, second = (Request(url, meta={"dwnews_page": "source"}) for url in urls)
    middleware.process_request(first)
    middleware.process_request(second)
    assert b"If-None-Match" not in first.headers, "the damaged row is no page: fetched in full"
    assert second.headers[b"If-None-Match"] == b'"1"', "its neighbour is still asked conditionally"
    stored = middleware.process_response(second, _response(urls[1], 304))
    assert isinstance(stored, Response) and stored.status == 200 and stored.body == b"<x/>"
    assert not middleware.broken and stat(crawler, "dwnews/conditional/store_error") == 0


def test_the_page_store_keeps_only_pages_recent_runs_fetched(tmp_path: Path) -> None:
    """A home page whose section links change every run grew pages.sqlite3 without end (3,001 ->
    6,001 -> 9,001 rows); now a page no run fetched in DWNEWS_PAGE_STORE_KEEP_RUNS runs is pruned
    when a run ends, counted, while the home page (a 304 every run) stays. A real SQLite file."""
    home = f"{BASE}/sw/idhaa-ya-kiswahili/s-11588"
    rows, pruned = [], []
    for run in range(5):
        crawler, _, _ = make_crawler(tmp_path, DWNEWS_PAGE_STORE_KEEP_RUNS=2)
        middleware = ConditionalRequestMiddleware.from_crawler(crawler)
        request = Request(home, meta={"dwnews_page": "listing"})
        middleware.process_request(request)
        answer = _response(home, 304) if run else _response(home, 200, b"<html>home</html>", ETag='"home"')
        assert middleware.process_response(request, answer).status == 200
        for section in range(100):  # this run's section links: new ones every run
            url = f"{BASE}/sw/x/s-{run * 1000 + section}"
            section_request = Request(url, meta={"dwnews_page": "listing"})
            middleware.process_request(section_request)
            middleware.process_response(section_request, _response(url, 200, b"<html/>", ETag=f'"{run}"'))
        middleware.close()  # the spider closed: the run ends
        store = PageStore(tmp_path / "state" / DB_NAME)
        rows.append(store.count())
        assert store.get(home) is not None, "a page fetched every run stays"
        store.close()
        pruned.append(stat(crawler, "dwnews/conditional/pruned"))
    assert rows == [101, 201, 201, 201, 201], rows
    assert pruned[0] == 0 and all(count == 100 for count in pruned[2:]), pruned
