"""Health checks: unhealthy crawls exit non-zero with one clear log line.

End to end on mirror variants whose markup changed the way a redesign would change it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dwnews.crawl.health import Thresholds, assess
from dwnews.mirror import MirrorServer
from tests.helpers import SITE, run_crawl

LIMITS = Thresholds()


def test_assess_healthy_crawl() -> None:
    stats = {
        "dwnews/listing/pages": 3,
        "dwnews/listing/article_links": 18,
        "dwnews/article/parsed": 8,
        "dwnews/failed/article/http_404": 1,
        "dwnews/politics/kept": 6,
        "dwnews/politics/dropped/not_politics": 2,
    }
    assert assess(stats, LIMITS) == []


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        ({"dwnews/listing/pages": 3}, "no article links found on 3 listing/sitemap/feed pages"),
        ({"dwnews/failed/listing/http_503": 1}, "1 of 1 pages failed (100% > 25%)"),
        (
            {"dwnews/listing/pages": 1, "dwnews/listing/article_links": 9, "dwnews/article/parsed": 9,
             "dwnews/article/missing/body": 9, "dwnews/politics/kept": 0},
            "9 of 9 articles have no body (100% > 20%",
        ),
        (
            {"dwnews/listing/pages": 1, "dwnews/listing/article_links": 9, "dwnews/article/parsed": 9,
             "dwnews/politics/dropped/not_politics": 9},
            "the politics filter dropped all 9 articles",
        ),
    ],
)  # fmt: skip
def test_assess_finds_each_problem(stats: dict[str, int], expected: str) -> None:
    problems = assess(stats, LIMITS)
    assert any(expected in problem for problem in problems), problems


def test_an_incremental_run_with_nothing_new_is_healthy() -> None:
    stats = {"dwnews/listing/pages": 3, "dwnews/listing/article_links": 18, "dwnews/incremental/skipped/exported": 8}
    assert assess(stats, LIMITS) == []


def variant(tmp_path: Path, change: Callable[[Path, str], str]) -> Path:
    """A copy of the mirror whose Kiswahili pages went through ``change``."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    for page in (root / "sw").glob("*.html"):
        page.write_text(change(page, page.read_text("utf-8")), "utf-8")
    return root


def redesigned_articles(page: Path, html: str) -> str:
    """New class names for the body and header hooks, scripts (JSON-LD, state) moved client-side."""
    if not page.name.startswith("a-"):
        return html
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    return html.replace("rich-text", "story-copy").replace("longText", "story-copy-legacy")


def new_article_urls(page: Path, html: str) -> str:
    """Listing pages link articles as /sw/<slug>/article-<id> instead of /a-<id>."""
    return re.sub(r'href="(/sw/[^"]*?)/a-(\d+)', r'href="\1/article-\2', html) if page.name.startswith("s-") else html


def new_category_ids(page: Path, html: str) -> str:
    """DW renumbers its categories and renames the kicker label."""
    return html.replace("19990022", "29990022").replace(">Siasa<", ">Politiki<")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (redesigned_articles, "articles have no body"),
        (new_article_urls, "no article links found"),
        (new_category_ids, "the politics filter dropped all 8 articles"),
    ],
    ids=["article-markup", "link-format", "category-ids"],
)
@pytest.mark.e2e
def test_markup_change_exits_non_zero_with_one_clear_line(
    tmp_path: Path, change: Callable[[Path, str], str], message: str
) -> None:
    with MirrorServer(variant(tmp_path, change)) as server:
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 3, result.log[-2000:]
    lines = [line for line in result.log.splitlines() if "dwnews: crawl unhealthy:" in line]
    assert len(lines) == 1 and message in lines[0], lines
    assert result.stats["dwnews/health/unhealthy"] == 1


@pytest.mark.e2e
@pytest.mark.e2e
def test_site_down_exits_non_zero(tmp_path: Path) -> None:
    with MirrorServer(tmp_path / "empty-site") as server:  # every page 404s
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 3
    assert "1 of 1 pages failed" in result.log


@pytest.mark.e2e
@pytest.mark.e2e
def test_thresholds_are_settings(tmp_path: Path) -> None:
    with MirrorServer(variant(tmp_path, new_category_ids)) as server:
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-s", "DWNEWS_HEALTH_MIN_ARTICLES=50")
    assert result.returncode == 0
