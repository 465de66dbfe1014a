"""The spiders route and the incremental middleware keeps state: in-process, on real mirror pages.

A crawler is built with `scrapy.utils.test.get_crawler` and the project's settings; responses are
`HtmlResponse`s of the mirror's saved DW pages; the ledger is a real SQLite file in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from dwnews import settings as project_settings
from dwnews.health import Thresholds, assess
from dwnews.incremental import IncrementalMiddleware, LedgerOwner, StageRecordPipeline, request_failed
from dwnews.items import Article, exported
from dwnews.ledger import SqliteLedger
from dwnews.spiders.politics import PoliticsSpider
from tests.conftest import SITE
from tests.test_crawl import MISSING, NOT_POLITICS, POLITICS

BASE = "http://127.0.0.1:8999"
HOME = f"{BASE}/sw/idhaa-ya-kiswahili/s-11588"


def make_crawler(tmp_path: Path, **overrides: Any) -> tuple[Crawler, PoliticsSpider, IncrementalMiddleware]:
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update({"DWNEWS_BASE_URL": BASE, "DWNEWS_STATE_DIR": str(tmp_path / "state"), **overrides})
    crawler = get_crawler(PoliticsSpider, values)
    spider = PoliticsSpider.from_crawler(crawler)
    assert isinstance(spider, PoliticsSpider)
    crawler.spider = spider
    return crawler, spider, IncrementalMiddleware.from_crawler(crawler)


def page(url: str, name: str, request: Request | None = None) -> HtmlResponse:
    body = (SITE / "sw" / name).read_bytes()
    return HtmlResponse(url, body=body, encoding="utf-8", request=request or Request(url))


def home_links(spider: PoliticsSpider, middleware: IncrementalMiddleware, html: bytes | None = None) -> list[Request]:
    response = page(HOME, "s-11588.html")
    if html is not None:
        response = response.replace(body=html)
    output = middleware.process_spider_output(response, spider.parse_listing(response, follow_sections=False), spider)
    return [r for r in output if isinstance(r, Request) and r.meta.get("dwnews_page") == "article"]


def article_response(request: Request) -> HtmlResponse:
    content_id = request.meta["dwnews_content_id"]
    name = f"a-{content_id}.html"
    if not (SITE / "sw" / name).exists():
        pytest.skip(f"no saved page for {content_id}")
    return page(request.url, name, request)


def run_article(spider: PoliticsSpider, middleware: IncrementalMiddleware, request: Request) -> list[Any]:
    response = article_response(request)
    return list(middleware.process_spider_output(response, spider.parse_article(response), spider))


def stat(crawler: Crawler, key: str) -> int:
    assert crawler.stats is not None
    return int(crawler.stats.get_value(key, 0))


def test_the_middleware_claims_links_and_remembers_verdicts(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    requests = home_links(spider, middleware)
    ids = {r.meta["dwnews_content_id"] for r in requests}
    assert POLITICS & ids and NOT_POLITICS & ids and MISSING in ids
    assert stat(crawler, "dwnews/source/sections/new") == len(requests)

    ledger = LedgerOwner.of(crawler).ledger
    assert isinstance(ledger, SqliteLedger)
    assert ledger.counts() == {"claimed": len(requests)}, "claimed before download"
    items = []
    for request in requests:
        if (SITE / "sw" / f"a-{request.meta['dwnews_content_id']}.html").exists():
            items += run_article(spider, middleware, request)
    kept = {item.content_id for item in items if isinstance(item, Article)}
    assert kept == POLITICS & ids
    counts = ledger.counts()
    assert counts["skipped"] == len(NOT_POLITICS & ids), "a non-politics page is remembered as skipped"
    assert counts["claimed"] == len(kept) + (MISSING in ids), "a kept article stays claimed until its feed is stored"


def test_a_second_run_drops_known_articles_before_download(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    first = home_links(spider, middleware)
    ledger = LedgerOwner.of(crawler).ledger
    assert ledger is not None
    done = [r for r in first if r.meta["dwnews_content_id"] in POLITICS]
    for request in done:
        for item in run_article(spider, middleware, request):
            ledger.stage(exported(item))
    feed = tmp_path / "f.jsonl"
    ledger.feed_opened(feed, None, "jsonlines")
    ledger.feed_stored(feed, [r.meta["dwnews_short_id"] for r in done])
    LedgerOwner.of(crawler).engine_stopped()

    crawler2, spider2, middleware2 = make_crawler(tmp_path)
    second = home_links(spider2, middleware2)
    assert {r.meta["dwnews_content_id"] for r in second} == {r.meta["dwnews_content_id"] for r in first} - POLITICS
    assert stat(crawler2, "dwnews/incremental/skipped/exported") == len(done)
    assert stat(crawler2, "dwnews/source/sections/known") == len(done)


def test_one_hostile_link_costs_only_itself(tmp_path: Path) -> None:
    _crawler, spider, middleware = make_crawler(tmp_path)
    html = (SITE / "sw" / "s-11588.html").read_text("utf-8")
    hostile = (
        '<a href="/sw/x/a-0">zero</a><a href="/sw/y/a-9223372036854775808">huge</a><a href="http://[::1/a-5">v6</a>'
    )
    marker = "</main>" if "</main>" in html else "</body>"
    requests = home_links(spider, middleware, html.replace(marker, hostile + marker, 1).encode())
    clean = home_links(*make_crawler(tmp_path / "clean")[1:])
    assert {r.url for r in requests} == {r.url for r in clean}, "every real link survives"
    assert all(0 < r.meta["dwnews_content_id"] < 2**53 for r in requests)


def test_a_callback_error_releases_the_claim_and_makes_the_crawl_unhealthy(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta["dwnews_content_id"] in POLITICS)
    response = article_response(request)

    def broken(_: Any) -> Any:
        yield from ()
        raise KeyError("a markup change the page object did not expect")

    with pytest.raises(KeyError):
        list(middleware.process_spider_output(response, broken(response), spider))
    ledger = LedgerOwner.of(crawler).ledger
    assert ledger is not None
    assert request.meta["dwnews_short_id"] not in {
        sid
        for (sid,) in ledger.db.execute("SELECT short_id FROM articles WHERE status = 'claimed'")  # type: ignore[attr-defined]
    }, "released: a later run tries again"
    crawler.signals.send_catch_log(
        signals.spider_error, failure=Failure(KeyError("x")), response=response, spider=spider
    )
    assert crawler.stats is not None
    problems = assess(crawler.stats.get_stats(), Thresholds(), spider="politics")
    assert any("unhandled errors" in p for p in problems), problems


def test_a_failed_download_is_recorded_as_a_path_and_retried(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta["dwnews_content_id"] == MISSING)
    crawler.signals.send_catch_log(request_failed, request=request, reason="http_404")
    ledger = LedgerOwner.of(crawler).ledger
    assert ledger is not None
    assert ledger.failures_to_retry() == [(request.meta["dwnews_short_id"], f"/sw/habari-iliyoondolewa/a-{MISSING}")]
    LedgerOwner.of(crawler).engine_stopped()

    # the next run, on another host (the real site): the retry is on its host
    _crawler2, _spider2, middleware2 = make_crawler(tmp_path, DWNEWS_BASE_URL="https://www.dw.com")
    retried = list(middleware2.retries())
    assert [r.url for r in retried] == [f"https://www.dw.com/sw/habari-iliyoondolewa/a-{MISSING}"]
    assert retried[0].meta["dwnews_source"] == "failures"


def test_incremental_off_touches_no_state(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path, DWNEWS_INCREMENTAL=False)
    requests = home_links(spider, middleware)
    assert {r.meta["dwnews_content_id"] for r in requests} & POLITICS
    crawler.signals.send_catch_log(request_failed, request=requests[0], reason="http_404")
    StageRecordPipeline.from_crawler(crawler).process_item(Article("4WK2B", "", 66808855, ""))
    assert LedgerOwner.of(crawler).ledger is None
    assert not (tmp_path / "state").exists()


def test_the_last_pipeline_stages_the_record(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta["dwnews_content_id"] in POLITICS)
    (item,) = run_article(spider, middleware, request)
    StageRecordPipeline.from_crawler(crawler).process_item(item)
    ledger = LedgerOwner.of(crawler).ledger
    assert isinstance(ledger, SqliteLedger)
    ledger.feed_stored(tmp_path / "f.jsonl", [item.short_id])
    (record,) = ledger.records()
    assert record["title"] == item.title and record["body"] == item.body


def test_a_page_splash_failed_on_is_fetched_again_by_its_own_url(tmp_path: Path) -> None:
    _, spider, _ = make_crawler(
        tmp_path, SPLASH_URL="http://127.0.0.1:8050", DWNEWS_SPLASH_FALLBACK=True, DWNEWS_SPLASH_PAGES=["article"]
    )
    page_url = f"{BASE}/sw/x/a-66808855"
    rendered = spider.article_request(page_url, 66808855, source="sections")
    # what scrapy-splash's middleware makes of it on the way to Splash
    at_splash = rendered.replace(url="http://127.0.0.1:8050/render.html")
    failure = Failure(ConnectionRefusedError("Splash gave 502"))
    failure.request = at_splash  # type: ignore[attr-defined]
    (plain,) = spider.on_failure(failure)
    assert plain.url == page_url and plain.dont_filter
    assert "dwnews_rendered" not in plain.meta and plain.meta["dwnews_content_id"] == 66808855
