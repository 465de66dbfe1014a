"""Smoke check of the benchmarks in bench/: every script imports, and every part runs at its smallest size.

A benchmark is not a test (bench/README.md): the figures of these runs mean nothing. What fails here
is a benchmark that no longer runs against the current package (a removed import, a renamed stat), so
that it is found when the change is made, not weeks later by whoever reruns the benchmarks. Results go
to a temporary directory (``DWNEWS_BENCH_OUT``), never over a real run's bench/out.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwnews.mirror import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
SCRIPTS = sorted(path.stem for path in BENCH.glob("*.py"))
# Benchmark-only dependencies (bench/requirements.txt, installed by bench/setup.sh into bench/.venvs/):
# peer name -> the module it is imported as.
PEERS = {"fundus": "fundus", "trafilatura": "trafilatura", "newspaper4k": "newspaper"}


@pytest.fixture
def bench_on_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """bench/ importable as the scripts see it (``from common import ...``), forgotten afterwards."""
    monkeypatch.syspath_prepend(str(BENCH))
    yield
    for name in SCRIPTS:
        sys.modules.pop(name, None)


def test_bench_scripts_found() -> None:
    assert {"run_all", "throughput", "serve", "sitemap_memory"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_imports(name: str, bench_on_path: None) -> None:
    importlib.import_module(name)


@pytest.mark.e2e
def test_run_all_smoke(tmp_path: Path) -> None:
    """``bench/run_all.py --smoke``: every part (crawls of a 100-article mirror, a 500-URL sitemap) and the report."""
    env = {**os.environ, "DWNEWS_BENCH_OUT": str(tmp_path), "DWNEWS_BENCH_COMMIT": "smoke test"}
    done = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--smoke"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = (tmp_path / "report.md").read_text("utf-8")
    for heading in (
        "### Extraction quality",
        "### Crawl throughput",
        "### Cost per new article",
        "### Memory against known articles",
        "### Reading one article sitemap",
        "### What a scheduled run costs the site",
        "### Text quality",
    ):
        assert heading in report
    throughput = json.loads((tmp_path / "throughput.json").read_text("utf-8"))
    for summaries in throughput["summaries"].values():
        assert [s["articles"] for s in summaries] == [100]  # both crawlers downloaded the whole mirror
    incremental = json.loads((tmp_path / "incremental.json").read_text("utf-8"))
    assert [run["served"].get("article/200", 0) for run in incremental["runs"]] == [0, 10]
    (sitemap,) = json.loads((tmp_path / "sitemap_memory.json").read_text("utf-8"))["results"]
    assert sitemap["found"] == 500
    assert sitemap["article_requests"] >= 20
    assert sitemap["first_article_s"] is not None and sitemap["max_rss_mib"] > 0
    conditional = json.loads((tmp_path / "conditional.json").read_text("utf-8"))
    quiet = conditional["after"][1]  # the run with nothing new: every page a 304
    assert quiet["page_requests"] == quiet["page_304"] > 0 and quiet["page_bytes"] == 0


@pytest.mark.e2e
@pytest.mark.parametrize("peer", sorted(PEERS))
def test_peer_extractor_runs(peer: str, tmp_path: Path, bench_on_path: None) -> None:
    """A peer extractor runs on the fixtures: in its bench/.venvs environment, or in this one if installed here."""
    python = BENCH / ".venvs" / peer / "bin" / "python"
    if not python.exists():
        pytest.importorskip(
            PEERS[peer],
            reason=f"{peer} is a benchmark-only dependency (bench/requirements.txt; `bash bench/setup.sh`)",
        )
        python = Path(sys.executable)
    extraction = importlib.import_module("extraction")
    pages = [{k: v for k, v in page.items() if k != "expected"} for page in extraction.fixtures()]
    manifest = tmp_path / "pages.json"
    manifest.write_text(json.dumps(pages), "utf-8")
    done = subprocess.run(
        [str(python), str(BENCH / "peer_extract.py"), peer, str(manifest), "--warmup", "0", "--repeat", "1"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert len(result["pages"]) == len(pages)
    assert any(page["title"] for page in result["pages"])
