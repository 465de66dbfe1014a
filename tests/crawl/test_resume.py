"""A long crawl stopped with Ctrl-C (SIGINT) or SIGTERM resumes with `-s JOBDIR=...`: no article
lost, none exported or downloaded twice. Real `scrapy crawl` subprocesses, real signals."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from dwnews.mirror import PROJECT_ROOT, MirrorServer, SyntheticSite
from tests.helpers import SITE, crawl_args, politics_ids, read_result, wait_until

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopped_crawl_resumes_from_its_jobdir(tmp_path: Path, stop_signal: signal.Signals) -> None:
    site = SyntheticSite(SITE, articles=160, sections=6)
    job, state = tmp_path / "job", tmp_path / "state"
    args = ("-s", f"JOBDIR={job}", "-s", "DOWNLOAD_DELAY=0.03", "-s", "LOG_LEVEL=INFO")
    with MirrorServer(SITE, synthetic=site) as server:
        first_cmd = crawl_args(server.base_url, "politics", tmp_path / "first", *args, state_dir=state)
        first = subprocess.Popen(first_cmd, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        # stopped mid-way by progress (article pages served), not after a delay a loaded machine may outrun
        wait_until(lambda: first.poll() is not None or sum(1 for p in server.paths(200) if "/a-" in p) >= 50)
        assert first.poll() is None, "the crawl must still be running when it is stopped"
        first.send_signal(stop_signal)
        _, log = first.communicate(timeout=120)
        stopped = read_result(tmp_path / "first", first.returncode, log)
        after_stop = len(server.requests)

        second_cmd = crawl_args(server.base_url, "politics", tmp_path / "second", *args, state_dir=state)
        done = subprocess.run(second_cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
        resumed = read_result(tmp_path / "second", done.returncode, done.stderr)

    assert stopped.stats["finish_reason"] == "shutdown"
    assert stopped.returncode == 3 and "the crawl ended early (shutdown)" in stopped.log
    assert resumed.returncode == 0, resumed.log[-2000:]
    assert 0 < len(stopped.items) < len(politics_ids(site)), "stopped mid-way"
    exported = Counter(item["content_id"] for item in stopped.items + resumed.items)
    assert set(exported) == politics_ids(site), "nothing lost"
    assert max(exported.values()) == 1, "nothing exported twice"
    downloads = Counter(
        int(m.group(1)) for r in server.requests if (m := re.search(r"/a-(\d+)$", r.path)) and r.status == 200
    )
    assert max(downloads.values()) == 1, "no article downloaded twice"
    listings_before = {r.path for r in server.requests[:after_stop] if "/s-" in r.path}
    listings_after = {r.path for r in server.requests[after_stop:] if "/s-" in r.path}
    assert not listings_before & listings_after, "no listing page is fetched again"
    print(json.dumps({"stopped_items": len(stopped.items), "resumed_items": len(resumed.items)}))
