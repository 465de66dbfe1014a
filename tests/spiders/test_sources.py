"""Discovery sources: sections, the news and article sitemaps (found through robots.txt), the feed;
since/until applied before downloading; per-source stats; a missing source is one warning."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dwnews.mirror import MirrorServer, SyntheticSite
from dwnews.pages.feeds import FeedPage, SitemapPage
from tests.helpers import JS_ONLY, NOT_POLITICS, POLITICS, ROBOTS_DISALLOWED, SITE, TESTS, requested_ids, run_crawl

FAST = ("-s", "LOG_LEVEL=INFO")


def test_sitemap_and_feed_pages_are_read_with_their_dates() -> None:
    index = SitemapPage((SITE / "sitemap.xml").read_bytes())
    assert index.is_index and "https://www.dw.com/sw/news-sitemap.xml" in [e.url for e in index.entries()]
    news = SitemapPage((SITE / "sw" / "news-sitemap.xml").read_bytes()).entries()
    assert [e.published for e in news] == ["2026-05-29T09:41:17Z", "2026-05-30T15:20:44Z"]
    feed = FeedPage((SITE / "rdf" / "rss-kis-all").read_bytes())
    assert feed.is_feed
    first = feed.entries()[0]
    assert first.content_id == 68700001 and first.subject == "Siasa" and first.published == "2024-03-27T14:25:10Z"
    assert "?maca=" in first.url
    real = FeedPage((TESTS / "fixtures/dw-reference/feeds/rss-bos-all_2020_sample.rdf").read_bytes())
    assert [e.content_id for e in real.entries()] == [54087065]
    assert SitemapPage(b"<html>not xml").entries() == [] and not FeedPage(b"\x00garbage").is_feed


@pytest.mark.e2e
def test_default_sources_find_the_same_articles_once(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, *FAST)
    assert result.returncode == 0, result.log[-2000:]
    assert sorted(i["content_id"] for i in result.items) == sorted(POLITICS)
    paths = mirror.paths()
    assert {"/sitemap.xml", "/sw/news-sitemap.xml", "/rdf/rss-kis-all"} <= set(paths)
    assert not [p for p in paths if p.startswith(("/de/", "/en/"))], "other editions' sitemaps are not read"
    assert "/sw/article-sitemap.xml" not in paths, "the backfill sitemap is not a default source"
    assert sorted(requested_ids(mirror)) == sorted(POLITICS | NOT_POLITICS | {66899999})
    assert result.stat("dwnews/source/news-sitemap/found") == 2
    assert result.stat("dwnews/source/feed/found") == 4
    assert result.stat("dwnews/source/sections/kept") + result.stat("dwnews/source/feed/kept") + result.stat(
        "dwnews/source/news-sitemap/kept"
    ) == len(POLITICS)


@pytest.mark.e2e
def test_article_sitemap_backfill_finds_what_no_listing_links(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "source=sitemap", *FAST)
    assert result.returncode == 0, result.log[-2000:]
    assert sorted(i["content_id"] for i in result.items) == sorted(POLITICS | ROBOTS_DISALLOWED | JS_ONLY)
    assert not [p for p in mirror.paths() if re.search(r"/s-\d+", p)], "no listing page"
    assert result.stat("dwnews/source/sitemap/read") == 4  # its index and the three yearly sitemaps


@pytest.mark.e2e
def test_since_prunes_sitemaps_and_links_before_downloading(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "source=sitemap", "-a", "since=2024-01-01", *FAST)
    assert result.returncode == 0
    assert sorted(i["content_id"] for i in result.items) == [68700001, 68700002, 68800001, 68800002, 77400001]
    assert "/sw/article-sitemap-2023.xml" not in mirror.paths(), "a yearly sitemap last modified before since"
    assert all(cid >= 68700000 for cid in requested_ids(mirror)), "nothing older was downloaded"


@pytest.mark.e2e
def test_until_applies_to_publication_dates_before_downloading(mirror: MirrorServer, tmp_path: Path) -> None:
    args = ("-a", "source=news-sitemap", "-a", "until=2026-05-29")
    result = run_crawl(mirror.base_url, "politics", tmp_path, *args, *FAST)
    assert [i["content_id"] for i in result.items] == [77400001]
    assert requested_ids(mirror) == [77400001]
    assert result.stat("dwnews/source/news-sitemap/dropped/after_until") == 1


@pytest.mark.e2e
def test_feed_source(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "source=feed", *FAST)
    assert sorted(i["content_id"] for i in result.items) == sorted([68700001, 66808855, 77400001, 66900003])
    assert result.stat("dwnews/source/feed/new") == 4


@pytest.mark.e2e
def test_missing_sources_are_one_warning_each_and_the_crawl_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    for gone in ("sitemap.xml", "rdf/rss-kis-all"):
        (root / gone).unlink()
    with MirrorServer(root) as server:
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-a", "source=all", *FAST)
    assert result.returncode == 0, result.log[-2000:]
    assert sorted(i["content_id"] for i in result.items) == sorted(POLITICS)
    warnings = [line for line in result.log.splitlines() if "Source " in line and "is missing" in line]
    assert len(warnings) == 2 and any("Source feed" in w for w in warnings), warnings
    # robots.txt names /sitemap.xml, which is gone: the /sw/ sitemaps are then tried by their usual names
    assert result.stat("dwnews/source/sitemap-index/missing") == 1


@pytest.mark.e2e
def test_bad_source_argument(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "source=sections,twitter")
    assert result.returncode == 2 and "unknown source 'twitter'" in result.log
    both = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "section=s-12756", "-a", "source=feed")
    assert both.returncode == 2 and "cannot go with source" in both.log


@pytest.mark.e2e
def test_requests_per_new_article_on_incremental_runs(tmp_path: Path) -> None:
    """Nothing changed: listing/sitemap/feed requests only. N new articles: N article requests."""
    state = tmp_path / "state"
    figures = []
    for run, articles in enumerate((60, 60, 70)):
        site = SyntheticSite(SITE, articles=articles, sections=4)
        with MirrorServer(SITE, synthetic=site) as server:
            result = run_crawl(server.base_url, "politics", tmp_path / f"r{run}", *FAST, state_dir=state)
            assert result.returncode == 0, result.log[-2000:]
            article_requests = len([p for p in server.paths() if re.search(r"/a-\d+", p)])
            other = len(server.paths()) - article_requests
        figures.append((articles, article_requests, other))
    first, unchanged, grown = figures
    assert first[1] == 60
    assert unchanged[1] == 0, "a run where nothing changed downloads no article"
    assert grown[1] == 10, "10 new articles, 10 article requests"
    assert unchanged[2] == grown[2] == first[2], "the same listing/sitemap/feed requests each run"
    print(f"requests per run (articles on site, article requests, other requests): {figures}")


@pytest.mark.e2e
def test_revisions_are_reexported_only_when_opted_in(tmp_path: Path) -> None:
    """DW revises an article: its sitemap lastmod and dateModified move. With DWNEWS_REVISIONS the
    next run exports it again (same short id, later `modified`), once."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    state = tmp_path / "state"
    args = ("-a", "source=sitemap", "-s", "DWNEWS_REVISIONS=True", *FAST)
    with MirrorServer(root) as server:
        first = run_crawl(server.base_url, "politics", tmp_path / "1", *args, state_dir=state)
        assert len(first.items) == 9
        page = root / "sw" / "a-68700001.html"
        page.write_text(page.read_text("utf-8").replace("2024-03-27T16:02:37.904Z", "2026-06-01T08:00:00.000Z"))
        sitemap = root / "sw" / "article-sitemap-2024.xml"
        sitemap.write_text(sitemap.read_text("utf-8").replace("2024-03-27T16:02:37Z", "2026-06-01T08:00:00Z"))
        index = root / "sw" / "article-sitemap.xml"
        index.write_text(
            re.sub(
                r"(article-sitemap-2024.xml</loc>\s*<lastmod>)[^<]+",
                r"\g<1>2026-06-01T08:00:00Z",
                index.read_text("utf-8"),
            )
        )

        without = run_crawl(server.base_url, "politics", tmp_path / "2", "-a", "source=sitemap", *FAST, state_dir=state)
        assert without.items == [], "revisions are opt-in"
        revised = run_crawl(server.base_url, "politics", tmp_path / "3", *args, state_dir=state)
        again = run_crawl(server.base_url, "politics", tmp_path / "4", *args, state_dir=state)
    assert [(i["short_id"], i["modified"]) for i in revised.items] == [("4eG0X", "2026-06-01T08:00:00Z")]
    assert revised.stat("dwnews/incremental/revised") == 1
    assert again.items == [], "the same revision is exported once"
