"""`scrapy site-check` against the mirror (every assumption holds) and against mirror variants that
break them (each failure named, with the setting to change), as real subprocesses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dwnews.mirror import Fault, MirrorServer, free_port
from tests.helpers import PROJECT_ROOT, SITE

ARTICLES = sorted(int(p.stem.split("-")[1]) for p in (SITE / "sw").glob("a-*.html"))
LISTINGS = sorted(p.stem for p in (SITE / "sw").glob("s-*.html"))


def site_check(base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "scrapy", "site-check",
        "-s", f"DWNEWS_BASE_URL={base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "DWNEWS_RETRY_BACKOFF=0.1",
        *args,
    ]  # fmt: skip
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)


def verdicts(output: str) -> dict[str, bool]:
    return {m[2]: m[1] == "ok" for m in re.finditer(r"^(ok|FAIL)\s+([^:]+):", output, re.M)}


@pytest.mark.e2e
def test_every_assumption_holds_on_the_mirror(mirror: MirrorServer) -> None:
    done = site_check(mirror.base_url)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    found = verdicts(done.stdout)
    assert len(found) == 14 and all(found.values()), done.stdout
    assert done.stdout.rstrip().endswith(f"all 14 assumptions hold for {mirror.base_url}")
    assert "Traceback" not in done.stderr and "INFO" not in done.stderr, "the report is the output"
    requests = len(mirror.requests)
    assert requests <= 14, f"a site-check is a dozen requests, made {requests}"


def test_a_dead_feed_no_sitemaps_new_link_format_and_wrong_short_links_are_each_named() -> None:
    def other_link_format(html: str) -> str:
        return re.sub(r'href="([^"]*?)/a-(\d+)', r'href="\1/article-\2', html)

    with MirrorServer(SITE) as mirror:
        mirror.faults["/rdf/rss-kis-all"] = Fault("status", status=404)
        mirror.faults["/robots.txt"] = Fault("transform", transform=lambda t: re.sub(r"(?m)^Sitemap:.*$", "", t))
        for listing in LISTINGS:
            mirror.faults[f"sw/{listing}"] = Fault("transform", transform=other_link_format)
        for content_id in ARTICLES:  # every page's short link names another article
            mirror.faults[f"sw/a-{content_id}"] = Fault(
                "transform", transform=lambda h: re.sub(r"p\.dw\.com/p/[0-9A-Za-z]+", "p.dw.com/p/4WK2C", h)
            )
        done = site_check(mirror.base_url)
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    found = verdicts(done.stdout)
    failed = {name for name, ok in found.items() if not ok}
    assert {
        "robots.txt names sitemaps",
        "the sitemap index lists /sw/ sitemaps",
        "the feed exists",
        "article links have the form /sw/<slug>/a-<id>",
    } <= failed, done.stdout
    assert found["the news sitemap exists"], "found under its usual name when robots.txt names none"
    assert any(name.startswith("sample") for name in failed) and "short link p/4WK2C" in done.stdout
    last = done.stdout.rstrip().splitlines()[-1]
    assert last.startswith("dwnews: site-check:") and "the feed exists -> DWNEWS_FEED_URLS" in last


def test_a_wrong_home_path_and_no_politics_label_name_their_settings() -> None:
    def no_politics(html: str) -> str:
        return html.replace("19990022", "19990099").replace("Siasa", "Michezo")

    with MirrorServer(SITE) as mirror:
        for content_id in ARTICLES:
            mirror.faults[f"sw/a-{content_id}"] = Fault("transform", transform=no_politics)
        for listing in LISTINGS:
            mirror.faults[f"sw/{listing}"] = Fault("transform", transform=no_politics)
        done = site_check(mirror.base_url, "-s", "DWNEWS_HOME_PATH=/sw/nyumbani/s-1")
    assert done.returncode == 3
    found = verdicts(done.stdout)
    assert not found["home page answers"] and "HTTP 404" in done.stdout
    assert not found["the politics category (19990022) or label (siasa) appears"]
    assert found["the feed exists"] and found["the news sitemap exists"], "the other sources still checked"
    last = done.stdout.rstrip().splitlines()[-1]
    assert "home page answers -> DWNEWS_HOME_PATH" in last
    assert "DWNEWS_POLITICS_CATEGORY_ID, DWNEWS_POLITICS_LABELS" in last


def test_a_site_that_cannot_be_reached_is_one_line() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    done = site_check(dead, "-s", "RETRY_TIMES=0")
    assert done.returncode == 3
    assert f"cannot reach {dead}: connection refused" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.e2e
def test_the_sections_sampled_are_those_the_crawl_follows() -> None:
    """A home page whose first section link is a video section (DW Kiswahili has one, and a "Media
    Center"), and whose first real section links no article: the media section is skipped as the
    crawl skips it, the next section is read, and every assumption holds."""

    def video_section_first(html: str) -> str:
        first = '<a href="/sw/afrika/s-12756"'
        return html.replace(first, '<a href="/sw/video-za-hivi-punde/s-60001">Video</a>' + first, 1)

    def no_article_links(html: str) -> str:
        return re.sub(r'href="[^"]*/a-\d+[^"]*"', 'href="#"', html)

    with MirrorServer(SITE) as mirror:
        mirror.faults["sw/s-11588"] = Fault("transform", transform=video_section_first)
        mirror.faults["sw/s-12756"] = Fault("transform", transform=no_article_links)
        done = site_check(mirror.base_url)
        requested = mirror.paths()
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert all(verdicts(done.stdout).values()), done.stdout
    assert not [path for path in requested if "s-60001" in path], "a media section is never read"
    assert [path for path in requested if "s-12757" in path], "the next section was read"
    assert "(sections read: 2)" in done.stdout
    assert "3 of " in done.stdout and "sample articles were read" in done.stdout


@pytest.mark.e2e
def test_texts_cut_for_the_language_identifier_are_counted(mirror: MirrorServer, tmp_path: Path) -> None:
    """DWNEWS_LANGID_MAX_CHARS bounds what the language identifier reads; the bound reached is a stat
    (it was documented and never counted), and the samples are still read as Kiswahili."""
    done = site_check(mirror.base_url, "-s", "DWNEWS_LANGID_MAX_CHARS=100", "-s", f"DWNEWS_STATS_FILE={tmp_path / 's'}")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert json.loads((tmp_path / "s").read_text())["dwnews/bounds/langid_text"] == 3
    assert "as Kiswahili: 3 of 3" in done.stdout
