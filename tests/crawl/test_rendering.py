"""JavaScript rendering through scrapy-splash, against a real Splash 3.5 started by the tests.

The mirror's "Habari zaidi" section (s-12762) lists its articles only after its JavaScript ran:
the teasers are a JSON blob that a script turns into links, like DW's "more" lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dwnews.mirror import MirrorServer
from tests.helpers import JS_ONLY, SITE, free_port, run_crawl

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

JS_SECTION = "section=s-12762"
JS_LISTED = JS_ONLY | {66808855}  # the list also links the seed, with a tracking query
FAST = ("-s", "LOG_LEVEL=INFO")


def splash_args(splash_url: str, pages: str = "listing") -> tuple[str, ...]:
    # The loopback-only filter keeps Splash from fetching the pages' static.dw.com images and scripts.
    render = json.dumps({"filters": "loopback-only", "images": 0, "timeout": 60})
    return (
        "-s",
        f"SPLASH_URL={splash_url}",
        "-s",
        f"DWNEWS_SPLASH_PAGES={pages}",
        "-s",
        f"DWNEWS_SPLASH_ARGS={render}",
    )


def expected(content_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITE / "sw" / f"a-{content_id}.expected.json").read_text("utf-8"))
    return data


def test_without_splash_the_javascript_links_are_not_found(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", JS_SECTION, *FAST)
    assert result.returncode == 3, "an empty crawl is unhealthy, never silent"
    assert "crawl unhealthy: no article links found on 1 listing/sitemap/feed pages" in result.log
    assert result.items == []
    assert result.stat("dwnews/listing/empty") == 1
    assert result.stat("dwnews/listing/empty_with_scripts") == 1
    assert "may build them with JavaScript (set SPLASH_URL" in result.log


def test_with_splash_they_are_found_crawled_and_exported_once(
    splash: str, mirror: MirrorServer, tmp_path: Path
) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", JS_SECTION, *splash_args(splash), *FAST)
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(item["content_id"] for item in result.items) == sorted(JS_LISTED)
    for item in result.items:
        item.pop("crawled_at")
        assert item == expected(item["content_id"])
    assert result.stat("dwnews/splash/requests/listing") == 1
    assert result.stat("splash/render.html/response_count/200") == 1
    # Splash fetched the listing; the articles came straight from the mirror, each once.
    article_paths = [p for p in mirror.paths() if "/a-" in p]
    assert sorted(int(p.rsplit("a-", 1)[1]) for p in article_paths) == sorted(JS_LISTED)


def test_rendered_articles_give_the_same_records(splash: str, mirror: MirrorServer, tmp_path: Path) -> None:
    args = splash_args(splash, pages="listing,article")
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", JS_SECTION, *args, *FAST)
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("dwnews/splash/requests/article") == len(JS_LISTED)
    assert sorted(item["content_id"] for item in result.items) == sorted(JS_LISTED)
    for item in result.items:
        item.pop("crawled_at")
        assert item == expected(item["content_id"]), item["content_id"]


def test_dedup_is_on_the_short_id_not_on_the_splash_request(splash: str, mirror: MirrorServer, tmp_path: Path) -> None:
    state = tmp_path / "state"
    plain = run_crawl(mirror.base_url, "politics", tmp_path / "plain", *FAST, state_dir=state)
    assert 66808855 in {item["content_id"] for item in plain.items}
    rendered = run_crawl(
        mirror.base_url, "politics", tmp_path / "js", "-a", JS_SECTION, *splash_args(splash), *FAST, state_dir=state
    )
    assert sorted(item["content_id"] for item in rendered.items) == sorted(JS_ONLY)
    assert rendered.stat("dwnews/incremental/skipped/exported") == 1  # the seed, known from the plain run


def test_splash_unreachable_fails_at_start_or_falls_back(mirror: MirrorServer, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    failed = run_crawl(mirror.base_url, "politics", tmp_path / "a", "-s", f"SPLASH_URL={nowhere}")
    assert failed.returncode == 2
    errors = [line for line in failed.log.splitlines() if "dwnews: " in line]
    assert len(errors) == 1 and f"dwnews: SPLASH_URL={nowhere}: Splash does not answer" in errors[0]
    assert "Traceback" not in failed.log
    assert mirror.paths() == [], "checked when the spider opens, before any request"

    fallback = run_crawl(
        mirror.base_url,
        "politics",
        tmp_path / "b",
        "-s",
        f"SPLASH_URL={nowhere}",
        "-s",
        "DWNEWS_SPLASH_FALLBACK=True",
        *FAST,
    )
    assert fallback.returncode == 0
    assert fallback.stat("dwnews/splash/unavailable_fallback") == 1
    assert "crawling without rendering" in fallback.log
    assert len(fallback.items) == 6  # the plain crawl's politics articles
