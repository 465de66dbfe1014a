"""The Redis queue's serializer takes data, never code; credentials never reach a log line."""

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
    data = redis_json.dumps(request.to_dict(spider=spider))
    assert json.loads(data)["callback"] == "parse_article", "plain JSON in Redis"
    back = request_from_dict(redis_json.loads(data), spider=spider)
    assert back.url == request.url and back.meta == request.meta and back.headers == request.headers
    assert back.callback == spider.parse_article


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (pickle.dumps(Boom()), "not JSON"),
        (b'{"url": "http://x/a", "_class": "os.system"}', "not one of ours"),
        (b'{"url": "http://x/a", "callback": "close"}', "not one of our spiders"),
        (b'{"url": "file:///etc/passwd"}', r"no http\(s\) url"),
        (b"[1, 2]", "JSON object"),
        (b'{"url": "http://x/a", "body": {"__bytes__": "!!"}}', "not base64"),
    ],
    ids=["pickle", "foreign-class", "foreign-callback", "file-url", "not-an-object", "bad-base64"],
)
def test_anything_else_is_refused(entry: bytes, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        redis_json.loads(entry)
    assert not Path("/tmp/dwnews-pwned").exists()


def test_passwords_in_urls_are_redacted() -> None:
    text = "redis://user:S3cret@10.0.0.5:6379/0 failed; SPLASH_URL=http://u:p4ss@127.0.0.1:8050; http://a/b"
    assert redact(text) == "redis://user:***@10.0.0.5:6379/0 failed; SPLASH_URL=http://u:***@127.0.0.1:8050; http://a/b"
    assert redact("rediss://:only-a-password@host:6380") == "rediss://:***@host:6380"
