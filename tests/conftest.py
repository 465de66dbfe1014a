"""Shared test fixtures: the loopback mirror of dw.com and a real `scrapy crawl` runner."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwnews.mirror import DEFAULT_SITE, PROJECT_ROOT, MirrorServer, crawl_command

SITE = DEFAULT_SITE
REFERENCE_PAGES = Path(__file__).parent / "fixtures" / "dw-reference" / "pages"


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror (tests/site) served on 127.0.0.1, with its own request log."""
    with MirrorServer(SITE) as server:
        yield server


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def crawl_args(base_url: str, spider: str, run_dir: Path, *args: str, state_dir: Path | None = None) -> list[str]:
    """The `scrapy crawl` command of one test run: feed, stats file and state under ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return crawl_command(
        base_url,
        spider,
        [
            "-O",
            str(run_dir / "items.jsonl"),
            "-s",
            f"DWNEWS_STATS_FILE={run_dir / 'stats.json'}",
            "-s",
            f"DWNEWS_STATE_DIR={state_dir or run_dir / 'state'}",
            *args,
        ],
    )


def read_result(run_dir: Path, returncode: int, log: str) -> CrawlResult:
    feed, stats_file = run_dir / "items.jsonl", run_dir / "stats.json"
    items = [json.loads(line) for line in feed.read_text("utf-8").splitlines()] if feed.exists() else []
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    return CrawlResult(returncode, items, stats, log)


def run_crawl(
    base_url: str, spider: str, run_dir: Path, *args: str, state_dir: Path | None = None, timeout: float = 120
) -> CrawlResult:
    """Run the real `scrapy crawl` in a subprocess against ``base_url``; read its feed and stats."""
    command = crawl_args(base_url, spider, run_dir, *args, state_dir=state_dir)
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    return read_result(run_dir, done.returncode, done.stderr)
