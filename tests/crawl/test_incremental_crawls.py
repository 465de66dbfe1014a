"""Dedup across runs, concurrent runs on one state dir, and crawls killed with SIGKILL.

Real `scrapy crawl` subprocesses, a real SQLite state file, the loopback mirror.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from dwnews.commands.state import main as state_main
from dwnews.mirror import PROJECT_ROOT, MirrorServer, SyntheticSite
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import (
    FAST,
    MISSING,
    POLITICS,
    SITE,
    crawl_args,
    politics_ids,
    read_result,
    run_crawl,
    wait_until,
)

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals


def test_second_run_exports_nothing_and_downloads_no_article(mirror: MirrorServer, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = run_crawl(mirror.base_url, "politics", tmp_path / "1", *FAST, state_dir=state)
    assert first.returncode == 0 and {i["content_id"] for i in first.items} == POLITICS
    before = len(mirror.requests)

    second = run_crawl(mirror.base_url, "politics", tmp_path / "2", *FAST, state_dir=state)
    assert second.returncode == 0
    assert second.items == []
    second_run = mirror.requests[before:]
    article_pages = [r.path for r in second_run if "/a-" in r.path and r.status == 200]
    assert article_pages == [], "no article page is downloaded twice"
    # The one article request left is the link that 404s: failures are retried on the next run.
    assert [r.path for r in second_run if "/a-" in r.path] == [f"/sw/habari-iliyoondolewa/a-{MISSING}"]
    assert second.stat("dwnews/incremental/skipped/exported") == len(POLITICS)
    assert second.stat("dwnews/incremental/skipped/skipped") == 2  # the two non-politics articles

    # Incremental off: everything again, and the state is neither read nor written.
    third = run_crawl(
        mirror.base_url, "politics", tmp_path / "3", *FAST, "-s", "DWNEWS_INCREMENTAL=False", state_dir=state
    )
    assert {i["content_id"] for i in third.items} == POLITICS

    # Forget one article: the next run exports that one only.
    store = SqliteLedger(state, run_id="test")
    assert store.forget(["4WK2B"]) == 1
    fourth = run_crawl(mirror.base_url, "politics", tmp_path / "4", *FAST, state_dir=state)
    assert [i["short_id"] for i in fourth.items] == ["4WK2B"]


def test_default_feed_is_one_jsonl_file_per_run(mirror: MirrorServer, tmp_path: Path) -> None:
    command = [arg for arg in crawl_args(mirror.base_url, "politics", tmp_path) if arg not in ("-O",)]
    command.remove(str(tmp_path / "items.jsonl"))
    # Run outside the project folder (as cron might), so the default ./feeds lands in tmp_path.
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "dwnews.settings", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    feeds = list((tmp_path / "feeds").glob("politics-*.jsonl"))
    assert len(feeds) == 1
    assert len(feeds[0].read_text("utf-8").splitlines()) == len(POLITICS)
    # a second run exports nothing new: no empty feed file beside the first (a run every 30 minutes
    # left 48 of them a day); the summary says so
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert list((tmp_path / "feeds").glob("politics-*.jsonl")) == feeds
    assert not list((tmp_path / "feeds").glob(".*")), "nor any temporary or lock file"
    assert "written: no feed" in again.stderr


def test_concurrent_crawls_sharing_a_state_dir_export_each_article_once(tmp_path: Path) -> None:
    site = SyntheticSite(SITE, articles=120, sections=6)
    with MirrorServer(SITE, synthetic=site) as server:
        args = ("-s", "DOWNLOAD_DELAY=0.01", *FAST)
        procs = []
        for n in range(3):
            run_dir = tmp_path / f"run{n}"
            command = crawl_args(server.base_url, "politics", run_dir, *args, state_dir=tmp_path / "state")
            procs.append((run_dir, subprocess.Popen(command, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)))
        results = [
            read_result(run_dir, proc.wait(180), proc.stderr.read() if proc.stderr else "") for run_dir, proc in procs
        ]
    assert all(r.returncode == 0 for r in results), [r.log[-1500:] for r in results]
    exported = Counter(item["content_id"] for r in results for item in r.items)
    assert set(exported) == politics_ids(site)
    assert max(exported.values()) == 1, "no article in two feeds"
    # the runs really overlapped: one saw another's live claims, or both exported
    claimed_elsewhere = sum(r.stat("dwnews/incremental/skipped/claimed_elsewhere") for r in results)
    assert claimed_elsewhere > 0 or sum(1 for r in results if r.items) >= 2
    assert SqliteLedger(tmp_path / "state", read_only=True).counts()["exported"] == len(politics_ids(site))


@pytest.mark.parametrize("seed", [20261130])
def test_killed_crawls_lose_nothing_and_duplicate_nothing(tmp_path: Path, seed: int) -> None:
    """SIGKILL a crawl at random points of its progress, restart with the same state dir, until one
    finishes: every feed and the exported corpus hold every politics article exactly once.

    A kill point is a number of article pages the run must have downloaded (the mirror's request
    log), not a delay: on a loaded machine a delay may pass before anything happened.
    """
    rng = random.Random(seed)
    site = SyntheticSite(SITE, articles=400, sections=8)
    state, feeds = tmp_path / "state", tmp_path / "feeds"
    kills, attempts = 0, 0
    with MirrorServer(SITE, synthetic=site) as server:

        def start(n: int) -> subprocess.Popen[str]:
            command = crawl_args(
                server.base_url,
                "politics",
                tmp_path / f"run{n}",
                "-s",
                "FEED_EXPORT_BATCH_ITEM_COUNT=4",
                *FAST,
                state_dir=state,
            )
            command[command.index("-O") + 1] = str(feeds / f"run{n}-%(batch_id)03d.jsonl")
            return subprocess.Popen(command, cwd=PROJECT_ROOT, stderr=subprocess.DEVNULL, text=True)

        def articles_since(mark: int) -> int:
            return sum(1 for r in server.requests[mark:] if "/a-" in r.path)

        kill_points: list[tuple[int, int]] = []  # (article pages downloaded by the run, committed so far)
        while kills < 10 and attempts < 40:
            attempts += 1
            mark = len(server.requests)
            proc = start(attempts)
            target = rng.randint(1, 30)
            progressed = lambda p=proc, m=mark, t=target: p.poll() is not None or articles_since(m) >= t  # noqa: E731
            wait_until(progressed, what="downloads")
            if proc.poll() is None:
                proc.kill()
                kills += 1
                kill_points.append((target, sum(1 for f in feeds.glob("*.jsonl") for _ in f.open())))
            proc.wait(60)
        final = start(0)
        assert final.wait(300) == 0
    assert kills >= 10
    exported: Counter[int] = Counter()
    for feed in feeds.glob("*.jsonl"):
        for line in feed.read_text("utf-8").splitlines():
            exported[json.loads(line)["content_id"]] += 1
    expected = politics_ids(site)
    assert not list(feeds.glob("*.part")), "the last run cleaned up after the killed ones"
    assert set(exported) == expected, f"lost: {sorted(expected - set(exported))[:5]}"
    assert max(exported.values()) == 1, f"duplicated: {[k for k, v in exported.items() if v > 1][:5]}"
    # killed at many points of a run's progress, some deep into it: never all at start-up, as the
    # wall-clock kills were on a loaded machine (each point is reached by construction: the kill
    # waits for that many downloads)
    assert len({target for target, _ in kill_points}) >= 5, f"kills at too few distinct points: {kill_points}"
    assert max(target for target, _ in kill_points) >= 20, f"no kill deep into a run: {kill_points}"
    # the ledger's corpus: every politics article once, with the record its feed holds
    assert state_main(["--state-dir", str(state), "export", "-O", str(tmp_path / "corpus.jsonl")]) == 0
    corpus = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text("utf-8").splitlines()]
    assert Counter(r["content_id"] for r in corpus) == Counter(expected)
    print(f"kills={kills} attempts={attempts} expected={len(expected)} found={len(exported)} duplicated=0")
    print(f"kill points (articles downloaded, committed): {kill_points}")
