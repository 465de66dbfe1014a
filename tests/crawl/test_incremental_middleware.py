"""The spiders route and the incremental middleware keeps state: in-process, on real mirror pages.

A crawler is built with `scrapy.utils.test.get_crawler` and the project's settings (the add-on's
components included); responses are `HtmlResponse`s of the mirror's saved DW pages; the ledger is a
real SQLite file in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from dwnews.core import keys
from dwnews.core.keys import Meta, Skip, Verdict
from dwnews.core.record import Article, exported
from dwnews.crawl.incremental import IncrementalMiddleware
from dwnews.crawl.ledger import ledger_keeper
from dwnews.crawl.monitors import Thresholds, assess
from dwnews.crawl.rendering import RenderingMiddleware
from dwnews.pipelines import StageRecordPipeline
from dwnews.spiders.politics import PoliticsSpider
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import BASE, HOME, MISSING, NOT_POLITICS, POLITICS, SITE, article_response, make_crawler, page, stat


def home_links(spider: PoliticsSpider, middleware: IncrementalMiddleware, html: bytes | None = None) -> list[Request]:
    response = page(HOME, "s-11588.html")
    if html is not None:
        response = response.replace(body=html)
    output = middleware.process_spider_output(response, spider.parse_listing(response, follow_sections=False), spider)
    return [r for r in output if isinstance(r, Request) and r.meta.get(Meta.PAGE) == "article"]


def run_article(spider: PoliticsSpider, middleware: IncrementalMiddleware, request: Request) -> list[Any]:
    response = article_response(request)
    return list(middleware.process_spider_output(response, spider.parse_article(response), spider))


def failed(crawler: Any, request: Request, error: BaseException) -> None:
    """What a spider's errback does with a request that failed for good."""
    failure = Failure(error)
    failure.request = request  # type: ignore[attr-defined]
    crawler.signals.send_catch_log(keys.request_failed, request=request, failure=failure)


def test_the_middleware_claims_links_and_remembers_verdicts(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    requests = home_links(spider, middleware)
    ids = {r.meta[Meta.CONTENT_ID] for r in requests}
    assert POLITICS & ids and NOT_POLITICS & ids and MISSING in ids
    assert stat(crawler, "dwnews/source/sections/new") == len(requests)

    ledger = ledger_keeper(crawler).ledger
    assert isinstance(ledger, SqliteLedger)
    assert ledger.counts() == {"claimed": len(requests)}, "claimed before download"
    items = []
    for request in requests:
        if (SITE / "sw" / f"a-{request.meta[Meta.CONTENT_ID]}.html").exists():
            items += run_article(spider, middleware, request)
    kept = {item.content_id for item in items if isinstance(item, Article)}
    assert kept == POLITICS & ids
    counts = ledger.counts()
    assert counts["skipped"] == len(NOT_POLITICS & ids), "a non-politics page is remembered as skipped"
    assert counts["claimed"] == len(kept) + (MISSING in ids), "a kept article stays claimed until its feed is stored"


def test_a_second_run_drops_known_articles_before_download(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    first = home_links(spider, middleware)
    ledger = ledger_keeper(crawler).ledger
    assert ledger is not None
    done = [r for r in first if r.meta[Meta.CONTENT_ID] in POLITICS]
    for request in done:
        for item in run_article(spider, middleware, request):
            ledger.stage(exported(item))
    feed = tmp_path / "f.jsonl"
    ledger.feed_opened(feed, None, "jsonlines")
    ledger.feed_stored(feed, [r.meta[Meta.SHORT_ID] for r in done])
    ledger_keeper(crawler).engine_stopped()

    crawler2, spider2, middleware2 = make_crawler(tmp_path)
    second = home_links(spider2, middleware2)
    assert {r.meta[Meta.CONTENT_ID] for r in second} == {r.meta[Meta.CONTENT_ID] for r in first} - POLITICS
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
    assert all(0 < r.meta[Meta.CONTENT_ID] < 2**53 for r in requests)


def test_a_callback_error_releases_the_claim_and_makes_the_crawl_unhealthy(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta[Meta.CONTENT_ID] in POLITICS)
    response = article_response(request)

    def broken(_: Any) -> Any:
        yield from ()
        raise KeyError("a markup change the page object did not expect")

    with pytest.raises(KeyError):
        list(middleware.process_spider_output(response, broken(response), spider))
    ledger = ledger_keeper(crawler).ledger
    assert ledger is not None
    assert request.meta[Meta.SHORT_ID] not in {
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
    request = next(r for r in home_links(spider, middleware) if r.meta[Meta.CONTENT_ID] == MISSING)
    failed(crawler, request, HttpError(Response(request.url, status=404, request=request), "404"))
    ledger = ledger_keeper(crawler).ledger
    assert ledger is not None
    assert ledger.failures_to_retry() == [(request.meta[Meta.SHORT_ID], f"/sw/habari-iliyoondolewa/a-{MISSING}")]
    assert stat(crawler, "dwnews/failed/article/http_404") == 1
    ledger_keeper(crawler).engine_stopped()

    # the next run, on another host (the real site): the retry is on its host
    _crawler2, _spider2, middleware2 = make_crawler(tmp_path, DWNEWS_BASE_URL="https://www.dw.com")
    retried = list(middleware2.retries())
    assert [r.url for r in retried] == [f"https://www.dw.com/sw/habari-iliyoondolewa/a-{MISSING}"]
    assert retried[0].meta[Meta.SOURCE] == "failures"


def test_incremental_off_touches_no_state(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path, DWNEWS_INCREMENTAL=False)
    requests = home_links(spider, middleware)
    assert {r.meta[Meta.CONTENT_ID] for r in requests} & POLITICS
    failed(crawler, requests[0], HttpError(Response(requests[0].url, status=503, request=requests[0]), "503"))
    StageRecordPipeline.from_crawler(crawler).process_item(Article("4WK2B", "", 66808855, ""))
    assert stat(crawler, "dwnews/failed/article/http_503") == 1
    assert ledger_keeper(crawler).ledger is None
    assert not (tmp_path / "state").exists()


def test_the_last_pipeline_stages_the_record(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta[Meta.CONTENT_ID] in POLITICS)
    (item,) = run_article(spider, middleware, request)
    StageRecordPipeline.from_crawler(crawler).process_item(item)
    ledger = ledger_keeper(crawler).ledger
    assert isinstance(ledger, SqliteLedger)
    ledger.feed_stored(tmp_path / "f.jsonl", [item.short_id])
    (record,) = ledger.records()
    assert record["title"] == item.title and record["body"] == item.body


def test_a_page_splash_failed_on_is_fetched_again_by_its_own_url(tmp_path: Path) -> None:
    crawler, spider, _ = make_crawler(
        tmp_path, SPLASH_URL="http://127.0.0.1:8050", DWNEWS_SPLASH_FALLBACK=True, DWNEWS_SPLASH_PAGES=["article"]
    )
    rendering = RenderingMiddleware.from_crawler(crawler)
    page_url = f"{BASE}/sw/x/a-66808855"
    request = spider.article_request(page_url, 66808855, source="sections")
    rendering.process_request(request)
    assert request.meta["splash"]["args"]["url"] == page_url and request.meta[Meta.RENDERED]
    # what scrapy-splash's middleware makes of it on the way to Splash
    at_splash = request.replace(url="http://127.0.0.1:8050/render.html", method="POST")
    plain = rendering.process_exception(at_splash, ConnectionRefusedError("Splash gave 502"))
    assert isinstance(plain, Request) and plain.url == page_url and plain.dont_filter
    assert "splash" not in plain.meta and plain.meta[Meta.CONTENT_ID] == 66808855
    assert plain.callback == spider.parse_article and plain.errback == spider.on_failure
    rendering.process_request(plain)
    assert "splash" not in plain.meta, "never rendered again"
    assert stat(crawler, "dwnews/splash/fallback/article") == 1


def test_a_skip_is_applied_and_never_passed_on(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta[Meta.CONTENT_ID] in NOT_POLITICS)
    output = run_article(spider, middleware, request)
    assert output == [], "the skip is consumed by the middleware"
    ledger = ledger_keeper(crawler).ledger
    assert isinstance(ledger, SqliteLedger)
    (reason,) = ledger.db.execute(
        "SELECT reason FROM articles WHERE short_id = ?", (request.meta[Meta.SHORT_ID],)
    ).fetchone()
    assert reason == spider.politics.key == "19990022|siasa", "remembered with the rule that judged it"
    assert stat(crawler, "dwnews/politics/dropped/not_politics") == 1


def test_a_skip_made_by_another_rule_is_judged_again(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    requests = home_links(spider, middleware)
    skipped = next(r for r in requests if r.meta[Meta.CONTENT_ID] in NOT_POLITICS)
    run_article(spider, middleware, skipped)
    ledger_keeper(crawler).engine_stopped()
    # the same rule: known, not downloaded again
    crawler2, spider2, middleware2 = make_crawler(tmp_path)
    assert skipped.url not in {r.url for r in home_links(spider2, middleware2)}
    ledger_keeper(crawler2).engine_stopped()
    # another rule (labels given as a JSON list, as the docs show them): judged again
    _, spider3, middleware3 = make_crawler(tmp_path, DWNEWS_POLITICS_LABELS='["Siasa", "Michezo"]')
    assert skipped.url in {r.url for r in home_links(spider3, middleware3)}


def test_a_failed_verdict_on_a_page_records_the_failure(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path)
    request = next(r for r in home_links(spider, middleware) if r.meta[Meta.CONTENT_ID] in POLITICS)
    response = HtmlResponse(request.url, body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}, request=request)
    output = list(middleware.process_spider_output(response, spider.parse_article(response), spider))
    assert output == []
    assert stat(crawler, "dwnews/article/not_html") == 1
    ledger = ledger_keeper(crawler).ledger
    assert ledger is not None
    assert [short_id for short_id, _ in ledger.failures_to_retry()] == [request.meta[Meta.SHORT_ID]]


def test_a_skip_yielded_where_there_is_no_ledger_is_only_counted(tmp_path: Path) -> None:
    crawler, _, middleware = make_crawler(tmp_path, DWNEWS_INCREMENTAL=False)
    response = page(f"{BASE}/sw/x/a-66808855", "a-66808855.html")
    skip = Skip("4WK2B", 66808855, Verdict.OUT_OF_RANGE, "before_since")
    assert list(middleware.process_spider_output(response, iter([skip]), None)) == []
    assert ledger_keeper(crawler).ledger is None


def test_the_rendering_meta_is_what_a_scrapy_splash_request_carries(tmp_path: Path) -> None:
    """RenderingMiddleware writes scrapy-splash's meta layout itself (a plain request stays one through
    the queue): this fails when scrapy-splash's SplashRequest puts something else there."""
    from scrapy_splash import SlotPolicy, SplashRequest

    crawler, spider, _ = make_crawler(
        tmp_path, SPLASH_URL="http://127.0.0.1:8050", DWNEWS_SPLASH_PAGES=["article"], DWNEWS_SPLASH_ARGS={"images": 0}
    )
    url = f"{BASE}/sw/x/a-66808855"
    request = spider.article_request(url, 66808855)
    RenderingMiddleware.from_crawler(crawler).process_request(request)
    theirs = SplashRequest(
        url, endpoint="render.html", args={"wait": 0.5, "images": 0}, slot_policy=SlotPolicy.SCRAPY_DEFAULT
    )
    assert request.meta["splash"] == theirs.meta["splash"]
