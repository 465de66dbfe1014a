"""The Redis queue's entries: one schema, data never code, nothing a worker obeys blindly; credentials
never reach a log line."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from scrapy.utils.request import request_from_dict

from dwnews.core.urls import redact
from dwnews.crawl import redis_entries as redis_json
from tests.helpers import make_crawler


class Boom:
    """What an attacker pushes: unpickling it would run a command."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("touch /tmp/dwnews-pwned",))


def test_a_request_of_ours_goes_round_as_json(tmp_path: Path) -> None:
    _, spider, _ = make_crawler(tmp_path)
    request = spider.article_request("http://127.0.0.1:8999/sw/x/a-66808855", 66808855, source="sitemap")
    request.headers["Referer"] = b"http://127.0.0.1:8999/sw/s-11588"
    request.meta["retry_times"] = 1  # Scrapy's progress counters go round too
    data = redis_json.dumps(request.to_dict(spider=spider))
    assert json.loads(data)["callback"] == "parse_article", "plain JSON in Redis"
    back = request_from_dict(redis_json.loads(data), spider=spider)
    assert back.url == request.url and back.meta == request.meta
    assert not back.headers, "headers are the middlewares' business when the request is taken"
    assert back.callback == spider.parse_article and back.errback == spider.on_failure
    listing = spider.listing_request("http://127.0.0.1:8999/sw/s-11588", follow_sections=True)
    back = request_from_dict(redis_json.loads(redis_json.dumps(listing.to_dict(spider=spider))), spider=spider)
    assert back.cb_kwargs == {"follow_sections": True} and back.callback == spider.parse_listing


def test_a_request_on_its_way_to_splash_is_queued_as_its_page(tmp_path: Path) -> None:
    _, spider, _ = make_crawler(tmp_path)
    page = "http://127.0.0.1:8999/sw/x/a-66808855"
    request = spider.article_request(page, 66808855)
    request.meta["splash"] = {"endpoint": "render.html", "args": {"url": page}}
    request.meta["_splash_processed"] = True
    at_splash = request.replace(url="http://127.0.0.1:8050/render.html", method="POST", body=b'{"url": "x"}')
    back = request_from_dict(redis_json.loads(redis_json.dumps(at_splash.to_dict(spider=spider))), spider=spider)
    assert (back.url, back.method, back.body) == (page, "GET", b"")
    assert "splash" not in back.meta and back.dont_filter, "rendered again when taken, never filtered as seen"


def _entry(**changes: object) -> bytes:
    entry: dict[str, object] = {
        "url": "http://127.0.0.1:8999/sw/x/a-99000001",
        "callback": "parse_article",
        "errback": "on_failure",
        "method": "GET",
        "meta": {"dwnews_page": "article", "dwnews_content_id": 99000001, "dwnews_short_id": "6hOQD"},
    }
    for key, value in changes.items():
        if key.startswith("meta_"):
            entry["meta"] = {**entry["meta"], key[5:]: value}  # type: ignore[dict-item]
        else:
            entry[key] = value
    return json.dumps(entry).encode()


def test_a_well_formed_entry_of_ours_is_taken() -> None:
    assert redis_json.loads(_entry())["url"].endswith("/a-99000001")


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (_entry(meta_proxy="http://127.0.0.1:9/"), "meta"),  # a server of the sender's choosing
        (_entry(meta_dont_obey_robotstxt=True), "meta"),
        (_entry(meta_download_maxsize=0), "meta"),
        (_entry(meta_handle_httpstatus_all=True), "meta"),
        (_entry(method="POST", body={"__bytes__": "eD0x"}), "field"),
        (_entry(method="POST"), "method"),
        (_entry(headers={"Authorization": ["x"]}), "field"),
        (_entry(cb_kwargs={"evil": 1}), "kwargs"),
        (_entry(callback="parse_listing", cb_kwargs={"follow_sections": "yes"}), "kwargs"),
        (_entry(meta_dwnews_short_id="4WK2B"), "meta"),  # another article's short id
        (_entry(meta_dwnews_page="admin"), "meta"),
        (_entry(meta_dwnews_content_id=0), "meta"),
        (_entry(meta_redirect_urls=["javascript:alert(1)"]), "meta"),
        (_entry(url="http://127.0.0.1:8999/" + "x" * 70_000), "too_large"),
    ],
    ids=[
        "proxy",
        "robots",
        "maxsize",
        "httpstatus",
        "post-body",
        "post",
        "headers",
        "unknown-kwarg",
        "kwarg-type",
        "other-short-id",
        "page-type",
        "content-id",
        "redirect-url",
        "huge",
    ],
)
def test_an_entry_that_would_steer_a_worker_is_refused_with_its_reason(entry: bytes, why: str) -> None:
    with pytest.raises(redis_json.BadEntryError) as refused:
        redis_json.loads(entry)
    assert refused.value.why == why


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (pickle.dumps(Boom()), "not JSON"),
        (b'{"url": "http://x/a", "_class": "os.system"}', "not one of ours"),
        (b'{"url": "http://x/a", "callback": "close"}', "not one of our spiders"),
        (b'{"url": "file:///etc/passwd"}', r"no http\(s\) url"),
        (b"[1, 2]", "JSON object"),
        (b'{"url": "http://x/a", "callback": "parse_feed", "body": {"__bytes__": "!!"}}', "unknown field 'body'"),
    ],
    ids=["pickle", "foreign-class", "foreign-callback", "file-url", "not-an-object", "a-body"],
)
def test_anything_else_is_refused(entry: bytes, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        redis_json.loads(entry)
    assert not Path("/tmp/dwnews-pwned").exists()


def test_passwords_in_urls_are_redacted() -> None:
    text = "redis://user:S3cret@10.0.0.5:6379/0 failed; SPLASH_URL=http://u:p4ss@127.0.0.1:8050; http://a/b"
    assert redact(text) == "redis://user:***@10.0.0.5:6379/0 failed; SPLASH_URL=http://u:***@127.0.0.1:8050; http://a/b"
    assert redact("rediss://:only-a-password@host:6380") == "rediss://:***@host:6380"
