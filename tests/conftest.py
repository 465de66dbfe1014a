"""Shared test fixtures: the loopback mirror of dw.com and a real `scrapy crawl` runner."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dwnews.mirror import DEFAULT_SITE, PROJECT_ROOT, MirrorServer, crawl_command, free_port

SITE = DEFAULT_SITE
REFERENCE_PAGES = Path(__file__).parent / "fixtures" / "dw-reference" / "pages"


SPLASH_SCRIPTS = PROJECT_ROOT / "scripts" / "splash"


@pytest.fixture(scope="session")
def splash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Splash 3.5 on loopback, started by scripts/splash/start.sh (installed by install.sh).

    Skipped, with the reason, where Splash is not installed; a Splash that is installed but
    does not start is a test failure.
    """
    venv = Path(os.environ.get("SPLASH_VENV", "/opt/dwnews-splash"))
    if not (venv / ".dwnews-requirements.sha256").exists():  # written by install.sh once all went well
        pytest.skip(f"Splash is not installed at {venv}: run `bash scripts/splash/install.sh` (.ci/run does)")
    port = free_port()
    env = {
        **os.environ,
        "SPLASH_RUN_DIR": str(tmp_path_factory.mktemp("splash-run")),
        "SPLASH_EXTRA_ARGS": f"--filters-path {SPLASH_SCRIPTS / 'filters'}",
        "SPLASH_SLOTS": "4",
    }
    started = subprocess.run(
        ["bash", str(SPLASH_SCRIPTS / "start.sh"), str(port)], env=env, capture_output=True, text=True, timeout=180
    )
    if started.returncode != 0:
        pytest.fail(f"Splash did not start: {started.stdout[-1500:]} {started.stderr[-1500:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", str(SPLASH_SCRIPTS / "stop.sh")], env=env, capture_output=True, timeout=120)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server (Debian's package) on a loopback port with a throwaway data dir."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=60, what=f"redis-server listening on 127.0.0.1:{port}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror (tests/site) served on 127.0.0.1, with its own request log."""
    with MirrorServer(SITE) as server:
        yield server


def wait_until(condition: Callable[[], bool], timeout: float = 120, what: str = "progress") -> None:
    """Wait for progress (a file, a request the mirror saw), polling; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.02)


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


# Modules whose tests run `scrapy crawl` (or scrapyd, Splash, Redis) in subprocesses.
_E2E_MODULES = {
    "test_conditional",
    "test_crawl",
    "test_network_edge",
    "test_distributed",
    "test_messages",
    "test_incremental",
    "test_reliability",
    "test_rendering",
    "test_resume",
    "test_scrapyd",
    "test_site_check",
    "test_sources",
    "test_storage_faults",
}
_E2E_FIXTURES = {"mirror", "redis_url", "splash"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the end-to-end tests `e2e`: `python3 -m pytest -m "not e2e"` runs the fast part alone."""
    wanted = str(config.getoption("markexpr", "") or "")
    for item in items:
        if "live" in item.keywords and "live" not in wanted:
            item.add_marker(pytest.mark.skip(reason="needs the real www.dw.com: run with -m live"))
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in _E2E_MODULES or _E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
