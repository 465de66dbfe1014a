"""Against the real www.dw.com: skipped by default (run with `python3 -m pytest -m live`).

`scrapy site-check` runs first: offline, every test here fails with its one line ("cannot reach
https://www.dw.com: DNS lookup failed ..."), not with an exit status to decode; online, its report
(every assumption about /sw/, ok or FAIL with the evidence) is the first thing to read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import PROJECT_ROOT, run_crawl

pytestmark = pytest.mark.live
SITE = "https://www.dw.com"
# run_crawl turns politeness off for loopback; the real site gets the project's defaults back.
POLITE = ("-s", "AUTOTHROTTLE_ENABLED=True", "-s", "DOWNLOAD_DELAY=1.0")


@pytest.fixture(scope="module")
def site_check() -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "site-check", "-s", f"DWNEWS_BASE_URL={SITE}"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if "cannot reach" in done.stdout:
        pytest.fail(done.stdout.strip().splitlines()[-1], pytrace=False)
    return done


@pytest.mark.e2e
def test_every_assumption_about_the_live_site_holds(site_check: subprocess.CompletedProcess[str]) -> None:
    assert site_check.returncode == 0, site_check.stdout


@pytest.mark.e2e
def test_article_spider_on_the_live_seed_article(site_check: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    url = "https://www.dw.com/sw/rais-putin-akubali-mwaliko-wa-kim-jong-un/a-66808855"
    result = run_crawl(SITE, "article", tmp_path, "-a", f"url={url}", *POLITE, timeout=300)
    assert result.returncode == 0, result.log[-3000:]
    [item] = result.items
    assert item["short_id"] == "4WK2B"
    assert item["title"] == "Rais Putin akubali mwaliko wa Kim Jong Un"
    assert item["published"].startswith("2023-09-14")
    assert "Nenda kwenye maudhui" not in item["body"]


@pytest.mark.e2e
def test_politics_crawl_of_the_live_site(site_check: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    result = run_crawl(SITE, "politics", tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=3", *POLITE, timeout=600)
    assert result.returncode == 0, result.log[-3000:]
    assert result.stat("dwnews/listing/pages") >= 1
    assert all(item["language"] == "sw" and item["body"] for item in result.items)
