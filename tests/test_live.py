"""Against the real www.dw.com: skipped by default (run with `python3 -m pytest -m live`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_crawl

pytestmark = pytest.mark.live
# run_crawl turns politeness off for loopback; the real site gets the project's defaults back.
POLITE = ("-s", "AUTOTHROTTLE_ENABLED=True", "-s", "DOWNLOAD_DELAY=1.0")


def test_article_spider_on_the_live_seed_article(tmp_path: Path) -> None:
    url = "https://www.dw.com/sw/rais-putin-akubali-mwaliko-wa-kim-jong-un/a-66808855"
    result = run_crawl("https://www.dw.com", "article", tmp_path, "-a", f"url={url}", *POLITE, timeout=300)
    assert result.returncode == 0
    [item] = result.items
    assert item["short_id"] == "4WK2B"
    assert item["title"] == "Rais Putin akubali mwaliko wa Kim Jong Un"
    assert item["published"].startswith("2023-09-14")
    assert "Nenda kwenye maudhui" not in item["body"]


def test_politics_crawl_of_one_live_section(tmp_path: Path) -> None:
    result = run_crawl(
        "https://www.dw.com", "politics", tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=3", *POLITE, timeout=600
    )
    assert result.returncode == 0
    assert result.stat("dwnews/listing/pages") >= 1
    assert all(item["language"] == "sw" and item["body"] for item in result.items)
