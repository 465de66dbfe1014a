"""Health checks: unhealthy crawls exit non-zero with one clear log line.

End to end on mirror variants whose markup changed the way a redesign would change it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dwnews.crawl.monitors import Thresholds, assess
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
        (
            {"dwnews/listing/pages": 1, "dwnews/listing/article_links": 4, "dwnews/failed/article/http_503": 4},
            "4 of 5 pages failed (80% > 25%)",
        ),
        (
            {"dwnews/failed/listing/http_503": 1, "dwnews/source/sections/lost": "x (HTTP 503)"},
            "sections source was lost",
        ),
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


def test_failures_known_from_earlier_runs_are_not_held_against_a_quiet_run() -> None:
    """A politics article that answers 500 for good is retried every run: a run with nothing new
    fetched 7 pages, 3 of them these retries, and said "3 of 7 pages failed (43% > 25%)", exit 3."""
    quiet = {
        "dwnews/listing/pages": 3,
        "dwnews/listing/article_links": 18,
        "dwnews/incremental/skipped/exported": 15,
        "dwnews/article/parsed": 1,
        "dwnews/failed/article/http_500": 3,
        "dwnews/failures/known_again": 3,
    }
    assert assess(quiet, LIMITS) == []
    two_new = {**quiet, "dwnews/failed/article/http_500": 5}
    assert assess(two_new, LIMITS) == ["2 of 6 pages failed (33% > 25%), besides 3 that failed so in earlier runs"]


def test_a_share_needs_a_minimum_of_pages_before_it_means_anything() -> None:
    few = {"dwnews/listing/pages": 1, "dwnews/listing/article_links": 2, "dwnews/failed/article/http_404": 1}
    assert assess(few, LIMITS) == [], "1 of 2 pages: too few to judge a share"
    assert assess(few, Thresholds(min_pages=1)) == ["1 of 2 pages failed (50% > 25%)"]


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
def test_site_down_exits_non_zero(tmp_path: Path) -> None:
    with MirrorServer(tmp_path / "empty-site") as server:  # every page 404s
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-s", "LOG_LEVEL=INFO")
    assert result.returncode == 3
    assert "listing page " in result.log and "(HTTP 404) was not found" in result.log


@pytest.mark.e2e
def test_thresholds_are_settings(tmp_path: Path) -> None:
    with MirrorServer(variant(tmp_path, new_category_ids)) as server:
        result = run_crawl(server.base_url, "politics", tmp_path / "run", "-s", "DWNEWS_HEALTH_MIN_ARTICLES=50")
    assert result.returncode == 0


def test_no_minimum_of_articles_is_no_minimum_and_never_a_division_by_zero() -> None:
    """DWNEWS_HEALTH_MIN_ARTICLES=0 gave a ZeroDivisionError traceback and exit 0 on a run that read no article."""
    nothing_read = {
        "dwnews/listing/pages": 1,
        "dwnews/listing/article_links": 3,
        "dwnews/incremental/skipped/exported": 3,
    }
    assert assess(nothing_read, Thresholds(min_articles=0)) == []
    two_bad = {**nothing_read, "dwnews/article/parsed": 2, "dwnews/article/missing/title": 2}
    assert any("2 of 2 articles have no title" in p for p in assess(two_bad, Thresholds(min_articles=0)))


def test_a_half_configured_alert_is_said_and_left_out_never_taking_the_verdict_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An email without its SMTP login made spidermon refuse the action while the suite was built,
    and the crawl ended with no verdict at all (exit 0)."""
    from scrapy.utils.test import get_crawler

    from dwnews.crawl.alerts import EmailAlert
    from dwnews.crawl.monitors import HealthSuite, configured_alerts

    half = {"SPIDERMON_EMAIL_TO": "a@example.org", "SPIDERMON_EMAIL_SENDER": "b@example.org"}
    whole = {**half, "SPIDERMON_SMTP_HOST": "127.0.0.1", "SPIDERMON_SMTP_USER": "u", "SPIDERMON_SMTP_PASSWORD": "p"}
    assert configured_alerts(get_crawler(settings_dict=half)) == []
    assert "dwnews: the email alert is not configured" in caplog.text
    (alert,) = configured_alerts(get_crawler(settings_dict=whole))
    assert isinstance(alert, EmailAlert) and alert.subject.startswith("dwnews {{ data.spider.name }} unhealthy")
    assert HealthSuite(get_crawler(settings_dict=half)).monitors_failed_actions == []


def test_a_field_coverage_failure_is_in_the_problems_before_the_alert_is_built() -> None:
    """spidermon's field coverage monitor failing gave an alert with an empty subject and text: its
    words reached the problems only after the actions had run."""
    from scrapy.utils.test import get_crawler
    from spidermon.core.actions import Action
    from spidermon.runners import MonitorRunner

    from dwnews.crawl.monitors import PROBLEMS, HealthSuite

    seen: list[list[str]] = []

    class Capture(Action):  # type: ignore[misc]
        def run_action(self) -> None:
            seen.append(list(self.data.meta.get(PROBLEMS, [])))

    settings = {
        "SPIDERMON_ENABLED": True,
        "SPIDERMON_ADD_FIELD_COVERAGE": True,
        "SPIDERMON_FIELD_COVERAGE_RULES": {"Article/modified": 0.9},
    }
    crawler = get_crawler(settings_dict=settings)
    suite = HealthSuite(crawler)
    suite.monitors_failed_actions = [Capture()]
    crawl = {
        "finish_reason": "finished",
        "dwnews/listing/pages": 3,
        "dwnews/listing/article_links": 18,
        "dwnews/article/parsed": 10,
        "item_scraped_count": 10,
        "spidermon_item_scraped_count": 10,
        "spidermon_item_scraped_count/Article": 10,
        "spidermon_item_scraped_count/Article/modified": 4,
        "spidermon_field_coverage/Article/modified": 0.4,
    }
    data = {"stats": crawl, "crawler": crawler, "spider": None, "job": None, "meta": {}}
    MonitorRunner().run(suite, **data)
    assert len(seen) == 1 and len(seen[0]) == 1, seen
    assert seen[0][0].startswith("The following items did not meet field coverage rules: Article/modified"), seen
    assert "(expected 0.9, got 0.4" in seen[0][0] and "\n" not in seen[0][0], seen


@pytest.mark.parametrize("limit", [None, 2])
def test_records_that_break_the_schema_make_the_run_unhealthy_in_its_words(limit: int | None) -> None:
    """spidermon's item-validation monitor, on the problems the last pipeline counted under its stat
    names: above SPIDERMON_MAX_ITEM_VALIDATION_ERRORS (0 when not given) the run is unhealthy."""
    from scrapy.utils.test import get_crawler
    from spidermon.runners import MonitorRunner

    from dwnews.crawl.monitors import PROBLEMS, HealthSuite

    settings = {} if limit is None else {"SPIDERMON_MAX_ITEM_VALIDATION_ERRORS": limit}
    crawler = get_crawler(settings_dict=settings)
    crawl = {
        "finish_reason": "finished",
        "dwnews/listing/pages": 3,
        "dwnews/listing/article_links": 18,
        "dwnews/article/parsed": 10,
        "dwnews/dropped/bad_record": 1,
        "spidermon/validation/items": 10,
        "spidermon/validation/fields/errors": 2,
    }
    data = {"stats": crawl, "crawler": crawler, "spider": None, "job": None, "meta": {}}
    runner = MonitorRunner()
    result = runner.run(HealthSuite(crawler), **data)
    problems = runner.data.meta.get(PROBLEMS, [])
    if limit is None:
        assert not result.all_monitors_passed
        assert problems == [
            "1 records broke the record schema and were dropped (2 problems > SPIDERMON_MAX_ITEM_VALIDATION_ERRORS=0; "
            "the log's 'Dropped' lines say which)"
        ]
    else:
        assert result.all_monitors_passed and problems == []
