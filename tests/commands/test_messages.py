"""What a person sees when something is wrong: one line naming the real cause (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dwnews.crawl.failures import describe, network_reason
from dwnews.mirror import MirrorServer, free_port
from tests.helpers import PROJECT_ROOT, run_crawl

QUICK_RETRIES = ("-s", "DWNEWS_RETRY_BACKOFF=0.1", "-s", "RETRY_TIMES=1")


@pytest.mark.e2e
def test_a_site_that_cannot_be_reached_is_named_with_its_cause_without_traceback(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    result = run_crawl(dead, "politics", tmp_path, *QUICK_RETRIES)
    assert result.returncode == 3
    verdict = [line for line in result.log.splitlines() if "dwnews: crawl unhealthy" in line]
    assert len(verdict) == 1 and f"cannot reach {dead}: connection refused (check" in verdict[0]
    assert "markup" not in verdict[0]
    assert "Traceback" not in result.log, "no traceback at the default log level"
    assert "Spider closed (site_unreachable)" in result.log, "stopped at the first page that failed for good"


def test_network_causes_in_words() -> None:
    from scrapy.exceptions import CannotResolveHostError
    from twisted.web._newclient import ResponseNeverReceived

    assert network_reason(CannotResolveHostError("no results for hostname lookup: dw.invalid")) == "dns"
    tls = ResponseNeverReceived(["<twisted.python.failure.Failure OpenSSL.SSL.Error: certificate verify failed>"])
    assert network_reason(tls) == "tls"
    assert network_reason(ValueError("x")) is None
    assert describe("dns", None, "https://rss.dw.com/rdf/rss-kis-all") == "https://rss.dw.com: DNS lookup failed"
    assert (
        describe("connection_refused", None, "http://127.0.0.1:8000/x") == "http://127.0.0.1:8000: connection refused"
    )


@pytest.mark.e2e
def test_a_section_that_does_not_exist_is_named_not_found(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "politics", tmp_path, "-a", "section=s-99999")
    assert result.returncode == 3
    verdict = next(line for line in result.log.splitlines() if "dwnews: crawl unhealthy" in line)
    assert f"listing page {mirror.base_url}/sw/s-99999 (HTTP 404) was not found" in verdict
    assert "markup" not in verdict


@pytest.mark.e2e
def test_crawl_help_lists_the_spider_arguments_with_examples() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "politics", "-h"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    for expected in ("-a section=", "-a since=", "-a until=", "-a source=", "-a url=", "scrapy crawl politics -a"):
        assert expected in done.stdout


@pytest.mark.e2e
def test_a_crawl_ends_with_a_summary_and_logs_progress_while_it_runs(tmp_path: Path) -> None:
    from dwnews.mirror import Fault
    from tests.conftest import SITE

    state = tmp_path / "state"
    with MirrorServer(SITE) as mirror:
        mirror.faults["sw/a-66808855"] = Fault("hang", seconds=1.5, times=1)  # a crawl that takes a while
        first = run_crawl(
            mirror.base_url, "politics", tmp_path / "1", "-s", "DWNEWS_PROGRESS_INTERVAL=0.3", state_dir=state
        )
        second = run_crawl(mirror.base_url, "politics", tmp_path / "2", state_dir=state)
    assert first.returncode == 0 and second.returncode == 0, first.log[-3000:]
    marker = "[dwnews.summary] INFO: "
    lines = [line.split(marker, 1)[1] for line in first.log.splitlines() if marker in line]
    assert any(line.startswith("Progress after") and "politics articles kept" in line for line in lines), lines
    summary = lines[lines.index(next(line for line in lines if line.startswith("Summary of this run"))) :]
    assert any(line.startswith("  sections: ") and " new, " in line for line in summary), summary
    assert "  articles: 6 exported, 2 skipped (not politics or out of range), 0 dropped (incomplete), 1 failed" in (
        " ".join(summary)
    )
    feed_line = next(line for line in summary if line.startswith("  written: "))
    assert str(tmp_path / "1" / "items.jsonl") in feed_line and "(6 records)" in feed_line
    assert any("corpus in the store: 6 articles exported in all" in line for line in summary)
    assert summary[-1] == "  health: ok"
    assert "Dumping Scrapy stats" in first.log.split("Summary of this run")[0], "the summary comes after the dump"
    assert not [line for line in first.log.splitlines() if "dwnews: " in line], "dwnews: lines are errors only"
    again = " ".join(line for line in second.log.splitlines() if marker in line)
    assert "articles: 0 exported" in again and "corpus in the store: 6 articles exported in all" in again
