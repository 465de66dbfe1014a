"""End to end: the spiders in the real `scrapy crawl`, in a subprocess against the loopback mirror.

Asserts on the feed, the crawl stats and the mirror's request log, not only the exit code.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dwnews.mirror import MirrorServer
from tests.helpers import FAST, MISSING, NOT_POLITICS, POLITICS, SITE, TESTS, expected_record, requested_ids, run_crawl

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals


def test_politics_crawl_exports_every_politics_article_once_and_nothing_else(
    mirror: MirrorServer, tmp_path: Path
) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, *FAST)
    assert result.returncode == 0, result.log[-3000:]

    exported = [item["content_id"] for item in result.items]
    assert sorted(exported) == sorted(POLITICS)
    for item in result.items:
        expected = expected_record("sw", item["content_id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item.pop("crawled_at"))
        assert item == expected, f"a-{item['content_id']}"

    # Each article downloaded once although it is linked several times, with several slugs and
    # tracking queries; non-article links and robots-disallowed pages are never requested.
    article_requests = requested_ids(mirror)
    assert sorted(article_requests) == sorted(POLITICS | NOT_POLITICS | {MISSING})
    paths = mirror.paths()
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if re.search(r"/(video|audio|live|g|t|person)-\d+", p)]
    assert not [p for p in paths if p.startswith("/sw/kumbukumbu/")]
    assert all("?" not in p for p in paths), "tracking queries are stripped before requesting"

    assert result.stat("dwnews/politics/kept") == len(POLITICS)
    assert result.stat("dwnews/politics/dropped/not_politics") == len(NOT_POLITICS)
    assert result.stat("dwnews/failed/article/http_404") == 1
    assert result.stat("dwnews/article/short_id_mismatch") == 1
    assert result.stat("dwnews/article/layout/legacy") == 1
    assert result.stat("dwnews/article/state/app") >= 1
    assert result.stat("dwnews/article/state/apollo") >= 1
    assert result.stat("robotstxt/forbidden") >= 1
    assert result.stat("dwnews/not_fetched/listing") == 1  # /sw/kumbukumbu/, disallowed
    assert result.stat("dwnews/listing/pages") == 3  # home + Afrika + Ulimwengu
    assert result.stat("dwnews/listing/article_already_requested") >= 2
    assert f"/a-{MISSING}" in result.log  # the failure is logged with its URL


def test_section_argument_crawls_that_section_only(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "section=s-12757", *FAST)
    assert result.returncode == 0, result.log[-3000:]
    section_ids = set(requested_ids(mirror, "s"))
    assert section_ids == {12757}
    linked = set(_article_ids_in(SITE / "sw" / "s-12757.html"))
    assert {item["content_id"] for item in result.items} == linked & POLITICS
    assert 66808855 in linked  # the seed is linked from both sections


def test_section_argument_accepts_urls_and_paths(mirror: MirrorServer, tmp_path: Path) -> None:
    by_path = run_crawl(mirror.base_url, "politics", tmp_path / "p", "-a", "section=/sw/afrika/s-12756", *FAST)
    by_url = run_crawl(
        mirror.base_url, "politics", tmp_path / "u", "-a", "section=https://www.dw.com/sw/afrika/s-12756?maca=x", *FAST
    )
    assert by_path.returncode == by_url.returncode == 0
    ids = {item["content_id"] for item in by_path.items}
    assert ids and ids == {item["content_id"] for item in by_url.items}


def test_since_skips_older_articles(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "since=2023-07-01", *FAST)
    assert result.returncode == 0
    kept = {item["content_id"] for item in result.items}
    older = {cid for cid in POLITICS if expected_record("sw", cid)["published"] < "2023-07-01"}
    assert older, "the mirror must hold politics articles from before the cut-off"
    assert kept == POLITICS - older
    assert result.stat("dwnews/politics/dropped/before_since") == len(older)


def test_bad_arguments_fail_at_start_with_one_line(mirror: MirrorServer, tmp_path: Path) -> None:
    cases = [
        ("politics", ["-a", "since=yesterday"], "since='yesterday': expected a date YYYY-MM-DD"),
        ("politics", ["-a", "section=/de/europa/s-12322"], "section='/de/europa/s-12322': expected a /sw/ section"),
        ("politics", ["-a", "sections=s-1"], "unknown argument 'sections'"),
        ("article", [], "url: required"),
        ("article", ["-a", "url=https://example.com/sw/x/a-1"], "expected a DW article URL"),
        ("politics", ["-s", "DWNEWS_BASE_URL=dw.com"], "DWNEWS_BASE_URL='dw.com'"),
        ("politics", ["-s", "DWNEWS_REDIS_URL=notredis"], "DWNEWS_REDIS_URL='notredis' is not a Redis URL"),
        ("article", ["-a", "url=https://p.dw.com/p/4WK-2B"], "not a DW short link"),
    ]
    for spider, args, message in cases:
        result = run_crawl(mirror.base_url, spider, tmp_path, *args)
        assert result.returncode == 2, (spider, args)
        # one line, and nothing before it: checked before Scrapy's start-up banner
        assert result.log.strip().count("\n") == 0, result.log[-2000:]
        assert result.log.startswith("dwnews: ") and message in result.log, result.log[-2000:]
    assert mirror.paths() == [], "a bad argument fails before any request"


def test_article_spider_extracts_reference_pages_of_any_edition(mirror: MirrorServer, tmp_path: Path) -> None:
    expected_files = sorted(path for lang in ("de", "en") for path in SITE.glob(f"{lang}/a-*.expected.json"))
    assert len(expected_files) == 5
    wanted = {}
    for path in expected_files:
        record = json.loads(path.read_text("utf-8"))
        wanted[record["content_id"]] = record
    url_arg = ",".join(record["url"] + "?maca=x" for record in wanted.values())  # real www.dw.com URLs
    result = run_crawl(mirror.base_url, "article", tmp_path, "-a", f"url={url_arg}", *FAST)
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(item["content_id"] for item in result.items) == sorted(wanted)
    for item in result.items:
        item.pop("crawled_at")
        assert item == wanted[item["content_id"]]


def _article_ids_in(listing: Path) -> list[int]:
    return [int(m) for m in re.findall(r'href="[^"]*/a-(\d+)[^"]*"', listing.read_text("utf-8"))]


def test_article_spider_takes_short_links_and_dedups_them_with_article_urls(
    mirror: MirrorServer, tmp_path: Path
) -> None:
    urls_given = "https://p.dw.com/p/4WK2B,https://www.dw.com/sw/any-slug/a-66808855?maca=x,https://p.dw.com/p/4eG0Y"
    result = run_crawl(mirror.base_url, "article", tmp_path, "-a", f"url={urls_given}", *FAST)
    assert result.returncode == 0, result.log[-3000:]
    assert sorted(item["short_id"] for item in result.items) == ["4WK2B", "4eG0Y"]
    assert ("/p/4WK2B", 301) in [(r.path, r.status) for r in mirror.requests], "followed as p.dw.com redirects"
    assert len([r for r in mirror.requests if "a-66808855" in r.path]) == 1, "one id, one download"


def test_a_teaser_only_dw_item_is_exported_with_its_credits_as_authors(tmp_path: Path) -> None:
    """The legacy audio item a-6533123 (2011) holds its text in its teaser and only "Auteur : ... /
    Edition : ..." in its body: exported, its credit lines as author and editor (dropped before)."""
    root = tmp_path / "site"
    (root / "fr").mkdir(parents=True)
    page = TESTS / "fixtures" / "dw-credit-lines" / "pages" / "fr_2011-05-23_legacy-layout_a-6533123.html"
    shutil.copy(page, root / "fr" / "a-6533123.html")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    with MirrorServer(root) as server:
        url = "https://www.dw.com/fr/la-perte-des-terres-fertiles/a-6533123"
        result = run_crawl(server.base_url, "article", tmp_path / "run", "-a", f"url={url}", *FAST)
    assert result.returncode == 0, result.log[-3000:]
    (record,) = result.items
    assert record["title"] == "La perte des terres fertiles et les éléphants en Guinée-Conakry"
    assert record["authors"] == ["Kossivi Tiassou"] and record["editors"] == ["M-A. Pioerron"]
    assert record["published"] == "2011-05-23" and record["body"] == record["teaser"]
    assert record["body"].startswith("24 milliards de tonnes de terres fertiles")
    assert "Auteur" not in json.dumps(record, ensure_ascii=False)
